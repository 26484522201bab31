//! Attachments and replies through the real binary, against a real Python
//! LXMF peer (`tests/interop/peer.py`), loopback only: a message with two
//! files (one of 1 MiB, so the request is over the 1 MiB cap of every other
//! route and the message goes as a resource), an image and a reply-to is
//! stored before the answer, delivered, and the peer's fields are the
//! bytes and names we sent; the peer's file comes back through the download
//! route with its name made safe; bad input is 4xx JSON and stores nothing;
//! another identity cannot read this one's attachments.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{
    DEADLINE, Running, conversation as messages, lxmf_address, poll, start_ready, start_with_rns,
    tcp_server_rns_dir,
};
use data_encoding::{BASE64, HEXLOWER};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

fn row(app: &Running, peer: &str, hash: &str) -> Option<Value> {
    messages(app, peer).into_iter().find(|m| m["hash"] == hash)
}

/// Deterministic bytes that do not compress.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A field of a message the peer reports, by id: `{"map": [[k, v], ...]}`.
fn field(fields: &Value, id: u64) -> Value {
    fields["map"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv[0] == id)
        .map(|kv| kv[1].clone())
        .unwrap_or(Value::Null)
}

fn send(app: &Running, peer: &str, message: Value) -> common::Response {
    let mut lxmf_message = json!({"destination_hash": peer});
    for (k, v) in message.as_object().unwrap() {
        lxmf_message[k] = v.clone();
    }
    app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct", "lxmf_message": lxmf_message}),
    )
}

fn assert_error(res: &common::Response, status: u16, what: &str) {
    assert_eq!(
        res.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&res.body)
    );
    let body = res.json();
    assert!(body["error"].is_string(), "{what}: {body}");
}

