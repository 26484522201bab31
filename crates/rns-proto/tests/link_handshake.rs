//! Link establishment between two in-memory ends: RTT and MTU agreement, MTU
//! clamping, establishment timeouts and refused requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;

use link_support::{Net, SeededRng, Setup, Side, T0};
use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_proto::link::{
    Link, LinkError, LinkEvent, LinkState, ProofStrategy, TeardownReason, keepalive_interval,
};
use rns_wire::constants::link_mdu;
use rns_wire::link::{LinkMode, LinkRequest, Signalling};
use rns_wire::packet::{Context, Packet};

#[test]
fn both_ends_reach_active_with_the_same_rtt_and_mdu() {
    let mut net = Net::new(Setup::default(), 1);
    assert_eq!(net.link(Side::A).state(), LinkState::Pending);
    assert_eq!(net.link(Side::B).state(), LinkState::Handshake);
    assert_eq!(net.link(Side::A).id(), net.link(Side::B).id());
    assert_eq!(net.link(Side::B).destination(), DestinationHash([0x42; 16]));
    net.run_for(1.0);

    let (a, b) = (net.link(Side::A), net.link(Side::B));
    let rtt = 2.0 * net.latency;
    for link in [a, b] {
        assert_eq!(link.state(), LinkState::Active);
        assert!((link.rtt().unwrap() - rtt).abs() < 1e-6, "{:?}", link.rtt());
        assert_eq!((link.mtu(), link.mdu()), (500, 431));
        assert_eq!(
            link.keepalive_interval(),
            keepalive_interval(link.rtt().unwrap())
        );
    }
    assert!(a.is_initiator() && !b.is_initiator());
    let id = a.id();
    for side in [Side::A, Side::B] {
        match net.events_of(side).as_slice() {
            [LinkEvent::Established { link_id, rtt: got }] => {
                assert_eq!(*link_id, id);
                assert!((got - rtt).abs() < 1e-6);
            }
            other => panic!("{side:?}: {other:?}"),
        }
    }
    // Request, proof, RTT report: nothing else was sent.
    let contexts: Vec<Context> = net.sent.iter().map(|(_, _, p)| p.context).collect();
    assert_eq!(contexts, [Context::NONE, Context::LRPROOF, Context::LRRTT]);
}

#[test]
fn responder_rtt_is_the_larger_of_measured_and_reported() {
    // The responder's measurement covers proof → LRRTT; delay the LRRTT by
    // holding it back, so the responder measures more than the initiator did.
    let mut net = Net::new(Setup::default(), 2);
    net.muted[0] = true;
    net.run_for(0.2);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
    let (_, lrrtt) = net.sent_by(Side::A).pop().unwrap();
    assert_eq!(lrrtt.context, Context::LRRTT);
    net.muted[0] = false;
    net.run_for(1.0);
    net.deliver(Side::B, &lrrtt.encode());
    let measured = net.now - (T0 + net.latency);
    let b = net.link(Side::B);
    assert_eq!(b.state(), LinkState::Active);
    assert!((b.rtt().unwrap() - measured).abs() < 1e-6);
    assert!(b.rtt().unwrap() > net.link(Side::A).rtt().unwrap());
}

fn mtu_pair(initiator: Option<u32>, responder: Option<u32>) -> Net {
    let setup = Setup {
        initiator_mtu: initiator,
        responder_mtu: responder,
        ..Setup::default()
    };
    let net = Net::established(setup, 3);
    assert_eq!(net.link(Side::A).mtu(), net.link(Side::B).mtu());
    assert_eq!(net.link(Side::A).mdu(), net.link(Side::B).mdu());
    net
}

#[test]
fn mtu_is_clamped_to_the_smaller_interface() {
    let net = mtu_pair(Some(16384), Some(500));
    assert_eq!(net.link(Side::A).mtu(), 500);
    let net = mtu_pair(Some(16384), Some(16384));
    assert_eq!(net.link(Side::A).mtu(), 16384);
    assert_eq!(net.link(Side::B).mdu(), link_mdu(16384));
    let net = mtu_pair(Some(8192), Some(262_144));
    assert_eq!(net.link(Side::A).mtu(), 8192);
    // The responder's interface cannot discover MTUs: the signalling is stripped.
    let net = mtu_pair(Some(16384), None);
    assert_eq!(net.link(Side::A).mtu(), 500);
    // The initiator signals nothing special: 500.
    let net = mtu_pair(None, Some(16384));
    assert_eq!(net.link(Side::B).mtu(), 500);
    // Values below the network MTU are raised to it.
    let net = mtu_pair(Some(100), Some(16384));
    assert_eq!(net.link(Side::A).mtu(), 500);
}

