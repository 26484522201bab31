//! The login routes, with the reference's paths, messages and JSON:
//! `GET /api/v1/auth/status`, `GET /api/v1/auth/csrf`, `POST
//! /api/v1/auth/{setup,login,logout}`, plus ours, `POST
//! /api/v1/auth/change-password`; `GET /api/v1/app/sessions` and `GET
//! /api/v1/debug/access-attempts`. Setup, login and password change are
//! "attempts": one at a time, checked against the login limits first and
//! recorded with their outcome whatever it is.

use std::collections::HashMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{Request, header};
use axum::response::{IntoResponse, Response};
use meshchat_core::auth::{
    Gate, LOGIN_LIMITS, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, hash_password, verify_password,
};
use meshchat_core::{AccessAttempt, CoreError, IdentityContext};
use serde_json::{Value, json};

use super::sessions::unix_now;
use super::{Client, RequestSession, clear_cookie, set_cookie};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::routes::Routes;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/auth/status", status)
        .get("/api/v1/auth/csrf", csrf)
        .post("/api/v1/auth/setup", setup)
        .post("/api/v1/auth/login", login)
        .post("/api/v1/auth/logout", logout)
        .post("/api/v1/auth/change-password", change_password)
        .get("/api/v1/app/sessions", app_sessions)
        .get("/api/v1/debug/access-attempts", access_attempts)
}

fn session_of(req: &Request<Body>) -> Option<RequestSession> {
    req.extensions().get::<RequestSession>().cloned()
}

/// `GET /api/v1/auth/status`: answers before start-up is done too.
async fn status(State(state): State<AppState>, req: Request<Body>) -> Json<Value> {
    let settings = state.auth.settings();
    let authenticated = session_of(&req).is_some_and(|s| s.authenticated);
    Json(json!({
        "auth_enabled": settings.enabled,
        "password_set": settings.password_set(),
        "authenticated": authenticated,
        "network_ready": state.node.status().is_ready(),
        "demo_mode": false,
        "auth_page_hint": null,
        "oidc_enabled": false,
        "oidc_display_name": null,
    }))
}

/// `GET /api/v1/auth/csrf`: the session's token; a new (anonymous) session
/// when the request came without one.
async fn csrf(State(state): State<AppState>, req: Request<Body>) -> Response {
    if let Some(s) = session_of(&req) {
        return Json(json!({ "csrf_token": s.csrf })).into_response();
    }
    let (session, cookie) = state.auth.mint();
    with_cookie(
        json!({ "csrf_token": session.csrf }),
        set_cookie(&cookie, state.server.https_enabled),
    )
}

fn with_cookie(body: Value, cookie: String) -> Response {
    ([(header::SET_COOKIE, cookie)], Json(body)).into_response()
}

/// One attempt in progress: who, where, and the identity it is for.
struct Attempt {
    ctx: IdentityContext,
    client: Client,
    path: String,
    method: String,
    body: Bytes,
}

impl Attempt {
    async fn begin(state: &AppState, req: Request<Body>) -> Result<Attempt, ApiError> {
        let ctx = crate::messaging::context(&state.node)?;
        let client = Client::of(&req);
        let path = req.uri().path().to_owned();
        let method = req.method().to_string();
        let body = axum::body::to_bytes(req.into_body(), crate::MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::new(ErrorKind::PayloadTooLarge, "Request body too large"))?;
        Ok(Attempt {
            ctx,
            client,
            path,
            method,
            body,
        })
    }

    async fn record(&self, outcome: &str, detail: &str) -> Result<(), ApiError> {
        self.ctx
            .record_access_attempt(AccessAttempt {
                created_at: unix_now(),
                client_ip: self.client.ip.clone(),
                user_agent: Some(self.client.user_agent.clone()),
                user_agent_hash: self.client.user_agent_hash.clone(),
                path: self.path.clone(),
                method: self.method.clone(),
                outcome: outcome.to_owned(),
                detail: Some(detail.to_owned()),
                ..Default::default()
            })
            .await
            .map_err(crate::messaging::core_error)
    }

