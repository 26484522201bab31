//! The identity routes with the reference's paths and JSON shapes (observed
//! from a running reference 4.10.7): list, create, switch, delete, export
//! (one as a file or base32, all as a zip) and restore (file or base32).
//! Handlers only call `meshchat-core`'s [`Node`]; every identity stays
//! online, so a switch is immediate (`hotswapped: true`) and loses nothing.
//! The zip writer and the multipart reader live in `identities/`.

mod multipart;
mod transfer;
mod zip;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use meshchat_core::{CoreError, IdentityHash, IdentitySummary, Node, Stage};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::routes::Routes;

/// The routes of this module.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/identities", list)
        .post("/api/v1/identities/create", create)
        .post("/api/v1/identities/export-all", export_all)
        .post("/api/v1/identities/import", import)
        .post("/api/v1/identity/export", export_data)
        .post("/api/v1/identities/switch", switch)
        .delete("/api/v1/identities/{identity_hash}", remove)
        .patch("/api/v1/identities/{identity_hash}", rename)
        .post("/api/v1/identity/backup/base32", backup_base32)
        .post("/api/v1/identity/backup/download", backup_download)
        .post("/api/v1/identity/restore", restore)
        .get(
            "/api/v1/identity/{identity_hash}/lxmf-address",
            lxmf_address,
        )
}

/// `GET /api/v1/identities` → `{"identities": [...]}`, the active one first.
async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = ready(&state.node)?.identities().await.map_err(core_error)?;
    let list: Vec<Value> = list.iter().map(identity_json).collect();
    Ok(Json(json!({ "identities": list })))
}

fn identity_json(s: &IdentitySummary) -> Value {
    let mut v = json!({
        "hash": s.identity_hash.to_string(),
        "display_name": s.display_name,
        "icon_name": null,
        "icon_foreground_colour": null,
        "icon_background_colour": null,
        "lxmf_address": s.lxmf_delivery.to_string(),
        "lxst_address": null,
        "is_current": s.is_active,
    });
    if let Some(n) = s.message_count {
        v["message_count"] = json!(n);
    }
    v
}

/// `POST /api/v1/identities/create {display_name?}`.
async fn create(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let body = json_object(&body)?;
    let name = match body.get("display_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("display_name must be a string")),
    };
    let created = node.create_identity(name).await.map_err(core_error)?;
    Ok(Json(json!({
        "message": "Identity created successfully",
        "identity": { "hash": created.identity_hash.to_string(), "display_name": created.display_name },
    })))
}

/// `POST /api/v1/identities/switch {identity_hash, keep_alive?}`. Every
/// identity stays online anyway, so `keep_alive` only has to be a boolean.
async fn switch(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let body = json_object(&body)?;
    if !matches!(
        body.get("keep_alive"),
        None | Some(Value::Null | Value::Bool(_))
    ) {
        return Err(bad("keep_alive must be a boolean"));
    }
    let hash = match body.get("identity_hash") {
        Some(Value::String(s)) => identity_hash(s)?,
        _ => return Err(bad("Invalid identity hash")),
    };
    let now = node.switch_identity(hash).await.map_err(core_error)?;
    let requires_reauth = adopt_login_settings(&state).await?;
    Ok(Json(json!({
        "message": "Identity switched successfully.",
        "hotswapped": true,
        "identity_hash": now.identity_hash.to_string(),
        "display_name": now.display_name,
        "requires_reauth": requires_reauth,
    })))
}

/// After a switch the new identity's login settings take over (each
/// identity keeps its own, as in the reference), `--auth` holding login on
/// for it too, and every session ends: sessions belong to the identity they
/// logged in to. Returns whether logging in is needed now.
async fn adopt_login_settings(state: &AppState) -> Result<bool, ApiError> {
    let was_on = state.auth.settings().enabled;
    let context = state.node.context().map_err(core_error)?;
    let mut settings = context.auth_settings().await.map_err(core_error)?;
    if state.auth.forced() && !settings.enabled {
        settings = context.set_auth_enabled(true).await.map_err(core_error)?;
    }
    let now_on = settings.enabled;
    state.auth.set_settings(settings);
    state.auth.revoke_all();
    Ok(was_on || now_on)
}

