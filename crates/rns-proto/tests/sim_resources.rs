//! Resources through the node API: across a transport node, with the
//! application deciding (strategy App), the application proving (proving
//! App), and a cancel of a queued decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use rns_msgpack::Value;
use rns_proto::node::{Event, LinkEvent, ProofStrategy};
use rns_proto::node::{LinkError, NodeError};
use rns_proto::resource::{
    MAX_EFFICIENT_SIZE, MAX_HELD_RESOURCE_PROOFS, ResourceError, ResourcePolicy, ResourceProving,
    ResourceStatus, ResourceStrategy,
};
use sim::{Sim, single_destination};

/// a — t — b, a link from a to b, established.
fn linked(seed: u64) -> (Sim, usize, usize, rns_proto::node::LinkId) {
    let mut sim = Sim::new(seed);
    let a = sim.endpoint("a");
    let t = sim.transport("t");
    let b = sim.endpoint("b");
    sim.connect(a, t, 0.02, 0.0);
    sim.connect(t, b, 0.03, 0.0);
    let db = single_destination(&mut sim, b, seed + 1, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(20.0);
    let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
    let up = sim.run_until_event(a, 30.0, |e| {
        matches!(e, Event::Link(LinkEvent::Established { .. }))
    });
    assert!(up.is_some());
    sim.run_for(1.0);
    (sim, a, b, link)
}

#[test]
fn a_resource_crosses_a_transport_node() {
    let (mut sim, a, b, link) = linked(500);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let meta = Value::from("meta");
    let sent = data.clone();
    let hash = sim
        .with(a, |n, now| {
            n.send_resource(now, &link, sent, Some(meta.clone()), true)
        })
        .unwrap();
    let got = sim.run_until_event(b, 120.0, |e| {
        matches!(e, Event::Link(LinkEvent::ResourceReceived { .. }))
    });
    match got {
        Some(Event::Link(LinkEvent::ResourceReceived {
            hash: h,
            data: d,
            metadata,
            ..
        })) => {
            assert_eq!(h, hash);
            assert!(d == data);
            assert_eq!(metadata, Some(meta));
        }
        other => panic!("{other:?}"),
    }
    let done = sim.run_until_event(a, 30.0, |e| {
        matches!(e, Event::Link(LinkEvent::ResourceConcluded { .. }))
    });
    assert!(matches!(
        done,
        Some(Event::Link(LinkEvent::ResourceConcluded {
            status: ResourceStatus::Complete,
            incoming: false,
            ..
        }))
    ));
}

#[test]
fn the_application_accepts_or_rejects() {
    let (mut sim, a, b, link) = linked(600);
    let policy = ResourcePolicy {
        strategy: ResourceStrategy::App,
        ..ResourcePolicy::default()
    };
    sim.node(b).set_link_resource_policy(&link, policy).unwrap();
    for accept in [true, false] {
        sim.clear_events();
        let hash = sim
            .with(a, |n, now| {
                n.send_resource(now, &link, vec![3u8; 5000], None, false)
            })
            .unwrap();
        let offered = sim.run_until_event(b, 10.0, |e| {
            matches!(e, Event::Link(LinkEvent::ResourceAdvertised { .. }))
        });
        assert!(matches!(
            offered,
            Some(Event::Link(LinkEvent::ResourceAdvertised { hash: h, size: 5000, .. })) if h == hash
        ));
        if accept {
            sim.with(b, |n, now| n.accept_resource(now, &link, &hash))
                .unwrap();
        } else {
            sim.with(b, |n, now| n.reject_resource(now, &link, &hash))
                .unwrap();
        }
        let done = sim.run_until_event(a, 30.0, |e| {
            matches!(e, Event::Link(LinkEvent::ResourceConcluded { .. }))
        });
        let expected = if accept {
            ResourceStatus::Complete
        } else {
            ResourceStatus::Rejected
        };
        assert!(
            matches!(done, Some(Event::Link(LinkEvent::ResourceConcluded { status, .. })) if status == expected),
            "{done:?}"
        );
    }
    // The default policy for new links can be set node-wide.
    sim.node(b).set_default_resource_policy(policy);
    assert_eq!(sim.node(b).default_resource_policy(), policy);
}

/// With `ResourceProving::App` the receiver gets the data at once, but the
/// sender hears of completion only once the receiver's application proves
/// it; earlier segments of a multi-segment resource are proved as they come.
#[test]
fn the_application_proves_when_it_has_kept_the_data() {
    let (mut sim, a, b, link) = linked(700);
    let policy = ResourcePolicy {
        proving: ResourceProving::App,
        ..ResourcePolicy::default()
    };
    sim.node(b).set_link_resource_policy(&link, policy).unwrap();
    // Two segments: the first is proved on arrival or the second never comes.
    let data: Vec<u8> = (0..MAX_EFFICIENT_SIZE as u32 + 5000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let hash = sim
        .with(a, |n, now| {
            n.send_resource(now, &link, data.clone(), None, false)
        })
        .unwrap();
    let got = sim.run_until_event(b, 600.0, |e| {
        matches!(e, Event::Link(LinkEvent::ResourceReceived { .. }))
    });
    assert!(
        matches!(&got, Some(Event::Link(LinkEvent::ResourceReceived { hash: h, data: d, .. })) if *h == hash && *d == data),
        "not received whole"
    );
    // Held: the sender sees no conclusion while the proof waits (well within
    // its grace time of rtt × 3 + 10 s).
    let early = sim.run_until_event(a, 5.0, |e| {
        matches!(e, Event::Link(LinkEvent::ResourceConcluded { .. }))
    });
    assert!(early.is_none(), "concluded before it was proved: {early:?}");
    sim.with(b, |n, now| n.prove_resource(now, &link, &hash))
        .unwrap();
    let done = sim.run_until_event(a, 10.0, |e| {
        matches!(e, Event::Link(LinkEvent::ResourceConcluded { .. }))
    });
    assert!(
        matches!(done, Some(Event::Link(LinkEvent::ResourceConcluded { status: ResourceStatus::Complete, incoming: false, hash: h, .. })) if h == hash),
        "{done:?}"
    );
    // A proof is sent once; an unknown one is a clear error.
    let again = sim.with(b, |n, now| n.prove_resource(now, &link, &hash));
    assert!(
        matches!(again, Err(NodeError::Link(LinkError::Resource(ResourceError::NoHeldProof(h)))) if h == hash),
        "{again:?}"
    );
}

/// Held proofs are bounded per link: past `MAX_HELD_RESOURCE_PROOFS` the
/// oldest are forgotten (their senders time out and would send again).
#[test]
fn held_resource_proofs_are_bounded() {
    let (mut sim, a, b, link) = linked(800);
    let policy = ResourcePolicy {
        proving: ResourceProving::App,
        ..ResourcePolicy::default()
    };
    sim.node(b).set_link_resource_policy(&link, policy).unwrap();
    let mut hashes = Vec::new();
    // The sender runs 8 at a time, each waiting for its proof until it times
    // out: send in batches and let the unproved ones expire in between.
    while hashes.len() < MAX_HELD_RESOURCE_PROOFS + 4 {
        for _ in 0..4 {
            let data = vec![hashes.len() as u8; 1000];
            let hash = sim
                .with(a, |n, now| n.send_resource(now, &link, data, None, false))
                .unwrap();
            let got = sim.run_until_event(b, 30.0, |e| {
                matches!(e, Event::Link(LinkEvent::ResourceReceived { hash: h, .. }) if *h == hash)
            });
            assert!(got.is_some(), "resource {} not received", hashes.len());
            hashes.push(hash);
        }
        sim.run_for(60.0);
    }
    let first = hashes[0];
    let forgotten = sim.with(b, |n, now| n.prove_resource(now, &link, &first));
    assert!(
        matches!(forgotten, Err(NodeError::Link(LinkError::Resource(ResourceError::NoHeldProof(h)))) if h == first),
        "{forgotten:?}"
    );
    let last = hashes[hashes.len() - 1];
    sim.with(b, |n, now| n.prove_resource(now, &link, &last))
        .unwrap();
}
