//! Channels on a link pair under a virtual clock: ordering under loss and
//! reordering, the retry schedule, teardown, wrap-around, the receive window,
//! window growth, and hostile envelopes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;
mod link_support;

use channel_support::Wire;
use link_support::{SeededRng, Setup, Side};
use rns_proto::channel::{MAX_TRIES, WINDOW_MAX, WindowState, send_timeout};
use rns_proto::link::{LinkError, LinkEvent, LinkState, TeardownReason};
use rns_wire::channel::{Envelope, MessageType};
use rns_wire::packet::{Context, PacketType};

const APP_TYPE: u16 = 0x0101;

/// Sends `count` messages A → B as fast as the window allows (stopping once
/// all are delivered) and returns the largest number outstanding at once.
fn send_all(wire: &mut Wire, count: usize, limit: f64) -> usize {
    let mut sent = 0;
    let mut peak = 0;
    let until = wire.now() + limit;
    wire.run_while(until, |w| {
        while sent < count && w.link_mut(Side::A).channel_ready() {
            let payload = format!("message {sent}").into_bytes();
            let seq = w
                .act(Side::A, |l, now, out, rng| {
                    l.channel_send(now, APP_TYPE, &payload, out, rng)
                })
                .unwrap();
            assert_eq!(usize::from(seq), sent % 65536);
            sent += 1;
        }
        peak = peak.max(w.link(Side::A).channel_outstanding());
        sent < count || w.link(Side::A).channel_outstanding() > 0
    });
    assert_eq!(sent, count, "not everything was sent in time");
    peak
}

fn received(wire: &Wire, side: Side) -> Vec<(u16, Vec<u8>)> {
    wire.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            LinkEvent::ChannelMessage {
                sequence, payload, ..
            } => Some((sequence, payload)),
            _ => None,
        })
        .collect()
}

fn delivered(wire: &Wire, side: Side) -> Vec<u16> {
    wire.events_of(side)
        .into_iter()
        .filter_map(|e| match e {
            LinkEvent::ChannelDelivered { sequence, .. } => Some(sequence),
            _ => None,
        })
        .collect()
}

#[test]
fn messages_arrive_in_order_despite_loss_and_reordering() {
    let mut wire = Wire::lossy(Setup::default(), 21, 0.08, 0.3);
    send_all(&mut wire, 200, 900.0);
    let got = received(&wire, Side::B);
    assert_eq!(got.len(), 200);
    for (i, (seq, payload)) in got.iter().enumerate() {
        assert_eq!(usize::from(*seq), i);
        assert_eq!(payload, format!("message {i}").as_bytes());
    }
    let mut proved = delivered(&wire, Side::A);
    proved.sort_unstable();
    assert_eq!(proved, (0..200).collect::<Vec<u16>>());
    // The run really exercised retries and early arrivals.
    let a = wire.link(Side::A).channel_stats();
    let b = wire.link(Side::B).channel_stats();
    assert!(a.retries > 0, "{a:?}");
    assert!(b.duplicates > 0, "{b:?}");
    assert_eq!(wire.link(Side::B).channel_waiting(), 0);
    assert_eq!(wire.link(Side::A).state(), LinkState::Active);
}