    /// The login limits; a refused attempt is recorded as such.
    async fn gate(&self) -> Result<(), ApiError> {
        let gate = self
            .ctx
            .login_gate(
                self.client.ip.clone(),
                self.client.user_agent_hash.clone(),
                unix_now(),
            )
            .await
            .map_err(crate::messaging::core_error)?;
        match gate {
            Gate::Allowed => Ok(()),
            Gate::RateLimited => {
                self.record("rate_limited", "attempts").await?;
                Err(ApiError::new(
                    ErrorKind::RateLimited,
                    "Too many login attempts from this address. Try again later.",
                ))
            }
            Gate::LockedOut => {
                self.record("lockout", "failures").await?;
                Err(ApiError::new(
                    ErrorKind::LockedOut,
                    "Too many failed login attempts from this address. Try again later.",
                ))
            }
        }
    }

    /// A string field of the JSON body; a bad body is recorded as `invalid_json`.
    async fn field(&self, key: &str) -> Result<String, ApiError> {
        let value = serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get(key).and_then(Value::as_str).map(str::to_owned));
        match value {
            Some(v) => Ok(v),
            None => {
                self.record("invalid_json", key).await?;
                Err(ApiError::new(
                    ErrorKind::BadRequest,
                    format!("{key} is required"),
                ))
            }
        }
    }

    /// Checks `password` against the stored hash; a wrong one is recorded.
    async fn check(&self, state: &AppState, password: String) -> Result<(), ApiError> {
        let Some(hash) = state.auth.settings().password_hash else {
            self.record("no_password", "").await?;
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "No password has been set up yet",
            ));
        };
        let checked = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|_| ApiError::new(ErrorKind::Internal, "checking the password failed"))?;
        match checked {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.record("failed_password", "").await?;
                Err(ApiError::new(ErrorKind::Unauthorized, "Invalid password"))
            }
            Err(e @ CoreError::UnsupportedPasswordHash) => {
                self.record("unsupported_hash", "bcrypt").await?;
                Err(ApiError::new(ErrorKind::Conflict, e.to_string()))
            }
            Err(e) => Err(ApiError::new(ErrorKind::Internal, e.to_string())),
        }
    }

    /// A new password must be long enough (and not absurdly long).
    async fn acceptable(&self, password: &str) -> Result<(), ApiError> {
        let n = password.chars().count();
        if n < MIN_PASSWORD_LEN {
            self.record("weak_password", "").await?;
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                format!("Password must be at least {MIN_PASSWORD_LEN} characters long"),
            ));
        }
        if password.len() > MAX_PASSWORD_LEN {
            self.record("weak_password", "too_long").await?;
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                format!("Password must be at most {MAX_PASSWORD_LEN} bytes long"),
            ));
        }
        Ok(())
    }

    /// Stores a new password (which logs every session out) and logs this
    /// client in with a fresh session.
    async fn set_password_and_log_in(
        &self,
        state: &AppState,
        password: String,
        message: &str,
    ) -> Result<Response, ApiError> {
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| ApiError::new(ErrorKind::Internal, "hashing the password failed"))?
            .map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))?;
        let settings = self
            .ctx
            .set_password_hash(Some(hash))
            .await
            .map_err(crate::messaging::core_error)?;
        state.auth.set_settings(settings);
        self.succeed(state, message).await
    }

    async fn succeed(&self, state: &AppState, message: &str) -> Result<Response, ApiError> {
        self.record("success", "").await?;
        let now = unix_now();
        self.ctx
            .trust_client(
                self.client.ip.clone(),
                self.client.user_agent_hash.clone(),
                now,
            )
            .await
            .map_err(crate::messaging::core_error)?;
        let identity = self.ctx.identity_hash().to_string();
        let (_, cookie) = state.auth.login(identity, &self.client);
        Ok(with_cookie(
            json!({ "message": message }),
            set_cookie(&cookie, state.server.https_enabled),
        ))
    }
}

