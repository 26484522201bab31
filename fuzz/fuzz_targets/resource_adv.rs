//! Resource advertisements (and the other resource payloads) decoded from
//! arbitrary bytes: never panic, and what decodes re-encodes to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rns_wire::resource::{Advertisement, HashmapUpdate, ResourceRequest};

fuzz_target!(|data: &[u8]| {
    if let Ok(adv) = Advertisement::decode(data) {
        let again = Advertisement::decode(&adv.encode()).expect("re-encoded advertisement decodes");
        assert_eq!(again, adv);
    }
    if let Ok(req) = ResourceRequest::decode(data) {
        assert_eq!(ResourceRequest::decode(&req.encode()).ok(), Some(req));
    }
    let _ = HashmapUpdate::decode(data);
});
