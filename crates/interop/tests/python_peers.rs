//! Python-to-Python smoke tests of the interop harness itself: two reference
//! peers talk over each loopback topology the Rust tests will use. If these
//! fail, the harness (or the Python setup) is broken, not our Rust stack.

// Test code: helpers outside #[test] fns may unwrap/panic to fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use interop::{
    DEFAULT_TIMEOUT, PyPeer, RnsConfig, Rnsd, SharedInstance, TempDir, bin, field, free_port,
    map_get, to_hex, unbin, wait_until,
};
use serde_json::{Value, json};

const T: Duration = DEFAULT_TIMEOUT;

/// Prints the time since `start` for a step, so test logs record timings.
struct Clock {
    start: Instant,
    name: &'static str,
}

impl Clock {
    fn new(name: &'static str) -> Clock {
        Clock {
            start: Instant::now(),
            name,
        }
    }
    fn mark(&self, step: &str) {
        eprintln!(
            "[{}] {:>7.3}s {step}",
            self.name,
            self.start.elapsed().as_secs_f64()
        );
    }
}

/// Waits until every interface the peer knows is online and there are at
/// least `n` of them (a TCP server counts its accepted clients too).
fn wait_interfaces(peer: &PyPeer, n: usize) {
    let ok = wait_until(T, || {
        let st = peer.call("status", json!({}));
        let ifs = st["interfaces"].as_array().cloned().unwrap_or_default();
        ifs.len() >= n && ifs.iter().all(|i| i["online"] == json!(true))
    });
    if !ok {
        peer.fail(&format!(
            "interfaces not up: {}",
            peer.call("status", json!({}))
        ));
    }
}

/// Announces `dest` from `announcer` every 2 s until `observer` has seen it;
/// returns the observer's announce event.
fn announce_until_seen(
    announcer: &PyPeer,
    dest: &str,
    app_data: &[u8],
    observer: &PyPeer,
) -> Value {
    let deadline = Instant::now() + T;
    loop {
        announcer.call(
            "announce",
            json!({"destination_hash": dest, "app_data": to_hex(app_data)}),
        );
        let seen = observer.wait_event_opt(
            |e| interop::event_matches(e, "announce", &[("destination_hash", dest)]),
            Duration::from_secs(2),
        );
        if let Some(ev) = seen {
            return ev;
        }
        if Instant::now() > deadline {
            observer.fail(&format!("announce of {dest} never arrived"));
        }
    }
}

/// A destination on `peer` accepting links, proving all packets, with the
/// `/echo` and `/big` request handlers.
fn serve(peer: &PyPeer, aspect: &str) -> String {
    let d = peer.call(
        "destination_in",
        json!({
            "app": "interop", "aspects": ["smoke", aspect], "proof": "all",
            "accept_links": true, "request_handlers": ["/echo", "/big"],
        }),
    );
    field(&d, "destination_hash")
}

/// Opens a link from `client` to `server`'s destination and waits until both
/// ends report it established. Returns the link id.
fn open_link(client: &PyPeer, server: &PyPeer, dest: &str, aspect: &str) -> String {
    let r = client.call(
        "link_open",
        json!({"destination_hash": dest, "app": "interop", "aspects": ["smoke", aspect]}),
    );
    let link_id = field(&r, "link_id");
    client.wait_for("link_established", &[("link_id", &link_id)], T);
    server.wait_for(
        "link_established",
        &[("link_id", &link_id), ("destination_hash", dest)],
        T,
    );
    link_id
}