#[test]
fn large_mtu_carries_large_packets() {
    let mut net = mtu_pair(Some(16384), Some(16384));
    let big = vec![7u8; link_mdu(16384)];
    let hash = net
        .act(Side::A, |l, now, out, rng| l.send(now, &big, out, rng))
        .unwrap();
    net.run_for(1.0);
    assert!(net.events_of(Side::B).iter().any(
        |e| matches!(e, LinkEvent::Data { data, packet_hash, .. } if *data == big && *packet_hash == hash)
    ));
    let too_big = vec![7u8; link_mdu(16384) + 1];
    let err = net.act(Side::A, |l, now, out, rng| l.send(now, &too_big, out, rng));
    assert_eq!(
        err,
        Err(LinkError::TooLarge {
            size: too_big.len(),
            mdu: link_mdu(16384)
        })
    );
}

#[test]
fn initiator_times_out_without_a_proof() {
    let mut rng = SeededRng::new(4);
    let remote = PrivateIdentity::generate(&mut rng);
    let dest = DestinationHash([1; 16]);
    let (mut link, _) = Link::initiate(T0, dest, remote.public().clone(), None, &mut rng);
    // Default: one hop, unknown first hop (one more per-hop timeout).
    assert_eq!(link.next_deadline(), Some(T0 + 12.0));
    link.set_establishment_hint(3, 2.5);
    assert_eq!(link.next_deadline(), Some(T0 + 2.5 + 18.0));
    let mut out = Vec::new();
    link.handle_timeout(T0 + 20.0, &mut out, &mut rng);
    assert!(out.is_empty());
    assert_eq!(link.state(), LinkState::Pending);
    link.handle_timeout(T0 + 20.5, &mut out, &mut rng);
    assert_eq!(link.state(), LinkState::Closed);
    assert_eq!(link.teardown_reason(), Some(TeardownReason::Timeout));
    // No key yet: nothing to send, only the event.
    assert!(matches!(
        out.as_slice(),
        [rns_proto::link::LinkAction::Event(LinkEvent::Closed {
            reason: TeardownReason::Timeout,
            ..
        })]
    ));
    assert_eq!(link.next_deadline(), None);
}

#[test]
fn responder_times_out_without_the_rtt_report() {
    let mut net = Net::new(Setup::default(), 5);
    net.muted[0] = true;
    let accepted = T0 + net.latency;
    // 6 s per hop (hops 0 counts as 1) plus one maximal keepalive interval.
    assert_eq!(net.link(Side::B).next_deadline(), Some(accepted + 366.0));
    net.run_until(accepted + 365.9);
    assert_eq!(net.link(Side::B).state(), LinkState::Handshake);
    net.run_until(accepted + 366.0);
    assert_eq!(net.link(Side::B).state(), LinkState::Closed);
    assert_eq!(
        net.events_of(Side::B),
        [LinkEvent::Closed {
            link_id: net.link(Side::B).id(),
            reason: TeardownReason::Timeout
        }]
    );
}

#[test]
fn responder_timeout_grows_with_hops() {
    let mut rng = SeededRng::new(6);
    let local = PrivateIdentity::generate(&mut rng);
    let (_, mut request) = Link::initiate(
        T0,
        DestinationHash([1; 16]),
        local.public().clone(),
        None,
        &mut rng,
    );
    request.hops = 4;
    let (link, _) =
        Link::accept(T0, &request, &local, ProofStrategy::None, None, &mut rng).unwrap();
    assert_eq!(link.establishment_deadline(), T0 + 24.0 + 360.0);
}

