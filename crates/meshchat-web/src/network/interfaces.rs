//! The interfaces of the Reticulum config file and their live state.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meshchat_core::{ConfiguredInterface, InterfaceEdit, InterfaceModeSetting, InterfaceRuntime};
use serde_json::{Map, Value, json};

use super::{core_error, object, ready};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::routes::Routes;

/// Exported config text, at most (an import body is capped by the body cap).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/reticulum/interfaces", list)
        .post("/api/v1/reticulum/interfaces/add", add)
        .post("/api/v1/reticulum/interfaces/enable", enable)
        .post("/api/v1/reticulum/interfaces/disable", disable)
        .post("/api/v1/reticulum/interfaces/delete", delete)
        .post("/api/v1/reticulum/interfaces/export", export)
        .post("/api/v1/reticulum/interfaces/import", import)
        .get("/api/v1/interface-stats", stats)
        .get("/api/v1/rnstatus", rnstatus)
}

fn unprocessable(m: &str) -> ApiError {
    ApiError::new(ErrorKind::Unprocessable, m)
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = state.node.configured_interfaces().map_err(core_error)?;
    let mut out = Map::new();
    for i in list {
        let mut o = Map::new();
        for (k, v) in i.entries {
            o.insert(k, Value::String(v));
        }
        out.insert(i.name, Value::Object(o));
    }
    Ok(Json(json!({ "interfaces": out })))
}

fn name_of(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        None | Some(Value::Null) => Err(unprocessable("Name is required")),
        Some(Value::String(_)) => Err(unprocessable("Name is required")),
        Some(_) => Err(unprocessable("Name must be a string")),
    }
}

/// A scalar setting as config text; lists and objects are refused.
fn setting(key: &str, v: &Value) -> Result<Option<String>, ApiError> {
    Ok(match v {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        _ => return Err(unprocessable(&format!("Invalid value for {key}"))),
    })
}

/// Adds an interface, or with `allow_overwriting_interface` saves over the
/// one of that name. The body is the interface's settings as the config
/// names them (`type`, `target_host`, `listen_port`, ...).
async fn add(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = object(&body)?;
    let name = name_of(&body)?;
    let replace = body
        .get("allow_overwriting_interface")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !matches!(body.get("type"), Some(Value::String(_))) {
        return Err(unprocessable("Type is required"));
    }
    let mut entries = Vec::new();
    for (k, v) in &body {
        if k == "name" || k == "allow_overwriting_interface" {
            continue;
        }
        if let Some(text) = setting(k, v)? {
            entries.push((k.clone(), text));
        }
    }
    let edit = InterfaceEdit::Upsert {
        interface: ConfiguredInterface { name, entries },
        replace,
    };
    let live = state.node.edit_interface(edit).await.map_err(core_error)?;
    let message = if replace {
        "Interface has been saved"
    } else {
        "Interface has been added"
    };
    Ok(Json(json!({ "message": message, "applied_live": live })))
}

async fn set_enabled(
    state: &AppState,
    body: &Bytes,
    enabled: bool,
) -> Result<Json<Value>, ApiError> {
    let body = object(body)?;
    let name = name_of(&body)?;
    let live = state
        .node
        .edit_interface(InterfaceEdit::SetEnabled { name, enabled })
        .await
        .map_err(core_error)?;
    let message = if enabled {
        "Interface is now enabled"
    } else {
        "Interface is now disabled"
    };
    Ok(Json(json!({ "message": message, "applied_live": live })))
}

async fn enable(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    set_enabled(&state, &body, true).await
}

async fn disable(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    set_enabled(&state, &body, false).await
}

async fn delete(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = object(&body)?;
    let name = name_of(&body)?;
    let live = state
        .node
        .edit_interface(InterfaceEdit::Delete { name })
        .await
        .map_err(core_error)?;
    Ok(Json(
        json!({ "message": "Interface has been deleted", "applied_live": live }),
    ))
}

/// The chosen interfaces (`selected_interface_names`, default all) as
/// config text, a download as the reference serves it.
async fn export(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let body = object(&body)?;
    let names: Vec<String> = match body.get("selected_interface_names") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::BadRequest,
                    "selected_interface_names must be strings",
                )
            })?,
        Some(_) => {
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "selected_interface_names must be a list",
            ));
        }
    };
    let text = state.node.export_interfaces(&names).map_err(core_error)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=meshchat_interfaces",
            ),
        ],
        text,
    )
        .into_response())
}

