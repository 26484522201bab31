//! Framing vectors from the reference (tests/data/vectors/framing.json): HDLC and
//! KISS frames byte-exact, and the captured stream deframed to exactly the frames
//! the reference receiver delivered.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_wire::framing::{FrameLimits, HdlcDeframer, KissDeframer, hdlc, kiss};
use serde_json::Value;

fn file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/framing.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// Delivers every non-empty payload, so short vectors survive the round trip.
const LAX: FrameLimits = FrameLimits {
    header_minsize: 0,
    max_payload: 1 << 20,
};

/// The TCP interface's limits before MTU autoconfiguration.
const TCP: FrameLimits = FrameLimits::for_mtu(262_144, 0);

#[test]
fn frames_are_byte_exact_and_deframe_back() {
    let file = file();
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 4);
    for v in vectors {
        let payload = bytes(&v["payload"]);
        let hdlc_frame = hdlc::frame(&payload);
        assert_eq!(hdlc_frame, bytes(&v["hdlc_frame"]));
        let kiss_frame = kiss::frame(&payload);
        assert_eq!(kiss_frame, bytes(&v["kiss_frame"]));
        assert_eq!(
            HdlcDeframer::new(LAX).push_frames(&hdlc_frame),
            vec![payload.clone()]
        );
        assert_eq!(
            KissDeframer::new(LAX).push_frames(&kiss_frame),
            vec![payload]
        );
    }
}

fn stream_case() -> (Vec<u8>, Vec<Vec<u8>>) {
    let file = file();
    let stream = &file["stream"];
    let delivered = stream["frames_delivered"]
        .as_array()
        .unwrap()
        .iter()
        .map(bytes)
        .collect();
    (bytes(&stream["bytes"]), delivered)
}

#[test]
fn stream_in_one_chunk() {
    let (stream, expected) = stream_case();
    let mut d = HdlcDeframer::new(TCP);
    assert_eq!(d.push_frames(&stream), expected);
    let stats = d.stats();
    assert_eq!(stats.delivered, 3);
    // The 10-byte frame is under HEADER_MINSIZE; the flag pairs between frames
    // are empty filler and not counted.
    assert_eq!(stats.runts, 1);
    assert_eq!(stats.oversized, 0);
}

#[test]
fn stream_split_at_every_point() {
    let (stream, expected) = stream_case();
    for cut in 0..=stream.len() {
        let mut d = HdlcDeframer::new(TCP);
        let mut got = d.push_frames(&stream[..cut]);
        got.extend(d.push_frames(&stream[cut..]));
        assert_eq!(got, expected, "cut at {cut}");
    }
}

#[test]
fn stream_byte_by_byte() {
    let (stream, expected) = stream_case();
    let mut d = HdlcDeframer::new(TCP);
    let got: Vec<Vec<u8>> = stream.iter().flat_map(|b| d.push_frames(&[*b])).collect();
    assert_eq!(got, expected);
}

#[test]
fn kiss_stream_of_the_same_payloads() {
    let (_, expected) = stream_case();
    let mut stream = b"noise".to_vec();
    for p in &expected {
        stream.extend(kiss::frame(p));
    }
    stream.extend(kiss::frame(&[0x11; 10]));
    let mut d = KissDeframer::new(TCP);
    assert_eq!(d.push_frames(&stream), expected);
    assert_eq!(d.stats().runts, 1);
}
