//! A raw TCP peer on our node's TCP server sends garbage, truncated packets,
//! replays, forged announces (bad signature, destination hash that does not
//! match the key, a known destination under another key) and then a flood of
//! 100,000 distinct, validly signed announces, while an honest node on the
//! same server announces, sends packets with proofs and opens a link.
//!
//! The node under attack runs with the per-interface rate limit for new
//! announces switched off (`Limits::new_announce_rate = None`): every flood
//! announce has its signature checked and lands in the tables, the worst
//! case for CPU and memory. With the default limit (16/s, burst 64, per
//! interface) nearly all of them would be dropped before the signature check.
//!
//! One test in its own binary, so the memory check sees only this test.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Instant;

use rns_crypto::{DestinationHash, OsRng, PrivateIdentity, PublicIdentity, RngCore, name_hash};
use rns_net::{Reticulum, ReticulumHandle};
use rns_proto::node::{
    DestinationSpec, DropReason, Event, InterfaceId, Limits, LinkEvent, NodeStats, ProofStrategy,
};
use rns_wire::announce::{Announce, AnnounceReason, RandomHash, ValidatedAnnounce};
use rns_wire::framing::hdlc;
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const FLOOD: usize = 100_000;

/// Resident memory of this process in KiB, where /proc exists.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn random_hash() -> RandomHash {
    let mut r = [0u8; 5];
    OsRng.fill_bytes(&mut r);
    RandomHash::new(r, unix_now())
}

/// A valid announce of `id`'s destination `rnsnet.<aspect>`, as wire bytes.
fn announce_raw(id: &PrivateIdentity, aspect: &str) -> (DestinationHash, Vec<u8>) {
    let a = ValidatedAnnounce::build(
        id,
        name_hash(&format!("rnsnet.{aspect}")),
        random_hash(),
        None,
        Vec::new(),
    );
    (
        a.destination,
        a.to_packet(AnnounceReason::Unsolicited).encode(),
    )
}

/// An announce claiming `destination` for `id`'s key, properly signed by
/// `id` over what it claims.
fn claim(id: &PrivateIdentity, destination: DestinationHash, aspect: &str) -> Vec<u8> {
    let mut a = Announce {
        destination,
        identity: id.public().clone(),
        name_hash: name_hash(&format!("rnsnet.{aspect}")),
        random_hash: random_hash(),
        ratchet: None,
        signature: id.sign(b"placeholder"),
        app_data: Vec::new(),
    };
    a.signature = id.sign(&a.signed_data());
    a.to_packet(AnnounceReason::Unsolicited).encode()
}

fn frame(raw: &[u8], out: &mut Vec<u8>) {
    hdlc::frame_into(raw, out);
}

async fn stats(h: &ReticulumHandle) -> NodeStats {
    h.stats().await.unwrap()
}

/// The interface of the connection from local port `port` on our server.
async fn conn_from(h: &ReticulumHandle, port: u16) -> InterfaceId {
    let needle = format!(":{port}#");
    eventually("the attacker's connection", || async {
        let ifs = h.interfaces().await.ok()?;
        ifs.iter().find(|i| i.name.contains(&needle)).map(|i| i.id)
    })
    .await
}

async fn rx(h: &ReticulumHandle, iface: InterfaceId) -> u64 {
    stats(h)
        .await
        .interfaces
        .get(&iface)
        .map_or(0, |s| s.rx_packets)
}

