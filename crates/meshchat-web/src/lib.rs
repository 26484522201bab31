//! The HTTP + WebSocket API and the embedded web UI.
//!
//! Owns: [`router`] (the `/api/v1` routes and `/ws`), the mapping of error
//! kinds to status codes and JSON bodies ([`ApiError`]), the security
//! headers and request-size caps every response and request go through,
//! login, sessions and the CSRF check ([`auth`]), the WebSocket hub, TLS ([`tls`]: the self-signed certificate kept per
//! storage directory and a rustls listener for `axum::serve`), and the web UI
//! embedded at build time (`ui`, `build.rs`) served at `/`.
//! Does not own: the network stack or identities (it asks
//! `meshchat-core`'s [`Node`]), the runtime, logging or the command line.

mod api;
pub mod auth;
mod database;
mod error;
mod identities;
mod messaging;
mod middleware;
mod network;
mod openapi;
mod routes;
mod serve;
pub mod tls;
mod ui;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use meshchat_core::Node;

pub use auth::{Auth, AuthConfig};
pub use error::{ApiError, ErrorKind};
pub use messaging::SEND_MAX_BODY_BYTES;
pub use middleware::MAX_BODY_BYTES;
pub use serve::serve;
pub use tls::TlsError;
pub use ui::ui_built;

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
    pub(crate) auth: Arc<Auth>,
}

impl AppState {
    /// With login off and a throw-away cookie key (tests, tools).
    pub fn new(node: Node, server: ServerInfo) -> Self {
        AppState::with_auth(node, server, AuthConfig::ephemeral())
    }

    /// With the identity's login settings and the storage directory's key.
    pub fn with_auth(node: Node, server: ServerInfo, auth: AuthConfig) -> Self {
        AppState {
            node,
            server: Arc::new(server),
            hub: Arc::new(ws::Hub::new()),
            auth: Arc::new(Auth::new(auth)),
        }
    }

    /// The login state: settings, sessions. An identity switch calls
    /// [`Auth::set_settings`] with the new identity's settings and
    /// [`Auth::revoke_all`].
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Closes every WebSocket (with a close frame), for a graceful shutdown:
    /// upgraded connections are not waited for by the HTTP server.
    pub fn close_websockets(&self) {
        self.hub.close_all();
    }
}

/// Every route: the one list the router is built from and the CSRF test walks.
fn routes() -> routes::Routes {
    routes::Routes::new()
        .get("/api/v1/status", api::status)
        .get("/api/v1/app/info", api::app_info)
        .get("/api/v1/config", api::config)
        .patch("/api/v1/config", messaging::patch_config)
        .merge(auth::routes())
        .merge(messaging::routes())
        .merge(identities::routes())
        .merge(network::routes())
        .get("/api/v1/openapi.json", openapi::document)
        .merge(database::routes())
        .get("/ws", ws::upgrade)
}

/// The (method, path) of every route, as registered.
pub fn route_list() -> Vec<(Method, &'static str)> {
    routes().into_parts().1
}

