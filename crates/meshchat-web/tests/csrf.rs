//! The CSRF check and the login requirement, table-driven over the router's
//! own route list: a route added later is covered without being named here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use meshchat_core::auth::{AuthSettings, SessionKey};
use meshchat_core::{Node, NodeSettings};
use meshchat_web::{AppState, AuthConfig, ServerInfo, route_list, router};
use tower::ServiceExt;

const MUTATING: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

const OPEN: [&str; 6] = [
    "/api/v1/status",
    "/api/v1/auth/status",
    "/api/v1/auth/csrf",
    "/api/v1/auth/login",
    "/api/v1/auth/setup",
    "/api/v1/auth/logout",
];

fn app(auth: AuthConfig) -> Router {
    let node = Node::new(NodeSettings {
        reticulum_config_dir: "/nonexistent".into(),
        identity: rns_crypto::PrivateIdentity::generate(&mut rns_crypto::OsRng),
        display_name: None,
        storage_dir: None,
    })
    .unwrap();
    let server = ServerInfo {
        listen_host: "127.0.0.1".into(),
        listen_port: 8000,
        https_enabled: true,
        storage_path: "storage".into(),
    };
    router(AppState::with_auth(node, server, auth))
}

/// A concrete path for a route pattern: every `{param}` becomes a hash.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "0123456789abcdef0123456789abcdef"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Answer {
    status: StatusCode,
    code: String,
    set_cookie: Option<String>,
    body: serde_json::Value,
}

async fn send(
    app: &Router,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    token: Option<&str>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1:8000")
        .header("content-type", "application/json");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(t) = token {
        req = req.header("x-csrf-token", t);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from("{}")).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    Answer {
        status,
        code: body["code"].as_str().unwrap_or_default().to_owned(),
        set_cookie,
        body,
    }
}

/// A session: (the `Cookie` header value, its CSRF token).
async fn session(app: &Router) -> (String, String) {
    let a = send(app, Method::GET, "/api/v1/auth/csrf", None, None).await;
    assert_eq!(a.status, 200);
    let set = a.set_cookie.expect("a session cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Secure"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    (cookie, a.body["csrf_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn every_mutating_route_refuses_a_request_without_the_sessions_csrf_token() {
    let app = app(AuthConfig::ephemeral());
    let (cookie, token) = session(&app).await;
    let (other_cookie, other_token) = session(&app).await;
    assert_ne!(token, other_token);
    // The same cookie gives the same token back, and no new cookie.
    let again = send(&app, Method::GET, "/api/v1/auth/csrf", Some(&cookie), None).await;
    assert_eq!(again.body["csrf_token"], token.as_str());
    assert!(again.set_cookie.is_none());

    let routes = route_list();
    let mutating: Vec<_> = routes
        .iter()
        .filter(|(m, _)| MUTATING.contains(m))
        .collect();
    assert!(mutating.len() >= 15, "{routes:?}");
    for (method, pattern) in &mutating {
        let path = concrete(pattern);
        let refused = [
            (None, None),
            (Some(cookie.as_str()), None),
            (None, Some(token.as_str())),
            (Some(cookie.as_str()), Some("wrong")),
            (Some(cookie.as_str()), Some(other_token.as_str())),
            (Some(other_cookie.as_str()), Some(token.as_str())),
            (Some("mcx_session=forged"), Some(token.as_str())),
        ];
        for (c, t) in refused {
            let a = send(&app, method.clone(), &path, c, t).await;
            assert_eq!(a.status, 403, "{method} {pattern} cookie {c:?} token {t:?}");
            assert_eq!(a.code, "csrf_invalid", "{method} {pattern}");
        }
        // With both, the request reaches its handler.
        let a = send(&app, method.clone(), &path, Some(&cookie), Some(&token)).await;
        assert_ne!(a.code, "csrf_invalid", "{method} {pattern}");
        assert_ne!(a.status, 405, "{method} {pattern} is not routed");
    }
    // The list is what the router serves: a mutating method not listed for
    // a path is not routed there (so no route hides from the table).
    for (_, pattern) in &routes {
        for method in MUTATING {
            if routes.iter().any(|(m, p)| *m == method && p == pattern) {
                continue;
            }
            let path = concrete(pattern);
            let a = send(&app, method.clone(), &path, Some(&cookie), Some(&token)).await;
            assert!(
                a.status == 405 || a.status == 404,
                "{method} {pattern} answers {} but is not in the route list",
                a.status
            );
        }
    }
    // Paths without a route are guarded too.
    let a = send(&app, Method::POST, "/api/v1/not-yet-a-route", None, None).await;
    assert_eq!(a.code, "csrf_invalid");
    // Reads need no token.
    for (method, pattern) in routes.iter().filter(|(m, _)| *m == Method::GET) {
        let a = send(&app, method.clone(), &concrete(pattern), None, None).await;
        assert_ne!(a.code, "csrf_invalid", "{pattern}");
    }
}

#[tokio::test]
async fn with_login_on_the_api_and_ws_need_a_session_but_not_status_login_or_the_ui() {
    let app = app(AuthConfig {
        key: SessionKey::random(),
        settings: AuthSettings {
            enabled: true,
            password_hash: None,
            session_epoch: 1,
        },
        forced: false,
    });
    let (cookie, token) = session(&app).await;
    for (method, pattern) in route_list() {
        let path = concrete(pattern);
        // An anonymous session (a CSRF token but no login) is not enough.
        let a = send(&app, method.clone(), &path, Some(&cookie), Some(&token)).await;
        if OPEN.contains(&pattern) {
            assert_ne!(a.status, 401, "{method} {pattern}");
        } else {
            assert_eq!(a.status, 401, "{method} {pattern}");
            assert_eq!(a.code, "auth_required", "{method} {pattern}");
        }
    }
    let status = send(
        &app,
        Method::GET,
        "/api/v1/auth/status",
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(status.body["auth_enabled"], true);
    assert_eq!(status.body["password_set"], false);
    assert_eq!(status.body["authenticated"], false);
    for path in ["/", "/messages", "/index.html"] {
        let a = send(&app, Method::GET, path, None, None).await;
        assert_eq!(a.status, 200, "{path}");
    }
    let a = send(&app, Method::GET, "/api/v1/nope", None, None).await;
    assert_eq!(a.status, 401);
}
