//! Resources between two links in memory: sizes from 1 KiB to 5 MiB both
//! ways, with and without compression and metadata, at MTU 500 and 16384;
//! loss, hashmap exhaustion, cancels, tampered proofs, and requests and
//! responses too large for a packet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;
mod resource_support;

use link_support::Side;
use resource_support::{Pair, data};
use rns_msgpack::Value;
use rns_proto::link::{LinkEvent, RequestFailure};
use rns_proto::resource::{ResourceHash, ResourceStatus};
use rns_wire::packet::Context;
use rns_wire::request::{Request, path_hash, resource_request_id};

/// What the receiver got, and how long it took in virtual seconds.
struct Received {
    data: Vec<u8>,
    metadata: Option<Value>,
    seconds: f64,
}

fn other(side: Side) -> Side {
    match side {
        Side::A => Side::B,
        Side::B => Side::A,
    }
}

/// Sends `payload` from `from` and runs until both ends concluded it.
fn transfer(
    pair: &mut Pair,
    from: Side,
    payload: &[u8],
    metadata: Option<Value>,
    compress: bool,
) -> Received {
    let started = pair.now;
    let hash = pair
        .act(from, |l, now, out, rng| {
            l.send_resource(now, payload.to_vec(), metadata.clone(), compress, out, rng)
        })
        .unwrap();
    let concluded = |p: &Pair, side: Side| {
        p.events_of(side)
            .iter()
            .any(|e| matches!(e, LinkEvent::ResourceConcluded { hash: h, .. } if *h == hash))
    };
    let done = pair.run_while_not(3600.0, |p| concluded(p, from) && concluded(p, other(from)));
    assert!(done, "transfer did not conclude");
    let seconds = pair.now - started;
    let status = |side: Side| {
        pair.events_of(side).into_iter().find_map(|e| match e {
            LinkEvent::ResourceConcluded {
                hash: h, status, ..
            } if h == hash => Some(status),
            _ => None,
        })
    };
    assert_eq!(status(from), Some(ResourceStatus::Complete));
    assert_eq!(status(other(from)), Some(ResourceStatus::Complete));
    let advertised = pair
        .events_of(other(from))
        .into_iter()
        .any(|e| matches!(e, LinkEvent::ResourceAdvertised { hash: h, .. } if h == hash));
    assert!(advertised);
    let (data, metadata) = pair
        .events_of(other(from))
        .into_iter()
        .find_map(|e| match e {
            LinkEvent::ResourceReceived {
                hash: h,
                data,
                metadata,
                ..
            } if h == hash => Some((data, metadata)),
            _ => None,
        })
        .unwrap();
    pair.events.clear();
    Received {
        data,
        metadata,
        seconds,
    }
}

fn meta() -> Value {
    Value::Map(vec![(Value::from("name"), Value::bin(*b"file.bin"))])
}

#[test]
fn small_resources_every_way() {
    for mtu in [None, Some(16_384)] {
        let mut pair = Pair::new(mtu, 1);
        for from in [Side::A, Side::B] {
            for compress in [false, true] {
                for metadata in [None, Some(meta())] {
                    let payload = data(1024, 7, compress);
                    let got = transfer(&mut pair, from, &payload, metadata.clone(), compress);
                    assert_eq!(got.data, payload);
                    assert_eq!(got.metadata, metadata);
                }
            }
        }
    }
}

#[test]
fn empty_and_tiny_resources() {
    let mut pair = Pair::new(None, 2);
    for size in [0, 1, 463, 464, 465] {
        let payload = data(size, 3, false);
        assert_eq!(
            transfer(&mut pair, Side::A, &payload, None, true).data,
            payload
        );
    }
}

#[test]
fn one_mebibyte_is_two_segments() {
    for mtu in [None, Some(16_384)] {
        let mut pair = Pair::new(mtu, 3);
        for (from, compress, metadata) in [
            (Side::A, false, None),
            (Side::B, true, Some(meta())),
            (Side::A, true, None),
            (Side::B, false, Some(meta())),
        ] {
            let payload = data(1024 * 1024, 11, compress);
            let got = transfer(&mut pair, from, &payload, metadata.clone(), compress);
            assert_eq!(got.data, payload);
            assert_eq!(got.metadata, metadata);
        }
    }
}

