//! A pair of established links joined by an in-memory wire for the resource
//! tests: fixed latency, seeded loss of chosen contexts, an optional hook that
//! drops or rewrites packets, and a virtual clock that jumps from event to
//! event (it never sleeps).
// Test helpers: a panic here is a failed test.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rns_crypto::{DestinationHash, PrivateIdentity, RngCore};
use rns_proto::link::{Link, LinkAction, LinkEvent, LinkState, ProofStrategy};
use rns_wire::packet::{Context, Packet};

use crate::link_support::{SeededRng, Side, T0};

/// Decides a packet's fate on the wire: `false` drops it; it may be rewritten.
pub type Hook = Box<dyn FnMut(Side, &mut Packet) -> bool>;

/// A packet in flight: (arrival in µs after T0, sequence, to, raw bytes).
type InFlight = Reverse<(u64, u64, usize, Vec<u8>)>;

/// Two links (A initiates, B responds) on an in-memory wire.
pub struct Pair {
    pub now: f64,
    pub latency: f64,
    /// Probability that a packet with a context in `lossy` is lost.
    pub loss: f64,
    pub lossy: Vec<Context>,
    pub hook: Option<Hook>,
    links: [Link; 2],
    /// A heap keeps it cheap at thousands of parts in flight.
    queue: BinaryHeap<InFlight>,
    seq: u64,
    pub events: Vec<(f64, Side, LinkEvent)>,
    pub sent: [u64; 2],
    pub lost: u64,
    pub rng: SeededRng,
    loss_rng: SeededRng,
}

fn index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

fn side(i: usize) -> Side {
    if i == 0 { Side::A } else { Side::B }
}

impl Pair {
    /// An established pair with both ends at `mtu` (500 when `None`).
    pub fn new(mtu: Option<u32>, seed: u64) -> Pair {
        let mut rng = SeededRng::new(seed);
        let responder = PrivateIdentity::generate(&mut rng);
        let destination = DestinationHash([0x42; 16]);
        let (a, request) =
            Link::initiate(T0, destination, responder.public().clone(), mtu, &mut rng);
        let received = Packet::decode(&request.encode()).unwrap();
        let (b, proof) = Link::accept(
            T0,
            &received,
            &responder,
            ProofStrategy::None,
            mtu,
            &mut rng,
        )
        .unwrap();
        let mut pair = Pair {
            now: T0,
            latency: 0.05,
            loss: 0.0,
            lossy: Vec::new(),
            hook: None,
            links: [a, b],
            queue: BinaryHeap::new(),
            seq: 0,
            events: Vec::new(),
            sent: [0; 2],
            lost: 0,
            loss_rng: SeededRng::new(seed ^ 0x5eed),
            rng,
        };
        pair.dispatch(Side::B, vec![LinkAction::Send(proof)]);
        pair.run_for(1.0);
        assert_eq!(pair.link(Side::A).state(), LinkState::Active);
        assert_eq!(pair.link(Side::B).state(), LinkState::Active);
        pair.events.clear();
        pair
    }

    pub fn link(&self, side: Side) -> &Link {
        &self.links[index(side)]
    }

    pub fn link_mut(&mut self, side: Side) -> &mut Link {
        &mut self.links[index(side)]
    }

    /// Runs an application call on `side` now and sends what it asks for.
    pub fn act<R>(
        &mut self,
        side: Side,
        call: impl FnOnce(&mut Link, f64, &mut Vec<LinkAction>, &mut SeededRng) -> R,
    ) -> R {
        let mut out = Vec::new();
        let now = self.now;
        let result = call(&mut self.links[index(side)], now, &mut out, &mut self.rng);
        self.dispatch(side, out);
        result
    }

    fn dispatch(&mut self, from: Side, actions: Vec<LinkAction>) {
        for action in actions {
            match action {
                LinkAction::Send(mut packet) => {
                    self.sent[index(from)] += 1;
                    if self.lossy.contains(&packet.context)
                        && (self.loss_rng.next_u64() as f64 / u64::MAX as f64) < self.loss
                    {
                        self.lost += 1;
                        continue;
                    }
                    if let Some(hook) = self.hook.as_mut()
                        && !hook(from, &mut packet)
                    {
                        continue;
                    }
                    let at = ((self.now + self.latency - T0) * 1e6).round() as u64;
                    self.seq += 1;
                    let to = 1 - index(from);
                    self.queue
                        .push(Reverse((at, self.seq, to, packet.encode())));
                }
                LinkAction::Event(event) => self.events.push((self.now, from, event)),
            }
        }
    }

    /// Delivers packets and runs timers in time order up to `until`.
    pub fn run_until(&mut self, until: f64) {
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    pub fn run_for(&mut self, seconds: f64) {
        self.run_until(self.now + seconds);
    }

    /// Runs until `done` holds (checked after every step), or `limit`
    /// seconds of virtual time pass; returns whether `done` held.
    pub fn run_while_not(&mut self, limit: f64, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let until = self.now + limit;
        while !done(self) {
            if !self.step(until) {
                return done(self);
            }
        }
        true
    }

    fn step(&mut self, until: f64) -> bool {
        let packet_at = self
            .queue
            .peek()
            .map(|Reverse((at, ..))| T0 + *at as f64 / 1e6);
        let timer = [Side::A, Side::B]
            .into_iter()
            .filter_map(|s| self.link(s).next_deadline().map(|d| (s, d)))
            .min_by(|x, y| x.1.total_cmp(&y.1));
        match (packet_at, timer) {
            (Some(at), t) if at <= until && t.is_none_or(|(_, d)| at <= d) => {
                let Some(Reverse((_, _, to, raw))) = self.queue.pop() else {
                    return false;
                };
                self.now = self.now.max(at);
                let packet = Packet::decode(&raw).unwrap();
                self.act(side(to), |link, now, out, rng| {
                    link.handle_packet(now, &packet, out, rng)
                });
                true
            }
            (_, Some((s, at))) if at <= until => {
                self.now = self.now.max(at);
                self.act(s, |link, now, out, rng| link.handle_timeout(now, out, rng));
                true
            }
            _ => false,
        }
    }

    /// The events `side` reported.
    pub fn events_of(&self, side: Side) -> Vec<LinkEvent> {
        self.events
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(_, _, e)| e.clone())
            .collect()
    }
}

/// Deterministic test data: xorshift bytes, or a compressible pattern.
pub fn data(size: usize, seed: u64, compressible: bool) -> Vec<u8> {
    if compressible {
        return (0..size)
            .map(|i| (i / 64 % 251) as u8 ^ (seed as u8))
            .collect();
    }
    let mut rng = SeededRng::new(seed);
    let mut out = vec![0u8; size];
    rng.fill_bytes(&mut out);
    out
}
