//! Plain link data and its delivery proofs: `send` keeps a receipt until the
//! peer's proof arrives, received data is proved per the proof strategy, and
//! incoming proofs are matched to receipts by packet hash.
//!
//! Link proofs are always explicit (packet hash || signature) and signed with the
//! link's signing key, so a proof is looked up by the hash it names and checked
//! against one key: never tried against every outstanding receipt.

use std::collections::BTreeMap;

use rns_crypto::{CryptoRngCore, PacketHash};
use rns_wire::packet::{Context, Packet};
use rns_wire::proof::{Proof, ProofForm};

use super::event::Discard;
use super::{Link, LinkAction, LinkError, LinkEvent, ProofStrategy};

/// Receipts kept per link. When full, the oldest is given up (and reported as
/// failed) to make room: sending never fails for lack of bookkeeping space.
pub const MAX_RECEIPTS: usize = 256;
/// A receipt waits rtt × this factor for its proof.
const TRAFFIC_TIMEOUT_FACTOR: f64 = 6.0;
/// ... but never less than this many seconds. The reference's floor is 5 ms;
/// on loopback or a LAN, where rtt × 6 is a few milliseconds, that is less
/// than a busy receiver takes to get to a burst's later packets (or than the
/// hold on proofs to the reference), so delivered packets were reported as
/// failed and resent. A lost packet is noticed a little later instead.
pub const MIN_RECEIPT_TIMEOUT: f64 = 0.5;

#[derive(Debug, Clone, Copy)]
struct Receipt {
    sent_at: f64,
    deadline: f64,
}

/// Packets sent with `send` whose proofs have not arrived, keyed by packet hash.
/// A `BTreeMap` so that receipts expiring together are reported in a fixed order.
#[derive(Debug, Default)]
pub(super) struct Receipts {
    outstanding: BTreeMap<PacketHash, Receipt>,
}

impl Receipts {
    /// Adds a receipt; returns the hash of the one evicted to make room, if any.
    fn insert(&mut self, hash: PacketHash, receipt: Receipt) -> Option<PacketHash> {
        let mut evicted = None;
        if self.outstanding.len() >= MAX_RECEIPTS && !self.outstanding.contains_key(&hash) {
            let oldest = self
                .outstanding
                .iter()
                .min_by(|a, b| a.1.sent_at.total_cmp(&b.1.sent_at))
                .map(|(hash, _)| *hash);
            evicted = oldest.and_then(|h| self.outstanding.remove_entry(&h).map(|(h, _)| h));
        }
        self.outstanding.insert(hash, receipt);
        evicted
    }

    pub(super) fn next_deadline(&self) -> Option<f64> {
        self.outstanding
            .values()
            .map(|r| r.deadline)
            .reduce(f64::min)
    }

    pub(super) fn len(&self) -> usize {
        self.outstanding.len()
    }
}

