//! Holding back responses that would reach the requester too fast.
//!
//! The reference requester (rns 1.5.7) can drop a response that arrives
//! within about a millisecond of its request, silently: the request then
//! fails at its timeout (rtt × 6 + 11.25 s by default). Over loopback, a Unix
//! socket or a LAN our node answers within 0.1 ms of the request's arrival,
//! and the interop tests saw 5–15 % of such responses lost; responses that
//! reached the requester 1.7 ms or more after the request left were never
//! lost (docs/interop.md, "Fast responses").
//!
//! So a response to a request that arrived less than [`RESPONSE_HOLD`] ago is
//! sealed at once (errors reach the caller as usual) but transmitted only when
//! `RESPONSE_HOLD` has passed since the request arrived. The hold does not
//! look at the link's RTT: on loopback the measured RTT is mostly the
//! requester's own handshake work, largest exactly when the requester is slow
//! and its window widest; and on slow links 5 ms more is noise. A link that
//! closes meanwhile loses the held packets, as a response sent into a
//! closing link would be lost.

use std::collections::HashMap;

use crate::link::{LinkAction, LinkId, LinkState, RequestId};

use super::{Node, NodeError};

/// The least time between a request's arrival and its response leaving.
/// Several times the longest window seen in the interop tests, and CPython's
/// default thread switch interval (5 ms): how long the requester's sending
/// thread may wait for the interpreter lock while another thread runs.
pub const RESPONSE_HOLD: f64 = 0.005;

/// Arrival times tracked at most (older ones are useless after
/// [`RESPONSE_HOLD`] anyway and are culled).
const MAX_ARRIVALS: usize = 1024;

#[derive(Debug)]
struct Held {
    due: f64,
    link: LinkId,
    actions: Vec<LinkAction>,
}

/// Arrival times of unanswered requests, and responses waiting for release.
#[derive(Debug, Default)]
pub(crate) struct ResponseHold {
    arrivals: HashMap<(LinkId, RequestId), f64>,
    held: Vec<Held>,
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
        self.held.iter().map(|h| h.due).reduce(f64::min)
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
        self.response_hold.held.push(Held {
            due,
            link: *link,
            actions,
        });
        Ok(())
    }

    /// Sends the held responses that are due, on links that are still up.
    pub(crate) fn release_held_responses(&mut self, now: f64) {
        if !self.response_hold.held.iter().any(|h| h.due <= now) {
            return;
        }
        let (due, waiting): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.response_hold.held)
            .into_iter()
            .partition(|h| h.due <= now);
        self.response_hold.held = waiting;
        for held in due {
            let up = self
                .links
                .get(&held.link)
                .is_some_and(|l| matches!(l.link.state(), LinkState::Active | LinkState::Stale));
            if up {
                self.apply_link_actions(now, held.link, held.actions);
            }
        }
    }
}