#[test]
fn a_proof_from_the_wrong_identity_is_ignored() {
    let mut rng = SeededRng::new(7);
    let expected = PrivateIdentity::generate(&mut rng);
    let impostor = PrivateIdentity::generate(&mut rng);
    let (mut a, request) = Link::initiate(
        T0,
        DestinationHash([1; 16]),
        expected.public().clone(),
        None,
        &mut rng,
    );
    let (_, proof) =
        Link::accept(T0, &request, &impostor, ProofStrategy::None, None, &mut rng).unwrap();
    let mut out = Vec::new();
    a.handle_packet(T0 + 0.1, &proof, &mut out, &mut rng);
    assert!(out.is_empty());
    assert_eq!(a.state(), LinkState::Pending);
    assert_eq!(a.stats().dropped_unauthentic, 1);
}

fn request_with(signalling: Option<Signalling>, rng: &mut SeededRng) -> Packet {
    let keys = PrivateIdentity::generate(rng);
    LinkRequest {
        initiator: keys.public().clone(),
        signalling,
    }
    .to_packet(DestinationHash([1; 16]))
}

#[test]
fn requests_without_signalling_or_in_other_modes() {
    let mut rng = SeededRng::new(8);
    let local = PrivateIdentity::generate(&mut rng);
    // 64-byte request (pre-MTU-discovery peers): accepted at MTU 500.
    let bare = request_with(None, &mut rng);
    let (link, proof) =
        Link::accept(T0, &bare, &local, ProofStrategy::All, Some(16384), &mut rng).unwrap();
    assert_eq!((link.mtu(), proof.data.len()), (500, 99));
    // Only AES-256-CBC is enabled.
    for mode in [
        LinkMode::AES128_CBC,
        LinkMode::AES256_GCM,
        LinkMode::from_bits(7),
    ] {
        let request = request_with(Signalling::new(500, mode).ok(), &mut rng);
        let err = Link::accept(T0, &request, &local, ProofStrategy::All, None, &mut rng);
        assert_eq!(err.unwrap_err(), LinkError::UnsupportedMode(mode.value()));
    }
    // Not a link request at all.
    let mut garbage = bare.clone();
    garbage.data.truncate(40);
    let err = Link::accept(T0, &garbage, &local, ProofStrategy::All, None, &mut rng);
    assert!(matches!(err, Err(LinkError::MalformedRequest(_))));
    // A low-order X25519 key would give a shared secret anyone can compute.
    let mut weak = bare.clone();
    weak.data[..32].fill(0);
    let err = Link::accept(T0, &weak, &local, ProofStrategy::All, None, &mut rng);
    assert!(matches!(err, Err(LinkError::KeyAgreement(_))));
}

#[test]
fn data_completes_the_handshake_when_the_rtt_report_is_lost() {
    let mut net = Net::new(Setup::default(), 9);
    // Lose the initiator's first packet (the LRRTT), then let it send data.
    net.muted[0] = true;
    net.run_until(T0 + 2.0 * net.latency);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
    net.muted[0] = false;
    assert_eq!(net.link(Side::B).state(), LinkState::Handshake);
    net.act(Side::A, |l, now, out, rng| l.send(now, b"hi", out, rng))
        .unwrap();
    net.run_for(1.0);
    assert_eq!(net.link(Side::B).state(), LinkState::Active);
    let events = net.events_of(Side::B);
    assert!(
        matches!(events[0], LinkEvent::Established { .. }),
        "{events:?}"
    );
    assert!(matches!(&events[1], LinkEvent::Data { data, .. } if data == b"hi"));
    // ... and the initiator got its proof.
    assert!(
        net.events_of(Side::A)
            .iter()
            .any(|e| matches!(e, LinkEvent::Delivered { .. }))
    );
}

#[test]
fn keepalives_do_not_complete_a_handshake() {
    // A keepalive is not authenticated: anyone who knows the link id can send one.
    let mut net = Net::new(Setup::default(), 10);
    net.muted[0] = true;
    net.run_for(0.5);
    let id = net.link(Side::B).id();
    let keepalive = rns_wire::link::link_packet(id, Context::KEEPALIVE, vec![0xFF]);
    net.deliver(Side::B, &keepalive.encode());
    assert_eq!(net.link(Side::B).state(), LinkState::Handshake);
    assert_eq!(net.link(Side::B).stats().dropped_state, 1);
}
