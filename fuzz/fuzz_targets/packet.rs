//! Packet decoding of arbitrary bytes: never panics; a decoded packet re-encodes
//! to the same bytes, and its hash ignores the fields the rules say it ignores.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rns_wire::packet::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::decode(data) else {
        return;
    };
    assert_eq!(packet.encode(), data);
    let _ = packet.check_receivable();
    let hash = packet.hash();
    let mut hopped = packet.clone();
    hopped.hops = hopped.hops.wrapping_add(1);
    assert_eq!(hopped.hash(), hash);
});
