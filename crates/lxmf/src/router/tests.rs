//! The router core on a virtual clock: states, retries with backoff on the
//! same message, cancel, path requests, resend on announce, links, resources,
//! stamps and inbound acceptance.

use rns_crypto::{DestinationHash, OsRng, PacketHash, PrivateIdentity, name_hash};
use rns_proto::node::ReceiptId;
use rns_proto::resource::ResourceHash;
use rns_wire::lxmf_app_data::DeliveryAppData;

use super::*;
use crate::delivery::delivery_destination;
use crate::message::{Message, SignatureState};

const T0: f64 = 1_700_000_000.0;

struct Setup {
    router: Router,
    me: DestinationHash,
    peer_identity: PrivateIdentity,
    peer: DestinationHash,
}

fn setup() -> Setup {
    let mut router = Router::new(RouterConfig::default());
    let me = router.add_identity(
        PrivateIdentity::generate(&mut OsRng),
        Some("me".into()),
        None,
    );
    let peer_identity = PrivateIdentity::generate(&mut OsRng);
    let peer = delivery_destination(&peer_identity.hash());
    Setup {
        router,
        me,
        peer_identity,
        peer,
    }
}

fn announce(s: &mut Setup, now: f64, cost: Option<u8>) {
    let app = DeliveryAppData::modern(Some("peer"), cost).encode();
    let name = name_hash("lxmf.delivery");
    assert!(s.router.handle_announce(now, &s.peer, &name, Some(&app)));
}

fn message(s: &Setup, content: &[u8]) -> Message {
    Message::new(s.peer, s.me, T0, "title", content.to_vec())
}

fn actions(r: &mut Router) -> Vec<Action> {
    std::iter::from_fn(|| r.poll_action()).collect()
}

fn states(r: &mut Router) -> Vec<State> {
    std::iter::from_fn(|| r.poll_event())
        .filter_map(|e| match e {
            RouterEvent::Outbound(s) => Some(s.state),
            _ => None,
        })
        .collect()
}

fn receipt(n: u8) -> ReceiptId {
    ReceiptId(PacketHash([n; 32]))
}

#[test]
fn opportunistic_is_sent_then_delivered_by_the_proof() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Opportunistic)
        .unwrap();
    let acts = actions(&mut s.router);
    let [
        Action::SendPacket {
            message,
            destination,
            data,
        },
    ] = acts.as_slice()
    else {
        panic!("{acts:?}");
    };
    assert_eq!((*message, *destination), (id, s.peer));
    // The packet carries packed[16..].
    let full = crate::delivery::from_opportunistic_data(&s.peer, data);
    assert_eq!(
        crate::unpack(&full, Some(s.peer_identity.public()))
            .unwrap()
            .message
            .message_id(),
        &id
    );
    s.router.handle_packet_sent(T0, &id, Ok(receipt(1)));
    assert_eq!(s.router.status(&id).unwrap().state, State::Sent);
    s.router.handle_receipt(T0 + 0.1, &receipt(1), true);
    assert_eq!(
        states(&mut s.router),
        vec![
            State::Outbound,
            State::Sending,
            State::Sent,
            State::Delivered
        ]
    );
    let st = s.router.status(&id).unwrap();
    assert_eq!(
        (st.state, st.progress, st.attempts),
        (State::Delivered, 1.0, 1)
    );
    assert_eq!(s.router.outbound_len(), 0);
}

#[test]
fn unknown_recipient_requests_a_path_and_sends_when_it_announces() {
    let mut s = setup();
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Opportunistic)
        .unwrap();
    assert_eq!(
        actions(&mut s.router),
        vec![Action::RequestPath {
            destination: s.peer
        }]
    );
    assert_eq!(s.router.poll_timeout(), Some(T0 + 7.0));
    // Nothing is due before then.
    s.router.handle_timeout(T0 + 3.0);
    assert!(actions(&mut s.router).is_empty());
    // The announce makes it due at once: the same message goes out.
    announce(&mut s, T0 + 4.0, None);
    let acts = actions(&mut s.router);
    assert!(
        matches!(acts.as_slice(), [Action::SendPacket { message, .. }] if *message == id),
        "{acts:?}"
    );
    assert_eq!(s.router.status(&id).unwrap().attempts, 2);
}

