//! Stream servers: the TCP server interface, and (with a Unix listener) the
//! data plane of a shared instance. Every accepted connection becomes an
//! interface of its own (as the reference spawns one), attached on accept and
//! detached on disconnect.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::task::JoinSet;

use super::stream::{self, Framing};
use super::{IfaceCtx, IfaceEvent, InterfaceInfo};

/// Connections one server keeps at once; further ones are closed on accept so a
/// peer opening sockets in a loop cannot exhaust memory or descriptors.
pub const MAX_CONNECTIONS: usize = 256;

/// A connected byte stream of either kind.
pub(crate) trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> ByteStream for T {}

/// What a server listens on.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    pub(crate) async fn accept(&self) -> std::io::Result<(Box<dyn ByteStream>, String)> {
        match self {
            Listener::Tcp(l) => {
                let (sock, peer) = l.accept().await?;
                let _ = sock.set_nodelay(true);
                Ok((Box::new(sock), peer.to_string()))
            }
            Listener::Unix(l) => {
                let (sock, _) = l.accept().await?;
                Ok((Box::new(sock), "local".to_string()))
            }
        }
    }
}

/// Binds a TCP listener now, so a bad address is reported at start.
pub(crate) async fn bind(ip: &str, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((ip, port)).await
}

/// Accepts until cancelled; each connection inherits `template`.
pub(crate) async fn run(listener: Listener, template: InterfaceInfo, ctx: IfaceCtx) {
    let mut conns = JoinSet::new();
    let mut cancel = ctx.cancel.clone();
    let mut serial: u64 = 0;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((sock, peer)) = accepted else { continue };
                if conns.len() >= MAX_CONNECTIONS {
                    drop(sock);
                    continue;
                }
                serial = serial.wrapping_add(1);
                let mut info = template.clone();
                info.name = format!("{}/{peer}#{serial}", info.name);
                conns.spawn(connection(sock, info, ctx.clone()));
            }
        }
    }
    // Connections see the same cancellation and detach themselves.
    while conns.join_next().await.is_some() {}
}

async fn connection(sock: Box<dyn ByteStream>, info: InterfaceInfo, ctx: IfaceCtx) {
    let id = ctx.next_id();
    let max_payload = info.max_payload();
    let Some(mut outbound) = ctx.attach(id, info).await else {
        return;
    };
    ctx.notify(IfaceEvent::Online { id, online: true }).await;
    let _ = stream::run(sock, id, Framing::Hdlc, max_payload, &ctx, &mut outbound).await;
    ctx.notify(IfaceEvent::Detached { id }).await;
}