/// `DELETE /api/v1/identities/{identity_hash}`; the active one is 409.
async fn remove(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let hash = identity_hash(&hash)?;
    node.delete_identity(hash).await.map_err(core_error)?;
    Ok(Json(json!({ "message": "Identity deleted successfully" })))
}

/// `PATCH /api/v1/identities/{identity_hash} {"display_name"}` renames any
/// identity held (ours; the reference renames only the active one, through
/// the config) → `{"message", "identity": {"hash", "display_name"}}`.
async fn rename(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let hash = identity_hash(&hash)?;
    let body = json_object(&body)?;
    let name = match body.get("display_name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(bad("display_name is required"));
        }
        Some(_) => return Err(bad("display_name must be a string")),
    };
    if name.len() > meshchat_core::MAX_DISPLAY_NAME_BYTES {
        return Err(bad("display_name is too long"));
    }
    node.rename_identity(hash, name.clone())
        .await
        .map_err(core_error)?;
    Ok(Json(json!({
        "message": "Identity renamed",
        "identity": { "hash": hash.to_string(), "display_name": name },
    })))
}

/// `POST /api/v1/identity/backup/base32` → `{"identity_base32": ...}`
/// (RFC 4648 with padding, as the reference writes it).
async fn backup_base32(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let key = ready(&state.node)?.export_identity().map_err(core_error)?;
    let text = data_encoding::BASE32.encode(key.as_ref());
    Ok(Json(json!({ "identity_base32": text })))
}

/// `POST /api/v1/identity/backup/download` → the 64 key bytes as
/// `identity.bin`.
async fn backup_download(State(state): State<AppState>) -> Result<Response, ApiError> {
    let key = ready(&state.node)?.export_identity().map_err(core_error)?;
    Ok(attachment(
        "application/octet-stream",
        "identity.bin",
        key.to_vec(),
    ))
}

/// `POST /api/v1/identities/export-all` → `identities_export.zip` with one
/// `identity_<hash>` file of 64 key bytes per identity.
async fn export_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    let all = ready(&state.node)?
        .export_all_identities()
        .map_err(core_error)?;
    let mut archive = zip::Writer::default();
    for (hash, key) in &all {
        archive.add(&format!("identity_{hash}"), key.as_ref());
    }
    Ok(attachment(
        "application/zip",
        "identities_export.zip",
        archive.finish(),
    ))
}

/// The largest archive `POST /api/v1/identities/import` takes (it streams
/// to disk, so this bounds disk use, not memory).
pub const IMPORT_MAX_BODY_BYTES: u64 = 1 << 30;

/// `POST /api/v1/identity/export` → all of the active identity's data (its
/// key, database and metadata) as `meshchatx-<hash>.zip`, the archive a
/// backup is, made fresh and streamed. The key is in it: keep it private.
async fn export_data(State(state): State<AppState>) -> Result<Response, ApiError> {
    let node = ready(&state.node)?;
    let ctx = node.context().map_err(core_error)?;
    let hash = ctx.identity_hash();
    let archive = ctx.export_archive().await.map_err(core_error)?;
    let file = tokio::fs::File::open(&archive.path).await;
    // Unlinked at once: the open file is all the download needs, and
    // nothing is left behind if the client goes away.
    let _ = tokio::fs::remove_file(&archive.path).await;
    let file = file.map_err(|e| ApiError::new(ErrorKind::Internal, format!("export: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_LENGTH, archive.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"meshchatx-{hash}.zip\""),
            ),
        ],
        transfer::file_body(file),
    )
        .into_response())
}

