//! Link establishment vectors from the reference (tests/data/vectors/link.json).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_wire::link::{
    self, Keepalive, LinkMode, LinkProof, LinkRequest, Signalling, X25519Public, encode_rtt,
};
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/link.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn key_pair(x25519: &[u8], ed25519_seed: &[u8]) -> PrivateIdentity {
    PrivateIdentity::from_private_slice(&[x25519, ed25519_seed].concat()).unwrap()
}

#[test]
fn link_request_and_link_id() {
    let v = vectors();
    let initiator = key_pair(
        &bytes(&v["initiator_ephemeral_x25519_private"]),
        &bytes(&v["initiator_ephemeral_ed25519_seed"]),
    );
    let destination = DestinationHash::from_slice(&bytes(&v["destination_hash"])).unwrap();
    let signalling = Signalling::new(500, LinkMode::DEFAULT).unwrap();
    assert_eq!(
        signalling.encode().to_vec(),
        bytes(&v["signalling_bytes_in_request"])
    );

    let request = LinkRequest {
        initiator: initiator.public().clone(),
        signalling: Some(signalling),
    };
    assert_eq!(request.encode(), bytes(&v["linkrequest_data"]));
    let packet = request.to_packet(destination);
    let raw = bytes(&v["linkrequest_raw"]);
    assert_eq!(packet.encode(), raw);
    assert_eq!(link::link_id(&packet).0.to_vec(), bytes(&v["link_id"]));

    let received = Packet::decode(&raw).unwrap();
    assert_eq!(received.packet_type, PacketType::LinkRequest);
    let decoded = LinkRequest::from_packet(&received).unwrap();
    assert_eq!(decoded, request);
    assert_eq!((decoded.mtu(), decoded.mode()), (500, LinkMode::AES256_CBC));
}

#[test]
fn link_proof_is_byte_exact_and_verifies() {
    let v = vectors();
    let responder =
        PrivateIdentity::from_private_slice(&bytes(&v["responder_identity_private_key"])).unwrap();
    let ephemeral = key_pair(&bytes(&v["responder_ephemeral_x25519_private"]), &[0; 32]);
    let responder_key = X25519Public(ephemeral.public().to_bytes()[..32].try_into().unwrap());
    let link_id = DestinationHash::from_slice(&bytes(&v["link_id"])).unwrap();
    let signalling = Signalling::decode([0x20, 0x01, 0xf4]);

    let proof = LinkProof::sign(&responder, &link_id, responder_key, Some(signalling));
    assert_eq!(proof.encode(), bytes(&v["lrproof_data"]));
    let packet = proof.to_packet(link_id);
    assert_eq!(packet.flags(), 0x0F);
    assert_eq!(packet.encode(), bytes(&v["lrproof_raw"]));

    let received = Packet::decode(&bytes(&v["lrproof_raw"])).unwrap();
    assert_eq!(received.context, Context::LRPROOF);
    assert_eq!(received.destination, link_id);
    let decoded = LinkProof::from_packet(&received).unwrap();
    assert_eq!(decoded, proof);
    assert_eq!(decoded.verify(&link_id, responder.public()), Ok(()));
    let stranger = PrivateIdentity::from_private_bytes(&[1; 64]);
    assert!(decoded.verify(&link_id, stranger.public()).is_err());
}

#[test]
fn signalling_table() {
    for row in vectors()["signalling_bytes_table"].as_array().unwrap() {
        let mtu = u32::try_from(row["mtu"].as_u64().unwrap()).unwrap();
        let mode = LinkMode::from_bits(u8::try_from(row["mode"].as_u64().unwrap()).unwrap());
        let s = Signalling::new(mtu, mode).unwrap();
        let encoded = bytes(&row["bytes"]);
        assert_eq!(s.encode().to_vec(), encoded, "mtu {mtu}");
        assert_eq!(Signalling::decode(encoded.try_into().unwrap()), s);
    }
}

#[test]
fn link_packets_headers_and_plain_payloads() {
    let v = vectors();
    let link_id = DestinationHash::from_slice(&bytes(&v["link_id"])).unwrap();
    for (key, keepalive) in [
        ("keepalive_initiator_raw", Keepalive::Request),
        ("keepalive_responder_raw", Keepalive::Response),
    ] {
        let packet = link::link_packet(link_id, Context::KEEPALIVE, keepalive.encode().to_vec());
        assert_eq!(packet.flags(), 0x0C);
        assert_eq!(packet.encode(), bytes(&v[key]), "{key}");
        let received = Packet::decode(&bytes(&v[key])).unwrap();
        assert_eq!(received.destination_kind, DestinationKind::Link);
        assert_eq!(Keepalive::decode(&received.data), Ok(keepalive));
    }
    assert_eq!(
        encode_rtt(v["rtt_value"].as_f64().unwrap()),
        bytes(&v["rtt_plaintext_msgpack"])
    );
    for key in ["rtt_packet_raw", "data_packet_raw", "linkclose_raw"] {
        let raw = bytes(&v[key]);
        let packet = Packet::decode(&raw).unwrap();
        assert_eq!(
            (packet.flags(), packet.destination),
            (0x0C, link_id),
            "{key}"
        );
        assert_eq!(packet.encode(), raw, "{key}");
    }
}

/// The Token-encrypted control payloads: our plaintexts, encrypted with the
/// vector's link key and IVs, give the reference's packets byte for byte.
#[test]
fn encrypted_control_payloads_are_byte_exact() {
    use rns_crypto::Token;
    use rns_wire::link::{LinkIdentify, check_close, decode_rtt, encode_close};

    let v = vectors();
    let link_id = DestinationHash::from_slice(&bytes(&v["link_id"])).unwrap();
    let token = Token::new(&bytes(&v["derived_key_64"])).unwrap();
    let iv = |key: &Value| -> [u8; 16] { bytes(key).try_into().unwrap() };
    let sealed = |context, plaintext: &[u8], iv_key: &Value| {
        let payload = token.encrypt_with_iv(plaintext, &iv(iv_key));
        link::link_packet(link_id, context, payload).encode()
    };

    let rtt = encode_rtt(0.5);
    assert_eq!(
        sealed(Context::LRRTT, &rtt, &v["rtt_iv"]),
        bytes(&v["rtt_packet_raw"])
    );
    let received = Packet::decode(&bytes(&v["rtt_packet_raw"])).unwrap();
    assert_eq!(decode_rtt(&token.decrypt(&received.data).unwrap()), Ok(0.5));

    let close = encode_close(&link_id);
    assert_eq!(
        sealed(Context::LINKCLOSE, &close, &v["linkclose_iv"]),
        bytes(&v["linkclose_raw"])
    );
    let received = Packet::decode(&bytes(&v["linkclose_raw"])).unwrap();
    assert_eq!(
        check_close(&token.decrypt(&received.data).unwrap(), &link_id),
        Ok(())
    );

    let who = &v["identify"];
    let identity =
        PrivateIdentity::from_private_slice(&bytes(&who["identity_private_key"])).unwrap();
    let identify = LinkIdentify::sign(&identity, &link_id).encode();
    assert_eq!(
        sealed(Context::LINKIDENTIFY, &identify, &who["iv"]),
        bytes(&who["raw"])
    );
    let received = Packet::decode(&bytes(&who["raw"])).unwrap();
    let plaintext = token.decrypt(&received.data).unwrap();
    let verified = LinkIdentify::decode(&plaintext)
        .unwrap()
        .verify(&link_id)
        .unwrap();
    assert_eq!(&verified, identity.public());
}
