//! Announces, favourites, custom display names, blocked destinations, and
//! our display name (`PATCH /api/v1/config`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use meshchat_core::{AnnounceQuery, AutoAnnounceChange};
use serde_json::{Value, json};

use super::{
    Params, context, core_error, destination, json, json_body, ok_message, param_str, param_u32,
};
use crate::AppState;
use crate::api::config_json;
use crate::error::{ApiError, ErrorKind};

/// Longest display name (ours or a custom one) we store.
const MAX_NAME_CHARS: usize = 256;

/// `POST /api/v1/announce` → `{"message": "announcing"}`.
pub(crate) async fn announce(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    ctx.announce().await.map_err(core_error)?;
    Ok(ok_message("announcing"))
}

/// `GET /api/v1/announces?aspect=&identity_hash=&destination_hash=&search=&limit=&offset=`
/// → `{"announces": [...], "total_count": n}`, most recently heard first.
pub(crate) async fn announces(
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let query = AnnounceQuery {
        aspect: param_str(&p, "aspect"),
        identity_hash: param_str(&p, "identity_hash").map(|h| h.to_ascii_lowercase()),
        destination_hash: param_str(&p, "destination_hash").map(|h| h.to_ascii_lowercase()),
        search: param_str(&p, "search"),
        limit: param_u32(&p, "limit").unwrap_or(100),
        offset: param_u32(&p, "offset").unwrap_or(0),
    };
    let (list, total) = ctx.announces(query).await.map_err(core_error)?;
    let list: Vec<Value> = list.iter().map(json::announce).collect();
    Ok(Json(json!({ "announces": list, "total_count": total })))
}

/// `GET /api/v1/favourites?aspect=` → `{"favourites": [...]}`.
pub(crate) async fn favourites(
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let list = ctx
        .favourites(param_str(&p, "aspect"))
        .await
        .map_err(core_error)?;
    let list: Vec<Value> = list.iter().map(json::favourite).collect();
    Ok(Json(json!({ "favourites": list })))
}

/// A required, non-empty, bounded string in a body (422 as the reference
/// answers when missing; 400 when of the wrong type or too long).
fn name_field(body: &serde_json::Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Err(ApiError::new(
            ErrorKind::Unprocessable,
            format!("{key} is required"),
        )),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ApiError::new(
            ErrorKind::Unprocessable,
            format!("{key} is required"),
        )),
        Some(Value::String(s)) if s.chars().count() > MAX_NAME_CHARS => Err(ApiError::new(
            ErrorKind::BadRequest,
            format!("{key} is longer than {MAX_NAME_CHARS} characters"),
        )),
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(_) => Err(ApiError::new(
            ErrorKind::BadRequest,
            format!("{key} must be a string"),
        )),
    }
}

/// `POST /api/v1/favourites/add` `{"destination_hash", "display_name", "aspect"?}`.
pub(crate) async fn add_favourite(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let name = name_field(&body, "display_name")?;
    let dest = destination(
        body.get("destination_hash")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )?;
    let aspect = body
        .get("aspect")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .unwrap_or("lxmf.delivery")
        .to_owned();
    ctx.add_favourite(dest, name, aspect)
        .await
        .map_err(core_error)?;
    Ok(ok_message("Favourite has been added!"))
}

/// `DELETE /api/v1/favourites/{destination_hash}`.
pub(crate) async fn remove_favourite(
    State(state): State<AppState>,
    Path(dest): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    ctx.remove_favourite(destination(&dest)?)
        .await
        .map_err(core_error)?;
    Ok(ok_message("Favourite has been deleted!"))
}

/// `POST /api/v1/favourites/{destination_hash}/rename` `{"display_name"}`.
pub(crate) async fn rename_favourite(
    State(state): State<AppState>,
    Path(dest): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let dest = destination(&dest)?;
    let name = name_field(&json_body(&body)?, "display_name")?;
    if !ctx.rename_favourite(dest, name).await.map_err(core_error)? {
        return Err(ApiError::new(ErrorKind::NotFound, "Favourite not found"));
    }
    Ok(ok_message("Favourite has been renamed"))
}

/// `GET /api/v1/destination/{destination_hash}/custom-display-name`
/// → `{"custom_display_name": name | null}`.
pub(crate) async fn custom_display_name(
    State(state): State<AppState>,
    Path(dest): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let name = ctx
        .custom_display_name(destination(&dest)?)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({ "custom_display_name": name })))
}

/// `POST /api/v1/destination/{destination_hash}/custom-display-name/update`
/// `{"display_name": name | null}` (null or empty removes it).
pub(crate) async fn set_custom_display_name(
    State(state): State<AppState>,
    Path(dest): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let dest = destination(&dest)?;
    let body = json_body(&body)?;
    let name = match body.get("display_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(_) => Some(name_field(&body, "display_name")?),
    };
    let removed = name.is_none();
    ctx.set_custom_display_name(dest, name)
        .await
        .map_err(core_error)?;
    Ok(ok_message(if removed {
        "Custom display name has been removed"
    } else {
        "Custom display name has been updated"
    }))
}

