//! Every peer.py command and event, exercised Python-to-Python over a TCP
//! pair (and a UDP pair), so the harness's protocol is known to work before
//! Rust code is put on one end.

// Test code: helpers outside #[test] fns may unwrap/panic to fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Clock, T, open_link, serve};
use interop::{
    PyPeer, RnsConfig, TempDir, bin, field, free_port, free_udp_port, from_hex, gen_bytes,
    gen_counter_bytes, map_get, to_hex, unbin,
};
use serde_json::{Value, json};

/// A TCP server peer `a` and a TCP client peer `b`, connected. Ingress
/// control is off: these tests announce several destinations back to back.
fn tcp_pair(tmp: &TempDir) -> (PyPeer, PyPeer) {
    let port = free_port();
    let a_cfg = RnsConfig::new(tmp.join("a"))
        .tcp_server(port)
        .ingress_control(false)
        .write();
    let b_cfg = RnsConfig::new(tmp.join("b"))
        .tcp_client(port)
        .ingress_control(false)
        .write();
    let a = PyPeer::spawn_config(&a_cfg);
    let b = PyPeer::spawn_config(&b_cfg);
    b.wait_online(1);
    a.wait_online(2);
    (a, b)
}

#[test]
fn identities_and_destination_hashes() {
    let tmp = TempDir::new("cmd-ident");
    let a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("a")).write());
    let b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("b")).write());

    let own = a.call("identity_own", json!({}));
    assert_eq!(field(&own, "identity_hash"), a.identity_hash());

    let new = a.call("identity_new", json!({}));
    assert_eq!(field(&new, "public_key").len(), 128);
    assert_eq!(field(&new, "private_key").len(), 128);
    let loaded = b.call(
        "identity_load",
        json!({"private_key": field(&new, "private_key")}),
    );
    assert_eq!(
        field(&loaded, "identity_hash"),
        field(&new, "identity_hash")
    );
    assert_eq!(field(&loaded, "public_key"), field(&new, "public_key"));

    // The same identity and name give the same destination hash on both peers;
    // `identity` may be a known identity hash or a private key.
    let args =
        |identity: String| json!({"app": "interop", "aspects": ["x", "y"], "identity": identity});
    let da = a.call("destination_in", args(field(&new, "identity_hash")));
    let db = b.call("destination_in", args(field(&new, "private_key")));
    assert_eq!(
        field(&da, "destination_hash"),
        field(&db, "destination_hash")
    );
    assert_eq!(field(&da, "identity_hash"), field(&new, "identity_hash"));

    let bad = a.try_call("identity_load", json!({"private_key": "00"}));
    assert!(bad.is_err(), "{bad:?}");

    // gen_bytes agrees with the Rust implementation.
    for (seed, size) in [(0u64, 0usize), (1, 1), (7, 100), (u64::MAX, 4099)] {
        let g = a.call("gen_bytes", json!({"seed": seed, "size": size}));
        assert_eq!(
            from_hex(&field(&g, "data")),
            gen_bytes(seed, size),
            "seed {seed} size {size}"
        );
    }
    let g = a.call(
        "gen_bytes",
        json!({"seed": 3, "size": 600, "pattern": "counter"}),
    );
    assert_eq!(from_hex(&field(&g, "data")), gen_counter_bytes(3, 600));
}

