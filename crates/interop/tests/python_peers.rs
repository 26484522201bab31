//! Python-to-Python smoke tests of the interop harness itself: two reference
//! peers talk over each loopback topology the Rust tests will use. If these
//! fail, the harness (or the Python setup) is broken, not our Rust stack.

// Test code: helpers outside #[test] fns may unwrap/panic to fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use interop::{PyPeer, RnsConfig, Rnsd, SharedInstance, TempDir, field, free_port, to_hex};
use serde_json::json;

mod common;

use common::{Clock, T, close_link, exercise_link, open_link, serve};

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
    b.wait_online(1);
    a.wait_online(2);
    clock.mark("peers up");

    let dest = serve(&a, "tcp");
    let ann = a.announce_until_seen(&dest, b"hello", &b);
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
        p.wait_online(1);
    }
    clock.mark("clients attached");

    let dest = serve(&a, name);
    let ann = a.announce_until_seen(&dest, b"shared", &b);
    clock.mark(&format!("announce seen, hops {}", ann["hops"]));
    let path = b.call(
        "wait_path",
        json!({"destination_hash": dest, "timeout": 15}),
    );
    eprintln!("[{name}] path hops via shared instance: {}", path["hops"]);
    // path_table goes over the shared instance's RPC socket: this needs the
    // rpc_key shared between the config dirs.
    let table = b.call("path_table", json!({}));
    eprintln!("[{name}] path table over RPC: {table}");
    let paths = table["paths"].as_array().cloned().unwrap_or_default();
    assert!(paths.iter().any(|e| e["hash"] == json!(dest)), "{table}");

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
    a.wait_online(1);
    b.wait_online(1);
    clock.mark("peers up");

    let dest = serve(&b, "chain");
    let ann = b.announce_until_seen(&dest, b"far away", &a);
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
