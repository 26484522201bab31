//! Resources between our node and the Python reference (a PyPeer) over direct
//! TCP on 127.0.0.1: links opened from either end, resources of 1 KiB, 1 MiB
//! and 5 MiB both ways (with and without compression and metadata, checked
//! by SHA-256), and requests and responses too large for one packet.
//!
//! Python runs only through the interop harness; every wait polls or waits
//! on events with a deadline, never a fixed sleep.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use interop::{PyPeer, RnsConfig, TempDir, field, free_port, from_hex, gen_bytes, to_hex};
use rns_crypto::{DestinationHash, OsRng, PrivateIdentity, full_hash};
use rns_msgpack::Value;
use rns_net::{Reticulum, ReticulumHandle};
use rns_proto::node::{DestinationSpec, Event, LinkEvent, LinkId, ProofStrategy};
use rns_proto::resource::{ResourceHash, ResourceStatus};
use serde_json::{Value as Json, json};
use support::{online, tcp_client_config, wait_event};
use tokio::runtime::Runtime;

const TRANSFER: Duration = Duration::from_secs(120);

/// Our node and a Python peer, each with a destination the other knows.
struct Peers {
    rt: Runtime,
    node: ReticulumHandle,
    py: PyPeer,
    py_dest: DestinationHash,
    our_dest: DestinationHash,
    _tmp: TempDir,
}

fn dest_hash(hex: &str) -> DestinationHash {
    DestinationHash(from_hex(hex).try_into().unwrap())
}

fn setup(tag: &str) -> Peers {
    let tmp = TempDir::new(tag);
    let port = free_port();
    let cfg = RnsConfig::new(tmp.join("py")).tcp_server(port).write();
    let py = PyPeer::spawn_config(&cfg);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let node = rt
        .block_on(Reticulum::new(tcp_client_config(port)).start())
        .unwrap();
    rt.block_on(online(&node, 1));
    let d = py.call(
        "destination_in",
        json!({"app": "interop", "aspects": ["res"], "request_handlers": ["/big", "/echo"]}),
    );
    let py_dest = dest_hash(&field(&d, "destination_hash"));
    py.announce_until(&to_hex(&py_dest.0), b"", || {
        rt.block_on(node.has_path(py_dest)).unwrap()
    });
    let spec = DestinationSpec::single(PrivateIdentity::generate(&mut OsRng), "rnsnet", &["res"])
        .with_proof_strategy(ProofStrategy::None)
        .accepting_links();
    let our_dest = rt.block_on(node.register_destination(spec)).unwrap();
    rt.block_on(node.announce(our_dest, None)).unwrap();
    py.call(
        "wait_path",
        json!({"destination_hash": to_hex(&our_dest.0)}),
    );
    Peers {
        rt,
        node,
        py,
        py_dest,
        our_dest,
        _tmp: tmp,
    }
}

impl Peers {
    /// A link we open to the peer, once both ends have it.
    fn link_to_python(&self) -> LinkId {
        let mut events = self.node.subscribe();
        let link = self.rt.block_on(self.node.open_link(self.py_dest)).unwrap();
        self.rt
            .block_on(wait_event(&mut events, "established", |e| match e {
                Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
                _ => None,
            }));
        let hex = to_hex(&link.0);
        self.py
            .wait_for("link_established", &[("link_id", &hex)], TRANSFER);
        link
    }

    /// A link the peer opens to us, once both ends have it.
    fn link_from_python(&self) -> LinkId {
        let mut events = self.node.subscribe();
        let r = self.py.call(
            "link_open",
            json!({"destination_hash": to_hex(&self.our_dest.0), "app": "rnsnet", "aspects": ["res"]}),
        );
        let link = dest_hash(&field(&r, "link_id"));
        self.rt
            .block_on(wait_event(&mut events, "established", |e| match e {
                Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
                _ => None,
            }));
        link
    }

