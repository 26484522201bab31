//! Property tests for link payloads: round-trips, and decoding arbitrary bytes
//! never panics.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rns_crypto::{DestinationHash, PrivateIdentity, Signature};
use rns_wire::link::{
    Keepalive, LinkIdentify, LinkMode, LinkProof, LinkRequest, MAX_SIGNALLED_MTU, Signalling,
    X25519Public, decode_rtt, encode_rtt,
};
use rns_wire::packet::Packet;

fn identity() -> impl Strategy<Value = PrivateIdentity> {
    prop::collection::vec(any::<u8>(), 64)
        .prop_map(|key| PrivateIdentity::from_private_slice(&key).unwrap())
}

fn signalling() -> impl Strategy<Value = Signalling> {
    (0..=MAX_SIGNALLED_MTU, 0u8..8)
        .prop_map(|(mtu, mode)| Signalling::new(mtu, LinkMode::from_bits(mode)).unwrap())
}

proptest! {
    #[test]
    fn signalling_round_trips(s in signalling()) {
        prop_assert_eq!(Signalling::decode(s.encode()), s);
    }

    #[test]
    fn signalling_bytes_are_a_bijection(bytes in any::<[u8; 3]>()) {
        prop_assert_eq!(Signalling::decode(bytes).encode(), bytes);
    }

    #[test]
    fn link_request_round_trips(
        keys in identity(),
        signalling in prop::option::of(signalling()),
        dest in any::<[u8; 16]>(),
    ) {
        let request = LinkRequest { initiator: keys.public().clone(), signalling };
        prop_assert_eq!(LinkRequest::decode(&request.encode()), Ok(request.clone()));
        let packet = Packet::decode(&request.to_packet(DestinationHash(dest)).encode()).unwrap();
        prop_assert_eq!(LinkRequest::from_packet(&packet), Ok(request));
    }

    #[test]
    fn link_proof_round_trips(
        sig in any::<[u8; 32]>(),
        key in any::<[u8; 32]>(),
        signalling in prop::option::of(signalling()),
        link_id in any::<[u8; 16]>(),
    ) {
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&sig);
        let proof = LinkProof { signature: Signature(signature), responder_key: X25519Public(key), signalling };
        prop_assert_eq!(LinkProof::decode(&proof.encode()), Ok(proof));
        let packet = Packet::decode(&proof.to_packet(DestinationHash(link_id)).encode()).unwrap();
        prop_assert_eq!(LinkProof::from_packet(&packet), Ok(proof));
    }

    #[test]
    fn rtt_round_trips(rtt in 0.0f64..1.0e9) {
        prop_assert_eq!(decode_rtt(&encode_rtt(rtt)), Ok(rtt));
    }

    #[test]
    fn link_decoders_arbitrary(data in prop::collection::vec(any::<u8>(), 0..160)) {
        if let Ok(request) = LinkRequest::decode(&data) {
            prop_assert_eq!(request.encode(), data.clone());
        }
        if let Ok(proof) = LinkProof::decode(&data) {
            prop_assert_eq!(proof.encode(), data.clone());
        }
        if let Ok(identify) = LinkIdentify::decode(&data) {
            prop_assert_eq!(identify.encode(), data.clone());
        }
        if let Ok(keepalive) = Keepalive::decode(&data) {
            prop_assert_eq!(keepalive.encode().to_vec(), data.clone());
        }
        let _ = decode_rtt(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn identify_round_trips_and_verifies(id in identity(), link_id in any::<[u8; 16]>()) {
        let link_id = DestinationHash(link_id);
        let message = LinkIdentify::sign(&id, &link_id);
        let decoded = LinkIdentify::decode(&message.encode()).unwrap();
        prop_assert_eq!(&decoded, &message);
        prop_assert_eq!(decoded.verify(&link_id).unwrap(), id.public().clone());
    }

    #[test]
    fn link_proof_signatures_verify(
        responder in identity(),
        key in any::<[u8; 32]>(),
        signalling in prop::option::of(signalling()),
        link_id in any::<[u8; 16]>(),
    ) {
        let link_id = DestinationHash(link_id);
        let proof = LinkProof::sign(&responder, &link_id, X25519Public(key), signalling);
        prop_assert_eq!(proof.verify(&link_id, responder.public()), Ok(()));
    }
}
