//! A multi-node simulation for `rns_proto::node`: nodes wired through
//! in-memory media with latency and seeded loss, under a virtual clock.
//!
//! The loop never sleeps: it jumps to the earliest of the pending deliveries
//! and the nodes' `next_deadline()`s, delivers or times out whatever is due,
//! collects transmits and events, and repeats.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use rns_crypto::{CryptoRng, DestinationHash, PrivateIdentity, RngCore};
use rns_proto::node::{Event, InterfaceConfig, InterfaceId, Node, NodeConfig};
use rns_wire::packet::Packet;

/// Virtual time the simulations start at (a realistic epoch second).
pub const T0: f64 = 1_700_000_000.0;

/// A deterministic RNG (splitmix64). Not for real keys: tests only.
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl RngCore for SimRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SimRng {}

/// A deterministic identity from a label.
pub fn identity(seed: u64) -> PrivateIdentity {
    PrivateIdentity::generate(&mut SimRng::new(seed ^ 0x1d3e_4f00))
}

pub struct SimNode {
    pub name: String,
    pub node: Node,
    /// Every event the node raised, with the time it was collected.
    pub events: Vec<(f64, Event)>,
    next_iface: u32,
}

/// A shared medium: whatever one member sends, every other member receives.
pub struct Medium {
    pub members: Vec<(usize, InterfaceId)>,
    pub latency: f64,
    pub loss: f64,
    pub up: bool,
}

/// One transmission seen on a medium, for tests that inspect the wire.
#[derive(Debug, Clone)]
pub struct Traced {
    pub at: f64,
    pub node: usize,
    pub interface: InterfaceId,
    pub raw: Vec<u8>,
}

impl Traced {
    pub fn packet(&self) -> Option<Packet> {
        Packet::decode(&self.raw).ok()
    }
}

struct Delivery {
    at: f64,
    seq: u64,
    node: usize,
    interface: InterfaceId,
    raw: Vec<u8>,
}

impl PartialEq for Delivery {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Delivery {}
impl PartialOrd for Delivery {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delivery {
    /// Reversed, so the max-heap pops the earliest delivery first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .at
            .total_cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

pub struct Sim {
    pub now: f64,
    pub nodes: Vec<SimNode>,
    pub media: Vec<Medium>,
    attached: HashMap<(usize, InterfaceId), usize>,
    in_flight: BinaryHeap<Delivery>,
    rng: SimRng,
    seed: u64,
    seq: u64,
    /// Every transmission, when `tracing` is on.
    pub trace: Vec<Traced>,
    pub tracing: bool,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Self {
            now: T0,
            nodes: Vec::new(),
            media: Vec::new(),
            attached: HashMap::new(),
            in_flight: BinaryHeap::new(),
            rng: SimRng::new(seed),
            seed,
            seq: 0,
            trace: Vec::new(),
            tracing: false,
        }
    }

    pub fn add_node(&mut self, name: &str, config: NodeConfig) -> usize {
        let index = self.nodes.len();
        let rng = SimRng::new(self.seed.wrapping_mul(31).wrapping_add(index as u64 + 1));
        self.nodes.push(SimNode {
            name: name.to_owned(),
            node: Node::new(config, Box::new(rng)),
            events: Vec::new(),
            next_iface: 0,
        });
        index
    }

    /// An endpoint with a fresh deterministic transport identity.
    pub fn endpoint(&mut self, name: &str) -> usize {
        let id = identity(self.seed ^ (self.nodes.len() as u64 + 100));
        self.add_node(name, NodeConfig::new(id))
    }

    /// A transport-enabled node.
    pub fn transport(&mut self, name: &str) -> usize {
        let id = identity(self.seed ^ (self.nodes.len() as u64 + 100));
        let mut config = NodeConfig::new(id);
        config.transport_enabled = true;
        self.add_node(name, config)
    }

    /// Adds an interface to `node` on `medium` (made if `None`).
    pub fn attach(&mut self, node: usize, medium: usize, config: InterfaceConfig) -> InterfaceId {
        let n = &mut self.nodes[node];
        let id = InterfaceId(n.next_iface);
        n.next_iface += 1;
        n.node.add_interface(id, config);
        self.media[medium].members.push((node, id));
        self.attached.insert((node, id), medium);
        id
    }

    pub fn medium(&mut self, latency: f64, loss: f64) -> usize {
        self.media.push(Medium {
            members: Vec::new(),
            latency,
            loss,
            up: true,
        });
        self.media.len() - 1
    }

    /// A point-to-point medium between `a` and `b` with default interfaces.
    pub fn connect(&mut self, a: usize, b: usize, latency: f64, loss: f64) -> usize {
        self.connect_with(a, b, latency, loss, |_| {})
    }

    pub fn connect_with(
        &mut self,
        a: usize,
        b: usize,
        latency: f64,
        loss: f64,
        configure: impl Fn(&mut InterfaceConfig),
    ) -> usize {
        let m = self.medium(latency, loss);
        for (node, other) in [(a, b), (b, a)] {
            let mut config = InterfaceConfig::new(format!("to-{}", self.nodes[other].name));
            configure(&mut config);
            self.attach(node, m, config);
        }
        m
    }

    /// The interface `node` has on `medium`.
    pub fn iface(&self, node: usize, medium: usize) -> InterfaceId {
        self.media[medium]
            .members
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, i)| *i)
            .expect("node is not on this medium")
    }

    pub fn node(&mut self, index: usize) -> &mut Node {
        &mut self.nodes[index].node
    }

