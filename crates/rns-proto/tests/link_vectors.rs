//! A whole link session replayed with the fixed keys and IVs of the reference
//! vectors (tests/data/vectors/link.json): every packet either end sends must be
//! the reference's bytes, and every reference packet must be accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod link_support;

use link_support::{FixedRng, T0, bytes, vectors};
use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_msgpack::Value;
use rns_proto::link::{
    Link, LinkAction, LinkEvent, LinkId, LinkState, ProofStrategy, RequestId, TeardownReason,
};
use rns_wire::constants::link_mdu;
use rns_wire::packet::Packet;
use rns_wire::request::path_hash;

fn single_send(out: Vec<LinkAction>) -> (Packet, Vec<LinkEvent>) {
    let mut packets = Vec::new();
    let mut events = Vec::new();
    for action in out {
        match action {
            LinkAction::Send(p) => packets.push(p),
            LinkAction::Event(e) => events.push(e),
        }
    }
    assert_eq!(packets.len(), 1, "expected one packet, got {packets:?}");
    (packets.remove(0), events)
}

fn events_only(out: Vec<LinkAction>) -> Vec<LinkEvent> {
    out.into_iter()
        .filter_map(|a| match a {
            LinkAction::Event(e) => Some(e),
            LinkAction::Send(_) => None,
        })
        .collect()
}

/// Feeds the reference's packet `raw` to `link`.
fn receive(link: &mut Link, now: f64, raw: &[u8]) -> Vec<LinkAction> {
    let mut out = Vec::new();
    let packet = Packet::decode(raw).unwrap();
    link.handle_packet(now, &packet, &mut out, &mut FixedRng::new(&[]));
    out
}

#[test]
fn session_is_byte_exact() {
    let v = vectors();
    let responder =
        PrivateIdentity::from_private_slice(&bytes(&v["responder_identity_private_key"])).unwrap();
    let destination = DestinationHash::from_slice(&bytes(&v["destination_hash"])).unwrap();
    let link_id = LinkId::from_slice(&bytes(&v["link_id"])).unwrap();

    // Initiator: LINKREQUEST from the vector's ephemeral keys.
    let mut rng = FixedRng::new(&[
        &bytes(&v["initiator_ephemeral_x25519_private"]),
        &bytes(&v["initiator_ephemeral_ed25519_seed"]),
    ]);
    let (mut a, request) =
        Link::initiate(T0, destination, responder.public().clone(), None, &mut rng);
    assert!(rng.is_exhausted());
    assert_eq!(request.encode(), bytes(&v["linkrequest_raw"]));
    assert_eq!((a.id(), a.state()), (link_id, LinkState::Pending));

    // Responder: accepts the reference's request bytes, answers with its LRPROOF.
    let received = Packet::decode(&bytes(&v["linkrequest_raw"])).unwrap();
    let mut rng = FixedRng::new(&[&bytes(&v["responder_ephemeral_x25519_private"])]);
    let (mut b, proof) = Link::accept(
        T0 + 0.25,
        &received,
        &responder,
        ProofStrategy::All,
        Some(500),
        &mut rng,
    )
    .unwrap();
    assert!(rng.is_exhausted());
    assert_eq!(proof.encode(), bytes(&v["lrproof_raw"]));
    assert_eq!((b.id(), b.state()), (link_id, LinkState::Handshake));

    // Initiator: the reference's LRPROOF makes it Active with rtt 0.5; its LRRTT
    // (the only thing it encrypts here, with the vector's IV) is byte-exact, which
    // also pins the derived link key.
    let mut out = Vec::new();
    let lrproof = Packet::decode(&bytes(&v["lrproof_raw"])).unwrap();
    let mut rng = FixedRng::new(&[&bytes(&v["rtt_iv"])]);
    a.handle_packet(T0 + 0.5, &lrproof, &mut out, &mut rng);
    let (rtt_packet, events) = single_send(out);
    assert_eq!(rtt_packet.encode(), bytes(&v["rtt_packet_raw"]));
    assert_eq!(
        events,
        [LinkEvent::Established {
            link_id,
            rtt: v["rtt_value"].as_f64().unwrap()
        }]
    );
    assert_eq!(
        (a.state(), a.mtu(), a.mdu()),
        (
            LinkState::Active,
            500,
            v["link_mdu"].as_u64().unwrap() as usize
        )
    );
    assert_eq!(
        a.mdu(),
        link_mdu(v["negotiated_mtu"].as_u64().unwrap() as usize)
    );

    // Responder: the reference's LRRTT completes its side.
    let events = events_only(receive(&mut b, T0 + 0.75, &bytes(&v["rtt_packet_raw"])));
    assert_eq!(events, [LinkEvent::Established { link_id, rtt: 0.5 }]);
    assert_eq!(
        (b.state(), b.rtt(), b.mdu()),
        (LinkState::Active, Some(0.5), 431)
    );

    data_identify_request_close(&v, link_id, a, b);
}