/// `POST /api/v1/identities/import` with a backup archive as the body
/// (`application/zip`, as `/api/v1/identity/export` or a backup writes it)
/// → `{"message", "identity": {"hash", "display_name", "message_count"}}`.
/// All of its data comes in as a new identity, online at once, not active;
/// one already held is 409, a bad archive 400, and nothing is left behind.
async fn import(
    State(state): State<AppState>,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let upload = node.import_upload_path().map_err(core_error)?;
    transfer::save_upload(body, &upload, IMPORT_MAX_BODY_BYTES).await?;
    let imported = node.import_identity(upload.clone()).await;
    let _ = tokio::fs::remove_file(&upload).await;
    let imported = imported.map_err(core_error)?;
    Ok(Json(json!({
        "message": "Identity imported with all its data. It is online now; switch to it to use it.",
        "identity": {
            "hash": imported.identity_hash.to_string(),
            "display_name": imported.display_name,
            "message_count": imported.message_count,
        },
    })))
}

/// `POST /api/v1/identity/restore`: a JSON body `{"base32": ...}`, or a
/// multipart form with the key file in `file` (as the reference's page
/// sends it), or the raw 64 bytes as `application/octet-stream`. The
/// identity comes online at once, beside the others; it does not become
/// active.
async fn restore(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    // Only the media type is case-insensitive; the boundary is not.
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.to_ascii_lowercase();
    let key: Vec<u8> = if media_type.starts_with("multipart/form-data") {
        multipart::file_field(content_type, &body, "file")
            .ok_or_else(|| bad("file is required"))?
            .to_vec()
    } else if media_type.starts_with("application/octet-stream") {
        body.to_vec()
    } else {
        let body = json_object(&body)?;
        match body.get("base32") {
            Some(Value::String(s)) if !s.trim().is_empty() => decode_base32(s)?,
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(bad("base32 value is required"));
            }
            Some(_) => return Err(bad("base32 must be a string")),
        }
    };
    let restored = node.restore_identity(&key).await.map_err(core_error)?;
    Ok(Json(json!({
        "message": "Identity restored. It is online now; switch to it to use it.",
        "identity": { "hash": restored.identity_hash.to_string(), "display_name": restored.display_name },
    })))
}

/// `GET /api/v1/identity/{identity_hash}/lxmf-address` →
/// `{"identity_hash", "lxmf_address"}` for one of ours or one heard announcing.
async fn lxmf_address(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let hash = identity_hash(&hash).map_err(|_| bad("invalid identity hash"))?;
    let dest = node.lxmf_address(hash).await.map_err(core_error)?;
    Ok(Json(json!({
        "identity_hash": hash.to_string(),
        "lxmf_address": dest.to_string(),
    })))
}

/// Base32 of 64 key bytes: any case, padding optional, spaces ignored.
fn decode_base32(text: &str) -> Result<Vec<u8>, ApiError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(cleaned.as_bytes())
        .map_err(|_| bad("Invalid base32 identity"))
}

fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The node once it is ready; 503 `starting` before, as the reference.
fn ready(node: &Node) -> Result<&Node, ApiError> {
    match node.status().stage {
        Stage::Ready => Ok(node),
        stage => Err(ApiError::new(
            ErrorKind::Starting,
            format!("MeshChatX is starting ({stage})"),
        )),
    }
}

/// A JSON object body (empty counts as `{}`); anything else is 400.
fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad("invalid request body")),
    }
}

fn identity_hash(s: &str) -> Result<IdentityHash, ApiError> {
    meshchat_core::parse_identity_hash(s).map_err(|_| bad("Invalid identity hash"))
}

fn bad(message: &str) -> ApiError {
    ApiError::new(ErrorKind::BadRequest, message)
}

/// The core's error kinds to ours; the text, never a trace.
fn core_error(e: CoreError) -> ApiError {
    let kind = match &e {
        CoreError::NotReady => ErrorKind::Starting,
        CoreError::InvalidInput(_) => ErrorKind::BadRequest,
        CoreError::NotFound(_) => ErrorKind::NotFound,
        CoreError::Conflict(_) => ErrorKind::Conflict,
        CoreError::Busy => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    };
    ApiError::new(kind, e.to_string())
}
