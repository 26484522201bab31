//! Our node as the transport node between Python peers: the reference must
//! find paths, deliver packets and proofs, and run links across us.

use interop::{
    PyPeer, RnsConfig, Rnsd, SharedInstance, TempDir, bin, field, free_port, map_get, to_hex, unbin,
};
use serde_json::{Value, json};

use super::{APP, Clock, OurNode, T, dest_from_hex, py_wait_either};

enum Attach {
    Tcp(u16),
    Shared(SharedInstance),
}

/// Python peer `a` — ... our transport node ... — Python peer `b`.
pub struct TransportTopo {
    pub name: String,
    pub ours: OurNode,
    pub a: PyPeer,
    pub b: PyPeer,
    /// Hops each Python peer sees to the other.
    pub hops: u8,
    /// Whether our node is a shared instance with a and b its local clients:
    /// path requests for unknown destinations from local clients are then
    /// forwarded to the other clients, and the answer is relayed as a plain
    /// announce (context NONE), as the reference's instance does.
    pub shared_instance: bool,
    /// How a late peer attaches to our node, so its path requests reach us
    /// first.
    late: Attach,
    pub clock: Clock,
    daemons: Vec<Rnsd>,
    pub tmp: TempDir,
}

impl TransportTopo {
    /// a -> our transport node [TCP server] <- b.
    pub fn ours_between(name: &str) -> TransportTopo {
        let tmp = TempDir::new(name);
        let clock = Clock::new(name);
        let p = free_port();
        let ours = OurNode::start(
            name,
            &RnsConfig::new(tmp.join("ours"))
                .transport(true)
                .tcp_server(p),
        );
        let a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("a")).tcp_client(p).write());
        let b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("b")).tcp_client(p).write());
        a.wait_online(1);
        b.wait_online(1);
        ours.wait_online(2);
        clock.mark("up");
        TransportTopo {
            name: name.to_string(),
            ours,
            a,
            b,
            hops: 2,
            shared_instance: false,
            late: Attach::Tcp(p),
            clock,
            daemons: Vec::new(),
            tmp,
        }
    }

    /// a -> our transport node [server p1, client -> p2] -> rnsd transport T
    /// [server p2] <- b.
    pub fn ours_then_python_transport(name: &str) -> TransportTopo {
        let tmp = TempDir::new(name);
        let clock = Clock::new(name);
        let (p1, p2) = (free_port(), free_port());
        let t = Rnsd::spawn(&RnsConfig::new(tmp.join("t")).transport(true).tcp_server(p2));
        let ours = OurNode::start(
            name,
            &RnsConfig::new(tmp.join("ours"))
                .transport(true)
                .tcp_server(p1)
                .tcp_client(p2),
        );
        let a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("a")).tcp_client(p1).write());
        let b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("b")).tcp_client(p2).write());
        a.wait_online(1);
        b.wait_online(1);
        ours.wait_online(2);
        clock.mark("up");
        TransportTopo {
            name: name.to_string(),
            ours,
            a,
            b,
            hops: 3,
            shared_instance: false,
            late: Attach::Tcp(p1),
            clock,
            daemons: vec![t],
            tmp,
        }
    }

    /// a and b are local clients of our node, the shared instance.
    pub fn ours_shared_instance(name: &str) -> TransportTopo {
        let tmp = TempDir::new(name);
        let clock = Clock::new(name);
        let inst = SharedInstance::unique_unix();
        let ours = OurNode::start(name, &RnsConfig::new(tmp.join("ours")).shared(inst.clone()));
        let a = PyPeer::spawn_config(&RnsConfig::shared_client(tmp.join("a"), &inst).write());
        let b = PyPeer::spawn_config(&RnsConfig::shared_client(tmp.join("b"), &inst).write());
        a.wait_online(1);
        b.wait_online(1);
        ours.wait_online(2);
        clock.mark("up");
        TransportTopo {
            name: name.to_string(),
            ours,
            a,
            b,
            hops: 0,
            shared_instance: true,
            late: Attach::Shared(inst),
            clock,
            daemons: Vec::new(),
            tmp,
        }
    }

    /// A fresh Python peer attached to our node; it has heard no announce.
    pub fn late_peer(&self) -> PyPeer {
        let dir = self.tmp.join(format!("late-{}", interop::unique_token()));
        let cfg = match &self.late {
            Attach::Tcp(port) => RnsConfig::new(dir).tcp_client(*port),
            Attach::Shared(inst) => RnsConfig::shared_client(dir, inst),
        };
        let p = PyPeer::spawn_config(&cfg.write());
        p.wait_online(1);
        p
    }
}

fn serve(p: &PyPeer, aspects: &[&str], extra: Value) -> String {
    let mut args = json!({"app": APP, "aspects": aspects, "proof": "all", "accept_links": true,
                          "request_handlers": ["/echo"]});
    if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    field(&p.call("destination_in", args), "destination_hash")
}

