//! Delivery receipts for packets we send, and proofs: checking the ones that
//! come back (one signature check, found by lookup) and sending our own for
//! packets our destinations receive.

use rns_crypto::{DestinationHash, PacketHash, PublicIdentity};
use rns_wire::packet::Packet;
use rns_wire::proof::{Proof, ProofForm};

use super::bounded::BoundedMap;
use super::config::InterfaceId;
use super::stats::DropReason;
use super::{Event, Node, NodeError, ReceiptId};

/// The reference's default per-hop timeout (`DEFAULT_PER_HOP_TIMEOUT`).
pub(crate) const TIMEOUT_PER_HOP: f64 = 6.0;

#[derive(Debug, Clone)]
pub(crate) struct Receipt {
    hash: PacketHash,
    /// Whose signature proves delivery: the destination's identity.
    signer: PublicIdentity,
    sent_at: f64,
    deadline: f64,
}

/// Outstanding receipts keyed by truncated packet hash (what proofs are
/// addressed to), oldest evicted first when full.
#[derive(Debug)]
pub(crate) struct Receipts {
    map: BoundedMap<DestinationHash, Receipt>,
    next_due: Option<f64>,
}

impl Receipts {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: BoundedMap::new(cap),
            next_due: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn next_due(&self) -> Option<f64> {
        self.next_due
    }
}

impl Node {
    /// Starts waiting for the proof of `packet`, sent to a destination `hops`
    /// away (128, the reference's "unknown", when we have no path) over an
    /// interface of `bitrate`: the first hop's airtime for an MTU-sized packet
    /// plus 6 s per hop, as the reference times receipts.
    pub(crate) fn add_receipt(
        &mut self,
        now: f64,
        packet: &Packet,
        signer: PublicIdentity,
        hops: u8,
        bitrate: u64,
    ) -> ReceiptId {
        let hash = packet.hash();
        let first_hop = if bitrate > 0 {
            rns_wire::constants::MTU as f64 * 8.0 / bitrate as f64
        } else {
            0.0
        };
        let deadline = now + first_hop + TIMEOUT_PER_HOP * f64::from(hops.max(1));
        let receipt = Receipt {
            hash,
            signer,
            sent_at: now,
            deadline,
        };
        let receipts = &mut self.receipts;
        if let Some((_, evicted)) = receipts.map.insert(hash.truncated(), receipt) {
            self.push_event(Event::ReceiptTimedOut {
                receipt: ReceiptId(evicted.hash),
            });
        }
        let receipts = &mut self.receipts;
        receipts.next_due = Some(receipts.next_due.map_or(deadline, |d| d.min(deadline)));
        ReceiptId(hash)
    }

    /// A PROOF addressed to a truncated packet hash: ours if a receipt waits on
    /// it. Exactly one signature is checked.
    pub(crate) fn on_receipt_proof(&mut self, now: f64, packet: &Packet) {
        let Some(receipt) = self.receipts.map.get(&packet.destination) else {
            return self.counters.drop(DropReason::ProofUnknown);
        };
        let valid = Proof::decode(&packet.data)
            .is_ok_and(|p| p.verify(&receipt.hash, &receipt.signer).is_ok());
        if !valid {
            return self.counters.drop(DropReason::ProofInvalid);
        }
        if let Some(receipt) = self.receipts.map.remove(&packet.destination) {
            self.push_event(Event::ReceiptDelivered {
                receipt: ReceiptId(receipt.hash),
                rtt: now - receipt.sent_at,
            });
        }
    }

    pub(crate) fn process_receipts(&mut self, now: f64) {
        if self.receipts.next_due.is_none_or(|d| d > now) {
            return;
        }
        let expired = self.receipts.map.retain(|_, r| r.deadline > now);
        for (_, r) in expired {
            self.push_event(Event::ReceiptTimedOut {
                receipt: ReceiptId(r.hash),
            });
        }
        self.receipts.next_due = self
            .receipts
            .map
            .values()
            .map(|r| r.deadline)
            .reduce(f64::min);
    }

    /// Proves a packet one of our SINGLE destinations received at `now`, on
    /// the interface it came in on (transport nodes carry the proof back by
    /// their reverse tables). The proof leaves once the answer hold is over
    /// (see `response_hold.rs`).
    pub(crate) fn prove(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        packet_hash: &PacketHash,
        interface: InterfaceId,
    ) -> Result<(), NodeError> {
        let local = self
            .destinations
            .get(destination)
            .ok_or(NodeError::UnknownDestination(*destination))?;
        let single = local.single().ok_or(NodeError::WrongKind(*destination))?;
        let form = if self.config.use_implicit_proof {
            ProofForm::Implicit
        } else {
            ProofForm::Explicit
        };
        let proof = Proof::sign(&single.identity, packet_hash, form);
        let packet = proof.to_packet(packet_hash);
        self.hold_transmit(now, interface, packet);
        Ok(())
    }
}
