//! Resources seen from inside the link: hostile and inconsistent
//! advertisements (refused before anything is allocated), corrupt data, the
//! reference's advertisement vector, and arbitrary RESOURCE_* packets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_wire::resource::{Advertisement, MapHash, RandomHash, ResourceFlags, ResourceHash};

use super::*;
use crate::link::{LinkState, ProofStrategy};
use crate::resource::MAX_EFFICIENT_SIZE;

const T0: f64 = 1_700_000_000.0;

/// xorshift64*: deterministic test randomness.
struct Rng(u64);

impl rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for Rng {}

/// Two active links: `a` initiated, `b` accepted.
fn pair(seed: u64) -> (Link, Link, Rng) {
    let mut rng = Rng(seed | 1);
    let id = PrivateIdentity::generate(&mut rng);
    let dest = DestinationHash([1; 16]);
    let (mut a, req) = Link::initiate(T0, dest, id.public().clone(), None, &mut rng);
    let req = Packet::decode(&req.encode()).unwrap();
    let (mut b, proof) = Link::accept(T0, &req, &id, ProofStrategy::None, None, &mut rng).unwrap();
    let mut out = Vec::new();
    a.handle_packet(T0 + 0.1, &proof, &mut out, &mut rng);
    relay(&mut a, &mut b, out, T0 + 0.2, &mut rng);
    assert_eq!(
        (a.state(), b.state()),
        (LinkState::Active, LinkState::Active)
    );
    (a, b, rng)
}

/// Delivers `from_a` to `b` and everything that follows, both ways, until
/// quiet; returns the events of both ends.
fn relay(
    a: &mut Link,
    b: &mut Link,
    from_a: Vec<LinkAction>,
    now: f64,
    rng: &mut Rng,
) -> Vec<LinkEvent> {
    let mut events = Vec::new();
    let mut queue: Vec<(bool, Packet)> = Vec::new();
    let mut take = |actions: Vec<LinkAction>, to_b: bool, q: &mut Vec<(bool, Packet)>| {
        for action in actions {
            match action {
                LinkAction::Send(p) => q.push((to_b, Packet::decode(&p.encode()).unwrap())),
                LinkAction::Event(e) => events.push(e),
            }
        }
    };
    take(from_a, true, &mut queue);
    for _ in 0..100_000 {
        if queue.is_empty() {
            break;
        }
        let (to_b, packet) = queue.remove(0);
        let mut out = Vec::new();
        let target = if to_b { &mut *b } else { &mut *a };
        target.handle_packet(now, &packet, &mut out, rng);
        take(out, !to_b, &mut queue);
    }
    events
}

/// `a` seals `adv` and hands it to `b`; returns what `b` did.
fn advertise(a: &Link, b: &mut Link, adv: &Advertisement, rng: &mut Rng) -> Vec<LinkAction> {
    let packet = a.seal(Context::RESOURCE_ADV, &adv.encode(), rng).unwrap();
    let mut out = Vec::new();
    b.handle_packet(T0 + 1.0, &packet, &mut out, rng);
    out
}

fn sample(parts: u64, transfer: u64) -> Advertisement {
    Advertisement {
        transfer_size: transfer,
        data_size: 1000,
        parts,
        hash: ResourceHash([7; 32]),
        random_hash: RandomHash([1, 2, 3, 4]),
        original_hash: ResourceHash([7; 32]),
        segment_index: 1,
        total_segments: 1,
        request_id: None,
        flags: ResourceFlags(1),
        hashmap: vec![MapHash([9; 4]); parts.min(3) as usize],
    }
}

fn sent_contexts(out: &[LinkAction]) -> Vec<Context> {
    out.iter()
        .filter_map(|a| match a {
            LinkAction::Send(p) => Some(p.context),
            LinkAction::Event(_) => None,
        })
        .collect()
}

#[test]
fn a_sound_advertisement_is_requested() {
    let (a, mut b, mut rng) = pair(1);
    let out = advertise(&a, &mut b, &sample(3, 1234), &mut rng);
    assert_eq!(sent_contexts(&out), [Context::RESOURCE_REQ]);
    assert_eq!(b.resources_in_progress(), (0, 1));
}

