//! The router core on a virtual clock: states, retries with backoff on the
//! same message, cancel, path requests, resend on announce, links, resources
//! and stamps; inbound, propagated delivery and packet windows in the
//! submodules.

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

/// A recipient we know (its identity remembered) but have no path to: no
/// link request goes out blind; the router asks for a path and looks again
/// after `path_request_wait`, so a peer that comes back is reached in
/// seconds, and a path (or announce) makes it due at once.
#[test]
fn a_known_recipient_without_a_path_gets_a_path_request_not_a_blind_link() {
    let mut s = setup();
    announce(&mut s, T0, None);
    let id = s
        .router
        .submit(T0, message(&s, b"hi"), Method::Direct)
        .unwrap();
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink {
            destination: s.peer
        }]
    );
    s.router
        .handle_link_opening(T0, &s.peer, Err(ActionError::NoPath));
    assert_eq!(
        actions(&mut s.router),
        vec![Action::RequestPath {
            destination: s.peer
        }]
    );
    assert_eq!(s.router.status(&id).unwrap().state, State::Outbound);
    assert_eq!(s.router.poll_timeout(), Some(T0 + 7.0));
    // Looked at again after the wait: another try at the link.
    s.router.handle_timeout(T0 + 7.0);
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink {
            destination: s.peer
        }]
    );
    s.router
        .handle_link_opening(T0 + 7.0, &s.peer, Err(ActionError::NoPath));
    let _ = actions(&mut s.router);
    // The path came: due at once.
    s.router.handle_path_found(T0 + 9.0, &s.peer);
    assert_eq!(
        actions(&mut s.router),
        vec![Action::OpenLink {
            destination: s.peer
        }]
    );
    // Each path request counted as an attempt (opening a link does not).
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

mod inbound;
mod propagated;
mod windows;
