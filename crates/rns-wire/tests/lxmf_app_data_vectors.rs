//! The LXMF delivery announce app_data vector (tests/data/vectors/lxmf.json,
//! `delivery_announce_app_data`): `[b'Alice', None, [0]]`, byte-exact both ways.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_wire::lxmf_app_data::{DeliveryAppData, SF_COMPRESSION};
use serde_json::Value;

fn case() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/lxmf.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["delivery_announce_app_data"].clone()
}

#[test]
fn delivery_app_data_both_ways() {
    let c = case();
    assert_eq!(c["decoded"].as_str().unwrap(), "[b'Alice', None, [0]]");
    let packed = hex::decode(c["value"].as_str().unwrap()).unwrap();
    let expected = DeliveryAppData::Modern {
        display_name: Some(b"Alice".to_vec()),
        stamp_cost: None,
        features: Some(vec![SF_COMPRESSION]),
    };
    assert_eq!(DeliveryAppData::modern(Some("Alice"), None), expected);
    assert_eq!(expected.encode(), packed);
    let decoded = DeliveryAppData::decode(&packed).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(decoded.display_name(), Some(&b"Alice"[..]));
    assert_eq!(decoded.stamp_cost(), None);
    assert_eq!(decoded.supports(SF_COMPRESSION), Some(true));
}
