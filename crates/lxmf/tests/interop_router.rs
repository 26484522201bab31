//! Our LXMF router (the `lxmf` driver over rns-net) against the reference
//! (`lxmf` 1.2.1 on `rns` 1.5.7, a PyPeer running `LXMRouter`), loopback only:
//! direct TCP and through a Python `rnsd` shared instance (each of these in
//! both): messages both ways, opportunistic and direct (packet and 1 MiB
//! resource with file and image fields), delivery proofs both ways, an
//! unknown source, a second identity, a message over the recipient's limit,
//! stamps both ways. Over direct TCP: a recipient that appears late, and a
//! link dropped mid-resource.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interop::{
    Meeting, PyPeer, RnsConfig, TempDir, Topology, bin, field, free_port, from_hex, gen_bytes,
    to_hex, unbin, wait_until,
};
use lxmf::delivery::delivery_destination;
use lxmf::driver::LxmfRouter;
use lxmf::fields::{FileAttachment, Image, id};
use lxmf::router::{Received, RouterConfig, RouterEvent};
use lxmf::{Message, MessageId, Method, SignatureState, State};
use rns_crypto::{DestinationHash, OsRng, PrivateIdentity};
use rns_net::{Reticulum, ReticulumConfig, ReticulumHandle};
use serde_json::{Value as Json, json};
use tokio::runtime::Runtime;

const WAIT: Duration = Duration::from_secs(60);

fn dest(hex: &str) -> DestinationHash {
    DestinationHash(from_hex(hex).try_into().unwrap())
}

/// Our side: a node, the router on it, one delivery identity, and every
/// router event recorded.
struct Ours {
    rt: Runtime,
    net: ReticulumHandle,
    router: LxmfRouter,
    me: DestinationHash,
    events: Arc<Mutex<Vec<RouterEvent>>>,
}

impl Ours {
    fn start(cfg: &RnsConfig, config: RouterConfig, stamp_cost: Option<u8>) -> Ours {
        let parsed = ReticulumConfig::parse(&cfg.text()).unwrap();
        std::fs::create_dir_all(cfg.dir()).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let net = rt
            .block_on(
                Reticulum::new(parsed.config)
                    .config_dir(cfg.dir().to_path_buf())
                    .start(),
            )
            .unwrap();
        let router = rt.block_on(async { LxmfRouter::start(net.clone(), config) });
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut rx = router.subscribe();
        let sink = Arc::clone(&events);
        rt.spawn(async move {
            while let Ok(e) = rx.recv().await {
                sink.lock().unwrap().push(e);
            }
        });
        let me = rt
            .block_on(router.add_identity(
                PrivateIdentity::generate(&mut OsRng),
                Some("rust".into()),
                stamp_cost,
            ))
            .unwrap();
        let ours = Ours {
            rt,
            net,
            router,
            me,
            events,
        };
        ours.wait_online();
        ours
    }

    fn wait_online(&self) {
        assert!(
            wait_until(WAIT, || {
                self.rt
                    .block_on(self.net.interfaces())
                    .unwrap()
                    .iter()
                    .any(|i| i.online)
            }),
            "our interface never came up"
        );
    }

    fn announce(&self) {
        self.rt.block_on(self.router.announce(self.me)).unwrap();
    }

    fn send(
        &self,
        to: DestinationHash,
        content: &[u8],
        fields: lxmf::Fields,
        method: Method,
    ) -> MessageId {
        let mut m = Message::new(to, self.me, rns_net::now(), "from rust", content.to_vec());
        m.fields = fields;
        self.rt.block_on(self.router.send(m, method)).unwrap()
    }

    fn find<T>(&self, pick: impl Fn(&RouterEvent) -> Option<T>) -> Option<T> {
        self.events.lock().unwrap().iter().find_map(pick)
    }