#[test]
fn five_mebibytes_both_ways() {
    for mtu in [Some(16_384), None] {
        let mut pair = Pair::new(mtu, 4);
        for (from, compress) in [(Side::A, false), (Side::B, true)] {
            let payload = data(5 * 1024 * 1024, 13, compress);
            let wall = std::time::Instant::now();
            let got = transfer(&mut pair, from, &payload, Some(meta()), compress);
            let elapsed = wall.elapsed().as_secs_f64();
            assert_eq!(got.data, payload);
            println!(
                "5 MiB {from:?}->, mtu {mtu:?}, compress {compress}: {:.2} s wall ({:.1} MB/s), {:.1} s virtual",
                elapsed,
                payload.len() as f64 / elapsed / 1e6,
                got.seconds
            );
        }
    }
}

#[test]
fn lost_parts_and_requests_are_recovered() {
    let mut pair = Pair::new(None, 5);
    pair.loss = 0.1;
    pair.lossy = vec![Context::RESOURCE, Context::RESOURCE_REQ];
    let payload = data(150_000, 17, false);
    let got = transfer(&mut pair, Side::A, &payload, None, false);
    assert_eq!(got.data, payload);
    assert!(pair.lost > 10, "only {} lost", pair.lost);
}

#[test]
fn long_resources_need_hashmap_updates() {
    let mut pair = Pair::new(None, 6);
    let updates = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = updates.clone();
    pair.hook = Some(Box::new(move |_, p| {
        if p.context == Context::RESOURCE_HMU {
            counter.set(counter.get() + 1);
        }
        true
    }));
    // 431 parts at MTU 500: six hashmap slices of 74.
    let payload = data(200_000, 19, false);
    assert_eq!(
        transfer(&mut pair, Side::B, &payload, None, false).data,
        payload
    );
    assert!(updates.get() >= 5, "{} updates", updates.get());
}

/// Starts a 1 MiB resource from A and runs a while, then `cancel` ends it.
fn cancelled_midway(canceller: Side) -> (Pair, ResourceHash) {
    let mut pair = Pair::new(None, 7);
    let payload = data(1024 * 1024, 23, false);
    let hash = pair
        .act(Side::A, |l, now, out, rng| {
            l.send_resource(now, payload, None, false, out, rng)
        })
        .unwrap();
    pair.run_for(3.0);
    assert_eq!(pair.link(Side::B).resources_in_progress().1, 1);
    pair.act(canceller, |l, now, out, rng| {
        l.cancel_resource(now, &hash, out, rng)
    })
    .unwrap();
    pair.run_for(5.0);
    (pair, hash)
}

fn conclusion(pair: &Pair, side: Side, hash: ResourceHash) -> Option<ResourceStatus> {
    pair.events_of(side).into_iter().find_map(|e| match e {
        LinkEvent::ResourceConcluded {
            hash: h, status, ..
        } if h == hash => Some(status),
        _ => None,
    })
}

#[test]
fn cancel_from_either_side() {
    for canceller in [Side::A, Side::B] {
        let (pair, hash) = cancelled_midway(canceller);
        let ours = ResourceStatus::Cancelled { by_peer: false };
        let theirs = ResourceStatus::Cancelled { by_peer: true };
        assert_eq!(conclusion(&pair, canceller, hash), Some(ours));
        assert_eq!(conclusion(&pair, other(canceller), hash), Some(theirs));
        assert_eq!(pair.link(Side::A).resources_in_progress(), (0, 0));
        assert_eq!(pair.link(Side::B).resources_in_progress(), (0, 0));
    }
}

#[test]
fn a_tampered_proof_is_not_accepted() {
    let mut pair = Pair::new(None, 8);
    pair.hook = Some(Box::new(|_, p| {
        if p.context == Context::RESOURCE_PRF {
            let last = p.data.len() - 1;
            p.data[last] ^= 1;
        }
        true
    }));
    let hash = pair
        .act(Side::A, |l, now, out, rng| {
            l.send_resource(now, data(5000, 1, false), None, false, out, rng)
        })
        .unwrap();
    pair.run_for(600.0);
    assert_eq!(
        conclusion(&pair, Side::B, hash),
        Some(ResourceStatus::Complete)
    );
    assert!(matches!(
        conclusion(&pair, Side::A, hash),
        Some(ResourceStatus::Failed(_))
    ));
    assert!(pair.link(Side::A).stats().dropped_unauthentic >= 1);
}