#[test]
fn paths_proofs_and_ratchets() {
    let clock = Clock::new("paths");
    let tmp = TempDir::new("cmd-paths");
    let (a, b) = tcp_pair(&tmp);
    clock.mark("pair up");

    // A path request is answered by the destination itself with a path
    // response; nobody announced it before.
    let dest = serve(&a, "paths");
    assert_eq!(
        b.call("has_path", json!({"destination_hash": dest}))["has_path"],
        json!(false)
    );
    b.call("request_path", json!({"destination_hash": dest}));
    let ann = b.wait_for("announce", &[("destination_hash", &dest)], T);
    assert_eq!(ann["is_path_response"], json!(true), "{ann}");
    let hp = b.call("has_path", json!({"destination_hash": dest}));
    assert_eq!(
        hp,
        json!({"has_path": true, "hops": 1, "id": hp["id"], "ok": true})
    );
    let table = b.call("path_table", json!({}));
    let entry = table["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["hash"] == json!(dest))
        .unwrap_or_else(|| panic!("{dest} not in {table}"))
        .clone();
    assert_eq!(entry["hops"], json!(1), "{entry}");
    clock.mark(&format!("path response; path table entry {entry}"));

    // proof "app": the app callback is asked (and says yes).
    let d_app = field(
        &a.call(
            "destination_in",
            json!({"app": "interop", "aspects": ["app"], "proof": "app"}),
        ),
        "destination_hash",
    );
    a.announce_until_seen(&d_app, b"", &b);
    let r = b.call(
        "send_packet",
        json!({"destination_hash": d_app, "data": "aa", "app": "interop", "aspects": ["app"]}),
    );
    let ph = field(&r, "packet_hash");
    a.wait_for("proof_requested", &[("packet_hash", &ph)], T);
    let rc = b.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "delivered");

    // Ratchets enforced: the sender learns the ratchet from the announce, the
    // packet is encrypted to it and still proven.
    let d_r = field(
        &a.call(
            "destination_in",
            json!({"app": "interop", "aspects": ["ratchet"], "proof": "all",
                   "ratchets": true, "enforce_ratchets": true}),
        ),
        "destination_hash",
    );
    a.announce_until_seen(&d_r, b"r", &b);
    let r = b.call(
        "send_packet",
        json!({"destination_hash": d_r, "data": to_hex(b"ratcheted"),
               "app": "interop", "aspects": ["ratchet"]}),
    );
    let ph = field(&r, "packet_hash");
    assert_eq!(
        b.wait_for("receipt", &[("packet_hash", &ph)], T)["status"],
        "delivered"
    );
    let got = a.wait_for("packet", &[("destination_hash", &d_r)], T);
    assert_eq!(field(&got, "data"), to_hex(b"ratcheted"));
    clock.mark("proof app + ratchets");

    // Wrong app/aspects for a hash is refused, not silently sent elsewhere.
    let err = b
        .try_call(
            "send_packet",
            json!({"destination_hash": d_r, "data": "00", "app": "interop", "aspects": ["no"]}),
        )
        .unwrap_err();
    assert!(err.contains("not"), "{err}");
}

/// proof "none": the packet arrives, no proof comes back, and the sender's
/// receipt times out as "failed" (about 13 s after sending on a 1-hop TCP path).
#[test]
fn receipt_fails_without_proof() {
    let clock = Clock::new("noproof");
    let tmp = TempDir::new("cmd-noproof");
    let (a, b) = tcp_pair(&tmp);
    let d_none = field(
        &a.call(
            "destination_in",
            json!({"app": "interop", "aspects": ["none"]}),
        ),
        "destination_hash",
    );
    a.announce_until_seen(&d_none, b"", &b);
    let r = b.call(
        "send_packet",
        json!({"destination_hash": d_none, "data": "bb", "app": "interop", "aspects": ["none"]}),
    );
    let ph = field(&r, "packet_hash");
    a.wait_for("packet", &[("packet_hash", &ph)], T);
    clock.mark("packet arrived");
    let rc = b.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "failed", "{rc}");
    clock.mark("receipt failed");
}

