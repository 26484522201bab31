//! `POST /api/v1/lxmf-messages/reactions`, with the reference 4.10.7's body
//! and answer (observed; docs/interop.md, "Reactions").

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use meshchat_core::CoreError;
use meshchat_core::reactions::{self, EmojiError};
use serde_json::{Value, json};

use super::{context, core_error, json, json_body};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};

/// The reference's answer to a missing or empty member.
const REQUIRED: &str = "destination_hash, target_message_hash, and emoji are required";

/// `{"destination_hash", "target_message_hash", "emoji"}` →
/// `{"lxmf_message": {...}}`: the reaction's own stored row. 422 for a
/// missing or empty member (as the reference), 400 for a wrong type, a
/// malformed hash, an emoji over 16 characters or a peer never announced,
/// 404 for a target that is not a message of that conversation. (The
/// reference sends reactions to unknown targets and long emoji too, and
/// answers 503 for wrong types: we refuse what its receiver would not show
/// as sent.)
pub(crate) async fn react(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state.node)?;
    let body = json_body(&body)?;
    let text = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Err(ApiError::new(ErrorKind::Unprocessable, REQUIRED)),
        Some(Value::String(s)) if s.is_empty() => {
            Err(ApiError::new(ErrorKind::Unprocessable, REQUIRED))
        }
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(ApiError::new(
            ErrorKind::BadRequest,
            format!("{key} must be a string"),
        )),
    };
    let (destination, target, emoji) = (
        text("destination_hash")?,
        text("target_message_hash")?,
        text("emoji")?,
    );
    let destination = meshchat_core::parse_destination_hash(destination)
        .map_err(|_| ApiError::new(ErrorKind::BadRequest, "Invalid destination hash."))?;
    let emoji = reactions::checked_emoji(emoji).map_err(|e| match e {
        EmojiError::Empty => ApiError::new(ErrorKind::Unprocessable, REQUIRED),
        EmojiError::TooLong => ApiError::new(
            ErrorKind::BadRequest,
            format!(
                "emoji must be at most {} characters",
                reactions::MAX_REACTION_CHARS
            ),
        ),
    })?;
    let sent = ctx
        .react(destination, target.to_owned(), &emoji)
        .await
        .map_err(|e| match e {
            e @ (CoreError::Router(_) | CoreError::UnknownRecipient) => {
                ApiError::new(ErrorKind::SendFailed, e.to_string())
            }
            e => core_error(e),
        })?;
    Ok(Json(json!({ "lxmf_message": json::message(&sent) })))
}