#[test]
fn retries_follow_the_timeout_formula_then_the_link_closes() {
    let mut wire = Wire::clean(Setup::default(), 22);
    // B never hears A's channel packets; everything else flows.
    wire.set_fate(Box::new(|_, from, packet, _| {
        (from == Side::B || packet.context != Context::CHANNEL).then_some(0.05)
    }));
    let rtt = wire.link(Side::A).rtt().unwrap();
    let t0 = wire.now();
    for _ in 0..2 {
        wire.act(Side::A, |l, now, out, rng| {
            l.channel_send(now, APP_TYPE, b"lost", out, rng)
        })
        .unwrap();
    }
    // The window starts at 2.
    let busy = wire.act(Side::A, |l, now, out, rng| {
        l.channel_send(now, APP_TYPE, b"third", out, rng)
    });
    assert_eq!(busy, Err(LinkError::ChannelBusy));
    wire.run_for(60.0);

    // Message 0 first went out alone in the ring, message 1 with two; every
    // retry sees both outstanding.
    let schedule = |first_ring: usize| {
        let mut at = t0;
        let mut times = vec![at];
        for tries in 1..=MAX_TRIES {
            let ring = if tries == 1 { first_ring } else { 2 };
            at += send_timeout(tries, rtt, ring);
            times.push(at);
        }
        times
    };
    let (zero, one) = (schedule(1), schedule(2));
    let mut expected: Vec<f64> = zero[..5].iter().chain(&one[..5]).copied().collect();
    expected.sort_by(f64::total_cmp);
    let sent: Vec<f64> = wire
        .net
        .sent_by(Side::A)
        .into_iter()
        .filter(|(_, p)| p.context == Context::CHANNEL)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(sent.len(), 10);
    for (got, want) in sent.iter().zip(&expected) {
        assert!((got - want).abs() < 1e-9, "sent at {got}, expected {want}");
    }
    // Message 0's fifth try times out first: the link gives up then.
    let close_at = zero[5];
    let closes: Vec<f64> = wire
        .net
        .sent_by(Side::A)
        .into_iter()
        .filter(|(_, p)| p.context == Context::LINKCLOSE)
        .map(|(t, _)| t)
        .collect();
    assert_eq!(closes.len(), 1);
    assert!((closes[0] - close_at).abs() < 1e-9);
    assert_eq!(wire.link(Side::A).state(), LinkState::Closed);
    assert_eq!(
        wire.link(Side::A).teardown_reason(),
        Some(TeardownReason::Timeout)
    );
    assert!(matches!(
        wire.events_of(Side::A).last(),
        Some(LinkEvent::Closed {
            reason: TeardownReason::Timeout,
            ..
        })
    ));
    assert_eq!(wire.link(Side::B).state(), LinkState::Closed);
    assert_eq!(wire.link(Side::A).channel_stats().retries, 8);
}

#[test]
fn sequences_wrap_from_65535_to_0() {
    let mut wire = Wire::lossy(Setup::default(), 23, 0.0, 0.2);
    for side in [Side::A, Side::B] {
        wire.link_mut(side).channel_start_sequences_at(65533);
    }
    // Ten sends: the window grows from 2, so several are in flight together.
    let mut sent = Vec::new();
    let until = wire.now() + 60.0;
    wire.run_while(until, |w| {
        while sent.len() < 10 && w.link_mut(Side::A).channel_ready() {
            let n = sent.len() as u8;
            let seq = w
                .act(Side::A, |l, now, out, rng| {
                    l.channel_send(now, APP_TYPE, &[n], out, rng)
                })
                .unwrap();
            sent.push(seq);
        }
        sent.len() < 10 || w.link(Side::A).channel_outstanding() > 0
    });
    let want: Vec<u16> = (0..10u16).map(|i| 65533u16.wrapping_add(i)).collect();
    assert_eq!(sent, want);
    let got = received(&wire, Side::B);
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), want);
    assert_eq!(
        got.iter().map(|(_, p)| p[0]).collect::<Vec<_>>(),
        (0..10).collect::<Vec<u8>>()
    );
}

