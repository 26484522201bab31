//! Holding back answers that would reach the reference too fast: link
//! responses and delivery proofs.
//!
//! The reference (rns 1.5.7) sends a request or a packet first and registers
//! what waits for its answer (the request receipt, the packet receipt) only
//! afterwards; an answer that arrives in between is dropped, silently, and
//! the request or receipt fails at its timeout. Over loopback, a Unix socket
//! or a LAN our node answers within 0.1–1 ms of the arrival, and the interop
//! tests saw 5–15 % of such responses lost, and delivery proofs lost now and
//! then on a loaded machine; answers that reached the requester 1.7 ms or more
//! after it sent were never lost (docs/interop.md, "Interop findings").
//!
//! So a response to a request that arrived less than [`RESPONSE_HOLD`] ago is
//! sealed at once (errors reach the caller as usual) but transmitted only when
//! `RESPONSE_HOLD` has passed since the request arrived; a delivery proof
//! (single packet or link packet) likewise leaves `RESPONSE_HOLD` after the
//! packet it proves. Otherwise the hold does not look at the link's RTT: on
//! loopback the measured RTT is mostly the requester's own handshake work,
//! largest exactly when the requester is slow and its window widest; and on
//! slow links 5 ms more is noise. The one exception: a link proof is held at
//! most half the sender's receipt timeout (rtt × 6, at least 5 ms), or a fast
//! sender's receipt (ours, over loopback) would time out first. A link that
//! closes meanwhile loses its held packets, as anything sent into a closing
//! link would be lost.

use std::collections::HashMap;

use rns_wire::packet::Packet;

use crate::link::{LinkAction, LinkId, LinkState, RequestId};

use super::config::InterfaceId;
use super::{Node, NodeError};

/// The least time between a request's (or packet's) arrival and its answer
/// leaving. Several times the longest window seen in the interop tests, and
/// CPython's default thread switch interval (5 ms): how long the requester's
/// sending thread may wait for the interpreter lock while another thread runs.
pub const RESPONSE_HOLD: f64 = 0.005;

/// The reference's (and our) timeout of a link packet's receipt:
/// rtt × 6, at least 5 ms.
fn link_receipt_timeout(rtt: f64) -> f64 {
    (rtt * 6.0).max(0.005)
}

/// Arrival times tracked at most (older ones are useless after
/// [`RESPONSE_HOLD`] anyway and are culled).
const MAX_ARRIVALS: usize = 1024;

#[derive(Debug)]
enum Held {
    /// Packets of one of our links (a response, a link delivery proof).
    Link {
        link: LinkId,
        actions: Vec<LinkAction>,
    },
    /// A packet for one interface (a single packet's delivery proof).
    Transmit {
        interface: InterfaceId,
        packet: Packet,
    },
}

/// Arrival times of unanswered requests, and answers waiting for release.
#[derive(Debug, Default)]
pub(crate) struct ResponseHold {
    arrivals: HashMap<(LinkId, RequestId), f64>,
    held: Vec<(f64, Held)>,
}

impl ResponseHold {
    pub(crate) fn request_arrived(&mut self, now: f64, link: LinkId, request: RequestId) {
        if self.arrivals.len() >= MAX_ARRIVALS {
            self.cull(now);
        }
        if self.arrivals.len() >= MAX_ARRIVALS {
            // Still full of fresh requests: forget the oldest.
            let oldest = self
                .arrivals
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.arrivals.remove(&k);
            }
        }
        self.arrivals.insert((link, request), now);
    }

    /// Forgets arrivals too old to hold anything back.
    pub(crate) fn cull(&mut self, now: f64) {
        self.arrivals.retain(|_, at| now < *at + RESPONSE_HOLD);
    }

    pub(crate) fn next_due(&self) -> Option<f64> {
        self.held.iter().map(|(due, _)| *due).reduce(f64::min)
    }

    pub(crate) fn held(&self) -> usize {
        self.held.len()
    }
}

impl Node {
    /// Answers a request on one of our links, now or once the hold is over.
    pub(crate) fn respond_on_link(
        &mut self,
        now: f64,
        link: &LinkId,
        request: RequestId,
        response: rns_msgpack::Value,
    ) -> Result<(), NodeError> {
        let arrived = self.response_hold.arrivals.remove(&(*link, request));
        let local = self
            .links
            .get_mut(link)
            .ok_or(NodeError::UnknownLink(*link))?;
        let due = arrived.map(|at| at + RESPONSE_HOLD);
        let Some(due) = due.filter(|d| *d > now) else {
            return self.with_link(now, link, |l, out, rng| {
                l.respond(now, request, response, out, rng)
            });
        };
        let mut actions = Vec::new();
        local
            .link
            .respond(now, request, response, &mut actions, &mut *self.rng)?;
        let held = Held::Link {
            link: *link,
            actions,
        };
        self.response_hold.held.push((due, held));
        Ok(())
    }

    /// Sends link packets (proofs of what arrived at `now`) once the hold is
    /// over. On a link the hold is capped at half the sender's receipt
    /// timeout (rtt × 6, at least 5 ms), so that a fast peer, ours included,
    /// still gets its proof in time; a reference peer's RTT includes its own
    /// slow handshake work and leaves the full hold.
    pub(crate) fn hold_link_actions(&mut self, now: f64, link: LinkId, actions: Vec<LinkAction>) {
        let rtt = self
            .links
            .get(&link)
            .and_then(|l| l.link.rtt())
            .unwrap_or(0.0);
        let hold = RESPONSE_HOLD.min(link_receipt_timeout(rtt) / 2.0);
        let held = Held::Link { link, actions };
        self.response_hold.held.push((now + hold, held));
    }

    /// Sends `packet` (a proof of what arrived at `now`) on `interface` once
    /// the hold is over.
    pub(crate) fn hold_transmit(&mut self, now: f64, interface: InterfaceId, packet: Packet) {
        let held = Held::Transmit { interface, packet };
        self.response_hold.held.push((now + RESPONSE_HOLD, held));
    }

    /// Sends the held answers that are due (link ones only while the link is
    /// still up).
    pub(crate) fn release_held_responses(&mut self, now: f64) {
        if !self.response_hold.held.iter().any(|(due, _)| *due <= now) {
            return;
        }
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.response_hold.held)
            .into_iter()
            .partition(|(due, _)| *due <= now);
        self.response_hold.held = waiting;
        for (_, held) in due {
            match held {
                Held::Link { link, actions } => {
                    let up = self.links.get(&link).is_some_and(|l| {
                        matches!(l.link.state(), LinkState::Active | LinkState::Stale)
                    });
                    if up {
                        self.apply_link_actions(now, link, actions);
                    }
                }
                Held::Transmit { interface, packet } => self.transmit(interface, &packet),
            }
        }
    }
}
