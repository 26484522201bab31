//! Two endpoints on one wire: announces, path requests, packets and proofs,
//! duplicate suppression.

mod sim;

use rns_proto::node::{DropReason, Event, NodeConfig, ProofStrategy};
use rns_wire::packet::{Context, Header, PacketType};
use sim::{Sim, identity, is_announce_for, single_destination};

fn pair(seed: u64) -> (Sim, usize, usize, usize) {
    let mut sim = Sim::new(seed);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    let wire = sim.connect(a, b, 0.05, 0.0);
    (sim, a, b, wire)
}

#[test]
fn two_nodes_announce_both_ways_and_learn_paths() {
    let (mut sim, a, b, _) = pair(1);
    let da = single_destination(&mut sim, a, 10, ProofStrategy::None);
    let db = single_destination(&mut sim, b, 11, ProofStrategy::None);
    sim.with(a, |n, now| n.announce(now, &da, Some(b"alice")))
        .unwrap();
    sim.with(b, |n, now| n.announce(now, &db, Some(b"bob")))
        .unwrap();
    sim.run_for(1.0);

    assert_eq!(sim.node(a).hops_to(&db), Some(1));
    assert_eq!(sim.node(b).hops_to(&da), Some(1));
    assert_eq!(
        sim.node(a).recall_identity(&db),
        Some(identity(11).public())
    );
    assert_eq!(sim.node(a).recall_app_data(&db), Some(&b"bob"[..]));
    let got = sim.events(a).find(|e| is_announce_for(db)(e)).cloned();
    match got {
        Some(Event::AnnounceReceived {
            hops,
            app_data,
            is_path_response,
            ..
        }) => {
            assert_eq!(
                (hops, app_data.as_deref(), is_path_response),
                (1, Some(&b"bob"[..]), false)
            );
        }
        other => panic!("no announce event: {other:?}"),
    }
    assert!(
        sim.events(a)
            .any(|e| matches!(e, Event::PathFound { destination, hops: 1 } if *destination == db))
    );
    // Our own announce does not teach us a path to ourselves.
    assert!(!sim.node(a).has_path(&da));
}

#[test]
fn path_request_gets_a_path_response() {
    let (mut sim, a, b, _) = pair(2);
    let db = single_destination(&mut sim, b, 21, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, Some(b"first")))
        .unwrap();
    sim.run_for(1.0);
    assert!(sim.with(a, |n, _| n.drop_path(&db)));
    sim.tracing = true;
    sim.with(a, |n, now| n.request_path(now, &db));
    let ev = sim
        .run_until_event(a, 5.0, is_announce_for(db))
        .expect("path response");
    assert!(matches!(
        ev,
        Event::AnnounceReceived {
            is_path_response: true,
            hops: 1,
            ..
        }
    ));
    assert!(sim.node(a).has_path(&db));
    let response = sim
        .trace
        .iter()
        .filter_map(|t| t.packet())
        .find(|p| p.packet_type == PacketType::Announce);
    let response = response.expect("announce on the wire");
    assert_eq!(response.context, Context::PATH_RESPONSE);
    assert_eq!(response.header, Header::Type1);
    // The app data of the last announce is reused.
    assert_eq!(sim.node(a).recall_app_data(&db), Some(&b"first"[..]));
}

