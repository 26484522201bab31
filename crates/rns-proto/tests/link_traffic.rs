//! Traffic on an established link: identify, data with delivery proofs, and
//! requests with responses, in both directions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;

use link_support::{Net, Setup, Side};
use rns_crypto::{PacketHash, PrivateIdentity};
use rns_msgpack::Value;
use rns_proto::link::{
    LinkError, LinkEvent, LinkState, MAX_PENDING_REQUESTS, MAX_RECEIPTS, MIN_RECEIPT_TIMEOUT,
    ProofStrategy, RequestFailure, RequestId,
};
use rns_wire::request::path_hash;

fn pair() -> Net {
    let mut net = Net::established(Setup::default(), 11);
    // The reference's initiator proves nothing by default; opt in for these tests.
    net.link_mut(Side::A).set_proof_strategy(ProofStrategy::All);
    net
}

#[test]
fn identify_reveals_the_initiator() {
    let mut net = pair();
    let me = PrivateIdentity::generate(&mut net.rng);
    net.act(Side::A, |l, now, out, rng| l.identify(now, &me, out, rng))
        .unwrap();
    net.run_for(1.0);
    let id = net.link(Side::B).id();
    assert_eq!(
        net.events_of(Side::B),
        [LinkEvent::Identified {
            link_id: id,
            identity: me.public().clone()
        }]
    );
    assert_eq!(net.link(Side::B).remote_identity(), Some(me.public()));
    assert_eq!(net.link(Side::A).remote_identity(), None);
    // Only the initiator identifies.
    let err = net.act(Side::B, |l, now, out, rng| l.identify(now, &me, out, rng));
    assert_eq!(err, Err(LinkError::NotInitiator));
}