/// The whole HTTP service: API routes, `/ws`, the web UI (with `index.html`
/// for client-side routes), JSON 404s, the login and CSRF guard, the
/// security headers and the body cap.
pub fn router(state: AppState) -> Router {
    let (api, _) = routes().into_parts();
    api.fallback(ui::serve)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(middleware::cap_body))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::State;
    use axum::http::{HeaderMap, HeaderValue};
    use axum::response::IntoResponse;
    use meshchat_core::NodeSettings;

    fn state() -> AppState {
        let node = Node::new(NodeSettings {
            reticulum_config_dir: "/nonexistent".into(),
            identity: rns_crypto::PrivateIdentity::generate(&mut rns_crypto::OsRng),
            display_name: None,
            storage_dir: None,
        })
        .unwrap();
        AppState::new(
            node,
            ServerInfo {
                listen_host: "127.0.0.1".into(),
                listen_port: 8000,
                https_enabled: true,
                storage_path: "storage".into(),
            },
        )
    }

    #[tokio::test]
    async fn before_start_up_status_says_starting_and_identity_routes_answer_503() {
        let state = state();
        let status = api::status(State(state.clone())).await.0;
        assert_eq!(status["status"], "starting");
        assert_eq!(status["stage"], "starting");
        assert_eq!(status["network_ready"], false);
        assert_eq!(status["is_loopback_bind"], true);
        let err = api::config(State(state)).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Starting);
        assert_eq!(err.into_response().status(), 503);
    }

    #[test]
    fn websocket_origin_must_name_the_host() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:8000"));
        assert!(ws::origin_allowed(&h));
        h.insert("origin", HeaderValue::from_static("https://127.0.0.1:8000"));
        assert!(ws::origin_allowed(&h));
        h.insert("origin", HeaderValue::from_static("https://127.0.0.1:9000"));
        assert!(!ws::origin_allowed(&h));
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        assert!(!ws::origin_allowed(&h));
        h.insert("origin", HeaderValue::from_static("null"));
        assert!(!ws::origin_allowed(&h));
    }

    #[test]
    fn websocket_messages_get_the_reference_replies() {
        let subs = &mut ws::Subscriptions::default();
        assert_eq!(ws::handle(r#"{"type":"ping"}"#, subs, 0)["type"], "pong");
        let r = ws::handle(r#"{"type":"ping","request_id":7}"#, subs, 0);
        assert_eq!(r["request_id"], 7);
        assert_eq!(ws::handle("not json", subs, 0)["code"], "invalid_json");
        assert_eq!(
            ws::handle(r#"{"type":"nope"}"#, subs, 0)["code"],
            "unhandled_type"
        );
        let r = ws::handle(
            r#"{"type":"ws.subscribe","topics":"lxmf","request_id":5}"#,
            subs,
            0,
        );
        assert_eq!(
            (r["code"].clone(), r["request_id"].clone()),
            ("invalid_topics".into(), 5.into())
        );
        let r = ws::handle(r#"{"type":"ws.unsubscribe","topics":["lxmf"]}"#, subs, 0);
        assert_eq!(r["changed"], serde_json::json!(["lxmf"]));
        assert_eq!(
            ws::handle(r#"{"type":"ws.caps"}"#, subs, 0)["binary_rns_link"],
            false
        );
        let r = ws::handle(r#"{"type":"sync.subscribe","since_seq":2}"#, subs, 9);
        assert_eq!(
            (r["status"].clone(), r["resync"].clone()),
            ("gap".into(), true.into())
        );
        let r = ws::handle(r#"{"type":"sync.subscribe","since_seq":9}"#, subs, 9);
        assert_eq!(r["status"], "ok");
    }

    async fn get(path: &str) -> axum::response::Response {
        ui::serve(axum::http::Method::GET, path.parse().unwrap()).await
    }

    fn header<'a>(res: &'a axum::response::Response, name: &str) -> &'a str {
        res.headers().get(name).unwrap().to_str().unwrap()
    }

    #[tokio::test]
    async fn the_ui_is_served_at_the_root_and_for_client_routes_never_cached() {
        for path in [
            "/",
            "/index.html",
            "/messages",
            "/settings",
            "/messages/abc123",
        ] {
            let res = get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
        }
    }

    #[tokio::test]
    async fn hashed_assets_are_cached_for_long_and_missing_files_are_json_404s() {
        for asset in ui::ASSETS.iter().filter(|a| a.path.starts_with("/assets/")) {
            let res = get(asset.path).await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                header(&res, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            let ct = header(&res, "content-type");
            if asset.path.ends_with(".js") {
                assert_eq!(ct, "text/javascript; charset=utf-8");
            } else if asset.path.ends_with(".css") {
                assert_eq!(ct, "text/css; charset=utf-8");
            }
        }
        for path in [
            "/assets/nope-123.js",
            "/favicon-missing.ico",
            "/api/v1/nope",
            "/api",
            "/ws/x",
        ] {
            let res = get(path).await;
            assert_eq!(res.status(), 404, "{path}");
            assert!(
                header(&res, "content-type").starts_with("application/json"),
                "{path}"
            );
        }
        let post = ui::serve(axum::http::Method::POST, "/messages".parse().unwrap()).await;
        assert_eq!(post.status(), 404);
    }

    #[test]
    fn dot_files_of_the_build_are_not_embedded() {
        assert!(ui::ASSETS.iter().all(|a| !a.path.contains("/.")));
        assert!(ui::find("/index.html").is_some());
        assert!(ui::ASSETS.windows(2).all(|w| w[0].path < w[1].path));
    }
}
