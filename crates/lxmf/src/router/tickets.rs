//! Tickets in the router (protocol.md §18): we issue a ticket to a peer by
//! putting it in the fields of a message to it (the app chooses which
//! messages, as the reference's `include_ticket`); a peer that sends one in
//! a message whose signature we verified gives us a ticket we then use
//! instead of a proof-of-work stamp; inbound stamps made from a ticket we
//! issued to the sender are worth `COST_TICKET`.
//!
//! Choices: tickets live in memory only (the app may persist them through
//! [`Router::held_tickets`] / [`Router::remember_ticket`]); at most
//! [`MAX_ISSUED_PER_PEER`] issued tickets are kept per peer (renewals), and
//! no more peers than `max_peers` on either side; a ticket counts until its
//! `expires` (the reference did not honour the grace period either).

use rns_crypto::{CryptoRngCore, DestinationHash};

use super::Router;
use crate::fields::id;
use crate::message::PackedMessage;
use crate::ticket::{TICKET_LENGTH, Ticket};

/// Issued tickets remembered per peer (a renewal adds one).
pub const MAX_ISSUED_PER_PEER: usize = 4;

impl Router {
    /// The ticket to give `peer` now: the current one while more than the
    /// renewal window remains, else a new one (remembered, so the peer's
    /// stamps made from it are accepted).
    pub fn issue_ticket(
        &mut self,
        now: f64,
        peer: DestinationHash,
        rng: &mut dyn CryptoRngCore,
    ) -> Ticket {
        let current = self
            .issued
            .get(&peer)
            .and_then(|v| v.iter().max_by(|a, b| a.expires.total_cmp(&b.expires)))
            .copied();
        let ticket = Ticket::reuse_or_issue(current.as_ref(), now, rng);
        if current != Some(ticket) {
            if !self.issued.contains_key(&peer) && self.issued.len() >= self.config.max_peers {
                self.forget_expired_tickets(now);
                if self.issued.len() >= self.config.max_peers {
                    return ticket;
                }
            }
            let list = self.issued.entry(peer).or_default();
            list.retain(|t| t.is_valid_at(now));
            if list.len() >= MAX_ISSUED_PER_PEER {
                list.remove(0);
            }
            list.push(ticket);
        }
        ticket
    }

    /// Remembers a ticket `peer` gave us (replacing one expiring sooner).
    pub fn remember_ticket(&mut self, now: f64, peer: DestinationHash, ticket: Ticket) {
        if !ticket.is_valid_at(now) {
            return;
        }
        if !self.held.contains_key(&peer) && self.held.len() >= self.config.max_peers {
            self.forget_expired_tickets(now);
            if self.held.len() >= self.config.max_peers {
                return;
            }
        }
        let keep = self
            .held
            .get(&peer)
            .is_some_and(|t| t.is_valid_at(now) && t.expires >= ticket.expires);
        if !keep {
            self.held.insert(peer, ticket);
        }
    }

    /// The valid ticket `peer` gave us, if any.
    pub fn ticket_for(&self, now: f64, peer: &DestinationHash) -> Option<Ticket> {
        self.held.get(peer).filter(|t| t.is_valid_at(now)).copied()
    }

    /// Tickets peers gave us (to persist them).
    pub fn held_tickets(&self) -> impl Iterator<Item = (&DestinationHash, &Ticket)> {
        self.held.iter()
    }

    /// The ticket bytes we issued to `peer` that are still valid: the stamps
    /// they make count as [`crate::ticket::COST_TICKET`].
    pub(crate) fn issued_to(&self, now: f64, peer: &DestinationHash) -> Vec<[u8; TICKET_LENGTH]> {
        self.issued
            .get(peer)
            .map(|v| {
                v.iter()
                    .filter(|t| t.is_valid_at(now))
                    .map(|t| t.bytes)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A verified inbound message: keep the ticket it carries for its source.
    pub(crate) fn take_ticket_from(&mut self, now: f64, message: &PackedMessage) {
        let m = message.message();
        if let Some(ticket) = m.fields.get(id::TICKET).and_then(Ticket::from_field) {
            self.remember_ticket(now, m.source_hash, ticket);
        }
    }

    fn forget_expired_tickets(&mut self, now: f64) {
        self.held.retain(|_, t| t.is_valid_at(now));
        self.issued.retain(|_, v| {
            v.retain(|t| t.is_valid_at(now));
            !v.is_empty()
        });
    }
}