/// `from` announces a new destination until `to` has seen it; returns the
/// destination and `to`'s announce event.
fn announce_across(
    from: &PyPeer,
    to: &PyPeer,
    aspects: &[&str],
    extra: Value,
    app_data: &[u8],
) -> (String, Value) {
    let dest = serve(from, aspects, extra);
    let ann = from.announce_until_seen(&dest, app_data, to);
    (dest, ann)
}

/// Announces both ways across our node, validated.
pub fn relay_announces(t: &TransportTopo) {
    let (b_dest, ann) = announce_across(&t.b, &t.a, &[&t.name, "b"], json!({}), b"from b");
    assert_eq!(field(&ann, "identity_hash"), t.b.identity_hash());
    assert_eq!(field(&ann, "app_data"), to_hex(b"from b"));
    assert_eq!(ann["hops"], json!(t.hops), "{ann}");
    let (a_dest, ann) = announce_across(&t.a, &t.b, &[&t.name, "a"], json!({}), b"from a");
    assert_eq!(field(&ann, "identity_hash"), t.a.identity_hash());
    assert_eq!(ann["hops"], json!(t.hops), "{ann}");
    // Our node learned both paths on the way.
    for d in [&a_dest, &b_dest] {
        assert!(t.ours.run(t.ours.h.has_path(dest_from_hex(d))).unwrap());
    }
    t.clock.mark("announces crossed our node both ways");
}

/// A peer that joins later asks for a path our node knows: we answer from
/// our cache with a PATH_RESPONSE announce.
pub fn relay_path_request(t: &TransportTopo) {
    let (b_dest, _) = announce_across(&t.b, &t.a, &[&t.name, "b"], json!({}), b"b");
    // Our node rebroadcasts b's announce once more after its grace time; a
    // late peer that hears that rebroadcast has the path without asking.
    // Let the rebroadcasts finish, and should one still reach the late peer
    // first, take another late peer (as the endpoint scenarios do).
    interop::wait_until(T, || {
        t.ours
            .run(t.ours.h.stats())
            .is_ok_and(|s| s.announce_table == 0)
    });
    let mut attempt = 0;
    let (_late, ann) = loop {
        attempt += 1;
        let late = t.late_peer();
        let r = late
            .try_call_timeout(
                "wait_path",
                json!({"destination_hash": b_dest, "timeout": 20}),
                T,
            )
            .unwrap_or_else(|e| late.fail(&format!("no path: {e}\n{}", t.ours.diag())));
        assert_eq!(r["hops"], json!(t.hops));
        let ann = late.wait_for("announce", &[("destination_hash", &b_dest)], T);
        if ann["is_path_response"] == json!(false) && attempt < 3 {
            eprintln!("late peer heard a rebroadcast before asking: {ann}");
            continue;
        }
        break (late, ann);
    };
    // Answered from our cache: a PATH_RESPONSE, as the reference does.
    assert_eq!(ann["is_path_response"], json!(true), "{ann}");
    assert_eq!(field(&ann, "identity_hash"), t.b.identity_hash());
    t.clock
        .mark("late peer found b's destination through our cache");

    if t.shared_instance {
        // Never announced: our instance forwards a's request to its other
        // clients, b answers, and we relay the answer to a.
        let dest = serve(&t.b, &[&t.name, "quiet"], json!({}));
        let r =
            t.a.try_call_timeout(
                "wait_path",
                json!({"destination_hash": dest, "timeout": 20}),
                T,
            )
            .unwrap_or_else(|e| t.a.fail(&format!("no path: {e}\n{}", t.ours.diag())));
        assert_eq!(r["hops"], json!(t.hops));
        let ann = t.a.wait_for("announce", &[("destination_hash", &dest)], T);
        assert_eq!(ann["is_path_response"], json!(false), "{ann}");
        assert_eq!(field(&ann, "identity_hash"), t.b.identity_hash());
        t.clock
            .mark("a found b's unannounced destination through our instance");
    }
}

fn send_and_prove(from: &PyPeer, to: &PyPeer, dest: &str, aspects: &[&str], data: &[u8]) {
    let r = from.call(
        "send_packet",
        json!({"destination_hash": dest, "data": to_hex(data), "app": APP, "aspects": aspects}),
    );
    let ph = field(&r, "packet_hash");
    let p = to.wait_for("packet", &[("packet_hash", &ph)], T);
    assert_eq!(field(&p, "data"), to_hex(data));
    let rc = from.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "delivered", "{rc}");
}

/// A packet each way across our node, each proved back across it.
pub fn relay_packets(t: &TransportTopo) {
    let (b_dest, _) = announce_across(&t.b, &t.a, &[&t.name, "b"], json!({}), b"");
    let (a_dest, _) = announce_across(&t.a, &t.b, &[&t.name, "a"], json!({}), b"");
    send_and_prove(&t.a, &t.b, &b_dest, &[&t.name, "b"], b"a to b");
    send_and_prove(&t.b, &t.a, &a_dest, &[&t.name, "a"], b"b to a");
    t.clock
        .mark("packets and proofs crossed our node both ways");
}

