//! The transport node: one sans-IO state machine per Reticulum instance.
//!
//! It takes deframed packets ([`Node::handle_inbound`]), the passage of time
//! ([`Node::handle_timeout`]) and application calls, and produces transmits
//! ([`Node::poll_transmit`]), events ([`Node::poll_event`]) and its next
//! deadline. It keeps the path table, duplicate suppression, announce
//! handling, path requests, outbound routing, receipts and proofs, forwarding
//! in transport mode, and the table of our links (each a [`crate::link::Link`]).
//!
//! Every table and queue is bounded by [`Limits`]; see there for the caps and
//! what is evicted when one is full.
//!
//! Choices where the protocol facts are silent (each documented where made):
//! * No path: packets go out on every outbound interface, as the reference
//!   does; PLAIN and GROUP packets always do.
//! * Equal emission times: a strictly shorter path wins (our stand-in for the
//!   reference's interface "gravity").
//! * `AnnounceReceived` is raised only for announces that update the path
//!   table; replays and worse copies are silent.
//! * Receipts time out after the first hop's airtime plus 6 s per hop (128 hops
//!   when the path is unknown, like the reference).
//! * `request_path` always sends; only forwarded discovery requests are held
//!   to one per destination per 20 s.
//! * Access-point interfaces get our own announces but no rebroadcasts.
//! * Announces for destinations we know nothing about are rate limited per
//!   interface before their signature is checked (answers to our own path
//!   requests excepted).
//! * Behind a shared instance, the instance's transport id is learned from the
//!   HEADER_2 form in which it relays every announce to its clients.
//! * Link responses and delivery proofs leave no sooner than
//!   [`RESPONSE_HOLD`] (5 ms) after what they answer arrived: the reference
//!   drops answers that beat its own receipt bookkeeping (interop finding;
//!   see `node/response_hold.rs`).
//! * As a shared instance, announces go to local clients with context NONE,
//!   path responses included, as the reference's instance sends them.

mod announces;
mod bounded;
mod channel_api;
mod config;
mod destinations;
mod event;
mod forwarding;
mod inbound;
mod interfaces;
mod known;
mod link_api;
mod links;
mod outbound;
mod path_requests;
mod path_table;
mod rebroadcast;
mod receipts;
mod resources;
mod response_hold;
mod stats;
mod timers;
mod verify;

use std::collections::{BTreeMap, HashMap, VecDeque};

use rns_crypto::{
    CryptoRngCore, DestinationHash, IdentityHash, PacketHash, PrivateIdentity, PublicIdentity,
    RememberedRatchet,
};
use rns_msgpack::Value;

pub use config::{
    DEFAULT_ANNOUNCE_CAP, InterfaceConfig, InterfaceId, InterfaceMode, Limits, NodeConfig,
};
pub use destinations::{DestinationSpec, SingleSpec, SpecKind};
pub use event::{Event, NodeError, PathEntryView, ReceiptId, Transmit};
pub use link_api::{
    LinkError, LinkEvent, LinkId, LinkState, ProofStrategy, RequestFailure, RequestId,
    TeardownReason,
};
pub use path_table::PathRecord;
pub use response_hold::RESPONSE_HOLD;
pub use stats::{DropReason, InterfaceStats, NodeStats};
pub use verify::{VerifiedJob, VerifyJob};

use bounded::RotatingSet;
use destinations::LocalDestination;
use forwarding::Tables;
use interfaces::Interface;
use known::KnownDestinations;
use links::LinkTable;
use path_requests::PathRequests;
use path_table::PathTable;
use rebroadcast::AnnounceTable;
use receipts::Receipts;
use response_hold::ResponseHold;
use stats::Counters;

/// A Reticulum transport node (sans-IO). See the module docs.
pub struct Node {
    config: NodeConfig,
    transport_id: IdentityHash,
    rng: Box<dyn CryptoRngCore + Send>,
    interfaces: BTreeMap<InterfaceId, Interface>,
    /// Registered by the application, never by the network: not capped.
    destinations: HashMap<DestinationHash, LocalDestination>,
    known: KnownDestinations,
    paths: PathTable,
    /// Truncated hashes of packets seen, for duplicate suppression.
    packet_hashes: RotatingSet<DestinationHash>,
    announce_table: AnnounceTable,
    path_requests: PathRequests,
    tables: Tables,
    links: LinkTable,
    receipts: Receipts,
    response_hold: ResponseHold,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    counters: Counters,
    next_cull: f64,
    /// The resource policy new links start with.
    resource_policy: crate::resource::ResourcePolicy,
    /// Announce signatures are checked by the driver (`verify.rs`).
    deferred_verification: bool,
    /// Announces waiting for the driver to take them for verification.
    verify_jobs: VecDeque<VerifyJob>,
    /// Jobs taken and not handed back yet.
    verifying: usize,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("transport_id", &self.transport_id)
            .field("transport_enabled", &self.config.transport_enabled)
            .field("interfaces", &self.interfaces.len())
            .field("paths", &self.paths.len())
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

impl Node {
    pub fn new(config: NodeConfig, rng: Box<dyn CryptoRngCore + Send>) -> Node {
        let l = &config.limits;
        Node {
            transport_id: config.identity.hash(),
            interfaces: BTreeMap::new(),
            destinations: HashMap::new(),
            known: KnownDestinations::new(l.max_known_destinations),
            paths: PathTable::new(l.max_paths),
            packet_hashes: RotatingSet::new(l.max_packet_hashes),
            announce_table: AnnounceTable::new(l.max_announce_table),
            path_requests: PathRequests::new(l),
            tables: Tables::new(l.max_reverse_entries, l.max_link_table),
            links: LinkTable::new(),
            receipts: Receipts::new(l.max_receipts),
            response_hold: ResponseHold::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
            next_cull: 0.0,
            resource_policy: Default::default(),
            deferred_verification: false,
            verify_jobs: VecDeque::new(),
            verifying: 0,
            config,
            rng,
        }
    }

