//! Interface properties at work: the announce bandwidth cap, interface modes
//! (access points get no rebroadcasts, roaming paths expire sooner), removing
//! an interface, and link MTU discovery across transports.

mod sim;

use rns_proto::node::{Event, InterfaceMode, LinkEvent, ProofStrategy};
use rns_wire::packet::PacketType;
use sim::{Sim, single_destination};

#[test]
fn the_announce_cap_spaces_announces_out() {
    let mut sim = Sim::new(600);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    // 8 kbit/s at 2 %: 20 bytes per second for announces.
    sim.connect_with(a, b, 0.01, 0.0, |c| c.bitrate = 8_000);
    let d1 = single_destination(&mut sim, b, 601, ProofStrategy::None);
    let spec = rns_proto::node::DestinationSpec::single(sim::identity(602), "simapp", &["other"]);
    let d2 = sim.node(b).register_destination(spec).unwrap();
    sim.tracing = true;
    let start = sim.now;
    sim.with(b, |n, now| n.announce(now, &d1, None)).unwrap();
    sim.with(b, |n, now| n.announce(now, &d2, None)).unwrap();
    assert_eq!(sim.node(b).stats().queued_announces, 1);
    sim.run_for(20.0);
    let times: Vec<f64> = sim
        .trace
        .iter()
        .filter(|t| {
            t.node == b
                && t.packet()
                    .is_some_and(|p| p.packet_type == PacketType::Announce)
        })
        .map(|t| t.at - start)
        .collect();
    assert_eq!(times.len(), 2);
    let len = sim.trace[0].raw.len() as f64;
    let wait = len * 8.0 / 8_000.0 / 0.02;
    assert!(
        (times[1] - wait).abs() < 1e-6,
        "second announce at {} not {wait}",
        times[1]
    );
    assert!(sim.node(a).has_path(&d1) && sim.node(a).has_path(&d2));
}

#[test]
fn access_points_get_no_rebroadcasts_and_roaming_paths_expire_sooner() {
    let mut sim = Sim::new(610);
    let a = sim.endpoint("a");
    let t = sim.transport("t");
    let b = sim.endpoint("b");
    let r = sim.endpoint("r");
    sim.connect_with(a, t, 0.01, 0.0, |c| c.mode = InterfaceMode::AccessPoint);
    sim.connect_with(t, r, 0.01, 0.0, |c| c.mode = InterfaceMode::Roaming);
    sim.connect(t, b, 0.01, 0.0);
    let db = single_destination(&mut sim, b, 611, ProofStrategy::None);
    let dr = single_destination(&mut sim, r, 612, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.with(r, |n, now| n.announce(now, &dr, None)).unwrap();
    sim.run_for(30.0);
    assert!(
        !sim.node(a).has_path(&db),
        "no rebroadcast onto the access point"
    );
    assert!(
        sim.node(r).has_path(&db),
        "roaming gets announces from full interfaces"
    );
    assert!(sim.node(t).has_path(&dr));
    // A can still ask: the answer goes to the requester directly.
    sim.with(a, |n, now| n.request_path(now, &db));
    sim.run_for(3.0);
    assert!(sim.node(a).has_path(&db));
    // Roaming paths live 6 hours, others a week.
    sim.run_for(6.0 * 3600.0 + 10.0);
    assert!(!sim.node(t).has_path(&dr));
    assert!(sim.node(t).has_path(&db));
}

#[test]
fn removing_an_interface_forgets_its_paths() {
    let mut sim = Sim::new(620);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    let m = sim.connect(a, b, 0.01, 0.0);
    let db = single_destination(&mut sim, b, 621, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    assert!(sim.node(a).has_path(&db));
    let iface = sim.iface(a, m);
    sim.with(a, |n, _| n.remove_interface(iface));
    assert!(!sim.node(a).has_path(&db));
    assert!(
        sim.node(a).recall_identity(&db).is_some(),
        "identities outlive paths"
    );
}

// A helper of the test below: its panics are test failures.
#[allow(clippy::unwrap_used)]
fn link_mtu(hw: [Option<u32>; 3]) -> u32 {
    let mut sim = Sim::new(630);
    let a = sim.endpoint("a");
    let t1 = sim.transport("t1");
    let t2 = sim.transport("t2");
    let b = sim.endpoint("b");
    for (i, (x, y)) in [(a, t1), (t1, t2), (t2, b)].into_iter().enumerate() {
        sim.connect_with(x, y, 0.01, 0.0, |c| c.hw_mtu = hw[i]);
    }
    let db = single_destination(&mut sim, b, 631, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
    let ev = sim.run_until_event(a, 10.0, |e| matches!(e, Event::Link(_)));
    assert!(
        matches!(ev, Some(Event::Link(LinkEvent::Established { .. }))),
        "{ev:?}"
    );
    sim.run_for(1.0);
    let (ma, mb) = (
        sim.node(a).link(&link).unwrap().mtu(),
        sim.node(b).link(&link).unwrap().mtu(),
    );
    assert_eq!(ma, mb);
    ma
}

#[test]
fn link_mtu_is_clamped_along_the_path() {
    assert_eq!(link_mtu([Some(16_384); 3]), 16_384);
    assert_eq!(link_mtu([Some(16_384), Some(4_096), Some(16_384)]), 4_096);
    assert_eq!(link_mtu([Some(16_384), None, Some(16_384)]), 500);
}
