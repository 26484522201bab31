//! What every request and response goes through: the reference's security
//! headers (CSP and friends), `Cache-Control` on the API, and the body cap.

use axum::body::Body;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorKind};

/// The largest request body a route accepts, but for the one route with its
/// own cap ([`body_cap`]).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The body cap of a request: [`crate::messaging::SEND_MAX_BODY_BYTES`] for
/// `POST /api/v1/lxmf-messages/send` (attachments in base64),
/// [`crate::identities::IMPORT_MAX_BODY_BYTES`] for an identity archive
/// (streamed to disk), 1 MiB for everything else.
pub fn body_cap(method: &axum::http::Method, path: &str) -> usize {
    if method == axum::http::Method::POST && path == "/api/v1/lxmf-messages/send" {
        crate::messaging::SEND_MAX_BODY_BYTES
    } else if method == axum::http::Method::POST && path == "/api/v1/identities/import" {
        crate::identities::IMPORT_MAX_BODY_BYTES as usize
    } else {
        MAX_BODY_BYTES
    }
}

/// The reference's default policy (observed), which its web UI is built for:
/// its map tiles, geocoder and the WebSocket on loopback.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https://*.tile.openstreetmap.org \
https://tile.openstreetmap.org https://*.cartocdn.com https://tiles.openfreemap.org \
https://*.openfreemap.org; font-src 'self' data: https://tiles.openfreemap.org \
https://*.openfreemap.org; connect-src 'self' ws://localhost:* wss://localhost:* \
ws://127.0.0.1:* wss://127.0.0.1:* blob: https://*.tile.openstreetmap.org \
https://tile.openstreetmap.org https://nominatim.openstreetmap.org https://*.cartocdn.com \
https://tiles.openfreemap.org https://*.openfreemap.org; media-src 'self' blob:; \
worker-src 'self' blob:; frame-src 'self'; object-src 'none'; base-uri 'self';";

const HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "microphone=(self), camera=(self), autoplay=(self)",
    ),
    ("content-security-policy", CSP),
];

/// Adds the security headers to every response, `no-store` to API ones,
/// and turns a bare 413 (from a body extractor's limit) into our JSON error.
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json(&res) {
        res = too_large(MAX_BODY_BYTES);
    }
    let headers = res.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Refuses a request whose declared body is over the cap before any handler
/// runs; bodies without a length are capped as they are read.
pub async fn cap_body(req: Request<Body>, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let cap = body_cap(req.method(), req.uri().path());
    match declared {
        Some(n) if n > cap as u64 => too_large(cap),
        _ => next.run(req).await,
    }
}

fn too_large(cap: usize) -> Response {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("Request body is larger than {cap} bytes"),
    )
    .into_response()
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
