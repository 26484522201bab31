//! Property tests for HDLC and KISS: frames come back whatever the chunking, the
//! deframers never panic or exceed their bound on arbitrary input, and the HDLC
//! deframer agrees with a buffer-and-search model of the reference receiver.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::collection::vec;
use proptest::prelude::*;
use rns_wire::framing::{FrameLimits, HdlcDeframer, KissDeframer, hdlc, kiss};

const SPECIAL: [u8; 8] = [0x7E, 0x7D, 0x5D, 0x5E, 0xC0, 0xDB, 0xDC, 0xDD];

/// Bytes biased towards the ones framing treats specially (half of them are).
fn special_byte() -> impl Strategy<Value = u8> {
    any::<u16>().prop_map(|r| match r.to_be_bytes() {
        [hi, lo] if hi < 128 => SPECIAL[usize::from(lo) % SPECIAL.len()],
        [_, lo] => lo,
    })
}

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(vec(special_byte(), 0..300), 0..6)
}

/// Split points, applied modulo the stream length.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(any::<usize>(), 0..8)
}

fn chunks(stream: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(0);
    points.push(stream.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| stream[w[0]..w[1]].to_vec())
        .collect()
}

const LAX: FrameLimits = FrameLimits {
    header_minsize: 0,
    max_payload: 1 << 16,
};

const SMALL: FrameLimits = FrameLimits {
    header_minsize: 19,
    max_payload: 64,
};

/// The reference receiver as the protocol describes it: find a flag, find the
/// next flag, undo `7D 5E` and then `7D 5D`, keep the closing flag as the next
/// opening one.
fn model_hdlc(stream: &[u8], limits: FrameLimits) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = stream;
    while let Some(start) = buf.iter().position(|&b| b == 0x7E) {
        let Some(len) = buf[start + 1..].iter().position(|&b| b == 0x7E) else {
            break;
        };
        let end = start + 1 + len;
        let frame = replace_pair(&replace_pair(&buf[start + 1..end], 0x5E, 0x7E), 0x5D, 0x7D);
        if limits.accepts(frame.len()) {
            out.push(frame);
        }
        buf = &buf[end..];
    }
    out
}

/// Replaces each non-overlapping `7D second` with `with`, left to right.
fn replace_pair(bytes: &[u8], second: u8, with: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x7D && bytes.get(i + 1) == Some(&second) {
            out.push(with);
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

proptest! {
    #[test]
    fn hdlc_round_trip_at_any_chunking(ps in payloads(), cuts in cuts(), noise in vec(0u8..0x7E, 0..8)) {
        let mut stream = noise;
        for p in &ps {
            stream.extend(hdlc::frame(p));
        }
        let mut d = HdlcDeframer::new(LAX);
        let got: Vec<Vec<u8>> = chunks(&stream, &cuts).iter().flat_map(|c| d.push_frames(c)).collect();
        let expected: Vec<Vec<u8>> = ps.into_iter().filter(|p| !p.is_empty()).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn kiss_round_trip_at_any_chunking(ps in payloads(), cuts in cuts(), noise in vec(0u8..0xC0, 0..8)) {
        let mut stream = noise;
        for p in &ps {
            stream.extend(kiss::frame(p));
        }
        let mut d = KissDeframer::new(LAX);
        let got: Vec<Vec<u8>> = chunks(&stream, &cuts).iter().flat_map(|c| d.push_frames(c)).collect();
        let expected: Vec<Vec<u8>> = ps.into_iter().filter(|p| !p.is_empty()).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn hdlc_matches_the_reference_model(stream in vec(special_byte(), 0..2000), cuts in cuts()) {
        let limits = FrameLimits { header_minsize: 19, max_payload: 1 << 16 };
        let mut d = HdlcDeframer::new(limits);
        let got: Vec<Vec<u8>> = chunks(&stream, &cuts).iter().flat_map(|c| d.push_frames(c)).collect();
        prop_assert_eq!(got, model_hdlc(&stream, limits));
    }

    #[test]
    fn hdlc_arbitrary_input_stays_bounded(chunks in vec(vec(special_byte(), 0..200), 0..20)) {
        let mut d = HdlcDeframer::new(SMALL);
        for c in &chunks {
            for f in d.push_frames(c) {
                prop_assert!(SMALL.accepts(f.len()));
            }
            prop_assert!(d.buffered_len() <= SMALL.max_payload);
        }
    }

    #[test]
    fn kiss_arbitrary_input_stays_bounded(chunks in vec(vec(special_byte(), 0..200), 0..20)) {
        let mut d = KissDeframer::new(SMALL);
        for c in &chunks {
            for f in d.push_frames(c) {
                prop_assert!(SMALL.accepts(f.len()));
            }
            prop_assert!(d.buffered_len() <= SMALL.max_payload);
        }
    }

    #[test]
    fn oversized_frames_never_hide_the_next_one(big in 65usize..400, p in vec(special_byte(), 20..64)) {
        let mut stream = hdlc::frame(&vec![0x41; big]);
        stream.extend(hdlc::frame(&p));
        let mut d = HdlcDeframer::new(SMALL);
        prop_assert_eq!(d.push_frames(&stream), vec![p.clone()]);
        prop_assert_eq!(d.stats().oversized, 1);

        let mut stream = kiss::frame(&vec![0x41; big]);
        stream.extend(kiss::frame(&p));
        let mut d = KissDeframer::new(SMALL);
        prop_assert_eq!(d.push_frames(&stream), vec![p]);
        prop_assert_eq!(d.stats().oversized, 1);
    }
}

#[test]
fn a_peer_that_never_closes_cannot_grow_memory() {
    let mut h = HdlcDeframer::new(SMALL);
    let mut k = KissDeframer::new(SMALL);
    let mut opened = vec![0x7E, 0xC0, 0x00];
    opened.extend(std::iter::repeat_n(0x55, 10_000));
    for chunk in opened.chunks(333) {
        h.push(chunk, |_| panic!("no frame ends"));
        k.push(chunk, |_| panic!("no frame ends"));
        assert!(h.buffered_len() <= 64 && k.buffered_len() <= 64);
    }
}