#[test]
fn the_receiver_drops_what_is_too_far_ahead() {
    let mut wire = Wire::clean(Setup::default(), 24);
    let envelope = |sequence: u16| {
        Envelope {
            msgtype: MessageType(APP_TYPE),
            sequence,
            payload: b"early",
        }
        .encode()
        .unwrap()
    };
    let proofs_by_b = |w: &Wire| {
        w.net
            .sent_by(Side::B)
            .iter()
            .filter(|(_, p)| p.packet_type == PacketType::Proof && p.context == Context::NONE)
            .count()
    };
    let mut rng = SeededRng::new(99);
    let mut seal = |w: &mut Wire, sequence: u16| {
        let plaintext = envelope(sequence);
        let link = w.net.link(Side::A);
        let packet = link
            .seal_for_test(Context::CHANNEL, &plaintext, &mut rng)
            .unwrap();
        packet.encode()
    };
    // One past the window: dropped, unproved, no event.
    let raw = seal(&mut wire, WINDOW_MAX + 1);
    wire.inject(Side::B, &raw);
    assert_eq!(proofs_by_b(&wire), 0);
    assert_eq!(wire.link(Side::B).stats().dropped_unmatched, 1);
    assert_eq!(wire.link(Side::B).channel_waiting(), 0);
    // At the edge of the window: kept and proved, but held for the gap.
    let raw = seal(&mut wire, WINDOW_MAX);
    wire.inject(Side::B, &raw);
    assert_eq!(proofs_by_b(&wire), 1);
    assert_eq!(wire.link(Side::B).channel_waiting(), 1);
    // The same again is a duplicate: proved, not kept twice.
    let raw = seal(&mut wire, WINDOW_MAX);
    wire.inject(Side::B, &raw);
    assert_eq!(proofs_by_b(&wire), 2);
    assert_eq!(wire.link(Side::B).channel_waiting(), 1);
    // Far ahead: dropped.
    let raw = seal(&mut wire, 30_000);
    wire.inject(Side::B, &raw);
    assert_eq!(proofs_by_b(&wire), 2);
    assert_eq!(wire.link(Side::B).stats().dropped_unmatched, 2);
    assert!(received(&wire, Side::B).is_empty());
    // Filling the gap delivers everything in order.
    for sequence in 0..WINDOW_MAX {
        let raw = seal(&mut wire, sequence);
        wire.inject(Side::B, &raw);
    }
    let got = received(&wire, Side::B);
    assert_eq!(got.len(), usize::from(WINDOW_MAX) + 1);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, (s, _))| usize::from(*s) == i)
    );
    assert_eq!(wire.link(Side::B).channel_waiting(), 0);
    // In the past half of the space: a retry, proved again, not handed up.
    let raw = seal(&mut wire, 40_000);
    wire.inject(Side::B, &raw);
    assert_eq!(proofs_by_b(&wire), 2 + usize::from(WINDOW_MAX) + 1);
    assert_eq!(received(&wire, Side::B).len(), usize::from(WINDOW_MAX) + 1);
    assert_eq!(wire.link(Side::B).state(), LinkState::Active);
}

fn window_after(latency: f64, messages: usize, seed: u64) -> (WindowState, WindowState, usize) {
    let setup = Setup {
        latency,
        ..Setup::default()
    };
    let mut wire = Wire::clean(setup, seed);
    let start = wire.link(Side::A).channel_window();
    let peak = send_all(&mut wire, messages, 3600.0);
    (start, wire.link(Side::A).channel_window(), peak)
}

#[test]
fn the_window_grows_to_the_fast_tier_on_a_low_rtt_link() {
    let (start, end, peak) = window_after(0.01, 400, 25);
    assert_eq!(
        start,
        WindowState {
            window: 2,
            min: 2,
            max: 5
        }
    );
    assert_eq!(
        end,
        WindowState {
            window: 48,
            min: 16,
            max: 48
        }
    );
    assert_eq!(peak, 48);
}

#[test]
fn medium_and_slow_links_keep_smaller_windows() {
    let (_, medium, peak) = window_after(0.2, 200, 26);
    assert_eq!(
        medium,
        WindowState {
            window: 12,
            min: 5,
            max: 12
        }
    );
    assert_eq!(peak, 12);
    let (_, slow, peak) = window_after(0.5, 60, 27);
    assert_eq!(
        slow,
        WindowState {
            window: 5,
            min: 2,
            max: 5
        }
    );
    assert_eq!(peak, 5);
    // Above 1.45 s of rtt the window starts at one.
    let (start, _, _) = window_after(0.8, 3, 28);
    assert_eq!(start.window, 1);
}

#[test]
fn application_calls_are_checked() {
    let mut wire = Wire::clean(Setup::default(), 29);
    let mdu = wire.link(Side::A).channel_mdu();
    assert_eq!(mdu, wire.link(Side::A).mdu() - 6);
    let too_big = vec![0u8; mdu + 1];
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.channel_send(now, APP_TYPE, &too_big, out, rng)
    });
    assert_eq!(r, Err(LinkError::TooLarge { size: mdu + 1, mdu }));
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.channel_send(now, 0xF000, b"x", out, rng)
    });
    assert_eq!(r, Err(LinkError::ReservedMessageType(0xF000)));
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.stream_write(now, 0x4000, b"x", false, out, rng)
    });
    assert_eq!(r, Err(LinkError::InvalidStreamId(0x4000)));
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.channel_send(now, APP_TYPE, &vec![1u8; mdu], out, rng)
    });
    assert_eq!(r, Ok(0));
    wire.act(Side::A, |l, now, out, rng| l.close(now, out, rng));
    let r = wire.act(Side::A, |l, now, out, rng| {
        l.channel_send(now, APP_TYPE, b"x", out, rng)
    });
    assert_eq!(r, Err(LinkError::NotActive(LinkState::Closed)));
}
