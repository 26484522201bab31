//! Pins, folders and the conversation list's bulk actions, with the
//! reference's paths and JSON (observed on 4.10.7). Where the reference
//! answers 200 to an unknown folder or a malformed hash, these say 404 or
//! 400.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use meshchat_core::{DestinationHash, Folder};
use serde_json::{Map, Value, json};

use super::{context, core_error, destination, json_body, ok_message};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};

fn bad(message: &str) -> ApiError {
    ApiError::new(ErrorKind::BadRequest, message)
}

/// A list of destination hashes under `key`, or 400 naming the key.
fn hashes(body: &Map<String, Value>, key: &str) -> Result<Vec<DestinationHash>, ApiError> {
    let Some(Value::Array(list)) = body.get(key) else {
        return Err(bad(&format!("{key} is required")));
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .ok_or_else(|| bad(&format!("{key} must be strings")))
        })
        .map(|s| s.and_then(destination))
        .collect()
}

fn folder_json(f: &Folder) -> Value {
    json!({ "id": f.id, "name": f.name, "created_at": f.created_at, "updated_at": f.updated_at })
}

/// `GET /api/v1/lxmf/conversation-pins` → `{"peer_hashes": [...]}`.
pub(crate) async fn pins(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let pins = context(&state.node)?.pins().await.map_err(core_error)?;
    Ok(Json(json!({ "peer_hashes": pins })))
}

/// `POST /api/v1/lxmf/conversation-pins/toggle {"destination_hash"}` →
/// `{"peer_hashes", "pinned"}`.
pub(crate) async fn toggle_pin(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let peer = match body.get("destination_hash") {
        Some(Value::String(s)) => destination(s)?,
        _ => return Err(bad("missing destination_hash")),
    };
    let pinned = ctx.toggle_pin(peer).await.map_err(core_error)?;
    let pins = ctx.pins().await.map_err(core_error)?;
    Ok(Json(json!({ "peer_hashes": pins, "pinned": pinned })))
}

/// `GET /api/v1/lxmf/folders` → `[{"id", "name", "created_at", "updated_at"}]`.
pub(crate) async fn folders(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = context(&state.node)?.folders().await.map_err(core_error)?;
    Ok(Json(Value::Array(list.iter().map(folder_json).collect())))
}

fn name(body: &Map<String, Value>) -> Result<&str, ApiError> {
    match body.get("name") {
        Some(Value::String(s)) => Ok(s),
        _ => Err(bad("Name is required")),
    }
}

/// `POST /api/v1/lxmf/folders {"name"}`; a taken name is 409.
pub(crate) async fn create_folder(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let id = ctx.create_folder(name(&body)?).await.map_err(core_error)?;
    Ok(Json(json!({ "message": "Folder created", "id": id })))
}

fn folder_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| bad("Invalid folder id"))
}

/// `PATCH /api/v1/lxmf/folders/{id} {"name"}`.
pub(crate) async fn rename_folder(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let id = folder_id(&id)?;
    let body = json_body(&body)?;
    ctx.rename_folder(id, name(&body)?)
        .await
        .map_err(core_error)?;
    Ok(ok_message("Folder renamed"))
}

/// `DELETE /api/v1/lxmf/folders/{id}`: its conversations leave it.
pub(crate) async fn delete_folder(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    ctx.delete_folder(folder_id(&id)?)
        .await
        .map_err(core_error)?;
    Ok(ok_message("Folder deleted"))
}

/// `POST /api/v1/lxmf/conversations/move-to-folder {"peer_hashes",
/// "folder_id"}` (`null`: out of any folder).
pub(crate) async fn move_to_folder(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let peers = hashes(&body, "peer_hashes")?;
    let folder = match body.get("folder_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| bad("folder_id must be a number or null"))?,
        ),
    };
    ctx.move_to_folder(&peers, folder)
        .await
        .map_err(core_error)?;
    Ok(ok_message("Conversations moved"))
}

/// `POST /api/v1/lxmf/conversations/bulk-mark-as-read {"destination_hashes"}`.
pub(crate) async fn bulk_mark_read(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let peers = hashes(&json_body(&body)?, "destination_hashes")?;
    ctx.mark_read_many(&peers).await.map_err(core_error)?;
    Ok(ok_message("Conversations marked as read"))
}

/// `POST /api/v1/lxmf/conversations/bulk-delete {"destination_hashes"}`.
pub(crate) async fn bulk_delete(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let peers = hashes(&json_body(&body)?, "destination_hashes")?;
    ctx.delete_conversations(&peers).await.map_err(core_error)?;
    Ok(ok_message("Conversations deleted"))
}