/// Identify, an echo request, and (optionally) a resource over `link_id`.
fn exercise_link(
    client: &PyPeer,
    server: &PyPeer,
    link_id: &str,
    resource_size: usize,
    clock: &Clock,
) {
    client.call(
        "link_identify",
        json!({"link_id": link_id, "identity": "own"}),
    );
    let ident = server.wait_for("link_identified", &[("link_id", link_id)], T);
    assert_eq!(field(&ident, "identity_hash"), client.identity_hash());
    clock.mark("link identified");

    let payload = b"ping over a link";
    let r = client.call(
        "link_request",
        json!({"link_id": link_id, "path": "/echo", "data": bin(payload), "timeout": 15}),
    );
    let request_id = field(&r, "request_id");
    let ev = client.wait_event(
        |e| {
            (e["event"] == "response" || e["event"] == "request_failed")
                && e["request_id"] == json!(request_id)
        },
        T,
    );
    assert_eq!(ev["event"], "response", "request failed: {ev}");
    let resp = &ev["response"];
    assert_eq!(map_get(resp, "path").and_then(Value::as_str), Some("/echo"));
    assert_eq!(
        map_get(resp, "data").and_then(unbin).as_deref(),
        Some(&payload[..])
    );
    let remote = map_get(resp, "remote_identity")
        .and_then(unbin)
        .expect("remote identity");
    assert_eq!(to_hex(&remote), client.identity_hash());
    let req_ev = server.wait_for("request", &[("request_id", &request_id)], T);
    assert_eq!(req_ev["path"], "/echo");
    clock.mark(&format!(
        "echo response in {:.3}s",
        ev["response_time"].as_f64().unwrap_or(-1.0)
    ));

    let r = client.call(
        "link_send",
        json!({"link_id": link_id, "data": to_hex(b"raw link data")}),
    );
    let _ = field(&r, "packet_hash");
    let p = server.wait_for("link_packet", &[("link_id", link_id)], T);
    assert_eq!(field(&p, "data"), to_hex(b"raw link data"));
    clock.mark("link packet");

    if resource_size > 0 {
        let sent = client.call(
            "resource_send",
            json!({
                "link_id": link_id, "size": resource_size, "seed": 42, "compress": false,
                "metadata": {"map": [["name", "blob.bin"]]},
            }),
        );
        let hash = field(&sent, "hash");
        let done = client.wait_for("resource_sent", &[("link_id", link_id), ("hash", &hash)], T);
        assert_eq!(done["status"], "complete", "{done}");
        let got = server.wait_for("resource", &[("link_id", link_id), ("hash", &hash)], T);
        assert_eq!(got["status"], "complete", "{got}");
        assert_eq!(got["size"], json!(resource_size));
        assert_eq!(field(&got, "data_hash"), field(&sent, "data_hash"));
        assert_eq!(
            map_get(&got["metadata"], "name").and_then(Value::as_str),
            Some("blob.bin")
        );
        clock.mark(&format!("{resource_size}-byte resource"));
    }
}

fn close_link(client: &PyPeer, server: &PyPeer, link_id: &str) {
    client.call("link_close", json!({"link_id": link_id}));
    let c = client.wait_for("link_closed", &[("link_id", link_id)], T);
    let s = server.wait_for("link_closed", &[("link_id", link_id)], T);
    assert_eq!(c["reason"], "initiator_closed", "{c}");
    assert_eq!(s["reason"], "initiator_closed", "{s}");
}

/// (a) TCP server peer <-> TCP client peer.
#[test]
fn tcp_server_and_client() {
    let clock = Clock::new("tcp");
    let tmp = TempDir::new("py-tcp");
    let port = free_port();
    let a_cfg = RnsConfig::new(tmp.join("a")).tcp_server(port).write();
    let a = PyPeer::spawn_config(&a_cfg);
    let b_cfg = RnsConfig::new(tmp.join("b")).tcp_client(port).write();
    let b = PyPeer::spawn_config(&b_cfg);
    wait_interfaces(&b, 1);
    wait_interfaces(&a, 2);
    clock.mark("peers up");

    let dest = serve(&a, "tcp");
    let ann = announce_until_seen(&a, &dest, b"hello", &b);
    assert_eq!(field(&ann, "app_data"), to_hex(b"hello"));
    assert_eq!(field(&ann, "identity_hash"), a.identity_hash());
    assert_eq!(ann["hops"], json!(1), "{ann}");
    let path = b.call(
        "wait_path",
        json!({"destination_hash": dest, "timeout": 15}),
    );
    assert_eq!(path["hops"], json!(1));
    let hp = b.call("has_path", json!({"destination_hash": dest}));
    assert_eq!(hp["has_path"], json!(true));
    clock.mark("announce + path");

    let r = b.call(
        "send_packet",
        json!({"destination_hash": dest, "data": to_hex(b"single packet"),
               "app": "interop", "aspects": ["smoke", "tcp"]}),
    );
    let ph = field(&r, "packet_hash");
    let rc = b.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "delivered", "{rc}");
    let pkt = a.wait_for("packet", &[("destination_hash", &dest)], T);
    assert_eq!(field(&pkt, "data"), to_hex(b"single packet"));
    assert_eq!(field(&pkt, "packet_hash"), ph);
    clock.mark(&format!("packet delivered, rtt {}", rc["rtt"]));

    let link_id = open_link(&b, &a, &dest, "tcp");
    clock.mark("link established");
    exercise_link(&b, &a, &link_id, 100 * 1024, &clock);
    close_link(&b, &a, &link_id);
    clock.mark("link closed");

    // Error path of the protocol: a failed command is reported, the loop lives on.
    let err = b
        .try_call("link_send", json!({"link_id": "00", "data": "00"}))
        .unwrap_err();
    assert!(err.contains("unknown link"), "{err}");
    assert!(b.try_call("no_such_command", json!({})).is_err());
    b.call("status", json!({}));
    b.quit();
    a.quit();
    clock.mark("done");
}