    /// Sends `size` bytes from us and checks what the peer received.
    fn send_to_python(&self, link: LinkId, size: usize, seed: u64, compress: bool, meta: bool) {
        let data = gen_bytes(seed, size);
        let sha = to_hex(&full_hash(&data));
        let metadata = meta.then(metadata);
        let mut events = self.node.subscribe();
        let started = Instant::now();
        let hash = self
            .rt
            .block_on(
                self.node
                    .with_node(move |n, now| n.send_resource(now, &link, data, metadata, compress)),
            )
            .unwrap()
            .unwrap();
        let link_hex = to_hex(&link.0);
        let got = self.py.wait_event(
            |e| e["event"] == "resource" && e["link_id"] == json!(link_hex),
            TRANSFER,
        );
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(got["status"], "complete", "{}", self.py.stderr_tail());
        assert_eq!(got["data_hash"], json!(sha));
        assert_eq!(got["original_hash"], json!(to_hex(&hash.0)));
        let expected_meta = if meta { metadata_tagged() } else { Json::Null };
        assert_eq!(got["metadata"], expected_meta);
        let status = self.concluded(&mut events, hash);
        assert_eq!(status, ResourceStatus::Complete);
        self.py.clear_events();
        println!(
            "Rust->Python {size} B compress={compress} meta={meta}: {secs:.2} s ({:.1} MB/s)",
            size as f64 / secs / 1e6
        );
    }

    fn concluded(
        &self,
        events: &mut tokio::sync::broadcast::Receiver<Event>,
        hash: ResourceHash,
    ) -> ResourceStatus {
        self.rt
            .block_on(wait_event(events, "concluded", |e| match e {
                Event::Link(LinkEvent::ResourceConcluded {
                    hash: h, status, ..
                }) if *h == hash => Some(*status),
                _ => None,
            }))
    }

    /// Has the peer send `size` bytes and checks what we received.
    fn receive_from_python(
        &self,
        link: LinkId,
        size: usize,
        seed: u64,
        compress: bool,
        meta: bool,
    ) {
        let mut events = self.node.subscribe();
        let started = Instant::now();
        let mut args =
            json!({"link_id": to_hex(&link.0), "size": size, "seed": seed, "compress": compress});
        if meta {
            args["metadata"] = metadata_tagged();
        }
        let r = self.py.call("resource_send", args);
        let hash = ResourceHash(from_hex(&field(&r, "hash")).try_into().unwrap());
        let (data, metadata) = self
            .rt
            .block_on(wait_event(&mut events, "received", |e| match e {
                Event::Link(LinkEvent::ResourceReceived {
                    link_id,
                    hash: h,
                    data,
                    metadata,
                }) if *link_id == link && *h == hash => Some((data.clone(), metadata.clone())),
                Event::Link(LinkEvent::ResourceConcluded {
                    hash: h, status, ..
                }) if *h == hash => {
                    panic!("resource concluded {status:?} without data")
                }
                _ => None,
            }));
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(data.len(), size);
        assert!(data == gen_bytes(seed, size), "data differs");
        assert_eq!(metadata, meta.then(metadata_value));
        self.py.wait_event(
            |e| e["event"] == "resource_sent" && e["original_hash"] == json!(to_hex(&hash.0)),
            TRANSFER,
        );
        let sent = self
            .py
            .events()
            .into_iter()
            .find(|e| e["event"] == "resource_sent")
            .unwrap();
        assert_eq!(sent["status"], "complete");
        self.py.clear_events();
        println!(
            "Python->Rust {size} B compress={compress} meta={meta}: {secs:.2} s ({:.1} MB/s)",
            size as f64 / secs / 1e6
        );
    }
}

fn metadata_value() -> Value {
    Value::Map(vec![(Value::from("name"), Value::bin(*b"file.bin"))])
}

fn metadata() -> Value {
    metadata_value()
}

fn metadata_tagged() -> Json {
    json!({"map": [["name", {"bin": to_hex(b"file.bin")}]]})
}

