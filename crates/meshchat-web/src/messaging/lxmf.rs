//! Sending LXMF messages and reading conversations:
//! `/api/v1/lxmf-messages/*` and `/api/v1/lxmf/conversations*`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meshchat_core::attachments::{AttachmentKind, StoredAttachment};
use meshchat_core::{ConversationQuery, Method, OutboundRequest};
use serde_json::{Value, json};

use super::attachments::{content_disposition, image_content_type, parse_fields};

use super::{
    Params, context, core_error, destination, json, json_body, ok_message, param_i64, param_str,
    param_u32,
};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};

/// Messages per conversation page when the client names no limit.
const DEFAULT_PAGE: u32 = 100;

/// The largest body `POST /api/v1/lxmf-messages/send` takes: the
/// attachment limit in base64 (4/3) plus room for the text and the JSON.
pub const SEND_MAX_BODY_BYTES: usize =
    meshchat_core::attachments::MAX_ATTACHMENT_BYTES / 3 * 4 + 1024 * 1024;

/// `POST /api/v1/lxmf-messages/send`:
/// `{"delivery_method"?: "direct"|"opportunistic"|"propagated",
///   "lxmf_message": {"destination_hash", "content", "title"?,
///     "reply_to_hash"?, "fields"?: {"file_attachments"?: [{"file_name",
///     "file_bytes" (base64)}], "image"?: {"image_type"?, "image_bytes"}}}}`
/// → `{"lxmf_message": {...}}`, stored before the answer. The body may be
/// up to [`SEND_MAX_BODY_BYTES`] (every other route: 1 MiB).
pub(crate) async fn send(
    State(state): State<AppState>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = axum::body::to_bytes(body, SEND_MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorKind::PayloadTooLarge,
                format!("Request body is larger than {SEND_MAX_BODY_BYTES} bytes"),
            )
        })?;
    let body = json_body(&body)?;
    let bad = |m: &str| ApiError::new(ErrorKind::BadRequest, m);
    let Some(Value::Object(msg)) = body.get("lxmf_message") else {
        return Err(bad("lxmf_message is required"));
    };
    let text = |key: &str| match msg.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(&format!("{key} must be a string"))),
    };
    let content = text("content")?;
    let title = text("title")?;
    let attachments = parse_fields(msg.get("fields"))?;
    let reply_to_hash = match msg.get("reply_to_hash") {
        None | Some(Value::Null) => None,
        Some(Value::String(h)) if h.is_empty() => None,
        Some(Value::String(h)) => Some(message_hash(h)?),
        Some(_) => return Err(bad("reply_to_hash must be a string")),
    };
    let hash = msg
        .get("destination_hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let destination_hash = meshchat_core::parse_destination_hash(hash)
        .map_err(|_| ApiError::new(ErrorKind::SendFailed, "Invalid destination hash."))?;
    // The reference sends anything it does not know as direct.
    let method = match body.get("delivery_method").and_then(Value::as_str) {
        Some("opportunistic") => Method::Opportunistic,
        Some("propagated") => Method::Propagated,
        _ => Method::Direct,
    };
    let sent = ctx
        .send(OutboundRequest {
            destination_hash,
            title,
            content,
            method,
            attachments,
            reply_to_hash,
        })
        .await
        .map_err(|e| match e {
            e @ (meshchat_core::CoreError::Router(_)
            | meshchat_core::CoreError::UnknownRecipient) => {
                ApiError::new(ErrorKind::SendFailed, e.to_string())
            }
            e => core_error(e),
        })?;
    Ok(Json(json!({ "lxmf_message": json::message(&sent) })))
}

/// `GET /api/v1/lxmf-messages/conversation/{destination_hash}`
/// `?limit=&before_id=&after_id=` → `{"lxmf_messages": [...]}`, newest first.
pub(crate) async fn conversation(
    State(state): State<AppState>,
    Path(peer): Path<String>,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    // The reference answers an empty list for a malformed hash.
    let Ok(peer) = meshchat_core::parse_destination_hash(&peer) else {
        return Ok(Json(json!({ "lxmf_messages": [] })));
    };
    let limit = param_u32(&p, "limit").unwrap_or(DEFAULT_PAGE);
    let rows = ctx
        .conversation_messages(
            peer,
            param_i64(&p, "before_id"),
            param_i64(&p, "after_id"),
            limit,
        )
        .await
        .map_err(core_error)?;
    let list: Vec<Value> = rows.iter().map(json::message).collect();
    Ok(Json(json!({ "lxmf_messages": list })))
}