    fn wait<T>(&self, what: &str, pick: impl Fn(&RouterEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = self.find(&pick) {
                return v;
            }
            if Instant::now() >= deadline {
                let dropped: Vec<String> = self
                    .events
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|e| !matches!(e, RouterEvent::Received(_)))
                    .map(|e| format!("{e:?}").chars().take(300).collect())
                    .collect();
                panic!("timed out waiting for {what}; other events: {dropped:#?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_state(&self, id: MessageId, state: State) -> lxmf::router::OutboundStatus {
        self.wait(&format!("{state:?} for {id}"), |e| match e {
            RouterEvent::Outbound(s) if s.id == id && s.state == state => Some(s.clone()),
            RouterEvent::Outbound(s) if s.id == id && s.state == State::Failed => {
                panic!("message {id} failed: {s:?}")
            }
            _ => None,
        })
    }

    fn wait_received(&self, content: &[u8]) -> Received {
        self.wait("a received message", |e| match e {
            RouterEvent::Received(r) if r.message.message().content == content => {
                Some((**r).clone())
            }
            _ => None,
        })
    }

    fn received_count(&self, content: &[u8]) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(
                |e| matches!(e, RouterEvent::Received(r) if r.message.message().content == content),
            )
            .count()
    }

    fn heard(&self, d: DestinationHash) -> bool {
        self.find(|e| match e {
            RouterEvent::PeerAnnounced { destination, .. } if *destination == d => Some(()),
            _ => None,
        })
        .is_some()
    }
}

/// The Python side's LXMF router, started with a fresh identity.
struct Py {
    peer: PyPeer,
    dest: DestinationHash,
}

fn py_lxmf(peer: PyPeer, stamp_cost: Option<u8>, identity: Option<&PrivateIdentity>) -> Py {
    py_lxmf_with(peer, stamp_cost, identity, None)
}

fn py_lxmf_with(
    peer: PyPeer,
    stamp_cost: Option<u8>,
    identity: Option<&PrivateIdentity>,
    delivery_limit_kb: Option<u64>,
) -> Py {
    let mut args = json!({"display_name": "python"});
    if let Some(l) = delivery_limit_kb {
        args["delivery_limit"] = json!(l);
    }
    if let Some(c) = stamp_cost {
        args["stamp_cost"] = json!(c);
    }
    let key = match identity {
        Some(i) => to_hex(&i.to_private_bytes()[..]),
        None => field(&peer.call("identity_new", json!({})), "private_key"),
    };
    args["identity"] = json!(key);
    let r = peer.call("lxmf_start", args);
    let dest = dest(&field(&r, "delivery_hash"));
    Py { peer, dest }
}

/// Each side learns the other's delivery destination from its announce.
fn introduce(ours: &Ours, py: &Py) {
    let deadline = Instant::now() + WAIT;
    while !ours.heard(py.dest) {
        assert!(
            Instant::now() < deadline,
            "Python's announce never reached us"
        );
        py.peer.call("lxmf_announce", json!({}));
        wait_until(Duration::from_secs(2), || ours.heard(py.dest));
    }
    ours.announce();
    py.peer.call(
        "wait_path",
        json!({"destination_hash": to_hex(&ours.me.0), "timeout": 30}),
    );
}

fn py_send(
    py: &Py,
    to: DestinationHash,
    content: &str,
    method: &str,
    fields: Option<Json>,
) -> String {
    let mut args = json!({
        "destination_hash": to_hex(&to.0), "content": content, "title": "from python",
        "method": method,
    });
    if let Some(f) = fields {
        args["fields"] = f;
    }
    field(&py.peer.call("lxmf_send", args), "message_hash")
}

fn py_wait_message(py: &Py, content: &str) -> Json {
    py.peer.wait_event(
        |e| e["event"] == "lxmf_message" && e["content"] == json!(content),
        WAIT,
    )
}

fn py_wait_delivered(py: &Py, hash: &str) -> Json {
    py.peer.wait_event(
        |e| {
            (e["event"] == "lxmf_delivered" || e["event"] == "lxmf_failed")
                && e["message_hash"] == json!(hash)
        },
        WAIT,
    )
}

fn big_fields(seed: u64) -> (lxmf::Fields, Vec<u8>, Vec<u8>) {
    let file = gen_bytes(seed, 1 << 20);
    let image = gen_bytes(seed + 1, 20_000);
    let mut fields = lxmf::Fields::new();
    fields.set_file_attachments(&[FileAttachment {
        name: "big.bin".into(),
        data: file.clone(),
    }]);
    fields.set_image(&Image {
        kind: "webp".into(),
        data: image.clone(),
    });
    (fields, file, image)
}

/// Ours ⇄ Python: messages both ways, opportunistic and direct.
fn messages_both_ways(ours: &Ours, py: &Py, large: bool) {
    // Python → us, opportunistic: valid signature, proved (Python: delivered).
    let t = Instant::now();
    let h = py_send(py, ours.me, "py opportunistic", "opportunistic", None);
    let r = ours.wait_received(b"py opportunistic");
    let latency = t.elapsed();
    assert_eq!(r.signature, SignatureState::Valid);
    assert_eq!(r.method, Method::Opportunistic);
    assert_eq!(r.message.message().title, b"from python");
    assert_eq!(r.message.message_id().to_hex(), h);
    let d = py_wait_delivered(py, &h);
    assert_eq!(d["event"], "lxmf_delivered", "{d}");
    assert_eq!(d["state"], json!(State::Delivered as u8));
    eprintln!("python -> rust opportunistic: received after {latency:?}");

    // Python → us, direct (one link packet).
    let t = Instant::now();
    let h = py_send(py, ours.me, "py direct", "direct", None);
    let r = ours.wait_received(b"py direct");
    eprintln!(
        "python -> rust direct packet: received after {:?}",
        t.elapsed()
    );
    assert_eq!(r.signature, SignatureState::Valid);
    assert_eq!(r.method, Method::Direct);
    assert_eq!(py_wait_delivered(py, &h)["event"], "lxmf_delivered");

    // Us → Python, opportunistic: Python validates it, our proof arrives.
    let t = Instant::now();
    let id = ours.send(
        py.dest,
        b"rust opportunistic",
        lxmf::Fields::new(),
        Method::Opportunistic,
    );
    let got = py_wait_message(py, "rust opportunistic");
    assert_eq!(got["message_hash"], json!(id.to_hex()));
    assert_eq!(got["signature_validated"], json!(true));
    assert_eq!(got["title"], "from rust");
    let st = ours.wait_state(id, State::Delivered);
    assert_eq!(st.method, Method::Opportunistic);
    eprintln!(
        "rust -> python opportunistic: delivered after {:?}",
        t.elapsed()
    );

    // Us → Python, direct packet.
    let t = Instant::now();
    let id = ours.send(py.dest, b"rust direct", lxmf::Fields::new(), Method::Direct);
    let got = py_wait_message(py, "rust direct");
    assert_eq!(got["message_hash"], json!(id.to_hex()));
    assert_eq!(got["signature_validated"], json!(true));
    let st = ours.wait_state(id, State::Delivered);
    assert_eq!(
        (st.method, st.representation),
        (Method::Direct, lxmf::Representation::Packet)
    );
    eprintln!(
        "rust -> python direct packet: delivered after {:?}",
        t.elapsed()
    );

    // Opportunistic but too large for a packet: goes direct.
    let content = vec![b'x'; 600];
    let id = ours.send(
        py.dest,
        &content,
        lxmf::Fields::new(),
        Method::Opportunistic,
    );
    let st = ours.wait_state(id, State::Delivered);
    assert_eq!(
        (st.method, st.representation),
        (Method::Direct, lxmf::Representation::Resource)
    );
    py_wait_message(py, &"x".repeat(600));

    if !large {
        return;
    }
    // Us → Python, 1 MiB file attachment and an image, as a resource.
    let (fields, file, image) = big_fields(7);
    let t = Instant::now();
    let id = ours.send(py.dest, b"rust large", fields, Method::Direct);
    let got = py_wait_message(py, "rust large");
    let st = ours.wait_state(id, State::Delivered);
    eprintln!(
        "rust -> python 1 MiB direct: delivered after {:?}",
        t.elapsed()
    );
    assert_eq!(st.representation, lxmf::Representation::Resource);
    assert_eq!(st.progress, 1.0);
    let saw_progress = ours
        .find(|e| match e {
            RouterEvent::Outbound(s) if s.id == id && s.progress > 0.0 && s.progress < 1.0 => {
                Some(())
            }
            _ => None,
        })
        .is_some();
    assert!(saw_progress, "no progress reported for the resource");
    assert_eq!(got["message_hash"], json!(id.to_hex()));
    let fields = &got["fields"]["map"];
    let get = |k: u64| {
        fields
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == json!(k))
            .map(|p| p[1].clone())
            .unwrap()
    };
    let files = get(id::FILE_ATTACHMENTS);
    assert_eq!(files[0][0], "big.bin");
    assert_eq!(unbin(&files[0][1]).unwrap(), file);
    let img = get(id::IMAGE);
    assert_eq!(img[0], "webp");
    assert_eq!(unbin(&img[1]).unwrap(), image);

