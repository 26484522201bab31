//! Property tests for the resource payloads: every codec round-trips, and every
//! decoder survives arbitrary bytes.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::collection::vec;
use proptest::prelude::*;
use rns_msgpack::Value;
use rns_wire::request::RequestId;
use rns_wire::resource::{
    self, Advertisement, HashmapUpdate, MapHash, ProofHash, RandomHash, ResourceFlags,
    ResourceHash, ResourceProof, ResourceRequest,
};

fn map_hashes(max: usize) -> impl Strategy<Value = Vec<MapHash>> {
    vec(any::<[u8; 4]>().prop_map(MapHash), 0..max)
}

fn resource_hash() -> impl Strategy<Value = ResourceHash> {
    any::<[u8; 32]>().prop_map(ResourceHash)
}

/// Advertisements the decoder must accept: t within 3 × MAX_EFFICIENT_SIZE and
/// 1 <= i <= l.
fn advertisement() -> impl Strategy<Value = Advertisement> {
    let sizes = (
        0..=3 * resource::MAX_EFFICIENT_SIZE as u64,
        any::<u64>(),
        any::<u64>(),
    );
    let segments = (1..u64::MAX).prop_flat_map(|l| (1..=l, Just(l)));
    let hashes = (resource_hash(), any::<[u8; 4]>(), resource_hash());
    let rest = (
        proptest::option::of(any::<[u8; 16]>()),
        any::<u8>(),
        map_hashes(80),
    );
    (sizes, segments, hashes, rest).prop_map(|((t, d, n), (i, l), (h, r, o), (q, f, m))| {
        Advertisement {
            transfer_size: t,
            data_size: d,
            parts: n,
            hash: h,
            random_hash: RandomHash(r),
            original_hash: o,
            segment_index: i,
            total_segments: l,
            request_id: q.map(RequestId),
            flags: ResourceFlags(f),
            hashmap: m,
        }
    })
}

fn msgpack_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::UInt),
        (i64::MIN..0).prop_map(Value::Int),
        any::<f64>()
            .prop_filter("NaN never equals itself", |f| !f.is_nan())
            .prop_map(Value::F64),
        vec(any::<u8>(), 0..40).prop_map(Value::Bin),
        any::<String>().prop_map(Value::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn advertisement_round_trip(ad in advertisement()) {
        prop_assert_eq!(Advertisement::decode(&ad.encode()).unwrap(), ad);
    }

    #[test]
    fn request_round_trip(
        last in proptest::option::of(any::<[u8; 4]>()),
        hash in resource_hash(),
        requested in map_hashes(100),
    ) {
        let r = ResourceRequest { hashmap_exhausted: last.map(MapHash), resource_hash: hash, requested };
        prop_assert_eq!(ResourceRequest::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn hashmap_update_round_trip(hash in resource_hash(), segment in any::<u64>(), hashmap in map_hashes(100)) {
        let u = HashmapUpdate { resource_hash: hash, segment, hashmap };
        prop_assert_eq!(HashmapUpdate::decode(&u.encode()).unwrap(), u);
    }

    #[test]
    fn proof_and_cancel_round_trip(hash in resource_hash(), proof in any::<[u8; 32]>()) {
        let p = ResourceProof { resource_hash: hash, proof: ProofHash(proof) };
        prop_assert_eq!(ResourceProof::decode(&p.encode()).unwrap(), p);
        prop_assert_eq!(resource::decode_cancel(&hash.0).unwrap(), hash);
    }

    #[test]
    fn metadata_round_trip(meta in msgpack_value(), data in vec(any::<u8>(), 0..64)) {
        let stream = resource::prepend_metadata(&meta, &data).unwrap();
        let (back, rest) = resource::split_metadata(&stream).unwrap();
        prop_assert_eq!(back, meta);
        prop_assert_eq!(rest, &data[..]);
    }

    #[test]
    fn decoders_survive_arbitrary_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let _ = Advertisement::decode(&bytes);
        let _ = ResourceRequest::decode(&bytes);
        let _ = HashmapUpdate::decode(&bytes);
        let _ = ResourceProof::decode(&bytes);
        let _ = resource::decode_cancel(&bytes);
        let _ = resource::split_metadata(&bytes);
    }

    #[test]
    fn advertisement_decoder_survives_arbitrary_msgpack(value in msgpack_value()) {
        prop_assert!(Advertisement::decode(&rns_msgpack::encode(&value)).is_err());
    }

    #[test]
    fn advertisement_decoder_survives_mutations(ad in advertisement(), at in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = ad.encode();
        let at = at % bytes.len();
        bytes[at] = byte;
        let _ = Advertisement::decode(&bytes);
        bytes.truncate(at);
        prop_assert!(Advertisement::decode(&bytes).is_err());
    }
}
