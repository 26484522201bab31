//! The HDLC stream deframer fed arbitrary bytes in arbitrary chunks: never
//! panics, never buffers past its bound, and delivers only frames within limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rns_wire::framing::{FrameLimits, HdlcDeframer};

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let limits = FrameLimits::for_mtu(500, 16);
    let mut deframer = HdlcDeframer::new(limits);
    let chunk = usize::from(split).max(1);
    for piece in stream.chunks(chunk) {
        deframer.push(piece, |frame| assert!(limits.accepts(frame.len())));
        assert!(deframer.buffered_len() <= limits.max_payload);
    }
});
