//! Announce signatures checked off the node's thread.
//!
//! Verifying an Ed25519 signature is by far the costliest thing an announce
//! asks of us, and the node handles packets one at a time. With deferred
//! verification on, an announce that passed every cheap check (key
//! consistency, the ingress limit for unknown destinations) is parked as a
//! [`VerifyJob`] instead of being verified in line; the driver takes jobs with
//! [`Node::poll_verify_job`], runs [`VerifyJob::verify`] on any thread, and
//! hands the result back with [`Node::handle_verified`], which finishes the
//! announce exactly as the in-line path would. The backlog is capped
//! (`Limits::max_pending_verifications`); a driver should stop feeding
//! packets while [`Node::verify_backlog`] is at the cap, so a sender is slowed
//! down by the transport instead of losing announces.
//!
//! Off by default: the simulation tests and any driver that does not poll for
//! jobs see the in-line behaviour.

use rns_wire::WireError;
use rns_wire::announce::{Announce, ValidatedAnnounce};
use rns_wire::packet::Packet;

use super::Node;
use super::inbound::Arrival;
use super::stats::DropReason;

/// An announce waiting for its signature check.
#[derive(Debug)]
pub struct VerifyJob {
    packet: Packet,
    announce: Announce,
    at: Arrival,
}

impl VerifyJob {
    /// Checks the destination hash and the signature: pure, and safe to run on
    /// any thread.
    pub fn verify(self) -> VerifiedJob {
        VerifiedJob {
            result: self.announce.validate(),
            packet: self.packet,
            at: self.at,
        }
    }
}

/// A [`VerifyJob`] with its outcome, for [`Node::handle_verified`].
#[derive(Debug)]
pub struct VerifiedJob {
    packet: Packet,
    at: Arrival,
    result: Result<ValidatedAnnounce, WireError>,
}

impl Node {
    /// The caps this node runs with.
    pub fn limits(&self) -> &super::Limits {
        &self.config.limits
    }

    /// Turns deferred announce verification on or off (see the module docs).
    /// Jobs already parked stay until they are polled and handed back.
    pub fn set_deferred_verification(&mut self, on: bool) {
        self.deferred_verification = on;
    }

    /// The next announce to verify, if any.
    pub fn poll_verify_job(&mut self) -> Option<VerifyJob> {
        let job = self.verify_jobs.pop_front()?;
        self.verifying += 1;
        Some(job)
    }

    /// Announces parked or out for verification.
    pub fn verify_backlog(&self) -> usize {
        self.verify_jobs.len() + self.verifying
    }

    /// Whether the backlog is at its cap: a driver should hold back inbound
    /// packets until results come back.
    pub fn verify_backlog_full(&self) -> bool {
        self.verify_backlog() >= self.config.limits.max_pending_verifications
    }

    /// Finishes an announce whose signature was checked elsewhere.
    pub fn handle_verified(&mut self, now: f64, job: VerifiedJob) {
        self.verifying = self.verifying.saturating_sub(1);
        let VerifiedJob { packet, at, result } = job;
        let Some(valid) = self.verification_outcome(result) else {
            return;
        };
        // The tables moved on while the signature was checked: the checks
        // that depend on them run again.
        if self.known.conflicts(&valid.destination, valid.identity()) {
            return self.counters.drop(DropReason::AnnounceKeyMismatch);
        }
        if !at.from_shared_instance && self.packet_hashes.contains(&packet.truncated_hash()) {
            return self.note_rebroadcast(&packet, &valid);
        }
        self.after_validation(now, packet, &valid, at);
    }

    /// Parks an announce for verification elsewhere, or drops it when the
    /// backlog is full.
    pub(crate) fn defer_verification(&mut self, packet: Packet, announce: Announce, at: Arrival) {
        if self.verify_backlog_full() {
            return self.counters.drop(DropReason::VerifyBacklogFull);
        }
        self.verify_jobs.push_back(VerifyJob {
            packet,
            announce,
            at,
        });
    }

    /// Counts a failed check; passes a valid announce on.
    pub(crate) fn verification_outcome(
        &mut self,
        result: Result<ValidatedAnnounce, WireError>,
    ) -> Option<ValidatedAnnounce> {
        match result {
            Ok(valid) => Some(valid),
            Err(WireError::HashMismatch(_)) => {
                self.counters.drop(DropReason::AnnounceHash);
                None
            }
            Err(_) => {
                self.counters.drop(DropReason::AnnounceSignature);
                None
            }
        }
    }
}
