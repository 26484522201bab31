//! Propagation nodes (list, sync, stop, status) and notifications.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use meshchat_core::ConversationQuery;
use serde_json::{Value, json};

use super::{core_error, destination, object};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::messaging::context;
use crate::routes::Routes;

/// Notifications listed at most.
const MAX_NOTIFICATIONS: u32 = 200;
/// Hashes one mark-as-viewed may name.
const MAX_MARKED: usize = 1000;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/lxmf/propagation-nodes", nodes)
        .get("/api/v1/lxmf/propagation-node/status", status)
        .post("/api/v1/lxmf/propagation-node/sync", sync)
        .post("/api/v1/lxmf/propagation-node/stop-sync", stop_sync)
        .get("/api/v1/notifications", notifications)
        .post("/api/v1/notifications/mark-as-viewed", mark_viewed)
}

async fn nodes(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let preferred = ctx.preferred_propagation_node().await.map_err(core_error)?;
    let list: Vec<Value> = ctx
        .propagation_nodes()
        .await
        .map_err(core_error)?
        .into_iter()
        .map(|n| {
            json!({
                "destination_hash": n.destination.to_string(),
                "operator_display_name": n.name,
                "is_propagation_enabled": n.enabled,
                "per_transfer_limit": n.per_transfer_limit_kb,
                "is_local_node": false,
                "is_preferred": Some(n.destination) == preferred,
                "hops": n.hops,
                "updated_at": n.last_heard,
            })
        })
        .collect();
    Ok(Json(json!({ "lxmf_propagation_nodes": list })))
}

async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let preferred = ctx.preferred_propagation_node().await.map_err(core_error)?;
    let s = ctx.sync_status();
    Ok(Json(json!({
        "propagation_node_status": {
            "state": s.state,
            "progress": s.progress,
            "messages_received": s.messages_received,
            "failure": s.failure,
        },
        "lxmf_preferred_propagation_node_destination_hash": preferred.map(|p| p.to_string()),
    })))
}

async fn sync(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    ctx.start_sync().await.map_err(|e| match e {
        meshchat_core::CoreError::NotFound(m) => ApiError::new(ErrorKind::BadRequest, m),
        meshchat_core::CoreError::Conflict(m) => ApiError::new(ErrorKind::Conflict, m),
        e => core_error(e),
    })?;
    Ok(Json(json!({ "message": "Sync is starting" })))
}

async fn stop_sync(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    context(&state.node)?.stop_sync();
    Ok(Json(json!({ "message": "Sync is stopping" })))
}

/// Selects the propagation node from `PATCH /api/v1/config`
/// (`lxmf_preferred_propagation_node_destination_hash`: a hash, or null or
/// "" to clear).
pub(crate) async fn select_from_config(state: &AppState, v: &Value) -> Result<(), ApiError> {
    let node = match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(destination(s)?),
        _ => {
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "lxmf_preferred_propagation_node_destination_hash must be a hash",
            ));
        }
    };
    context(&state.node)?
        .select_propagation_node(node)
        .await
        .map_err(core_error)
}

/// Conversations with unread messages (listed with `?unread=true`, else
/// only counted, as the reference does).
async fn notifications(
    State(state): State<AppState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let unread = ctx
        .conversations(ConversationQuery {
            unread_only: true,
            limit: MAX_NOTIFICATIONS,
            ..ConversationQuery::default()
        })
        .await
        .map_err(core_error)?;
    let count: i64 = unread
        .iter()
        .map(|c| c.conversation.unread_count.max(0))
        .sum();
    let list = q.get("unread").is_some_and(|v| v == "true" || v == "1");
    let rows: Vec<Value> = if list {
        unread
            .iter()
            .map(|c| {
                json!({
                    "type": "lxmf_message",
                    "destination_hash": c.conversation.peer_hash,
                    "display_name": c.display_name,
                    "custom_display_name": c.conversation.custom_display_name,
                    "lxmf_user_icon": null,
                    "latest_message_preview": c.conversation.latest_preview,
                    "updated_at": c.conversation.latest_created_at,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Json(json!({
        "notifications": rows,
        "unread_count": unread.len(),
        "lxmf_total_unread_count": count,
    })))
}

/// Marks the conversations of `destination_hashes` as read.
async fn mark_viewed(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = object(&body)?;
    let hashes = match body.get("destination_hashes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= MAX_MARKED => a
            .iter()
            .map(|v| match v {
                Value::String(s) => destination(s),
                _ => Err(ApiError::new(
                    ErrorKind::BadRequest,
                    "invalid destination hash",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "destination_hashes must be a list of hashes",
            ));
        }
    };
    let ctx = context(&state.node)?;
    for h in hashes {
        ctx.mark_read(h).await.map_err(core_error)?;
    }
    Ok(Json(json!({ "message": "ok" })))
}
