//! Path request vectors from the reference (tests/data/vectors/packets.json).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::{DestinationHash, IdentityHash};
use rns_wire::packet::Packet;
use rns_wire::path_request::{PATH_REQUEST_DESTINATION, PathRequest, PathRequestTag};
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

fn check(v: &Value, transport_id: Option<IdentityHash>) {
    let request = PathRequest {
        destination: DestinationHash::from_slice(&bytes(&v["requested_destination"])).unwrap(),
        transport_id,
        tag: PathRequestTag::from_slice(&bytes(&v["tag"])).unwrap(),
    };
    let raw = bytes(&v["raw"]);
    let packet = request.to_packet();
    assert_eq!(packet.destination, PATH_REQUEST_DESTINATION);
    assert_eq!(packet.encode(), raw);
    assert_eq!(packet.hash().0.to_vec(), bytes(&v["packet_hash"]));
    let decoded = PathRequest::from_packet(&Packet::decode(&raw).unwrap()).unwrap();
    assert_eq!(decoded, request);
    assert_eq!(decoded.dedup_key(), (request.destination, request.tag));
}

#[test]
fn non_transport_request() {
    check(&vectors()["path_request_non_transport"], None);
}

#[test]
fn transport_instance_request() {
    let v = &vectors()["path_request_transport_instance"];
    let id = IdentityHash::from_slice(&bytes(&v["transport_identity_hash"])).unwrap();
    check(v, Some(id));
}

#[test]
fn from_packet_checks_the_address() {
    let v = &vectors()["path_request_non_transport"];
    let mut packet = Packet::decode(&bytes(&v["raw"])).unwrap();
    packet.destination = DestinationHash([0; 16]);
    assert!(PathRequest::from_packet(&packet).is_err());
}