async fn packet_proved(from: &ReticulumHandle, dest: DestinationHash, what: &str) {
    let mut events = from.subscribe();
    let receipt = from
        .send_packet(dest, what.as_bytes().to_vec())
        .await
        .unwrap();
    wait_event(&mut events, what, |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        Event::ReceiptTimedOut { receipt: r } if *r == receipt => panic!("{what}: timed out"),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_announces_and_a_flood_do_not_break_the_node() {
    let started = Instant::now();
    let limits = Limits {
        new_announce_rate: None,
        ..Limits::default()
    };
    let a = Reticulum::new(tcp_server_config(0))
        .limits(limits.clone())
        .start()
        .await
        .unwrap();
    let addr = a.listen_addr("server").unwrap();
    let b = Reticulum::new(tcp_client_config(addr.port()))
        .start()
        .await
        .unwrap();
    online(&b, 1).await;
    online(&a, 1).await;

    // Honest destinations on both ends, known to each other.
    let a_id = PrivateIdentity::generate(&mut OsRng);
    let dest_a = a
        .register_destination(
            DestinationSpec::single(a_id.clone(), "rnsnet", &["hostile", "a"])
                .with_proof_strategy(ProofStrategy::All)
                .accepting_links(),
        )
        .await
        .unwrap();
    let b_id = PrivateIdentity::generate(&mut OsRng);
    let dest_b = b
        .register_destination(
            DestinationSpec::single(b_id.clone(), "rnsnet", &["hostile", "b"])
                .with_proof_strategy(ProofStrategy::All),
        )
        .await
        .unwrap();
    a.announce(dest_a, None).await.unwrap();
    b.announce(dest_b, None).await.unwrap();
    eventually("honest announces", || async {
        (a.has_path(dest_b).await.ok()? && b.has_path(dest_a).await.ok()?).then_some(())
    })
    .await;
    let b_path = a.path_table().await.unwrap();
    let b_path = b_path
        .iter()
        .find(|p| p.destination == dest_b)
        .unwrap()
        .clone();

    // Generate the flood while the forgeries run (one core for it).
    let flood_gen = tokio::task::spawn_blocking(|| {
        let t = Instant::now();
        let id = PrivateIdentity::generate(&mut OsRng);
        let mut bytes = Vec::with_capacity(FLOOD * 180);
        for i in 0..FLOOD {
            let (_, raw) = announce_raw(&id, &format!("flood.{i}"));
            frame(&raw, &mut bytes);
        }
        (bytes, t.elapsed())
    });

    // --- Phase 1: garbage, truncation, forgeries, replays.
    let mut attacker = TcpStream::connect(addr).await.unwrap();
    let attacker_iface = conn_from(&a, attacker.local_addr().unwrap().port()).await;
    let mut a_events = a.subscribe();
    let x = PrivateIdentity::generate(&mut OsRng);
    let mut bytes = Vec::new();
    let mut junk = [0u8; 300];
    for len in [1usize, 19, 20, 21, 40, 100, 299] {
        OsRng.fill_bytes(&mut junk[..len]);
        frame(&junk[..len], &mut bytes);
    }
    // Truncated: every prefix of a valid announce (the full one is never sent).
    let (trunc, raw) = announce_raw(&x, "truncated");
    for n in 1..raw.len() {
        frame(&raw[..n], &mut bytes);
    }
    // Bad signature: one bit flipped in it (payload offset 84 = key 64 +
    // name hash 10 + random hash 10; the HEADER_1 header is 19 bytes).
    let (badsig, mut raw) = announce_raw(&x, "badsig");
    raw[19 + 84 + 7] ^= 0x01;
    frame(&raw, &mut bytes);
    // Destination hash that does not belong to the key, validly signed.
    let mut made_up = [0u8; 16];
    OsRng.fill_bytes(&mut made_up);
    let made_up = DestinationHash(made_up);
    frame(&claim(&x, made_up, "mismatch"), &mut bytes);
    // A known destination under another key: b's, claimed by x.
    frame(&claim(&x, dest_b, "hostile.b"), &mut bytes);
    // Replays: one valid announce three times, and once with other hops.
    let (replayed, raw) = announce_raw(&x, "replayed");
    for _ in 0..3 {
        frame(&raw, &mut bytes);
    }
    let mut hopped = raw.clone();
    hopped[1] = 5;
    frame(&hopped, &mut bytes);
    // A data packet to a's destination, sent three times.
    let cipher = a_id.public().encrypt(b"once", None, &mut OsRng).unwrap();
    let data = Packet::new(
        PacketType::Data,
        DestinationKind::Single,
        dest_a,
        Context::NONE,
        cipher,
    )
    .encode();
    for _ in 0..3 {
        frame(&data, &mut bytes);
    }
    // A last valid announce: once it is in, everything before it was handled.
    let (marker, raw) = announce_raw(&x, "marker");
    frame(&raw, &mut bytes);
    attacker.write_all(&bytes).await.unwrap();
    eventually("the marker announce", || async {
        a.has_path(marker).await.ok()?.then_some(())
    })
    .await;

    let s = stats(&a).await;
    for (dest, what) in [
        (trunc, "truncated"),
        (badsig, "bad signature"),
        (made_up, "mismatch"),
    ] {
        assert!(!a.has_path(dest).await.unwrap(), "{what}: path accepted");
        assert!(
            a.recall_identity(dest).await.unwrap().is_none(),
            "{what}: identity accepted"
        );
    }
    assert!(s.dropped(DropReason::Malformed) > 0, "{s:?}");
    assert!(s.dropped(DropReason::AnnounceSignature) >= 1, "{s:?}");
    assert!(s.dropped(DropReason::AnnounceHash) >= 1, "{s:?}");
    assert!(s.dropped(DropReason::AnnounceKeyMismatch) >= 1, "{s:?}");
    assert!(s.dropped(DropReason::Duplicate) >= 2, "{s:?}");
    let b_pub: PublicIdentity = b_id.public().clone();
    assert_eq!(
        a.recall_identity(dest_b).await.unwrap(),
        Some(b_pub.clone())
    );
    assert_eq!(
        a.known_destination(dest_b).await.unwrap().unwrap().identity,
        b_pub
    );
    let after = a.path_table().await.unwrap();
    let p = after.iter().find(|p| p.destination == dest_b).unwrap();
    assert_eq!(
        (p.next_hop, p.hops, p.interface),
        (b_path.next_hop, b_path.hops, b_path.interface)
    );
    assert!(a.has_path(replayed).await.unwrap());
    let mut announced = 0;
    let mut delivered = 0;
    while let Ok(e) = a_events.try_recv() {
        match e {
            Event::AnnounceReceived { destination, .. } if destination == replayed => {
                announced += 1
            }
            Event::AnnounceReceived { destination, .. } => {
                assert!(destination == marker, "unexpected announce {destination}")
            }
            Event::PacketReceived { destination, .. } if destination == dest_a => delivered += 1,
            _ => {}
        }
    }
    assert_eq!(announced, 1, "a replayed announce was accepted again");
    assert_eq!(delivered, 1, "a replayed packet was delivered again");
    drop(a_events);
    eprintln!("phase 1 (forgeries) done at {:?}: {s:?}", started.elapsed());

    // --- Phase 2: the flood, with honest traffic during it.
    let (flood, gen_time) = flood_gen.await.unwrap();
    eprintln!(
        "generated {FLOOD} signed announces ({} bytes framed) in {gen_time:?}",
        flood.len()
    );
    let rss_before = rss_kib();
    let base = rx(&a, attacker_iface).await;
    let flood_start = Instant::now();
    let writer = tokio::spawn(async move {
        attacker.write_all(&flood).await.unwrap();
        attacker.flush().await.unwrap();
        attacker
    });
    eventually("the flood under way", || async {
        (rx(&a, attacker_iface).await >= base + 10_000).then_some(())
    })
    .await;

    // An honest newcomer announces; both ends send proved packets; a link.
    let honest_start = Instant::now();
    let b2_id = PrivateIdentity::generate(&mut OsRng);
    let dest_b2 = b
        .register_destination(
            DestinationSpec::single(b2_id, "rnsnet", &["hostile", "b2"])
                .with_proof_strategy(ProofStrategy::All),
        )
        .await
        .unwrap();
    b.announce(dest_b2, Some(b"honest".to_vec())).await.unwrap();
    eventually("the honest announce during the flood", || async {
        a.has_path(dest_b2).await.ok()?.then_some(())
    })
    .await;
    let mut b_events = b.subscribe();
    a.send_packet(dest_b2, b"from a during the flood".to_vec())
        .await
        .unwrap();
    wait_event(&mut b_events, "a's packet during the flood", |e| match e {
        Event::PacketReceived { destination, .. } if *destination == dest_b2 => Some(()),
        _ => None,
    })
    .await;
    packet_proved(&b, dest_a, "b's packet during the flood").await;
    let link = b.open_link(dest_a).await.unwrap();
    wait_event(&mut b_events, "link during the flood", |e| match e {
        Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
        _ => None,
    })
    .await;
    let honest_time = honest_start.elapsed();
    let seen = rx(&a, attacker_iface).await - base;
    assert!(
        seen < FLOOD as u64,
        "the flood was over before the honest exchange finished ({seen} of {FLOOD})"
    );
    eprintln!(
        "honest announce + 2 proved packets + link in {honest_time:?}, with {seen} of {FLOOD} flood packets in"
    );

    eventually("the whole flood read", || async {
        (rx(&a, attacker_iface).await >= base + FLOOD as u64).then_some(())
    })
    .await;
    let flood_time = flood_start.elapsed();
    let _attacker = writer.await.unwrap();
    let s = stats(&a).await;
    let rss_after = rss_kib();
    eprintln!(
        "flood of {FLOOD} read in {flood_time:?} ({:.0} announces/s); verified {}; paths {} (cap {}), known {} (cap {}), packet hashes {} (cap {}), event queue {}, transmit queue {}; RSS {:?} -> {:?} KiB",
        FLOOD as f64 / flood_time.as_secs_f64(),
        s.announces_verified,
        s.paths,
        limits.max_paths,
        s.known_destinations,
        limits.max_known_destinations,
        s.packet_hashes,
        limits.max_packet_hashes,
        s.event_queue,
        s.transmit_queue,
        rss_before,
        rss_after,
    );
    assert!(s.paths <= limits.max_paths);
    assert!(s.known_destinations <= limits.max_known_destinations);
    assert!(s.packet_hashes <= limits.max_packet_hashes);
    assert!(s.event_queue <= limits.max_event_queue);
    assert!(s.transmit_queue <= limits.max_transmit_queue);
    assert!(s.announce_table <= limits.max_announce_table);
    // The flood did fill the tables: this is the bound, not an idle node.
    assert_eq!(s.paths, limits.max_paths, "{s:?}");
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        let grown = after.saturating_sub(before);
        assert!(grown < 96 * 1024, "RSS grew by {grown} KiB");
    }

    // Still up, and the path our own traffic used was kept over strangers.
    assert!(
        a.has_path(dest_b2).await.unwrap(),
        "a used path was evicted"
    );
    packet_proved(&b, dest_a, "b's packet after the flood").await;
    packet_proved(&a, dest_b2, "a's packet after the flood").await;
    assert_eq!(a.interfaces().await.unwrap().len(), 2);
    eprintln!("total wall time {:?}", started.elapsed());
    a.shutdown().await;
    b.shutdown().await;
}