#[test]
fn retries_back_off_on_the_same_message_then_fail() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Opportunistic)
        .unwrap();
    let mut now = T0;
    let mut waits = vec![];
    for n in 0..5u8 {
        let acts = actions(&mut s.router);
        assert!(
            matches!(acts.as_slice(), [Action::SendPacket { message, .. }] if *message == id),
            "attempt {n}: {acts:?}"
        );
        s.router.handle_packet_sent(now, &id, Ok(receipt(n)));
        now += 5.0;
        s.router.handle_receipt(now, &receipt(n), false);
        if n < 4 {
            let next = s.router.poll_timeout().unwrap();
            waits.push(next - now);
            assert_eq!(s.router.status(&id).unwrap().state, State::Outbound);
            // Not a moment early.
            s.router.handle_timeout(next - 0.5);
            assert!(actions(&mut s.router).is_empty());
            now = next;
            s.router.handle_timeout(now);
        }
    }
    assert_eq!(waits, vec![10.0, 20.0, 40.0, 80.0]);
    let st = s.router.status(&id).unwrap();
    assert_eq!((st.state, st.attempts), (State::Failed, 5));
    assert!(actions(&mut s.router).is_empty());
    assert_eq!(s.router.poll_timeout(), None);
}

#[test]
fn backoff_is_capped() {
    let mut s = setup();
    s.router.config.retry_wait_max = 15.0;
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Opportunistic)
        .unwrap();
    for n in 0..3u8 {
        actions(&mut s.router);
        s.router.handle_packet_sent(T0, &id, Ok(receipt(n)));
        s.router.handle_receipt(T0, &receipt(n), false);
        let next = s.router.poll_timeout().unwrap();
        assert!(next - T0 <= 15.0);
        s.router.handle_timeout(next);
    }
}

#[test]
fn cancel_while_queued_or_stamping() {
    let mut s = setup();
    let id = s
        .router
        .submit(T0, message(&s, b"a"), Method::Direct)
        .unwrap();
    assert!(s.router.cancel(T0, &id));
    assert!(!s.router.cancel(T0, &id));
    assert_eq!(s.router.status(&id).unwrap().state, State::Cancelled);
    assert_eq!(s.router.poll_timeout(), None);

    announce(&mut s, T0, Some(8));
    actions(&mut s.router);
    let id = s
        .router
        .submit(T0, message(&s, b"b"), Method::Opportunistic)
        .unwrap();
    assert_eq!(
        actions(&mut s.router),
        vec![Action::GenerateStamp {
            message: id,
            cost: 8
        }]
    );
    assert_eq!(s.router.status(&id).unwrap().state, State::Generating);
    assert!(s.router.cancel(T0, &id));
    assert_eq!(
        actions(&mut s.router),
        vec![Action::CancelStamp { message: id }]
    );
    // A stamp that arrives afterwards changes nothing.
    s.router.handle_stamp(T0, &id, Some(vec![0; 32]));
    assert!(actions(&mut s.router).is_empty());
    assert_eq!(s.router.status(&id).unwrap().state, State::Cancelled);
}

#[test]
fn stamp_is_added_before_sending() {
    let mut s = setup();
    announce(&mut s, T0, Some(8));
    let id = s
        .router
        .submit(T0, message(&s, b"b"), Method::Opportunistic)
        .unwrap();
    actions(&mut s.router);
    let wb = crate::Workblock::for_message(&id);
    let mut cancel = || false;
    let crate::SearchOutcome::Found { stamp, .. } = wb.search(8, [0; 32], u64::MAX, &mut cancel)
    else {
        panic!("no stamp");
    };
    s.router.handle_stamp(T0 + 1.0, &id, Some(stamp.to_vec()));
    let acts = actions(&mut s.router);
    let [Action::SendPacket { data, .. }] = acts.as_slice() else {
        panic!("{acts:?}");
    };
    let full = crate::delivery::from_opportunistic_data(&s.peer, data);
    let u = crate::unpack(&full, None).unwrap();
    assert_eq!(u.message.stamp(), Some(&stamp[..]));
    assert_eq!(u.message.message_id(), &id);
}

