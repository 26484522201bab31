//! Packet proof vectors from the reference (tests/data/vectors/packets.json).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::{PacketHash, PrivateIdentity};
use rns_wire::packet::{DestinationKind, Packet, PacketType};
use rns_wire::proof::{Proof, ProofForm, proof_destination};
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
fn explicit_and_implicit_proofs_are_byte_exact() {
    let v = &vectors()["data_to_single"];
    let recipient =
        PrivateIdentity::from_private_slice(&bytes(&v["recipient_private_key"])).unwrap();
    let proved = Packet::decode(&bytes(&v["raw"])).unwrap().hash();
    assert_eq!(
        proof_destination(&proved).0.to_vec(),
        bytes(&v["truncated_packet_hash"])
    );

    for (form, key) in [
        (ProofForm::Explicit, "explicit_proof_raw"),
        (ProofForm::Implicit, "implicit_proof_raw"),
    ] {
        let raw = bytes(&v[key]);
        let proof = Proof::sign(&recipient, &proved, form);
        let packet = proof.to_packet(&proved);
        assert_eq!(packet.encode(), raw, "{key}");

        let received = Packet::decode(&raw).unwrap();
        assert_eq!(received.packet_type, PacketType::Proof);
        assert_eq!(received.destination_kind, DestinationKind::Single);
        assert_eq!(received.destination, proved.truncated());
        let decoded = Proof::from_packet(&received).unwrap();
        assert_eq!(decoded, proof);
        assert_eq!(decoded.verify(&proved, recipient.public()), Ok(()));
        assert!(
            decoded
                .verify(&PacketHash([0; 32]), recipient.public())
                .is_err()
        );
    }
}
