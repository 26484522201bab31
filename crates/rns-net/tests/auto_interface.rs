//! The AutoInterface between two network namespaces joined by a veth pair,
//! created for the test and removed when it ends (pass or fail): nothing
//! reaches the host's real network.
//!
//! Our node has to run inside a namespace, so it runs as a child process:
//! this very test binary, re-executed through `ip netns exec` with
//! `RNS_NET_CHILD_CONFIG` set, runs only [`child_node`], which starts a node
//! on that config and is driven by JSON lines on stdin (replies and events
//! on stdout, prefixed with `@@ `, as libtest prints its own lines there too).
//!
//! Without the rights to create namespaces the tests fail when `CI` is set,
//! and are skipped with a printed reason otherwise.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use interop::{PyPeer, TempDir, field, to_hex, unique_token};
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(30);
const CHILD_ENV: &str = "RNS_NET_CHILD_CONFIG";
/// The veth ends inside each namespace (one pair per link).
const VETHS: [&str; 2] = ["mcxveth", "mcxveth2"];

// --- Namespaces -------------------------------------------------------------

/// Two namespaces joined by `links` veth pairs; deleted on drop.
struct NetnsPair {
    a: String,
    b: String,
    links: usize,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {args:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl NetnsPair {
    fn new(links: usize) -> Result<NetnsPair, String> {
        let tag = unique_token().replace('-', "");
        let pair = NetnsPair {
            a: format!("mcx{tag}a"),
            b: format!("mcx{tag}b"),
            links,
        };
        // Drop removes whatever was made, also when a step fails.
        ip(&["netns", "add", &pair.a])?;
        ip(&["netns", "add", &pair.b])?;
        for veth in pair.veths() {
            ip(&[
                "link", "add", veth, "netns", &pair.a, "type", "veth", "peer", "name", veth,
                "netns", &pair.b,
            ])?;
        }
        for ns in [&pair.a, &pair.b] {
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            for veth in pair.veths() {
                ip(&["-n", ns, "link", "set", veth, "up"])?;
            }
        }
        // Wait for duplicate address detection to finish: a tentative
        // link-local address cannot be bound.
        let ready = interop::wait_until(T, || {
            [&pair.a, &pair.b].iter().all(|ns| {
                pair.veths().iter().all(|veth| {
                    Command::new("ip")
                        .args(["-n", ns, "-6", "addr", "show", "dev", veth, "scope", "link"])
                        .output()
                        .map(|o| {
                            let s = String::from_utf8_lossy(&o.stdout);
                            s.contains("fe80::") && !s.contains("tentative")
                        })
                        .unwrap_or(false)
                })
            })
        });
        if !ready {
            return Err("no usable link-local address on the veth pair".into());
        }
        Ok(pair)
    }

    /// The pair, or `None` (skip) where namespaces cannot be made; with `CI`
    /// set that is a failure.
    fn for_test(test: &str, links: usize) -> Option<NetnsPair> {
        match NetnsPair::new(links) {
            Ok(p) => Some(p),
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("{test}: cannot create network namespaces (needs root and iproute2): {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED {test}: cannot create network namespaces: {e}");
                None
            }
        }
    }

    fn veths(&self) -> &'static [&'static str] {
        &VETHS[..self.links]
    }

    fn config(&self, group: &str, loglevel: u8) -> String {
        auto_config(group, loglevel, &self.veths().join(", "))
    }

    fn exec(&self, ns: &str) -> Vec<String> {
        vec!["ip".into(), "netns".into(), "exec".into(), ns.to_string()]
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        // Deleting a namespace takes its end of the veth pair, and the pair, along.
        let _ = ip(&["netns", "del", &self.a]);
        let _ = ip(&["netns", "del", &self.b]);
    }
}

fn auto_config(group: &str, loglevel: u8, devices: &str) -> String {
    format!(
        "[reticulum]\n  share_instance = No\n  enable_transport = No\n  panic_on_interface_error = No\n\
         [logging]\n  loglevel = {loglevel}\n\
         [interfaces]\n  [[Auto]]\n    type = AutoInterface\n    enabled = Yes\n    group_id = {group}\n    devices = {devices}\n"
    )
}

