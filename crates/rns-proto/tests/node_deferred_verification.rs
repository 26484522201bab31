//! Deferred announce verification (what the tokio driver uses): an announce
//! that passed the cheap checks waits as a job, is verified "elsewhere" (here,
//! by the test), and is then finished exactly as in line: good ones make a
//! path and an event, forged ones are dropped and counted, copies that were
//! in flight together count as rebroadcasts, and the backlog is capped.

mod sim;

use rns_crypto::{PrivateIdentity, name_hash};
use rns_proto::node::{DropReason, Event, InterfaceConfig, InterfaceId, Limits, NodeConfig};
use rns_wire::announce::{AnnounceReason, RandomHash, ValidatedAnnounce};
use rns_wire::packet::Packet;
use sim::{Sim, T0, identity};

fn announce(id: &PrivateIdentity, aspect: &str) -> Packet {
    let nh = name_hash(&format!("test.{aspect}"));
    let rh = RandomHash::new([7; 5], T0 as u64);
    ValidatedAnnounce::build(id, nh, rh, None, b"data".to_vec())
        .to_packet(AnnounceReason::Unsolicited)
}

fn deferring_node(seed: u64, max_pending: usize) -> (Sim, usize, InterfaceId) {
    let mut sim = Sim::new(seed);
    let mut config = NodeConfig::new(identity(seed + 1));
    config.limits = Limits {
        max_pending_verifications: max_pending,
        new_announce_rate: None,
        ..Limits::default()
    };
    let n = sim.add_node("n", config);
    let m = sim.medium(0.0, 0.0);
    let iface = sim.attach(n, m, InterfaceConfig::new("in"));
    sim.node(n).set_deferred_verification(true);
    (sim, n, iface)
}

/// Verifies every parked job and hands the results back.
fn run_jobs(sim: &mut Sim, n: usize) -> usize {
    let mut done = 0;
    while let Some(job) = sim.node(n).poll_verify_job() {
        let verified = job.verify();
        sim.with(n, |node, now| node.handle_verified(now, verified));
        done += 1;
    }
    done
}

fn announce_events(sim: &mut Sim, n: usize) -> usize {
    sim.events(n)
        .filter(|e| matches!(e, Event::AnnounceReceived { .. }))
        .count()
}

#[test]
fn a_good_announce_waits_for_its_check_then_makes_a_path() {
    let (mut sim, n, iface) = deferring_node(700, 16);
    let packet = announce(&identity(710), "a");
    sim.inject(n, iface, &packet.encode());
    assert!(
        !sim.node(n).has_path(&packet.destination),
        "not before the check"
    );
    assert_eq!(sim.node(n).verify_backlog(), 1);

    assert_eq!(run_jobs(&mut sim, n), 1);
    assert!(sim.node(n).has_path(&packet.destination));
    assert_eq!(sim.node(n).verify_backlog(), 0);
    assert_eq!(announce_events(&mut sim, n), 1);
    assert_eq!(
        sim.node(n).recall_identity(&packet.destination),
        Some(identity(710).public())
    );
}

#[test]
fn a_forged_announce_is_dropped_after_its_check() {
    let (mut sim, n, iface) = deferring_node(720, 16);
    let mut forged = announce(&identity(721), "b");
    let last_sig_byte = forged.data.len() - 1 - 4; // "data" follows the signature
    forged.data[last_sig_byte] ^= 1;
    sim.inject(n, iface, &forged.encode());
    run_jobs(&mut sim, n);
    assert!(!sim.node(n).has_path(&forged.destination));
    assert_eq!(
        sim.node(n).stats().dropped(DropReason::AnnounceSignature),
        1
    );
    assert_eq!(announce_events(&mut sim, n), 0);
}

#[test]
fn copies_in_flight_together_are_accepted_once() {
    let (mut sim, n, iface) = deferring_node(730, 16);
    let packet = announce(&identity(731), "c");
    sim.inject(n, iface, &packet.encode());
    sim.inject(n, iface, &packet.encode());
    assert_eq!(sim.node(n).verify_backlog(), 2);
    run_jobs(&mut sim, n);
    assert!(sim.node(n).has_path(&packet.destination));
    assert_eq!(announce_events(&mut sim, n), 1);
}

#[test]
fn the_backlog_is_capped() {
    let (mut sim, n, iface) = deferring_node(740, 2);
    for (i, aspect) in ["d", "e", "f"].iter().enumerate() {
        sim.inject(
            n,
            iface,
            &announce(&identity(741 + i as u64), aspect).encode(),
        );
    }
    assert!(sim.node(n).verify_backlog_full());
    assert_eq!(sim.node(n).verify_backlog(), 2);
    assert_eq!(
        sim.node(n).stats().dropped(DropReason::VerifyBacklogFull),
        1
    );
    // A job taken out still counts until its result comes back.
    let job = sim.node(n).poll_verify_job().expect("a job");
    assert!(sim.node(n).verify_backlog_full());
    let verified = job.verify();
    sim.with(n, |node, now| node.handle_verified(now, verified));
    assert!(!sim.node(n).verify_backlog_full());
    run_jobs(&mut sim, n);
    assert_eq!(sim.node(n).stats().paths, 2);
}