#[test]
fn requests_resources_and_link_state() {
    let clock = Clock::new("link");
    let tmp = TempDir::new("cmd-link");
    let (a, b) = tcp_pair(&tmp);
    let dest = serve(&a, "link");
    a.announce_until_seen(&dest, b"", &b);
    let link_id = open_link(&b, &a, &dest, "link");
    clock.mark("link up");

    let st = b.call("link_status", json!({"link_id": link_id}));
    assert_eq!(st["active"], json!(true), "{st}");
    eprintln!("[link] link status {st}");
    // The initiator knows the responder's identity from the announce.
    assert_eq!(field(&st, "remote_identity"), a.identity_hash());

    // Structured request data round-trips through msgpack unchanged.
    let data = json!({"map": [["n", 1], ["list", [true, null, 1.5, "s", bin(b"\x00\xff")]],
                              [7, {"map": []}]]});
    let r = b.call(
        "link_request",
        json!({"link_id": link_id, "path": "/echo", "data": data}),
    );
    let rid = field(&r, "request_id");
    let ev = b.wait_for("response", &[("request_id", &rid)], T);
    assert_eq!(map_get(&ev["response"], "data"), Some(&data), "{ev}");
    assert_eq!(
        map_get(&ev["response"], "remote_identity"),
        Some(&Value::Null)
    );
    let s = b.call("request_status", json!({"request_id": rid}));
    assert_eq!(s["status"], "ready");

    // Many quick requests: does the requester ever lose a fast response?
    let ids: Vec<String> = (0..20)
        .map(|i| {
            let r = b.call(
                "link_request",
                json!({"link_id": link_id, "path": "/echo", "data": i}),
            );
            field(&r, "request_id")
        })
        .collect();
    let mut times = Vec::new();
    for id in &ids {
        let ev = b.wait_event(
            |e| {
                (e["event"] == "response" || e["event"] == "request_failed")
                    && e["request_id"] == json!(id)
            },
            T,
        );
        assert_eq!(ev["event"], "response", "{ev}");
        times.push(ev["response_time"].as_f64().unwrap_or(-1.0));
    }
    times.sort_by(f64::total_cmp);
    clock.mark(&format!(
        "20 echo requests, response times {:.4}..{:.4}s",
        times[0], times[19]
    ));

    // A response bigger than the link MDU travels as a resource.
    let r = b.call(
        "link_request",
        json!({"link_id": link_id, "path": "/big", "data": 3000}),
    );
    let ev = b.wait_for("response", &[("request_id", &field(&r, "request_id"))], T);
    assert_eq!(unbin(&ev["response"]), Some(gen_bytes(3000, 3000)));
    clock.mark("3000-byte response");

    // No handler for the path: the request fails after its timeout.
    let r = b.call(
        "link_request",
        json!({"link_id": link_id, "path": "/nope", "timeout": 2}),
    );
    let ev = b.wait_for(
        "request_failed",
        &[("request_id", &field(&r, "request_id"))],
        T,
    );
    assert_eq!(ev["status"], "failed");
    clock.mark("unhandled request failed");

    // Small inline resource with explicit bytes, compressible resource, and a
    // 1 MiB random one; the receiver reports the sha256 of what it got.
    let sent = a.call(
        "resource_send",
        json!({"link_id": link_id, "data": to_hex(b"tiny resource from the server side")}),
    );
    let got = b.wait_for("resource", &[("hash", &field(&sent, "hash"))], T);
    assert_eq!(
        field(&got, "data"),
        to_hex(b"tiny resource from the server side")
    );
    assert_eq!(got["metadata"], Value::Null);

    let sent = b.call(
        "resource_send",
        json!({"link_id": link_id, "size": 200_000, "seed": 5, "pattern": "counter", "compress": true}),
    );
    assert_eq!(sent["compressed"], json!(true), "{sent}");
    let got = a.wait_for("resource", &[("hash", &field(&sent, "hash"))], T);
    assert_eq!(got["compressed"], json!(true));
    assert_eq!(field(&got, "data_hash"), field(&sent, "data_hash"));
    clock.mark("compressed 200 kB resource");

    // 1 MiB is one byte over the reference's MAX_EFFICIENT_SIZE: it travels
    // as two segments. The receiver's final event carries the last segment's
    // hash; original_hash (the first segment's) ties them together.
    let sent = b.call(
        "resource_send",
        json!({"link_id": link_id, "size": 1 << 20, "seed": 9, "compress": false}),
    );
    let dh = field(&sent, "data_hash");
    let got = a.wait_for("resource", &[("data_hash", &dh)], Duration::from_secs(60));
    assert_eq!(got["status"], "complete");
    assert_eq!(got["size"], json!(1 << 20));
    assert_eq!(field(&got, "original_hash"), field(&sent, "hash"), "{got}");
    assert_eq!(got["data"], Value::Null, "large resources are not inlined");
    let segments = a
        .events()
        .iter()
        .filter(|e| e["event"] == "resource_started" && e["original_hash"] == sent["hash"])
        .count();
    assert_eq!(segments, 2);
    let done = b.wait_for(
        "resource_sent",
        &[("original_hash", &field(&sent, "hash"))],
        T,
    );
    assert_eq!(done["status"], "complete");
    clock.mark("1 MiB resource");

    // Link packets with proofs requested by the receiving side's option.
    let d2 = field(
        &a.call(
            "destination_in",
            json!({"app": "interop", "aspects": ["proved"], "prove_link_packets": true}),
        ),
        "destination_hash",
    );
    a.announce_until_seen(&d2, b"", &b);
    let r = b.call(
        "link_open",
        json!({"destination_hash": d2, "app": "interop", "aspects": ["proved"]}),
    );
    let l2 = field(&r, "link_id");
    b.wait_for("link_established", &[("link_id", &l2)], T);
    let r = b.call("link_send", json!({"link_id": l2, "data": "0102"}));
    let rc = b.wait_for("receipt", &[("packet_hash", &field(&r, "packet_hash"))], T);
    assert_eq!(rc["status"], "delivered", "{rc}");

    // The responder can close too.
    a.call("link_close", json!({"link_id": l2}));
    let c = b.wait_for("link_closed", &[("link_id", &l2)], T);
    assert_eq!(c["reason"], "destination_closed", "{c}");
    clock.mark("proved link packet; responder close");
}

