//! The TCP server interface: listens where the config says, and makes every
//! accepted connection an interface of its own (as the reference spawns one),
//! attached on accept and detached on disconnect.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::stream::{self, Framing};
use super::{IfaceCtx, IfaceEvent, InterfaceInfo};

/// Connections one server keeps at once; further ones are closed on accept so a
/// peer opening sockets in a loop cannot exhaust memory or descriptors.
pub const MAX_CONNECTIONS: usize = 256;

/// Binds the listener now, so a bad address is reported at start.
pub(crate) async fn bind(ip: &str, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((ip, port)).await
}

/// Accepts until cancelled; each connection inherits `template`.
pub(crate) async fn run(listener: TcpListener, template: InterfaceInfo, ctx: IfaceCtx) {
    let mut conns = JoinSet::new();
    let mut cancel = ctx.cancel.clone();
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
                conns.spawn(connection(sock, peer, template.clone(), ctx.clone()));
            }
        }
    }
    // Connections see the same cancellation and detach themselves.
    while conns.join_next().await.is_some() {}
}

async fn connection(sock: TcpStream, peer: SocketAddr, template: InterfaceInfo, ctx: IfaceCtx) {
    let _ = sock.set_nodelay(true);
    let id = ctx.next_id();
    let mut info = template;
    info.name = format!("{}/{peer}", info.name);
    let max_payload = info.max_payload();
    let Some(mut outbound) = ctx.attach(id, info).await else {
        return;
    };
    ctx.notify(IfaceEvent::Online { id, online: true }).await;
    let _ = stream::run(sock, id, Framing::Hdlc, max_payload, &ctx, &mut outbound).await;
    ctx.notify(IfaceEvent::Detached { id }).await;
}
