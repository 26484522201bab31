//! Single packets go out one window at a time (`RouterConfig::packet_window`,
//! or `fast_link_packet_window` on a link that came up fast).

use super::*;

fn link_packets_sent(acts: Vec<Action>) -> Vec<MessageId> {
    acts.into_iter()
        .filter_map(|a| match a {
            Action::SendLinkPacket { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

/// `count` direct messages submitted, then a link that takes `setup`
/// seconds to come up.
fn burst_on_link(s: &mut Setup, count: u8, setup: f64) -> (Vec<MessageId>, DestinationHash) {
    announce(s, T0, None);
    let ids: Vec<MessageId> = (0..count)
        .map(|i| {
            s.router
                .submit(T0, message(s, &[i; 10]), Method::Direct)
                .unwrap()
        })
        .collect();
    let link = DestinationHash([9; 16]);
    actions(&mut s.router);
    s.router.handle_link_opening(T0, &s.peer, Ok(link));
    s.router.handle_link_established(T0 + setup, &link);
    (ids, link)
}

#[test]
fn a_link_that_came_up_fast_gets_the_deeper_window() {
    let config = RouterConfig::default();
    assert!(config.fast_link_packet_window > config.packet_window);
    let mut s = setup();
    let count = config.fast_link_packet_window as u8 + 5;
    let (ids, _) = burst_on_link(&mut s, count, 0.01);
    let first = link_packets_sent(actions(&mut s.router));
    assert_eq!(first, ids[..config.fast_link_packet_window].to_vec());
}

#[test]
fn a_burst_of_link_packets_goes_out_one_window_at_a_time() {
    let mut s = setup();
    // A link that took a second to come up (a slow radio hop).
    let (ids, link) = burst_on_link(&mut s, 20, 1.0);
    let sent = link_packets_sent;
    let window = RouterConfig::default().packet_window;
    let first = sent(actions(&mut s.router));
    assert_eq!(
        first,
        ids[..window].to_vec(),
        "the oldest, one window's worth"
    );
    for (n, id) in first.iter().enumerate() {
        let hash = PacketHash([n as u8; 32]);
        s.router.handle_link_packet_sent(T0, id, &link, Ok(hash));
    }
    // Waiting for the window uses up no attempt.
    let waiting = s.router.status(&ids[window]).unwrap();
    assert_eq!((waiting.state, waiting.attempts), (State::Outbound, 0));

    // One proof lets exactly one more out; a failed proof frees a slot too.
    s.router
        .handle_link_proof(T0 + 0.01, &link, &PacketHash([0; 32]), true);
    assert_eq!(sent(actions(&mut s.router)), vec![ids[window]]);
    s.router
        .handle_link_proof(T0 + 0.02, &link, &PacketHash([1; 32]), false);
    assert_eq!(sent(actions(&mut s.router)), vec![ids[window + 1]]);

    // Cancelling one in flight frees its slot as well.
    assert!(s.router.cancel(T0 + 0.03, &first[2]));
    assert_eq!(sent(actions(&mut s.router)), vec![ids[window + 2]]);

    // A closed link sends everyone, waiting or in flight, back to the queue.
    s.router.handle_link_closed(T0 + 0.04, &link);
    for id in &ids[window + 3..] {
        assert_eq!(s.router.status(id).unwrap().state, State::Outbound);
    }
}

#[test]
fn a_burst_of_opportunistic_messages_is_windowed_per_recipient() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let ids: Vec<MessageId> = (0..12u8)
        .map(|i| {
            s.router
                .submit(T0, message(&s, &[i; 10]), Method::Opportunistic)
                .unwrap()
        })
        .collect();
    let sent = |acts: Vec<Action>| -> Vec<MessageId> {
        acts.into_iter()
            .filter_map(|a| match a {
                Action::SendPacket { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    };
    let window = RouterConfig::default().packet_window;
    let first = sent(actions(&mut s.router));
    assert_eq!(first, ids[..window].to_vec());
    for (n, id) in first.iter().enumerate() {
        s.router.handle_packet_sent(T0, id, Ok(receipt(n as u8)));
    }
    assert_eq!(s.router.status(&ids[window]).unwrap().attempts, 0);
    s.router.handle_receipt(T0 + 0.01, &receipt(0), true);
    assert_eq!(sent(actions(&mut s.router)), vec![ids[window]]);
    // A timed-out receipt frees its slot; its message waits for a retry.
    s.router.handle_receipt(T0 + 6.0, &receipt(1), false);
    assert_eq!(sent(actions(&mut s.router)), vec![ids[window + 1]]);
    assert_eq!(s.router.status(&first[1]).unwrap().state, State::Outbound);
}
