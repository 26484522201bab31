//! The embedded web UI: the files of `frontend/dist` (or a placeholder page
//! when the UI was not built), put into the binary by `build.rs`. Serves
//! them with their content type and caching (hashed `/assets/*` for a year,
//! `index.html` never cached), and `index.html` for client-side routes.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::api;

/// One embedded file.
#[derive(Debug)]
pub(crate) struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// Vite names everything under `/assets/` by content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Other files at the root (the favicon) may change between versions.
const REVALIDATE: &str = "no-cache";

/// Whether the built UI (not the placeholder page) is in this binary.
pub fn ui_built() -> bool {
    BUILT
}

pub(crate) fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .and_then(|i| ASSETS.get(i))
}

/// The router's fallback: API-looking paths get the JSON 404, `GET`/`HEAD`
/// of an embedded file gets the file, and any other path without a file
/// extension is a client-side route and gets `index.html`.
pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_api =
        path.starts_with("/api/") || path == "/api" || path == "/ws" || path.starts_with("/ws/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return api::not_found(uri).await.into_response();
    }
    if let Some(asset) = find(path).filter(|_| path != "/index.html") {
        let cache = if path.starts_with("/assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return respond(asset, cache);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if (path == "/index.html" || !last.contains('.'))
        && let Some(index) = find("/index.html")
    {
        return respond(index, "no-store");
    }
    api::not_found(uri).await.into_response()
}

fn respond(asset: &'static Asset, cache: &'static str) -> Response {
    let mut res = asset.bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}