/// Opens a link from `client` to `server`'s `dest` across our node.
fn open(client: &PyPeer, server: &PyPeer, dest: &str, aspects: &[&str]) -> String {
    let r = client.call(
        "link_open",
        json!({"destination_hash": dest, "app": APP, "aspects": aspects}),
    );
    let lh = field(&r, "link_id");
    client.wait_for("link_established", &[("link_id", &lh)], T);
    server.wait_for("link_established", &[("link_id", &lh)], T);
    lh
}

fn identify_and_echo(client: &PyPeer, server: &PyPeer, lh: &str) {
    client.call("link_identify", json!({"link_id": lh, "identity": "own"}));
    let ident = server.wait_for("link_identified", &[("link_id", lh)], T);
    assert_eq!(field(&ident, "identity_hash"), client.identity_hash());
    let r = client.call(
        "link_request",
        json!({"link_id": lh, "path": "/echo", "data": bin(b"over our node"), "timeout": 15}),
    );
    let rid = field(&r, "request_id");
    let ev = py_wait_either(client, &["response", "request_failed"], "request_id", &rid);
    assert_eq!(ev["event"], "response", "{ev}");
    let resp = &ev["response"];
    assert_eq!(
        map_get(resp, "data").and_then(unbin).as_deref(),
        Some(&b"over our node"[..])
    );
    assert_eq!(
        map_get(resp, "remote_identity")
            .and_then(unbin)
            .map(|b| to_hex(&b)),
        Some(client.identity_hash())
    );
    let r = client.call(
        "link_send",
        json!({"link_id": lh, "data": to_hex(b"link data")}),
    );
    let _ = field(&r, "packet_hash");
    let data = to_hex(b"link data");
    server.wait_for("link_packet", &[("link_id", lh), ("data", &data)], T);
}

fn close(closer: &PyPeer, other: &PyPeer, lh: &str, reason: &str) {
    closer.call("link_close", json!({"link_id": lh}));
    for p in [closer, other] {
        let c = p.wait_for("link_closed", &[("link_id", lh)], T);
        assert_eq!(c["reason"], reason, "{c}");
    }
}

/// Links both ways across our node: identify, request/response, data, and
/// teardown by the responder and by the initiator.
pub fn relay_links(t: &TransportTopo) {
    let b_aspects = [t.name.as_str(), "b"];
    let a_aspects = [t.name.as_str(), "a"];
    let (b_dest, _) = announce_across(&t.b, &t.a, &b_aspects, json!({}), b"");
    let (a_dest, _) = announce_across(&t.a, &t.b, &a_aspects, json!({}), b"");

    let lh = open(&t.a, &t.b, &b_dest, &b_aspects);
    t.clock.mark("link a -> b established across our node");
    full_mdu(&t.a, &t.b, &lh, t);
    identify_and_echo(&t.a, &t.b, &lh);
    close(&t.b, &t.a, &lh, "destination_closed");
    t.clock.mark("a -> b: identified, echoed, closed by b");

    let lh = open(&t.b, &t.a, &a_dest, &a_aspects);
    identify_and_echo(&t.b, &t.a, &lh);
    close(&t.b, &t.a, &lh, "initiator_closed");
    t.clock.mark("b -> a: identified, echoed, closed by b");
}

/// A ratcheted, enforcing Python destination behind our node gets a packet
/// from the other Python peer and proves it.
pub fn relay_ratchets(t: &TransportTopo) {
    let aspects = [t.name.as_str(), "rb"];
    let (b_dest, ann) = announce_across(
        &t.b,
        &t.a,
        &aspects,
        json!({"ratchets": true, "enforce_ratchets": true}),
        b"",
    );
    assert_eq!(ann["hops"], json!(t.hops));
    send_and_prove(&t.a, &t.b, &b_dest, &aspects, b"to b's ratchet");
    t.clock.mark("ratcheted packet crossed our node");
}

/// Both Python ends agree on the MTU of a link across our node (our node
/// clamps the signalled MTU on the way), and a packet filling the MDU crosses.
fn full_mdu(client: &PyPeer, server: &PyPeer, lh: &str, t: &TransportTopo) {
    let c = client.call("link_status", json!({"link_id": lh}));
    let s = server.call("link_status", json!({"link_id": lh}));
    assert_eq!(c["mtu"], s["mtu"], "initiator {c}, responder {s}");
    let mdu = c["mdu"].as_u64().expect("mdu") as usize;
    let big = to_hex(&interop::gen_bytes(9, mdu));
    client.call("link_send", json!({"link_id": lh, "data": big}));
    server.wait_for("link_packet", &[("link_id", lh), ("data", &big)], T);
    t.clock.mark(&format!(
        "link MTU {} across our node; {mdu}-byte packet",
        c["mtu"]
    ));
}