#[test]
fn data_flows_both_ways_with_delivery_proofs() {
    let mut net = pair();
    let rtt = net.link(Side::A).rtt().unwrap();
    for (from, to) in [(Side::A, Side::B), (Side::B, Side::A)] {
        net.events.clear();
        let payload = format!("hello from {from:?}").into_bytes();
        let hash = net
            .act(from, |l, now, out, rng| l.send(now, &payload, out, rng))
            .unwrap();
        assert_eq!(net.link(from).outstanding_receipts(), 1);
        net.run_for(1.0);
        let id = net.link(to).id();
        assert_eq!(
            net.events_of(to),
            [LinkEvent::Data {
                link_id: id,
                data: payload,
                packet_hash: hash
            }]
        );
        match net.events_of(from).as_slice() {
            [
                LinkEvent::Delivered {
                    packet_hash,
                    rtt: measured,
                    ..
                },
            ] => {
                assert_eq!(*packet_hash, hash);
                assert!((measured - rtt).abs() < 1e-6);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(net.link(from).outstanding_receipts(), 0);
    }
}

#[test]
fn unproved_data_fails_its_receipt() {
    let mut net = Net::established(Setup::default(), 12);
    // The initiator keeps the reference's default: it proves nothing.
    assert_eq!(net.link(Side::A).proof_strategy(), ProofStrategy::None);
    let sent_at = net.now;
    let hash = net
        .act(Side::B, |l, now, out, rng| {
            l.send(now, b"unproved", out, rng)
        })
        .unwrap();
    let timeout = (net.link(Side::B).rtt().unwrap() * 6.0).max(MIN_RECEIPT_TIMEOUT);
    assert_eq!(net.link(Side::B).next_deadline(), Some(sent_at + timeout));
    net.run_for(timeout + 0.001);
    let id = net.link(Side::B).id();
    assert_eq!(
        net.events_of(Side::B),
        [LinkEvent::DeliveryFailed {
            link_id: id,
            packet_hash: hash
        }]
    );
    assert!(matches!(net.events_of(Side::A)[0], LinkEvent::Data { .. }));
}

#[test]
fn app_proof_strategy_proves_on_request() {
    let setup = Setup {
        responder_strategy: ProofStrategy::App,
        ..Setup::default()
    };
    let mut net = Net::established(setup, 13);
    let hash = net
        .act(Side::A, |l, now, out, rng| {
            l.send(now, b"prove me", out, rng)
        })
        .unwrap();
    net.run_for(net.latency);
    assert!(net.events_of(Side::A).is_empty());
    let received = match net.events_of(Side::B).as_slice() {
        [LinkEvent::Data { packet_hash, .. }] => *packet_hash,
        other => panic!("{other:?}"),
    };
    net.act(Side::B, |l, now, out, _| l.prove(now, &received, out))
        .unwrap();
    net.run_for(1.0);
    assert!(matches!(
        net.events_of(Side::A).as_slice(),
        [LinkEvent::Delivered { packet_hash, .. }] if *packet_hash == hash
    ));
}

/// Answers every request each side receives with its own data (an echo).
fn echo(net: &mut Net) {
    let received: Vec<(Side, RequestId, Value)> = net
        .events
        .iter()
        .filter_map(|(_, side, e)| match e {
            LinkEvent::RequestReceived {
                request_id, data, ..
            } => Some((*side, *request_id, data.clone())),
            _ => None,
        })
        .collect();
    for (side, id, data) in received {
        net.act(side, |l, now, out, rng| l.respond(now, id, data, out, rng))
            .unwrap();
    }
}

#[test]
fn requests_are_answered_both_ways() {
    let mut net = pair();
    for (from, to) in [(Side::A, Side::B), (Side::B, Side::A)] {
        net.events.clear();
        let data = Value::Array(vec![Value::Str(format!("{from:?}")), Value::UInt(7)]);
        let requested_at = net.now;
        let id = net
            .act(from, |l, now, out, rng| {
                l.request(now, "/echo", data.clone(), None, out, rng)
            })
            .unwrap();
        assert_eq!(net.link(from).pending_requests(), 1);
        net.run_for(net.latency);
        match net.events_of(to).as_slice() {
            [
                LinkEvent::RequestReceived {
                    request_id,
                    path_hash: path,
                    data: got,
                    requested_at: at,
                    remote_identity,
                    ..
                },
            ] => {
                assert_eq!((*request_id, *path, got), (id, path_hash("/echo"), &data));
                assert_eq!((*at, remote_identity), (requested_at, &None));
            }
            other => panic!("{other:?}"),
        }
        echo(&mut net);
        net.run_for(1.0);
        let link_id = net.link(from).id();
        assert_eq!(
            net.events_of(from),
            [LinkEvent::ResponseReceived {
                link_id,
                request_id: id,
                response: data
            }]
        );
        assert_eq!(net.link(from).pending_requests(), 0);
    }
}

#[test]
fn requests_carry_the_identified_identity() {
    let mut net = pair();
    let me = PrivateIdentity::generate(&mut net.rng);
    net.act(Side::A, |l, now, out, rng| l.identify(now, &me, out, rng))
        .unwrap();
    net.act(Side::A, |l, now, out, rng| {
        l.request(now, "/who", Value::Nil, None, out, rng)
    })
    .unwrap();
    net.run_for(1.0);
    let identities: Vec<_> = net
        .events_of(Side::B)
        .into_iter()
        .filter_map(|e| match e {
            LinkEvent::RequestReceived {
                remote_identity, ..
            } => Some(remote_identity),
            _ => None,
        })
        .collect();
    assert_eq!(identities, [Some(me.public().clone())]);
}

#[test]
fn unanswered_requests_time_out() {
    let mut net = pair();
    let rtt = net.link(Side::A).rtt().unwrap();
    let sent = net.now;
    let id = net
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/silence", Value::Nil, None, out, rng)
        })
        .unwrap();
    let explicit = net
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/silence", Value::Nil, Some(2.0), out, rng)
        })
        .unwrap();
    let default_timeout = rtt * 6.0 + 11.25;
    net.run_until(sent + 2.0);
    let link_id = net.link(Side::A).id();
    let failed = |request_id| LinkEvent::RequestFailed {
        link_id,
        request_id,
        reason: RequestFailure::Timeout,
    };
    assert_eq!(net.events_of(Side::A), [failed(explicit)]);
    net.run_until(sent + default_timeout - 0.01);
    assert_eq!(net.events_of(Side::A).len(), 1);
    net.run_until(sent + default_timeout);
    assert_eq!(net.events_of(Side::A), [failed(explicit), failed(id)]);
    // A late response is dropped as unmatched.
    echo(&mut net);
    net.run_for(1.0);
    assert_eq!(net.events_of(Side::A).len(), 2);
    assert_eq!(net.link(Side::A).stats().dropped_unmatched, 2);
}

