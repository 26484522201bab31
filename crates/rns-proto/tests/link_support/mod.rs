//! Shared helpers for the link tests: deterministic RNGs, the reference vectors,
//! and an in-memory wire that carries two links' packets to each other (encoded
//! and decoded, after a fixed latency) under a virtual clock.
// Test helpers: a panic here is a failed test, as in the tests themselves.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)]

use rns_crypto::{CryptoRng, DestinationHash, PrivateIdentity, RngCore};
use rns_proto::link::{Link, LinkAction, LinkEvent, ProofStrategy};
use rns_wire::packet::Packet;
use serde_json::Value;

/// The virtual clock's epoch: 2023-11-14, a plausible "now".
pub const T0: f64 = 1_700_000_000.0;

/// The reference's link vectors (tests/data/vectors/link.json).
pub fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/vectors/link.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The hex string at `v`, decoded.
pub fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).unwrap()
}

/// Hands out the given bytes in order and panics when they run out, so a test
/// also pins down how many random bytes each operation draws.
pub struct FixedRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl FixedRng {
    pub fn new(parts: &[&[u8]]) -> Self {
        Self {
            bytes: parts.concat(),
            pos: 0,
        }
    }

    pub fn is_exhausted(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let end = self.pos + dest.len();
        assert!(end <= self.bytes.len(), "FixedRng ran out of bytes");
        dest.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Test-only: fixed bytes on purpose, to reproduce the reference vectors.
impl CryptoRng for FixedRng {}

/// A cheap deterministic RNG (xorshift64*): fine for varying test keys and IVs,
/// not a CSPRNG.
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
}

impl RngCore for SeededRng {
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

impl CryptoRng for SeededRng {}

/// Which end of the pair: `A` initiates, `B` responds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// How the pair is set up.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// One-way latency in seconds.
    pub latency: f64,
    /// The initiator's next-hop HW_MTU, if it signals one.
    pub initiator_mtu: Option<u32>,
    /// The responder's receiving interface HW_MTU.
    pub responder_mtu: Option<u32>,
    pub responder_strategy: ProofStrategy,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            latency: 0.05,
            initiator_mtu: None,
            responder_mtu: None,
            responder_strategy: ProofStrategy::All,
        }
    }
}

struct InFlight {
    arrives: f64,
    to: Side,
    raw: Vec<u8>,
}

/// Two links joined by an in-memory wire with a fixed latency.
pub struct Net {
    pub now: f64,
    pub latency: f64,
    links: [Link; 2],
    in_flight: Vec<InFlight>,
    /// Every event, with when and where it happened.
    pub events: Vec<(f64, Side, LinkEvent)>,
    /// Every packet sent, with when and by whom (muted sides included).
    pub sent: Vec<(f64, Side, Packet)>,
    /// Packets sent by a muted side are lost.
    pub muted: [bool; 2],
    pub responder_identity: PrivateIdentity,
    pub rng: SeededRng,
}

impl Net {
    /// The initiator sends its LINKREQUEST at T0; the responder accepts it one
    /// latency later. Nothing else has happened yet.
    pub fn new(setup: Setup, seed: u64) -> Net {
        let mut rng = SeededRng::new(seed);
        let responder_identity = PrivateIdentity::generate(&mut rng);
        let destination = DestinationHash([0x42; 16]);
        let (a, request) = Link::initiate(
            T0,
            destination,
            responder_identity.public().clone(),
            setup.initiator_mtu,
            &mut rng,
        );
        let received = Packet::decode(&request.encode()).unwrap();
        let now = T0 + setup.latency;
        let (b, proof) = Link::accept(
            now,
            &received,
            &responder_identity,
            setup.responder_strategy,
            setup.responder_mtu,
            &mut rng,
        )
        .unwrap();
        let mut net = Net {
            now,
            latency: setup.latency,
            links: [a, b],
            in_flight: Vec::new(),
            events: Vec::new(),
            sent: vec![(T0, Side::A, request)],
            muted: [false; 2],
            responder_identity,
            rng,
        };
        net.dispatch(Side::B, vec![LinkAction::Send(proof)]);
        net
    }

