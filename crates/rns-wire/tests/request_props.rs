//! Property tests for request and response payloads.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::collection::vec;
use proptest::prelude::*;
use rns_msgpack::Value;
use rns_wire::request::{PathHash, Request, RequestId, Response};

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
    fn request_round_trip(
        at in any::<f64>().prop_filter("NaN", |f| !f.is_nan()),
        hash in any::<[u8; 16]>(),
        data in msgpack_value(),
    ) {
        let r = Request { requested_at: at, path_hash: PathHash(hash), data };
        prop_assert_eq!(Request::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn response_round_trip(id in any::<[u8; 16]>(), response in msgpack_value()) {
        let r = Response { request_id: RequestId(id), response };
        prop_assert_eq!(Response::decode(&r.encode()).unwrap(), r);
    }

    #[test]
    fn path_hash_is_h16_of_the_utf8(path in any::<String>()) {
        let h = rns_wire::request::path_hash(&path);
        prop_assert_eq!(h.0, rns_crypto::truncated_hash(path.as_bytes()));
    }

    #[test]
    fn decoders_survive_arbitrary_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let _ = Request::decode(&bytes);
        let _ = Response::decode(&bytes);
    }

    #[test]
    fn decoders_refuse_arbitrary_msgpack(value in msgpack_value()) {
        let bytes = rns_msgpack::encode(&value);
        let request_shaped = matches!(
            value.as_array(),
            Some([t, Value::Bin(h), _]) if t.as_f64().is_some() && h.len() == 16
        );
        prop_assert_eq!(Request::decode(&bytes).is_ok(), request_shaped);
        let response_shaped = matches!(value.as_array(), Some([Value::Bin(h), _]) if h.len() == 16);
        prop_assert_eq!(Response::decode(&bytes).is_ok(), response_shaped);
    }
}
