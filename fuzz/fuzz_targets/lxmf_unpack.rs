//! LXMF unpack on arbitrary bytes: never panics; an accepted message keeps the
//! bytes it came from, and re-stamping a stamped message keeps its id (the id of
//! a stamped message never covers the stamp).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lxmf::unpack;
use rns_crypto::PrivateIdentity;

fuzz_target!(|data: &[u8]| {
    let id = PrivateIdentity::from_private_bytes(&[7; 64]);
    let Ok(got) = unpack(data, Some(id.public())) else {
        assert!(unpack(data, None).is_err());
        return;
    };
    assert_eq!(got.message.packed(), data);
    let had_stamp = got.message.stamp().is_some();
    let before = *got.message.message_id();
    let restamped = got.message.with_stamp(Some(vec![1; 32]));
    let again = unpack(restamped.packed(), None).expect("a re-stamped message unpacks");
    assert_eq!(again.message.stamp(), Some(&[1u8; 32][..]));
    if had_stamp {
        assert_eq!(*again.message.message_id(), before);
    }
    // Paper URIs and propagation submissions from the same bytes.
    let _ = lxmf::paper::parse_uri(&String::from_utf8_lossy(data));
    let _ = lxmf::propagation::parse_submission(data);
});
