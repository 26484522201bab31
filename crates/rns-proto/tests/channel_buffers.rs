//! Buffer streams over a link pair: megabyte round trips both ways at once,
//! with and without compressible data, EOF, and the queue's back-pressure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;
mod link_support;

use channel_support::Wire;
use link_support::{Setup, Side};
use rns_proto::channel::STREAM_QUEUE_BYTES;
use rns_proto::link::{LinkError, LinkEvent, LinkState};

const MIB: usize = 1 << 20;

fn tcp_like() -> Setup {
    Setup {
        latency: 0.005,
        initiator_mtu: Some(16_384),
        responder_mtu: Some(16_384),
        ..Setup::default()
    }
}

fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn counter(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// One writer: the data still to write on a stream, written whenever the
/// link takes more (as a driver would on `ChannelDelivered`).
struct Writer {
    side: Side,
    stream_id: u16,
    data: Vec<u8>,
    written: usize,
    eof_sent: bool,
}

impl Writer {
    fn new(side: Side, stream_id: u16, data: Vec<u8>) -> Writer {
        Writer {
            side,
            stream_id,
            data,
            written: 0,
            eof_sent: false,
        }
    }

    fn pump(&mut self, wire: &mut Wire) {
        while !self.eof_sent {
            let rest = &self.data[self.written..];
            let (id, side) = (self.stream_id, self.side);
            let r = wire.act(side, |l, now, out, rng| {
                l.stream_write(now, id, rest, true, out, rng)
            });
            match r {
                Ok(n) => {
                    self.written += n;
                    if self.written == self.data.len() {
                        self.eof_sent = true;
                    }
                    if n == 0 {
                        return;
                    }
                }
                Err(LinkError::ChannelBusy) => return,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// What `side` received on `stream_id`, and how many EOFs (and whether the
/// last event carried it).
fn stream(wire: &Wire, side: Side, stream_id: u16) -> (Vec<u8>, usize, bool) {
    let mut data = Vec::new();
    let mut eofs = 0;
    let mut last_eof = false;
    for e in wire.events_of(side) {
        if let LinkEvent::StreamData {
            stream_id: id,
            data: d,
            eof,
            ..
        } = e
            && id == stream_id
        {
            data.extend_from_slice(&d);
            eofs += usize::from(eof);
            last_eof = eof;
        }
    }
    (data, eofs, last_eof)
}

/// A and B each stream their data to the other at the same time.
fn both_ways(setup: Setup, seed: u64, to_b: Vec<u8>, to_a: Vec<u8>, limit: f64) -> Wire {
    let mut wire = Wire::clean(setup, seed);
    let mut writers = [
        Writer::new(Side::A, 7, to_b.clone()),
        Writer::new(Side::B, 16_383, to_a.clone()),
    ];
    let until = wire.now() + limit;
    let done = wire.run_while(until, |w| {
        for writer in &mut writers {
            writer.pump(w);
        }
        let idle = |s: Side| w.link(s).channel_outstanding() == 0 && w.link(s).stream_queued() == 0;
        !(writers.iter().all(|w| w.eof_sent) && idle(Side::A) && idle(Side::B))
    });
    assert!(
        done,
        "the transfer did not finish in {limit} s of virtual time"
    );
    for (side, id, want) in [(Side::B, 7, &to_b), (Side::A, 16_383, &to_a)] {
        let (got, eofs, last_eof) = stream(&wire, side, id);
        assert_eq!(got.len(), want.len());
        assert!(got == *want, "stream {id} arrived corrupted");
        assert_eq!((eofs, last_eof), (1, true));
    }
    for side in [Side::A, Side::B] {
        assert_eq!(wire.link(side).state(), LinkState::Active);
        assert_eq!(wire.link(side).channel_stats().bad_stream_messages, 0);
    }
    wire
}

/// STREAM_DATA messages that `from` got through to the other side.
fn messages_sent(wire: &Wire, from: Side) -> usize {
    let to = if from == Side::A { Side::B } else { Side::A };
    wire.events_of(to)
        .iter()
        .filter(|e| matches!(e, LinkEvent::StreamData { .. }))
        .count()
}

#[test]
fn a_mebibyte_of_noise_both_ways() {
    let wire = both_ways(tcp_like(), 31, noise(1, MIB), noise(2, MIB), 600.0);
    // Noise does not compress: one message per (channel mdu − 2) bytes.
    let per_message = wire.link(Side::A).channel_mdu() - 2;
    assert_eq!(messages_sent(&wire, Side::A), MIB.div_ceil(per_message));
}

#[test]
fn a_mebibyte_of_compressible_data_both_ways() {
    let wire = both_ways(tcp_like(), 32, counter(MIB), counter(MIB), 600.0);
    // Every message carries a full 16 KiB chunk, compressed.
    assert_eq!(messages_sent(&wire, Side::A), MIB / (16 * 1024));
}

#[test]
fn a_mebibyte_both_ways_at_the_base_mtu() {
    let setup = Setup {
        latency: 0.01,
        ..Setup::default()
    };
    // Half noise, half compressible, so both forms alternate in one stream.
    let mut mixed = noise(3, MIB / 2);
    mixed.extend(counter(MIB / 2));
    let wire = both_ways(setup, 33, mixed, counter(MIB), 1200.0);
    assert_eq!(wire.link(Side::A).mtu(), 500);
}

#[test]
fn eof_alone_and_after_data() {
    let mut wire = Wire::clean(tcp_like(), 34);
    let n = wire
        .act(Side::A, |l, now, out, rng| {
            l.stream_write(now, 1, b"hello", false, out, rng)
        })
        .unwrap();
    assert_eq!(n, 5);
    let n = wire
        .act(Side::A, |l, now, out, rng| {
            l.stream_write(now, 1, b"", true, out, rng)
        })
        .unwrap();
    assert_eq!(n, 0);
    // Writing nothing without EOF sends nothing.
    wire.act(Side::A, |l, now, out, rng| {
        l.stream_write(now, 2, b"", false, out, rng)
    })
    .unwrap();
    wire.run_for(1.0);
    let events: Vec<(u16, Vec<u8>, bool)> = wire
        .events_of(Side::B)
        .into_iter()
        .filter_map(|e| match e {
            LinkEvent::StreamData {
                stream_id,
                data,
                eof,
                ..
            } => Some((stream_id, data, eof)),
            _ => None,
        })
        .collect();
    assert_eq!(events, [(1, b"hello".to_vec(), false), (1, vec![], true)]);
}

#[test]
fn the_stream_queue_pushes_back() {
    let mut wire = Wire::clean(Setup::default(), 35);
    let data = noise(4, 2 * STREAM_QUEUE_BYTES);
    let n = wire
        .act(Side::A, |l, now, out, rng| {
            l.stream_write(now, 1, &data, true, out, rng)
        })
        .unwrap();
    // The queue took its capacity, then the window two messages from it.
    assert_eq!(n, STREAM_QUEUE_BYTES);
    let first_two = 2 * (wire.link(Side::A).channel_mdu() - 2);
    assert_eq!(wire.link(Side::A).stream_capacity(), first_two);
    let m = wire
        .act(Side::A, |l, now, out, rng| {
            l.stream_write(now, 1, &data[n..], true, out, rng)
        })
        .unwrap();
    assert_eq!(m, first_two);
    assert_eq!(wire.link(Side::A).stream_capacity(), 0);
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.stream_write(now, 1, &data[n + m..], true, out, rng)
    });
    assert_eq!(r, Err(LinkError::ChannelBusy));
    // Deliveries drain the queue without any further call.
    wire.run_for(5.0);
    assert!(wire.link(Side::A).stream_capacity() > 0);
    let (got, eofs, _) = stream(&wire, Side::B, 1);
    assert_eq!(eofs, 0);
    assert_eq!(got, data[..got.len()]);
}