/// (size, compress, metadata) for every direction.
const CASES: [(usize, bool, bool); 6] = [
    (1024, false, false),
    (1024, true, true),
    (1024 * 1024, false, true),
    (1024 * 1024, true, false),
    (5 * 1024 * 1024, false, false),
    (5 * 1024 * 1024, true, true),
];

#[test]
fn resources_both_ways_on_a_link_we_open() {
    let p = setup("res-ours");
    let link = p.link_to_python();
    for (i, (size, compress, meta)) in CASES.into_iter().enumerate() {
        p.send_to_python(link, size, 100 + i as u64, compress, meta);
        p.receive_from_python(link, size, 200 + i as u64, compress, meta);
    }
}

#[test]
fn resources_both_ways_on_a_link_python_opens() {
    let p = setup("res-theirs");
    let link = p.link_from_python();
    for (i, (size, compress, meta)) in CASES.into_iter().enumerate() {
        p.receive_from_python(link, size, 300 + i as u64, compress, meta);
        p.send_to_python(link, size, 400 + i as u64, compress, meta);
    }
}

#[test]
fn requests_and_responses_as_resources_both_ways() {
    let p = setup("res-requests");
    let link = p.link_to_python();
    let mut events = p.node.subscribe();
    // Our small request, a response far larger than a packet.
    let n = 300_000u64;
    let request =
        p.rt.block_on(
            p.node
                .link_request(link, "/big".into(), Value::UInt(n), Some(60.0)),
        )
        .unwrap();
    let response =
        p.rt.block_on(wait_event(&mut events, "big response", |e| match e {
            Event::Link(LinkEvent::ResponseReceived {
                request_id,
                response,
                ..
            }) if *request_id == request => Some(response.clone()),
            Event::Link(LinkEvent::RequestFailed {
                request_id, reason, ..
            }) if *request_id == request => {
                panic!("request failed: {reason:?}")
            }
            _ => None,
        }));
    assert!(
        response == Value::Bin(gen_bytes(n, n as usize)),
        "wrong /big response"
    );

    // Our request too large for a packet; the echo response is large too.
    let big = gen_bytes(5, 40_000);
    let request = p
        .rt
        .block_on(
            p.node
                .link_request(link, "/echo".into(), Value::Bin(big.clone()), Some(60.0)),
        )
        .unwrap();
    let seen = p.py.wait_for("request", &[("path", "/echo")], TRANSFER);
    assert_eq!(seen["request_id"], json!(to_hex(&request.0)));
    let echoed =
        p.rt.block_on(wait_event(&mut events, "echo response", |e| match e {
            Event::Link(LinkEvent::ResponseReceived {
                request_id,
                response,
                ..
            }) if *request_id == request => Some(response.clone()),
            _ => None,
        }));
    assert_eq!(echoed.map_get_str("data"), Some(&Value::Bin(big)));

    // The peer's request too large for a packet, and our large response.
    let theirs = p.link_from_python();
    let data = gen_bytes(6, 50_000);
    let r = p.py.call(
        "link_request",
        json!({"link_id": to_hex(&theirs.0), "path": "/ours", "data": {"bin": to_hex(&data)}, "timeout": 60}),
    );
    let py_request = field(&r, "request_id");
    let (id, got) =
        p.rt.block_on(wait_event(&mut events, "their request", |e| match e {
            Event::Link(LinkEvent::RequestReceived {
                link_id,
                request_id,
                data,
                ..
            }) if *link_id == theirs => Some((*request_id, data.clone())),
            _ => None,
        }));
    assert_eq!(to_hex(&id.0), py_request);
    assert!(got == Value::Bin(data), "their request data differs");
    let answer = gen_bytes(7, 80_000);
    p.rt.block_on(p.node.link_respond(theirs, id, Value::Bin(answer.clone())))
        .unwrap();
    let resp =
        p.py.wait_for("response", &[("request_id", &py_request)], TRANSFER);
    assert_eq!(resp["response"], json!({"bin": to_hex(&answer)}));
}