#[test]
fn large_opportunistic_goes_direct_as_a_resource_with_progress() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, &[7u8; 2000]), Method::Opportunistic)
        .unwrap();
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink {
            destination: s.peer
        }]
    );
    let link = DestinationHash([9; 16]);
    s.router.handle_link_opening(T0, &s.peer, Ok(link));
    s.router.handle_link_established(T0 + 0.2, &link);
    let acts = actions(&mut s.router);
    let [
        Action::SendResource {
            message: mid,
            link: l,
            compress: true,
            ..
        },
    ] = acts.as_slice()
    else {
        panic!("{acts:?}");
    };
    assert_eq!((*mid, *l), (id, link));
    let hash = ResourceHash([5; 32]);
    s.router
        .handle_resource_started(T0 + 0.2, &id, &link, Ok(hash));
    s.router
        .handle_resource_progress(T0 + 0.3, &link, &hash, 500, 1000);
    let st = s.router.status(&id).unwrap();
    assert_eq!(
        (st.state, st.method, st.representation, st.progress),
        (
            State::Sending,
            Method::Direct,
            Representation::Resource,
            0.5
        )
    );
    s.router
        .handle_resource_concluded(T0 + 0.4, &link, &hash, ResourceOutcome::Complete);
    assert_eq!(s.router.status(&id).unwrap().state, State::Delivered);
    // The link stays for the next message, then idles out.
    let id2 = s
        .router
        .submit(T0 + 1.0, message(&s, b"small"), Method::Direct)
        .unwrap();
    let acts = actions(&mut s.router);
    let [
        Action::SendLinkPacket {
            message: mid,
            link: l,
            ..
        },
    ] = acts.as_slice()
    else {
        panic!("{acts:?}");
    };
    assert_eq!((*mid, *l), (id2, link));
    s.router
        .handle_link_packet_sent(T0 + 1.0, &id2, &link, Ok(PacketHash([1; 32])));
    s.router
        .handle_link_proof(T0 + 1.1, &link, &PacketHash([1; 32]), true);
    assert_eq!(s.router.status(&id2).unwrap().state, State::Delivered);
    let idle = s.router.poll_timeout().unwrap();
    assert_eq!(idle, T0 + 1.1 + 600.0);
    s.router.handle_timeout(idle);
    assert_eq!(actions(&mut s.router), vec![Action::CloseLink { link }]);
}

#[test]
fn a_link_that_closes_mid_transfer_retries_the_same_message() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, &[7u8; 2000]), Method::Direct)
        .unwrap();
    let link = DestinationHash([9; 16]);
    actions(&mut s.router);
    s.router.handle_link_opening(T0, &s.peer, Ok(link));
    s.router.handle_link_established(T0, &link);
    actions(&mut s.router);
    s.router
        .handle_resource_started(T0, &id, &link, Ok(ResourceHash([5; 32])));
    s.router.handle_link_closed(T0 + 2.0, &link);
    // Too late to matter: the resource's fate after its link closed.
    s.router.handle_resource_concluded(
        T0 + 2.0,
        &link,
        &ResourceHash([5; 32]),
        ResourceOutcome::Complete,
    );
    let st = s.router.status(&id).unwrap();
    assert_eq!((st.state, st.attempts), (State::Outbound, 1));
    s.router.handle_timeout(T0 + 12.0);
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink {
            destination: s.peer
        }]
    );
    // A link that never comes up counts as an attempt and retries too.
    s.router.handle_timeout(T0 + 12.0 + 60.0);
    let st = s.router.status(&id).unwrap();
    assert_eq!((st.state, st.attempts), (State::Outbound, 2));
}

#[test]
fn unknown_identity_at_send_time_forgets_the_peer() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"x"), Method::Opportunistic)
        .unwrap();
    actions(&mut s.router);
    s.router
        .handle_packet_sent(T0, &id, Err(ActionError::UnknownIdentity));
    assert!(s.router.peer(&s.peer).is_none());
    s.router.handle_timeout(T0 + 10.0);
    assert_eq!(
        actions(&mut s.router),
        vec![Action::RequestPath {
            destination: s.peer
        }]
    );
}