#[test]
fn hostile_advertisements_are_refused_without_allocating() {
    let (a, mut b, mut rng) = pair(2);
    let huge_n = Advertisement {
        parts: 1 << 40,
        ..sample(3, 1234)
    };
    let long_map = Advertisement {
        hashmap: vec![MapHash([1; 4]); 4],
        ..sample(3, 1234)
    };
    let huge_d = Advertisement {
        data_size: 1 << 50,
        ..sample(3, 1234)
    };
    let many_segments = Advertisement {
        total_segments: 1 << 30,
        segment_index: 1,
        ..sample(3, 1234)
    };
    let late_segment = Advertisement {
        total_segments: 2,
        segment_index: 2,
        data_size: 2 * MAX_EFFICIENT_SIZE as u64,
        ..sample(3, 1234)
    };
    let empty_map = Advertisement {
        hashmap: Vec::new(),
        ..sample(3, 1234)
    };
    for adv in [
        huge_n,
        long_map,
        huge_d,
        many_segments,
        late_segment,
        empty_map,
    ] {
        let out = advertise(&a, &mut b, &adv, &mut rng);
        assert_eq!(sent_contexts(&out), [Context::RESOURCE_RCL], "{adv:?}");
        assert_eq!(b.resources_in_progress(), (0, 0));
    }
    // A transfer size over 3 × MAX_EFFICIENT_SIZE does not even decode.
    let out = advertise(
        &a,
        &mut b,
        &sample(3, 4 * MAX_EFFICIENT_SIZE as u64),
        &mut rng,
    );
    assert!(sent_contexts(&out).is_empty());
    assert!(b.stats().dropped_malformed >= 1);
}

#[test]
fn too_large_for_the_policy_is_reported() {
    let (a, mut b, mut rng) = pair(3);
    let mut policy = b.resource_policy();
    policy.limits.max_incoming_size = 999;
    b.set_resource_policy(policy);
    let out = advertise(&a, &mut b, &sample(3, 1234), &mut rng);
    assert_eq!(sent_contexts(&out), [Context::RESOURCE_RCL]);
    assert!(out.iter().any(|a| matches!(
        a,
        LinkAction::Event(LinkEvent::ResourceConcluded {
            status: ResourceStatus::Failed(FailReason::TooLarge),
            ..
        })
    )));
}

#[test]
fn the_reference_vector_advertisement_is_sound_at_mtu_500() {
    let packed = hex::decode(concat!(
        "8ba174cd04d2a164cd0fa0a16e03a168c4208d84a685c42834616291f42a762f9949e31a98e98e9c6dd1",
        "4e3dbddfe5649be8a172c40401020304a16fc4208d84a685c42834616291f42a762f9949e31a98e98e9c",
        "6dd14e3dbddfe5649be8a16901a16c01a171c0a16603a16dc40c7d2f2f3c7ef4667a3e0a5da1"
    ))
    .unwrap();
    let adv = Advertisement::decode(&packed).unwrap();
    let (a, mut b, mut rng) = pair(4);
    let out = advertise(&a, &mut b, &adv, &mut rng);
    assert_eq!(sent_contexts(&out), [Context::RESOURCE_REQ]);
}

/// The largest advertisement we send (a 64 MiB request in 1 MiB segments at
/// MTU 500) still fits the link MDU.
#[test]
fn the_largest_advertisement_fits_one_packet() {
    let (a, _, _) = pair(5);
    let per_slice = rns_wire::resource::hashmap_max_len(a.mdu());
    let adv = Advertisement {
        transfer_size: MAX_EFFICIENT_SIZE as u64 + 64,
        data_size: 64 * 1024 * 1024,
        parts: (MAX_EFFICIENT_SIZE as u64 + 64).div_ceil(464),
        segment_index: 64,
        total_segments: 64,
        request_id: Some(rns_wire::request::RequestId([3; 16])),
        flags: ResourceFlags(0x3F),
        hashmap: vec![MapHash([1; 4]); per_slice],
        ..sample(3, 1234)
    };
    assert!(adv.encode().len() <= a.mdu(), "{}", adv.encode().len());
}

