//! The middleware in front of every route: reads the session cookie, decides
//! whether the request needs a login (when login is on: all of `/api/` but
//! status and the login routes, and `/ws`; never the UI's files, so the
//! login page can load) and checks the CSRF token of every mutating request
//! (POST, PUT, PATCH, DELETE, on any path, with login on or off, as the
//! reference does: this is what stops another site's page from posting to
//! a local MeshChatX).

use axum::body::Body;
use axum::http::{Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{COOKIE_NAME, CSRF_HEADER, RequestSession, constant_time_eq};
use crate::AppState;
use crate::error::{ApiError, ErrorKind};

/// Paths that answer without a login.
const OPEN_PATHS: [&str; 6] = [
    "/api/v1/status",
    "/api/v1/auth/status",
    "/api/v1/auth/csrf",
    "/api/v1/auth/login",
    "/api/v1/auth/setup",
    "/api/v1/auth/logout",
];

pub(crate) fn needs_login(path: &str) -> bool {
    if OPEN_PATHS.contains(&path) {
        return false;
    }
    path == "/api" || path.starts_with("/api/") || path == "/ws" || path.starts_with("/ws/")
}

pub(crate) fn is_mutating(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

pub(crate) async fn guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let auth = &state.auth;
    let session = cookie_value(&req)
        .and_then(|v| auth.open_cookie(&v))
        .map(|(sid, csrf)| {
            let identity = state.node.identity().identity_hash.to_string();
            let authenticated = auth.is_logged_in(&sid, &identity);
            RequestSession {
                sid,
                csrf,
                authenticated,
            }
        });
    let logged_in = session.as_ref().is_some_and(|s| s.authenticated);
    if auth.settings().enabled && !logged_in && needs_login(req.uri().path()) {
        return ApiError::new(ErrorKind::Unauthorized, "Authentication required").into_response();
    }
    if is_mutating(req.method()) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        let ok = session
            .as_ref()
            .is_some_and(|s| !sent.is_empty() && constant_time_eq(&sent, s.csrf.as_bytes()));
        if !ok {
            return ApiError::new(ErrorKind::CsrfInvalid, "Invalid or missing CSRF token")
                .into_response();
        }
    }
    if let Some(session) = session {
        req.extensions_mut().insert(session);
    }
    next.run(req).await
}

/// Our cookie's value from the `Cookie` headers.
fn cookie_value(req: &Request<Body>) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}
