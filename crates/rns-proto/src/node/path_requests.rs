//! Path requests: answering them (for our destinations at once; in transport
//! mode for known paths after a grace time), forwarding them for discovery,
//! and sending our own.

use rns_crypto::{DestinationHash, random_hash};
use rns_wire::announce::AnnounceReason;
use rns_wire::packet::{Context, Header, Packet, TransportType};
use rns_wire::path_request::{PathRequest, PathRequestTag};

use super::Node;
use super::bounded::{BoundedMap, RotatingSet};
use super::config::{InterfaceId, InterfaceMode, Limits};
use super::inbound::Arrival;
use super::stats::DropReason;

/// `PATH_REQUEST_GRACE`: a transport node lets the destination answer first.
pub(crate) const PATH_REQUEST_GRACE: f64 = 0.4;
/// Extra grace on roaming interfaces.
pub(crate) const ROAMING_EXTRA_GRACE: f64 = 1.5;
/// `PATH_REQUEST_TIMEOUT`: how long a forwarded request waits for an answer.
pub(crate) const PATH_REQUEST_TIMEOUT: f64 = 15.0;
/// Minimum interval between automated requests for one destination.
pub(crate) const PATH_REQUEST_MIN_INTERVAL: f64 = 20.0;

#[derive(Debug, Clone, Copy)]
struct PendingAnswer {
    destination: DestinationHash,
    interface: InterfaceId,
    due: f64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Discovery {
    interface: InterfaceId,
    expires: f64,
}

#[derive(Debug)]
pub(crate) struct PathRequests {
    tags: RotatingSet<(DestinationHash, PathRequestTag)>,
    pending: Vec<PendingAnswer>,
    max_pending: usize,
    pub(crate) discovery: BoundedMap<DestinationHash, Discovery>,
    /// When we last forwarded a discovery request per destination.
    forwarded: BoundedMap<DestinationHash, f64>,
    /// Destinations we asked for ourselves, and when.
    requested: BoundedMap<DestinationHash, f64>,
}

impl PathRequests {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            tags: RotatingSet::new(limits.max_path_request_tags),
            pending: Vec::new(),
            max_pending: limits.max_pending_path_requests,
            discovery: BoundedMap::new(limits.max_pending_path_requests),
            forwarded: BoundedMap::new(limits.max_pending_path_requests),
            requested: BoundedMap::new(limits.max_pending_path_requests),
        }
    }

    pub(crate) fn next_due(&self) -> Option<f64> {
        self.pending.iter().map(|p| p.due).reduce(f64::min)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.discovery.is_empty() && self.forwarded.is_empty() && self.requested.is_empty()
    }

    /// Whether someone (we, or a requester we forwarded for) is waiting for
    /// an announce of `destination`: such answers skip the ingress limit.
    pub(crate) fn awaited(&self, destination: &DestinationHash, now: f64) -> bool {
        self.discovery.contains_key(destination)
            || self
                .requested
                .get(destination)
                .is_some_and(|at| now < at + PATH_REQUEST_TIMEOUT)
    }

    pub(crate) fn cull(&mut self, now: f64) {
        self.discovery.retain(|_, d| now < d.expires);
        self.forwarded
            .retain(|_, at| now < *at + PATH_REQUEST_MIN_INTERVAL);
        self.requested
            .retain(|_, at| now < *at + PATH_REQUEST_TIMEOUT);
    }

    pub(crate) fn forget_interface(&mut self, interface: InterfaceId) {
        self.pending.retain(|p| p.interface != interface);
        self.discovery.retain(|_, d| d.interface != interface);
    }
}

impl Node {
    /// A DATA packet to `rnstransport.path.request`.
    pub(crate) fn on_path_request(&mut self, now: f64, packet: &Packet, at: Arrival) {
        if packet.data.len() == DestinationHash::LEN {
            return self.counters.drop(DropReason::PathRequestTagless);
        }
        let Ok(request) = PathRequest::from_packet(packet) else {
            return self.counters.drop(DropReason::Malformed);
        };
        if !self.path_requests.tags.insert(request.dedup_key()) {
            return self.counters.drop(DropReason::PathRequestDuplicate);
        }
        let destination = request.destination;
        if self
            .destinations
            .get(&destination)
            .is_some_and(|d| d.single().is_some())
        {
            return self.answer_local(now, &destination, at.interface, request.tag);
        }
        let transporting = self.config.transport_enabled || at.from_local_client;
        if let Some(path) = self.paths.get(&destination).filter(|_| transporting) {
            // The requester is our next hop: it knows better than we do.
            if request.transport_id == Some(path.next_hop) && path.interface == at.interface {
                return;
            }
            return self.schedule_answer(now, destination, at);
        }
        if at.from_local_client || (self.config.transport_enabled && at.mode.discovers_paths()) {
            let targets = self.other_interfaces(at.interface, false);
            self.forward_request(now, &request, at.interface, targets);
        } else if self.has_local_clients() && !at.from_local_client {
            let targets = self.other_interfaces(at.interface, true);
            self.forward_request(now, &request, at.interface, targets);
        }
    }