fn inbound_from_peer(s: &Setup, content: &[u8]) -> Vec<u8> {
    let m = Message::new(s.me, s.peer, T0, "t", content.to_vec());
    m.sign(&s.peer_identity).into_packed()
}

fn received(r: &mut Router) -> Vec<Received> {
    std::iter::from_fn(|| r.poll_event())
        .filter_map(|e| match e {
            RouterEvent::Received(r) => Some(*r),
            _ => None,
        })
        .collect()
}

#[test]
fn inbound_signatures_and_duplicates() {
    let mut s = setup();
    let packed = inbound_from_peer(&s, b"hello");
    let src = source_of(&packed).unwrap();
    assert_eq!(src, s.peer);
    let public = s.peer_identity.public().clone();
    assert!(
        s.router
            .handle_inbound(T0, &packed, Method::Direct, Some(&public))
            .is_some()
    );
    let r = received(&mut s.router);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].signature, SignatureState::Valid);
    assert_eq!(r[0].message.message().content, b"hello");
    // The same message again (say, a retry whose proof was lost) is dropped.
    assert!(
        s.router
            .handle_inbound(T0, &packed, Method::Direct, Some(&public))
            .is_none()
    );
    assert!(received(&mut s.router).is_empty());

    // Unknown source: kept, unverified.
    let other = inbound_from_peer(&s, b"who");
    let data = crate::delivery::opportunistic_data(&other).to_vec();
    assert!(
        s.router
            .handle_inbound_packet(T0, &s.me, &data, None)
            .is_some()
    );
    let r = received(&mut s.router);
    assert_eq!(r[0].signature, SignatureState::Unverified);
    assert_eq!(r[0].method, Method::Opportunistic);

    // A forged signature: dropped.
    let mut forged = inbound_from_peer(&s, b"forged");
    forged[40] ^= 1;
    assert!(
        s.router
            .handle_inbound(T0, &forged, Method::Direct, Some(&public))
            .is_none()
    );
    let dropped: Vec<_> = std::iter::from_fn(|| s.router.poll_event()).collect();
    assert!(matches!(
        dropped.as_slice(),
        [RouterEvent::Dropped {
            reason: DropReason::InvalidSignature,
            ..
        }]
    ));

    // Not for one of our destinations, or not a message at all.
    let stranger = Message::new(s.peer, s.peer, T0, "", "x").sign(&s.peer_identity);
    assert!(
        s.router
            .handle_inbound(T0, stranger.packed(), Method::Direct, None)
            .is_none()
    );
    assert!(
        s.router
            .handle_inbound(T0, &[1, 2, 3], Method::Direct, None)
            .is_none()
    );
}

#[test]
fn dedup_memory_is_bounded() {
    let mut s = setup();
    s.router.config.dedup_capacity = 2;
    let a = inbound_from_peer(&s, b"a");
    for c in [&b"a"[..], b"b", b"c"] {
        let p = inbound_from_peer(&s, c);
        s.router.handle_inbound(T0, &p, Method::Direct, None);
    }
    assert_eq!(s.router.seen.len(), 2);
    // "a" was forgotten, so it is accepted again.
    assert!(
        s.router
            .handle_inbound(T0, &a, Method::Direct, None)
            .is_some()
    );
}

#[test]
fn stamps_are_enforced_when_asked() {
    let mut s = setup();
    s.router.config.enforce_stamps = true;
    let me_identity = s.router.local_identity(&s.me).unwrap().clone();
    s.router
        .add_identity(me_identity, Some("me".into()), Some(8));
    let plain = inbound_from_peer(&s, b"no stamp");
    assert!(
        s.router
            .handle_inbound(T0, &plain, Method::Direct, None)
            .is_none()
    );
    let packed = Message::new(s.me, s.peer, T0, "", "stamped").sign(&s.peer_identity);
    let wb = crate::Workblock::for_message(packed.message_id());
    let mut cancel = || false;
    let crate::SearchOutcome::Found { stamp, .. } = wb.search(8, [0; 32], u64::MAX, &mut cancel)
    else {
        panic!("no stamp");
    };
    let stamped = packed.with_stamp(Some(stamp.to_vec()));
    assert!(
        s.router
            .handle_inbound(T0, stamped.packed(), Method::Direct, None)
            .is_some()
    );
    let r = received(&mut s.router);
    assert!(r[0].stamp_value.is_some_and(|v| v >= 8));
}

