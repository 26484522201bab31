//! Outbound routing by the path table, and the relaying a shared instance
//! does for its local clients.

use rns_wire::packet::{DestinationKind, Header, Packet, PacketType};

use super::Node;
use super::config::InterfaceId;
use super::inbound::Arrival;

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
        let mut forwarded = if packet.header == Header::Type1 && hops > 1 {
            packet.clone().into_header2(next_hop)
        } else {
            packet.clone()
        };
        self.record_forward(now, &mut forwarded, at.interface, outbound, hops);
        self.paths.mark_used(&packet.destination, now);
        self.transmit(outbound, &forwarded);
        true
    }
}
