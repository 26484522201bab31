//! Property tests for LXMF announce app_data (delivery and propagation node).
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::collection::vec;
use proptest::prelude::*;
use rns_msgpack::Value;
use rns_wire::lxmf_app_data::{
    DeliveryAppData, PropagationMetadata, PropagationNodeAppData, SizeLimit,
};

fn modern() -> impl Strategy<Value = DeliveryAppData> {
    (
        proptest::option::of(vec(any::<u8>(), 0..64)),
        proptest::option::of(1u8..=254),
        proptest::option::of(vec(any::<u64>(), 0..5)),
    )
        .prop_map(
            |(display_name, stamp_cost, features)| DeliveryAppData::Modern {
                display_name,
                stamp_cost,
                features,
            },
        )
}

/// Legacy names: anything that does not start like a msgpack array.
fn legacy() -> impl Strategy<Value = DeliveryAppData> {
    vec(any::<u8>(), 1..64)
        .prop_filter("starts like an array", |n| {
            !matches!(n[0], 0x90..=0x9f | 0xdc)
        })
        .prop_map(|display_name| DeliveryAppData::Legacy { display_name })
}

fn size_limit() -> impl Strategy<Value = SizeLimit> {
    prop_oneof![
        any::<u64>().prop_map(SizeLimit::Int),
        any::<f64>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(SizeLimit::Float),
    ]
}

fn metadata_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<u64>().prop_map(Value::UInt),
        vec(any::<u8>(), 0..20).prop_map(Value::Bin),
        any::<String>().prop_map(Value::Str),
        any::<f64>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(Value::F64),
    ]
}

fn metadata() -> impl Strategy<Value = PropagationMetadata> {
    vec((any::<u8>(), metadata_value()), 0..6).prop_map(|entries| {
        let mut m = PropagationMetadata::default();
        for (k, v) in entries {
            m.set(u64::from(k), v);
        }
        m
    })
}

fn propagation() -> impl Strategy<Value = PropagationNodeAppData> {
    (
        (any::<u64>(), any::<bool>(), size_limit(), size_limit()),
        any::<[u8; 3]>(),
        metadata(),
    )
        .prop_map(|((timebase, enabled, transfer, sync), costs, metadata)| {
            PropagationNodeAppData {
                timebase,
                enabled,
                per_transfer_limit_kb: transfer,
                per_sync_limit_kb: sync,
                stamp_cost: costs[0],
                stamp_flex: costs[1],
                peering_cost: costs[2],
                metadata,
            }
        })
}

proptest! {
    #[test]
    fn delivery_round_trip(a in prop_oneof![modern(), legacy()]) {
        prop_assert_eq!(DeliveryAppData::decode(&a.encode()).unwrap(), a);
    }

    #[test]
    fn propagation_round_trip(a in propagation()) {
        let bytes = a.encode();
        let back = PropagationNodeAppData::decode(&bytes).unwrap();
        prop_assert_eq!(back.encode(), bytes);
        prop_assert_eq!(back, a);
    }

    #[test]
    fn propagation_tolerates_extra_elements(a in propagation(), extra in vec(metadata_value(), 1..3)) {
        let Value::Array(mut items) = rns_msgpack::decode(&a.encode()).unwrap() else {
            unreachable!("app_data is an array")
        };
        items.extend(extra);
        let back = PropagationNodeAppData::decode(&rns_msgpack::encode(&Value::Array(items))).unwrap();
        prop_assert_eq!(back, a);
    }

    #[test]
    fn decoders_survive_arbitrary_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let _ = DeliveryAppData::decode(&bytes);
        let _ = PropagationNodeAppData::decode(&bytes);
    }

    #[test]
    fn decoders_survive_mutated_app_data(a in propagation(), d in modern(), at in any::<usize>(), byte in any::<u8>()) {
        for mut bytes in [a.encode(), d.encode()] {
            let at = at % bytes.len();
            bytes[at] = byte;
            let _ = PropagationNodeAppData::decode(&bytes);
            let _ = DeliveryAppData::decode(&bytes);
        }
    }
}
