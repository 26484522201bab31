//! The one place where an error kind becomes a status code and the JSON body
//! `{"error": msg, "code": machine_code, "message": msg}` (the reference adds
//! `message`, equal to `error`; its frontend reads either).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The small set of things that go wrong, as the client needs to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    NotFound,
    InvalidInput,
    /// A body or parameter the reference answers `bad_request` for.
    BadRequest,
    /// A message the router would not take.
    SendFailed,
    /// A well-formed body missing something (the reference's 422 `http_422`).
    Unprocessable,
    Unauthorized,
    Forbidden,
    /// A mutating request without the session's CSRF token.
    CsrfInvalid,
    /// Too many login attempts from one address this minute.
    RateLimited,
    /// Too many wrong passwords from one address lately.
    LockedOut,
    Conflict,
    PayloadTooLarge,
    /// The node is still starting (or failed to): retry later.
    Starting,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::InvalidInput | ErrorKind::BadRequest | ErrorKind::SendFailed => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden | ErrorKind::CsrfInvalid => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited | ErrorKind::LockedOut => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Starting | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `code`; the reference's names where it has one.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::SendFailed => "send_failed",
            ErrorKind::Unprocessable => "http_422",
            ErrorKind::Unauthorized => "auth_required",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::CsrfInvalid => "csrf_invalid",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::LockedOut => "lockout",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::Starting => "starting",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal_error",
        }
    }
}

/// An error a handler returns; rendered by [`IntoResponse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.message,
            "code": self.kind.code(),
            "message": self.message,
        });
        (self.kind.status(), Json(body)).into_response()
    }
}
