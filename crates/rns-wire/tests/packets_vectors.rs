//! Packet header, hash and size vectors from the reference (tests/data/vectors/packets.json).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::{IdentityHash, PacketHash};
use rns_wire::constants;
use rns_wire::packet::{Context, DestinationKind, Header, Packet, PacketType, TransportType};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/packets.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn constants_match_reference() {
    let v = &vectors()["constants"];
    let n = |k: &str| usize::try_from(v[k].as_u64().unwrap()).unwrap();
    assert_eq!(constants::MTU, n("MTU"));
    assert_eq!(constants::MDU, n("MDU"));
    assert_eq!(constants::ENCRYPTED_MDU, n("ENCRYPTED_MDU"));
    assert_eq!(constants::PLAIN_MDU, n("PLAIN_MDU"));
    assert_eq!(constants::HEADER_MINSIZE, n("HEADER_MINSIZE"));
    assert_eq!(constants::HEADER_MAXSIZE, n("HEADER_MAXSIZE"));
    assert_eq!(constants::LINK_MDU, n("LINK_MDU"));
    assert_eq!(constants::link_mdu(constants::MTU), n("LINK_MDU"));
    assert_eq!(constants::TOKEN_OVERHEAD, n("TOKEN_OVERHEAD"));
    assert_eq!(usize::from(constants::PATHFINDER_M), n("PATHFINDER_M"));
}

#[test]
fn path_request_packets_decode_reencode_and_hash() {
    let v = vectors();
    for key in [
        "path_request_non_transport",
        "path_request_transport_instance",
    ] {
        let raw = bytes(&v[key]["raw"]);
        let packet = Packet::decode(&raw).unwrap();
        assert_eq!(packet.flags(), 0x08, "{key}");
        assert_eq!(packet.packet_type, PacketType::Data);
        assert_eq!(packet.destination_kind, DestinationKind::Plain);
        assert_eq!(packet.encode(), raw, "{key}");
        assert_eq!(
            packet.hash().0.to_vec(),
            bytes(&v[key]["packet_hash"]),
            "{key}"
        );
    }
}

#[test]
fn data_to_single_packet_and_hash() {
    let v = &vectors()["data_to_single"];
    let raw = bytes(&v["raw"]);
    let packet = Packet::decode(&raw).unwrap();
    assert_eq!(packet.header, Header::Type1);
    assert_eq!(packet.transport_type, TransportType::Broadcast);
    assert_eq!(packet.destination_kind, DestinationKind::Single);
    assert_eq!(packet.destination.0.to_vec(), bytes(&v["destination_hash"]));
    assert_eq!(packet.context, Context::NONE);
    assert_eq!(packet.encode(), raw);
    let hash = packet.hash();
    assert_eq!(hash.0.to_vec(), bytes(&v["packet_hash"]));
    assert_eq!(
        hash.truncated().0.to_vec(),
        bytes(&v["truncated_packet_hash"])
    );
    assert_eq!(packet.truncated_hash(), hash.truncated());
}

#[test]
fn header2_equivalent() {
    let v = &vectors()["header2_equivalent"];
    let h1_raw = bytes(&v["raw_header1"]);
    let h2_raw = bytes(&v["raw_header2_hops3"]);
    let transport_id = IdentityHash::from_slice(&bytes(&v["transport_id"])).unwrap();
    let expected_hash = PacketHash::from_slice(&bytes(&v["packet_hash_both"])).unwrap();

    let h1 = Packet::decode(&h1_raw).unwrap();
    let h2 = Packet::decode(&h2_raw).unwrap();
    assert_eq!(h2.header, Header::Type2 { transport_id });
    assert_eq!(h2.transport_type, TransportType::Transport);
    assert_eq!(h2.hops, 3);
    assert_eq!(h2.encode(), h2_raw);
    assert_eq!(h1.hash(), expected_hash);
    assert_eq!(h2.hash(), expected_hash);
    assert_eq!(h1.hashable_part(), bytes(&v["hashable_part"]));
    assert_eq!(h2.hashable_part(), bytes(&v["hashable_part"]));

    let mut converted = h1.clone().into_header2(transport_id);
    converted.hops = 3;
    assert_eq!(converted.encode(), h2_raw);
    let mut back = h2.into_header1_broadcast();
    back.hops = 0;
    assert_eq!(back, h1);
}