#[test]
fn oversized_requests_and_responses_go_as_resources() {
    let mut net = pair();
    let mdu = net.link(Side::A).mdu();
    let big = Value::bin(vec![0u8; mdu]);
    let request = net
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/big", big.clone(), None, out, rng)
        })
        .unwrap();
    assert_eq!(net.link(Side::A).pending_requests(), 1);
    net.act(Side::B, |l, now, out, rng| {
        l.respond(now, RequestId([1; 16]), big.clone(), out, rng)
    })
    .unwrap();
    net.run_for(5.0);
    assert!(net.events_of(Side::B).iter().any(|e| matches!(
        e,
        LinkEvent::RequestReceived { request_id, .. } if *request_id == request
    )));
    // Plain data still has to fit one packet.
    let err = net.act(Side::A, |l, now, out, rng| {
        l.send(now, &vec![0u8; mdu + 1], out, rng)
    });
    assert!(matches!(err, Err(LinkError::TooLarge { mdu: m, .. }) if m == mdu));
}

#[test]
fn pending_requests_are_bounded() {
    let mut net = pair();
    for _ in 0..MAX_PENDING_REQUESTS {
        net.act(Side::A, |l, now, out, rng| {
            l.request(now, "/x", Value::Nil, None, out, rng)
        })
        .unwrap();
    }
    let err = net.act(Side::A, |l, now, out, rng| {
        l.request(now, "/x", Value::Nil, None, out, rng)
    });
    assert_eq!(err, Err(LinkError::TooManyRequests(MAX_PENDING_REQUESTS)));
}

#[test]
fn receipts_are_bounded_oldest_first() {
    let mut net = Net::established(Setup::default(), 14);
    net.muted[0] = true; // nothing reaches the responder: no proofs come back
    let mut hashes: Vec<PacketHash> = Vec::new();
    for i in 0..=MAX_RECEIPTS {
        net.now += 1e-6;
        let data = i.to_be_bytes();
        let hash = net
            .act(Side::A, |l, now, out, rng| l.send(now, &data, out, rng))
            .unwrap();
        hashes.push(hash);
    }
    assert_eq!(net.link(Side::A).outstanding_receipts(), MAX_RECEIPTS);
    let link_id = net.link(Side::A).id();
    assert_eq!(
        net.events_of(Side::A),
        [LinkEvent::DeliveryFailed {
            link_id,
            packet_hash: hashes[0]
        }]
    );
}

#[test]
fn application_calls_need_an_established_link() {
    let mut net = Net::new(Setup::default(), 15);
    let err = net.act(Side::A, |l, now, out, rng| l.send(now, b"early", out, rng));
    assert_eq!(err, Err(LinkError::NotActive(LinkState::Pending)));
    let err = net.act(Side::B, |l, now, out, rng| {
        l.request(now, "/", Value::Nil, None, out, rng)
    });
    assert_eq!(err, Err(LinkError::NotActive(LinkState::Handshake)));
    let me = PrivateIdentity::generate(&mut net.rng);
    let err = net.act(Side::A, |l, now, out, rng| l.identify(now, &me, out, rng));
    assert_eq!(err, Err(LinkError::NotActive(LinkState::Pending)));
    net.run_for(1.0);
    net.act(Side::A, |l, now, out, rng| l.close(now, out, rng));
    let err = net.act(Side::B, |l, now, out, rng| l.send(now, b"late", out, rng));
    net.run_for(1.0);
    assert!(err.is_ok(), "B had not heard of the close yet");
    let err = net.act(Side::B, |l, now, out, rng| l.send(now, b"late", out, rng));
    assert_eq!(err, Err(LinkError::NotActive(LinkState::Closed)));
}
