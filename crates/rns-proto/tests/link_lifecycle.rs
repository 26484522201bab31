//! A link over time: keepalives keep an idle link up, a silent peer makes it
//! stale and then closes it, and either end can close it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;

use link_support::{Net, Setup, Side, T0};
use rns_msgpack::Value;
use rns_proto::link::{
    LinkEvent, LinkState, ProofStrategy, RequestFailure, TeardownReason, keepalive_interval,
};
use rns_wire::link::Keepalive;
use rns_wire::packet::Context;

fn keepalives(net: &Net, side: Side) -> Vec<(f64, Keepalive)> {
    net.sent_by(side)
        .into_iter()
        .filter(|(_, p)| p.context == Context::KEEPALIVE)
        .map(|(t, p)| (t, Keepalive::decode(&p.data).unwrap()))
        .collect()
}

#[test]
fn keepalive_interval_follows_the_rtt() {
    assert_eq!(keepalive_interval(0.0), 5.0);
    assert_eq!(keepalive_interval(0.01), 5.0);
    assert!((keepalive_interval(0.1) - 0.1 * 360.0 / 1.75).abs() < 1e-9);
    assert_eq!(keepalive_interval(1.75), 360.0);
    assert_eq!(keepalive_interval(30.0), 360.0);
}

#[test]
fn keepalives_keep_an_idle_link_up_for_half_an_hour() {
    let mut net = Net::established(Setup::default(), 21);
    // The initiator last heard the responder when the proof arrived.
    let heard = T0 + 2.0 * net.latency;
    let interval = net.link(Side::A).keepalive_interval();
    assert_eq!(interval, net.link(Side::B).keepalive_interval());
    net.run_for(30.0 * 60.0);
    for side in [Side::A, Side::B] {
        assert_eq!(net.link(side).state(), LinkState::Active, "{side:?}");
        assert!(net.events_of(side).is_empty(), "{:?}", net.events_of(side));
    }
    let pings = keepalives(&net, Side::A);
    let pongs = keepalives(&net, Side::B);
    assert!(pings.iter().all(|(_, k)| *k == Keepalive::Request));
    assert!(pongs.iter().all(|(_, k)| *k == Keepalive::Response));
    // One ping per interval (plus the answer's latency), each answered.
    let expected = (30.0 * 60.0 / (interval + 2.0 * net.latency)) as usize;
    assert!(
        pings.len().abs_diff(expected) <= 1,
        "{} vs {expected}",
        pings.len()
    );
    assert_eq!(pongs.len(), pings.len());
    // The first ping goes out one interval after the last thing heard.
    assert_eq!(pings[0].0, heard + interval);
}

#[test]
fn a_busy_responder_does_not_answer_keepalives() {
    let mut net = Net::established(Setup::default(), 22);
    // The initiator proves the responder's data, so the responder hears back.
    net.link_mut(Side::A).set_proof_strategy(ProofStrategy::All);
    let interval = net.link(Side::A).keepalive_interval();
    // The responder sends something every half interval: the initiator keeps
    // hearing from it, so it never pings, and would get no answer if it did.
    let end = net.now + 10.0 * interval;
    while net.now < end {
        net.act(Side::B, |l, now, out, rng| l.send(now, b"tick", out, rng))
            .unwrap();
        net.run_for(interval / 2.0);
    }
    assert!(keepalives(&net, Side::A).is_empty());
    // A ping arriving now (from the initiator, out of turn) is not answered.
    net.act(Side::B, |l, now, out, rng| l.send(now, b"tick", out, rng))
        .unwrap();
    let ping = rns_wire::link::link_packet(
        net.link(Side::B).id(),
        Context::KEEPALIVE,
        Keepalive::Request.encode().to_vec(),
    );
    net.deliver(Side::B, &ping.encode());
    assert!(keepalives(&net, Side::B).is_empty());
    assert_eq!(net.link(Side::B).state(), LinkState::Active);
}

#[test]
fn a_silent_responder_makes_the_link_stale_then_closed() {
    let mut net = Net::established(Setup::default(), 23);
    let heard = T0 + 2.0 * net.latency; // the proof arrived at the initiator
    let a = net.link(Side::A);
    let (interval, rtt) = (a.keepalive_interval(), a.rtt().unwrap());
    net.muted[1] = true;
    let stale_at = heard + 2.0 * interval;
    net.run_until(stale_at - 0.001);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
    net.run_until(stale_at);
    assert_eq!(net.link(Side::A).state(), LinkState::Stale);
    let closed_at = stale_at + rtt * 4.0 + 5.0;
    assert_eq!(net.link(Side::A).next_deadline(), Some(closed_at));
    net.run_until(closed_at - 0.001);
    assert_eq!(net.link(Side::A).state(), LinkState::Stale);
    net.run_until(closed_at);
    assert_eq!(net.link(Side::A).state(), LinkState::Closed);
    let id = net.link(Side::A).id();
    assert_eq!(
        net.events_of(Side::A),
        [LinkEvent::Closed {
            link_id: id,
            reason: TeardownReason::Timeout
        }]
    );
    // It said goodbye: the last packet is a LINKCLOSE, and the responder, which
    // can still hear, closes too (on the initiator's word).
    let (at, last) = net.sent_by(Side::A).pop().unwrap();
    assert_eq!((at, last.context), (closed_at, Context::LINKCLOSE));
    net.run_for(1.0);
    assert_eq!(
        net.events_of(Side::B),
        [LinkEvent::Closed {
            link_id: id,
            reason: TeardownReason::InitiatorClosed
        }]
    );
}

