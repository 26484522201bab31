//! Paths exported with `path_records` and put back with `restore_path` (what
//! a driver does across a restart): they route like before, still recognise
//! replays, and are refused when stale, orphaned, superseded or damaged.

mod sim;

use rns_proto::node::{Event, InterfaceConfig, InterfaceId, Node, NodeConfig, ProofStrategy};
use sim::{Sim, SimRng, identity, single_destination};

#[test]
fn restored_paths_route_and_refuse_replays() {
    let mut sim = Sim::new(900);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    sim.connect(a, b, 0.01, 0.0);
    let db = single_destination(&mut sim, b, 901, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, Some(b"x")))
        .unwrap();
    sim.run_for(2.0);
    let (_, record) = sim.with(a, |n, _| n.path_records().next().unwrap());
    let now = sim.with(a, |_, now| now);
    assert_eq!(record.destination, db);
    assert_eq!(record.random_blobs.len(), 1);

    // A fresh node, as after a restart, with one interface attached.
    let fresh = || {
        let mut n = Node::new(NodeConfig::new(identity(902)), Box::new(SimRng::new(903)));
        n.add_interface(InterfaceId(7), InterfaceConfig::new("a"));
        n
    };
    let mut n = fresh();
    assert!(n.restore_path(now, InterfaceId(7), record.clone()));
    let view = n.path_table().next().unwrap();
    assert_eq!((view.destination, view.hops), (db, 1));
    assert_eq!(view.interface, InterfaceId(7));
    assert_eq!(view.expires, record.expires);
    let restored = n.path_records().next().unwrap().1;
    assert_eq!(restored, record);

    // The announce it was learned from, replayed: not taken again.
    n.handle_inbound(now + 1.0, InterfaceId(7), &record.announce);
    while let Some(e) = n.poll_event() {
        assert!(
            !matches!(e, Event::AnnounceReceived { .. }),
            "a replay was accepted"
        );
    }

    // It routes: a packet to the destination leaves on that interface alone.
    let mut n2 = fresh();
    n2.add_interface(InterfaceId(9), InterfaceConfig::new("other"));
    assert!(n2.restore_path(now, InterfaceId(7), record.clone()));
    n2.remember_identity(db, identity(901).public().clone(), None);
    n2.send_packet(now, &db, b"after a restart").unwrap();
    let out: Vec<_> = std::iter::from_fn(|| n2.poll_transmit()).collect();
    assert!(!out.is_empty());
    assert!(out.iter().all(|t| t.interface == InterfaceId(7)), "{out:?}");

    // Refusals: a path already known, an expired one, an unknown
    // interface, an announce that is not one or is for another destination.
    assert!(!n.restore_path(now, InterfaceId(7), record.clone()));
    let mut n = fresh();
    assert!(!n.restore_path(record.expires, InterfaceId(7), record.clone()));
    assert!(!n.restore_path(now, InterfaceId(8), record.clone()));
    let mut garbage = record.clone();
    garbage.announce = vec![0; 40];
    assert!(!n.restore_path(now, InterfaceId(7), garbage));
    let mut other = record.clone();
    other.destination.0[0] ^= 1;
    assert!(!n.restore_path(now, InterfaceId(7), other));
    assert!(n.path_table().next().is_none());
}
