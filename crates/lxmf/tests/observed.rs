//! How the reference unpacks unusual payloads, recorded by running it
//! (scripts/observe-lxmf-unpack.py → tests/data/vectors/lxmf_observed.json),
//! and what we do with each case.
// Helpers outside `#[test]` functions unwrap too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{hex_field, vectors};
use lxmf::{SignatureState, UnpackError, unpack};
use rns_crypto::PublicIdentity;

/// Cases the reference accepts but whose typed fields we cannot represent
/// (documented in docs/interop.md, LXMF): we refuse them.
const REFUSED_BY_US: [(&str, UnpackError); 2] = [
    ("nil-timestamp", UnpackError::Timestamp),
    ("int-title", UnpackError::Title),
];

#[test]
fn unusual_payloads_hash_and_verify_as_the_reference_does() {
    let file = vectors("lxmf_observed");
    let source = PublicIdentity::from_slice(&hex_field(&file, "source_public_key")).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let label = case["label"].as_str().unwrap();
        let packed = hex_field(case, "packed");
        let got = unpack(&packed, Some(&source));
        if let Some((_, err)) = REFUSED_BY_US.iter().find(|(l, _)| *l == label) {
            assert_eq!(got.unwrap_err(), *err, "{label}");
            continue;
        }
        if let Some(exception) = case["exception"].as_str() {
            assert!(
                got.is_err(),
                "{label}: the reference raised {exception}, we accepted"
            );
            continue;
        }
        let got = got.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(
            got.message.message_id().0.to_vec(),
            hex_field(case, "message_hash"),
            "{label}"
        );
        assert_eq!(got.signature, SignatureState::Valid, "{label}");
        assert_eq!(
            got.message.packed(),
            &packed[..],
            "{label} keeps the bytes as received"
        );
        let stamp = case["stamp"].as_str().unwrap();
        match got.message.stamp() {
            Some(s) => assert_eq!(hex::encode(s), stamp, "{label}"),
            // A stamp that is not bin (here the integer 5) is no stamp to us.
            None => assert!(stamp == "None" || label == "int-stamp", "{label}: {stamp}"),
        }
    }
}

#[test]
fn typed_view_of_lenient_payloads() {
    let file = vectors("lxmf_observed");
    let case = |label: &str| {
        let c = file["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == label)
            .unwrap();
        unpack(&hex_field(c, "packed"), None).unwrap().message
    };
    let m = case("str-title-content");
    assert_eq!(
        (&m.message().title[..], &m.message().content[..]),
        (&b"A"[..], &b"B"[..])
    );
    assert_eq!(case("int-timestamp").message().timestamp, 1_700_000_000.0);
    assert_eq!(case("f32-timestamp").message().timestamp, 1_700_000_000.0);
    assert!(case("nil-fields").message().fields.is_empty());
    assert_eq!(case("str-field-key").message().fields.len(), 1);
    // Re-stamping a non-canonical message keeps its id: the hash of a stamped
    // message is over the re-encoded head, as the reference computes it.
    let wide = case("wide-int-field");
    let restamped = wide.clone().with_stamp(Some(vec![1; 32]));
    let again = unpack(restamped.packed(), None).unwrap().message;
    assert_ne!(again.message_id(), wide.message_id());
    let stamped = case("wide-int-field-stamped");
    let moved = stamped.clone().with_stamp(Some(vec![2; 32]));
    assert_eq!(
        unpack(moved.packed(), None).unwrap().message.message_id(),
        stamped.message_id()
    );
}
