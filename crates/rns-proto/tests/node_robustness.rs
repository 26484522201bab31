//! Nothing from the network panics the node: arbitrary bytes, and mutations
//! of every kind of valid packet, fed to a transport node that has paths,
//! a destination, relayed links and receipts to confuse.

mod sim;

use proptest::prelude::*;
use rns_proto::node::{InterfaceConfig, InterfaceId, Limits, Node, NodeConfig, ProofStrategy};
use rns_wire::packet::Packet;
use sim::{Sim, SimRng, identity, single_destination};

/// Valid traffic captured from a small simulated network, to mutate.
fn corpus() -> Vec<Vec<u8>> {
    let mut sim = Sim::new(700);
    let a = sim.endpoint("a");
    let t = sim.transport("t");
    let b = sim.endpoint("b");
    sim.connect(a, t, 0.01, 0.0);
    sim.connect(t, b, 0.01, 0.0);
    let db = single_destination(&mut sim, b, 701, ProofStrategy::All);
    sim.tracing = true;
    sim.with(b, |n, now| n.announce(now, &db, Some(b"x"))).ok();
    sim.run_for(10.0);
    sim.with(a, |n, now| n.send_packet(now, &db, b"data")).ok();
    sim.with(a, |n, now| n.request_path(now, &db));
    if let Ok(link) = sim.with(a, |n, now| n.open_link(now, &db)) {
        sim.run_for(2.0);
        sim.with(a, |n, now| n.link_send(now, &link, b"on the link"))
            .ok();
    }
    sim.run_for(5.0);
    sim.trace.iter().map(|t| t.raw.clone()).collect()
}

fn victim() -> Node {
    let mut config = NodeConfig::new(identity(710));
    config.transport_enabled = true;
    config.limits = Limits {
        max_paths: 8,
        max_known_destinations: 8,
        max_packet_hashes: 16,
        max_reverse_entries: 4,
        max_link_table: 4,
        ..Limits::default()
    };
    let mut node = Node::new(config, Box::new(SimRng::new(711)));
    node.add_interface(InterfaceId(0), InterfaceConfig::new("a"));
    node.add_interface(InterfaceId(1), InterfaceConfig::new("b"));
    node
}

fn feed(node: &mut Node, now: f64, iface: u32, raw: &[u8]) {
    node.handle_inbound(now, InterfaceId(iface % 3), raw);
    node.handle_timeout(now);
    while node.poll_transmit().is_some() {}
    while node.poll_event().is_some() {}
}

#[test]
fn the_corpus_replays_cleanly_on_both_interfaces() {
    let corpus = corpus();
    assert!(corpus.len() > 10);
    let mut node = victim();
    for (i, raw) in corpus.iter().enumerate() {
        feed(&mut node, sim::T0 + i as f64, i as u32, raw);
        assert!(Packet::decode(raw).is_ok());
    }
    let s = node.stats();
    assert!(s.paths <= 8 && s.known_destinations <= 8 && s.packet_hashes <= 16);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..600), iface in 0u32..3) {
        let mut node = victim();
        feed(&mut node, sim::T0, iface, &raw);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn mutated_packets_never_panic(
        pick in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        time in 0.0f64..1e6,
    ) {
        thread_local!(static CORPUS: Vec<Vec<u8>> = corpus());
        let mut raw = CORPUS.with(|c| pick.get(c).clone());
        for (at, value) in flips {
            let i = at.index(raw.len());
            raw[i] ^= value;
        }
        if truncate {
            raw.truncate(cut.index(raw.len() + 1));
        }
        // A node that learned the corpus's paths, links and tags first.
        let mut node = victim();
        CORPUS.with(|c| {
            for (i, good) in c.iter().enumerate() {
                feed(&mut node, sim::T0 + i as f64, i as u32, good);
            }
        });
        feed(&mut node, sim::T0 + time, 0, &raw);
        feed(&mut node, sim::T0 + time + 1000.0, 1, &raw);
    }
}