    // Python → us, the same kind of message.
    let file = gen_bytes(11, 1 << 20);
    let image = gen_bytes(12, 20_000);
    let tagged = json!({"map": [
        [id::FILE_ATTACHMENTS, [["py.bin", bin(&file)]]],
        [id::IMAGE, ["png", bin(&image)]],
    ]});
    let t = Instant::now();
    let h = py_send(py, ours.me, "py large", "direct", Some(tagged));
    let r = ours.wait_received(b"py large");
    eprintln!(
        "python -> rust 1 MiB direct: received after {:?}",
        t.elapsed()
    );
    assert_eq!(r.signature, SignatureState::Valid);
    let files = r.message.message().fields.file_attachments().unwrap();
    assert_eq!(files[0].name, "py.bin");
    assert_eq!(files[0].data, file);
    let img = r.message.message().fields.image().unwrap();
    assert_eq!((img.kind.as_str(), img.data == image), ("png", true));
    assert_eq!(py_wait_delivered(py, &h)["event"], "lxmf_delivered");
    assert_eq!(ours.received_count(b"py large"), 1);
}

/// Our router and a Python LXMF peer on a network of `topology`. Dropped in
/// field order: the peer, our node, then the `rnsd` and the files.
struct Pair {
    py: Py,
    ours: Ours,
    _meeting: Meeting,
    _tmp: TempDir,
}

