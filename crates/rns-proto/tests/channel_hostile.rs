//! Hostile channel traffic into an active link: envelopes that do not parse,
//! reserved types, stream messages that do not decode or that decompress past
//! 16 KiB, and arbitrary plaintexts. Nothing panics, nothing bogus reaches the
//! application, and the link keeps working.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;
mod link_support;

use channel_support::Wire;
use link_support::{SeededRng, Setup, Side};
use proptest::prelude::*;
use rns_proto::channel::MAX_DECOMPRESSED;
use rns_proto::link::{LinkEvent, LinkState};
use rns_wire::channel::{Envelope, MessageType, StreamId, StreamMessage};
use rns_wire::packet::Context;

fn envelope(msgtype: u16, sequence: u16, payload: &[u8]) -> Vec<u8> {
    Envelope {
        msgtype: MessageType(msgtype),
        sequence,
        payload,
    }
    .encode()
    .unwrap()
}

/// Seals `plaintext` with A's key as a CHANNEL packet and hands it to B.
fn inject(wire: &mut Wire, rng: &mut SeededRng, plaintext: &[u8]) {
    let packet = wire
        .link(Side::A)
        .seal_for_test(Context::CHANNEL, plaintext, rng)
        .unwrap();
    wire.inject(Side::B, &packet.encode());
}

fn bz2(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    bzip2::read::BzEncoder::new(data, bzip2::Compression::best())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn stream(compressed: bool, data: &[u8]) -> Vec<u8> {
    StreamMessage {
        stream_id: StreamId::new(5).unwrap(),
        eof: false,
        compressed,
        data,
    }
    .encode()
}

#[test]
fn garbage_is_refused_and_the_link_carries_on() {
    let mut wire = Wire::clean(Setup::default(), 41);
    let mut rng = SeededRng::new(410);
    // Envelopes that do not parse: dropped as malformed, unproved.
    let mut bad_length = envelope(1, 0, b"abc");
    bad_length[5] = 9;
    let mut trailing = envelope(1, 0, b"abc");
    trailing.push(0);
    for plaintext in [vec![], vec![0x01], vec![0; 5], bad_length, trailing] {
        inject(&mut wire, &mut rng, &plaintext);
    }
    assert_eq!(wire.link(Side::B).stats().dropped_malformed, 5);
    // Well-formed envelopes with bad contents take their sequence numbers.
    let bomb = bz2(&vec![0u8; 8 << 20]);
    assert!(bomb.len() < 1000);
    let just_over = bz2(&vec![7u8; MAX_DECOMPRESSED + 1]);
    let at_cap = bz2(&vec![7u8; MAX_DECOMPRESSED]);
    let contents = [
        envelope(0xFF00, 0, &stream(true, &bomb)),
        envelope(0xFF00, 1, &stream(true, &just_over)),
        envelope(0xFF00, 2, &stream(true, b"BZh9 not really")),
        envelope(0xFF00, 3, &[0x80]),
        envelope(0xF123, 4, b"reserved"),
        envelope(0xFF00, 5, &stream(true, &at_cap)),
        envelope(0x0001, 6, b"fine"),
    ];
    for plaintext in &contents {
        inject(&mut wire, &mut rng, plaintext);
    }
    let stats = wire.link(Side::B).channel_stats();
    assert_eq!(stats.bad_stream_messages, 4);
    assert_eq!(stats.unsupported, 1);
    let events: Vec<LinkEvent> = wire
        .events_of(Side::B)
        .into_iter()
        .filter(|e| !matches!(e, LinkEvent::Established { .. }))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(
        &events[0],
        LinkEvent::StreamData { stream_id: 5, data, eof: false, .. } if *data == vec![7u8; MAX_DECOMPRESSED]
    ));
    assert!(matches!(
        &events[1],
        LinkEvent::ChannelMessage { msgtype: 1, sequence: 6, payload, .. } if payload == b"fine"
    ));
    // The link still works both ways.
    wire.act(Side::B, |l, now, out, rng| {
        l.channel_send(now, 9, b"still here", out, rng)
    })
    .unwrap();
    wire.run_for(2.0);
    assert!(wire.events_of(Side::A).iter().any(
        |e| matches!(e, LinkEvent::ChannelMessage { payload, .. } if payload == b"still here")
    ));
    assert_eq!(wire.link(Side::B).state(), LinkState::Active);
}

#[test]
fn channel_packets_that_do_not_decrypt_are_dropped() {
    let mut wire = Wire::clean(Setup::default(), 42);
    let mut rng = SeededRng::new(420);
    let mut packet = wire
        .link(Side::A)
        .seal_for_test(Context::CHANNEL, &envelope(1, 0, b"x"), &mut rng)
        .unwrap();
    let last = packet.data.len() - 1;
    packet.data[last] ^= 1;
    wire.inject(Side::B, &packet.encode());
    assert_eq!(wire.link(Side::B).stats().dropped_undecryptable, 1);
    assert!(wire.events_of(Side::B).is_empty());
}

fn plaintext() -> impl Strategy<Value = Vec<u8>> {
    let raw = proptest::collection::vec(any::<u8>(), 0..600);
    let shaped = (
        prop_oneof![Just(0xFF00u16), Just(0x0001), any::<u16>()],
        prop_oneof![0u16..60, any::<u16>()],
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(msgtype, sequence, compressed, data)| {
            let payload = if msgtype == 0xFF00 {
                let mut p = vec![if compressed { 0x40 } else { 0 }, 1];
                if compressed && data.len() > 4 {
                    p.extend_from_slice(b"BZh9");
                }
                p.extend(data);
                p
            } else {
                data
            };
            envelope(msgtype, sequence, &payload)
        });
    prop_oneof![raw, shaped]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_channel_payloads_never_panic(
        seed in any::<u64>(),
        plaintexts in proptest::collection::vec(plaintext(), 1..24),
    ) {
        let mut wire = Wire::clean(Setup::default(), 43);
        let mut rng = SeededRng::new(seed);
        for p in &plaintexts {
            inject(&mut wire, &mut rng, p);
        }
        wire.run_for(5.0);
        prop_assert_eq!(wire.link(Side::B).state(), LinkState::Active);
        prop_assert!(wire.link(Side::B).channel_waiting() <= 48);
        for e in wire.events_of(Side::B) {
            match e {
                LinkEvent::ChannelMessage { msgtype, .. } => prop_assert!(msgtype < 0xF000),
                LinkEvent::StreamData { data, .. } => prop_assert!(data.len() <= 16 * 1024),
                other => prop_assert!(false, "unexpected event {:?}", other),
            }
        }
    }
}
