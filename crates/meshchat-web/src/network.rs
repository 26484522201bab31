//! The network routes with the reference's paths and JSON shapes (observed
//! from a running reference 4.10.7): paths (look up, wait, request, drop,
//! the table), ping and probe, the interfaces of the Reticulum config (list,
//! add/update, enable, disable, delete, export, import) with their live
//! state (`/interface-stats`, `/rnstatus`), propagation nodes (list, sync,
//! stop, status; selecting one is `PATCH /api/v1/config`), and
//! notifications. Handlers only call `meshchat-core`.

mod diagnostics;
mod interfaces;
mod propagation;

pub(crate) use propagation::select_from_config as select_propagation_node;

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use meshchat_core::{CoreError, DestinationHash, Node, PathInfo};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::routes::Routes;

/// The routes of this module.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/destination/{destination_hash}/path", path)
        .post("/api/v1/destination/{destination_hash}/path", path_wait)
        .post(
            "/api/v1/destination/{destination_hash}/request-path",
            request_path,
        )
        .post(
            "/api/v1/destination/{destination_hash}/drop-path",
            drop_path,
        )
        .get(
            "/api/v1/destination/{destination_hash}/delivery-diagnostics",
            diagnostics::delivery_diagnostics,
        )
        .get("/api/v1/path-table", path_table)
        .post("/api/v1/path-table", path_table)
        .post("/api/v1/ping/{destination_hash}/lxmf.delivery", ping)
        .post("/api/v1/rnprobe", rnprobe)
        .merge(interfaces::routes())
        .merge(propagation::routes())
}

/// A JSON object body (empty: an empty object); anything else is 400.
pub(crate) fn object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    let bad = || ApiError::new(ErrorKind::BadRequest, "invalid request body");
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body).map_err(|_| bad())? {
        Value::Object(m) => Ok(m),
        _ => Err(bad()),
    }
}

pub(crate) fn destination(s: &str) -> Result<DestinationHash, ApiError> {
    meshchat_core::parse_destination_hash(s)
        .map_err(|_| ApiError::new(ErrorKind::BadRequest, "invalid destination hash"))
}

/// Core errors as the network routes answer them.
pub(crate) fn core_error(e: CoreError) -> ApiError {
    let kind = match &e {
        CoreError::NotReady => ErrorKind::Starting,
        CoreError::InvalidInput(_) => ErrorKind::Unprocessable,
        CoreError::NotFound(_) => ErrorKind::NotFound,
        CoreError::Conflict(_) => ErrorKind::Unprocessable,
        CoreError::Unreachable(_) => ErrorKind::Unavailable,
        CoreError::Busy => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    };
    ApiError::new(kind, e.to_string())
}

/// The node, once it runs; else 503 `starting`.
pub(crate) fn ready(node: &Node) -> Result<&Node, ApiError> {
    if node.status().is_ready() {
        Ok(node)
    } else {
        Err(ApiError::new(
            ErrorKind::Starting,
            format!("MeshChatX is starting ({})", node.status().stage),
        ))
    }
}

/// An optional number field, or 400 when present and not a number.
fn number(body: &Map<String, Value>, key: &str) -> Result<Option<f64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(Some)
            .ok_or_else(|| ApiError::new(ErrorKind::BadRequest, format!("{key} must be a number"))),
    }
}

fn seconds(v: Option<f64>, default: f64) -> Duration {
    Duration::from_secs_f64(
        v.unwrap_or(default)
            .min(meshchat_core::MAX_NETWORK_WAIT.as_secs_f64()),
    )
}

fn path_json(p: Option<PathInfo>) -> Value {
    let stale = p.is_none();
    json!({
        "path": p.map(|p| json!({
            "hops": p.hops,
            "next_hop": p.next_hop,
            "next_hop_interface": p.interface,
        })),
        "path_stale": stale,
        "path_unresponsive": false,
    })
}

async fn path(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dest = destination(&hash)?;
    let p = ready(&state.node)?.path(dest).await.map_err(core_error)?;
    Ok(Json(path_json(p)))
}

/// Waits for a path (`timeout` seconds, default 10, at most 60).
async fn path_wait(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let dest = destination(&hash)?;
    let body = object(&body)?;
    let timeout = seconds(number(&body, "timeout")?, 10.0);
    let p = ready(&state.node)?
        .await_path(dest, timeout)
        .await
        .map_err(core_error)?;
    Ok(Json(path_json(p)))
}

