//! The HTTP + WebSocket API (and, later, the embedded web UI).
//!
//! Owns: [`router`] (the `/api/v1` routes and `/ws`), the mapping of error
//! kinds to status codes and JSON bodies ([`ApiError`]), the security
//! headers and request-size caps every response and request go through, the
//! WebSocket hub, and TLS ([`tls`]: the self-signed certificate kept per
//! storage directory and a rustls listener for `axum::serve`).
//! Does not own: the network stack or identities (it asks
//! `meshchat-core`'s [`Node`]), the runtime, logging or the command line.

mod api;
mod error;
mod middleware;
mod serve;
pub mod tls;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use meshchat_core::Node;

pub use error::{ApiError, ErrorKind};
pub use middleware::MAX_BODY_BYTES;
pub use serve::serve;
pub use tls::TlsError;

/// Where the server listens, as `/api/v1/status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub listen_host: String,
    pub listen_port: u16,
    pub https_enabled: bool,
    /// The storage directory, as `/api/v1/app/info` reports it.
    pub storage_path: String,
}

/// What every handler sees.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) node: Node,
    pub(crate) server: Arc<ServerInfo>,
    pub(crate) hub: Arc<ws::Hub>,
}

impl AppState {
    pub fn new(node: Node, server: ServerInfo) -> Self {
        AppState {
            node,
            server: Arc::new(server),
            hub: Arc::new(ws::Hub::new()),
        }
    }

    /// Closes every WebSocket (with a close frame), for a graceful shutdown:
    /// upgraded connections are not waited for by the HTTP server.
    pub fn close_websockets(&self) {
        self.hub.close_all();
    }
}

/// The whole HTTP service: API routes, `/ws`, JSON 404s, the security
/// headers and the body cap.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/status", get(api::status))
        .route("/api/v1/app/info", get(api::app_info))
        .route("/api/v1/config", get(api::config))
        .route("/ws", get(ws::upgrade))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(middleware::cap_body))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}
