//! msgpack decoding of arbitrary bytes: never panics, and whatever decodes
//! re-encodes to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = rns_msgpack::decode(data) {
        let again = rns_msgpack::encode(&value);
        let back = rns_msgpack::decode(&again).ok();
        // NaN floats are the one value not equal to itself.
        if !format!("{value:?}").contains("NaN") {
            assert_eq!(back, Some(value));
        }
    }
});
