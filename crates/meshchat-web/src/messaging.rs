//! The messaging API with the reference's paths and JSON shapes (observed
//! from a running reference 4.10.7): sending and reading LXMF messages and
//! conversations, announces, favourites, custom display names, blocked
//! destinations, and the display name in `PATCH /api/v1/config`. Handlers
//! only call `meshchat-core`'s [`IdentityContext`]; the JSON shapes live in
//! `messaging/json.rs`, the pushes over `/ws` in [`push_json`].

mod attachments;
mod contacts;
mod json;
mod lxmf;
mod organize;
mod reactions;

use std::collections::HashMap;

use axum::body::Bytes;
use meshchat_core::{CoreError, DestinationHash, IdentityContext, Node};
use serde_json::Value;

use crate::error::{ApiError, ErrorKind};
use crate::routes::Routes;

pub(crate) use contacts::patch_config;
pub(crate) use json::push_json;
pub use lxmf::SEND_MAX_BODY_BYTES;

/// The routes of this module (the config `PATCH` is added beside the `GET`).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/lxmf-messages/send", lxmf::send)
        .post("/api/v1/lxmf-messages/reactions", reactions::react)
        .get(
            "/api/v1/lxmf-messages/attachment/{message_hash}/{attachment_type}",
            lxmf::attachment,
        )
        .get(
            "/api/v1/lxmf-messages/conversation/{destination_hash}",
            lxmf::conversation,
        )
        .delete(
            "/api/v1/lxmf-messages/conversation/{destination_hash}",
            lxmf::delete_conversation,
        )
        .delete("/api/v1/lxmf-messages/{hash}", lxmf::delete_message)
        .post("/api/v1/lxmf-messages/{hash}/cancel", lxmf::cancel)
        .post("/api/v1/lxmf-messages/{hash}/resend", lxmf::resend)
        .get("/api/v1/lxmf/conversations", lxmf::conversations)
        .post(
            "/api/v1/lxmf/conversations/{destination_hash}/mark-as-read",
            lxmf::mark_read,
        )
        .get("/api/v1/lxmf/conversation-pins", organize::pins)
        .post(
            "/api/v1/lxmf/conversation-pins/toggle",
            organize::toggle_pin,
        )
        .get("/api/v1/lxmf/folders", organize::folders)
        .post("/api/v1/lxmf/folders", organize::create_folder)
        .patch("/api/v1/lxmf/folders/{id}", organize::rename_folder)
        .delete("/api/v1/lxmf/folders/{id}", organize::delete_folder)
        .post(
            "/api/v1/lxmf/conversations/move-to-folder",
            organize::move_to_folder,
        )
        .post(
            "/api/v1/lxmf/conversations/bulk-mark-as-read",
            organize::bulk_mark_read,
        )
        .post(
            "/api/v1/lxmf/conversations/bulk-delete",
            organize::bulk_delete,
        )
        .post("/api/v1/announce", contacts::announce)
        .get("/api/v1/announces", contacts::announces)
        .get("/api/v1/favourites", contacts::favourites)
        .post("/api/v1/favourites/add", contacts::add_favourite)
        .delete(
            "/api/v1/favourites/{destination_hash}",
            contacts::remove_favourite,
        )
        .post(
            "/api/v1/favourites/{destination_hash}/rename",
            contacts::rename_favourite,
        )
        .get(
            "/api/v1/destination/{destination_hash}/custom-display-name",
            contacts::custom_display_name,
        )
        .post(
            "/api/v1/destination/{destination_hash}/custom-display-name/update",
            contacts::set_custom_display_name,
        )
        .get("/api/v1/blocked-destinations", contacts::blocked)
        .post("/api/v1/blocked-destinations", contacts::block)
        .delete(
            "/api/v1/blocked-destinations/{destination_hash}",
            contacts::unblock,
        )
}

/// Query parameters, read leniently as the reference does (a bad number
/// falls back to the default instead of failing the request).
type Params = HashMap<String, String>;

fn param_u32(p: &Params, key: &str) -> Option<u32> {
    p.get(key).and_then(|v| v.trim().parse().ok())
}

fn param_i64(p: &Params, key: &str) -> Option<i64> {
    p.get(key).and_then(|v| v.trim().parse().ok())
}

fn param_str(p: &Params, key: &str) -> Option<String> {
    p.get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The identity's context, or 503 `starting` as the reference answers
/// while its identity context is not running.
pub(crate) fn context(node: &Node) -> Result<IdentityContext, ApiError> {
    node.context().map_err(|_| {
        let stage = node.status().stage;
        ApiError::new(
            ErrorKind::Starting,
            format!("MeshChatX is starting ({stage})"),
        )
    })
}

/// A JSON object body; anything else is 400 `bad_request`.
fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bad = || ApiError::new(ErrorKind::BadRequest, "invalid request body");
    if body.is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body).map_err(|_| bad())? {
        Value::Object(map) => Ok(map),
        _ => Err(bad()),
    }
}

/// A destination hash in a path or body, or 400 `bad_request`.
fn destination(s: &str) -> Result<DestinationHash, ApiError> {
    meshchat_core::parse_destination_hash(s)
        .map_err(|_| ApiError::new(ErrorKind::BadRequest, "Invalid destination hash"))
}

/// The core's error kinds to ours; the text, never a trace.
pub(crate) fn core_error(e: CoreError) -> ApiError {
    let kind = match &e {
        CoreError::NotReady => ErrorKind::Starting,
        CoreError::InvalidInput(_) => ErrorKind::BadRequest,
        CoreError::NotFound(_) => ErrorKind::NotFound,
        CoreError::Conflict(_) => ErrorKind::Conflict,
        CoreError::Busy => ErrorKind::Unavailable,
        CoreError::UnsupportedPasswordHash => ErrorKind::Conflict,
        _ => ErrorKind::Internal,
    };
    ApiError::new(kind, e.to_string())
}

/// `{"message": text}`, the reference's answer to most mutations.
fn ok_message(text: &str) -> axum::Json<Value> {
    axum::Json(serde_json::json!({ "message": text }))
}
