//! The first `/api/v1` routes, with the reference's paths and JSON shapes
//! (observed from a running reference): status, app info and config.

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use meshchat_core::{Node, Stage};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorKind};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /api/v1/status`: always answers, whatever the start-up stage.
pub async fn status(State(state): State<AppState>) -> Json<Value> {
    Json(status_json(&state))
}

/// The status object; also pushed over `/ws` as `startup_status`.
pub(crate) fn status_json(state: &AppState) -> Value {
    let startup = state.node.status();
    let server = &state.server;
    let status = match startup.stage {
        Stage::Ready => "ok",
        Stage::Failed => "failed",
        _ => "starting",
    };
    let mut v = json!({
        "status": status,
        "stage": startup.stage.as_str(),
        "version": VERSION,
        "network_ready": startup.is_ready(),
        "network_degraded": false,
        "ui_ready": true,
        "listen_host": server.listen_host,
        "listen_port": server.listen_port,
        "https_enabled": server.https_enabled,
        "is_loopback_bind": is_loopback(&server.listen_host),
        "plugins_enabled": false,
        "demo_mode": false,
        "auth_page_hint": null,
        "landlock_active": false,
        "seccomp_active": false,
        "fs_sandbox_active": false,
    });
    if let Some(reason) = startup.error {
        v["error"] = Value::String(reason);
    }
    v
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `GET /api/v1/app/info`: versions and where things are kept.
pub async fn app_info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let net = node.net_info();
    let config_path = node.reticulum_config_dir().join("config");
    Ok(Json(json!({
        "app_info": {
            "version": VERSION,
            "display_version": VERSION,
            "storage_path": state.server.storage_path,
            "reticulum_config_path": config_path.to_string_lossy(),
            "host_platform": std::env::consts::OS,
            "is_reticulum_running": true,
            "is_transport_enabled": net.is_some_and(|n| n.transport_enabled),
            "is_connected_to_shared_instance":
                net.is_some_and(|n| n.connected_to_shared_instance),
            "shared_instance_address": null,
            "emergency": false,
            "landlock_active": false,
            "seccomp_active": false,
            "fs_sandbox_active": false,
        }
    })))
}

/// `GET /api/v1/config`: `{"config": {...}}`.
pub async fn config(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    ready(&state.node)?;
    Ok(Json(json!({ "config": config_json(&state) })))
}

/// The config object; also pushed over `/ws` as `config`. Only the keys this
/// build backs; the rest of the reference's arrive with their features.
pub(crate) fn config_json(state: &AppState) -> Value {
    let node = &state.node;
    let id = node.identity();
    let settings = node.settings();
    let ctx = node.context().ok();
    let auto = ctx.as_ref().map(|c| c.auto_announce()).unwrap_or_default();
    let stamp_cost = ctx.as_ref().map_or(0, |c| c.inbound_stamp_cost());
    let sync = ctx.as_ref().map(|c| c.auto_sync()).unwrap_or_default();
    json!({
        "display_name": settings.display_name,
        "identity_hash": id.identity_hash.to_string(),
        "identity_public_key": hex(&id.public_key),
        "lxmf_address_hash": id.lxmf_delivery.to_string(),
        "is_transport_enabled": node.net_info().is_some_and(|n| n.transport_enabled),
        "auto_announce_enabled": auto.enabled,
        "auto_announce_interval_seconds": auto.interval_seconds,
        // Whole seconds, as the reference gives it.
        "last_announced_at": auto.last_announced_at.map(f64::floor),
        "theme": "light",
        "language": "en",
        "auth_enabled": state.auth.settings().enabled,
        "lxmf_inbound_stamp_cost": stamp_cost,
        "lxmf_preferred_propagation_node_destination_hash":
            sync.preferred_node.map(|n| n.to_string()),
        "lxmf_preferred_propagation_node_auto_sync_interval_seconds": sync.interval_seconds,
        // Whole seconds, like `last_announced_at`.
        "lxmf_preferred_propagation_node_last_synced_at": sync.last_synced_at.map(f64::floor),
    })
}

/// Any path without a route: a JSON 404.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("No route for {}", uri.path()))
}

/// Routes backed by the identity answer 503 `starting` until it is online,
/// as the reference's do.
fn ready(node: &Node) -> Result<&Node, ApiError> {
    let status = node.status();
    match status.stage {
        Stage::Ready => Ok(node),
        Stage::Failed => Err(ApiError::new(
            ErrorKind::Unavailable,
            format!(
                "Start-up failed: {}",
                status.error.unwrap_or_else(|| "unknown reason".into())
            ),
        )),
        stage => Err(ApiError::new(
            ErrorKind::Starting,
            format!("MeshChatX is starting ({stage})"),
        )),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
