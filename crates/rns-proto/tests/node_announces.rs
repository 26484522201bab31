//! Announce validation at one node: forged announces (bad signature, hash
//! mismatch, a key change for a known destination) are rejected and counted,
//! replays and stale announces do not move the path, and ratchets announced
//! are used and enforced.

mod sim;

use rns_crypto::{DestinationHash, PrivateIdentity, RatchetSet, name_hash};
use rns_proto::node::{
    DestinationSpec, DropReason, Event, InterfaceConfig, InterfaceId, ProofStrategy,
};
use rns_wire::announce::{AnnounceReason, RandomHash, ValidatedAnnounce};
use rns_wire::packet::{DestinationKind, Packet};
use sim::{Sim, T0, identity, is_announce_for};

fn announce(id: &PrivateIdentity, aspect: &str, blob: u8, emitted: u64) -> Packet {
    let nh = name_hash(&format!("test.{aspect}"));
    let rh = RandomHash::new([blob; 5], emitted);
    ValidatedAnnounce::build(id, nh, rh, None, b"data".to_vec())
        .to_packet(AnnounceReason::Unsolicited)
}

fn one_node(seed: u64) -> (Sim, usize, InterfaceId) {
    let mut sim = Sim::new(seed);
    let n = sim.endpoint("n");
    let m = sim.medium(0.0, 0.0);
    let iface = sim.attach(n, m, InterfaceConfig::new("in"));
    (sim, n, iface)
}

#[test]
fn forged_announces_are_rejected_and_counted() {
    let (mut sim, n, iface) = one_node(300);
    let good = identity(301);
    let genuine = announce(&good, "a", 1, T0 as u64);
    let dest = genuine.destination;
    sim.inject(n, iface, &genuine.encode());
    assert!(sim.node(n).has_path(&dest));

    // A bad signature, for a destination not yet known.
    let mut bad_sig = announce(&good, "b", 2, T0 as u64);
    let last_sig_byte = bad_sig.data.len() - 1 - 4; // app data "data" follows the signature
    bad_sig.data[last_sig_byte] ^= 1;
    sim.inject(n, iface, &bad_sig.encode());
    assert!(!sim.node(n).has_path(&bad_sig.destination));

    // A hash mismatch: a valid announce claimed for another destination.
    let mut wrong_dest = announce(&good, "c", 3, T0 as u64);
    wrong_dest.destination = DestinationHash([0xAB; 16]);
    sim.inject(n, iface, &wrong_dest.encode());
    assert!(!sim.node(n).has_path(&wrong_dest.destination));

    // A key change: someone else's key under the known destination.
    let impostor = identity(302);
    let mut key_change = announce(&impostor, "a", 4, T0 as u64 + 10);
    key_change.destination = dest;
    let verified_before = sim.node(n).stats().announces_verified;
    sim.inject(n, iface, &key_change.encode());
    assert_eq!(
        sim.node(n).stats().announces_verified,
        verified_before,
        "rejected before verifying"
    );
    assert_eq!(sim.node(n).recall_identity(&dest), Some(good.public()));

    // A persisted identity contradicts a (validly signed) announce.
    let other = announce(&impostor, "d", 5, T0 as u64);
    sim.with(n, |node, _| {
        node.remember_identity(other.destination, good.public().clone(), None)
    });
    sim.inject(n, iface, &other.encode());
    assert!(!sim.node(n).has_path(&other.destination));

    // Announces for PLAIN destinations are protocol violations.
    let mut plain = announce(&good, "e", 6, T0 as u64);
    plain.destination_kind = DestinationKind::Plain;
    sim.inject(n, iface, &plain.encode());

    let s = sim.node(n).stats();
    assert_eq!(s.dropped(DropReason::AnnounceSignature), 1);
    assert_eq!(s.dropped(DropReason::AnnounceHash), 1);
    assert_eq!(s.dropped(DropReason::AnnounceKeyMismatch), 2);
    assert_eq!(s.dropped(DropReason::Malformed), 1);
    assert_eq!(
        sim.events(n)
            .filter(|e| matches!(e, Event::AnnounceReceived { .. }))
            .count(),
        1
    );
}

#[test]
fn replays_and_stale_announces_do_not_move_the_path() {
    let (mut sim, n, iface) = one_node(310);
    let id = identity(311);
    let first = announce(&id, "a", 1, T0 as u64);
    let dest = first.destination;
    sim.inject(n, iface, &first.encode());
    sim.inject(n, iface, &first.encode());
    // Farther away, same blob (someone's rebroadcast): no change.
    let mut farther = first.clone();
    farther.hops = 3;
    sim.inject(n, iface, &farther.encode());
    // A new blob but an older emission, farther away: rejected.
    let mut stale = announce(&id, "a", 2, T0 as u64 - 100);
    stale.hops = 2;
    sim.inject(n, iface, &stale.encode());
    assert_eq!(sim.node(n).hops_to(&dest), Some(1));
    assert_eq!(
        sim.events(n).filter(|e| is_announce_for(dest)(e)).count(),
        1
    );
    assert_eq!(sim.node(n).stats().dropped(DropReason::AnnounceNotNewer), 1);
    // A newer emission is news, even from farther away.
    let mut newer = announce(&id, "a", 3, T0 as u64 + 100);
    newer.hops = 2;
    sim.inject(n, iface, &newer.encode());
    assert_eq!(sim.node(n).hops_to(&dest), Some(3));
    assert_eq!(
        sim.events(n).filter(|e| is_announce_for(dest)(e)).count(),
        2
    );
}

#[test]
fn ratchets_are_announced_used_and_enforced() {
    let mut sim = Sim::new(320);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    sim.connect(a, b, 0.01, 0.0);
    let spec = DestinationSpec::single(identity(321), "simapp", &["ratchet"])
        .with_proof_strategy(ProofStrategy::All)
        .with_ratchets(RatchetSet::new(), true);
    let db = sim.node(b).register_destination(spec).unwrap();

    // Before any announce, A knows B only from storage: no ratchet, so it
    // encrypts to the identity key, and B (enforcing ratchets) drops it.
    sim.with(a, |n, _| {
        n.remember_identity(db, identity(321).public().clone(), None)
    });
    sim.with(a, |n, now| n.send_packet(now, &db, b"to the identity"))
        .unwrap();
    sim.run_for(1.0);
    assert_eq!(sim.node(b).stats().dropped(DropReason::DecryptFailed), 1);

    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    assert!(
        sim.events(b)
            .any(|e| matches!(e, Event::RatchetsRotated { destination } if *destination == db))
    );
    let newest = sim
        .node(b)
        .destination_ratchets(&db)
        .unwrap()
        .newest_public()
        .unwrap();
    let announced = sim.events(a).find_map(|e| match e {
        Event::AnnounceReceived { ratchet, .. } => *ratchet,
        _ => None,
    });
    assert_eq!(announced, Some(newest));
    assert_eq!(
        sim.node(a).recall_ratchet(&db).map(|r| r.public),
        Some(newest)
    );
    sim.with(a, |n, now| n.send_packet(now, &db, b"to the ratchet"))
        .unwrap();
    let ev = sim.run_until_event(a, 5.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(ev.is_some());
    assert!(
        sim.events(b)
            .any(|e| matches!(e, Event::PacketReceived { data, .. } if data == b"to the ratchet"))
    );
}
