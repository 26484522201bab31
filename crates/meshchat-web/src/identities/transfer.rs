//! Large files through the identity routes without holding them in memory:
//! an uploaded archive is written to disk as it arrives (capped), and a
//! download is read from an open file in chunks as the client takes them.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use http_body::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::error::{ApiError, ErrorKind};

/// Bytes read from a download file at a time.
const CHUNK: usize = 64 * 1024;

/// Writes the request body to `path` (created, owner-only), refusing with
/// 413 once it passes `cap` bytes. On any error the file is removed.
pub(crate) async fn save_upload(body: Body, path: &Path, cap: u64) -> Result<u64, ApiError> {
    let written = write_body(body, path, cap).await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(path).await;
    }
    written
}

async fn write_body(mut body: Body, path: &Path, cap: u64) -> Result<u64, ApiError> {
    let io_error =
        |e: io::Error| ApiError::new(ErrorKind::Internal, format!("saving the upload: {e}"));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await
        .map_err(io_error)?;
    let mut total = 0u64;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            ApiError::new(ErrorKind::BadRequest, format!("reading the upload: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len() as u64;
        if total > cap {
            return Err(ApiError::new(
                ErrorKind::PayloadTooLarge,
                format!("Request body is larger than {cap} bytes"),
            ));
        }
        file.write_all(&data).await.map_err(io_error)?;
    }
    file.sync_all().await.map_err(io_error)?;
    Ok(total)
}

/// A response body that streams `file` (already open) from a reading task.
pub(crate) fn file_body(mut file: tokio::fs::File) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::spawn(async move {
        loop {
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                        break; // the client went away
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    Body::new(ChannelBody { rx })
}

struct ChannelBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl HttpBody for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(Frame::data)))
    }
}
