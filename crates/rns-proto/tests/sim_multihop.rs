//! A — T1 — T2 — B with T1 and T2 in transport mode: announces travel three
//! hops, packets go HEADER_2 and their proofs come back, paths are found on
//! request, and links run through both transports.

mod sim;

use rns_crypto::IdentityHash;
use rns_proto::node::{Event, LinkEvent, LinkState, ProofStrategy, TeardownReason};
use rns_wire::packet::{Header, PacketType, TransportType};
use sim::{Sim, is_announce_for, single_destination};

struct Line {
    sim: Sim,
    a: usize,
    t1: usize,
    t2: usize,
    b: usize,
    wires: [usize; 3],
}

fn line(seed: u64, loss: f64) -> Line {
    let mut sim = Sim::new(seed);
    let a = sim.endpoint("a");
    let t1 = sim.transport("t1");
    let t2 = sim.transport("t2");
    let b = sim.endpoint("b");
    let wires = [
        sim.connect(a, t1, 0.02, loss),
        sim.connect(t1, t2, 0.03, loss),
        sim.connect(t2, b, 0.04, loss),
    ];
    Line {
        sim,
        a,
        t1,
        t2,
        b,
        wires,
    }
}

fn transport_id(sim: &mut Sim, node: usize) -> IdentityHash {
    sim.node(node).transport_id()
}

#[test]
fn announce_reaches_three_hops_and_packets_are_proved_back() {
    let Line {
        mut sim,
        a,
        t1,
        t2,
        b,
        ..
    } = line(100, 0.0);
    let db = single_destination(&mut sim, b, 101, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, Some(b"far")))
        .unwrap();
    let ev = sim
        .run_until_event(a, 15.0, is_announce_for(db))
        .expect("announce at A");
    assert!(matches!(ev, Event::AnnounceReceived { hops: 3, .. }));
    assert_eq!(sim.node(a).hops_to(&db), Some(3));
    assert_eq!(sim.node(t1).hops_to(&db), Some(2));
    let next = sim
        .node(a)
        .path_table()
        .find(|p| p.destination == db)
        .unwrap()
        .next_hop;
    assert_eq!(next, transport_id(&mut sim, t1));
    sim.run_for(20.0); // let the rebroadcast retries settle

    sim.tracing = true;
    let receipt = sim
        .with(a, |n, now| n.send_packet(now, &db, b"over two transports"))
        .unwrap();
    let ev = sim.run_until_event(a, 30.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(matches!(ev, Some(Event::ReceiptDelivered { receipt: r, .. }) if r == receipt));
    let first = sim
        .trace
        .iter()
        .find(|t| t.node == a)
        .and_then(|t| t.packet())
        .unwrap();
    assert_eq!(
        first.header,
        Header::Type2 {
            transport_id: transport_id(&mut sim, t1)
        }
    );
    assert_eq!(first.transport_type, TransportType::Transport);
    // T1 hands over to T2 by transport id; T2 delivers it as HEADER_1.
    let t1_out = sim
        .trace
        .iter()
        .filter(|t| t.node == t1)
        .filter_map(|t| t.packet())
        .find(|p| p.packet_type == PacketType::Data)
        .unwrap();
    assert_eq!(
        t1_out.header,
        Header::Type2 {
            transport_id: transport_id(&mut sim, t2)
        }
    );
    let t2_out = sim
        .trace
        .iter()
        .filter(|t| t.node == t2)
        .filter_map(|t| t.packet())
        .find(|p| p.packet_type == PacketType::Data)
        .unwrap();
    assert_eq!(t2_out.header, Header::Type1);
    assert!(sim.events(b).any(
        |e| matches!(e, Event::PacketReceived { data, .. } if data == b"over two transports")
    ));
    assert_eq!(
        sim.node(t1).stats().reverse_table,
        0,
        "the proof consumed the reverse entry"
    );
}

#[test]
fn rebroadcasts_stop_when_passed_on() {
    let Line {
        mut sim,
        a,
        t1,
        t2,
        b,
        ..
    } = line(110, 0.0);
    let db = single_destination(&mut sim, b, 111, ProofStrategy::None);
    sim.tracing = true;
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(30.0);
    let announces_from = |node| {
        sim.trace
            .iter()
            .filter(|t| t.node == node)
            .filter_map(|t| t.packet())
            .filter(|p| p.packet_type == PacketType::Announce)
            .count()
    };
    // T2 heard T1 pass it on and did not retry (one copy per interface);
    // T1 heard nobody further on and retried once.
    assert_eq!(announces_from(t2), 2);
    assert_eq!(announces_from(t1), 4);
    assert_eq!(announces_from(a), 0, "endpoints do not rebroadcast");
    assert_eq!(sim.node(t1).stats().announce_table, 0);
    assert_eq!(sim.node(t2).stats().announce_table, 0);
}

