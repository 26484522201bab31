//! Resources: data of any size carried over a link as an advertised, windowed,
//! hash-verified transfer (§12), without I/O.
//!
//! This module holds the two state machines of one transfer, [`Outgoing`]
//! (sender) and [`Incoming`] (receiver), and what they share: the bz2 helpers,
//! the receiver's adaptive window, segment preparation. The link
//! (`crate::link`) owns the resources of its link, feeds them packets and
//! timeouts, turns what they [`Emit`] into packets, and reports to the
//! application with `LinkEvent::Resource*`.
//!
//! Where the protocol facts are silent, these choices are made:
//! - **Naming.** A resource is named to the application by its *original* hash
//!   (`o`, the first segment's hash), whatever segment is on the wire; for a
//!   single-segment resource that is simply its hash.
//! - **Segments.** The whole stream (metadata prefix, then data) is cut into
//!   segments of `MAX_EFFICIENT_SIZE` bytes; the metadata therefore sits at the
//!   start of segment 1, which alone carries the has-metadata flag. `d` is the
//!   size of the whole stream. Segments go one after the other: segment k+1 is
//!   advertised when segment k's proof arrives. Each is compressed on its own.
//! - **Receiving.** Later segments are accepted only as the next segment of a
//!   resource we are already assembling; anything else is rejected (RCL).
//!   The assembled stream is capped ([`ResourceLimits::max_incoming_size`],
//!   64 MiB by default) and so is each decompression (64 MiB, and never more
//!   than the space left under that cap).
//! - **Timers.** The receiver waits for requested parts
//!   `factor × rtt + outstanding bytes / rate + 0.5 s`, with factor 4 until one
//!   round has completed (then 2) and the rate measured over the last round
//!   (one part per rtt until then). It re-requests up to `MAX_RETRIES` times,
//!   shrinking the window each time, then fails and sends RCL. The sender
//!   re-advertises after `rtt × 6 + SENDER_GRACE_TIME` without a request, up to
//!   `MAX_ADV_RETRIES` times; once transferring it fails after
//!   `MAX_ADV_RETRIES` silent periods of `rtt × PROOF_TIMEOUT_FACTOR +
//!   SENDER_GRACE_TIME` (any request from the receiver resets the count).
//! - **Cancels.** A receiver that gives up, or finds the data corrupt, sends
//!   RCL so the sender stops at once instead of timing out. A sender that
//!   receives RCL before any request reports `Rejected`, after one `Cancelled`.
//! - **Proofs.** A proof that does not match is dropped, not fatal: only the
//!   right proof, or a timeout, concludes an outgoing resource.
//! - **Proving later.** With [`ResourceProving::App`] the proof of a plain
//!   resource's last segment is held until the application calls
//!   `prove_resource` (earlier segments are proved at once: the sender only
//!   advertises the next one after that proof).
//! - **Progress.** Reported once per request round at most, and only when it
//!   has advanced by 1 % of the total since the last report.

mod assembly;
mod compress;
mod receiver;
mod segment;
mod sender;
mod window;

use rns_msgpack::Value;
use rns_wire::packet::Context;

pub(crate) use assembly::{SegmentDone, Transfer};
pub use compress::{DECOMPRESS_CAP, DecompressError, decompress_capped};
pub(crate) use receiver::{Incoming, PartOutcome, Refusal};
pub use rns_wire::resource::{
    MAX_EFFICIENT_SIZE, ResourceFlags, ResourceHash, resource_hash as hash_of,
};
pub(crate) use sender::{Outgoing, SenderStep};
pub use window::Window;

/// Receiver retries of one round before the transfer fails.
pub const MAX_RETRIES: u32 = 16;
/// Times an advertisement is sent without any request coming back.
pub const MAX_ADV_RETRIES: u32 = 4;
/// Part timeout factor (× rtt) before a round has been measured ...
pub const PART_TIMEOUT_FACTOR: f64 = 4.0;
/// ... and after.
pub const PART_TIMEOUT_FACTOR_AFTER_RTT: f64 = 2.0;
/// The sender's wait for a proof or request is rtt × this factor plus grace.
pub const PROOF_TIMEOUT_FACTOR: f64 = 3.0;
/// Seconds of slack the sender allows the receiver.
pub const SENDER_GRACE_TIME: f64 = 10.0;
/// Outgoing resources one link runs at once.
pub const MAX_OUTGOING_RESOURCES: usize = 8;
/// Incoming resources one link receives at once; more advertisements are refused.
pub const MAX_INCOMING_RESOURCES: usize = 8;
/// The default cap on one incoming resource, all segments together.
pub const DEFAULT_MAX_INCOMING_SIZE: u64 = 64 * 1024 * 1024;
/// The default cap on data handed to `send_resource`.
pub const DEFAULT_MAX_OUTGOING_SIZE: u64 = 64 * 1024 * 1024;

/// The largest part of a resource on a link of this MTU: the network's
/// SDU, mtu − HEADER_MAXSIZE − IFAC_MIN_SIZE (464 at MTU 500).
pub const fn part_size(link_mtu: usize) -> usize {
    link_mtu
        .saturating_sub(rns_wire::constants::HEADER_MAXSIZE + rns_wire::constants::IFAC_MIN_SIZE)
}

