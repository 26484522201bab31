//! Hostile or broken input: tampered, misaddressed and garbage packets are
//! dropped and counted, never panic, and never move a link anywhere a genuine
//! close would not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;

use link_support::{FixedRng, Net, SeededRng, Setup, Side, T0, bytes, vectors};
use proptest::prelude::*;
use rns_crypto::{DestinationHash, PacketHash, PrivateIdentity, Signature, Token};
use rns_proto::link::{Link, LinkAction, LinkEvent, LinkState, ProofStrategy};
use rns_wire::link::link_packet;
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use rns_wire::proof::Proof;

/// A data packet from A, captured instead of delivered.
fn captured_data(net: &mut Net) -> Packet {
    net.muted[0] = true;
    net.act(Side::A, |l, now, out, rng| {
        l.send(now, b"payload", out, rng)
    })
    .unwrap();
    net.muted[0] = false;
    net.sent_by(Side::A).pop().unwrap().1
}

#[test]
fn tampered_ciphertext_is_dropped() {
    let mut net = Net::established(Setup::default(), 31);
    let packet = captured_data(&mut net);
    for i in [0, 20, packet.data.len() - 1] {
        let mut tampered = packet.clone();
        tampered.data[i] ^= 0x01;
        net.deliver(Side::B, &tampered.encode());
    }
    assert!(net.events_of(Side::B).is_empty());
    assert_eq!(net.link(Side::B).stats().dropped_undecryptable, 3);
    // The genuine packet still goes through.
    net.deliver(Side::B, &packet.encode());
    assert!(matches!(net.events_of(Side::B)[0], LinkEvent::Data { .. }));
    assert_eq!(net.link(Side::B).state(), LinkState::Active);
}

#[test]
fn misaddressed_packets_are_dropped() {
    let mut net = Net::established(Setup::default(), 32);
    let mut packet = captured_data(&mut net);
    packet.destination = DestinationHash([0xEE; 16]);
    net.deliver(Side::B, &packet.encode());
    assert!(net.events_of(Side::B).is_empty());
    assert_eq!(net.link(Side::B).stats().dropped_malformed, 1);
}

#[test]
fn forged_and_unknown_proofs_are_dropped() {
    let mut net = Net::established(Setup::default(), 33);
    net.muted[0] = true;
    let hash = net
        .act(Side::A, |l, now, out, rng| l.send(now, b"x", out, rng))
        .unwrap();
    let id = net.link(Side::A).id();
    // Right hash, wrong signature.
    let forged = Proof::Explicit {
        packet_hash: hash,
        signature: Signature([7; 64]),
    };
    net.deliver(Side::A, &forged.to_link_packet(id).encode());
    // Signed by the wrong key.
    let stranger = PrivateIdentity::generate(&mut net.rng);
    let wrong_key = Proof::sign(&stranger, &hash, rns_wire::proof::ProofForm::Explicit);
    net.deliver(Side::A, &wrong_key.to_link_packet(id).encode());
    // Implicit, and for nothing we sent.
    let implicit = Proof::Implicit {
        signature: Signature([7; 64]),
    };
    net.deliver(Side::A, &implicit.to_link_packet(id).encode());
    let unknown = Proof::Explicit {
        packet_hash: PacketHash([1; 32]),
        signature: Signature([7; 64]),
    };
    net.deliver(Side::A, &unknown.to_link_packet(id).encode());
    let stats = net.link(Side::A).stats();
    assert_eq!(
        (
            stats.dropped_unauthentic,
            stats.dropped_malformed,
            stats.dropped_unmatched
        ),
        (2, 1, 1)
    );
    assert_eq!(net.link(Side::A).outstanding_receipts(), 1);
    assert!(net.events_of(Side::A).is_empty());
}

#[test]
fn garbage_in_every_context_is_dropped() {
    let mut net = Net::established(Setup::default(), 34);
    let id = net.link(Side::A).id();
    for context in 0..=255u8 {
        for data in [vec![0u8], vec![0xFF; 3], vec![0x5A; 80], vec![1u8; 500]] {
            for side in [Side::A, Side::B] {
                let packet = link_packet(id, Context(context), data.clone());
                net.deliver(side, &packet.encode());
                let mut proof = packet.clone();
                proof.packet_type = PacketType::Proof;
                net.deliver(side, &proof.encode());
            }
        }
    }
    for side in [Side::A, Side::B] {
        let link = net.link(side);
        assert_eq!(link.state(), LinkState::Active);
        // Everything but the one handshake packet each end received.
        assert_eq!(link.stats().packets_in, link.stats().dropped() + 1);
    }
    assert!(net.events.is_empty(), "{:?}", net.events);
}