/// `POST /api/v1/auth/setup {"password"}`: the first password.
async fn setup(State(state): State<AppState>, req: Request<Body>) -> Result<Response, ApiError> {
    let attempt = Attempt::begin(&state, req).await?;
    let _one_at_a_time = state.auth.attempt_lock.lock().await;
    attempt.gate().await?;
    let password = attempt.field("password").await?;
    if state.auth.settings().password_set() {
        attempt.record("setup_already_done", "").await?;
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "Initial setup already completed",
        ));
    }
    attempt.acceptable(&password).await?;
    attempt
        .set_password_and_log_in(&state, password, "Setup completed successfully")
        .await
}

/// `POST /api/v1/auth/login {"password"}`.
async fn login(State(state): State<AppState>, req: Request<Body>) -> Result<Response, ApiError> {
    let attempt = Attempt::begin(&state, req).await?;
    let _one_at_a_time = state.auth.attempt_lock.lock().await;
    attempt.gate().await?;
    let password = attempt.field("password").await?;
    attempt.check(&state, password).await?;
    attempt.succeed(&state, "Login successful").await
}

/// `POST /api/v1/auth/change-password {"current_password", "new_password"}`
/// (ours; the reference has no way to change it). Logs every other session out.
async fn change_password(
    State(state): State<AppState>,
    req: Request<Body>,
) -> Result<Response, ApiError> {
    let attempt = Attempt::begin(&state, req).await?;
    let _one_at_a_time = state.auth.attempt_lock.lock().await;
    attempt.gate().await?;
    let current = attempt.field("current_password").await?;
    let new = attempt.field("new_password").await?;
    attempt.check(&state, current).await?;
    attempt.acceptable(&new).await?;
    attempt
        .set_password_and_log_in(&state, new, "Password changed")
        .await
}

/// `POST /api/v1/auth/logout`: this session ends; the cookie goes.
async fn logout(State(state): State<AppState>, req: Request<Body>) -> Response {
    if let Some(s) = session_of(&req) {
        state.auth.logout(&s.sid);
    }
    with_cookie(
        json!({ "message": "Logged out successfully" }),
        clear_cookie(state.server.https_enabled),
    )
}

/// `GET /api/v1/app/sessions`: the logged-in sessions of this identity.
/// Ids are a digest of the session id, never the id itself.
async fn app_sessions(State(state): State<AppState>, req: Request<Body>) -> Json<Value> {
    let identity = state.node.identity().identity_hash.to_string();
    let me = session_of(&req).map(|s| s.sid);
    let sessions: Vec<Value> = state
        .auth
        .list_sessions(&identity)
        .into_iter()
        .map(|(sid, e)| {
            let digest = meshchat_core::auth::user_agent_hash(&sid);
            json!({
                "id": &digest[..16],
                "client_ip": e.client_ip,
                "user_agent": e.user_agent,
                "created_at": e.created_at,
                "last_seen_at": e.last_seen_at,
                "current": me.as_deref() == Some(sid.as_str()),
            })
        })
        .collect();
    Json(json!({
        "count": sessions.len(),
        "warning": sessions.len() > 1,
        "warning_enabled": true,
        "sessions": sessions,
    }))
}

/// `GET /api/v1/debug/access-attempts?limit=&offset=`: newest first.
async fn access_attempts(
    State(state): State<AppState>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let ctx = crate::messaging::context(&state.node)?;
    let limit = p
        .get("limit")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let offset = p
        .get("offset")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let (list, total) = ctx
        .access_attempts(limit, offset)
        .await
        .map_err(crate::messaging::core_error)?;
    let attempts: Vec<Value> = list
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "created_at": a.created_at,
                "identity_hash": a.identity_hash,
                "client_ip": a.client_ip,
                "user_agent": a.user_agent,
                "path": a.path,
                "method": a.method,
                "outcome": a.outcome,
                "detail": a.detail.unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(json!({
        "attempts": attempts,
        "total": total,
        "limit": limit,
        "offset": offset,
        "limits": {
            "attempts_per_minute": LOGIN_LIMITS.per_window,
            "attempts_per_minute_trusted": LOGIN_LIMITS.per_window_trusted,
            "lockout_failures": LOGIN_LIMITS.max_failures,
            "lockout_window_seconds": LOGIN_LIMITS.failure_window_secs,
        },
    })))
}
