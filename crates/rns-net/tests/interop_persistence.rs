//! Our node restarts between two reference peers and carries on without any
//! new announce: the path and the ratchet it learned from one peer come back
//! from disk, and the other peer's packet to the ratchet it learned from us
//! before the restart still opens.
//!
//! ```text
//! Python A [TCP server :pa] <--- ours [TCP client -> :pa, TCP server :q] <--- Python B [TCP client -> :q]
//! ```

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop::{PyPeer, RnsConfig, TempDir, field, free_port, to_hex};
use interop_support::*;
use rns_crypto::{OsRng, PrivateIdentity, RatchetSet};
use rns_proto::node::{DestinationSpec, Event, ProofStrategy};
use serde_json::json;

#[test]
fn paths_and_ratchets_survive_our_restart() {
    let name = "ours-restart";
    let tmp = TempDir::new(name);
    let clock = Clock::new(name);
    let (pa, q) = (free_port(), free_port());
    let py_a = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py-a")).tcp_server(pa).write());
    let ours_cfg = RnsConfig::new(tmp.join("ours"))
        .tcp_server(q)
        .tcp_client(pa);
    let ours = OurNode::start(name, &ours_cfg);
    let py_b = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py-b")).tcp_client(q).write());
    ours.wait_online(2);
    py_a.wait_online(2);
    py_b.wait_online(1);
    clock.mark("up");

    // Python A: a ratcheted destination that enforces ratchets.
    let d = py_a.call(
        "destination_in",
        json!({"app": APP, "aspects": [name, "a"], "proof": "all",
               "ratchets": true, "enforce_ratchets": true}),
    );
    let a_hex = field(&d, "destination_hash");
    let a_dest = dest_from_hex(&a_hex);
    py_a.announce_until(&a_hex, b"python a", || ours.has_announce(a_dest));
    let Event::AnnounceReceived { ratchet, hops, .. } = ours.wait_announce(a_dest) else {
        unreachable!()
    };
    let a_ratchet = ratchet.expect("python's announce carries a ratchet");

    // Ours: a ratcheted destination that enforces ratchets, heard by B.
    let id = PrivateIdentity::generate(&mut OsRng);
    let spec = || {
        DestinationSpec::single(id.clone(), APP, &[name, "ours"])
            .with_proof_strategy(ProofStrategy::All)
            .with_ratchets(RatchetSet::new(), true)
    };
    let our_dest = ours.register(spec());
    let od = our_dest.to_hex();
    ours.announce_until(our_dest, b"ours", || {
        py_b.has_event("announce", &[("destination_hash", &od)])
    });
    let our_ratchet = ours
        .run(
            ours.h
                .with_node(move |n, _| n.destination_ratchets(&our_dest)?.newest_public()),
        )
        .unwrap()
        .unwrap();
    clock.mark("announces heard both ways");

    ours.shutdown();
    py_a.clear_events();
    py_b.clear_events();
    let ours = OurNode::start(name, &ours_cfg);
    assert_eq!(ours.register(spec()), our_dest);
    let newest = ours
        .run(
            ours.h
                .with_node(move |n, _| n.destination_ratchets(&our_dest)?.newest_public()),
        )
        .unwrap();
    assert_eq!(newest, Some(our_ratchet), "our ratchet keys were loaded");
    clock.mark("restarted");

    // (i) the path to A is back without an announce, (ii) so is A's ratchet,
    // and our packet opens at A, which accepts only packets to a ratchet.
    let restored = interop::wait_until(T, || {
        ours.run(ours.h.hops_to(a_dest)).unwrap() == Some(hops)
    });
    if !restored {
        ours.fail("the path to python a was not restored");
    }
    let remembered = ours
        .run(ours.h.with_node(move |n, _| n.recall_ratchet(&a_dest)))
        .unwrap()
        .expect("python a's ratchet is remembered");
    assert_eq!(remembered.public, a_ratchet);
    ours.wait_online(1);
    py_a.wait_online(2);
    let receipt = ours
        .run(ours.h.send_packet(a_dest, b"after our restart".to_vec()))
        .unwrap();
    let p = py_a.wait_for("packet", &[("destination_hash", &a_hex)], T);
    assert_eq!(field(&p, "data"), to_hex(b"after our restart"));
    ours.wait_event("python a's proof", |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        Event::ReceiptTimedOut { receipt: r } if *r == receipt => ours.fail("receipt timed out"),
        _ => None,
    });
    clock.mark("restored path and ratchet used");

    // (iii) B sends to the ratchet it learned before our restart; we enforce
    // ratchets, so the packet opens only with the key we reloaded.
    py_b.wait_online(1);
    let r = py_b.call(
        "send_packet",
        json!({"destination_hash": od, "data": to_hex(b"to the old ratchet"),
               "app": APP, "aspects": [name, "ours"]}),
    );
    let ph = field(&r, "packet_hash");
    let got = ours.wait_event("python b's packet", |e| match e {
        Event::PacketReceived {
            destination, data, ..
        } if *destination == our_dest => Some(data.clone()),
        _ => None,
    });
    assert_eq!(got, b"to the old ratchet");
    let rc = py_b.wait_for("receipt", &[("packet_hash", &ph)], T);
    assert_eq!(rc["status"], "delivered", "{rc}");
    clock.mark("python b's packet to our reloaded ratchet proved");

    // Nobody announced anything after the restart.
    assert!(
        !ours
            .events()
            .iter()
            .any(|e| matches!(e, Event::AnnounceReceived { .. })),
        "we heard an announce after the restart"
    );
    assert!(
        !py_b.has_event("announce", &[("destination_hash", &od)]),
        "python b heard our destination again"
    );
    ours.shutdown();
}