#[test]
fn announce_app_data_and_peer_parsing() {
    let mut s = setup();
    let me_identity = s.router.local_identity(&s.me).unwrap().clone();
    s.router
        .add_identity(me_identity, Some("Alice".into()), Some(8));
    let app = s.router.announce_app_data(&s.me).unwrap();
    let parsed = DeliveryAppData::decode(&app).unwrap();
    assert_eq!(parsed.display_name(), Some(&b"Alice"[..]));
    assert_eq!(parsed.stamp_cost(), Some(8));

    announce(&mut s, T0, Some(12));
    let p = s.router.peer(&s.peer).unwrap();
    assert_eq!(
        (p.display_name.as_deref(), p.stamp_cost),
        (Some(&b"peer"[..]), Some(12))
    );
    let events: Vec<_> = std::iter::from_fn(|| s.router.poll_event()).collect();
    assert!(matches!(
        events.as_slice(),
        [RouterEvent::PeerAnnounced { .. }]
    ));
    // Other names are not LXMF's business.
    assert!(
        !s.router
            .handle_announce(T0, &s.peer, &name_hash("x.y"), None)
    );
}

#[test]
fn several_identities_send_and_receive_independently() {
    let mut s = setup();
    let second = s
        .router
        .add_identity(PrivateIdentity::generate(&mut OsRng), None, None);
    assert_eq!(s.router.local_destinations().count(), 2);
    announce(&mut s, T0, None);
    let m = Message::new(s.peer, second, T0, "", "from the second");
    let id = s.router.submit(T0, m, Method::Opportunistic).unwrap();
    let acts = actions(&mut s.router);
    let [Action::SendPacket { data, .. }] = acts.as_slice() else {
        panic!("{acts:?}");
    };
    let full = crate::delivery::from_opportunistic_data(&s.peer, data);
    let u = crate::unpack(&full, None).unwrap();
    assert_eq!(
        (u.message.message_id(), u.message.message().source_hash),
        (&id, second)
    );
    let stranger = Message::new(s.peer, DestinationHash([1; 16]), T0, "", "");
    assert!(matches!(
        s.router.submit(T0, stranger, Method::Direct),
        Err(SubmitError::UnknownSource(_))
    ));
}

#[test]
fn a_refused_resource_is_rejected_for_good() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, &[7u8; 2000]), Method::Direct)
        .unwrap();
    let link = DestinationHash([9; 16]);
    actions(&mut s.router);
    s.router.handle_link_opening(T0, &s.peer, Ok(link));
    s.router.handle_link_established(T0, &link);
    actions(&mut s.router);
    let hash = ResourceHash([5; 32]);
    s.router.handle_resource_started(T0, &id, &link, Ok(hash));
    s.router
        .handle_resource_concluded(T0, &link, &hash, ResourceOutcome::Rejected);
    assert_eq!(s.router.status(&id).unwrap().state, State::Rejected);
    assert_eq!(s.router.outbound_len(), 0);
}

// --- Propagated delivery and sync ---

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

#[test]
fn a_burst_of_link_packets_goes_out_one_window_at_a_time() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let ids: Vec<MessageId> = (0..20u8)
        .map(|i| {
            s.router
                .submit(T0, message(&s, &[i; 10]), Method::Direct)
                .unwrap()
        })
        .collect();
    let link = DestinationHash([9; 16]);
    actions(&mut s.router);
    s.router.handle_link_opening(T0, &s.peer, Ok(link));
    s.router.handle_link_established(T0, &link);
    let sent = |acts: Vec<Action>| -> Vec<MessageId> {
        acts.into_iter()
            .filter_map(|a| match a {
                Action::SendLinkPacket { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    };
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
