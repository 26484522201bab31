//! Property tests for packets, path requests and proofs: encoding round-trips, and
//! decoding arbitrary bytes never panics (and, when it succeeds, re-encodes to the
//! same bytes).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rns_crypto::{DestinationHash, IdentityHash, PacketHash, Signature};
use rns_wire::packet::{Context, DestinationKind, Header, Packet, PacketType, TransportType};
use rns_wire::path_request::{PathRequest, PathRequestTag};
use rns_wire::proof::Proof;

fn header() -> impl Strategy<Value = Header> {
    prop_oneof![
        Just(Header::Type1),
        any::<[u8; 16]>().prop_map(|id| Header::Type2 {
            transport_id: IdentityHash(id)
        }),
    ]
}

prop_compose! {
    fn packet()(
        header in header(),
        context_flag in any::<bool>(),
        transport in any::<bool>(),
        kind in 0u8..4,
        ptype in 0u8..4,
        hops in any::<u8>(),
        destination in any::<[u8; 16]>(),
        context in any::<u8>(),
        data in prop::collection::vec(any::<u8>(), 1..600),
    ) -> Packet {
        Packet {
            header,
            context_flag,
            transport_type: if transport { TransportType::Transport } else { TransportType::Broadcast },
            destination_kind: DestinationKind::from_bits(kind),
            packet_type: PacketType::from_bits(ptype),
            hops,
            destination: DestinationHash(destination),
            context: Context(context),
            data,
        }
    }
}

fn signature() -> impl Strategy<Value = Signature> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, b)| {
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&a);
        sig[32..].copy_from_slice(&b);
        Signature(sig)
    })
}

proptest! {
    #[test]
    fn packet_round_trips(p in packet()) {
        let raw = p.encode();
        prop_assert_eq!(raw.len(), p.encoded_len());
        prop_assert_eq!(raw[0], p.flags());
        let decoded = Packet::decode(&raw).unwrap();
        prop_assert_eq!(decoded.hash(), p.hash());
        prop_assert_eq!(&decoded, &p);
    }

    #[test]
    fn packet_hash_ignores_transport_fields(p in packet(), id in any::<[u8; 16]>(), hops in any::<u8>()) {
        let hash = p.hash();
        let mut moved = p.clone().into_header2(IdentityHash(id));
        moved.hops = hops;
        prop_assert_eq!(moved.hash(), hash);
        prop_assert_eq!(moved.into_header1_broadcast().hash(), hash);
    }

    #[test]
    fn packet_decode_arbitrary(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = Packet::decode(&raw) {
            prop_assert_eq!(p.encode(), raw);
            prop_assert!(!p.data.is_empty());
        }
    }

    #[test]
    fn path_request_round_trips(
        destination in any::<[u8; 16]>(),
        transport_id in prop::option::of(any::<[u8; 16]>()),
        tag in prop::collection::vec(any::<u8>(), 1..=16),
    ) {
        let request = PathRequest {
            destination: DestinationHash(destination),
            transport_id: transport_id.map(IdentityHash),
            tag: PathRequestTag::from_slice(&tag).unwrap(),
        };
        prop_assert_eq!(PathRequest::decode(&request.encode()), Ok(request));
        let packet = Packet::decode(&request.to_packet().encode()).unwrap();
        prop_assert_eq!(PathRequest::from_packet(&packet), Ok(request));
    }

    #[test]
    fn path_request_decode_arbitrary(data in prop::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(request) = PathRequest::decode(&data) {
            let n = if data.len() > 32 { 48 } else { 32 };
            prop_assert_eq!(request.encode(), data[..data.len().min(n)].to_vec());
        }
    }

    #[test]
    fn proof_round_trips(hash in any::<[u8; 32]>(), sig in signature(), explicit in any::<bool>()) {
        let proof = if explicit {
            Proof::Explicit { packet_hash: PacketHash(hash), signature: sig }
        } else {
            Proof::Implicit { signature: sig }
        };
        prop_assert_eq!(Proof::decode(&proof.encode()), Ok(proof));
        let packet = Packet::decode(&proof.to_packet(&PacketHash(hash)).encode()).unwrap();
        prop_assert_eq!(Proof::from_packet(&packet), Ok(proof));
    }

    #[test]
    fn proof_decode_arbitrary(data in prop::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(proof) = Proof::decode(&data) {
            prop_assert_eq!(proof.encode(), data);
        }
    }
}