fn pair(
    tag: &str,
    topology: Topology,
    config: RouterConfig,
    our_stamp_cost: Option<u8>,
    py_stamp_cost: Option<u8>,
) -> Pair {
    let tmp = TempDir::new(tag);
    let (meeting, peer) = Meeting::start(&tmp, topology);
    let ours = Ours::start(&meeting.ours, config.clone(), our_stamp_cost);
    meeting.wait_connected(&peer);
    // Python takes in as much as we do.
    let py = py_lxmf_with(peer, py_stamp_cost, None, Some(config.delivery_limit_kb));
    Pair {
        py,
        ours,
        _meeting: meeting,
        _tmp: tmp,
    }
}

/// Everything both sides exchange, over `topology`: a message from a source
/// we have not heard of yet, messages both ways (small and 1 MiB), a second
/// identity of ours, and a message over the recipient's delivery limit.
fn exchange_everything(tag: &str, topology: Topology) {
    // Both sides refuse deliveries over 1000 kB by default; 1 MiB of
    // attachment needs more.
    let config = RouterConfig {
        delivery_limit_kb: 2000,
        ..RouterConfig::default()
    };
    let Pair { py, ours, .. } = &pair(tag, topology, config, None, None);

    // Before Python's delivery destination announced itself, its messages
    // arrive with a signature we cannot check yet: kept, unverified.
    ours.announce();
    py.peer.call(
        "wait_path",
        json!({"destination_hash": to_hex(&ours.me.0), "timeout": 30}),
    );
    let h = py_send(py, ours.me, "from a stranger", "opportunistic", None);
    let r = ours.wait_received(b"from a stranger");
    assert_eq!(r.signature, SignatureState::Unverified);
    assert_eq!(r.message.message_id().to_hex(), h);
    assert_eq!(py_wait_delivered(py, &h)["event"], "lxmf_delivered");

    introduce(ours, py);
    messages_both_ways(ours, py, true);

    // A second identity of ours on the same router and transport: it receives
    // and sends on its own.
    let second = ours
        .rt
        .block_on(ours.router.add_identity(
            PrivateIdentity::generate(&mut OsRng),
            Some("second".into()),
            None,
        ))
        .unwrap();
    ours.rt.block_on(ours.router.announce(second)).unwrap();
    py.peer.call(
        "wait_path",
        json!({"destination_hash": to_hex(&second.0), "timeout": 30}),
    );
    py_send(py, second, "to the second", "direct", None);
    let r = ours.wait_received(b"to the second");
    assert_eq!(r.message.message().destination_hash, second);
    assert_eq!(r.signature, SignatureState::Valid);
    let m = Message::new(py.dest, second, rns_net::now(), "", "from the second");
    let id = ours
        .rt
        .block_on(ours.router.send(m, Method::Opportunistic))
        .unwrap();
    let got = py_wait_message(py, "from the second");
    assert_eq!(got["source_hash"], json!(to_hex(&second.0)));
    assert_eq!(got["signature_validated"], json!(true));
    ours.wait_state(id, State::Delivered);

    // Over Python's delivery limit (2000 kB here): it refuses the resource,
    // and the message ends rejected without retries.
    let mut fields = lxmf::Fields::new();
    fields.set_file_attachments(&[FileAttachment {
        name: "huge.bin".into(),
        data: gen_bytes(3, 2_300_000),
    }]);
    let id = ours.send(py.dest, b"too big", fields, Method::Direct);
    let st = ours.wait_state(id, State::Rejected);
    assert_eq!(st.attempts, 1);
}

