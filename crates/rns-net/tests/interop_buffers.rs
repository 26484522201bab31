//! Buffers against the Python reference (rns 1.5.7): our node and a PyPeer
//! over direct TCP on 127.0.0.1, a link from us to a destination on the peer,
//! and buffer streams both ways, small and ~256 KiB, compressible and not,
//! with EOF seen on both ends.
//!
//! The peer's side uses `RNS.Buffer` (see `buffer_open` in peer.py). Set
//! `MESHCHATX_KEEP_TEST_DIRS=1` and `MESHCHATX_RNS_LOGLEVEL=7` to keep the
//! peer's log (`py/peer-stderr.log`) for debugging.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use interop::{PyPeer, RnsConfig, TempDir, field, free_port, from_hex, gen_bytes, to_hex};
use rns_crypto::{DestinationHash, full_hash};
use rns_net::{NetError, Reticulum, ReticulumHandle};
use rns_proto::node::{Event, LinkError, LinkEvent, LinkId, NodeError};
use serde_json::{Value, json};
use support::{online, tcp_client_config, wait_event};
use tokio::sync::broadcast;

/// Deadline for one exchange (generous: CI machines are slow).
const EXCHANGE: Duration = Duration::from_secs(120);
/// The most one `stream_write` call offers; the queue takes what fits.
const OFFER: usize = 64 * 1024;

struct Pair {
    _tmp: TempDir,
    py: PyPeer,
    node: ReticulumHandle,
    link: LinkId,
    link_hex: String,
}

/// Our node (TCP client) linked to a destination on the peer (TCP server).
async fn linked(name: &str) -> Pair {
    let tmp = TempDir::new(name);
    let port = free_port();
    let cfg = RnsConfig::new(tmp.join("py")).tcp_server(port).write();
    let py = PyPeer::spawn_config(&cfg);
    let node = Reticulum::new(tcp_client_config(port))
        .start()
        .await
        .unwrap();
    online(&node, 1).await;
    py.wait_online(2);
    let d = py.call(
        "destination_in",
        json!({"app": "meshchatx", "aspects": ["buffers"], "accept_links": true}),
    );
    let dest_hex = field(&d, "destination_hash");
    let dest = DestinationHash(from_hex(&dest_hex).try_into().unwrap());
    let mut events = node.subscribe();
    let mut heard = false;
    for _ in 0..10 {
        py.call("announce", json!({"destination_hash": dest_hex}));
        let waited = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match events.recv().await {
                    Ok(Event::AnnounceReceived { destination, .. }) if destination == dest => {
                        return;
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => panic!("driver stopped"),
                }
            }
        })
        .await;
        if waited.is_ok() {
            heard = true;
            break;
        }
    }
    assert!(heard, "no announce from the peer: {}", py.stderr_tail());
    let link = node.open_link(dest).await.unwrap();
    wait_event(&mut events, "link established", |e| match e {
        Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
        _ => None,
    })
    .await;
    let link_hex = to_hex(&link.0);
    py.wait_for(
        "link_established",
        &[("link_id", &link_hex)],
        Duration::from_secs(30),
    );
    Pair {
        _tmp: tmp,
        py,
        node,
        link,
        link_hex,
    }
}

/// What the peer sends: `size` bytes of `gen_bytes` (`random`) or the
/// counter pattern, from `seed`.
struct PeerData {
    size: usize,
    seed: u64,
    pattern: &'static str,
}

impl PeerData {
    fn bytes(&self) -> Vec<u8> {
        match self.pattern {
            "counter" => interop::gen_counter_bytes(self.seed, self.size),
            _ => gen_bytes(self.seed, self.size),
        }
    }
}

