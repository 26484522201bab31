//! Request/response vectors from the reference (tests/data/vectors/link.json,
//! `request`): the packed request and response byte-exact both ways.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_msgpack::Value;
use rns_wire::request::{self, Request, RequestId, Response};
use serde_json::Value as Json;

fn case() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/link.json"
    );
    let all: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all["request"].clone()
}

fn bytes(v: &Json) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn path_hash_of_the_vector_path() {
    let c = case();
    let hash = request::path_hash(c["path"].as_str().unwrap());
    assert_eq!(hash.0.to_vec(), bytes(&c["path_hash"]));
}

#[test]
fn packed_request_both_ways() {
    let c = case();
    let expected = Request {
        requested_at: c["requested_at"].as_f64().unwrap(),
        path_hash: request::path_hash(c["path"].as_str().unwrap()),
        data: Value::Nil,
    };
    let packed = bytes(&c["packed_request"]);
    assert_eq!(expected.encode(), packed);
    assert_eq!(Request::decode(&packed).unwrap(), expected);
}

#[test]
fn packed_response_both_ways() {
    let c = case();
    let expected = Response {
        request_id: RequestId::from_slice(&bytes(&c["request_id"])).unwrap(),
        response: Value::bin(*b"response body"),
    };
    let packed = bytes(&c["packed_response"]);
    assert_eq!(expected.encode(), packed);
    assert_eq!(Response::decode(&packed).unwrap(), expected);
}

#[test]
fn resource_request_id_is_h16_of_the_packed_request() {
    let packed = bytes(&case()["packed_request"]);
    let id = request::resource_request_id(&packed);
    assert_eq!(id.0, rns_crypto::truncated_hash(&packed));
}
