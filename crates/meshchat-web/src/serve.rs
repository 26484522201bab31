//! Running the service on a bound listener, over HTTPS or plain HTTP, until
//! a shutdown future resolves.

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use rustls::ServerConfig;
use tokio::net::TcpListener;

use crate::auth::ClientAddr;
use crate::tls::TlsListener;
use crate::{AppState, router};

/// Serves [`router`]`(state)` on `listener` (TLS when `tls` is set) until
/// `shutdown` resolves; then WebSockets are closed, no new connections are
/// taken and requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address goes with every request: the login limits count by it.
    let app = router(state.clone()).into_make_service_with_connect_info::<ClientAddr>();
    let signal = async move {
        shutdown.await;
        state.close_websockets();
    };
    match tls {
        Some(config) => {
            let listener = TlsListener::new(listener, config)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .into_future()
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .into_future()
                .await
        }
    }
}