/// Any packet at all, addressed to `id` most of the time.
fn any_packet(id: DestinationHash) -> impl Strategy<Value = Packet> {
    (
        0u8..4,
        0u8..4,
        any::<bool>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 1..600),
        any::<[u8; 16]>(),
    )
        .prop_map(move |(ptype, kind, to_link, context, data, other)| {
            let destination = if to_link { id } else { DestinationHash(other) };
            Packet::new(
                PacketType::from_bits(ptype),
                DestinationKind::from_bits(kind),
                destination,
                Context(context),
                data,
            )
        })
}

fn no_state_change(events: &[(f64, Side, LinkEvent)]) -> bool {
    !events
        .iter()
        .any(|(_, _, e)| matches!(e, LinkEvent::Established { .. } | LinkEvent::Closed { .. }))
}

/// The vector handshake, done: both ends Active with the vector's link key.
fn vector_pair() -> (Link, Link, Token) {
    let v = vectors();
    let responder =
        PrivateIdentity::from_private_slice(&bytes(&v["responder_identity_private_key"])).unwrap();
    let destination = DestinationHash::from_slice(&bytes(&v["destination_hash"])).unwrap();
    let mut rng = FixedRng::new(&[
        &bytes(&v["initiator_ephemeral_x25519_private"]),
        &bytes(&v["initiator_ephemeral_ed25519_seed"]),
    ]);
    let (mut a, request) =
        Link::initiate(T0, destination, responder.public().clone(), None, &mut rng);
    let mut rng = FixedRng::new(&[&bytes(&v["responder_ephemeral_x25519_private"])]);
    let (mut b, proof) =
        Link::accept(T0, &request, &responder, ProofStrategy::All, None, &mut rng).unwrap();
    let mut out = Vec::new();
    a.handle_packet(T0 + 0.5, &proof, &mut out, &mut SeededRng::new(1));
    let Some(LinkAction::Send(rtt)) = out.into_iter().next() else {
        panic!("no LRRTT")
    };
    b.handle_packet(T0 + 0.5, &rtt, &mut Vec::new(), &mut SeededRng::new(1));
    let token = Token::new(&bytes(&v["derived_key_64"])).unwrap();
    (a, b, token)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_packets_never_panic_or_change_state(
        seed in any::<u64>(),
        packets in proptest::collection::vec(any_packet(DestinationHash([0; 16])), 1..8),
    ) {
        // Established links, and links still in their handshake.
        for established in [true, false] {
            let mut net = if established {
                Net::established(Setup::default(), seed)
            } else {
                Net::new(Setup::default(), seed)
            };
            let states = [Side::A, Side::B].map(|s| net.link(s).state());
            let id = net.link(Side::A).id();
            for mut packet in packets.clone() {
                if packet.destination == DestinationHash([0; 16]) {
                    packet.destination = id;
                }
                for side in [Side::A, Side::B] {
                    net.deliver(side, &packet.encode());
                }
            }
            prop_assert_eq!([Side::A, Side::B].map(|s| net.link(s).state()), states);
            prop_assert!(no_state_change(&net.events));
        }
    }

    #[test]
    fn authenticated_garbage_never_panics_or_closes(
        context in any::<u8>(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..450),
        iv in any::<[u8; 16]>(),
    ) {
        let (mut a, mut b, token) = vector_pair();
        let packet = link_packet(a.id(), Context(context), token.encrypt_with_iv(&plaintext, &iv));
        for link in [&mut a, &mut b] {
            let mut out = Vec::new();
            link.handle_packet(T0 + 1.0, &packet, &mut out, &mut SeededRng::new(2));
            prop_assert_eq!(link.state(), LinkState::Active);
            let closed = out.iter().any(|a| matches!(a, LinkAction::Event(LinkEvent::Closed { .. })));
            prop_assert!(!closed);
        }
    }
}