/// Streams `ours` to the peer and the peer's data to us, at the same time
/// when `concurrent`, else ours first; both with EOF. Checks both ends.
async fn exchange(
    pair: &Pair,
    stream_id: u16,
    ours: &[u8],
    theirs: &PeerData,
    bidirectional: bool,
    concurrent: bool,
) {
    let py = &pair.py;
    py.call(
        "buffer_open",
        json!({"link_id": pair.link_hex, "stream_id": stream_id, "bidirectional": bidirectional}),
    );
    let mut events = pair.node.subscribe();
    let peer_write = json!({
        "link_id": pair.link_hex, "stream_id": stream_id, "size": theirs.size,
        "seed": theirs.seed, "pattern": theirs.pattern, "eof": true,
    });
    if concurrent {
        py.call("buffer_write", peer_write.clone());
    }
    let mut written = 0;
    let mut eof_sent = false;
    let mut received = Vec::new();
    let mut eof_seen = false;
    let mut peer_started = concurrent;
    let deadline = Instant::now() + EXCHANGE;
    while !(eof_sent && eof_seen) {
        if Instant::now() >= deadline {
            let peer = py.call(
                "buffer_received",
                json!({"link_id": pair.link_hex, "stream_id": stream_id}),
            );
            panic!(
                "exchange stuck: wrote {written}/{} (eof {eof_sent}), received {} (eof {eof_seen}); \
                 the peer has {} bytes (eof {})\n{}",
                ours.len(),
                received.len(),
                peer["size"],
                peer["eof"],
                py.stderr_tail()
            );
        }
        eof_sent = write_some(pair, stream_id, ours, &mut written).await;
        if eof_sent && !peer_started && peer_saw_eof(py, &pair.link_hex, stream_id) {
            py.call("buffer_write", peer_write.clone());
            peer_started = true;
        }
        // Wait for the next thing to happen: data, a delivery (the window
        // opened: write more), or a short while (the peer's progress).
        match tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            Ok(Ok(Event::Link(LinkEvent::StreamData {
                link_id,
                stream_id: id,
                data,
                eof,
            }))) if link_id == pair.link && id == stream_id => {
                assert!(!eof_seen, "data after EOF");
                received.extend_from_slice(&data);
                eof_seen = eof;
            }
            Ok(Ok(Event::Link(LinkEvent::Closed { link_id, reason }))) if link_id == pair.link => {
                panic!("link closed ({reason:?})\n{}", py.stderr_tail());
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => panic!("event stream: {e}"),
        }
    }
    // Every one of the peer's messages decoded (bz2 included), and everything
    // we queued went out.
    let link = pair.link;
    let (stats, queued) = pair
        .node
        .with_node(move |n, _| {
            n.link(&link)
                .map(|l| (l.channel_stats(), l.stream_queued()))
        })
        .await
        .unwrap()
        .expect("the link is gone");
    assert_eq!((stats.bad_stream_messages, queued), (0, 0));
    if theirs.pattern == "counter" && theirs.size > 1024 {
        assert!(stats.compressed_stream_messages > 0, "{stats:?}");
    }
    let want = theirs.bytes();
    assert_eq!(received.len(), want.len(), "bytes from the peer");
    assert!(received == want, "the peer's stream arrived corrupted");

    py.wait_event(
        |e| is_buffer_eof(e, &pair.link_hex, stream_id),
        Duration::from_secs(60),
    );
    let got = py.call(
        "buffer_received",
        json!({"link_id": pair.link_hex, "stream_id": stream_id}),
    );
    assert_eq!(got["size"].as_u64(), Some(ours.len() as u64));
    assert_eq!(got["eof"], json!(true));
    assert_eq!(field(&got, "sha256"), to_hex(&full_hash(ours)));
    let written = py.wait_event(
        |e| e["event"] == "buffer_written" && e["stream_id"] == json!(stream_id),
        Duration::from_secs(60),
    );
    assert!(
        written.get("error").is_none(),
        "peer write failed: {written}"
    );
}

/// Offers the next piece of `data` to the node; true once all of it (and
/// the EOF) is queued.
async fn write_some(pair: &Pair, stream_id: u16, data: &[u8], written: &mut usize) -> bool {
    while *written < data.len() || data.is_empty() {
        let end = (*written + OFFER).min(data.len());
        let piece = data[*written..end].to_vec();
        let offered = piece.len();
        let last = end == data.len();
        match pair
            .node
            .stream_write(pair.link, stream_id, piece, last)
            .await
        {
            Ok(n) => {
                *written += n;
                if data.is_empty() || (last && n == offered) {
                    return true;
                }
                if n < offered {
                    return false;
                }
            }
            Err(NetError::Node(NodeError::Link(LinkError::ChannelBusy))) => return false,
            Err(e) => panic!("stream_write: {e}"),
        }
    }
    true
}

fn is_buffer_eof(e: &Value, link_hex: &str, stream_id: u16) -> bool {
    e["event"] == "buffer_data"
        && e["link_id"] == json!(link_hex)
        && e["stream_id"] == json!(stream_id)
        && e["eof"] == json!(true)
}

fn peer_saw_eof(py: &PyPeer, link_hex: &str, stream_id: u16) -> bool {
    py.events()
        .iter()
        .any(|e| is_buffer_eof(e, link_hex, stream_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_kib_each_way_over_a_bidirectional_buffer() {
    let pair = linked("buf-small").await;
    // The peer's create_bidirectional_buffer closes both halves together, so
    // the two directions take turns: ours (with EOF) first, then the peer's.
    let ours = gen_bytes(11, 5000);
    let theirs = PeerData {
        size: 3000,
        seed: 12,
        pattern: "counter",
    };
    exchange(&pair, 0, &ours, &theirs, true, false).await;
    pair.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompressible_quarter_mebibyte_both_ways_at_once() {
    let pair = linked("buf-noise").await;
    let ours = gen_bytes(21, 256 * 1024);
    let theirs = PeerData {
        size: 256 * 1024,
        seed: 22,
        pattern: "random",
    };
    exchange(&pair, 5, &ours, &theirs, false, true).await;
    pair.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressible_quarter_mebibyte_both_ways_at_once() {
    let pair = linked("buf-counter").await;
    let ours = interop::gen_counter_bytes(31, 256 * 1024);
    let theirs = PeerData {
        size: 256 * 1024,
        seed: 32,
        pattern: "counter",
    };
    exchange(&pair, 16_383, &ours, &theirs, false, true).await;
    pair.node.shutdown().await;
}