#[test]
fn send_packet_is_delivered_and_implicitly_proved() {
    let (mut sim, a, b, _) = pair(3);
    let db = single_destination(&mut sim, b, 31, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    sim.tracing = true;
    let receipt = sim
        .with(a, |n, now| n.send_packet(now, &db, b"hello bob"))
        .unwrap();
    let delivered = sim.run_until_event(a, 5.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    match delivered {
        Some(Event::ReceiptDelivered { receipt: r, rtt }) => {
            assert_eq!(r, receipt);
            // Two 50 ms hops, and the proof waits out the answer hold.
            let expected = 0.1 + rns_proto::node::RESPONSE_HOLD;
            assert!((rtt - expected).abs() < 1e-6, "rtt {rtt}");
        }
        other => panic!("not delivered: {other:?}"),
    }
    let got = sim.events(b).find_map(|e| match e {
        Event::PacketReceived {
            destination,
            data,
            packet_hash,
            ..
        } => Some((*destination, data.clone(), *packet_hash)),
        _ => None,
    });
    assert_eq!(got, Some((db, b"hello bob".to_vec(), receipt.0)));
    let proof = sim
        .trace
        .iter()
        .filter_map(|t| t.packet())
        .find(|p| p.packet_type == PacketType::Proof)
        .unwrap();
    assert_eq!(proof.data.len(), 64, "implicit proof is the signature only");
}

#[test]
fn explicit_proofs_when_configured() {
    let mut sim = Sim::new(4);
    let a = sim.endpoint("a");
    let mut config = NodeConfig::new(identity(400));
    config.use_implicit_proof = false;
    let b = sim.add_node("b", config);
    sim.connect(a, b, 0.05, 0.0);
    let db = single_destination(&mut sim, b, 41, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    sim.tracing = true;
    sim.with(a, |n, now| n.send_packet(now, &db, b"x")).unwrap();
    assert!(
        sim.run_until_event(a, 5.0, |e| matches!(e, Event::ReceiptDelivered { .. }))
            .is_some()
    );
    let proof = sim
        .trace
        .iter()
        .filter_map(|t| t.packet())
        .find(|p| p.packet_type == PacketType::Proof)
        .unwrap();
    assert_eq!(
        proof.data.len(),
        96,
        "explicit proof carries the packet hash"
    );
}

#[test]
fn unproved_packets_time_out_and_app_proofs_work() {
    let (mut sim, a, b, _) = pair(5);
    let db = single_destination(&mut sim, b, 51, ProofStrategy::App);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    let first = sim
        .with(a, |n, now| n.send_packet(now, &db, b"one"))
        .unwrap();
    let ev = sim.run_until_event(a, 30.0, |e| matches!(e, Event::ReceiptTimedOut { .. }));
    assert_eq!(ev, Some(Event::ReceiptTimedOut { receipt: first }));
    // With PROVE_APP the application proves what it chooses to.
    let second = sim
        .with(a, |n, now| n.send_packet(now, &db, b"two"))
        .unwrap();
    let arrived = sim.run_until_event(b, 5.0, |e| matches!(e, Event::PacketReceived { .. }));
    let Some(Event::PacketReceived {
        packet_hash,
        interface,
        ..
    }) = arrived
    else {
        panic!("not received");
    };
    sim.with(b, |n, now| {
        n.prove_packet(now, &db, &packet_hash, interface)
    })
    .unwrap();
    let ev = sim.run_until_event(a, 5.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(matches!(ev, Some(Event::ReceiptDelivered { receipt, .. }) if receipt == second));
}

#[test]
fn the_same_packet_on_two_interfaces_is_processed_once() {
    let mut sim = Sim::new(6);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    sim.connect(a, b, 0.05, 0.0);
    sim.connect(a, b, 0.07, 0.0);
    let db = single_destination(&mut sim, b, 61, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    // A has no path preference issue: both copies carry the same blob.
    let announces = sim.events(a).filter(|e| is_announce_for(db)(e)).count();
    assert_eq!(announces, 1);
    assert!(sim.node(a).drop_path(&db));
    // Without a path, A sends on both interfaces; B must deliver once.
    sim.with(a, |n, now| n.send_packet(now, &db, b"twice"))
        .unwrap();
    sim.run_for(1.0);
    let received = sim
        .events(b)
        .filter(|e| matches!(e, Event::PacketReceived { .. }))
        .count();
    assert_eq!(received, 1);
    assert_eq!(sim.node(b).stats().dropped(DropReason::Duplicate), 1);
}
