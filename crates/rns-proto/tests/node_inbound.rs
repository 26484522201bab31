//! The inbound filter at one node: access codes, decoding, the hop limit,
//! PLAIN hop limits, foreign transport ids and tagless path requests; and a
//! pair of nodes talking through IFAC-protected interfaces.

mod sim;

use rns_crypto::{DestinationHash, IdentityHash, IfacKey};
use rns_proto::node::{DropReason, Event, InterfaceConfig, InterfaceId, ProofStrategy};
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use rns_wire::path_request::PATH_REQUEST_DESTINATION;
use sim::{Sim, is_announce_for, single_destination};

fn one_node(ifac: Option<IfacKey>) -> (Sim, usize, InterfaceId) {
    let mut sim = Sim::new(200);
    let n = sim.transport("n");
    let m = sim.medium(0.0, 0.0);
    let mut config = InterfaceConfig::new("in");
    config.ifac = ifac;
    let iface = sim.attach(n, m, config);
    (sim, n, iface)
}

fn data(kind: DestinationKind, dest: DestinationHash, payload: &[u8]) -> Packet {
    Packet::new(
        PacketType::Data,
        kind,
        dest,
        Context::NONE,
        payload.to_vec(),
    )
}

#[test]
fn the_filter_drops_what_it_should() {
    let (mut sim, n, iface) = one_node(None);
    let dest = DestinationHash([5; 16]);
    let drops = |sim: &mut Sim, reason| sim.node(n).stats().dropped(reason);

    sim.inject(n, iface, &[0x00, 0x00, 1, 2, 3]);
    let mut empty = data(DestinationKind::Single, dest, b"x").encode();
    empty.pop();
    sim.inject(n, iface, &empty);
    assert_eq!(drops(&mut sim, DropReason::Malformed), 2);

    let mut flagged = data(DestinationKind::Single, dest, b"x").encode();
    flagged[0] |= 0x80;
    sim.inject(n, iface, &flagged);
    assert_eq!(drops(&mut sim, DropReason::Ifac), 1);

    let mut far = data(DestinationKind::Single, dest, b"x");
    far.hops = 127;
    sim.inject(n, iface, &far.encode());
    assert_eq!(drops(&mut sim, DropReason::HopLimit), 1);

    let mut plain = data(DestinationKind::Plain, dest, b"x");
    plain.hops = 1;
    sim.inject(n, iface, &plain.encode());
    assert_eq!(drops(&mut sim, DropReason::PlainHops), 1);

    let foreign = data(DestinationKind::Single, dest, b"y").into_header2(IdentityHash([9; 16]));
    sim.inject(n, iface, &foreign.encode());
    assert_eq!(drops(&mut sim, DropReason::NotForUs), 1);

    let tagless = data(DestinationKind::Plain, PATH_REQUEST_DESTINATION, &[7; 16]);
    sim.inject(n, iface, &tagless.encode());
    assert_eq!(drops(&mut sim, DropReason::PathRequestTagless), 1);

    let stray = data(DestinationKind::Single, dest, b"z");
    sim.inject(n, iface, &stray.encode());
    sim.inject(n, iface, &stray.encode());
    assert_eq!(drops(&mut sim, DropReason::NotDeliverable), 1);
    assert_eq!(drops(&mut sim, DropReason::Duplicate), 1);

    let s = sim.node(n).stats();
    assert_eq!(s.interfaces[&iface].rx_packets, 9);
    sim.inject(n, InterfaceId(77), &stray.encode());
    assert_eq!(drops(&mut sim, DropReason::UnknownInterface), 1);
}

#[test]
fn ifac_interfaces_talk_only_to_the_same_key() {
    let key = IfacKey::derive(Some("testnet"), Some("secret"), 8).unwrap();
    let other = IfacKey::derive(Some("testnet"), Some("wrong"), 8).unwrap();
    let mut sim = Sim::new(210);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    let c = sim.endpoint("c");
    let m = sim.medium(0.01, 0.0);
    for (node, k) in [(a, &key), (b, &key), (c, &other)] {
        let mut config = InterfaceConfig::new("ifac");
        config.ifac = Some(k.clone());
        sim.attach(node, m, config);
    }
    sim.tracing = true;
    let db = single_destination(&mut sim, b, 211, ProofStrategy::All);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(1.0);
    assert!(sim.node(a).has_path(&db));
    assert!(!sim.node(c).has_path(&db));
    assert_eq!(sim.node(c).stats().dropped(DropReason::Ifac), 1);
    // On the wire the packet is masked: the flag is set and it does not decode.
    let raw = &sim.trace[0].raw;
    assert!(raw[0] & 0x80 != 0 && Packet::decode(raw).is_err());
    sim.with(a, |n, now| n.send_packet(now, &db, b"masked"))
        .unwrap();
    let ev = sim.run_until_event(a, 5.0, |e| matches!(e, Event::ReceiptDelivered { .. }));
    assert!(ev.is_some());
    let _ = is_announce_for(db);
}

#[test]
fn plain_and_group_destinations_exchange_one_hop_packets() {
    let mut sim = Sim::new(220);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    sim.connect(a, b, 0.01, 0.0);
    let spec = rns_proto::node::DestinationSpec::plain("simapp", &["broadcast"]);
    let pa = sim.node(a).register_destination(spec.clone()).unwrap();
    let pb = sim.node(b).register_destination(spec).unwrap();
    assert_eq!(pa, pb);
    let key = rns_crypto::GroupKey::from_bytes(&[3; 64]).unwrap();
    let gspec = rns_proto::node::DestinationSpec::group(key, "simapp", &["group"]);
    let ga = sim.node(a).register_destination(gspec.clone()).unwrap();
    sim.node(b).register_destination(gspec).unwrap();
    sim.with(a, |n, now| n.send_packet(now, &pa, b"hello all"))
        .unwrap();
    sim.with(a, |n, now| n.send_packet(now, &ga, b"hello group"))
        .unwrap();
    sim.run_for(1.0);
    let got: Vec<Vec<u8>> = sim
        .events(b)
        .filter_map(|e| match e {
            Event::PacketReceived { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(got, vec![b"hello all".to_vec(), b"hello group".to_vec()]);
}
