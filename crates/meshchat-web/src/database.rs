//! Database backups, snapshots, restore and health, and the self-test:
//! `/api/v1/database/*` and `/api/v1/self-test` with the reference's paths.
//! Handlers only call `meshchat-core` ([`meshchat_core::IdentityContext`]'s
//! maintenance methods and [`Node::self_test`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use meshchat_core::{BackupInfo, CheckResult, Health, Node, RestoreReport, RestoreSource};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::messaging::{context, core_error};
use crate::routes::Routes;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/database/backup", backup)
        .get("/api/v1/database/backups", backups)
        .delete("/api/v1/database/backups/{filename}", delete_backup)
        .post("/api/v1/database/snapshot", snapshot)
        .get("/api/v1/database/snapshots", snapshots)
        .delete("/api/v1/database/snapshots/{filename}", delete_snapshot)
        .post("/api/v1/database/restore", restore)
        .get("/api/v1/database/health", health)
        .get("/api/v1/self-test", self_test)
}

fn info_json(b: &BackupInfo) -> Value {
    json!({
        "name": b.name,
        "filename": b.name,
        "path": b.path.display().to_string(),
        "size": b.size,
        "created_at": b.created_at,
    })
}

fn bad(m: &str) -> ApiError {
    ApiError::new(ErrorKind::BadRequest, m)
}

fn body_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("invalid request body")),
    }
}

/// `POST /api/v1/database/backup` → `{"status":"success","backup":{...}}`.
async fn backup(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let b = context(&state.node)?.backup().await.map_err(core_error)?;
    Ok(Json(
        json!({"status": "success", "message": "Backup created", "backup": info_json(&b)}),
    ))
}

/// `GET /api/v1/database/backups` → `{"backups":[...]}`, newest first.
async fn backups(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = context(&state.node)?.backups().await.map_err(core_error)?;
    Ok(Json(
        json!({"backups": list.iter().map(info_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/database/snapshot` `{"name"?}` → `{"status":"success","snapshot":{...}}`.
async fn snapshot(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = body_object(&body)?;
    let name = match body.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(bad("name must be a string")),
    };
    let s = context(&state.node)?
        .snapshot(name)
        .await
        .map_err(core_error)?;
    Ok(Json(
        json!({"status": "success", "message": "Snapshot created", "snapshot": info_json(&s)}),
    ))
}

/// `GET /api/v1/database/snapshots` → `{"snapshots":[...]}`.
async fn snapshots(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list = context(&state.node)?
        .snapshots()
        .await
        .map_err(core_error)?;
    Ok(Json(
        json!({"snapshots": list.iter().map(info_json).collect::<Vec<_>>()}),
    ))
}

async fn delete_backup(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    delete(&state.node, false, name).await
}

async fn delete_snapshot(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    delete(&state.node, true, name).await
}

async fn delete(node: &Node, snapshot: bool, name: String) -> Result<Json<Value>, ApiError> {
    context(node)?
        .delete_archive(snapshot, name)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({"status": "success", "message": "Deleted"})))
}

/// `POST /api/v1/database/restore` with one of `{"backup": name}`,
/// `{"snapshot": name}` or `{"path": file}` → `{"status":"success",
/// "integrity_check":"ok", ...}`. Refused archives answer 400 and change nothing.
async fn restore(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let body = body_object(&body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let source = if let Some(n) = text("backup") {
        RestoreSource::Backup(n)
    } else if let Some(n) = text("snapshot") {
        RestoreSource::Snapshot(n)
    } else if let Some(p) = text("path") {
        let p = std::path::PathBuf::from(p);
        if !p.is_absolute() {
            return Err(bad("path must be absolute"));
        }
        RestoreSource::Path(p)
    } else {
        return Err(bad("name a backup, a snapshot or a path"));
    };
    let r: RestoreReport = context(&state.node)?
        .restore(source)
        .await
        .map_err(core_error)?;
    Ok(Json(json!({
        "status": "success",
        "message": "Database restored",
        "integrity_check": r.integrity_check,
        "restored_files": r.restored_files,
        "message_count": r.message_count,
        "safety_backup": r.safety_backup.as_ref().map(info_json),
    })))
}

/// `GET /api/v1/database/health`.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let h: Health = context(&state.node)?
        .database_health()
        .await
        .map_err(core_error)?;
    Ok(Json(json!({
        "status": if h.integrity_check == "ok" { "ok" } else { "error" },
        "database": {
            "integrity_check": h.integrity_check,
            "quick_check": h.quick_check,
            "page_size": h.page_size,
            "page_count": h.page_count,
            "freelist_count": h.freelist_count,
            "database_bytes": h.database_bytes,
            "wal_bytes": h.wal_bytes,
            "schema_version": h.schema_version,
            "message_count": h.message_count,
        }
    })))
}

/// `GET /api/v1/self-test` → `{"ok": bool, "checks": [{"name","ok","detail"}]}`.
async fn self_test(State(state): State<AppState>) -> Json<Value> {
    let checks: Vec<CheckResult> = state.node.self_test().await;
    let ok = checks.iter().all(|c| c.ok);
    Json(json!({
        "ok": ok,
        "status": if ok { "ok" } else { "failed" },
        "checks": checks.iter().map(|c| json!({"name": c.name, "ok": c.ok, "detail": c.detail})).collect::<Vec<_>>(),
    }))
}
