//! Propagated delivery through a node, sync with a node, and tickets.

use super::*;

fn node_app(cost: u8) -> rns_wire::lxmf_app_data::PropagationNodeAppData {
    use rns_wire::lxmf_app_data::{PropagationMetadata, SizeLimit};
    rns_wire::lxmf_app_data::PropagationNodeAppData {
        timebase: 1,
        enabled: true,
        per_transfer_limit_kb: SizeLimit::Int(256),
        per_sync_limit_kb: SizeLimit::Int(10240),
        stamp_cost: cost,
        stamp_flex: 3,
        peering_cost: 18,
        metadata: PropagationMetadata::default(),
    }
}

fn announce_node(s: &mut Setup, node: DestinationHash, cost: u8, hops: u8) {
    let name = name_hash("lxmf.propagation");
    let app = node_app(cost).encode();
    assert!(s.router.handle_announce(T0, &node, &name, Some(&app)));
    s.router.set_node_hops(&node, hops);
}

/// A propagated message up to the point its submission goes on the link.
fn propagated_until_submission(
    s: &mut Setup,
    node: DestinationHash,
) -> (MessageId, LinkId, Vec<u8>, Vec<u8>) {
    let id = s
        .router
        .submit(T0, message(s, b"via node"), Method::Propagated)
        .unwrap();
    let Some(Action::SealMessage {
        message: m,
        destination,
        packed,
    }) = actions(&mut s.router).pop()
    else {
        panic!("no seal")
    };
    assert_eq!((m, destination), (id, s.peer));
    let peer_public = s.peer_identity.public();
    let container = crate::delivery::seal(&packed, peer_public, None, &mut OsRng).unwrap();
    s.router.handle_sealed(T0, &id, Ok(container.clone()));
    let Some(Action::GeneratePropagationStamp {
        transient_id, cost, ..
    }) = actions(&mut s.router).pop()
    else {
        panic!("no propagation stamp search")
    };
    assert_eq!(cost, 4);
    assert_eq!(transient_id, crate::delivery::transient_id(&container));
    let crate::SearchOutcome::Found { stamp, .. } =
        crate::propagation::search_stamp(&container, 4, [0; 32], 1 << 20, &mut || false)
    else {
        panic!("no stamp")
    };
    s.router
        .handle_propagation_stamp(T0, &id, Some(stamp.to_vec()));
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink { destination: node }]
    );
    let link = DestinationHash([7; 16]);
    s.router.handle_link_opening(T0, &node, Ok(link));
    s.router.handle_link_established(T0 + 0.1, &link);
    let Some(Action::SendLinkPacket { message, data, .. }) = actions(&mut s.router).pop() else {
        panic!("no submission")
    };
    assert_eq!(message, id);
    (id, link, container, data)
}

#[test]
fn propagated_is_sealed_stamped_submitted_and_sent_when_the_node_proves_it() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let node = DestinationHash([0x11; 16]);
    announce_node(&mut s, node, 4, 2);
    let (id, link, container, data) = propagated_until_submission(&mut s, node);
    let (_, entries) = crate::propagation::parse_submission(&data).unwrap();
    let ok = crate::propagation::validate_entry(&entries[0], 4).unwrap();
    assert_eq!(ok.container, &container[..]);
    // The recipient can open it, and it is the message we queued.
    let packed = crate::delivery::open(ok.container, &s.peer_identity, &[], false).unwrap();
    assert_eq!(
        crate::unpack(&packed, None).unwrap().message.message_id(),
        &id
    );
    let hash = PacketHash([3; 32]);
    s.router
        .handle_link_packet_sent(T0 + 0.1, &id, &link, Ok(hash));
    s.router.handle_link_proof(T0 + 0.2, &link, &hash, true);
    let st = s.router.status(&id).unwrap();
    assert_eq!(
        (st.state, st.method, st.failure),
        (State::Sent, Method::Propagated, None)
    );
}

#[test]
fn a_node_error_code_fails_the_message_with_it() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let node = DestinationHash([0x11; 16]);
    announce_node(&mut s, node, 4, 1);
    let (id, link, _, _) = propagated_until_submission(&mut s, node);
    let hash = PacketHash([3; 32]);
    s.router
        .handle_link_packet_sent(T0 + 0.1, &id, &link, Ok(hash));
    // What lxmd sends for a bad stamp: msgpack [0xF5].
    assert!(
        s.router
            .handle_link_data(T0 + 0.2, &link, &[0x91, 0xcc, 0xf5])
    );
    let st = s.router.status(&id).unwrap();
    assert_eq!(
        (st.state, st.failure),
        (State::Failed, Some(Failure::PropagationNodeError(0xF5)))
    );
    assert!(!s.router.handle_link_data(T0 + 0.2, &link, b"not msgpack"));
}

