//! The common half of every stream interface (TCP client, TCP server
//! connections, local shared-instance sockets): read, deframe, hand packets to
//! the driver; take packets from the driver, frame, write.

use rns_wire::framing::{FrameLimits, HdlcDeframer, KissDeframer, hdlc, kiss};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{IfaceCtx, IfaceEvent};

/// Bytes read from the socket at a time. The deframer bounds what it keeps, so
/// this only sets how many frames one read can finish.
const READ_CHUNK: usize = 16 * 1024;

/// How packets are delimited on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Hdlc,
    Kiss,
}

impl Framing {
    fn frame(self, payload: &[u8]) -> Vec<u8> {
        match self {
            Framing::Hdlc => hdlc::frame(payload),
            Framing::Kiss => kiss::frame(payload),
        }
    }
}

enum Deframer {
    Hdlc(HdlcDeframer),
    Kiss(KissDeframer),
}

impl Deframer {
    fn new(framing: Framing, limits: FrameLimits) -> Self {
        match framing {
            Framing::Hdlc => Deframer::Hdlc(HdlcDeframer::new(limits)),
            Framing::Kiss => Deframer::Kiss(KissDeframer::new(limits)),
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        match self {
            Deframer::Hdlc(d) => d.push_frames(chunk),
            Deframer::Kiss(d) => d.push_frames(chunk),
        }
    }
}

/// Why a stream stopped.
#[derive(Debug)]
pub(crate) enum StreamEnd {
    /// Shutdown was requested.
    Cancelled,
    /// The peer closed, or reading or writing failed.
    Closed,
    /// The driver dropped our channels: nobody to talk to any more.
    DriverGone,
}

/// Runs one connected stream until it closes, the driver goes away or the
/// context is cancelled. Outbound packets queued while it runs are written in
/// order; whatever is left in the queue afterwards stays for the caller.
pub(crate) async fn run<S>(
    stream: S,
    id: u32,
    framing: Framing,
    max_payload: usize,
    ctx: &IfaceCtx,
    outbound: &mut mpsc::Receiver<Vec<u8>>,
) -> StreamEnd
where
    S: AsyncRead + AsyncWrite + Send + Unpin,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let limits = FrameLimits::for_mtu(max_payload, 0);
    let reader = async {
        let mut deframer = Deframer::new(framing, limits);
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return StreamEnd::Closed,
                Ok(n) => n,
            };
            for raw in deframer.push(&buf[..n]) {
                if ctx
                    .events
                    .send(IfaceEvent::Inbound { id, raw })
                    .await
                    .is_err()
                {
                    return StreamEnd::DriverGone;
                }
            }
        }
    };
    let writer = async {
        while let Some(packet) = outbound.recv().await {
            let framed = framing.frame(&packet);
            if wr.write_all(&framed).await.is_err() {
                return StreamEnd::Closed;
            }
        }
        StreamEnd::DriverGone
    };
    let mut cancel = ctx.cancel.clone();
    tokio::select! {
        () = cancel.cancelled() => StreamEnd::Cancelled,
        end = reader => end,
        end = writer => end,
    }
}