#[test]
fn files_images_and_replies_reach_a_python_peer_and_come_back_for_download() {
    let t0 = Instant::now();
    let tmp = TempDir::new("meshchatx-attachments");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start_with_rns(
        &rns,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    app.wait_ready();
    let config = app.get("/api/v1/config").json()["config"].clone();
    let our_lxmf = config["lxmf_address_hash"].as_str().unwrap().to_string();

    // The peer takes messages up to 4 MB (the default, 1000 kB, would
    // refuse the 1 MiB file).
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let started = peer.call(
        "lxmf_start",
        json!({"display_name": "Py Bob", "delivery_limit": 4000}),
    );
    let bob = started["delivery_hash"].as_str().unwrap().to_string();
    poll("the peer's announce", || {
        peer.call("lxmf_announce", json!({}));
        wait_until(Duration::from_secs(2), || {
            app.get(&format!("/api/v1/destination/{bob}/path"))
                .json()
                .get("path")
                .is_some_and(|p| !p.is_null())
        })
        .then_some(())
    });

    // A first message to reply to.
    let res = send(&app, &bob, json!({"content": "first"}));
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let first = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();

    // Files, an image and a reply-to; the request is ~1.4 MB of JSON.
    let big = bytes(1024 * 1024, 7);
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &bytes(2000, 9)].concat();
    let t_send = Instant::now();
    let res = send(
        &app,
        &bob,
        json!({
            "content": "two files and a picture",
            "reply_to_hash": first,
            "fields": {
                "file_attachments": [
                    {"file_name": "notes.txt", "file_bytes": BASE64.encode(b"hello file")},
                    {"file_name": "big.bin", "file_bytes": BASE64.encode(&big)},
                ],
                "image": {"image_type": "png", "image_bytes": BASE64.encode(&png)},
            },
        }),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let sent = res.json()["lxmf_message"].clone();
    let hash = sent["hash"].as_str().unwrap().to_string();
    assert!(sent["id"].as_i64().unwrap() > 0, "stored before the answer");
    assert_eq!(sent["reply_to_hash"], first.as_str());
    assert_eq!(sent["fields"]["reply_to"], first.as_str());
    let files = &sent["fields"]["file_attachments"];
    assert_eq!(files[0]["file_name"], "notes.txt");
    assert_eq!(files[0]["file_size"], 10);
    assert_eq!(files[0]["file_bytes"], Value::Null);
    assert_eq!(files[1]["file_size"], big.len());
    assert_eq!(sent["fields"]["image"]["image_type"], "png");
    assert_eq!(sent["fields"]["image"]["image_size"], png.len());

    // The peer gets the same names and bytes, the image and the reply-to.
    let got = peer.wait_for("lxmf_message", &[("message_hash", &hash)], DEADLINE);
    assert_eq!(got["content"], "two files and a picture");
    let fields = &got["fields"];
    let files = field(fields, 5);
    assert_eq!(files[0][0], "notes.txt");
    assert_eq!(files[0][1]["bin"], HEXLOWER.encode(b"hello file"));
    assert_eq!(files[1][0], "big.bin");
    assert_eq!(files[1][1]["bin"], HEXLOWER.encode(&big));
    let image = field(fields, 6);
    assert_eq!(image[0], "png");
    assert_eq!(image[1]["bin"], HEXLOWER.encode(&png));
    assert_eq!(field(fields, 0x30)["bin"], first.as_str());
    poll("the message delivered", || {
        row(&app, &bob, &hash).filter(|m| m["state"] == "delivered" && m["progress"] == 100.0)
    });
    let t_delivered = t_send.elapsed();

    // Our own attachments download from the stored row.
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/attachment/{hash}/file?file_index=1"
    ));
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"big.bin\"")
    );
    assert!(res.body == big, "the downloaded file is the one sent");
    let res = app.get(&format!("/api/v1/lxmf-messages/attachment/{hash}/image"));
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("image/png"));
    assert_eq!(res.body, png);
    let base = format!("/api/v1/lxmf-messages/attachment/{hash}");
    assert_error(
        &app.get(&format!("{base}/file?file_index=2")),
        400,
        "index past the end",
    );
    assert_error(
        &app.get(&format!("{base}/file?file_index=-1")),
        400,
        "negative index",
    );
    assert_error(&app.get(&format!("{base}/file")), 404, "no index");
    assert_error(&app.get(&format!("{base}/audio")), 404, "no audio");
    assert_error(
        &app.get(&format!("/api/v1/lxmf-messages/attachment/{first}/image")),
        404,
        "a message without an image",
    );
    let unknown = "0".repeat(64);
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/attachment/{unknown}/file?file_index=0"
    ));
    assert_error(&res, 404, "unknown message");
    assert_eq!(res.json()["error"], "Message not found");
    assert_error(
        &app.get("/api/v1/lxmf-messages/attachment/zz/image"),
        404,
        "bad hash",
    );

    // Bad input: 4xx JSON, never 500, and nothing stored.
    let before = messages(&app, &bob).len();
    let file = |name: Value, b: Value| json!({"fields": {"file_attachments": [{"file_name": name, "file_bytes": b}]}});
    let cases = [
        (file(json!("a"), json!("!!not base64")), 400, "bad base64"),
        (file(json!("a"), json!(5)), 400, "bytes not a string"),
        (file(json!(5), json!("AAAA")), 400, "name not a string"),
        (file(json!(""), json!("AAAA")), 400, "empty name"),
        (
            json!({"fields": {"file_attachments": "x"}}),
            400,
            "files not a list",
        ),
        (
            json!({"fields": {"file_attachments": [5]}}),
            400,
            "file not an object",
        ),
        (json!({"fields": {"image": 5}}), 400, "image not an object"),
        (
            json!({"fields": {"image": {"image_bytes": BASE64.encode(b"<svg/>")}}}),
            400,
            "not an image",
        ),
        (json!({"fields": 5}), 400, "fields not an object"),
        (json!({"reply_to_hash": "zz"}), 400, "bad reply hash"),
        (json!({"reply_to_hash": 5}), 400, "reply hash not a string"),
        (
            json!({"fields": {"file_attachments": vec![json!({"file_name": "a", "file_bytes": "AAAA"}); 17]}}),
            400,
            "too many files",
        ),
        (
            json!({"fields": {"file_attachments": [
                {"file_name": "a", "file_bytes": BASE64.encode(&vec![0u8; 6 * 1024 * 1024 + 1])}]}}),
            413,
            "too many bytes",
        ),
    ];
    for (body, status, what) in cases {
        assert_error(&send(&app, &bob, body), status, what);
    }
    // Over the send route's own cap (declared), and over the 1 MiB of any
    // other route.
    let over = meshchat_web::SEND_MAX_BODY_BYTES + 1;
    let res = app.request(&format!(
        "POST /api/v1/lxmf-messages/send HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{}Content-Type: application/json\r\nContent-Length: {over}\r\nConnection: close\r\n\r\n",
        app.port,
        app.csrf_headers()
    ));
    assert_error(&res, 413, "over the send cap");
    assert_eq!(res.json()["code"], "payload_too_large");
    let padding = "x".repeat(1024 * 1024 + 10);
    let res = app.send_json("PATCH", "/api/v1/config", &json!({"padding": padding}));
    assert_error(&res, 413, "1 MiB on other routes");
    assert_eq!(messages(&app, &bob).len(), before, "nothing stored");

    // The peer sends us a file with a hostile name and an image.
    poll("the peer can address us", || {
        app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(2), || {
            peer.try_call(
                "lxmf_send",
                json!({"destination_hash": our_lxmf, "content": "a file for you", "method": "direct",
                       "fields": {"map": [
                           [5, [["../evil\"\r\nX-Injected: 1.txt", {"bin": HEXLOWER.encode(b"bob bytes")}]]],
                           [6, ["webp", {"bin": HEXLOWER.encode(b"RIFF\0\0\0\0WEBPVP8 ")}]]]}}),
            )
            .is_ok()
        })
        .then_some(())
    });
    let inbound = poll("the peer's file stored", || {
        messages(&app, &bob)
            .into_iter()
            .find(|m| m["content"] == "a file for you")
    });
    assert_eq!(inbound["fields"]["file_attachments"][0]["file_size"], 9);
    let ih = inbound["hash"].as_str().unwrap().to_string();
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/attachment/{ih}/file?file_index=0"
    ));
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"bob bytes");
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"evil_X-Injected: 1.txt\"")
    );
    assert!(res.header("x-injected").is_none());
    let res = app.get(&format!("/api/v1/lxmf-messages/attachment/{ih}/image"));
    assert_eq!(res.header("content-type"), Some("image/webp"));

    // Another identity's context cannot read them.
    let created = app.send_json("POST", "/api/v1/identities/create", &json!({}));
    assert_eq!(created.status, 200);
    let other = created.json()["identity"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app.send_json(
        "POST",
        "/api/v1/identities/switch",
        &json!({"identity_hash": other}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    poll("the other identity active", || {
        (app.get("/api/v1/config").json()["config"]["identity_hash"] == other.as_str())
            .then_some(())
    });
    let res = poll("the other identity answering", || {
        let r = app.get(&format!(
            "/api/v1/lxmf-messages/attachment/{ih}/file?file_index=0"
        ));
        (r.status != 503).then_some(r)
    });
    assert_error(&res, 404, "another identity's attachment");

    eprintln!(
        "1 MiB file + image delivered to the Python peer {t_delivered:?} after the send; whole test {:?}",
        t0.elapsed()
    );
}

/// A message too large for a packet, on its way in, is reported over `/ws`
/// as it arrives (`lxmf_incoming_transfer`: progress rising from 0 to 1,
/// then `complete`), and the message itself is pushed.
#[test]
fn an_incoming_large_message_reports_its_progress_over_ws() {
    let tmp = TempDir::new("meshchatx-incoming");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start_ready(&rns, &storage);
    let our_lxmf = lxmf_address(&app);
    let ws = common::ws::Ws::connect(app.port);
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    peer.call("lxmf_start", json!({"display_name": "Py Bob"}));
    let big = HEXLOWER.encode(&bytes(300 * 1024, 11));
    poll("the peer can address us", || {
        app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(2), || {
            peer.try_call(
                "lxmf_send",
                json!({"destination_hash": our_lxmf, "content": "a big one", "method": "direct",
                       "fields": {"map": [[5, [["big.bin", {"bin": big}]]]]}}),
            )
            .is_ok()
        })
        .then_some(())
    });
    poll("the big message pushed", || {
        ws.find(|v| v["type"] == "lxmf.delivery" && v["lxmf_message"]["content"] == "a big one")
    });
    let all = ws.all();
    let transfers: Vec<&Value> = all
        .iter()
        .filter(|v| v["type"] == "lxmf_incoming_transfer")
        .collect();
    let receiving: Vec<f64> = transfers
        .iter()
        .filter(|v| v["transfer"]["state"] == "receiving")
        .map(|v| v["transfer"]["progress"].as_f64().unwrap())
        .collect();
    assert!(!receiving.is_empty(), "no progress reported: {transfers:?}");
    assert!(receiving.windows(2).all(|w| w[0] <= w[1]), "{receiving:?}");
    assert!(
        receiving.iter().all(|p| (0.0..=1.0).contains(p)),
        "{receiving:?}"
    );
    let complete = transfers
        .iter()
        .position(|v| v["transfer"]["state"] == "complete")
        .expect("a complete report");
    let id = &transfers[complete]["transfer"]["id"];
    assert!(
        transfers.iter().all(|v| &v["transfer"]["id"] == id),
        "one transfer"
    );
    assert!(app.terminate().success());
}