#[test]
fn a_silent_initiator_makes_the_responder_close_too() {
    let mut net = Net::established(Setup::default(), 24);
    let heard = T0 + 3.0 * net.latency; // the LRRTT arrived at the responder
    let b = net.link(Side::B);
    let (interval, rtt) = (b.keepalive_interval(), b.rtt().unwrap());
    net.muted[0] = true;
    let closed_at = heard + 2.0 * interval + rtt * 4.0 + 5.0;
    net.run_until(closed_at - 0.001);
    assert_eq!(net.link(Side::B).state(), LinkState::Stale);
    net.run_until(closed_at);
    assert_eq!(net.link(Side::B).state(), LinkState::Closed);
    assert_eq!(
        net.link(Side::B).teardown_reason(),
        Some(TeardownReason::Timeout)
    );
}

#[test]
fn a_stale_link_recovers_when_the_peer_speaks() {
    let mut net = Net::established(Setup::default(), 25);
    let interval = net.link(Side::A).keepalive_interval();
    net.muted[1] = true;
    net.run_for(2.0 * interval);
    assert_eq!(net.link(Side::A).state(), LinkState::Stale);
    net.muted[1] = false;
    net.act(Side::B, |l, now, out, rng| l.send(now, b"back", out, rng))
        .unwrap();
    net.run_for(1.0);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
    net.run_for(10.0 * interval);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
}

fn close_from(closer: Side) -> (Net, TeardownReason) {
    let mut net = Net::established(Setup::default(), 26);
    let pending = net
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/slow", Value::Nil, None, out, rng)
        })
        .unwrap();
    net.run_for(net.latency / 2.0);
    net.act(closer, |l, now, out, rng| l.close(now, out, rng));
    net.run_for(1.0);
    let reason = net.link(Side::A).teardown_reason().unwrap();
    let id = net.link(Side::A).id();
    for side in [Side::A, Side::B] {
        assert_eq!(net.link(side).state(), LinkState::Closed);
        assert_eq!(net.link(side).teardown_reason(), Some(reason));
        assert_eq!(net.link(side).next_deadline(), None);
        let events = net.events_of(side);
        assert_eq!(
            events.last(),
            Some(&LinkEvent::Closed {
                link_id: id,
                reason
            })
        );
    }
    // The request could not be answered any more.
    assert!(net.events_of(Side::A).contains(&LinkEvent::RequestFailed {
        link_id: id,
        request_id: pending,
        reason: RequestFailure::LinkClosed
    }));
    (net, reason)
}

#[test]
fn closing_names_whoever_closed() {
    assert_eq!(close_from(Side::A).1, TeardownReason::InitiatorClosed);
    assert_eq!(close_from(Side::B).1, TeardownReason::DestinationClosed);
}

#[test]
fn a_closed_link_stays_closed() {
    let (mut net, _) = close_from(Side::B);
    let before = net.sent.len();
    net.act(Side::A, |l, now, out, rng| l.close(now, out, rng));
    net.run_for(3600.0);
    assert_eq!(net.sent.len(), before);
    assert_eq!(
        net.events_of(Side::A)
            .iter()
            .filter(|e| matches!(e, LinkEvent::Closed { .. }))
            .count(),
        1
    );
}

#[test]
fn closing_while_pending_sends_nothing() {
    let mut net = Net::new(Setup::default(), 27);
    let before = net.sent_by(Side::A).len();
    net.act(Side::A, |l, now, out, rng| l.close(now, out, rng));
    assert_eq!(net.sent_by(Side::A).len(), before);
    assert_eq!(net.link(Side::A).state(), LinkState::Closed);
    // The responder's proof then finds a closed link and is dropped.
    net.run_for(1.0);
    assert_eq!(net.link(Side::A).stats().dropped_state, 1);
}

/// Interop finding: the 1.5.7 responder skips answering a ping that comes
/// less than a whole interval after its own last packet. If the next ping is
/// then due a moment after the stale time (the first one went out a little
/// late), the initiator must still ping as it goes stale, or the responder
/// never speaks again and the link times out.
#[test]
fn an_unanswered_ping_followed_by_a_late_timer_does_not_kill_the_link() {
    let mut net = Net::established(Setup::default(), 26);
    let heard = T0 + 2.0 * net.latency;
    let interval = net.link(Side::A).keepalive_interval();
    // The first ping goes out 10 ms late and gets no answer (here: it is
    // lost, so the responder stays silent, as a 1.5.7 responder that skips
    // it does).
    net.run_until(heard + interval - 0.001);
    net.muted[0] = true;
    net.now = heard + interval + 0.01;
    net.act(Side::A, |l, now, out, rng| l.handle_timeout(now, out, rng));
    net.muted[0] = false;
    // The stale time (heard + 2 intervals) comes before the next ping would.
    net.run_until(heard + 2.0 * interval);
    let pings = keepalives(&net, Side::A);
    assert_eq!(pings.len(), 2, "{pings:?}");
    assert_eq!(
        pings[1].0,
        heard + 2.0 * interval,
        "pinged as it went stale"
    );
    net.run_for(10.0 * interval);
    assert_eq!(net.link(Side::A).state(), LinkState::Active);
    assert!(
        net.events_of(Side::A).is_empty(),
        "{:?}",
        net.events_of(Side::A)
    );
}
