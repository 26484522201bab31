//! The inbound pipeline: access code, decoding, hop counting, the packet
//! filter and duplicate suppression, then dispatch by packet type to the
//! forwarding, link, announce, path request, delivery and proof handlers.

use rns_wire::packet::{Context, DestinationKind, Header, Packet, PacketType};
use rns_wire::path_request::PATH_REQUEST_DESTINATION;

use super::config::{InterfaceId, InterfaceMode};
use super::stats::DropReason;
use super::{Event, Node};
use crate::link::ProofStrategy;

/// Where a packet came from, as the handlers need it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    pub(crate) interface: InterfaceId,
    pub(crate) mode: InterfaceMode,
    /// From a local program that uses us as its shared instance.
    pub(crate) from_local_client: bool,
    /// From the shared instance we are a client of.
    pub(crate) from_shared_instance: bool,
}

/// Contexts the reference lets through without a duplicate check: their
/// payloads legitimately repeat (keepalives) or are resent by design.
fn skips_dedup(context: Context) -> bool {
    matches!(
        context,
        Context::KEEPALIVE
            | Context::RESOURCE_REQ
            | Context::RESOURCE_PRF
            | Context::RESOURCE
            | Context::CACHE_REQUEST
            | Context::CHANNEL
    )
}

impl Node {
    pub(crate) fn inbound(&mut self, now: f64, interface: InterfaceId, raw: &[u8]) {
        let Some(iface) = self.interfaces.get(&interface) else {
            return self.counters.drop(DropReason::UnknownInterface);
        };
        let at = Arrival {
            interface,
            mode: iface.config.mode,
            from_local_client: iface.config.is_local_client_of_ours,
            from_shared_instance: iface.config.is_local_shared_instance_client,
        };
        self.counters.rx(interface, raw.len());
        let Some(raw) = self.unmask(interface, raw) else {
            return;
        };
        let Ok(mut packet) = Packet::decode(&raw) else {
            return self.counters.drop(DropReason::Malformed);
        };
        // Hops count on receipt; a local process is no hop away (§15).
        if !(at.from_local_client || at.from_shared_instance) {
            packet.hops = packet.hops.saturating_add(1);
        }
        if packet.check_receivable().is_err() {
            return self.counters.drop(DropReason::HopLimit);
        }
        let Some(duplicate) = self.filter(&packet, at) else {
            return;
        };
        self.dispatch(now, packet, at, duplicate);
    }

    /// The packet filter. `None`: dropped. `Some(duplicate)`: go on; only a
    /// SINGLE announce gets through as a duplicate.
    fn filter(&mut self, packet: &Packet, at: Arrival) -> Option<bool> {
        if let Header::Type2 { transport_id } = &packet.header
            && packet.packet_type != PacketType::Announce
            && *transport_id != self.transport_id
        {
            self.counters.drop(DropReason::NotForUs);
            return None;
        }
        let kind = packet.destination_kind;
        if matches!(kind, DestinationKind::Plain | DestinationKind::Group) {
            if packet.packet_type == PacketType::Announce {
                self.counters.drop(DropReason::Malformed);
                return None;
            }
            if packet.hops > 1 {
                self.counters.drop(DropReason::PlainHops);
                return None;
            }
        }
        // Behind a shared instance, the instance suppresses duplicates for us.
        if at.from_shared_instance || skips_dedup(packet.context) {
            return Some(false);
        }
        let key = packet.truncated_hash();
        let seen = self.packet_hashes.contains(&key);
        if packet.packet_type == PacketType::Announce {
            // Remembered only once validated (see `on_announce`).
            return Some(seen);
        }
        if seen {
            self.counters.drop(DropReason::Duplicate);
            return None;
        }
        let relayed_link = self.tables.links.contains_key(&packet.destination);
        let lrproof = packet.packet_type == PacketType::Proof && packet.context == Context::LRPROOF;
        if !relayed_link && !lrproof {
            self.packet_hashes.insert(key);
        }
        Some(false)
    }

    fn dispatch(&mut self, now: f64, packet: Packet, at: Arrival, duplicate: bool) {
        if packet.packet_type == PacketType::Announce {
            return self.on_announce(now, packet, at, duplicate);
        }
        // Only a transport node (or a shared instance, for its clients) moves
        // HEADER_2 packets on; relay-table entries exist only where we relayed.
        let transporting = self.config.transport_enabled || at.from_local_client;
        let ours = packet.transport_id() == Some(&self.transport_id);
        if transporting && ours && self.forward_transit(now, &packet, at) {
            return;
        }
        if self.forward_link_traffic(now, &packet, at) {
            return;
        }
        match packet.packet_type {
            PacketType::LinkRequest => self.on_link_request(now, &packet, at),
            PacketType::Data => self.on_data(now, &packet, at),
            PacketType::Proof => self.on_proof(now, &packet, at),
            PacketType::Announce => {}
        }
    }

    fn on_link_request(&mut self, now: f64, packet: &Packet, at: Arrival) {
        if self.destinations.contains_key(&packet.destination) {
            return self.accept_link(now, packet, at);
        }
        if !self.relay_for_shared_instance(now, packet, at) {
            self.counters.drop(DropReason::NotDeliverable);
        }
    }

    fn on_data(&mut self, now: f64, packet: &Packet, at: Arrival) {
        if packet.destination == PATH_REQUEST_DESTINATION {
            return self.on_path_request(now, packet, at);
        }
        if self.deliver_to_link(now, packet, at) {
            return;
        }
        if self.destinations.contains_key(&packet.destination) {
            return self.deliver_local(now, packet, at);
        }
        if !self.relay_for_shared_instance(now, packet, at) {
            self.counters.drop(DropReason::NotDeliverable);
        }
    }

    fn on_proof(&mut self, now: f64, packet: &Packet, at: Arrival) {
        if self.deliver_to_link(now, packet, at) {
            return;
        }
        if self.forward_reverse_proof(packet, at) {
            return;
        }
        if packet.destination_kind == DestinationKind::Link || packet.context == Context::LRPROOF {
            return self.counters.drop(DropReason::NotDeliverable);
        }
        self.on_receipt_proof(now, packet);
    }

    /// DATA for one of our destinations: open, report, and prove if asked to.
    fn deliver_local(&mut self, now: f64, packet: &Packet, at: Arrival) {
        let destination = packet.destination;
        if packet.context != Context::NONE {
            return self.counters.drop(DropReason::NotDeliverable);
        }
        let Some(local) = self.destinations.get(&destination) else {
            return;
        };
        let Some(data) = local.open(&packet.data) else {
            return self.counters.drop(DropReason::DecryptFailed);
        };
        let prove_all = local
            .single()
            .is_some_and(|s| s.proof_strategy == ProofStrategy::All);
        let packet_hash = packet.hash();
        self.push_event(Event::PacketReceived {
            destination,
            data,
            packet_hash,
            interface: at.interface,
        });
        if prove_all {
            let _ = self.prove(now, &destination, &packet_hash, at.interface);
        }
    }
}