    fn answer_local(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        interface: InterfaceId,
        tag: PathRequestTag,
    ) {
        let cached = self
            .destinations
            .get_mut(destination)
            .and_then(|d| d.cached_answer(&tag, now));
        let packet = match cached {
            Some(p) => p,
            None => {
                let Ok(p) = self.build_announce(now, destination, AnnounceReason::PathResponse)
                else {
                    return;
                };
                if let Some(local) = self.destinations.get_mut(destination) {
                    local.cache_answer(tag, now, p.clone());
                }
                p
            }
        };
        self.transmit(interface, &packet);
    }

    fn schedule_answer(&mut self, now: f64, destination: DestinationHash, at: Arrival) {
        let pr = &mut self.path_requests;
        if pr.pending.len() >= pr.max_pending {
            return self.counters.drop(DropReason::TableEvicted);
        }
        let grace = match (at.from_local_client, at.mode) {
            (true, _) => 0.0,
            (false, InterfaceMode::Roaming) => PATH_REQUEST_GRACE + ROAMING_EXTRA_GRACE,
            (false, _) => PATH_REQUEST_GRACE,
        };
        pr.pending.push(PendingAnswer {
            destination,
            interface: at.interface,
            due: now + grace,
        });
    }

    /// Sends the transport answers whose grace time has passed.
    pub(crate) fn process_path_answers(&mut self, now: f64) {
        let (due, waiting) = std::mem::take(&mut self.path_requests.pending)
            .into_iter()
            .partition(|p| p.due <= now);
        self.path_requests.pending = waiting;
        let due: Vec<PendingAnswer> = due;
        for answer in due {
            self.send_path_response(&answer.destination, answer.interface);
        }
    }

    /// Re-emits the announce we hold for `destination` as a path response.
    fn send_path_response(&mut self, destination: &DestinationHash, interface: InterfaceId) {
        let Some(path) = self.paths.get(destination) else {
            return;
        };
        let packet = Packet {
            header: Header::Type2 {
                transport_id: self.transport_id,
            },
            transport_type: TransportType::Transport,
            hops: path.hops,
            context: Context::PATH_RESPONSE,
            ..path.announce.clone()
        };
        self.transmit(interface, &packet);
    }

    /// A path was just learned: answer whoever asked us to discover it.
    pub(crate) fn answer_discovery(&mut self, destination: &DestinationHash) {
        let Some(d) = self.path_requests.discovery.remove(destination) else {
            return;
        };
        // Local clients were sent the announce already (see `relay_to_local_clients`).
        let to_client = self
            .interfaces
            .get(&d.interface)
            .is_some_and(|i| i.config.is_local_client_of_ours);
        if !to_client {
            self.send_path_response(destination, d.interface);
        }
    }

    /// Passes a request we cannot answer on, at most once per destination per
    /// `PATH_REQUEST_MIN_INTERVAL`, and remembers who asked.
    fn forward_request(
        &mut self,
        now: f64,
        request: &PathRequest,
        from: InterfaceId,
        targets: Vec<InterfaceId>,
    ) {
        let destination = request.destination;
        let discovery = Discovery {
            interface: from,
            expires: now + PATH_REQUEST_TIMEOUT,
        };
        self.path_requests.discovery.insert(destination, discovery);
        let recent = self.path_requests.forwarded.get(&destination);
        if recent.is_some_and(|at| now < at + PATH_REQUEST_MIN_INTERVAL) {
            return;
        }
        self.path_requests.forwarded.insert(destination, now);
        let forwarded = PathRequest {
            transport_id: self.config.transport_enabled.then_some(self.transport_id),
            ..*request
        };
        let packet = forwarded.to_packet();
        for interface in targets {
            self.transmit(interface, &packet);
        }
    }

    /// Sends a path request for `destination` on every outbound interface.
    pub(crate) fn send_path_request(&mut self, now: f64, destination: &DestinationHash) {
        self.path_requests.requested.insert(*destination, now);
        let tag = PathRequestTag::new(random_hash(&mut *self.rng));
        let request = PathRequest {
            destination: *destination,
            transport_id: self.config.transport_enabled.then_some(self.transport_id),
            tag,
        };
        self.path_requests.tags.insert(request.dedup_key());
        let packet = request.to_packet();
        let targets: Vec<InterfaceId> = self.interfaces.keys().copied().collect();
        for interface in targets {
            self.transmit(interface, &packet);
        }
    }

    fn has_local_clients(&self) -> bool {
        self.interfaces
            .values()
            .any(|i| i.config.is_local_client_of_ours)
    }

    /// Interfaces other than `except`; only local-client ones if `clients_only`.
    pub(crate) fn other_interfaces(
        &self,
        except: InterfaceId,
        clients_only: bool,
    ) -> Vec<InterfaceId> {
        self.interfaces
            .iter()
            .filter(|(id, i)| **id != except && (!clients_only || i.config.is_local_client_of_ours))
            .map(|(id, _)| *id)
            .collect()
    }
}