impl Link {
    /// Sends `data` (at most [`mdu`](Self::mdu) bytes) as encrypted link DATA with
    /// context NONE. The peer proves it if its proof strategy says so, and then
    /// `Delivered` follows; otherwise `DeliveryFailed` once the receipt times out
    /// (rtt × 6, at least [`MIN_RECEIPT_TIMEOUT`]).
    pub fn send(
        &mut self,
        now: f64,
        data: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<PacketHash, LinkError> {
        self.require_usable()?;
        self.require_fits(data.len())?;
        let packet = self.seal(Context::NONE, data, rng)?;
        let hash = packet.hash();
        let timeout =
            (self.timers.rtt.unwrap_or(0.0) * TRAFFIC_TIMEOUT_FACTOR).max(MIN_RECEIPT_TIMEOUT);
        let receipt = Receipt {
            sent_at: now,
            deadline: now + timeout,
        };
        self.transmit(now, packet, out);
        if let Some(evicted) = self.receipts.insert(hash, receipt) {
            self.delivery_failed(evicted, out);
        }
        Ok(hash)
    }

    /// Proves a received packet (for [`ProofStrategy::App`]): an explicit proof
    /// signed with this link's signing key, sent back on the link.
    pub fn prove(
        &mut self,
        now: f64,
        packet_hash: &PacketHash,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), LinkError> {
        self.require_usable()?;
        let proof = Proof::sign(&self.signer, packet_hash, ProofForm::Explicit);
        self.transmit(now, proof.to_link_packet(self.id), out);
        Ok(())
    }

    /// Receipts still waiting for their proofs.
    pub fn outstanding_receipts(&self) -> usize {
        self.receipts.len()
    }

    /// Link DATA with context NONE, already decrypted.
    pub(super) fn on_plain_data(
        &mut self,
        now: f64,
        packet: &Packet,
        data: Vec<u8>,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let packet_hash = packet.hash();
        if self.proof_strategy == ProofStrategy::All {
            // Cannot fail: the packet decrypted, so the link is established.
            let _ = self.prove(now, &packet_hash, out);
        }
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::Data {
            link_id,
            data,
            packet_hash,
        }));
        Ok(())
    }

    /// A PROOF (context NONE) for a packet we sent.
    pub(super) fn on_delivery_proof(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let proof = Proof::from_packet(packet)?;
        // Implicit proofs name no packet; links never use them.
        let hash = *proof.packet_hash().ok_or(Discard::Malformed)?;
        let receipt = *self
            .receipts
            .outstanding
            .get(&hash)
            .ok_or(Discard::Unmatched)?;
        proof
            .verify(&hash, &self.peer_signer)
            .map_err(|_| Discard::Unauthentic)?;
        self.receipts.outstanding.remove(&hash);
        self.note_inbound(now);
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::Delivered {
            link_id,
            packet_hash: hash,
            rtt: now - receipt.sent_at,
        }));
        Ok(())
    }

    pub(super) fn expire_receipts(&mut self, now: f64, out: &mut Vec<LinkAction>) {
        let expired: Vec<PacketHash> = self
            .receipts
            .outstanding
            .iter()
            .filter(|(_, r)| now >= r.deadline)
            .map(|(hash, _)| *hash)
            .collect();
        for hash in expired {
            self.receipts.outstanding.remove(&hash);
            self.delivery_failed(hash, out);
        }
    }

    /// On close: no proof can arrive any more.
    pub(super) fn fail_receipts(&mut self, out: &mut Vec<LinkAction>) {
        let all = std::mem::take(&mut self.receipts.outstanding);
        for hash in all.into_keys() {
            self.delivery_failed(hash, out);
        }
    }

    fn delivery_failed(&self, packet_hash: PacketHash, out: &mut Vec<LinkAction>) {
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::DeliveryFailed {
            link_id,
            packet_hash,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(sent_at: f64) -> Receipt {
        Receipt {
            sent_at,
            deadline: sent_at + 1.0,
        }
    }

    #[test]
    fn a_full_map_gives_up_its_oldest_receipt() {
        let mut receipts = Receipts::default();
        // Inserted out of hash order, so eviction must go by age, not by key.
        for i in 0..MAX_RECEIPTS {
            let hash = PacketHash([(MAX_RECEIPTS - 1 - i) as u8; 32]);
            assert_eq!(receipts.insert(hash, receipt(i as f64)), None);
        }
        let mut newest = PacketHash([0xEE; 32]);
        newest.0[0] = 0; // unlike every hash above
        let evicted = receipts.insert(newest, receipt(1000.0));
        assert_eq!(evicted, Some(PacketHash([(MAX_RECEIPTS - 1) as u8; 32])));
        assert_eq!(receipts.len(), MAX_RECEIPTS);
        assert_eq!(receipts.next_deadline(), Some(2.0));
        // Re-inserting a known hash replaces it and evicts nothing.
        assert_eq!(receipts.insert(newest, receipt(5.0)), None);
    }
}
