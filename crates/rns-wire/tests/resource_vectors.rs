//! Resource vectors from the reference (tests/data/vectors/resource.json): the
//! advertisement packed byte-exactly and decoded back, and the size constants.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_wire::resource::{self, Advertisement, MapHash, RandomHash, ResourceFlags, ResourceHash};
use serde_json::Value;

fn file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/resource.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn advertisement_from_fields(f: &Value) -> Advertisement {
    Advertisement {
        transfer_size: f["t"].as_u64().unwrap(),
        data_size: f["d"].as_u64().unwrap(),
        parts: f["n"].as_u64().unwrap(),
        hash: ResourceHash::from_slice(&bytes(&f["h"])).unwrap(),
        random_hash: RandomHash::from_slice(&bytes(&f["r"])).unwrap(),
        original_hash: ResourceHash::from_slice(&bytes(&f["o"])).unwrap(),
        segment_index: f["i"].as_u64().unwrap(),
        total_segments: f["l"].as_u64().unwrap(),
        request_id: None,
        flags: ResourceFlags(u8::try_from(f["f"].as_u64().unwrap()).unwrap()),
        hashmap: bytes(&f["m"])
            .chunks(4)
            .map(|c| MapHash::from_slice(c).unwrap())
            .collect(),
    }
}

#[test]
fn advertisement_is_byte_exact_both_ways() {
    let file = file();
    let ad = &file["advertisement"];
    assert!(ad["fields"]["q"].is_null());
    let expected = advertisement_from_fields(&ad["fields"]);
    let packed = bytes(&ad["packed"]);
    assert_eq!(expected.encode(), packed);
    let decoded = Advertisement::decode(&packed).unwrap();
    assert_eq!(decoded, expected);
    assert!(decoded.flags.encrypted() && decoded.flags.compressed());
    assert!(!decoded.flags.split() && !decoded.flags.has_metadata());
    assert_eq!(decoded.hashmap.len(), 3);
}

#[test]
fn constants_match() {
    let file = file();
    let c = &file["constants"];
    let get = |k: &str| usize::try_from(c[k].as_u64().unwrap()).unwrap();
    assert_eq!(resource::MAPHASH_LEN, get("MAPHASH_LEN"));
    assert_eq!(resource::HASHMAP_MAX_LEN, get("HASHMAP_MAX_LEN"));
    assert_eq!(resource::hashmap_max_len(431), get("HASHMAP_MAX_LEN"));
    assert_eq!(resource::COLLISION_GUARD_SIZE, get("COLLISION_GUARD_SIZE"));
    assert_eq!(resource::WINDOW, get("WINDOW"));
    assert_eq!(resource::WINDOW_MAX_SLOW, get("WINDOW_MAX_SLOW"));
    assert_eq!(resource::WINDOW_MAX_FAST, get("WINDOW_MAX_FAST"));
    assert_eq!(resource::MAX_EFFICIENT_SIZE, get("MAX_EFFICIENT_SIZE"));
    assert_eq!(resource::RANDOM_HASH_SIZE, get("RANDOM_HASH_SIZE"));
    assert_eq!(resource::ADV_OVERHEAD, get("ADV_OVERHEAD"));
}
