//! Reconnecting stream clients: the TCP client interface (to
//! `target_host:target_port`) and the link to a shared instance. Both retry
//! every 5 s while the peer is unreachable and stay attached to the node
//! (offline) in between, as the reference's clients do.

use std::future::Future;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::stream::{self, Framing, StreamEnd};
use super::tcp_server::ByteStream;
use super::{IfaceCtx, IfaceEvent, InterfaceInfo};
use crate::cancel::Cancel;

/// The reference retries a lost or refused connection this often.
pub const RECONNECT_INTERVAL: Duration = Duration::from_secs(5);
/// A connect attempt that takes longer than this is abandoned.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// §15: a peer that leaves sent data unacknowledged this long is dead.
#[cfg(any(target_os = "linux", target_os = "android"))]
const USER_TIMEOUT: Duration = Duration::from_secs(24);
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(2);
const KEEPALIVE_PROBES: u32 = 12;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub(crate) struct TcpClientPlan {
    pub host: String,
    pub port: u16,
    pub framing: Framing,
    pub info: InterfaceInfo,
}

/// Runs the TCP client until cancelled (or the driver goes away).
pub(crate) async fn run(plan: TcpClientPlan, ctx: IfaceCtx) {
    let TcpClientPlan {
        host,
        port,
        framing,
        info,
    } = plan;
    let connect = move || {
        let host = host.clone();
        async move {
            let sock = TcpStream::connect((host.as_str(), port)).await?;
            tune(&sock);
            Ok(Box::new(sock) as Box<dyn ByteStream>)
        }
    };
    run_reconnecting(info, framing, None, connect, ctx).await;
}

/// Keeps a connection made by `connect` up until cancelled: attach once, then
/// connect, pump, report offline, wait, and again. `first` is a connection
/// already made by the caller (a shared-instance probe).
pub(crate) async fn run_reconnecting<F, Fut>(
    info: InterfaceInfo,
    framing: Framing,
    mut first: Option<Box<dyn ByteStream>>,
    mut connect: F,
    ctx: IfaceCtx,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::io::Result<Box<dyn ByteStream>>>,
{
    let id = ctx.next_id();
    let max_payload = info.max_payload();
    let Some(mut outbound) = ctx.attach(id, info).await else {
        return;
    };
    let mut cancel = ctx.cancel.clone();
    loop {
        let sock = match first.take() {
            Some(s) => Some(s),
            None => tokio::select! {
                () = cancel.cancelled() => break,
                c = tokio::time::timeout(CONNECT_TIMEOUT, connect()) => c.ok().and_then(Result::ok),
            },
        };
        if let Some(sock) = sock {
            ctx.notify(IfaceEvent::Online { id, online: true }).await;
            let end = stream::run(sock, id, framing, max_payload, &ctx, &mut outbound).await;
            ctx.notify(IfaceEvent::Online { id, online: false }).await;
            match end {
                StreamEnd::Cancelled => break,
                StreamEnd::DriverGone => return,
                StreamEnd::Closed => {}
            }
        }
        // Packets queued while offline are stale by the time we reconnect:
        // discard them while waiting, so the queue is empty on reconnect.
        if !wait_discarding(&mut outbound, &mut cancel).await {
            break;
        }
    }
    ctx.notify(IfaceEvent::Detached { id }).await;
}

/// Waits out the reconnect interval; false if cancelled or the driver is gone.
async fn wait_discarding(outbound: &mut mpsc::Receiver<Vec<u8>>, cancel: &mut Cancel) -> bool {
    let sleep = tokio::time::sleep(RECONNECT_INTERVAL);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            () = cancel.cancelled() => return false,
            p = outbound.recv() => if p.is_none() { return false },
        }
    }
}

/// Socket options from §15. Each is best effort: a platform without one still
/// gets a working, if slower to notice a dead peer, connection.
pub(crate) fn tune(sock: &TcpStream) {
    let _ = sock.set_nodelay(true);
    let s = SockRef::from(sock);
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    let _ = s.set_tcp_keepalive(&keepalive);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = s.set_tcp_user_timeout(Some(USER_TIMEOUT));
}