fn data_identify_request_close(v: &serde_json::Value, link_id: LinkId, mut a: Link, mut b: Link) {
    let now = T0 + 1.0;
    // Plain data from the initiator; the responder (PROVE_ALL) proves it.
    let mut out = Vec::new();
    let mut rng = FixedRng::new(&[&bytes(&v["data_iv"])]);
    let hello = bytes(&v["data_plaintext"]);
    let hash = a.send(now, &hello, &mut out, &mut rng).unwrap();
    let (data_packet, _) = single_send(out);
    assert_eq!(data_packet.encode(), bytes(&v["data_packet_raw"]));
    let (proof, events) = single_send(receive(&mut b, now, &bytes(&v["data_packet_raw"])));
    assert_eq!(
        events,
        [LinkEvent::Data {
            link_id,
            data: hello,
            packet_hash: hash
        }]
    );
    let events = events_only(receive(&mut a, now + 0.5, &proof.encode()));
    assert_eq!(
        events,
        [LinkEvent::Delivered {
            link_id,
            packet_hash: hash,
            rtt: 0.5
        }]
    );

    // LINKIDENTIFY.
    let who = &v["identify"];
    let identity =
        PrivateIdentity::from_private_slice(&bytes(&who["identity_private_key"])).unwrap();
    let mut out = Vec::new();
    let mut rng = FixedRng::new(&[&bytes(&who["iv"])]);
    a.identify(now, &identity, &mut out, &mut rng).unwrap();
    assert_eq!(single_send(out).0.encode(), bytes(&who["raw"]));
    let events = events_only(receive(&mut b, now, &bytes(&who["raw"])));
    let identity_public = identity.public().clone();
    assert_eq!(
        events,
        [LinkEvent::Identified {
            link_id,
            identity: identity_public.clone()
        }]
    );
    assert_eq!(b.remote_identity(), Some(&identity_public));

    request_and_response(v, link_id, &mut a, &mut b, &identity_public);

    // LINKCLOSE from the initiator: both ends report InitiatorClosed.
    let mut out = Vec::new();
    let mut rng = FixedRng::new(&[&bytes(&v["linkclose_iv"])]);
    a.close(now + 2.0, &mut out, &mut rng);
    let (close, events) = single_send(out);
    assert_eq!(close.encode(), bytes(&v["linkclose_raw"]));
    let closed = LinkEvent::Closed {
        link_id,
        reason: TeardownReason::InitiatorClosed,
    };
    assert_eq!(events.as_slice(), std::slice::from_ref(&closed));
    let events = events_only(receive(&mut b, now + 2.0, &bytes(&v["linkclose_raw"])));
    assert_eq!(events, [closed]);
    assert_eq!(
        (a.state(), b.state()),
        (LinkState::Closed, LinkState::Closed)
    );
}

fn request_and_response(
    v: &serde_json::Value,
    link_id: LinkId,
    a: &mut Link,
    b: &mut Link,
    identity: &rns_crypto::PublicIdentity,
) {
    let r = &v["request"];
    let requested_at = r["requested_at"].as_f64().unwrap();
    let path = r["path"].as_str().unwrap();
    let request_id = RequestId::from_slice(&bytes(&r["request_id"])).unwrap();

    let mut out = Vec::new();
    let mut rng = FixedRng::new(&[&bytes(&r["iv"])]);
    let id = a
        .request(requested_at, path, Value::Nil, None, &mut out, &mut rng)
        .unwrap();
    assert_eq!(id, request_id);
    assert_eq!(single_send(out).0.encode(), bytes(&r["raw"]));
    let events = events_only(receive(b, requested_at, &bytes(&r["raw"])));
    assert_eq!(
        events,
        [LinkEvent::RequestReceived {
            link_id,
            request_id,
            path_hash: path_hash(path),
            data: Value::Nil,
            requested_at,
            remote_identity: Some(identity.clone()),
        }]
    );

    let body = Value::bin(b"response body".to_vec());
    let mut out = Vec::new();
    let mut rng = FixedRng::new(&[&bytes(&r["response_iv"])]);
    b.respond(requested_at, request_id, body.clone(), &mut out, &mut rng)
        .unwrap();
    assert_eq!(single_send(out).0.encode(), bytes(&r["response_raw"]));
    let events = events_only(receive(a, requested_at + 0.5, &bytes(&r["response_raw"])));
    assert_eq!(
        events,
        [LinkEvent::ResponseReceived {
            link_id,
            request_id,
            response: body
        }]
    );
    assert_eq!(a.pending_requests(), 0);
}