// --- Our node as a child process ---------------------------------------------

#[derive(Default)]
struct State {
    replies: HashMap<u64, Value>,
    events: Vec<Value>,
    closed: bool,
}

struct ChildNode {
    child: Child,
    stdin: Mutex<ChildStdin>,
    state: Arc<(Mutex<State>, Condvar)>,
    next: Mutex<u64>,
    name: String,
}

impl ChildNode {
    fn spawn(name: &str, prefix: &[String], config_dir: &std::path::Path) -> ChildNode {
        let exe = std::env::current_exe().unwrap();
        let stderr = std::fs::File::create(config_dir.join("child-stderr.log")).unwrap();
        let mut child = Command::new(&prefix[0])
            .args(&prefix[1..])
            .arg(exe)
            .args(["--exact", "child_node", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, config_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may have put "test child_node ... " before it.
                let Some(at) = line.find("@@ ") else {
                    continue;
                };
                let msg = &line[at + 3..];
                let v: Value = serde_json::from_str(msg).unwrap();
                let mut s = st.0.lock().unwrap();
                match v.get("id").and_then(Value::as_u64) {
                    Some(id) => {
                        s.replies.insert(id, v);
                    }
                    None => s.events.push(v),
                }
                st.1.notify_all();
            }
            st.0.lock().unwrap().closed = true;
            st.1.notify_all();
        });
        let node = ChildNode {
            stdin: Mutex::new(child.stdin.take().unwrap()),
            child,
            state,
            next: Mutex::new(1),
            name: name.to_string(),
        };
        node.wait_event("ready", |e| e["event"] == "ready");
        node
    }

    fn call(&self, cmd: Value) -> Value {
        let id = {
            let mut n = self.next.lock().unwrap();
            *n += 1;
            *n
        };
        let mut cmd = cmd;
        cmd["id"] = json!(id);
        writeln!(self.stdin.lock().unwrap(), "{cmd}").unwrap();
        let (lock, cond) = &*self.state;
        let deadline = Instant::now() + T;
        let mut s = lock.lock().unwrap();
        loop {
            if let Some(v) = s.replies.remove(&id) {
                assert!(v["ok"] == json!(true), "{}: {cmd} failed: {v}", self.name);
                return v;
            }
            assert!(!s.closed, "{}: child exited during {cmd}", self.name);
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{}: no reply to {cmd}", self.name);
            s = cond.wait_timeout(s, left).unwrap().0;
        }
    }

    fn wait_event(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let (lock, cond) = &*self.state;
        let deadline = Instant::now() + T;
        let mut s = lock.lock().unwrap();
        loop {
            if let Some(v) = s.events.iter().find(|e| pred(e)) {
                return v.clone();
            }
            assert!(!s.closed, "{}: child exited waiting for {what}", self.name);
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{}: timed out waiting for {what}; events {:?}",
                self.name,
                s.events
            );
            s = cond.wait_timeout(s, left).unwrap().0;
        }
    }

    /// The names of the node's online interfaces (AutoInterface peers).
    fn peers(&self) -> Vec<String> {
        let r = self.call(json!({"cmd": "interfaces"}));
        r["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["online"] == json!(true))
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Waits until the node has `n` AutoInterface peers online.
    fn wait_peers(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + T;
        loop {
            let peers = self.peers();
            if peers.len() >= n {
                return peers;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {n} peers not found: {peers:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn has_event(&self, pred: impl Fn(&Value) -> bool) -> bool {
        self.state.0.lock().unwrap().events.iter().any(pred)
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Not a test of its own: the body of the child process (see the module
/// docs). Without `RNS_NET_CHILD_CONFIG` it does nothing.
#[test]
fn child_node() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    child::run(std::path::PathBuf::from(dir));
}

mod child {
    use std::io::BufRead;
    use std::path::PathBuf;

    use interop::{from_hex, to_hex};
    use rns_crypto::{DestinationHash, OsRng, PrivateIdentity};
    use rns_net::{Reticulum, ReticulumConfig};
    use rns_proto::node::{DestinationSpec, DropReason, Event, LinkEvent, LinkId, ProofStrategy};
    use serde_json::{Value, json};

    fn out(v: Value) {
        println!("@@ {v}");
    }

    fn dest(v: &Value) -> DestinationHash {
        DestinationHash::from_slice(&from_hex(v.as_str().unwrap())).unwrap()
    }

    pub fn run(dir: PathBuf) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let parsed = ReticulumConfig::load(&dir).unwrap();
            let h = Reticulum::new(parsed.config)
                .config_dir(&dir)
                .start()
                .await
                .unwrap();
            let mut events = h.subscribe();
            tokio::spawn(async move {
                while let Ok(e) = events.recv().await {
                    let v = match e {
                        Event::AnnounceReceived {
                            destination, hops, ..
                        } => json!({"event": "announce", "dest": destination.to_hex(), "hops": hops}),
                        Event::PacketReceived {
                            destination, data, ..
                        } => json!({"event": "packet", "dest": destination.to_hex(), "data": to_hex(&data)}),
                        Event::ReceiptDelivered { receipt, .. } => {
                            json!({"event": "delivered", "receipt": to_hex(&receipt.0.0)})
                        }
                        Event::Link(LinkEvent::Established { link_id, .. }) => {
                            json!({"event": "link", "link": link_id.to_hex()})
                        }
                        _ => continue,
                    };
                    out(v);
                }
            });
            out(json!({"event": "ready", "warnings": h.warnings()}));
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Value>(16);
            std::thread::spawn(move || {
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if tx.blocking_send(serde_json::from_str(&line).unwrap()).is_err() {
                        break;
                    }
                }
            });
            while let Some(cmd) = rx.recv().await {
                let id = cmd["id"].clone();
                let reply = match cmd["cmd"].as_str().unwrap() {
                    "serve" => {
                        let spec = DestinationSpec::single(
                            PrivateIdentity::generate(&mut OsRng),
                            "interop",
                            &["auto", cmd["aspect"].as_str().unwrap()],
                        )
                        .with_proof_strategy(ProofStrategy::All)
                        .accepting_links();
                        let d = h.register_destination(spec).await.unwrap();
                        json!({"dest": d.to_hex()})
                    }
                    "announce" => {
                        h.announce(dest(&cmd["dest"]), Some(b"auto".to_vec()))
                            .await
                            .unwrap();
                        json!({})
                    }
                    "hops" => json!({"hops": h.hops_to(dest(&cmd["dest"])).await.unwrap()}),
                    "send" => {
                        let data = from_hex(cmd["data"].as_str().unwrap());
                        let r = h.send_packet(dest(&cmd["dest"]), data).await.unwrap();
                        json!({"receipt": to_hex(&r.0.0)})
                    }
                    "link" => {
                        let l: LinkId = h.open_link(dest(&cmd["dest"])).await.unwrap();
                        json!({"link": l.to_hex()})
                    }
                    "interfaces" => {
                        let list: Vec<Value> = h
                            .interfaces()
                            .await
                            .unwrap()
                            .iter()
                            .map(|i| json!({"name": i.name, "online": i.online, "hw_mtu": i.hw_mtu}))
                            .collect();
                        json!({"interfaces": list})
                    }
                    "stats" => {
                        let s = h.stats().await.unwrap();
                        let rx: u64 = s.interfaces.values().map(|i| i.rx_packets).sum();
                        json!({"rx": rx, "duplicate": s.dropped(DropReason::Duplicate)})
                    }
                    "quit" => break,
                    other => panic!("unknown command {other}"),
                };
                let mut reply = reply;
                reply["id"] = id;
                reply["ok"] = json!(true);
                out(reply);
            }
            h.shutdown().await;
        });
    }
}

// --- The tests -----------------------------------------------------------------

/// Starts one of our nodes in each namespace.
fn our_pair(ns: &NetnsPair, tmp: &TempDir) -> (ChildNode, ChildNode) {
    let group = format!("mcx-{}", unique_token());
    let spawn = |side: &str, netns: &str| {
        let dir = tmp.join(side);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config"), ns.config(&group, 4)).unwrap();
        ChildNode::spawn(side, &ns.exec(netns), &dir)
    };
    (spawn("a", &ns.a), spawn("b", &ns.b))
}

/// Two of our nodes find each other, announce, prove a packet and open a
/// link; when one goes away, the other drops it as a peer after the
/// peering timeout.
#[test]
fn two_of_our_nodes_find_each_other_and_talk() {
    let Some(ns) = NetnsPair::for_test("two_of_our_nodes_find_each_other_and_talk", 1) else {
        return;
    };
    let tmp = TempDir::new("auto-ours");
    let (a, b) = our_pair(&ns, &tmp);
    let started = Instant::now();
    let peer_of_a = a.wait_peers(1).remove(0);
    let peer_of_b = b.wait_peers(1).remove(0);
    eprintln!(
        "peers after {:?}: {peer_of_a}, {peer_of_b}",
        started.elapsed()
    );
    assert!(
        peer_of_a.starts_with(&format!("Auto/{}/fe80::", VETHS[0])),
        "{peer_of_a}"
    );

    let d = field(&a.call(json!({"cmd": "serve", "aspect": "a"})), "dest");
    a.call(json!({"cmd": "announce", "dest": d}));
    let ev = b.wait_event("a's announce", |e| {
        e["event"] == "announce" && e["dest"] == d
    });
    assert_eq!(ev["hops"], 1);
    let r = field(
        &b.call(json!({"cmd": "send", "dest": d, "data": to_hex(b"over auto")})),
        "receipt",
    );
    a.wait_event("b's packet", |e| {
        e["event"] == "packet" && e["data"] == to_hex(b"over auto")
    });
    b.wait_event("the proof", |e| {
        e["event"] == "delivered" && e["receipt"] == r
    });
    let l = field(&b.call(json!({"cmd": "link", "dest": d})), "link");
    b.wait_event("the link", |e| e["event"] == "link" && e["link"] == l);
    a.wait_event("the link at a", |e| e["event"] == "link" && e["link"] == l);
    eprintln!(
        "announce, proved packet and link after {:?}",
        started.elapsed()
    );

    // b goes silent: a drops it once the peering timeout has passed.
    drop(b);
    let gone = Instant::now();
    let dropped = interop::wait_until(Duration::from_secs(40), || a.peers().is_empty());
    let after = gone.elapsed();
    assert!(dropped, "a still lists b as a peer after {after:?}");
    eprintln!("a dropped the silent peer after {after:?}");
    assert!(
        after >= Duration::from_secs(20),
        "dropped too early: {after:?}"
    );
}

/// Two links between the same two nodes: each finds the other on both, and
/// the copy of an announce arriving on the second link is not delivered.
#[test]
fn two_links_make_two_peers_and_copies_are_dropped() {
    let Some(ns) = NetnsPair::for_test("two_links_make_two_peers_and_copies_are_dropped", 2) else {
        return;
    };
    let tmp = TempDir::new("auto-two-links");
    let (a, b) = our_pair(&ns, &tmp);
    let peers = a.wait_peers(2);
    b.wait_peers(2);
    for veth in VETHS {
        assert!(
            peers
                .iter()
                .any(|p| p.starts_with(&format!("Auto/{veth}/"))),
            "{peers:?}"
        );
    }
    let rx_before = a.call(json!({"cmd": "stats"}))["rx"].as_u64().unwrap();
    // b's announces leave on both links (one peer interface each); a
    // delivers each once.
    let mut dests = Vec::new();
    for aspect in ["one", "two"] {
        let d = field(&b.call(json!({"cmd": "serve", "aspect": aspect})), "dest");
        b.call(json!({"cmd": "announce", "dest": d}));
        a.wait_event("b's announce", |e| {
            e["event"] == "announce" && e["dest"] == d
        });
        dests.push(d);
    }
    let stats = a.call(json!({"cmd": "stats"}));
    let rx = stats["rx"].as_u64().unwrap() - rx_before;
    assert_eq!(rx, 2, "copies reached the node: {stats}");
    // And traffic still flows over whichever link the path took.
    let r = field(
        &a.call(json!({"cmd": "send", "dest": dests[0], "data": to_hex(b"two links")})),
        "receipt",
    );
    a.wait_event("the proof", |e| {
        e["event"] == "delivered" && e["receipt"] == r
    });
    assert!(b.has_event(|e| e["event"] == "packet" && e["data"] == to_hex(b"two links")));
}

#[test]
fn our_node_and_the_reference_find_each_other_and_talk() {
    let Some(ns) = NetnsPair::for_test("our_node_and_the_reference_find_each_other_and_talk", 1)
    else {
        return;
    };
    let tmp = TempDir::new("auto-interop");
    let group = format!("mcx-{}", unique_token());
    let ours_dir = tmp.join("ours");
    std::fs::create_dir_all(&ours_dir).unwrap();
    std::fs::write(ours_dir.join("config"), ns.config(&group, 4)).unwrap();
    let py_dir = tmp.join("py");
    std::fs::create_dir_all(&py_dir).unwrap();
    std::fs::write(py_dir.join("config"), ns.config(&group, 7)).unwrap();
    let ours = ChildNode::spawn("ours", &ns.exec(&ns.a), &ours_dir);
    let prefix = ns.exec(&ns.b);
    let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
    let py = PyPeer::spawn_wrapped(&prefix, &py_dir, 7);
    let started = Instant::now();
    let peer = ours.wait_peers(1).remove(0);
    eprintln!(
        "we found the reference after {:?}: {peer}",
        started.elapsed()
    );

    // The reference's destination: its announce reaches us, our packet
    // is proved, our link comes up.
    let d = py.call(
        "destination_in",
        json!({"app": "interop", "aspects": ["auto", "py"], "proof": "all"}),
    );
    let py_dest = field(&d, "destination_hash");
    let deadline = Instant::now() + T;
    loop {
        py.call(
            "announce",
            json!({"destination_hash": py_dest, "app_data": "01"}),
        );
        let heard = interop::wait_until(Duration::from_secs(2), || {
            ours.has_event(|e| e["event"] == "announce" && e["dest"] == py_dest)
        });
        if heard {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "python's announce never reached us"
        );
    }
    let r = field(
        &ours.call(json!({"cmd": "send", "dest": py_dest, "data": to_hex(b"to python")})),
        "receipt",
    );
    py.wait_for("packet", &[("destination_hash", &py_dest)], T);
    ours.wait_event("python's proof", |e| {
        e["event"] == "delivered" && e["receipt"] == r
    });
    let l = field(&ours.call(json!({"cmd": "link", "dest": py_dest})), "link");
    ours.wait_event("our link to python", |e| {
        e["event"] == "link" && e["link"] == l
    });
    py.wait_for("link_established", &[("link_id", &l)], T);
    let status = py.call("link_status", json!({"link_id": l}));
    eprintln!("python's view of our link: {status}");

    // Ours: the reference hears our announce, its packet is proved by us.
    let od = field(
        &ours.call(json!({"cmd": "serve", "aspect": "ours"})),
        "dest",
    );
    let deadline = Instant::now() + T;
    loop {
        ours.call(json!({"cmd": "announce", "dest": od}));
        if interop::wait_until(Duration::from_secs(2), || {
            py.has_event("announce", &[("destination_hash", &od)])
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "our announce never reached python"
        );
    }
    let r = py.call(
        "send_packet",
        json!({"destination_hash": od, "data": to_hex(b"to ours"), "app": "interop",
               "aspects": ["auto", "ours"]}),
    );
    let ph = field(&r, "packet_hash");
    ours.wait_event("python's packet", |e| {
        e["event"] == "packet" && e["data"] == to_hex(b"to ours")
    });
    let rc = py.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "delivered", "{rc}");
    eprintln!("both ways over auto after {:?}", started.elapsed());
}