#[test]
fn direct_tcp_messages_both_ways() {
    exchange_everything("lxmf-direct", Topology::DirectTcp);
}

#[test]
fn rnsd_shared_instance_messages_both_ways() {
    exchange_everything("lxmf-shared", Topology::SharedRnsd);
}

#[test]
fn recipient_appears_late_and_gets_the_same_message() {
    let tmp = TempDir::new("lxmf-late");
    let port = free_port();
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_server(port).write());
    let config = RouterConfig {
        path_request_wait: 1.0,
        retry_wait: 1.0,
        max_attempts: 30,
        ..RouterConfig::default()
    };
    let ours = Ours::start(
        &RnsConfig::new(tmp.join("ours")).tcp_client(port),
        config,
        None,
    );
    peer.wait_online(2);
    // Python's LXMF identity exists, but nothing of it is on the network yet.
    let identity = PrivateIdentity::generate(&mut OsRng);
    let py_dest = delivery_destination(&identity.hash());
    let id = ours.send(
        py_dest,
        b"while you were away",
        lxmf::Fields::new(),
        Method::Direct,
    );
    assert!(
        wait_until(WAIT, || {
            ours.rt
                .block_on(ours.router.status(id))
                .unwrap()
                .is_some_and(|s| s.attempts >= 2 && s.state == State::Outbound)
        }),
        "the message did not stay queued through retries"
    );
    let py = py_lxmf(peer, None, Some(&identity));
    ours.announce();
    py.peer.call(
        "wait_path",
        json!({"destination_hash": to_hex(&ours.me.0), "timeout": 30}),
    );
    py.peer.call("lxmf_announce", json!({}));
    let st = ours.wait_state(id, State::Delivered);
    assert!(st.attempts >= 2, "{st:?}");
    let got = py_wait_message(&py, "while you were away");
    assert_eq!(got["message_hash"], json!(id.to_hex()));
    assert_eq!(got["signature_validated"], json!(true));
    // One message, however many attempts (delivered ends the retries).
    let copies = py
        .peer
        .events()
        .iter()
        .filter(|e| e["event"] == "lxmf_message" && e["content"] == "while you were away")
        .count();
    assert_eq!(copies, 1);
}

/// We ask for (and enforce) stamps of cost 8, and so does Python.
fn stamps_both_ways(tag: &str, topology: Topology) {
    let config = RouterConfig {
        enforce_stamps: true,
        ..RouterConfig::default()
    };
    let Pair { py, ours, .. } = &pair(tag, topology, config, Some(8), Some(8));
    introduce(ours, py);

    // Python asks cost 8: we search a stamp before sending.
    let t = Instant::now();
    let id = ours.send(
        py.dest,
        b"stamped by rust",
        lxmf::Fields::new(),
        Method::Opportunistic,
    );
    ours.wait_state(id, State::Generating);
    let got = py_wait_message(py, "stamped by rust");
    ours.wait_state(id, State::Delivered);
    eprintln!(
        "rust -> python with a cost-8 stamp: delivered after {:?}",
        t.elapsed()
    );
    assert_eq!(got["stamp_valid"], json!(true), "{got}");
    assert!(got["stamp_value"].as_u64().unwrap() >= 8, "{got}");

    // We announced cost 8 and enforce it: Python's message carries a stamp
    // that passes.
    let t = Instant::now();
    let h = py_send(py, ours.me, "stamped by python", "direct", None);
    let r = ours.wait_received(b"stamped by python");
    eprintln!(
        "python -> rust with a cost-8 stamp: received after {:?}",
        t.elapsed()
    );
    assert!(r.stamp_value.is_some_and(|v| v >= 8), "{:?}", r.stamp_value);
    assert_eq!(py_wait_delivered(py, &h)["event"], "lxmf_delivered");
}

