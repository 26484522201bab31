//! An announce flood: distinct, validly signed announces for made-up
//! destinations pour into a transport node. Every table stays within its cap,
//! the ingress limit keeps signature checks down, and a legitimate packet
//! still gets through.
//!
//! Cap math: with caps C, a flood of N > C distinct destinations leaves at
//! most C entries in each table, whatever N is, so N only has to exceed the
//! caps several times over. The default test floods N = 600 against caps of
//! 40-400 (ed25519 in a debug build costs milliseconds per signature, and each
//! announce is signed once and verified by three nodes); the ignored test runs
//! the full 100,000 against the default caps (use `--release`).

mod sim;

use rns_crypto::{PrivateIdentity, name_hash};
use rns_proto::node::{DropReason, Event, InterfaceConfig, Limits, NodeConfig, ProofStrategy};
use rns_wire::announce::{AnnounceReason, RandomHash, ValidatedAnnounce};
use sim::{Sim, identity, is_announce_for, single_destination};

fn random_part(i: usize) -> [u8; 5] {
    let b = (i as u64).to_be_bytes();
    [b[3], b[4], b[5], b[6], b[7]]
}

/// `count` distinct announces from one identity (a different aspect each).
fn flood(id: &PrivateIdentity, count: usize, emitted: u64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let nh = name_hash(&format!("flood.d{i}"));
            let rh = RandomHash::new(random_part(i), emitted);
            let announce = ValidatedAnnounce::build(id, nh, rh, None, b"spam".to_vec());
            announce.to_packet(AnnounceReason::Unsolicited).encode()
        })
        .collect()
}

fn small_limits() -> Limits {
    Limits {
        max_paths: 100,
        max_known_destinations: 100,
        max_packet_hashes: 400,
        max_announce_table: 60,
        max_queued_announces: 40,
        max_reverse_entries: 50,
        max_link_table: 50,
        max_event_queue: 200,
        new_announce_rate: None,
        ..Limits::default()
    }
}

// A helper of the tests below: its panics are test failures.
#[allow(clippy::unwrap_used)]
fn run_flood(count: usize, limits: Limits) {
    let mut sim = Sim::new(900);
    let a = sim.endpoint("a");
    let mut config = NodeConfig::new(identity(901));
    config.transport_enabled = true;
    config.limits = limits.clone();
    let t = sim.add_node("t", config);
    let mut bconfig = NodeConfig::new(identity(902));
    bconfig.limits = limits.clone();
    let b = sim.add_node("b", bconfig);
    // A slow-ish link to A, so T's announce cap queue fills too.
    sim.connect_with(a, t, 0.02, 0.0, |c| c.bitrate = 1_000_000);
    sim.connect(t, b, 0.02, 0.0);
    let attacker_medium = sim.medium(0.0, 0.0);
    let attacker = sim.attach(t, attacker_medium, InterfaceConfig::new("attacker"));

    let db = single_destination(&mut sim, b, 903, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(15.0);
    sim.with(a, |n, now| n.send_packet(now, &db, b"before"))
        .unwrap();
    assert!(
        sim.run_until_event(a, 10.0, |e| matches!(e, Event::ReceiptDelivered { .. }))
            .is_some()
    );

    let packets = flood(&identity(904), count, sim.now as u64);
    for (i, raw) in packets.iter().enumerate() {
        sim.inject(t, attacker, raw);
        if i % 100 == 0 {
            sim.run_for(0.01);
        }
        if i == count / 2 {
            sim.with(a, |n, now| n.send_packet(now, &db, b"during"))
                .unwrap();
        }
    }
    let delivered = sim
        .events(a)
        .filter(|e| matches!(e, Event::ReceiptDelivered { .. }))
        .count();
    let during = sim.run_until_event(a, 30.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(
        delivered == 2 || during.is_some(),
        "the legitimate packet got through"
    );
    sim.run_for(60.0);

    for node in [t, b] {
        let s = sim.node(node).stats();
        assert!(s.paths <= limits.max_paths, "{s:?}");
        assert!(
            s.known_destinations <= limits.max_known_destinations,
            "{s:?}"
        );
        assert!(s.packet_hashes <= limits.max_packet_hashes, "{s:?}");
        assert!(s.announce_table <= limits.max_announce_table, "{s:?}");
        assert!(
            s.queued_announces <= limits.max_queued_announces * 3,
            "{s:?}"
        );
        assert!(s.reverse_table <= limits.max_reverse_entries, "{s:?}");
        assert!(s.event_queue <= limits.max_event_queue, "{s:?}");
    }
    let ts = sim.node(t).stats();
    assert!(ts.paths == limits.max_paths.min(count + 1), "{ts:?}");
    // The path the legitimate traffic used survived the flood.
    assert!(sim.node(t).has_path(&db));
    assert!(sim.node(a).has_path(&db));
    // And it still works after.
    sim.with(a, |n, now| n.send_packet(now, &db, b"after"))
        .unwrap();
    assert!(
        sim.run_until_event(a, 10.0, |e| matches!(e, Event::ReceiptDelivered { .. }))
            .is_some()
    );
    assert!(
        sim.events(b)
            .filter(|e| matches!(e, Event::PacketReceived { .. }))
            .count()
            >= 2
    );
    let _ = is_announce_for(db);
}

#[test]
fn tables_stay_within_caps_under_an_announce_flood() {
    run_flood(600, small_limits());
}

#[test]
#[ignore = "signs and verifies 100,000 announces: run with --release"]
fn full_flood_of_100k_announces() {
    let limits = Limits {
        new_announce_rate: None,
        ..Limits::default()
    };
    run_flood(100_000, limits);
}

#[test]
fn ingress_limit_caps_signature_checks() {
    let mut sim = Sim::new(910);
    let t = sim.transport("t");
    let m = sim.medium(0.0, 0.0);
    let attacker = sim.attach(t, m, InterfaceConfig::new("attacker"));
    let packets = flood(&identity(911), 400, sim.now as u64);
    for raw in &packets {
        sim.inject(t, attacker, raw);
    }
    let s = sim.node(t).stats();
    let burst = Limits::default().new_announce_burst as u64;
    assert_eq!(s.announces_verified, burst);
    assert_eq!(s.dropped(DropReason::AnnounceRateLimited), 400 - burst);
    // The bucket refills at the configured rate.
    sim.run_for(1.0);
    let more = flood(&identity(912), 50, sim.now as u64);
    for raw in &more {
        sim.inject(t, attacker, raw);
    }
    let rate = Limits::default().new_announce_rate.unwrap() as u64;
    assert_eq!(sim.node(t).stats().announces_verified, burst + rate);
}
