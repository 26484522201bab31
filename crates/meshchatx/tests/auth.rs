//! Login for real, against the binary on loopback (plain HTTP): first-use
//! setup, login, logout, password change and login toggle revoking
//! sessions, the lockout (for a client that logged in before, too), the
//! rate limit, the attempts list, `--auth` / `--reset-password` across
//! restarts, and the refusal to listen on the network without a password.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};

use common::{Running, Session, loopback_rns_dir, start, temp_dir};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn start_auth(dir: &std::path::Path, extra: &[&str]) -> Running {
    let storage = dir.join("storage");
    let mut args = vec!["--no-https", "--storage-dir", storage.to_str().unwrap()];
    args.extend_from_slice(extra);
    let running = start(dir, &args);
    running.wait_ready();
    running
}

fn login(c: &common::Client<'_>, password: &str) -> common::Response {
    c.send_json(
        "POST",
        "/api/v1/auth/login",
        &json!({ "password": password }),
    )
}

#[test]
fn setup_login_logout_and_every_revocation() {
    let dir = temp_dir("auth-flow");
    let app = start_auth(&dir, &["--auth"]);
    let a = app.client("browser-a/1");
    let st = a.get("/api/v1/auth/status").json();
    assert_eq!(st["auth_enabled"], true);
    assert_eq!(st["password_set"], false);
    assert_eq!(st["authenticated"], false);
    assert_eq!(a.get("/api/v1/config").status, 401);
    assert_eq!(a.get("/api/v1/status").status, 200);

    // Setup: too short, then for real (which logs this client in).
    let weak = a.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": "short" }),
    );
    assert_eq!(weak.status, 400);
    let setup = a.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(setup.status, 200, "{:?}", setup.json());
    assert_eq!(setup.json()["message"], "Setup completed successfully");
    let cookie = setup.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert_eq!(
        a.get("/api/v1/config").json()["config"]["auth_enabled"],
        true
    );
    assert_eq!(a.get("/api/v1/auth/status").json()["authenticated"], true);
    let again = a.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(again.status, 403);

    // Another browser: wrong password, then right; both sessions listed.
    let b = app.client("browser-b/1");
    let wrong = login(&b, "not the password");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "Invalid password");
    assert_eq!(login(&b, PASSWORD).status, 200);
    assert_eq!(b.get("/api/v1/config").status, 200);
    let sessions = b.get("/api/v1/app/sessions").json();
    assert_eq!(sessions["count"], 2, "{sessions}");
    assert_eq!(
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["current"] == true)
            .count(),
        1
    );

    // Logout ends A's session only; its old cookie replayed is worthless.
    let a_before = a.session();
    let out = a.send_json("POST", "/api/v1/auth/logout", &json!({}));
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    a.set_session(a_before);
    assert_eq!(a.get("/api/v1/config").status, 401);
    assert_eq!(b.get("/api/v1/config").status, 200);

    // A password change logs every other session out, keeps the changer in.
    let c = app.client("browser-c/1");
    assert_eq!(login(&c, PASSWORD).status, 200);
    let bad = b.send_json(
        "POST",
        "/api/v1/auth/change-password",
        &json!({ "current_password": "nope nope", "new_password": "another good one" }),
    );
    assert_eq!(bad.status, 401);
    let changed = b.send_json(
        "POST",
        "/api/v1/auth/change-password",
        &json!({ "current_password": PASSWORD, "new_password": "another good one" }),
    );
    assert_eq!(changed.status, 200, "{:?}", changed.json());
    assert_eq!(c.get("/api/v1/config").status, 401);
    assert_eq!(b.get("/api/v1/config").status, 200);
    assert_eq!(login(&c, PASSWORD).status, 401);
    assert_eq!(login(&c, "another good one").status, 200);

    // --auth keeps login on; the attempts are all there, newest first.
    let off = b.send_json("PATCH", "/api/v1/config", &json!({ "auth_enabled": false }));
    assert_eq!(off.status, 409);
    let attempts = b.get("/api/v1/debug/access-attempts?limit=100").json();
    let outcomes: Vec<&str> = attempts["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "success",
            "failed_password",
            "success",
            "failed_password",
            "success",
            "success",
            "failed_password",
            "setup_already_done",
            "success",
            "weak_password",
        ]
    );
    let first = &attempts["attempts"][9];
    assert_eq!(first["client_ip"], "127.0.0.1");
    assert_eq!(first["user_agent"], "browser-a/1");
    assert_eq!(first["path"], "/api/v1/auth/setup");
    assert_eq!(first["method"], "POST");
    assert_eq!(app.terminate().code(), Some(0));

    // Without --auth the stored setting holds; the API can turn it off,
    // which logs everyone out.
    let app = start_auth(&dir, &[]);
    let d = app.client("browser-d/1");
    assert_eq!(d.get("/api/v1/config").status, 401);
    assert_eq!(login(&d, "another good one").status, 200);
    let e = app.client("browser-e/1");
    assert_eq!(login(&e, "another good one").status, 200);
    let off = d.send_json("PATCH", "/api/v1/config", &json!({ "auth_enabled": false }));
    assert_eq!(off.status, 200);
    assert_eq!(off.json()["config"]["auth_enabled"], false);
    assert_eq!(e.get("/api/v1/auth/status").json()["authenticated"], false);
    assert_eq!(app.terminate().code(), Some(0));

    // --reset-password forgets it: set up again on first use.
    let app = start_auth(&dir, &["--auth", "--reset-password"]);
    let f = app.client("browser-f/1");
    let st = f.get("/api/v1/auth/status").json();
    assert_eq!(st["auth_enabled"], true);
    assert_eq!(st["password_set"], false);
    assert_eq!(login(&f, "another good one").status, 400);
    let setup = f.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(setup.status, 200);
    assert_eq!(app.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn five_wrong_passwords_lock_the_address_out_even_for_a_client_that_logged_in_before() {
    let dir = temp_dir("auth-lockout");
    let app = start_auth(&dir, &["--auth"]);
    let trusted = app.client("trusted/1");
    let setup = trusted.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(setup.status, 200);
    // A fresh browser session on the trusted fingerprint (same IP and UA).
    trusted.set_session(Session {
        user_agent: "trusted/1".into(),
        ..Session::default()
    });
    assert_eq!(login(&trusted, PASSWORD).status, 200);
    let logged_in = trusted.session();
    trusted.set_session(Session {
        user_agent: "trusted/1".into(),
        ..Session::default()
    });
    for n in 0..5 {
        assert_eq!(login(&trusted, "guess guess").status, 401, "guess {n}");
    }
    // The right password no longer gets in: not from the trusted client,
    // not from another browser on the address.
    let locked = login(&trusted, PASSWORD);
    assert_eq!(locked.status, 429);
    assert_eq!(locked.json()["code"], "lockout");
    let other = app.client("other/1");
    assert_eq!(login(&other, PASSWORD).status, 429);
    let setup = other.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(setup.status, 429);
    // A session from before the lockout is not logged out by it.
    trusted.set_session(logged_in);
    assert_eq!(trusted.get("/api/v1/config").status, 200);
    let attempts = trusted.get("/api/v1/debug/access-attempts").json();
    assert_eq!(attempts["attempts"][0]["outcome"], "lockout");
    assert_eq!(attempts["attempts"][0]["user_agent"], "other/1");
    assert_eq!(attempts["total"], 10);
    assert_eq!(app.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn twenty_attempts_a_minute_per_address_and_more_for_a_trusted_client() {
    let dir = temp_dir("auth-rate");
    let app = start_auth(&dir, &["--auth"]);
    let trusted = app.client("trusted/2");
    let setup = trusted.send_json(
        "POST",
        "/api/v1/auth/setup",
        &json!({ "password": PASSWORD }),
    );
    assert_eq!(setup.status, 200);
    // 19 more attempts (bodies without a password: no lockout, no argon2).
    let u = app.client("untrusted/2");
    for n in 0..19 {
        let r = u.send_json("POST", "/api/v1/auth/login", &json!({}));
        assert_eq!(r.status, 400, "attempt {n}");
    }
    let limited = login(&u, PASSWORD);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["code"], "rate_limited");
    // The client that logged in before has the reference's higher limit.
    trusted.set_session(Session {
        user_agent: "trusted/2".into(),
        ..Session::default()
    });
    assert_eq!(login(&trusted, PASSWORD).status, 200);
    assert_eq!(app.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_network_address_without_a_password_is_refused_before_binding() {
    let dir = temp_dir("auth-refuse");
    let rns = loopback_rns_dir(&dir);
    let storage = dir.join("storage");
    // 0.0.0.0 is never bound: the refusal comes first.
    let out = Command::new(env!("CARGO_BIN_EXE_meshchatx"))
        .args(["--host", "0.0.0.0", "--port", "0", "--no-https", "--auth"])
        .arg("--storage-dir")
        .arg(&storage)
        .arg("--reticulum-config-dir")
        .arg(&rns)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("listening on"), "{stdout}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0 without a password")
            && stderr.contains("--insecure-listen-without-password"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