async fn request_path(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dest = destination(&hash)?;
    ready(&state.node)?
        .request_path(dest)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({ "message": "ok" })))
}

async fn drop_path(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let dest = destination(&hash)?;
    ready(&state.node)?
        .drop_path(dest)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({ "message": "Path has been dropped" })))
}

async fn path_table(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let table = ready(&state.node)?.path_table().await.map_err(core_error)?;
    let rows: Vec<Value> = table
        .into_iter()
        .map(|p| {
            json!({
                "hash": p.destination.to_string(),
                "timestamp": p.timestamp,
                "via": p.next_hop,
                "hops": p.hops,
                "expires": p.expires,
                "interface": p.interface,
            })
        })
        .collect();
    Ok(Json(
        json!({ "total_count": rows.len(), "path_table": rows }),
    ))
}

/// Pings `lxmf.delivery` of a destination (`timeout` seconds, default 15).
async fn ping(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let dest = destination(&hash)?;
    let body = object(&body)?;
    let timeout = seconds(number(&body, "timeout")?, 15.0);
    let reply = ready(&state.node)?
        .probe(dest, 16, timeout)
        .await
        .map_err(|e| match e {
            CoreError::Unreachable(m) => {
                ApiError::new(ErrorKind::Unavailable, format!("Ping failed. {m}"))
            }
            e => core_error(e),
        })?;
    let ms = reply.rtt * 1000.0;
    Ok(Json(json!({
        "message": format!(
            "Valid reply from {dest}\nDuration: {ms:.3} ms\nHops There: {}\nHops Back: {}",
            reply.hops, reply.hops
        ),
        "ping_result": {
            "rtt": reply.rtt,
            "hops_there": reply.hops,
            "hops_back": reply.hops,
            "rssi": null,
            "snr": null,
            "quality": null,
            "receiving_interface": reply.interface,
        },
    })))
}

/// `rnprobe`: `full_name` (which must name the destination with its
/// identity: only `lxmf.delivery` is probed here, as it proves packets),
/// `destination_hash`, `size` (bytes, default 16, at most 256), `probes`
/// (default 1, at most 10), `timeout` (seconds per probe, default 10).
async fn rnprobe(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = object(&body)?;
    let bad = |m: &str| ApiError::new(ErrorKind::BadRequest, m);
    let full_name = match body.get("full_name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(bad("full_name is required")),
    };
    let dest = match body.get("destination_hash") {
        Some(Value::String(s)) => destination(s)?,
        _ => return Err(bad("destination_hash is required")),
    };
    let size = number(&body, "size")?.unwrap_or(16.0);
    if !(1.0..=meshchat_core::MAX_PROBE_SIZE as f64).contains(&size) {
        return Err(bad("size is out of range"));
    }
    let probes = number(&body, "probes")?.unwrap_or(1.0);
    if !(1.0..=f64::from(meshchat_core::MAX_PROBES)).contains(&probes) {
        return Err(bad("probes is out of range"));
    }
    let timeout = seconds(number(&body, "timeout")?, 10.0);
    let node = ready(&state.node)?;
    let (mut results, mut delivered, mut timeouts, mut failed) = (Vec::new(), 0, 0, 0);
    for n in 1..=(probes as u32) {
        let r = node.probe(dest, size as usize, timeout).await;
        let row = match r {
            Ok(reply) => {
                delivered += 1;
                json!({
                    "probe_number": n,
                    "size": size as usize,
                    "destination": format!("<{dest}>"),
                    "full_name": full_name,
                    "interface": format!(" on {}", reply.interface),
                    "status": "delivered",
                    "hops": reply.hops,
                    "rtt": reply.rtt,
                    "rtt_string": format!("{:.3} milliseconds", reply.rtt * 1000.0),
                    "reception_stats": {},
                })
            }
            Err(CoreError::Unreachable(m)) => {
                timeouts += 1;
                json!({
                    "probe_number": n,
                    "size": size as usize,
                    "destination": format!("<{dest}>"),
                    "full_name": full_name,
                    "status": "timeout",
                    "error": m,
                })
            }
            Err(e) => {
                failed += 1;
                json!({
                    "probe_number": n,
                    "size": size as usize,
                    "destination": format!("<{dest}>"),
                    "full_name": full_name,
                    "status": "failed",
                    "error": e.to_string(),
                })
            }
        };
        results.push(row);
    }
    Ok(Json(json!({
        "results": results,
        "sent": results.len(),
        "delivered": delivered,
        "timeouts": timeouts,
        "failed": failed,
    })))
}