/// Which advertised resources a link takes (the reference's ACCEPT_NONE,
/// ACCEPT_ALL, ACCEPT_APP). Requests and responses carried as resources are
/// always taken, within the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceStrategy {
    None,
    #[default]
    All,
    /// `ResourceAdvertised` waits for `accept_resource` or `reject_resource`.
    App,
}

/// Caps of one link's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimits {
    /// Largest incoming resource (`d`, all segments); larger ones are rejected.
    pub max_incoming_size: u64,
    /// Largest data `send_resource` takes (metadata included).
    pub max_outgoing_size: u64,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            max_incoming_size: DEFAULT_MAX_INCOMING_SIZE,
            max_outgoing_size: DEFAULT_MAX_OUTGOING_SIZE,
        }
    }
}

/// When a received resource is proved to its sender (the proof is what
/// tells the sender the transfer is complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceProving {
    /// As soon as it is assembled and verified, as the reference does.
    #[default]
    OnArrival,
    /// Plain resources wait for `prove_resource`, so an application can first
    /// make the data durable; at most [`MAX_HELD_RESOURCE_PROOFS`] wait per
    /// link (past that the oldest is forgotten, and its sender, never
    /// proved, sends again). Requests and responses are proved on arrival.
    App,
}

/// Resource proofs one link holds for the application at most.
pub const MAX_HELD_RESOURCE_PROOFS: usize = 16;

/// A link's resource policy: what it accepts, how much, and when it proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourcePolicy {
    pub strategy: ResourceStrategy,
    pub limits: ResourceLimits,
    pub proving: ResourceProving,
}

/// How a resource ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceStatus {
    /// Sender: the proof arrived. Receiver: the data verified and was proved.
    Complete,
    Failed(FailReason),
    /// The assembled data did not decrypt, decompress or match its hash.
    Corrupt,
    /// The receiver refused it (our advertisement; or we refused theirs).
    Rejected,
    /// One end gave up on it; `by_peer` tells which.
    Cancelled {
        by_peer: bool,
    },
}

/// Why a resource failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailReason {
    /// Retries ran out, or the peer went silent.
    Timeout,
    LinkClosed,
    /// It grew past the configured size cap.
    TooLarge,
}

/// Why a resource could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    #[error("{size} bytes exceed the outgoing resource limit of {max}")]
    TooLarge { size: u64, max: u64 },
    #[error("metadata does not fit its 3-byte length prefix")]
    MetadataTooLarge,
    #[error("{0} outgoing resources are already running on this link")]
    TooManyResources(usize),
    #[error("the link MTU leaves no room for a resource advertisement")]
    LinkTooSmall,
    #[error("no map hash collision-free random hash was found")]
    HashmapCollisions,
    #[error("no resource {0} on this link")]
    Unknown(ResourceHash),
    #[error("no proof of resource {0} is held on this link")]
    NoHeldProof(ResourceHash),
}

/// What kind of payload a resource carries, and so where it is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    Plain,
    Request(rns_wire::request::RequestId),
    Response(rns_wire::request::RequestId),
}

/// What the link knows that a resource needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkParams {
    /// The part size (SDU).
    pub(crate) sdu: usize,
    /// The link MDU: advertisement and hashmap update budget.
    pub(crate) mdu: usize,
    /// The link's rtt (a small default before it is known).
    pub(crate) rtt: f64,
}

/// Packets a resource asks its link to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Emit {
    /// Encrypted link DATA with this context (ADV, REQ, HMU, ICL, RCL).
    Sealed(Context, Vec<u8>),
    /// A part: link DATA, context RESOURCE, sent as it is.
    Part(Vec<u8>),
    /// The resource proof: PROOF, context RESOURCE_PRF, sent as it is.
    Proof(Vec<u8>),
}

/// Progress of one resource, in bytes of the (uncompressed) stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Progress {
    pub(crate) done: u64,
    pub(crate) total: u64,
    reported: u64,
}

impl Progress {
    pub(crate) fn new(total: u64) -> Progress {
        Progress {
            done: 0,
            total,
            reported: 0,
        }
    }

    /// Moves to `done`; true when the change since the last report is worth
    /// one (1 % of the total), and records it as reported.
    pub(crate) fn advance(&mut self, done: u64) -> bool {
        self.done = done.min(self.total).max(self.done);
        let step = (self.total / 100).max(1);
        if self.done >= self.reported.saturating_add(step) && self.done < self.total {
            self.reported = self.done;
            return true;
        }
        false
    }
}

/// A received resource, ready for delivery.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delivered {
    pub(crate) original_hash: ResourceHash,
    pub(crate) data: Vec<u8>,
    pub(crate) metadata: Option<Value>,
    pub(crate) payload: Payload,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_follows_the_mtu() {
        assert_eq!(part_size(500), 464);
        assert_eq!(part_size(16384), 16348);
        assert_eq!(part_size(10), 0);
    }

    #[test]
    fn progress_reports_in_percent_steps() {
        let mut p = Progress::new(1000);
        assert!(!p.advance(5));
        assert!(p.advance(10));
        assert!(!p.advance(15));
        assert!(p.advance(25));
        // Never backwards, and the end is reported as the conclusion instead.
        assert!(!p.advance(3));
        assert_eq!(p.done, 25);
        assert!(!p.advance(1000));
    }
}
