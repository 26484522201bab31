//! Counters the node keeps for status tools: traffic per interface, drops by
//! reason, and the size of every table.

use std::collections::BTreeMap;

use super::config::InterfaceId;

/// Why a packet or an item was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    UnknownInterface,
    /// IFAC flag on a plain interface, missing, or wrong access code.
    Ifac,
    Malformed,
    HopLimit,
    Duplicate,
    /// A HEADER_2 packet for another transport node.
    NotForUs,
    /// A PLAIN or GROUP packet that travelled more than one hop.
    PlainHops,
    /// Announce: bad signature.
    AnnounceSignature,
    /// Announce: destination hash does not match key and name.
    AnnounceHash,
    /// Announce: a known destination under a different public key.
    AnnounceKeyMismatch,
    /// Announce: too many announces for unknown destinations on an interface.
    AnnounceRateLimited,
    /// Announce: not better than the path we have (a replay or a worse path).
    AnnounceNotNewer,
    PathRequestTagless,
    PathRequestDuplicate,
    /// Transport: no path for a packet we should forward.
    NoPath,
    /// A packet for a destination or link that is not ours.
    NotDeliverable,
    DecryptFailed,
    ProofInvalid,
    /// A proof for no receipt we hold.
    ProofUnknown,
    LinkRefused,
    TransmitQueueFull,
    EventQueueFull,
    AnnounceQueueFull,
    TableEvicted,
    /// Announce: too many waiting for a deferred signature check.
    VerifyBacklogFull,
}

/// Traffic on one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InterfaceStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// A snapshot of the node's counters and table sizes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeStats {
    pub interfaces: BTreeMap<InterfaceId, InterfaceStats>,
    pub dropped: BTreeMap<DropReason, u64>,
    pub paths: usize,
    pub known_destinations: usize,
    pub packet_hashes: usize,
    pub announce_table: usize,
    pub queued_announces: usize,
    pub reverse_table: usize,
    pub link_table: usize,
    pub links: usize,
    pub receipts: usize,
    pub transmit_queue: usize,
    pub event_queue: usize,
    /// Announce signatures checked (what an announce flood costs us).
    pub announces_verified: u64,
}

impl NodeStats {
    /// How many were dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }
}

/// The node's running counters (table sizes are read at snapshot time).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub(crate) interfaces: BTreeMap<InterfaceId, InterfaceStats>,
    pub(crate) dropped: BTreeMap<DropReason, u64>,
    pub(crate) announces_verified: u64,
}

impl Counters {
    pub(crate) fn drop(&mut self, reason: DropReason) {
        *self.dropped.entry(reason).or_insert(0) += 1;
    }

    pub(crate) fn rx(&mut self, interface: InterfaceId, bytes: usize) {
        let s = self.interfaces.entry(interface).or_default();
        s.rx_packets += 1;
        s.rx_bytes += bytes as u64;
    }

    pub(crate) fn tx(&mut self, interface: InterfaceId, bytes: usize) {
        let s = self.interfaces.entry(interface).or_default();
        s.tx_packets += 1;
        s.tx_bytes += bytes as u64;
    }
}
