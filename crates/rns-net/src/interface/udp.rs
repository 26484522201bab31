//! The UDP interface: one datagram is one packet, no framing. Listens on
//! `listen_ip:listen_port` and sends to `forward_ip:forward_port` (which may be
//! a broadcast address).

use std::net::SocketAddr;

use rns_wire::framing::FrameLimits;
use tokio::net::UdpSocket;

use super::{IfaceCtx, IfaceEvent, InterfaceInfo};

/// The reference's HW_MTU for UDP.
pub const UDP_HW_MTU: u32 = 1064;

/// Binds now so a bad address is reported at start; resolves the forward
/// address once.
pub(crate) async fn bind(
    listen_ip: &str,
    listen_port: u16,
    forward_ip: &str,
    forward_port: u16,
) -> std::io::Result<(UdpSocket, SocketAddr)> {
    let sock = UdpSocket::bind((listen_ip, listen_port)).await?;
    sock.set_broadcast(true)?;
    let forward = tokio::net::lookup_host((forward_ip, forward_port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no forward address"))?;
    Ok((sock, forward))
}

/// Runs until cancelled or the driver goes away.
pub(crate) async fn run(sock: UdpSocket, forward: SocketAddr, info: InterfaceInfo, ctx: IfaceCtx) {
    let id = ctx.next_id();
    let limits = FrameLimits::for_mtu(info.max_payload(), 0);
    let Some(mut outbound) = ctx.attach(id, info).await else {
        return;
    };
    ctx.notify(IfaceEvent::Online { id, online: true }).await;
    // One byte more than accepted, so an oversized datagram is seen as such
    // instead of being silently truncated to an acceptable length.
    let mut buf = vec![0u8; limits.max_payload.saturating_add(1)];
    let mut cancel = ctx.cancel.clone();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            r = sock.recv_from(&mut buf) => {
                let Ok((n, _from)) = r else { continue };
                if !limits.accepts(n) {
                    continue;
                }
                let raw = buf[..n].to_vec();
                if ctx.events.send(IfaceEvent::Inbound { id, raw }).await.is_err() {
                    return;
                }
            }
            p = outbound.recv() => {
                let Some(packet) = p else { return };
                // A failed send (no route, buffer full) loses this datagram only.
                let _ = sock.send_to(&packet, forward).await;
            }
        }
    }
    ctx.notify(IfaceEvent::Detached { id }).await;
}
