//! Delivery proofs held until the application has stored the message
//! ([`RouterConfig::prove_when_stored`](crate::router::RouterConfig)): a
//! proof tells the sender the message is delivered, so it may only leave
//! once the message would survive a crash. Our delivery destinations then
//! prove by hand (`ProofStrategy::App`): a message the router accepts waits
//! here until [`LxmfRouter::ack_stored`](super::LxmfRouter::ack_stored);
//! anything else (a duplicate, a message dropped as malformed or not for
//! us) is proved at once, as the reference proves every packet. A message
//! carried as a resource is held the same way: its links prove resources
//! by hand (`ResourceProving::App`).

use std::collections::{HashMap, VecDeque};

use rns_crypto::{DestinationHash, PacketHash};
use rns_net::ReticulumHandle;
use rns_proto::node::{InterfaceId, LinkId};
use rns_proto::resource::ResourceHash;

use crate::message::MessageId;

/// Held proofs at most; past it the oldest is forgotten (its sender sends
/// again, and the copy, a duplicate by then, is proved at once).
pub(super) const MAX_PENDING_PROOFS: usize = 4096;

/// The packet a proof answers, and when it arrived.
#[derive(Debug, Clone, Copy)]
pub(super) struct HeldProof {
    pub(super) target: ProofTarget,
    /// The node's clock when the packet arrived: the answer hold counts from
    /// there, so the time the message took to be stored is part of it and
    /// a sender's short link receipt timeout is not overrun.
    pub(super) arrived: f64,
}

/// The packet a proof answers.
#[derive(Debug, Clone, Copy)]
pub(super) enum ProofTarget {
    /// A single packet to one of our delivery destinations.
    Packet {
        destination: DestinationHash,
        packet_hash: PacketHash,
        interface: InterfaceId,
    },
    /// A packet on a link to one of them.
    Link {
        link: LinkId,
        packet_hash: PacketHash,
    },
    /// A resource on a link to one of them (its last segment's proof).
    Resource { link: LinkId, hash: ResourceHash },
}

/// Proofs waiting for their messages to be stored.
#[derive(Debug, Default)]
pub(super) struct PendingProofs {
    held: HashMap<MessageId, HeldProof>,
    order: VecDeque<MessageId>,
}

impl PendingProofs {
    pub(super) fn hold(&mut self, id: MessageId, target: HeldProof) {
        if self.held.insert(id, target).is_some() {
            return;
        }
        self.order.push_back(id);
        while self.held.len() > MAX_PENDING_PROOFS {
            match self.order.pop_front() {
                Some(old) => {
                    self.held.remove(&old);
                }
                None => break,
            }
        }
        // Acknowledged ids leave `order` lazily; keep it from outgrowing.
        if self.order.len() > 2 * MAX_PENDING_PROOFS {
            let held = &self.held;
            self.order.retain(|id| held.contains_key(id));
        }
    }

    pub(super) fn take(&mut self, id: &MessageId) -> Option<HeldProof> {
        self.held.remove(id)
    }
}

/// Sends the proof (held back by the node like any answer, see rns-proto's
/// `response_hold.rs`). A link that closed meanwhile takes it with it; the
/// sender then sends again.
pub(super) async fn prove(net: &ReticulumHandle, held: HeldProof) {
    let _ = net
        .with_node(move |n, now| {
            // The hold runs from the arrival (never from the future).
            let from = held.arrived.min(now);
            match held.target {
                ProofTarget::Packet {
                    destination,
                    packet_hash,
                    interface,
                } => n.prove_packet(from, &destination, &packet_hash, interface),
                ProofTarget::Link { link, packet_hash } => n.link_prove(from, &link, &packet_hash),
                // No answer hold: the sender waits for this proof with seconds
                // of grace, and it is registered before the last part leaves.
                ProofTarget::Resource { link, hash } => n.prove_resource(now, &link, &hash),
            }
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(n: u8) -> HeldProof {
        HeldProof {
            target: ProofTarget::Link {
                link: DestinationHash([n; 16]),
                packet_hash: PacketHash([n; 32]),
            },
            arrived: 0.0,
        }
    }

    #[test]
    fn held_proofs_are_taken_once_and_bounded() {
        let mut p = PendingProofs::default();
        p.hold(MessageId([1; 32]), target(1));
        assert!(p.take(&MessageId([1; 32])).is_some());
        assert!(p.take(&MessageId([1; 32])).is_none());
        for i in 0..(MAX_PENDING_PROOFS + 10) as u32 {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&i.to_be_bytes());
            p.hold(MessageId(id), target(2));
        }
        assert_eq!(p.held.len(), MAX_PENDING_PROOFS);
        assert!(p.order.len() <= 2 * MAX_PENDING_PROOFS);
        // The oldest went first.
        assert!(p.take(&MessageId([0; 32])).is_none());
    }
}