    pub fn transport_identity(&self) -> &PrivateIdentity {
        &self.config.identity
    }

    /// Our transport id: the hash of the transport identity.
    pub fn transport_id(&self) -> IdentityHash {
        self.transport_id
    }

    /// Attaches (or reconfigures) an interface.
    pub fn add_interface(&mut self, id: InterfaceId, config: InterfaceConfig) {
        let burst = self.config.limits.new_announce_burst;
        self.interfaces.insert(id, Interface::new(config, burst));
        self.counters.interfaces.entry(id).or_default();
    }

    /// Detaches an interface and forgets the paths and relay state through it.
    /// Links attached to it are left to time out.
    pub fn remove_interface(&mut self, id: InterfaceId) {
        if self.interfaces.remove(&id).is_none() {
            return;
        }
        self.counters.interfaces.remove(&id);
        let exists = |i: InterfaceId| i != id;
        self.paths.cull(f64::NEG_INFINITY, exists);
        self.tables.cull(f64::NEG_INFINITY, exists);
        self.path_requests.forget_interface(id);
        self.announce_table.map.retain(|_, e| e.from != id);
    }

    /// One deframed packet as it arrived, access code and all.
    pub fn handle_inbound(&mut self, now: f64, interface: InterfaceId, raw: &[u8]) {
        self.inbound(now, interface, raw);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn register_destination(
        &mut self,
        spec: DestinationSpec,
    ) -> Result<DestinationHash, NodeError> {
        self.register(spec)
    }

    pub fn deregister_destination(&mut self, destination: &DestinationHash) {
        self.destinations.remove(destination);
    }

    /// Announces a local SINGLE destination on every outbound interface.
    /// `app_data`: `None` repeats the app data of the previous announce;
    /// `Some(&[])` clears it. Ratchets rotate first when due.
    pub fn announce(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        app_data: Option<&[u8]>,
    ) -> Result<(), NodeError> {
        self.announce_local(now, destination, app_data)
    }

    /// The destination's ratchets (to persist after `RatchetsRotated`).
    pub fn destination_ratchets(
        &self,
        destination: &DestinationHash,
    ) -> Option<&rns_crypto::RatchetSet> {
        self.destinations
            .get(destination)?
            .single()?
            .ratchets
            .as_ref()
    }

    pub fn recall_identity(&self, destination: &DestinationHash) -> Option<&PublicIdentity> {
        self.known.identity(destination)
    }

    /// The app data of the destination's latest announce.
    pub fn recall_app_data(&self, destination: &DestinationHash) -> Option<&[u8]> {
        self.known.get(destination)?.app_data.as_deref()
    }

    /// The latest ratchet the destination announced (to persist it).
    pub fn recall_ratchet(&self, destination: &DestinationHash) -> Option<RememberedRatchet> {
        self.known.get(destination)?.ratchet
    }

    /// Restores a persisted known destination; it is kept over strangers.
    pub fn remember_identity(
        &mut self,
        destination: DestinationHash,
        identity: PublicIdentity,
        app_data: Option<Vec<u8>>,
    ) {
        self.known.learn(destination, identity, app_data, None);
        self.known.mark_used(&destination);
    }

    /// Restores a persisted ratchet for a known destination.
    pub fn remember_ratchet(&mut self, destination: &DestinationHash, ratchet: RememberedRatchet) {
        self.known.set_ratchet(destination, ratchet);
    }

    pub fn has_path(&self, destination: &DestinationHash) -> bool {
        self.paths.get(destination).is_some()
    }

    pub fn hops_to(&self, destination: &DestinationHash) -> Option<u8> {
        self.paths.get(destination).map(|p| p.hops)
    }

    /// Sends a path request on every outbound interface, every time it is
    /// called (rate limiting explicit requests is the caller's business).
    pub fn request_path(&mut self, now: f64, destination: &DestinationHash) {
        self.send_path_request(now, destination);
    }

    pub fn path_table(&self) -> impl Iterator<Item = PathEntryView> + '_ {
        self.paths.views()
    }

