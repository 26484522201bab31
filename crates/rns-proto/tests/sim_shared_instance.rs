//! A program behind a shared instance: client C attached to instance S (which
//! does not run transport), S on a network with peer P. Hops across the local
//! socket do not count, the instance relays announces, packets and proofs both
//! ways, and answers the client's path requests from its table.

mod sim;

use rns_proto::node::{Event, ProofStrategy};
use rns_wire::packet::{Context, Header, PacketType};
use sim::{Sim, is_announce_for, single_destination};

fn setup(seed: u64) -> (Sim, usize, usize, usize) {
    let mut sim = Sim::new(seed);
    let c = sim.endpoint("client");
    let s = sim.endpoint("instance");
    let p = sim.endpoint("peer");
    let m = sim.medium(0.001, 0.0);
    let mut to_instance = rns_proto::node::InterfaceConfig::new("shared instance");
    to_instance.is_local_shared_instance_client = true;
    sim.attach(c, m, to_instance);
    let mut to_client = rns_proto::node::InterfaceConfig::new("local client");
    to_client.is_local_client_of_ours = true;
    sim.attach(s, m, to_client);
    sim.connect(s, p, 0.02, 0.0);
    (sim, c, s, p)
}

#[test]
fn client_and_peer_reach_each_other_through_the_instance() {
    let (mut sim, c, s, p) = setup(500);
    let dc = single_destination(&mut sim, c, 501, ProofStrategy::All);
    let dp = single_destination(&mut sim, p, 502, ProofStrategy::All);
    sim.with(c, |n, now| n.announce(now, &dc, None)).unwrap();
    sim.with(p, |n, now| n.announce(now, &dp, None)).unwrap();
    sim.run_for(2.0);

    // The client's destination looks local to the instance and one hop away
    // to the peer; the peer is one hop from both instance and client.
    assert_eq!(sim.node(s).hops_to(&dc), Some(0));
    assert_eq!(sim.node(p).hops_to(&dc), Some(1));
    assert_eq!(sim.node(s).hops_to(&dp), Some(1));
    assert_eq!(sim.node(c).hops_to(&dp), Some(1));
    let s_id = sim.node(s).transport_id();
    let via = sim
        .node(c)
        .path_table()
        .find(|e| e.destination == dp)
        .unwrap()
        .next_hop;
    assert_eq!(via, s_id, "the client routes through the instance");

    sim.tracing = true;
    let r = sim
        .with(c, |n, now| n.send_packet(now, &dp, b"from the client"))
        .unwrap();
    let ev = sim.run_until_event(c, 10.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(matches!(ev, Some(Event::ReceiptDelivered { receipt, .. }) if receipt == r));
    let first = sim
        .trace
        .iter()
        .find(|t| t.node == c)
        .and_then(|t| t.packet())
        .unwrap();
    assert_eq!(
        first.header,
        Header::Type2 { transport_id: s_id },
        "1-hop insert toward the instance"
    );

    let r = sim
        .with(p, |n, now| n.send_packet(now, &dc, b"to the client"))
        .unwrap();
    let ev = sim.run_until_event(p, 10.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(matches!(ev, Some(Event::ReceiptDelivered { receipt, .. }) if receipt == r));
    assert!(
        sim.events(c)
            .any(|e| matches!(e, Event::PacketReceived { data, .. } if data == b"to the client"))
    );
    let relayed = sim
        .trace
        .iter()
        .filter(|t| t.node == s)
        .filter_map(|t| t.packet())
        .filter(|p| p.packet_type == PacketType::Data)
        .count();
    assert_eq!(relayed, 2);
}

#[test]
fn the_instance_answers_the_clients_path_requests() {
    let (mut sim, c, s, p) = setup(510);
    let dp = single_destination(&mut sim, p, 511, ProofStrategy::All);
    sim.with(p, |n, now| n.announce(now, &dp, None)).unwrap();
    sim.run_for(2.0);
    assert!(sim.with(c, |n, _| n.drop_path(&dp)));
    sim.with(c, |n, now| n.request_path(now, &dp));
    let ev = sim
        .run_until_event(c, 1.0, is_announce_for(dp))
        .expect("answered");
    assert!(matches!(
        ev,
        Event::AnnounceReceived {
            hops: 1,
            is_path_response: true,
            ..
        }
    ));
    let _ = s;
}

#[test]
fn links_from_the_client_run_through_the_instance() {
    let (mut sim, c, _s, p) = setup(520);
    let dp = single_destination(&mut sim, p, 521, ProofStrategy::All);
    sim.with(p, |n, now| n.announce(now, &dp, None)).unwrap();
    sim.run_for(2.0);
    let link = sim.with(c, |n, now| n.open_link(now, &dp)).unwrap();
    let ev = sim.run_until_event(c, 10.0, |e| matches!(e, Event::Link(_)));
    assert!(
        matches!(
            ev,
            Some(Event::Link(rns_proto::node::LinkEvent::Established { .. }))
        ),
        "{ev:?}"
    );
    sim.with(c, |n, now| n.link_send(now, &link, b"over the instance"))
        .unwrap();
    let got = sim.run_until_event(p, 5.0, |e| {
        matches!(e, Event::Link(rns_proto::node::LinkEvent::Data { .. }))
    });
    assert!(got.is_some());
}

/// Interop finding: the reference's instance relays announces to its local
/// clients as plain announces (context NONE), even a client's answer to
/// another client's path request; the requester's announce handlers (which
/// skip path responses by default) then see it.
#[test]
fn a_clients_path_answer_reaches_the_other_clients_as_a_plain_announce() {
    let mut sim = Sim::new(530);
    let s = sim.endpoint("instance");
    let mut clients = Vec::new();
    for name in ["c1", "c2"] {
        let c = sim.endpoint(name);
        let m = sim.medium(0.001, 0.0);
        let mut to_instance = rns_proto::node::InterfaceConfig::new("shared instance");
        to_instance.is_local_shared_instance_client = true;
        sim.attach(c, m, to_instance);
        let mut to_client = rns_proto::node::InterfaceConfig::new(format!("client {name}"));
        to_client.is_local_client_of_ours = true;
        sim.attach(s, m, to_client);
        clients.push(c);
    }
    let (c1, c2) = (clients[0], clients[1]);
    let quiet = single_destination(&mut sim, c2, 531, ProofStrategy::None);
    sim.tracing = true;
    sim.with(c1, |n, now| n.request_path(now, &quiet));
    let ev = sim
        .run_until_event(c1, 5.0, is_announce_for(quiet))
        .expect("answered");
    assert!(
        matches!(
            ev,
            Event::AnnounceReceived {
                hops: 0,
                is_path_response: false,
                ..
            }
        ),
        "{ev:?}"
    );
    // c2 answered with a PATH_RESPONSE; the instance relayed it as NONE.
    let from = |node: usize| {
        sim.trace
            .iter()
            .filter(|t| t.node == node)
            .filter_map(|t| t.packet())
            .find(|p| p.packet_type == PacketType::Announce)
            .expect("an announce")
    };
    assert_eq!(from(c2).context, Context::PATH_RESPONSE);
    let relayed = from(s);
    assert_eq!(relayed.context, Context::NONE);
    assert_eq!(
        relayed.header,
        Header::Type2 {
            transport_id: sim.node(s).transport_id()
        }
    );
}
