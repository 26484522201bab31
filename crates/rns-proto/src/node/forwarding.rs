//! Transport mode: forwarding HEADER_2 packets addressed to us, the reverse
//! table that carries proofs back, and the link table that carries link
//! traffic both ways between the two ends of links we relay.

use rns_crypto::DestinationHash;
use rns_wire::link::{LinkProof, LinkRequest, REQUEST_KEYS_LEN, Signalling, link_id};
use rns_wire::packet::{Context, Header, Packet, PacketType};

use super::Node;
use super::bounded::BoundedMap;
use super::config::InterfaceId;
use super::inbound::Arrival;
use super::receipts::TIMEOUT_PER_HOP;
use super::stats::DropReason;

/// Reverse-table entries live 8 minutes.
pub(crate) const REVERSE_TIMEOUT: f64 = 8.0 * 60.0;
/// An idle relayed link is forgotten after the link stale time × 1.25.
pub(crate) const LINK_TIMEOUT: f64 = 720.0 * 1.25;

/// Where a forwarded packet came from and went, so its proof can return.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReverseEntry {
    received: InterfaceId,
    outbound: InterfaceId,
    timestamp: f64,
}

/// A link we relay: its two sides and the hop counts each side's packets
/// arrive with (a loop or a stray copy arrives with another count).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkEntry {
    timestamp: f64,
    /// Towards the initiator.
    received: InterfaceId,
    /// Towards the destination.
    outbound: InterfaceId,
    taken_hops: u8,
    remaining_hops: u8,
    destination: DestinationHash,
    validated: bool,
    proof_deadline: f64,
}

#[derive(Debug)]
pub(crate) struct Tables {
    pub(crate) reverse: BoundedMap<DestinationHash, ReverseEntry>,
    pub(crate) links: BoundedMap<DestinationHash, LinkEntry>,
}

impl Tables {
    pub(crate) fn new(max_reverse: usize, max_links: usize) -> Self {
        Self {
            reverse: BoundedMap::new(max_reverse),
            links: BoundedMap::new(max_links),
        }
    }

    pub(crate) fn cull(&mut self, now: f64, interface_exists: impl Fn(InterfaceId) -> bool) {
        self.reverse
            .retain(|_, e| now < e.timestamp + REVERSE_TIMEOUT && interface_exists(e.received));
        self.links.retain(|_, e| {
            let alive = if e.validated {
                now < e.timestamp + LINK_TIMEOUT
            } else {
                now < e.proof_deadline
            };
            alive && interface_exists(e.received) && interface_exists(e.outbound)
        });
    }
}

impl Node {
    /// A HEADER_2 packet naming us as transport: send it on towards its
    /// destination. False when it is for one of our own destinations.
    pub(crate) fn forward_transit(&mut self, now: f64, packet: &Packet, at: Arrival) -> bool {
        let Some(path) = self.paths.get(&packet.destination) else {
            if self.destinations.contains_key(&packet.destination) {
                return false;
            }
            self.counters.drop(DropReason::NoPath);
            return true;
        };
        let (outbound, remaining, next_hop) = (path.interface, path.hops, path.next_hop);
        let mut forwarded = if remaining > 1 {
            Packet {
                header: Header::Type2 {
                    transport_id: next_hop,
                },
                ..packet.clone()
            }
        } else {
            packet.clone().into_header1_broadcast()
        };
        self.record_forward(now, &mut forwarded, at.interface, outbound, remaining);
        self.paths.mark_used(&packet.destination, now);
        self.transmit(outbound, &forwarded);
        true
    }