/// Adds the interfaces of exported config text: `{"config": text}`.
async fn import(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = object(&body)?;
    let Some(Value::String(text)) = body.get("config") else {
        return Err(unprocessable("config is required"));
    };
    let (names, live) = state
        .node
        .import_interfaces(text)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({
        "message": "Interfaces imported",
        "imported": names,
        "applied_live": live,
    })))
}

/// The reference's numeric interface modes.
fn mode_number(m: InterfaceModeSetting) -> u8 {
    match m {
        InterfaceModeSetting::PointToPoint => 0x04,
        InterfaceModeSetting::AccessPoint => 0x08,
        InterfaceModeSetting::Roaming => 0x10,
        InterfaceModeSetting::Boundary => 0x20,
        InterfaceModeSetting::Gateway => 0x40,
        _ => 0x01,
    }
}

fn mode_name(m: InterfaceModeSetting) -> &'static str {
    match m {
        InterfaceModeSetting::PointToPoint => "Point-to-Point",
        InterfaceModeSetting::AccessPoint => "Access Point",
        InterfaceModeSetting::Roaming => "Roaming",
        InterfaceModeSetting::Boundary => "Boundary",
        InterfaceModeSetting::Gateway => "Gateway",
        _ => "Full",
    }
}

fn long_name(i: &InterfaceRuntime) -> String {
    format!("{}[{}]", i.kind, i.name)
}

async fn stats(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let net = ready(&state.node)?
        .network_status()
        .await
        .map_err(core_error)?;
    let (mut rxb, mut txb) = (0, 0);
    let rows: Vec<Value> = net
        .interfaces
        .iter()
        .map(|i| {
            rxb += i.rx_bytes;
            txb += i.tx_bytes;
            json!({
                "name": long_name(i),
                "short_name": i.name,
                "interface_name": i.name,
                "type": i.kind,
                "status": i.online,
                "mode": mode_number(i.mode),
                "bitrate": i.bitrate,
                "mtu": i.hw_mtu,
                "clients": i.clients,
                "rxb": i.rx_bytes,
                "txb": i.tx_bytes,
                "rx_packets": i.rx_packets,
                "tx_packets": i.tx_packets,
                "txdrp": i.dropped,
            })
        })
        .collect();
    Ok(Json(json!({
        "interface_stats": {
            "interfaces": rows,
            "rxb": rxb,
            "txb": txb,
            "transport_id": net.transport_id,
            "transport_enabled": net.transport_enabled,
            "path_count": net.paths,
            "link_count": net.links,
        }
    })))
}

/// Bytes as rnstatus prints them.
fn size_str(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

fn bitrate_str(bps: u64) -> String {
    const UNITS: [&str; 4] = ["bps", "kbps", "Mbps", "Gbps"];
    let mut v = bps as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.2} {}", UNITS[u])
}

async fn rnstatus(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let net = ready(&state.node)?
        .network_status()
        .await
        .map_err(core_error)?;
    let (mut rx, mut tx) = (0, 0);
    let rows: Vec<Value> = net
        .interfaces
        .iter()
        .map(|i| {
            rx += i.rx_bytes;
            tx += i.tx_bytes;
            json!({
                "name": long_name(i),
                "short_name": i.name,
                "type": i.kind,
                "status": if i.online { "Up" } else { "Down" },
                "mode": mode_name(i.mode),
                "bitrate": bitrate_str(i.bitrate),
                "rx_bytes": i.rx_bytes,
                "rx_bytes_str": size_str(i.rx_bytes),
                "tx_bytes": i.tx_bytes,
                "tx_bytes_str": size_str(i.tx_bytes),
                "clients": i.clients,
            })
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    Ok(Json(json!({
        "interfaces": rows,
        "link_count": net.links,
        "timestamp": now,
        "transport_id": net.transport_id,
        "totals": {
            "rx_bytes": rx,
            "rx_bytes_str": size_str(rx),
            "tx_bytes": tx,
            "tx_bytes_str": size_str(tx),
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates_read_as_rnstatus_prints_them() {
        assert_eq!(size_str(0), "0 B");
        assert_eq!(size_str(619), "619 B");
        assert_eq!(size_str(1500), "1.50 KB");
        assert_eq!(bitrate_str(10_000_000), "10.00 Mbps");
        assert_eq!(bitrate_str(0), "0.00 bps");
    }
}