/// A resource from `a` whose advertisement `b` receives with `flip` applied
/// to its flags: the parts flow, but the data cannot verify.
fn tampered_flags(flip: u8) -> Vec<LinkEvent> {
    let (mut a, mut b, mut rng) = pair(6);
    let mut out = Vec::new();
    a.send_resource(T0 + 1.0, vec![5u8; 3000], None, false, &mut out, &mut rng)
        .unwrap();
    let mut rewritten = Vec::new();
    for action in out {
        if let LinkAction::Send(p) = &action
            && p.context == Context::RESOURCE_ADV
        {
            let mut adv = Advertisement::decode(&b.open(&p.data).unwrap()).unwrap();
            adv.flags = ResourceFlags(adv.flags.0 ^ flip);
            let p = a
                .seal(Context::RESOURCE_ADV, &adv.encode(), &mut rng)
                .unwrap();
            rewritten.push(LinkAction::Send(p));
        } else {
            rewritten.push(action);
        }
    }
    relay(&mut a, &mut b, rewritten, T0 + 1.0, &mut rng)
}

#[test]
fn corrupt_data_is_not_delivered() {
    for flip in [ResourceFlags::COMPRESSED, ResourceFlags::ENCRYPTED] {
        let events = tampered_flags(flip);
        assert!(events.iter().any(|e| matches!(
            e,
            LinkEvent::ResourceConcluded {
                status: ResourceStatus::Corrupt,
                incoming: true,
                ..
            }
        )));
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, LinkEvent::ResourceReceived { .. }))
        );
        // The receiver's RCL ends it on the sender's side at once.
        assert!(events.iter().any(|e| matches!(
            e,
            LinkEvent::ResourceConcluded {
                status: ResourceStatus::Cancelled { by_peer: true },
                incoming: false,
                ..
            }
        )));
    }
}

const RESOURCE_CONTEXTS: [Context; 7] = [
    Context::RESOURCE,
    Context::RESOURCE_ADV,
    Context::RESOURCE_REQ,
    Context::RESOURCE_HMU,
    Context::RESOURCE_ICL,
    Context::RESOURCE_RCL,
    Context::RESOURCE_PRF,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Arbitrary resource packets, sealed or not, into links with transfers
    /// running both ways: nothing panics, and the timers still run.
    #[test]
    fn arbitrary_resource_packets_never_panic(
        packets in prop::collection::vec(
            (0usize..7, any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..600)),
            1..24,
        ),
        seed in 1u64..1000,
    ) {
        let (mut a, mut b, mut rng) = pair(seed);
        let mut out = Vec::new();
        a.send_resource(T0 + 1.0, vec![1u8; 20_000], None, true, &mut out, &mut rng).unwrap();
        relay(&mut a, &mut b, out, T0 + 1.0, &mut rng);
        let mut out = Vec::new();
        b.send_resource(T0 + 1.0, vec![2u8; 5_000], None, false, &mut out, &mut rng).unwrap();
        for (ctx, sealed, proof, data) in packets {
            let context = RESOURCE_CONTEXTS[ctx];
            let mut packet = if sealed {
                a.seal(context, &data, &mut rng).unwrap()
            } else {
                link_packet(a.id(), context, data)
            };
            if proof {
                packet.packet_type = PacketType::Proof;
            }
            let mut sink = Vec::new();
            b.handle_packet(T0 + 2.0, &packet, &mut sink, &mut rng);
            a.handle_packet(T0 + 2.0, &packet, &mut sink, &mut rng);
        }
        for step in 0..50 {
            let now = T0 + 2.0 + f64::from(step) * 30.0;
            let mut sink = Vec::new();
            a.handle_timeout(now, &mut sink, &mut rng);
            b.handle_timeout(now, &mut sink, &mut rng);
        }
    }
}
