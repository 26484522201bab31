//! Announce parsing and validation on arbitrary packets: never panics, and a
//! validated announce's destination hash really binds its name and key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rns_wire::announce::Announce;
use rns_wire::packet::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::decode(data) else {
        return;
    };
    let Ok(announce) = Announce::from_packet(&packet) else {
        return;
    };
    assert_eq!(announce.encode_payload(), packet.data);
    if let Ok(valid) = announce.validate() {
        let expected =
            rns_crypto::destination_hash(&valid.name_hash, Some(&valid.identity().hash()));
        assert_eq!(expected, valid.destination);
    }
});