/// `GET /api/v1/blocked-destinations` → `{"blocked_destinations": [...]}`.
pub(crate) async fn blocked(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let list = ctx.blocked().await.map_err(core_error)?;
    Ok(Json(
        json!({ "blocked_destinations": json::blocked(&list) }),
    ))
}

/// `POST /api/v1/blocked-destinations` `{"destination_hash"}`.
pub(crate) async fn block(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let dest = destination(
        body.get("destination_hash")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )?;
    ctx.block(dest).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}

/// `DELETE /api/v1/blocked-destinations/{destination_hash}`.
pub(crate) async fn unblock(
    State(state): State<AppState>,
    Path(dest): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    ctx.unblock(destination(&dest)?).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}

/// `PATCH /api/v1/config` `{"display_name"?: string, ...}` → `{"config": {...}}`.
/// Backed: the display name, auto-announce, login on/off, the preferred
/// propagation node and its auto-sync interval, and the inbound stamp cost;
/// other keys are ignored.
pub(crate) async fn patch_config(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    context(&state.node)?;
    let body = json_body(&body)?;
    // Checked before anything is changed.
    let auto = auto_announce_change(&body)?;
    let stamp_cost = inbound_stamp_cost(&body)?;
    let sync_interval = match body.get("lxmf_preferred_propagation_node_auto_sync_interval_seconds")
    {
        None => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::new(
                ErrorKind::BadRequest,
                "lxmf_preferred_propagation_node_auto_sync_interval_seconds must be a whole number",
            )
        })?),
    };
    if let Some(v) = body.get("auth_enabled") {
        set_auth_enabled(&state, v).await?;
    }
    if auto != AutoAnnounceChange::default() {
        let ctx = context(&state.node)?;
        ctx.set_auto_announce(auto).await.map_err(core_error)?;
    }
    if let Some(cost) = stamp_cost {
        state
            .node
            .set_inbound_stamp_cost(cost)
            .await
            .map_err(core_error)?;
    }
    if let Some(v) = body.get("lxmf_preferred_propagation_node_destination_hash") {
        crate::network::select_propagation_node(&state, v).await?;
    }
    if let Some(seconds) = sync_interval {
        let ctx = context(&state.node)?;
        ctx.set_auto_sync_interval(seconds)
            .await
            .map_err(core_error)?;
    }
    if body.contains_key("display_name") {
        let name = name_field(&body, "display_name")?;
        state
            .node
            .set_display_name(name)
            .await
            .map_err(core_error)?;
    }
    Ok(Json(json!({ "config": config_json(&state) })))
}

/// `lxmf_inbound_stamp_cost` in `PATCH /api/v1/config`: a whole number 0
/// (none) to 254; anything else is 400.
fn inbound_stamp_cost(body: &serde_json::Map<String, Value>) -> Result<Option<u8>, ApiError> {
    let Some(v) = body.get("lxmf_inbound_stamp_cost") else {
        return Ok(None);
    };
    v.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .filter(|n| *n <= meshchat_core::MAX_INBOUND_STAMP_COST)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::BadRequest,
                format!(
                    "lxmf_inbound_stamp_cost must be a whole number from 0 to {}",
                    meshchat_core::MAX_INBOUND_STAMP_COST
                ),
            )
        })
}

/// `auto_announce_enabled` (true or false) and
/// `auto_announce_interval_seconds` (whole seconds; under a minute is a
/// minute, zero or less turns it off, as the reference does) in
/// `PATCH /api/v1/config`. Where the reference ignores a value of the wrong
/// type, this answers 400.
fn auto_announce_change(
    body: &serde_json::Map<String, Value>,
) -> Result<AutoAnnounceChange, ApiError> {
    let bad = |m: &str| ApiError::new(ErrorKind::BadRequest, m);
    let enabled = match body.get("auto_announce_enabled") {
        None => None,
        Some(v) => Some(
            v.as_bool()
                .ok_or_else(|| bad("auto_announce_enabled must be true or false"))?,
        ),
    };
    let interval_seconds = match body.get("auto_announce_interval_seconds") {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| bad("auto_announce_interval_seconds must be a whole number"))?,
        ),
    };
    Ok(AutoAnnounceChange {
        enabled,
        interval_seconds,
    })
}

/// `auth_enabled` in `PATCH /api/v1/config`, as the reference takes it.
/// Either way every session is logged out (the epoch moves), so turning it
/// on asks this browser to log in (or set the password) at once.
async fn set_auth_enabled(state: &AppState, v: &Value) -> Result<(), ApiError> {
    let Some(on) = v.as_bool() else {
        return Err(ApiError::new(
            ErrorKind::BadRequest,
            "auth_enabled must be true or false",
        ));
    };
    if !on && state.auth.forced() {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "Login was turned on with --auth (or MESHCHAT_AUTH) and stays on",
        ));
    }
    if state.auth.settings().enabled == on {
        return Ok(());
    }
    let ctx = context(&state.node)?;
    let settings = ctx.set_auth_enabled(on).await.map_err(core_error)?;
    state.auth.set_settings(settings);
    Ok(())
}
