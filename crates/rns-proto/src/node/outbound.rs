//! Packets out: sending to a destination, routing by the path table, and the
//! relaying a shared instance does for its local clients.

use rns_crypto::DestinationHash;
use rns_wire::constants::{ENCRYPTED_MDU, PATHFINDER_M, PLAIN_MDU};
use rns_wire::packet::{Context, DestinationKind, Header, Packet, PacketType};

use super::config::InterfaceId;
use super::destinations::SpecKind;
use super::inbound::Arrival;
use super::{Node, NodeError, ReceiptId};

impl Node {
    /// Sends a packet we originate. With a path, on the path's interface,
    /// converted to HEADER_2 towards the next hop when the destination is more
    /// than one hop away (or one hop away behind our shared instance, which
    /// then is the next hop). Without one, or for PLAIN and GROUP packets, on
    /// every outbound interface as the reference does. Returns the interface
    /// when a path was used.
    pub(crate) fn route(&mut self, now: f64, packet: Packet) -> Option<InterfaceId> {
        let routable = !matches!(
            packet.destination_kind,
            DestinationKind::Plain | DestinationKind::Group
        ) && packet.packet_type != PacketType::Announce;
        let path = self.paths.get(&packet.destination).filter(|_| routable);
        let Some(path) = path else {
            let all: Vec<InterfaceId> = self.interfaces.keys().copied().collect();
            for interface in all {
                self.transmit(interface, &packet);
            }
            return None;
        };
        let (interface, hops, next_hop) = (path.interface, path.hops, path.next_hop);
        let via_instance = self
            .interfaces
            .get(&interface)
            .is_some_and(|i| i.config.is_local_shared_instance_client);
        let insert = packet.header == Header::Type1 && (hops > 1 || (hops == 1 && via_instance));
        let packet = if insert {
            packet.into_header2(next_hop)
        } else {
            packet
        };
        self.paths.mark_used(&packet.destination, now);
        self.transmit(interface, &packet);
        Some(interface)
    }

    /// As a shared instance: carries a packet that is not for us between our
    /// local clients and the network. True if it was relayed.
    pub(crate) fn relay_for_shared_instance(
        &mut self,
        now: f64,
        packet: &Packet,
        at: Arrival,
    ) -> bool {
        let broadcast = matches!(
            packet.destination_kind,
            DestinationKind::Plain | DestinationKind::Group
        );
        if broadcast {
            let targets = self.other_interfaces(at.interface, !at.from_local_client);
            if !at.from_local_client && targets.is_empty() {
                return false;
            }
            for interface in targets {
                self.transmit(interface, packet);
            }
            return true;
        }
        let path = self.paths.get(&packet.destination);
        let Some((outbound, hops, next_hop)) = path.map(|p| (p.interface, p.hops, p.next_hop))
        else {
            if !at.from_local_client {
                return false;
            }
            for interface in self.other_interfaces(at.interface, false) {
                self.transmit(interface, packet);
            }
            return true;
        };
        let to_client = self
            .interfaces
            .get(&outbound)
            .is_some_and(|i| i.config.is_local_client_of_ours);
        if !(at.from_local_client || to_client) || outbound == at.interface {
            return false;
        }
        // Any HEADER_2 packet here names us (the filter saw to that).
        let mut forwarded = match (hops > 1, packet.header) {
            (true, Header::Type1) => packet.clone().into_header2(next_hop),
            (true, Header::Type2 { .. }) => Packet {
                header: Header::Type2 {
                    transport_id: next_hop,
                },
                ..packet.clone()
            },
            (false, Header::Type1) => packet.clone(),
            (false, Header::Type2 { .. }) => packet.clone().into_header1_broadcast(),
        };
        self.record_forward(now, &mut forwarded, at.interface, outbound, hops);
        self.paths.mark_used(&packet.destination, now);
        self.transmit(outbound, &forwarded);
        true
    }

    /// See [`Node::send_packet`].
    pub(crate) fn send_to(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        data: &[u8],
    ) -> Result<ReceiptId, NodeError> {
        if let Some(local) = self.destinations.get(destination)
            && local.single().is_none()
        {
            return self.send_unproved(now, destination, data);
        }
        if data.len() > ENCRYPTED_MDU {
            return Err(NodeError::TooLarge {
                max: ENCRYPTED_MDU,
                got: data.len(),
            });
        }
        let identity = self
            .known
            .identity(destination)
            .cloned()
            .ok_or(NodeError::UnknownIdentity(*destination))?;
        self.known.mark_used(destination);
        let ratchet = self.known.ratchet(destination, now);
        let ciphertext = identity.encrypt(data, ratchet.as_ref(), &mut *self.rng)?;
        let packet = Packet::new(
            PacketType::Data,
            DestinationKind::Single,
            *destination,
            Context::NONE,
            ciphertext,
        );
        let hops = self.hops_to(destination).unwrap_or(PATHFINDER_M);
        let bitrate = self.first_hop_bitrate(destination);
        let receipt = self.add_receipt(now, &packet, identity, hops, bitrate);
        self.route(now, packet);
        Ok(receipt)
    }

    fn send_unproved(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        data: &[u8],
    ) -> Result<ReceiptId, NodeError> {
        let local = self
            .destinations
            .get(destination)
            .ok_or(NodeError::UnknownDestination(*destination))?;
        let (kind, payload) = match &local.kind {
            SpecKind::Group(key) => (DestinationKind::Group, key.encrypt(data, &mut *self.rng)),
            SpecKind::Plain => (DestinationKind::Plain, data.to_vec()),
            SpecKind::Single(_) => return Err(NodeError::WrongKind(*destination)),
        };
        if payload.len() > PLAIN_MDU || payload.is_empty() {
            return Err(NodeError::TooLarge {
                max: PLAIN_MDU,
                got: payload.len(),
            });
        }
        let packet = Packet::new(PacketType::Data, kind, *destination, Context::NONE, payload);
        let id = ReceiptId(packet.hash());
        self.route(now, packet);
        Ok(id)
    }

    fn first_hop_bitrate(&self, destination: &DestinationHash) -> u64 {
        self.paths
            .get(destination)
            .and_then(|p| self.interfaces.get(&p.interface))
            .map_or(0, |i| i.config.bitrate)
    }
}