/// `DELETE /api/v1/lxmf-messages/conversation/{destination_hash}`.
pub(crate) async fn delete_conversation(
    State(state): State<AppState>,
    Path(peer): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let peer = destination(&peer)?;
    ctx.delete_conversation(peer).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}

/// `DELETE /api/v1/lxmf-messages/{hash}`: `ok` whether or not it existed,
/// as the reference answers.
pub(crate) async fn delete_message(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let hash = message_hash(&hash)?;
    ctx.delete_message(hash).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}

/// `POST /api/v1/lxmf-messages/{hash}/cancel`.
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let hash = message_hash(&hash)?;
    ctx.cancel(hash).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}

/// `POST /api/v1/lxmf-messages/{hash}/resend` → `{"lxmf_message": {...}}`.
pub(crate) async fn resend(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let hash = message_hash(&hash)?;
    let row = ctx.resend(hash).await.map_err(|e| match e {
        e @ meshchat_core::CoreError::Router(_) => {
            ApiError::new(ErrorKind::SendFailed, e.to_string())
        }
        e => core_error(e),
    })?;
    Ok(Json(json!({ "lxmf_message": json::message(&row) })))
}

/// `GET /api/v1/lxmf-messages/attachment/{message_hash}/{attachment_type}`
/// `?file_index=`: a stored message's `image` (`Content-Type: image/<type>`)
/// or the `file` at `file_index` (`application/octet-stream` with a
/// `Content-Disposition` naming it), as the reference serves them. 404 for an
/// unknown message or attachment, 400 for a file index past the end. The
/// active identity's messages only: its context reads its own database.
pub(crate) async fn attachment(
    State(state): State<AppState>,
    Path((hash, kind)): Path<(String, String)>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let ctx = context(&state.node)?;
    let not_found = |m: &str| ApiError::new(ErrorKind::NotFound, m);
    let hash = message_hash(&hash).map_err(|_| not_found("Message not found"))?;
    let kind = match kind.as_str() {
        "image" => AttachmentKind::Image,
        "file" => match p.get("file_index").map(|v| v.trim().parse::<i64>()) {
            Some(Ok(i)) => AttachmentKind::File(
                usize::try_from(i)
                    .map_err(|_| ApiError::new(ErrorKind::BadRequest, "Invalid file index"))?,
            ),
            _ => return Err(not_found("Attachment not found")),
        },
        _ => return Err(not_found("Attachment not found")),
    };
    match ctx.attachment(hash, kind).await.map_err(core_error)? {
        StoredAttachment::Image { kind, data } => {
            Ok(([(header::CONTENT_TYPE, image_content_type(&kind))], data).into_response())
        }
        StoredAttachment::File { name, data } => Ok((
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (header::CONTENT_DISPOSITION, content_disposition(&name)),
            ],
            data,
        )
            .into_response()),
    }
}

fn message_hash(hash: &str) -> Result<String, ApiError> {
    let hash = hash.to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::new(ErrorKind::BadRequest, "Invalid message hash"));
    }
    Ok(hash)
}

/// `GET /api/v1/lxmf/conversations?search=&limit=&offset=&folder_id=&filter_unread=`
/// → `{"conversations": [...]}`, latest message first.
pub(crate) async fn conversations(
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let ctx = context(&state.node)?;
    let query = ConversationQuery {
        search: param_str(&p, "search"),
        folder_id: param_i64(&p, "folder_id"),
        unread_only: p
            .get("filter_unread")
            .is_some_and(|v| v == "true" || v == "1"),
        limit: param_u32(&p, "limit").unwrap_or(1000),
        offset: param_u32(&p, "offset").unwrap_or(0),
    };
    let list = ctx.conversations(query).await.map_err(core_error)?;
    let page = json::ConversationsJson {
        conversations: list.iter().map(json::conversation).collect(),
    };
    // Written straight out: the rows borrow from `list`.
    let body =
        serde_json::to_vec(&page).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `POST /api/v1/lxmf/conversations/{destination_hash}/mark-as-read`.
pub(crate) async fn mark_read(
    State(state): State<AppState>,
    Path(peer): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let peer = destination(&peer)?;
    ctx.mark_read(peer).await.map_err(core_error)?;
    Ok(ok_message("ok"))
}