#[test]
fn the_nearest_node_is_picked_unless_one_is_chosen() {
    let mut s = setup();
    let (far, near, chosen) = (
        DestinationHash([1; 16]),
        DestinationHash([2; 16]),
        DestinationHash([3; 16]),
    );
    assert_eq!(s.router.propagation_node(), None);
    announce_node(&mut s, far, 16, 5);
    announce_node(&mut s, near, 16, 2);
    assert_eq!(s.router.propagation_node(), Some(near));
    s.router.set_propagation_node(T0, Some(chosen));
    assert_eq!(s.router.propagation_node(), Some(chosen));
    s.router.set_propagation_node(T0, None);
    assert_eq!(s.router.propagation_node(), Some(near));
}

#[test]
fn without_a_node_propagated_fails_with_the_reason() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"x"), Method::Propagated)
        .unwrap();
    while s.router.status(&id).unwrap().state != State::Failed {
        let now = s.router.poll_timeout().unwrap();
        s.router.handle_timeout(now);
        assert!(now < T0 + 3600.0);
    }
    assert_eq!(
        s.router.status(&id).unwrap().failure,
        Some(Failure::NoPropagationNode)
    );
}

#[test]
fn fallback_hands_an_undeliverable_direct_message_to_a_node() {
    let mut s = setup();
    s.router.config.fallback_to_propagated = true;
    s.router.config.max_attempts = 1;
    announce(&mut s, T0, None);
    announce_node(&mut s, DestinationHash([0x11; 16]), 4, 1);
    let id = s
        .router
        .submit(T0, message(&s, b"x"), Method::Direct)
        .unwrap();
    let link = DestinationHash([7; 16]);
    s.router.handle_link_opening(T0, &s.peer.clone(), Ok(link));
    actions(&mut s.router);
    s.router.handle_link_closed(T0 + 1.0, &link);
    let st = s.router.status(&id).unwrap();
    assert_eq!((st.method, st.state), (Method::Propagated, State::Outbound));
    assert!(matches!(
        actions(&mut s.router).last(),
        Some(Action::SealMessage { message, .. }) if *message == id
    ));
}