    /// Every path in full with the interface it goes through, for a driver
    /// to persist (see [`restore_path`](Self::restore_path)).
    pub fn path_records(&self) -> impl Iterator<Item = (InterfaceId, PathRecord)> + '_ {
        self.paths.records()
    }

    /// Puts a persisted path back on `interface`. Refused (false) when it has
    /// expired, the interface is not attached, a path to the destination is
    /// already known (what was learned since start wins), or the stored
    /// announce is not an announce for that destination. The announce is
    /// not verified again: it was verified when it arrived, and the storage
    /// it comes from is as trusted as the keys beside it.
    pub fn restore_path(&mut self, now: f64, interface: InterfaceId, record: PathRecord) -> bool {
        self.restore(now, interface, record)
    }

    pub fn drop_path(&mut self, destination: &DestinationHash) -> bool {
        self.paths.remove(destination).is_some()
    }

    /// Sends one packet: encrypted to a known SINGLE destination (to its
    /// latest ratchet when one is known) with a receipt, or to a local PLAIN
    /// (as is) or GROUP (with its key) destination. PLAIN and GROUP packets
    /// get no receipt (the reference makes none): their `ReceiptId` only
    /// names the packet, and no receipt event follows.
    pub fn send_packet(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        data: &[u8],
    ) -> Result<ReceiptId, NodeError> {
        self.send_to(now, destination, data)
    }

    /// Proves a packet one of our SINGLE destinations received (for
    /// `ProofStrategy::App`), on the interface it arrived on.
    pub fn prove_packet(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        packet_hash: &PacketHash,
        interface: InterfaceId,
    ) -> Result<(), NodeError> {
        self.prove(now, destination, packet_hash, interface)
    }

    pub fn open_link(
        &mut self,
        now: f64,
        destination: &DestinationHash,
    ) -> Result<LinkId, NodeError> {
        self.initiate_link(now, destination)
    }

    pub fn link_send(
        &mut self,
        now: f64,
        link: &LinkId,
        data: &[u8],
    ) -> Result<PacketHash, NodeError> {
        self.with_link(now, link, |l, out, rng| l.send(now, data, out, rng))
    }

    pub fn link_identify(
        &mut self,
        now: f64,
        link: &LinkId,
        identity: &PrivateIdentity,
    ) -> Result<(), NodeError> {
        self.identify_on_link(now, link, identity)
    }

    pub fn link_request(
        &mut self,
        now: f64,
        link: &LinkId,
        path: &str,
        data: Value,
        timeout: Option<f64>,
    ) -> Result<RequestId, NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.request(now, path, data, timeout, out, rng)
        })
    }

    /// Answers a request received on one of our links. A response to a
    /// request that arrived less than [`RESPONSE_HOLD`] ago is sealed now but
    /// sent when the hold is over (see `node/response_hold.rs`: the reference
    /// requester drops responses that beat its own bookkeeping).
    pub fn link_respond(
        &mut self,
        now: f64,
        link: &LinkId,
        request_id: RequestId,
        response: Value,
    ) -> Result<(), NodeError> {
        self.respond_on_link(now, link, request_id, response)
    }

    /// Proves a link packet (for links with `ProofStrategy::App`). The
    /// proof waits out the answer hold from now, as automatic ones do from
    /// the packet's arrival (see `node/response_hold.rs`).
    pub fn link_prove(
        &mut self,
        now: f64,
        link: &LinkId,
        packet_hash: &PacketHash,
    ) -> Result<(), NodeError> {
        let local = self
            .links
            .get_mut(link)
            .ok_or(NodeError::UnknownLink(*link))?;
        let mut out = Vec::new();
        local
            .link
            .prove(now, packet_hash, &mut out)
            .map_err(NodeError::Link)?;
        self.hold_link_actions(now, *link, out);
        Ok(())
    }

    pub fn close_link(&mut self, now: f64, link: &LinkId) -> Result<(), NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.close(now, out, rng);
            Ok(())
        })
    }

    /// Responses and proofs sealed but held back (see [`RESPONSE_HOLD`]).
    pub fn held_responses(&self) -> usize {
        self.response_hold.held()
    }

    pub fn link_state(&self, link: &LinkId) -> Option<LinkState> {
        self.links.get(link).map(|l| l.link.state())
    }

    /// The link itself, for what the node does not wrap (rtt, mtu, mdu, ...).
    pub fn link(&self, link: &LinkId) -> Option<&crate::link::Link> {
        self.links.get(link).map(|l| &l.link)
    }

    /// Queues an event for the application, dropping it when the queue is full.
    fn push_event(&mut self, event: Event) {
        if self.events.len() >= self.config.limits.max_event_queue {
            return self.counters.drop(DropReason::EventQueueFull);
        }
        self.events.push_back(event);
    }
}
