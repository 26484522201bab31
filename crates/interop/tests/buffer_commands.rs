//! The buffer commands of peer.py (`buffer_open`, `buffer_write`,
//! `buffer_received`, events `buffer_data` / `buffer_written`), exercised
//! Python-to-Python over TCP, so the harness is known to work before our node
//! is put on one end (crates/rns-net/tests/interop_buffers.rs).

// Test code: helpers outside #[test] fns may unwrap/panic to fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{T, open_link, serve};
use interop::{PyPeer, RnsConfig, TempDir, field, free_port, gen_counter_bytes, to_hex};
use serde_json::{Value, json};

fn is_eof(e: &Value, link_id: &str, stream_id: u16) -> bool {
    e["event"] == "buffer_data"
        && e["link_id"] == json!(link_id)
        && e["stream_id"] == json!(stream_id)
        && e["eof"] == json!(true)
}

#[test]
fn buffers_carry_streams_both_ways_with_eof() {
    let tmp = TempDir::new("cmd-buffers");
    let port = free_port();
    let a_cfg = RnsConfig::new(tmp.join("a")).tcp_server(port).write();
    let b_cfg = RnsConfig::new(tmp.join("b")).tcp_client(port).write();
    let a = PyPeer::spawn_config(&a_cfg);
    let b = PyPeer::spawn_config(&b_cfg);
    b.wait_online(1);
    a.wait_online(2);
    let dest = serve(&a, "buffers");
    a.announce_until_seen(&dest, b"", &b);
    let link_id = open_link(&b, &a, &dest, "buffers");

    // Stream 4, a bidirectional buffer: small data comes back inline.
    for peer in [&a, &b] {
        let r = peer.call("buffer_open", json!({"link_id": link_id, "stream_id": 4}));
        assert_eq!(r["send_stream_id"], json!(4));
    }
    let small = gen_counter_bytes(1, 10);
    b.call(
        "buffer_write",
        json!({"link_id": link_id, "stream_id": 4, "data": to_hex(&small)}),
    );
    let ev = a.wait_for("buffer_data", &[("link_id", &link_id)], T);
    assert_eq!(field(&ev, "data"), to_hex(&small));
    assert_eq!(ev["eof"], json!(false));
    b.wait_for("buffer_written", &[("link_id", &link_id)], T);
    a.clear_events();
    b.clear_events();

    // Stream 3, separate reader and writer: both directions at once, noise
    // one way and compressible data the other, each closed with EOF.
    for peer in [&a, &b] {
        peer.call(
            "buffer_open",
            json!({"link_id": link_id, "stream_id": 3, "bidirectional": false}),
        );
    }
    let to_a = b.call(
        "buffer_write",
        json!({"link_id": link_id, "stream_id": 3, "size": 100_000, "seed": 5,
               "pattern": "random", "eof": true}),
    );
    let to_b = a.call(
        "buffer_write",
        json!({"link_id": link_id, "stream_id": 3, "size": 70_000, "seed": 6,
               "pattern": "counter", "eof": true}),
    );
    for (receiver, sent, size) in [(&a, &to_a, 100_000), (&b, &to_b, 70_000)] {
        receiver.wait_event(|e| is_eof(e, &link_id, 3), T);
        let got = receiver.call(
            "buffer_received",
            json!({"link_id": link_id, "stream_id": 3}),
        );
        assert_eq!(got["eof"], json!(true));
        assert_eq!(got["size"], json!(size));
        assert_eq!(field(&got, "sha256"), field(sent, "sha256"));
        assert!(got["data"].is_null(), "over 64 KiB travels by hash only");
    }
    for writer in [&a, &b] {
        let done = writer.wait_event(
            |e| e["event"] == "buffer_written" && e["stream_id"] == json!(3),
            T,
        );
        assert_eq!(done["eof"], json!(true), "{done}");
        assert!(done.get("error").is_none(), "{done}");
    }
    // Mistakes are error replies, not crashes.
    let err = a
        .try_call("buffer_open", json!({"link_id": link_id, "stream_id": 3}))
        .unwrap_err();
    assert!(err.contains("already open"), "{err}");
    let err = a
        .try_call(
            "buffer_received",
            json!({"link_id": link_id, "stream_id": 9}),
        )
        .unwrap_err();
    assert!(err.contains("no buffer"), "{err}");
}