#[test]
fn stamps_both_ways_over_direct_tcp() {
    stamps_both_ways("lxmf-stamps", Topology::DirectTcp);
}

#[test]
fn stamps_both_ways_through_rnsd() {
    stamps_both_ways("lxmf-stamps-shared", Topology::SharedRnsd);
}

/// Our link drops while a 1 MiB message is moving as a resource: the same
/// message (same id) goes again on a new link, and the reference takes it in
/// once.
#[test]
fn link_drop_mid_resource_retries_the_same_message() {
    let tmp = TempDir::new("lxmf-drop");
    let port = free_port();
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_server(port).write());
    let config = RouterConfig {
        retry_wait: 1.0,
        ..RouterConfig::default()
    };
    let ours = Ours::start(
        &RnsConfig::new(tmp.join("ours")).tcp_client(port),
        config,
        None,
    );
    peer.wait_online(2);
    let py = py_lxmf_with(peer, None, None, Some(2000));
    introduce(&ours, &py);

    // Every link our node brings up, to close the one carrying the resource.
    let links = Arc::new(Mutex::new(Vec::new()));
    let mut net_events = ours.net.subscribe();
    let sink = Arc::clone(&links);
    ours.rt.spawn(async move {
        while let Ok(ev) = net_events.recv().await {
            if let rns_proto::node::Event::Link(rns_proto::node::LinkEvent::Established {
                link_id,
                ..
            }) = ev
            {
                sink.lock().unwrap().push(link_id);
            }
        }
    });
    let (fields, file, _) = big_fields(21);
    let id = ours.send(py.dest, b"dropped once", fields, Method::Direct);
    ours.wait("resource progress", |e| match e {
        RouterEvent::Outbound(s) if s.id == id && s.progress > 0.0 && s.progress < 1.0 => Some(()),
        _ => None,
    });
    let first: Vec<_> = links.lock().unwrap().clone();
    for l in &first {
        let _ = ours.rt.block_on(ours.net.close_link(*l));
    }
    let st = ours.wait_state(id, State::Delivered);
    assert_eq!(st.attempts, 2, "{st:?}");
    let got = py_wait_message(&py, "dropped once");
    assert_eq!(got["message_hash"], json!(id.to_hex()));
    let fields = &got["fields"]["map"];
    let files = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == json!(id::FILE_ATTACHMENTS))
        .map(|p| p[1].clone())
        .unwrap();
    assert_eq!(unbin(&files[0][1]).unwrap(), file);
    // A little later, still exactly one copy at the reference.
    wait_until(Duration::from_secs(2), || false);
    let copies = py
        .peer
        .events()
        .iter()
        .filter(|e| e["event"] == "lxmf_message" && e["content"] == "dropped once")
        .count();
    assert_eq!(copies, 1);
    // The retry went over a new link.
    assert!(links.lock().unwrap().len() > first.len());
}

/// With `prove_when_stored` the reference's message is proved only once we
/// say it is stored: until then Python's state stays short of delivered;
/// after `ack_stored` its proof arrives, for a single packet, a link packet
/// and a message too large for a packet (carried as a resource) alike.
#[test]
fn proofs_wait_until_the_application_stored_the_message() {
    let config = RouterConfig {
        prove_when_stored: true,
        ..RouterConfig::default()
    };
    let Pair { py, ours, .. } = &pair("lxmf-ack", Topology::DirectTcp, config, None, None);
    introduce(ours, py);
    let large = format!("held resource {}", "r".repeat(3000));
    for (content, method) in [
        ("held opportunistic", "opportunistic"),
        ("held direct", "direct"),
        (large.as_str(), "direct"),
    ] {
        let h = py_send(py, ours.me, content, method, None);
        let r = ours.wait_received(content.as_bytes());
        // Arrived, not yet stored: no proof within a second (Python would
        // have its proof in milliseconds otherwise).
        let early = py.peer.wait_event_opt(
            |e| e["event"] == "lxmf_delivered" && e["message_hash"] == json!(h),
            Duration::from_secs(1),
        );
        assert!(early.is_none(), "proved before it was stored: {early:?}");
        ours.rt
            .block_on(ours.router.ack_stored(*r.message.message_id()))
            .unwrap();
        assert_eq!(py_wait_delivered(py, &h)["event"], "lxmf_delivered");
    }
}