    /// Calls into a node at the current time, then collects its output.
    pub fn with<R>(&mut self, index: usize, f: impl FnOnce(&mut Node, f64) -> R) -> R {
        let now = self.now;
        let r = f(&mut self.nodes[index].node, now);
        self.pump();
        r
    }

    /// Injects raw bytes as if they arrived on `node`'s `interface`.
    pub fn inject(&mut self, node: usize, interface: InterfaceId, raw: &[u8]) {
        let now = self.now;
        self.nodes[node].node.handle_inbound(now, interface, raw);
        self.pump();
    }

    /// Moves transmits onto the media and events into each node's log.
    fn pump(&mut self) {
        for index in 0..self.nodes.len() {
            while let Some(tx) = self.nodes[index].node.poll_transmit() {
                self.send(index, tx.interface, tx.raw);
            }
            let now = self.now;
            while let Some(ev) = self.nodes[index].node.poll_event() {
                self.nodes[index].events.push((now, ev));
            }
        }
    }

    fn send(&mut self, node: usize, interface: InterfaceId, raw: Vec<u8>) {
        if self.tracing {
            let at = self.now;
            self.trace.push(Traced {
                at,
                node,
                interface,
                raw: raw.clone(),
            });
        }
        let Some(&m) = self.attached.get(&(node, interface)) else {
            return;
        };
        let medium = &self.media[m];
        if !medium.up {
            return;
        }
        let (latency, loss) = (medium.latency, medium.loss);
        let receivers: Vec<_> = medium
            .members
            .iter()
            .filter(|(n, _)| *n != node)
            .copied()
            .collect();
        for (to, iface) in receivers {
            if loss > 0.0 && self.rng.unit() < loss {
                continue;
            }
            self.seq += 1;
            self.in_flight.push(Delivery {
                at: self.now + latency,
                seq: self.seq,
                node: to,
                interface: iface,
                raw: raw.clone(),
            });
        }
    }

    fn next_time(&self) -> Option<f64> {
        let delivery = self.in_flight.peek().map(|d| d.at);
        let deadline = self
            .nodes
            .iter()
            .filter_map(|n| n.node.next_deadline())
            .reduce(f64::min);
        [delivery, deadline].into_iter().flatten().reduce(f64::min)
    }

    /// Runs the network until virtual time `end`.
    pub fn run_until(&mut self, end: f64) {
        self.pump();
        let mut stuck = 0;
        while self.advance(end, &mut stuck) {}
        self.now = self.now.max(end);
    }

    /// One step towards `end`; false when nothing more happens before it.
    fn advance(&mut self, end: f64, stuck: &mut u32) -> bool {
        let Some(next) = self.next_time().filter(|t| *t <= end) else {
            return false;
        };
        if next <= self.now {
            *stuck += 1;
            assert!(*stuck < 100_000, "simulation stuck at t={}", self.now - T0);
        } else {
            *stuck = 0;
            self.now = next;
        }
        self.step();
        true
    }

    pub fn run_for(&mut self, seconds: f64) {
        self.run_until(self.now + seconds);
    }

    fn step(&mut self) {
        let now = self.now;
        while self.in_flight.peek().is_some_and(|d| d.at <= now) {
            if let Some(d) = self.in_flight.pop() {
                self.nodes[d.node]
                    .node
                    .handle_inbound(now, d.interface, &d.raw);
            }
        }
        for n in &mut self.nodes {
            if n.node.next_deadline().is_some_and(|d| d <= now) {
                n.node.handle_timeout(now);
            }
        }
        self.pump();
    }

    /// Runs until `node` has raised an event matching `pred` (searching from
    /// event index `from`) or `timeout` seconds pass.
    pub fn run_until_event(
        &mut self,
        node: usize,
        timeout: f64,
        pred: impl Fn(&Event) -> bool,
    ) -> Option<Event> {
        let from = self.nodes[node].events.len();
        let end = self.now + timeout;
        self.pump();
        let mut stuck = 0;
        loop {
            if let Some((_, e)) = self.nodes[node].events[from..]
                .iter()
                .find(|(_, e)| pred(e))
            {
                return Some(e.clone());
            }
            if !self.advance(end, &mut stuck) {
                self.now = self.now.max(end);
                return None;
            }
        }
    }

    pub fn events(&self, node: usize) -> impl Iterator<Item = &Event> {
        self.nodes[node].events.iter().map(|(_, e)| e)
    }

    pub fn clear_events(&mut self) {
        for n in &mut self.nodes {
            n.events.clear();
        }
    }

    pub fn set_loss(&mut self, medium: usize, loss: f64) {
        self.media[medium].loss = loss;
    }

    pub fn set_up(&mut self, medium: usize, up: bool) {
        self.media[medium].up = up;
    }
}

/// Registers a SINGLE destination `app.aspect` on `node` with `strategy`,
/// accepting links.
pub fn single_destination(
    sim: &mut Sim,
    node: usize,
    seed: u64,
    strategy: rns_proto::node::ProofStrategy,
) -> DestinationHash {
    let spec = rns_proto::node::DestinationSpec::single(identity(seed), "simapp", &["inbox"])
        .with_proof_strategy(strategy)
        .accepting_links();
    sim.node(node).register_destination(spec).expect("register")
}

/// Whether an event is an announce for `destination`.
pub fn is_announce_for(destination: DestinationHash) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::AnnounceReceived { destination: d, .. } if *d == destination)
}