    /// Creates the table entry that lets the answer to `packet` come back:
    /// a link-table entry for a link request, a reverse entry otherwise.
    pub(crate) fn record_forward(
        &mut self,
        now: f64,
        packet: &mut Packet,
        received: InterfaceId,
        outbound: InterfaceId,
        remaining: u8,
    ) {
        if packet.packet_type == PacketType::LinkRequest {
            let mtus =
                [received, outbound].map(|i| self.interfaces.get(&i).and_then(|i| i.config.hw_mtu));
            clamp_signalling(packet, mtus[0], mtus[1]);
            let entry = LinkEntry {
                timestamp: now,
                received,
                outbound,
                taken_hops: packet.hops,
                remaining_hops: remaining,
                destination: packet.destination,
                validated: false,
                proof_deadline: now
                    + TIMEOUT_PER_HOP * f64::from(remaining.max(1))
                    + TIMEOUT_PER_HOP,
            };
            if self.tables.links.insert(link_id(packet), entry).is_some() {
                self.counters.drop(DropReason::TableEvicted);
            }
        } else {
            let entry = ReverseEntry {
                received,
                outbound,
                timestamp: now,
            };
            if self
                .tables
                .reverse
                .insert(packet.truncated_hash(), entry)
                .is_some()
            {
                self.counters.drop(DropReason::TableEvicted);
            }
        }
    }

    /// A proof for a packet we forwarded: send it back the way the packet came.
    pub(crate) fn forward_reverse_proof(&mut self, packet: &Packet, at: Arrival) -> bool {
        let Some(entry) = self.tables.reverse.get(&packet.destination).copied() else {
            return false;
        };
        if entry.outbound != at.interface {
            return false;
        }
        self.tables.reverse.remove(&packet.destination);
        self.transmit(entry.received, packet);
        true
    }

    /// Traffic of a link we relay (including its LRPROOF, which we verify
    /// before passing on). False when the link id is not in our link table.
    pub(crate) fn forward_link_traffic(&mut self, now: f64, packet: &Packet, at: Arrival) -> bool {
        let id = packet.destination;
        let Some(entry) = self.tables.links.get(&id).copied() else {
            return false;
        };
        let from_destination_side =
            at.interface == entry.outbound && packet.hops == entry.remaining_hops;
        let from_initiator_side = at.interface == entry.received && packet.hops == entry.taken_hops;
        if packet.packet_type == PacketType::Proof && packet.context == Context::LRPROOF {
            if !from_destination_side || !self.link_proof_valid(packet, &entry.destination) {
                self.counters.drop(DropReason::ProofInvalid);
                return true;
            }
            if let Some(e) = self.tables.links.get_mut(&id) {
                e.validated = true;
            }
        }
        let target = if from_destination_side {
            entry.received
        } else if from_initiator_side {
            entry.outbound
        } else {
            self.counters.drop(DropReason::NotDeliverable);
            return true;
        };
        if let Some(e) = self.tables.links.get_mut(&id) {
            e.timestamp = now;
        }
        self.transmit(target, packet);
        true
    }

    /// Checks a relayed LRPROOF against the destination identity we know.
    fn link_proof_valid(&self, packet: &Packet, destination: &DestinationHash) -> bool {
        let Some(identity) = self.known.identity(destination) else {
            return false;
        };
        LinkProof::from_packet(packet)
            .is_ok_and(|p| p.verify(&packet.destination, identity).is_ok())
    }
}

/// Clamps a link request's signalled MTU to what both interfaces carry, or
/// strips the signalling when either takes no part in MTU discovery (the link
/// id leaves the signalling out, so it does not change).
pub(crate) fn clamp_signalling(packet: &mut Packet, a: Option<u32>, b: Option<u32>) {
    let Ok(request) = LinkRequest::decode(&packet.data) else {
        return;
    };
    let Some(signalling) = request.signalling else {
        return;
    };
    let (Some(a), Some(b)) = (a, b) else {
        packet.data.truncate(REQUEST_KEYS_LEN);
        return;
    };
    let mtu = signalling.mtu().min(a).min(b);
    if let Ok(clamped) = Signalling::new(mtu, signalling.mode()) {
        packet.data.truncate(REQUEST_KEYS_LEN);
        packet.data.extend_from_slice(&clamped.encode());
    }
}