#[test]
fn path_discovery_through_transports() {
    let Line {
        mut sim,
        a,
        b,
        wires,
        ..
    } = line(120, 0.0);
    let db = single_destination(&mut sim, b, 121, ProofStrategy::All);
    sim.set_up(wires[0], false);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    sim.set_up(wires[0], true);
    assert!(!sim.node(a).has_path(&db));
    sim.with(a, |n, now| n.request_path(now, &db));
    let ev = sim
        .run_until_event(a, 5.0, is_announce_for(db))
        .expect("path response");
    assert!(matches!(
        ev,
        Event::AnnounceReceived {
            hops: 3,
            is_path_response: true,
            ..
        }
    ));
    let receipt = sim
        .with(a, |n, now| n.send_packet(now, &db, b"found you"))
        .unwrap();
    let ev = sim.run_until_event(a, 30.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(matches!(ev, Some(Event::ReceiptDelivered { receipt: r, .. }) if r == receipt));
}

fn established(sim: &mut Sim, node: usize, timeout: f64) -> Option<Event> {
    sim.run_until_event(node, timeout, |e| {
        matches!(
            e,
            Event::Link(LinkEvent::Established { .. } | LinkEvent::Closed { .. })
        )
    })
}

#[test]
fn link_through_two_transports_carries_data_both_ways() {
    let Line {
        mut sim,
        a,
        t1,
        t2,
        b,
        ..
    } = line(130, 0.0);
    let db = single_destination(&mut sim, b, 131, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
    let ev = established(&mut sim, a, 30.0);
    assert!(
        matches!(ev, Some(Event::Link(LinkEvent::Established { link_id, .. })) if link_id == link)
    );
    sim.run_for(1.0);
    assert_eq!(sim.node(b).link_state(&link), Some(LinkState::Active));
    assert_eq!(sim.node(t1).stats().link_table, 1);
    assert_eq!(sim.node(t2).stats().link_table, 1);

    sim.with(a, |n, now| n.link_send(now, &link, b"ping"))
        .unwrap();
    let got = sim.run_until_event(b, 5.0, |e| matches!(e, Event::Link(LinkEvent::Data { .. })));
    assert!(matches!(got, Some(Event::Link(LinkEvent::Data { data, .. })) if data == b"ping"));
    let delivered = sim.run_until_event(a, 5.0, |e| {
        matches!(e, Event::Link(LinkEvent::Delivered { .. }))
    });
    assert!(delivered.is_some(), "the link proof came back");
    sim.with(b, |n, now| n.link_send(now, &link, b"pong"))
        .unwrap();
    let got = sim.run_until_event(a, 5.0, |e| matches!(e, Event::Link(LinkEvent::Data { .. })));
    assert!(matches!(got, Some(Event::Link(LinkEvent::Data { data, .. })) if data == b"pong"));

    sim.with(a, |n, now| n.close_link(now, &link)).unwrap();
    let closed = sim.run_until_event(b, 5.0, |e| {
        matches!(e, Event::Link(LinkEvent::Closed { .. }))
    });
    assert!(matches!(
        closed,
        Some(Event::Link(LinkEvent::Closed {
            reason: TeardownReason::InitiatorClosed,
            ..
        }))
    ));
    assert_eq!(sim.node(a).link_state(&link), None);
    assert_eq!(sim.node(b).link_state(&link), None);
}

#[test]
fn link_establishment_under_loss_is_retried_by_the_app() {
    let Line {
        mut sim,
        a,
        b,
        wires,
        ..
    } = line(140, 0.0);
    let db = single_destination(&mut sim, b, 141, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    for w in wires {
        sim.set_loss(w, 0.2);
    }
    let mut attempts = 0;
    let link = loop {
        attempts += 1;
        assert!(attempts <= 12, "no link after {attempts} attempts");
        let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
        match established(&mut sim, a, 60.0) {
            Some(Event::Link(LinkEvent::Established { link_id, .. })) if link_id == link => {
                break link;
            }
            Some(Event::Link(LinkEvent::Closed { .. })) => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    // Data still flows (the app retries lost sends too).
    let mut delivered = false;
    for _ in 0..12 {
        if sim.node(a).link_state(&link) != Some(LinkState::Active) {
            break;
        }
        sim.with(a, |n, now| n.link_send(now, &link, b"lossy"))
            .unwrap();
        let ev = sim.run_until_event(a, 10.0, |e| {
            matches!(
                e,
                Event::Link(LinkEvent::Delivered { .. } | LinkEvent::DeliveryFailed { .. })
            )
        });
        if matches!(ev, Some(Event::Link(LinkEvent::Delivered { .. }))) {
            delivered = true;
            break;
        }
    }
    assert!(delivered, "no delivery over the lossy link");
}

#[test]
fn link_times_out_when_the_peer_vanishes() {
    let Line {
        mut sim,
        a,
        b,
        wires,
        ..
    } = line(150, 0.0);
    let db = single_destination(&mut sim, b, 151, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
    assert!(matches!(
        established(&mut sim, a, 30.0),
        Some(Event::Link(LinkEvent::Established { .. }))
    ));
    sim.run_for(30.0);
    assert_eq!(sim.node(a).link_state(&link), Some(LinkState::Active));
    sim.set_up(wires[2], false); // B drops off the network
    let closed = sim.run_until_event(a, 2_000.0, |e| {
        matches!(e, Event::Link(LinkEvent::Closed { .. }))
    });
    assert!(matches!(
        closed,
        Some(Event::Link(LinkEvent::Closed {
            reason: TeardownReason::Timeout,
            ..
        }))
    ));
    assert_eq!(sim.node(a).link_state(&link), None);
    let closed_b = sim.run_until_event(b, 2_000.0, |e| {
        matches!(e, Event::Link(LinkEvent::Closed { .. }))
    });
    assert!(closed_b.is_some() || sim.node(b).link_state(&link).is_none());
}