fn shared_instance_pair(name: &'static str, instance: SharedInstance) {
    let clock = Clock::new(name);
    let tmp = TempDir::new(name);
    let daemon = Rnsd::spawn(&RnsConfig::new(tmp.join("rnsd")).shared(instance.clone()));
    clock.mark("rnsd up");
    let a_cfg = RnsConfig::shared_client(tmp.join("a"), &instance).write();
    let b_cfg = RnsConfig::shared_client(tmp.join("b"), &instance).write();
    let a = PyPeer::spawn_config(&a_cfg);
    let b = PyPeer::spawn_config(&b_cfg);
    for p in [&a, &b] {
        assert_eq!(
            p.ready_info()["connected_to_shared_instance"],
            json!(true),
            "{}",
            p.ready_info()
        );
        wait_interfaces(p, 1);
    }
    clock.mark("clients attached");

    let dest = serve(&a, name);
    let ann = announce_until_seen(&a, &dest, b"shared", &b);
    clock.mark(&format!("announce seen, hops {}", ann["hops"]));
    let path = b.call(
        "wait_path",
        json!({"destination_hash": dest, "timeout": 15}),
    );
    eprintln!("[{name}] path hops via shared instance: {}", path["hops"]);

    let r = b.call(
        "send_packet",
        json!({"destination_hash": dest, "data": to_hex(b"via rnsd"),
               "app": "interop", "aspects": ["smoke", name]}),
    );
    let rc = b.wait_for("receipt", &[("packet_hash", &field(&r, "packet_hash"))], T);
    assert_eq!(rc["status"], "delivered", "{rc}");
    clock.mark("packet delivered");

    let link_id = open_link(&b, &a, &dest, name);
    clock.mark("link established");
    exercise_link(&b, &a, &link_id, 0, &clock);
    close_link(&b, &a, &link_id);
    clock.mark("done");
    drop(daemon);
}

/// (b) Two peers attached to an `rnsd` shared instance on a unique abstract
/// Unix socket name.
#[test]
fn shared_instance_unix() {
    shared_instance_pair("shared-unix", SharedInstance::unique_unix());
}

/// (b') The same over `shared_instance_type = tcp` with explicit ports.
#[test]
fn shared_instance_tcp() {
    shared_instance_pair("shared-tcp", SharedInstance::free_tcp());
}

/// (c) peer A -- rnsd transport T1 -- rnsd transport T2 -- peer B.
#[test]
fn chain_through_two_transport_nodes() {
    let clock = Clock::new("chain");
    let tmp = TempDir::new("py-chain");
    let (p1, p2) = (free_port(), free_port());
    let t2 = Rnsd::spawn(
        &RnsConfig::new(tmp.join("t2"))
            .transport(true)
            .tcp_server(p2),
    );
    let t1 = Rnsd::spawn(
        &RnsConfig::new(tmp.join("t1"))
            .transport(true)
            .tcp_server(p1)
            .tcp_client(p2),
    );
    clock.mark("transport nodes up");
    let b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("b")).tcp_client(p2).write());
    let a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("a")).tcp_client(p1).write());
    wait_interfaces(&a, 1);
    wait_interfaces(&b, 1);
    clock.mark("peers up");

    let dest = serve(&b, "chain");
    let ann = announce_until_seen(&b, &dest, b"far away", &a);
    clock.mark(&format!("announce crossed the chain, hops {}", ann["hops"]));
    assert_eq!(ann["hops"], json!(3), "{ann}");
    let path = a.call(
        "wait_path",
        json!({"destination_hash": dest, "timeout": 15}),
    );
    assert_eq!(path["hops"], json!(3));

    let link_id = open_link(&a, &b, &dest, "chain");
    clock.mark("link established over 3 hops");
    exercise_link(&a, &b, &link_id, 0, &clock);
    close_link(&a, &b, &link_id);
    clock.mark("done");
    drop((t1, t2));
}