    /// A pair whose handshake has completed on both ends.
    pub fn established(setup: Setup, seed: u64) -> Net {
        let mut net = Net::new(setup, seed);
        net.run_for(4.0 * setup.latency + 0.001);
        assert!(net.link(Side::A).state() == rns_proto::link::LinkState::Active);
        assert!(net.link(Side::B).state() == rns_proto::link::LinkState::Active);
        net.events.clear();
        net
    }

    pub fn link(&self, side: Side) -> &Link {
        &self.links[side.index()]
    }

    pub fn link_mut(&mut self, side: Side) -> &mut Link {
        &mut self.links[side.index()]
    }

    /// Runs an application call on `side` at the current time and puts what it
    /// asks for on the wire.
    pub fn act<R>(
        &mut self,
        side: Side,
        call: impl FnOnce(&mut Link, f64, &mut Vec<LinkAction>, &mut SeededRng) -> R,
    ) -> R {
        let mut out = Vec::new();
        let now = self.now;
        let result = call(&mut self.links[side.index()], now, &mut out, &mut self.rng);
        self.dispatch(side, out);
        result
    }

    fn dispatch(&mut self, from: Side, actions: Vec<LinkAction>) {
        for action in actions {
            match action {
                LinkAction::Send(packet) => {
                    if !self.muted[from.index()] {
                        self.in_flight.push(InFlight {
                            arrives: self.now + self.latency,
                            to: from.other(),
                            raw: packet.encode(),
                        });
                    }
                    self.sent.push((self.now, from, packet));
                }
                LinkAction::Event(event) => self.events.push((self.now, from, event)),
            }
        }
    }

    /// Runs packets and timers in time order up to `until`, then sets the clock
    /// to `until`.
    pub fn run_until(&mut self, until: f64) {
        for _ in 0..1_000_000 {
            if !self.step(until) {
                self.now = self.now.max(until);
                return;
            }
        }
        panic!("the pair did not settle: a timer that never advances?");
    }

    pub fn run_for(&mut self, seconds: f64) {
        self.run_until(self.now + seconds);
    }

    /// Does the next thing due by `until`: packets before timers at equal times.
    fn step(&mut self, until: f64) -> bool {
        let packet = self
            .in_flight
            .iter()
            .enumerate()
            .min_by(|x, y| x.1.arrives.total_cmp(&y.1.arrives))
            .map(|(i, f)| (i, f.arrives));
        let timer = [Side::A, Side::B]
            .into_iter()
            .filter_map(|s| self.link(s).next_deadline().map(|d| (s, d)))
            .min_by(|x, y| x.1.total_cmp(&y.1));
        match (packet, timer) {
            (Some((i, at)), t) if at <= until && t.is_none_or(|(_, d)| at <= d) => {
                let flight = self.in_flight.swap_remove(i);
                self.now = self.now.max(at);
                self.deliver(flight.to, &flight.raw);
                true
            }
            (_, Some((side, at))) if at <= until => {
                self.now = self.now.max(at);
                self.act(side, |link, now, out, rng| {
                    link.handle_timeout(now, out, rng)
                });
                true
            }
            _ => false,
        }
    }

    /// Decodes `raw` and hands it to `to`, as the node would.
    pub fn deliver(&mut self, to: Side, raw: &[u8]) {
        let packet = Packet::decode(raw).unwrap();
        self.act(to, |link, now, out, rng| {
            link.handle_packet(now, &packet, out, rng)
        });
    }

    /// The events `side` has reported so far.
    pub fn events_of(&self, side: Side) -> Vec<LinkEvent> {
        self.events
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(_, _, e)| e.clone())
            .collect()
    }

    /// The packets `side` has sent, in order.
    pub fn sent_by(&self, side: Side) -> Vec<(f64, Packet)> {
        self.sent
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(t, _, p)| (*t, p.clone()))
            .collect()
    }
}