#[test]
fn corrupted_parts_are_ignored_and_fetched_again() {
    let mut pair = Pair::new(None, 9);
    let mut flipped = 0;
    pair.hook = Some(Box::new(move |_, p| {
        if p.context == Context::RESOURCE && flipped < 3 {
            flipped += 1;
            p.data[0] ^= 0xFF;
        }
        true
    }));
    let payload = data(20_000, 2, false);
    assert_eq!(
        transfer(&mut pair, Side::A, &payload, None, false).data,
        payload
    );
    assert!(pair.link(Side::B).stats().dropped_unmatched >= 3);
}

#[test]
fn requests_and_responses_too_large_for_a_packet() {
    for mtu in [None, Some(16_384)] {
        let mut pair = Pair::new(mtu, 10);
        let mdu = pair.link(Side::A).mdu();
        let big = Value::bin(data(mdu * 3, 5, false));
        let request_id = pair
            .act(Side::A, |l, now, out, rng| {
                l.request(now, "/big", big.clone(), None, out, rng)
            })
            .unwrap();
        let arrived = |p: &Pair| {
            p.events_of(Side::B)
                .iter()
                .any(|e| matches!(e, LinkEvent::RequestReceived { .. }))
        };
        assert!(pair.run_while_not(30.0, arrived));
        let (id, data_in) = pair
            .events_of(Side::B)
            .into_iter()
            .find_map(|e| match e {
                LinkEvent::RequestReceived {
                    request_id,
                    data,
                    path_hash: p,
                    ..
                } if p == path_hash("/big") => Some((request_id, data)),
                _ => None,
            })
            .expect("the request arrived");
        assert_eq!(id, request_id);
        assert_eq!(data_in, big);
        let answer = Value::bin(vec![9u8; mdu * 5]);
        pair.act(Side::B, |l, now, out, rng| {
            l.respond(now, id, answer.clone(), out, rng)
        })
        .unwrap();
        pair.run_for(10.0);
        let response = pair.events_of(Side::A).into_iter().find_map(|e| match e {
            LinkEvent::ResponseReceived {
                request_id: r,
                response,
                ..
            } if r == request_id => Some(response),
            _ => None,
        });
        assert!(response == Some(answer), "no response");
        assert_eq!(pair.link(Side::A).pending_requests(), 0);
        // No Resource* events for requests and responses.
        assert!(!pair.events.iter().any(|(_, _, e)| matches!(
            e,
            LinkEvent::ResourceReceived { .. } | LinkEvent::ResourceConcluded { .. }
        )));
    }
}

#[test]
fn a_resource_request_is_named_by_the_hash_of_its_packed_form() {
    let mut pair = Pair::new(None, 12);
    let big = Value::bin(vec![1u8; 2000]);
    let id = pair
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/x", big.clone(), None, out, rng)
        })
        .unwrap();
    let packed = Request {
        requested_at: pair.now,
        path_hash: path_hash("/x"),
        data: big,
    }
    .encode();
    assert_eq!(id, resource_request_id(&packed));
}

#[test]
fn a_failed_response_transfer_fails_the_request() {
    let mut pair = Pair::new(None, 13);
    let id = pair
        .act(Side::A, |l, now, out, rng| {
            l.request(now, "/y", Value::Nil, None, out, rng)
        })
        .unwrap();
    pair.run_for(1.0);
    // B's response resource never gets its parts through.
    pair.loss = 1.0;
    pair.lossy = vec![Context::RESOURCE];
    pair.act(Side::B, |l, now, out, rng| {
        l.respond(now, id, Value::bin(vec![0u8; 5000]), out, rng)
    })
    .unwrap();
    pair.run_for(600.0);
    let failed = pair.events_of(Side::A).into_iter().find_map(|e| match e {
        LinkEvent::RequestFailed {
            request_id, reason, ..
        } if request_id == id => Some(reason),
        _ => None,
    });
    assert_eq!(failed, Some(RequestFailure::TransferFailed));
}
