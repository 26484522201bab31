//! The binary, run for real on loopback: HTTPS by default with a certificate
//! made once, plain HTTP on request, start-up stages, security headers, the
//! WebSocket origin check, the embedded UI at `/`, a clean exit on SIGTERM and the same identity on
//! every start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;

use common::{DEADLINE, LOOPBACK_CONFIG, start, temp_dir};

fn assert_security_headers(res: &common::Response) {
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        res.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );
    let csp = res.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
}

#[test]
fn https_by_default_with_a_certificate_made_once_and_the_same_identity_across_restarts() {
    let dir = temp_dir("https");
    let storage = dir.join("storage");
    let storage_arg = storage.to_str().unwrap();

    let mut first = start(&dir, &["--storage-dir", storage_arg]);
    assert!(first.https);
    let cert = storage.join("ssl/cert.pem");
    let key = storage.join("ssl/key.pem");
    assert!(cert.is_file());
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The key that seals session cookies, likewise private.
    let secret = storage.join("session_secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let cert_pem = std::fs::read(&cert).unwrap();
    first.cert = Some(cert.clone());

    // A TLS client that trusts exactly that certificate connects (for the
    // name "localhost"), and the stack comes up behind it.
    let status = first.wait_ready();
    assert_eq!(status["status"], "ok");
    assert_eq!(status["https_enabled"], true);
    assert_eq!(status["listen_port"], first.port);
    assert_eq!(status["network_ready"], true);

    let res = first.get("/api/v1/config");
    assert_eq!(res.status, 200);
    assert_security_headers(&res);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let config = res.json()["config"].clone();
    let id_line = first.line("identity:").unwrap();
    let identity = config["identity_hash"].as_str().unwrap().to_string();
    assert!(id_line.ends_with(&identity), "{id_line} vs {identity}");
    assert_eq!(config["display_name"], "Anonymous Peer");
    assert_eq!(
        first.line("lxmf.delivery:").unwrap(),
        format!(
            "lxmf.delivery:    {}",
            config["lxmf_address_hash"].as_str().unwrap()
        )
    );
    assert_eq!(
        first.get("/api/v1/app/info").json()["app_info"]["is_reticulum_running"],
        true
    );

    let exit = first.terminate();
    assert_eq!(
        exit.code(),
        Some(0),
        "SIGTERM should exit cleanly: {exit:?}"
    );

    // A second start: same identity, same certificate, and the Reticulum
    // config that was there is left as it was.
    let mut second = start(&dir, &["--storage-dir", storage_arg]);
    second.cert = Some(cert.clone());
    second.wait_ready();
    let again = second.get("/api/v1/config").json();
    assert_eq!(again["config"]["identity_hash"], identity.as_str());
    assert_eq!(std::fs::read(&cert).unwrap(), cert_pem);
    assert_eq!(
        std::fs::read_to_string(dir.join("rns/config")).unwrap(),
        LOOPBACK_CONFIG
    );
    assert_eq!(second.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_http_with_no_https_and_json_errors() {
    let dir = temp_dir("http");
    let storage = dir.join("storage");
    let running = start(
        &dir,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    assert!(!running.https);
    let status = running.wait_ready();
    assert_eq!(status["https_enabled"], false);
    assert!(!storage.join("ssl").exists());

    let missing = running.get("/api/v1/no-such-route");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], "not_found");
    assert_security_headers(&missing);

    // The embedded web UI (or its placeholder) at the root and for client
    // routes, never cached, under the same headers.
    for path in ["/", "/settings"] {
        let page = running.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(String::from_utf8_lossy(&page.body).contains("<html"));
        assert_security_headers(&page);
    }

    let big = running.request(&format!(
        "POST /api/v1/config HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n",
        running.port
    ));
    assert_eq!(big.status, 413);
    assert_eq!(big.json()["code"], "payload_too_large");
    assert_eq!(running.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sends a WebSocket upgrade request; returns the connection and the
/// response head.
fn ws_handshake(port: u16, origin: Option<&str>) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    write!(
        tcp,
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{origin}Connection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    (tcp, String::from_utf8(head).unwrap())
}

/// Sends one masked text frame (what a client sends).
fn write_text_frame(tcp: &mut TcpStream, text: &str) {
    let mask = [7u8, 1, 9, 3];
    assert!(text.len() < 126);
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).unwrap();
}

/// Reads one unfragmented, unmasked text frame (what a server sends).
fn read_text_frame(tcp: &mut TcpStream) -> serde_json::Value {
    let mut h = [0u8; 2];
    tcp.read_exact(&mut h).unwrap();
    assert_eq!(h[0], 0x81, "a final text frame");
    let len = match h[1] & 0x7f {
        126 => {
            let mut l = [0u8; 2];
            tcp.read_exact(&mut l).unwrap();
            usize::from(u16::from_be_bytes(l))
        }
        127 => panic!("unexpectedly large frame"),
        n => usize::from(n),
    };
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[test]
fn websocket_refuses_a_foreign_origin_and_greets_with_the_status() {
    let dir = temp_dir("ws");
    let storage = dir.join("storage");
    let running = start(
        &dir,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    running.wait_ready();

    let (mut tcp, head) = ws_handshake(running.port, Some("https://evil.example"));
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; len];
    tcp.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("\"code\":\"forbidden\""), "{body}");

    let same = format!("http://127.0.0.1:{}", running.port);
    let (mut tcp, head) = ws_handshake(running.port, Some(&same));
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let hello = read_text_frame(&mut tcp);
    assert_eq!(hello["type"], "startup_status");
    assert_eq!(hello["stage"], "ready");
    let config = read_text_frame(&mut tcp);
    assert_eq!(config["type"], "config");
    assert!(config["config"]["identity_hash"].is_string());
    assert!(config["seq"].as_u64().unwrap() > hello["seq"].as_u64().unwrap());

    // Topics: without `config` the socket hears no config pushes, and still
    // hears the rest. Pushes leave in bus order, so once the announce's
    // push is here, both config changes before it have been passed over.
    write_text_frame(&mut tcp, r#"{"type":"ws.unsubscribe","topics":["config"]}"#);
    let reply = read_text_frame(&mut tcp);
    assert_eq!(reply["type"], "ws.unsubscribe");
    assert_eq!(reply["changed"], serde_json::json!(["config"]));
    for name in ["first", "second"] {
        let res = running.send_json(
            "PATCH",
            "/api/v1/config",
            &serde_json::json!({ "display_name": name }),
        );
        assert_eq!(res.status, 200);
    }
    let res = running.send_json("POST", "/api/v1/announce", &serde_json::json!({}));
    assert_eq!(res.status, 200);
    loop {
        let push = read_text_frame(&mut tcp);
        assert_ne!(push["type"], "config", "{push}");
        if push["type"] == "announced" {
            break;
        }
    }

    // A tool without an Origin header is let in too.
    let (_tcp, head) = ws_handshake(running.port, None);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");

    // Open sockets do not hold up a SIGTERM.
    assert_eq!(running.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Auto-announce: turned on through the config, the identity announces at
/// once (it never had) and says when; the settings follow the reference's
/// rules, refuse wrong types, and outlive a restart.
#[test]
fn auto_announce_is_set_through_the_config_and_kept() {
    let dir = temp_dir("auto-announce");
    let storage = dir.join("storage");
    let args = ["--no-https", "--storage-dir", storage.to_str().unwrap()];
    let running = start(&dir, &args);
    running.wait_ready();
    let config = running.get("/api/v1/config").json()["config"].clone();
    assert_eq!(config["auto_announce_enabled"], false);
    assert!(config["last_announced_at"].is_null());

    for bad in [
        serde_json::json!({ "auto_announce_enabled": "yes" }),
        serde_json::json!({ "auto_announce_interval_seconds": "x" }),
    ] {
        let res = running.send_json("PATCH", "/api/v1/config", &bad);
        assert_eq!(res.status, 400, "{bad}");
        assert_eq!(res.json()["code"], "bad_request");
    }
    let res = running.send_json(
        "PATCH",
        "/api/v1/config",
        &serde_json::json!({ "auto_announce_enabled": true, "auto_announce_interval_seconds": 45 }),
    );
    assert_eq!(res.status, 200);
    let config = &res.json()["config"];
    assert_eq!(config["auto_announce_enabled"], true);
    assert_eq!(
        config["auto_announce_interval_seconds"], 60,
        "raised to a minute"
    );

    let start_wait = std::time::Instant::now();
    let announced_at = loop {
        let config = running.get("/api/v1/config").json()["config"].clone();
        if let Some(at) = config["last_announced_at"].as_f64() {
            break at;
        }
        assert!(start_wait.elapsed() < DEADLINE, "no automatic announce");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(running.terminate().code(), Some(0));

    let again = start(&dir, &args);
    again.wait_ready();
    let config = again.get("/api/v1/config").json()["config"].clone();
    assert_eq!(config["auto_announce_enabled"], true);
    assert_eq!(config["auto_announce_interval_seconds"], 60);
    // Restarted within the minute: the last announce is remembered, and
    // the next waits for the interval.
    assert_eq!(config["last_announced_at"].as_f64(), Some(announced_at));
    let res = again.send_json(
        "PATCH",
        "/api/v1/config",
        &serde_json::json!({ "auto_announce_interval_seconds": 0 }),
    );
    assert_eq!(res.json()["config"]["auto_announce_enabled"], false);
    assert_eq!(again.terminate().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}
