//! Inbound acceptance (signatures, duplicates, stamps), announces and
//! several identities.

use super::*;

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
