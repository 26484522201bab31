//! Our own links, either end: the table of [`Link`]s with the interface each
//! is attached to, and the glue that feeds them packets and timeouts and
//! carries out what they ask (transmit, report).

use std::collections::HashMap;

use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_wire::packet::Packet;

use super::config::InterfaceId;
use super::inbound::Arrival;
use super::stats::DropReason;
use super::{Event, Node, NodeError};
use crate::link::{Link, LinkAction, LinkEvent, LinkId, LinkState};

#[derive(Debug)]
pub(crate) struct LocalLink {
    pub(crate) link: Link,
    /// Where the link's packets go and must come from; unknown for an
    /// initiator that had no path until the proof arrives.
    pub(crate) interface: Option<InterfaceId>,
}

pub(crate) type LinkTable = HashMap<LinkId, LocalLink>;

impl Node {
    pub(crate) fn initiate_link(
        &mut self,
        now: f64,
        destination: &DestinationHash,
    ) -> Result<LinkId, NodeError> {
        if self.links.len() >= self.config.limits.max_links {
            return Err(NodeError::TableFull("link"));
        }
        let remote = self
            .known
            .identity(destination)
            .cloned()
            .ok_or(NodeError::UnknownIdentity(*destination))?;
        self.known.mark_used(destination);
        let path = self.paths.get(destination).map(|p| (p.interface, p.hops));
        let iface = path.and_then(|(i, _)| self.interfaces.get(&i));
        let mtu = iface.and_then(|i| i.config.hw_mtu);
        let first_hop = iface.map_or(0.0, |i| first_hop_time(i.config.bitrate));
        let (mut link, request) = Link::initiate(now, *destination, remote, mtu, &mut *self.rng);
        link.set_resource_policy(self.resource_policy);
        link.set_establishment_hint(
            path.map_or(rns_wire::constants::PATHFINDER_M, |p| p.1),
            first_hop,
        );
        let id = link.id();
        let interface = self.route(now, request);
        self.links.insert(id, LocalLink { link, interface });
        Ok(id)
    }

    /// A LINKREQUEST for one of our destinations.
    pub(crate) fn accept_link(&mut self, now: f64, packet: &Packet, at: Arrival) {
        let Some(single) = self
            .destinations
            .get(&packet.destination)
            .and_then(|d| d.single())
        else {
            return self.counters.drop(DropReason::NotDeliverable);
        };
        if !single.accept_links || self.links.len() >= self.config.limits.max_links {
            return self.counters.drop(DropReason::LinkRefused);
        }
        let mtu = self
            .interfaces
            .get(&at.interface)
            .and_then(|i| i.config.hw_mtu);
        let (identity, strategy) = (single.identity.clone(), single.proof_strategy);
        match Link::accept(now, packet, &identity, strategy, mtu, &mut *self.rng) {
            Ok((mut link, proof)) => {
                link.set_resource_policy(self.resource_policy);
                let id = link.id();
                self.transmit(at.interface, &proof);
                let local = LocalLink {
                    link,
                    interface: Some(at.interface),
                };
                self.links.insert(id, local);
            }
            Err(_) => self.counters.drop(DropReason::LinkRefused),
        }
    }

    /// A packet addressed to one of our links. False if the id is not ours.
    pub(crate) fn deliver_to_link(&mut self, now: f64, packet: &Packet, at: Arrival) -> bool {
        let Some(local) = self.links.get_mut(&packet.destination) else {
            return false;
        };
        match local.interface {
            Some(i) if i != at.interface => {
                self.counters.drop(DropReason::NotDeliverable);
                return true;
            }
            Some(_) => {}
            None => local.interface = Some(at.interface),
        }
        let mut out = Vec::new();
        local
            .link
            .handle_packet(now, packet, &mut out, &mut *self.rng);
        // Delivery proofs of what just arrived wait out the answer hold.
        let (proofs, out): (Vec<LinkAction>, Vec<LinkAction>) = out
            .into_iter()
            .partition(|a| matches!(a, LinkAction::Send(p) if is_delivery_proof(p)));
        self.apply_link_actions(now, packet.destination, out);
        if !proofs.is_empty() {
            self.hold_link_actions(now, packet.destination, proofs);
        }
        true
    }

    /// Runs a closure on one link and carries out what it asks.
    pub(crate) fn with_link<T>(
        &mut self,
        now: f64,
        id: &LinkId,
        f: impl FnOnce(
            &mut Link,
            &mut Vec<LinkAction>,
            &mut dyn rns_crypto::CryptoRngCore,
        ) -> Result<T, crate::link::LinkError>,
    ) -> Result<T, NodeError> {
        let local = self.links.get_mut(id).ok_or(NodeError::UnknownLink(*id))?;
        let mut out = Vec::new();
        let result = f(&mut local.link, &mut out, &mut *self.rng);
        self.apply_link_actions(now, *id, out);
        result.map_err(NodeError::Link)
    }

    pub(crate) fn identify_on_link(
        &mut self,
        now: f64,
        id: &LinkId,
        identity: &PrivateIdentity,
    ) -> Result<(), NodeError> {
        self.with_link(now, id, |link, out, rng| {
            link.identify(now, identity, out, rng)
        })
    }

    /// Transmits and reports what a link asked for; forgets it once closed.
    pub(crate) fn apply_link_actions(&mut self, now: f64, id: LinkId, actions: Vec<LinkAction>) {
        let interface = self.links.get(&id).and_then(|l| l.interface);
        for action in actions {
            match action {
                LinkAction::Send(packet) => match interface {
                    Some(i) => self.transmit(i, &packet),
                    None => {
                        self.route(now, packet);
                    }
                },
                LinkAction::Event(e) => {
                    if let LinkEvent::RequestReceived { request_id, .. } = &e {
                        self.response_hold.request_arrived(now, id, *request_id);
                    }
                    self.push_event(Event::Link(e))
                }
            }
        }
        if self
            .links
            .get(&id)
            .is_some_and(|l| l.link.state() == LinkState::Closed)
        {
            self.links.remove(&id);
        }
    }

    pub(crate) fn process_links(&mut self, now: f64) {
        let due: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.link.next_deadline().is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(local) = self.links.get_mut(&id) else {
                continue;
            };
            let mut out = Vec::new();
            local.link.handle_timeout(now, &mut out, &mut *self.rng);
            self.apply_link_actions(now, id, out);
        }
    }

    pub(crate) fn links_deadline(&self) -> Option<f64> {
        self.links
            .values()
            .filter_map(|l| l.link.next_deadline())
            .reduce(f64::min)
    }
}

/// A proof of one delivered packet (not an LRPROOF or a resource proof).
fn is_delivery_proof(packet: &Packet) -> bool {
    packet.packet_type == rns_wire::packet::PacketType::Proof
        && packet.context == rns_wire::packet::Context::NONE
}

/// Airtime of an MTU-sized packet at `bitrate` (0: unknown, no estimate).
pub(crate) fn first_hop_time(bitrate: u64) -> f64 {
    if bitrate == 0 {
        return 0.0;
    }
    rns_wire::constants::MTU as f64 * 8.0 / bitrate as f64
}
