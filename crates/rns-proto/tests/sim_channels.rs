//! Channels and buffers through the node API: two endpoints on a simulated
//! medium open a link, exchange channel messages and stream a buffer, and see
//! it all as `Event::Link` events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sim;

use rns_proto::link::LinkError;
use rns_proto::node::{Event, LinkEvent, NodeError, ProofStrategy};
use sim::{Sim, single_destination};

fn linked(seed: u64, loss: f64) -> (Sim, usize, usize, rns_proto::node::LinkId) {
    let mut sim = Sim::new(seed);
    let a = sim.endpoint("a");
    let b = sim.endpoint("b");
    let wire = sim.connect(a, b, 0.02, 0.0);
    let db = single_destination(&mut sim, b, seed + 1, ProofStrategy::None);
    sim.with(b, |n, now| n.announce(now, &db, None)).unwrap();
    sim.run_for(5.0);
    let link = sim.with(a, |n, now| n.open_link(now, &db)).unwrap();
    let ev = sim.run_until_event(a, 10.0, |e| {
        matches!(e, Event::Link(LinkEvent::Established { .. }))
    });
    assert!(ev.is_some(), "no link");
    sim.run_for(1.0);
    sim.set_loss(wire, loss);
    sim.clear_events();
    (sim, a, b, link)
}

#[test]
fn channel_messages_through_the_node() {
    let (mut sim, a, b, link) = linked(300, 0.0);
    let s0 = sim
        .with(a, |n, now| n.channel_send(now, &link, 0x0102, b"one"))
        .unwrap();
    let s1 = sim
        .with(a, |n, now| n.channel_send(now, &link, 0x0102, b"two"))
        .unwrap();
    assert_eq!((s0, s1), (0, 1));
    let busy = sim.with(a, |n, now| n.channel_send(now, &link, 0x0102, b"three"));
    assert_eq!(busy, Err(NodeError::Link(LinkError::ChannelBusy)));
    sim.run_for(2.0);
    let got: Vec<(u16, u16, Vec<u8>)> = sim
        .events(b)
        .filter_map(|e| match e {
            Event::Link(LinkEvent::ChannelMessage {
                link_id,
                msgtype,
                sequence,
                payload,
            }) if *link_id == link => Some((*msgtype, *sequence, payload.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [(0x0102, 0, b"one".to_vec()), (0x0102, 1, b"two".to_vec())]
    );
    let delivered = sim
        .events(a)
        .filter(|e| matches!(e, Event::Link(LinkEvent::ChannelDelivered { .. })))
        .count();
    assert_eq!(delivered, 2);
    // The responder can send on the same channel.
    sim.with(b, |n, now| n.channel_send(now, &link, 0x0103, b"back"))
        .unwrap();
    let ev = sim.run_until_event(a, 2.0, |e| {
        matches!(e, Event::Link(LinkEvent::ChannelMessage { .. }))
    });
    assert!(matches!(
        ev,
        Some(Event::Link(LinkEvent::ChannelMessage {
            msgtype: 0x0103,
            sequence: 0,
            ..
        }))
    ));
    let unknown = rns_crypto::DestinationHash([9; 16]);
    let r = sim.with(a, |n, now| n.channel_send(now, &unknown, 1, b"x"));
    assert_eq!(r, Err(NodeError::UnknownLink(unknown)));
}

#[test]
fn a_stream_over_a_lossy_medium() {
    let (mut sim, a, b, link) = linked(310, 0.05);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let mut written = 0;
    let mut eof = false;
    let deadline = sim.now + 600.0;
    while sim.now < deadline {
        while !eof {
            let rest = &data[written..];
            match sim.with(a, |n, now| n.stream_write(now, &link, 3, rest, true)) {
                Ok(n) => {
                    written += n;
                    eof = written == data.len();
                    if n == 0 {
                        break;
                    }
                }
                Err(NodeError::Link(LinkError::ChannelBusy)) => break,
                Err(e) => panic!("{e}"),
            }
        }
        let done = sim
            .events(b)
            .any(|e| matches!(e, Event::Link(LinkEvent::StreamData { eof: true, .. })));
        if done {
            break;
        }
        // Write more once something got through (or time passed).
        sim.run_until_event(a, 5.0, |e| {
            matches!(e, Event::Link(LinkEvent::ChannelDelivered { .. }))
        });
    }
    let mut got = Vec::new();
    for e in sim.events(b) {
        if let Event::Link(LinkEvent::StreamData {
            link_id,
            stream_id: 3,
            data: d,
            ..
        }) = e
        {
            assert_eq!(*link_id, link);
            got.extend_from_slice(d);
        }
    }
    assert_eq!(got.len(), data.len());
    assert!(got == data);
}
