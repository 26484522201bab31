//! A lossy, reordering wire for the channel tests, built on the link pair of
//! `link_support`: both sides are muted there, and this wire picks up what
//! they send, decides each packet's fate (lost, or delayed by some amount) and
//! delivers it under the same virtual clock. Never sleeps.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::RngCore;
use rns_proto::link::{Link, LinkAction, LinkEvent};
use rns_wire::packet::Packet;

use crate::link_support::{Net, SeededRng, Setup, Side};

/// What happens to one packet: `None` loses it, `Some(d)` delivers it `d`
/// seconds after it was sent.
pub type Fate = Box<dyn FnMut(f64, Side, &Packet, &mut SeededRng) -> Option<f64>>;

struct Flight {
    arrives: f64,
    order: u64,
    to: Side,
    raw: Vec<u8>,
}

pub struct Wire {
    pub net: Net,
    fate: Fate,
    rng: SeededRng,
    seen: usize,
    order: u64,
    flights: Vec<Flight>,
}

impl Wire {
    /// An established pair whose later packets all go through `fate`.
    pub fn new(setup: Setup, seed: u64, fate: Fate) -> Wire {
        let mut net = Net::established(setup, seed);
        net.muted = [true, true];
        let seen = net.sent.len();
        Wire {
            net,
            fate,
            rng: SeededRng::new(seed ^ 0xfa7e),
            seen,
            order: 0,
            flights: Vec::new(),
        }
    }

    /// A fixed one-way latency and no loss.
    pub fn clean(setup: Setup, seed: u64) -> Wire {
        let latency = setup.latency;
        Wire::new(setup, seed, Box::new(move |_, _, _, _| Some(latency)))
    }

    /// Each packet is lost with probability `loss`, and otherwise takes
    /// `latency` plus up to `jitter` seconds, so packets overtake each other.
    pub fn lossy(setup: Setup, seed: u64, loss: f64, jitter: f64) -> Wire {
        let latency = setup.latency;
        Wire::new(
            setup,
            seed,
            Box::new(move |_, _, _, rng| {
                let r = unit(rng);
                if r < loss {
                    return None;
                }
                Some(latency + jitter * unit(rng))
            }),
        )
    }

    pub fn set_fate(&mut self, fate: Fate) {
        self.fate = fate;
    }

    pub fn now(&self) -> f64 {
        self.net.now
    }

    pub fn link(&self, side: Side) -> &Link {
        self.net.link(side)
    }

    pub fn link_mut(&mut self, side: Side) -> &mut Link {
        self.net.link_mut(side)
    }

    /// An application call on `side`; what it sends goes on this wire.
    pub fn act<R>(
        &mut self,
        side: Side,
        call: impl FnOnce(&mut Link, f64, &mut Vec<LinkAction>, &mut SeededRng) -> R,
    ) -> R {
        let r = self.net.act(side, call);
        self.collect();
        r
    }

    /// Hands raw bytes to `side` as if they had arrived now.
    pub fn inject(&mut self, to: Side, raw: &[u8]) {
        self.net.deliver(to, raw);
        self.collect();
    }

    fn collect(&mut self) {
        let fresh: Vec<(f64, Side, Packet)> = self.net.sent[self.seen..].to_vec();
        self.seen = self.net.sent.len();
        for (at, from, packet) in fresh {
            if let Some(delay) = (self.fate)(at, from, &packet, &mut self.rng) {
                self.order += 1;
                self.flights.push(Flight {
                    arrives: at + delay,
                    order: self.order,
                    to: other(from),
                    raw: packet.encode(),
                });
            }
        }
    }

    /// Runs deliveries and timers in time order up to `until`. `app` runs
    /// before every step (the test's application, e.g. a writer that retries)
    /// and stops the run early by returning false. Returns whether it did.
    pub fn run_while(&mut self, until: f64, mut app: impl FnMut(&mut Wire) -> bool) -> bool {
        for _ in 0..5_000_000 {
            if !app(self) {
                return true;
            }
            if !self.step(until) {
                self.net.now = self.net.now.max(until);
                return false;
            }
        }
        panic!("the wire did not settle");
    }

    pub fn run_until(&mut self, until: f64) {
        self.run_while(until, |_| true);
    }

    pub fn run_for(&mut self, seconds: f64) {
        let until = self.now() + seconds;
        self.run_until(until);
    }

    fn step(&mut self, until: f64) -> bool {
        let flight = self
            .flights
            .iter()
            .enumerate()
            .min_by(|x, y| {
                x.1.arrives
                    .total_cmp(&y.1.arrives)
                    .then(x.1.order.cmp(&y.1.order))
            })
            .map(|(i, f)| (i, f.arrives));
        let timer = [Side::A, Side::B]
            .into_iter()
            .filter_map(|s| self.net.link(s).next_deadline().map(|d| (s, d)))
            .min_by(|x, y| x.1.total_cmp(&y.1));
        match (flight, timer) {
            (Some((i, at)), t) if at <= until && t.is_none_or(|(_, d)| at <= d) => {
                let flight = self.flights.swap_remove(i);
                self.net.now = self.net.now.max(at);
                self.net.deliver(flight.to, &flight.raw);
                self.collect();
                true
            }
            (_, Some((side, at))) if at <= until => {
                self.net.now = self.net.now.max(at);
                self.net.act(side, |link, now, out, rng| {
                    link.handle_timeout(now, out, rng)
                });
                self.collect();
                true
            }
            _ => false,
        }
    }

    /// Events `side` reported, in order.
    pub fn events_of(&self, side: Side) -> Vec<LinkEvent> {
        self.net.events_of(side)
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::A => Side::B,
        Side::B => Side::A,
    }
}

fn unit(rng: &mut SeededRng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}
