//! Property tests: messages round-trip through pack/unpack (with and without a
//! stamp, through every delivery container), and hostile bytes never panic.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::SeededRng;
use lxmf::delivery;
use lxmf::{Fields, Message, SignatureState, paper, propagation, unpack};
use proptest::prelude::*;
use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_msgpack::Value;

fn identity(seed: u64) -> PrivateIdentity {
    PrivateIdentity::generate(&mut SeededRng::new(seed))
}

/// Field values: the msgpack kinds clients send, nested one level.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::UInt),
        (i64::MIN..0).prop_map(Value::Int),
        // Finite only: NaN is never equal to itself, which the comparison below needs.
        (-1e300f64..1e300).prop_map(Value::F64),
        (-1e30f32..1e30).prop_map(Value::F32),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bin),
        ".{0,16}".prop_map(Value::Str),
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        leaf(),
        prop::collection::vec(leaf(), 0..4).prop_map(Value::Array),
        prop::collection::vec(
            (any::<u8>().prop_map(|k| Value::UInt(k.into())), leaf()),
            0..3
        )
        .prop_map(|mut pairs| {
            pairs.sort_by_key(|(k, _)| k.as_u64());
            pairs.dedup_by_key(|(k, _)| k.as_u64());
            Value::Map(pairs)
        }),
    ]
}

prop_compose! {
    fn message()(
        dest in any::<[u8; 16]>(),
        src in any::<[u8; 16]>(),
        timestamp in 0f64..4e9,
        title in prop::collection::vec(any::<u8>(), 0..40),
        content in prop::collection::vec(any::<u8>(), 0..600),
        fields in prop::collection::vec((any::<u8>(), field_value()), 0..6),
    ) -> Message {
        let mut m = Message::new(DestinationHash(dest), DestinationHash(src), timestamp, title, content);
        for (k, v) in fields {
            m.fields.set(u64::from(k), v);
        }
        m
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pack_unpack_round_trip(m in message(), seed in any::<u64>(), stamp in prop::option::of(prop::collection::vec(any::<u8>(), 0..40))) {
        let id = identity(seed);
        let packed = m.sign(&id);
        let got = unpack(packed.packed(), Some(id.public())).unwrap();
        prop_assert_eq!(got.signature, SignatureState::Valid);
        prop_assert_eq!(&got.message, &packed);

        let stamped = packed.clone().with_stamp(stamp.clone());
        let got = unpack(stamped.packed(), Some(id.public())).unwrap();
        prop_assert_eq!(got.signature, SignatureState::Valid);
        prop_assert_eq!(got.message.message_id(), packed.message_id());
        prop_assert_eq!(got.message.stamp(), stamp.as_deref());
        prop_assert_eq!(got.message.message(), packed.message());
    }

    #[test]
    fn containers_round_trip(m in message(), seed in any::<u64>()) {
        let sender = identity(seed);
        let recipient = identity(seed ^ 0x5555);
        let packed = m.sign(&sender);
        let dest = packed.message().destination_hash;

        let data = delivery::opportunistic_data(packed.packed());
        prop_assert_eq!(delivery::from_opportunistic_data(&dest, data), packed.packed());

        let mut rng = SeededRng::new(seed);
        let container = delivery::seal(packed.packed(), recipient.public(), None, &mut rng).unwrap();
        prop_assert_eq!(delivery::container_destination(&container), Some(dest));
        prop_assert_eq!(&delivery::open(&container, &recipient, &[], false).unwrap()[..], packed.packed());

        let uri = paper::uri(&container);
        if container.len() <= delivery::PAPER_MDU {
            prop_assert_eq!(paper::parse_uri(&uri.unwrap()).unwrap(), container.clone());
        } else {
            prop_assert!(uri.is_err());
        }
        let sub = propagation::submission(1.5, std::slice::from_ref(&container));
        prop_assert_eq!(propagation::parse_submission(&sub).unwrap(), (1.5, vec![container]));
    }

    #[test]
    fn base64url_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(paper::base64url_decode(&paper::base64url_encode(&bytes)).unwrap(), bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let id = identity(1);
        let _ = unpack(&bytes, Some(id.public()));
        let _ = unpack(&bytes, None);
        let _ = propagation::parse_submission(&bytes);
        let _ = delivery::open(&bytes, &id, &[], false);
        let _ = paper::parse_uri(&String::from_utf8_lossy(&bytes));
        let _ = lxmf::Ticket::from_field(&rns_msgpack::decode(&bytes).unwrap_or(Value::Nil));
    }

    #[test]
    fn arbitrary_payload_after_a_header_never_panics(payload in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut packed = vec![0u8; 96];
        packed.extend_from_slice(&payload);
        if let Ok(got) = unpack(&packed, None) {
            // Whatever was accepted re-stamps without trouble.
            let _ = got.message.with_stamp(Some(vec![0; 32]));
        }
    }

    #[test]
    fn mutated_messages_never_panic(seed in any::<u64>(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let id = identity(seed);
        let mut fields = Fields::new();
        fields.set(5, Value::Array(vec![Value::Array(vec![Value::from("a"), Value::bin(vec![1u8; 20])])]));
        let mut m = Message::new(DestinationHash([1; 16]), DestinationHash([2; 16]), 1.0, "t", "c");
        m.fields = fields;
        let mut bytes = m.sign(&id).with_stamp(Some(vec![3; 32])).into_packed();
        for (at, x) in flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        let _ = unpack(&bytes, Some(id.public()));
    }
}

proptest! {
    // Each case derives a 1000-round workblock: few cases.
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn propagation_entries_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..100), cost in 0u32..300) {
        let _ = propagation::validate_entry(&bytes, cost);
    }
}
