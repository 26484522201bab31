//! Announce vectors from the reference (tests/data/vectors/announce.json): built
//! byte-exactly, then decoded and validated.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::destination::{expand_name, name_hash};
use rns_crypto::{PrivateIdentity, Signature};
use rns_wire::WireError;
use rns_wire::announce::{
    Announce, AnnounceReason, RandomHash, RatchetPublicKey, ValidatedAnnounce,
};
use rns_wire::packet::{Context, Packet};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/announce.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["vectors"].as_array().unwrap().clone()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// The X25519 public key of a private scalar, via an identity whose X25519 half
/// it is (the Ed25519 half is irrelevant here).
fn x25519_public(private: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(private);
    let public = PrivateIdentity::from_private_bytes(&key)
        .public()
        .to_bytes();
    public[..32].try_into().unwrap()
}

fn build(v: &Value) -> (ValidatedAnnounce, AnnounceReason) {
    let i = &v["inputs"];
    let identity = PrivateIdentity::from_private_slice(&bytes(&i["identity_private_key"])).unwrap();
    let aspects: Vec<&str> = i["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let name = expand_name(i["app_name"].as_str().unwrap(), &aspects).unwrap();
    let random: [u8; 5] = bytes(&i["random_5_bytes"]).try_into().unwrap();
    let random_hash = RandomHash::new(random, i["emission_timestamp"].as_u64().unwrap());
    let ratchet = i["ratchet_private"]
        .as_str()
        .map(|r| RatchetPublicKey(x25519_public(&hex::decode(r).unwrap())));
    let app_data = if i["app_data"].is_null() {
        Vec::new()
    } else {
        bytes(&i["app_data"])
    };
    let reason = if i["path_response"].as_bool().unwrap() {
        AnnounceReason::PathResponse
    } else {
        AnnounceReason::Unsolicited
    };
    let announce =
        ValidatedAnnounce::build(&identity, name_hash(&name), random_hash, ratchet, app_data);
    (announce, reason)
}

#[test]
fn build_is_byte_exact() {
    for v in vectors() {
        let label = v["label"].as_str().unwrap();
        let (announce, reason) = build(&v);
        assert_eq!(
            announce.destination.0.to_vec(),
            bytes(&v["destination_hash"]),
            "{label}"
        );
        assert_eq!(
            announce.name_hash.0.to_vec(),
            bytes(&v["name_hash"]),
            "{label}"
        );
        assert_eq!(
            announce.random_hash.0.to_vec(),
            bytes(&v["random_hash_10"]),
            "{label}"
        );
        let ratchet = announce.ratchet.map(|r| hex::encode(r.0));
        assert_eq!(ratchet.as_deref(), v["ratchet_public"].as_str(), "{label}");
        assert_eq!(announce.signed_data(), bytes(&v["signed_data"]), "{label}");
        assert_eq!(
            announce.signature.0.to_vec(),
            bytes(&v["signature"]),
            "{label}"
        );

        let packet = announce.to_packet(reason);
        assert_eq!(
            u64::from(packet.flags()),
            v["flags_byte"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(
            u64::from(packet.hops),
            v["hops"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(
            u64::from(packet.context.0),
            v["context"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(
            packet.context_flag,
            v["context_flag"].as_u64() == Some(1),
            "{label}"
        );
        assert_eq!(packet.encode(), bytes(&v["packet_raw"]), "{label}");
        assert_eq!(
            packet.hash().0.to_vec(),
            bytes(&v["packet_hash"]),
            "{label}"
        );
    }
}

#[test]
fn decode_and_validate() {
    for v in vectors() {
        let label = v["label"].as_str().unwrap();
        let raw = bytes(&v["packet_raw"]);
        let packet = Packet::decode(&raw).unwrap();
        let expected_context = if v["inputs"]["path_response"].as_bool().unwrap() {
            Context::PATH_RESPONSE
        } else {
            Context::NONE
        };
        assert_eq!(packet.context, expected_context, "{label}");
        let validated = Announce::from_packet(&packet).unwrap().validate().unwrap();
        let (built, _) = build(&v);
        assert_eq!(validated, built, "{label}");
        assert_eq!(
            validated.emission_timebase(),
            v["inputs"]["emission_timestamp"].as_u64().unwrap()
        );
        assert_eq!(
            validated.app_data().is_some(),
            !v["inputs"]["app_data"].is_null(),
            "{label}"
        );
        assert_eq!(
            validated.identity().hash(),
            built.identity.hash(),
            "{label}"
        );
    }
}

#[test]
fn forged_announces_fail() {
    let v = &vectors()[1];
    let packet = Packet::decode(&bytes(&v["packet_raw"])).unwrap();
    let mut forged = Announce::from_packet(&packet).unwrap();
    forged.signature = Signature([0; 64]);
    assert_eq!(forged.validate(), Err(WireError::BadSignature("announce")));

    // Another destination's signed announce replayed under this destination hash.
    let other =
        Announce::from_packet(&Packet::decode(&bytes(&vectors()[3]["packet_raw"])).unwrap())
            .unwrap();
    let mut stolen = other;
    stolen.destination = packet.destination;
    assert_eq!(
        stolen.validate(),
        Err(WireError::HashMismatch("announce destination"))
    );
}

#[test]
fn ratchet_flag_decides_layout() {
    let v = &vectors()[2];
    let mut packet = Packet::decode(&bytes(&v["packet_raw"])).unwrap();
    assert!(packet.context_flag);
    packet.context_flag = false;
    // Without the flag the ratchet is read as signature and app data: invalid.
    let misread = Announce::from_packet(&packet).unwrap();
    assert!(misread.validate().is_err());
}
