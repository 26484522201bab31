//! Property tests for announces: payload round-trips, built announces validate,
//! and decoding arbitrary bytes never panics.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rns_crypto::{DestinationHash, NameHash, PrivateIdentity};
use rns_wire::announce::{
    Announce, AnnounceReason, RandomHash, RatchetPublicKey, ValidatedAnnounce,
};
use rns_wire::packet::Packet;

fn identity() -> impl Strategy<Value = PrivateIdentity> {
    prop::collection::vec(any::<u8>(), 64)
        .prop_map(|key| PrivateIdentity::from_private_slice(&key).unwrap())
}

prop_compose! {
    fn announce()(
        id in identity(),
        name in any::<[u8; 10]>(),
        random in any::<[u8; 5]>(),
        time in 0u64..(1 << 40),
        ratchet in prop::option::of(any::<[u8; 32]>()),
        app_data in prop::collection::vec(any::<u8>(), 0..300),
    ) -> ValidatedAnnounce {
        let rh = RandomHash::new(random, time);
        ValidatedAnnounce::build(&id, NameHash(name), rh, ratchet.map(RatchetPublicKey), app_data)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn built_announces_round_trip_and_validate(a in announce(), path_response in any::<bool>()) {
        let reason = if path_response { AnnounceReason::PathResponse } else { AnnounceReason::Unsolicited };
        let raw = a.to_packet(reason).encode();
        let packet = Packet::decode(&raw).unwrap();
        let decoded = Announce::from_packet(&packet).unwrap();
        prop_assert_eq!(&decoded, &*a);
        let payload = a.encode_payload();
        let again = Announce::decode_payload(a.destination, a.ratchet.is_some(), &payload).unwrap();
        prop_assert_eq!(&again, &*a);
        prop_assert_eq!(decoded.validate().unwrap(), a);
    }

    #[test]
    fn random_hash_keeps_timebase(random in any::<[u8; 5]>(), time in 0u64..(1 << 40)) {
        let rh = RandomHash::new(random, time);
        prop_assert_eq!(rh.emission_timebase(), time);
        prop_assert_eq!(&rh.0[..5], &random[..]);
    }
}

proptest! {
    #[test]
    fn announce_decode_arbitrary(
        data in prop::collection::vec(any::<u8>(), 0..400),
        ratchet in any::<bool>(),
    ) {
        let dest = DestinationHash([0; 16]);
        if let Ok(a) = Announce::decode_payload(dest, ratchet, &data) {
            prop_assert_eq!(a.encode_payload(), data);
            prop_assert!(a.validate().is_err());
        }
    }
}