#[test]
fn lxmf_direct_and_opportunistic() {
    let clock = Clock::new("lxmf");
    let tmp = TempDir::new("cmd-lxmf");
    let (a, b) = tcp_pair(&tmp);
    let la = a.call("lxmf_start", json!({"display_name": "Alice"}));
    let lb = b.call("lxmf_start", json!({"display_name": "Bob"}));
    let (ha, hb) = (field(&la, "delivery_hash"), field(&lb, "delivery_hash"));
    a.call("lxmf_announce", json!({}));
    b.call("lxmf_announce", json!({}));
    let ann = b.wait_for("announce", &[("destination_hash", &ha)], T);
    a.wait_for("announce", &[("destination_hash", &hb)], T);
    // LXMF 0.5+ app_data: msgpack [display_name, stamp_cost, ...].
    eprintln!("lxmf announce app_data: {}", ann["app_data"]);
    clock.mark("lxmf routers announced");

    let fields = json!({"map": [[1, "x"]]});
    let r = b.call(
        "lxmf_send",
        json!({"destination_hash": ha, "content": "hello over a link", "title": "t1",
               "method": "direct", "fields": fields}),
    );
    let mh = field(&r, "message_hash");
    let m = a.wait_for("lxmf_message", &[("message_hash", &mh)], T);
    assert_eq!(m["content"], "hello over a link");
    assert_eq!(m["title"], "t1");
    assert_eq!(field(&m, "source_hash"), hb);
    assert_eq!(m["signature_validated"], json!(true));
    assert_eq!(m["fields"], fields);
    b.wait_for("lxmf_delivered", &[("message_hash", &mh)], T);
    clock.mark("direct message delivered");

    let r = a.call(
        "lxmf_send",
        json!({"destination_hash": hb, "content": "single packet", "method": "opportunistic"}),
    );
    let mh = field(&r, "message_hash");
    let m = b.wait_for("lxmf_message", &[("message_hash", &mh)], T);
    assert_eq!(m["content"], "single packet");
    a.wait_for("lxmf_delivered", &[("message_hash", &mh)], T);
    clock.mark("opportunistic message delivered");
}

#[test]
fn udp_pair_announce_and_packet() {
    let tmp = TempDir::new("cmd-udp");
    let (pa, pb) = (free_udp_port(), free_udp_port());
    let a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("a")).udp(pa, pb).write());
    let b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("b")).udp(pb, pa).write());
    a.wait_online(1);
    b.wait_online(1);
    let dest = serve(&a, "udp");
    let ann = a.announce_until_seen(&dest, b"udp", &b);
    assert_eq!(ann["hops"], json!(1));
    let r = b.call(
        "send_packet",
        json!({"destination_hash": dest, "data": "0a0b", "app": "interop", "aspects": ["smoke", "udp"]}),
    );
    let rc = b.wait_for("receipt", &[("packet_hash", &field(&r, "packet_hash"))], T);
    assert_eq!(rc["status"], "delivered");
}

#[test]
fn transport_enabled_peer_reports_it() {
    let tmp = TempDir::new("cmd-transport");
    let p = PyPeer::spawn_config(&RnsConfig::new(tmp.join("t")).transport(true).write());
    assert_eq!(p.ready_info()["transport_enabled"], json!(true));
    let st = p.call("status", json!({}));
    assert_eq!(st["transport_enabled"], json!(true));
    assert_eq!(st["interfaces"], json!([]));
    p.quit();
}

/// 5 MiB, generated inside the peer from a seed (never crosses stdin).
#[test]
fn five_mib_resource() {
    let clock = Clock::new("5MiB");
    let tmp = TempDir::new("cmd-5mib");
    let (a, b) = tcp_pair(&tmp);
    let dest = serve(&a, "big");
    a.announce_until_seen(&dest, b"", &b);
    let link_id = open_link(&b, &a, &dest, "big");
    clock.mark("link up");
    let sent = b.call(
        "resource_send",
        json!({"link_id": link_id, "size": 5 << 20, "seed": 77, "compress": false}),
    );
    clock.mark("resource generated and advertised");
    let got = a.wait_for(
        "resource",
        &[("data_hash", &field(&sent, "data_hash"))],
        T * 4,
    );
    assert_eq!(got["size"], json!(5 << 20));
    assert_eq!(got["status"], "complete");
    clock.mark("5 MiB received");
}