fn sync_events(r: &mut Router) -> Vec<SyncStatus> {
    std::iter::from_fn(|| r.poll_event())
        .filter_map(|e| match e {
            RouterEvent::Sync(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn sync_request(r: &mut Router) -> Value {
    let acts = actions(r);
    let Some(Action::SyncRequest { path, data, .. }) = acts
        .into_iter()
        .find(|a| matches!(a, Action::SyncRequest { .. }))
    else {
        panic!("no sync request")
    };
    assert_eq!(path, "/get");
    data
}

#[test]
fn sync_lists_downloads_deletes_haves_and_feeds_inbound() {
    use rns_proto::node::RequestId;
    let mut s = setup();
    let node = DestinationHash([0x11; 16]);
    // A message from the peer to us, sealed as a node stores it.
    let me_identity = s.router.local_identity(&s.me).unwrap().public();
    let packed = Message::new(s.me, s.peer, T0, "t", b"stored".to_vec()).sign(&s.peer_identity);
    let container = crate::delivery::seal(packed.packed(), me_identity, None, &mut OsRng).unwrap();
    let tid = crate::delivery::transient_id(&container);
    let bin = |b: &[u8]| Value::Bin(b.to_vec());

    let first = s.router.start_sync(T0, s.me, Some(node)).unwrap();
    assert_eq!(first.state, SyncState::LinkEstablishing);
    assert_eq!(actions(&mut s.router), vec![Action::OpenSyncLink { node }]);
    let link = DestinationHash([8; 16]);
    s.router.handle_sync_link_opening(T0, Ok(link));
    s.router.handle_link_established(T0 + 0.1, &link);
    let acts = actions(&mut s.router);
    assert_eq!(acts[0], Action::IdentifyLink { link, local: s.me });
    let Action::SyncRequest { data, .. } = &acts[1] else {
        panic!("{acts:?}")
    };
    assert_eq!(*data, Value::Array(vec![Value::Nil, Value::Nil]));
    let mut req = 0u8;
    let mut answer = |r: &mut Router, response: Value| {
        req += 1;
        let rid = RequestId([req; 16]);
        r.handle_sync_request_sent(T0, Ok(rid));
        assert!(r.handle_sync_response(T0, &link, &rid, &response));
    };
    // The list: one message we want.
    answer(&mut s.router, Value::Array(vec![bin(&tid)]));
    assert_eq!(
        sync_request(&mut s.router),
        Value::Array(vec![
            Value::Array(vec![bin(&tid)]),
            Value::Array(vec![]),
            Value::UInt(1000)
        ])
    );
    // The download: the container is opened and handed on.
    answer(&mut s.router, Value::Array(vec![bin(&container)]));
    let acts = actions(&mut s.router);
    let Some(Action::ProcessInbound {
        packed: got,
        method,
    }) = acts.first()
    else {
        panic!("{acts:?}")
    };
    assert_eq!(
        (got, *method),
        (&packed.packed().to_vec(), Method::Propagated)
    );
    assert!(matches!(acts.get(1), Some(Action::SyncRequest { .. })));
    // Listed again: now a have, deleted in a last request.
    answer(&mut s.router, Value::Array(vec![bin(&tid)]));
    assert_eq!(
        sync_request(&mut s.router),
        Value::Array(vec![
            Value::Array(vec![]),
            Value::Array(vec![bin(&tid)]),
            Value::UInt(1000)
        ])
    );
    answer(&mut s.router, Value::Array(vec![]));
    let last = sync_events(&mut s.router).pop().unwrap();
    assert_eq!(
        (last.state, last.downloaded, last.skipped, last.failure),
        (SyncState::Complete, 1, 0, None)
    );
    assert_eq!(actions(&mut s.router), vec![Action::CloseLink { link }]);
    // The same container again (another sync, or paper): not handed on.
    assert!(!s.router.take_container(T0, &container, Method::Paper));
}

#[test]
fn sync_failures_carry_a_reason() {
    use rns_proto::node::RequestId;
    let mut s = setup();
    let node = DestinationHash([0x11; 16]);
    // No node at all.
    let st = s.router.start_sync(T0, s.me, None).unwrap();
    assert_eq!(st.failure, Some(SyncFailure::NoPropagationNode));
    // Unknown identity: a path request, then no path in time.
    s.router.start_sync(T0, s.me, Some(node)).unwrap();
    assert!(matches!(
        s.router.start_sync(T0, s.me, Some(node)),
        Err(super::sync::SyncError::Busy)
    ));
    actions(&mut s.router);
    s.router
        .handle_sync_link_opening(T0, Err(ActionError::UnknownIdentity));
    assert_eq!(
        actions(&mut s.router),
        vec![Action::RequestPath { destination: node }]
    );
    let t = s.router.poll_timeout().unwrap();
    s.router.handle_timeout(t);
    let last = sync_events(&mut s.router).pop().unwrap();
    assert_eq!(
        (last.state, last.failure),
        (SyncState::Failed, Some(SyncFailure::NoPath))
    );
    // The node answers with an error code (e.g. no identity).
    s.router.start_sync(T0, s.me, Some(node)).unwrap();
    let link = DestinationHash([8; 16]);
    s.router.handle_sync_link_opening(T0, Ok(link));
    s.router.handle_link_established(T0, &link);
    let rid = RequestId([1; 16]);
    s.router.handle_sync_request_sent(T0, Ok(rid));
    assert!(
        s.router
            .handle_sync_response(T0, &link, &rid, &Value::UInt(0xF0))
    );
    let last = sync_events(&mut s.router).pop().unwrap();
    assert_eq!(last.failure, Some(SyncFailure::NodeError(0xF0)));
    // The link drops mid-sync.
    s.router.start_sync(T0, s.me, Some(node)).unwrap();
    s.router.handle_sync_link_opening(T0, Ok(link));
    s.router.handle_link_established(T0, &link);
    s.router.handle_link_closed(T0, &link);
    let last = sync_events(&mut s.router).pop().unwrap();
    assert_eq!(last.failure, Some(SyncFailure::LinkFailed));
}

#[test]
fn tickets_issued_are_accepted_and_tickets_held_replace_the_stamp() {
    let mut s = setup();
    s.router.locals.get_mut(&s.me).unwrap().stamp_cost = Some(8);
    s.router.config.enforce_stamps = true;
    announce(&mut s, T0, Some(8));
    // Issued: reused while fresh; a stamp made from it is worth COST_TICKET.
    let t = s.router.issue_ticket(T0, s.peer, &mut OsRng);
    assert_eq!(s.router.issue_ticket(T0 + 60.0, s.peer, &mut OsRng), t);
    let peer_identity = s.peer_identity.clone();
    let mut m = Message::new(s.me, s.peer, T0, "t", b"from peer".to_vec());
    // The peer gives us a ticket in the same message.
    let theirs = crate::Ticket::issue(T0, &mut OsRng);
    m.fields.set(crate::fields::id::TICKET, theirs.to_field());
    let packed = m.sign(&peer_identity);
    let stamp = t.stamp_for(packed.message_id()).to_vec();
    let packed = packed.with_stamp(Some(stamp));
    let public = peer_identity.public().clone();
    assert!(
        s.router
            .handle_inbound(T0, packed.packed(), Method::Direct, Some(&public))
            .is_some()
    );
    let received = std::iter::from_fn(|| s.router.poll_event())
        .find_map(|e| match e {
            RouterEvent::Received(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(received.stamp_value, Some(crate::ticket::COST_TICKET));
    assert_eq!(s.router.ticket_for(T0, &s.peer), Some(theirs));
    // Held: our next message to the peer carries the ticket's stamp, no search.
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Direct)
        .unwrap();
    let acts = actions(&mut s.router);
    assert!(
        !acts
            .iter()
            .any(|a| matches!(a, Action::GenerateStamp { .. })),
        "{acts:?}"
    );
    let queued = s.router.outbound.get(&id).unwrap();
    assert_eq!(queued.packed.stamp(), Some(&theirs.stamp_for(&id)[..]));
    // Expired tickets are not used.
    assert_eq!(s.router.ticket_for(theirs.expires + 1.0, &s.peer), None);
}
