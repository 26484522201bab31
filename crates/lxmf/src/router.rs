//! The LXMF router as a sans-IO state machine: the outbound queue with the
//! reference's message states, retries with backoff on the same message,
//! links per recipient, inbound acceptance (duplicates, signatures, stamps)
//! and what announces tell about peers.
//!
//! It is driven like rns-proto's node: inputs are `handle_*(now, ..)` calls
//! (what the network did, what the driver's actions returned), outputs are
//! [`Action`]s for the driver ([`Router::poll_action`]) and [`RouterEvent`]s for
//! the application ([`Router::poll_event`]); [`Router::poll_timeout`] says when
//! to call [`Router::handle_timeout`]. The async driver is
//! [`crate::driver::LxmfRouter`].
//!
//! Choices where the protocol facts are silent (see docs/interop.md, LXMF):
//! an attempt is a transmission, a path request or a failed link; the wait
//! before attempt n+1 is `retry_wait × 2^(n−1)` capped at `retry_wait_max`;
//! an announce (or a found path) from the recipient makes its queued messages
//! due at once; a message fails after `max_attempts`; direct links are shared
//! by every message to one recipient and closed after `link_idle_timeout`.
//!
//! Propagated messages: the node is the one
//! chosen with [`Router::set_propagation_node`], else the enabled announced
//! node fewest hops away; the driver seals the message ([`Action::SealMessage`])
//! and searches the propagation stamp at the node's announced cost; the
//! submission goes on a link to the node (packet while the container is at
//! most 319 bytes, as the reference, else a resource); the node proving it
//! ends the message `Sent` (the reference's state for a propagated message
//! handed over; nothing later reports the pickup); a node error code
//! (msgpack `[code]` on the link) ends it `Failed` with
//! [`Failure::PropagationNodeError`] (`THROTTLED` retries). With
//! `fallback_to_propagated` (off: the reference's router has no such option,
//! apps do it), a direct or opportunistic message whose attempts are used up
//! goes to a node, same id. Syncs: see the `sync` module docs
//! ([`Router::start_sync`]); tickets: [`Router::issue_ticket`].

mod inbound;
mod outbound;
mod peers;
mod propagated;
mod sync;
#[cfg(test)]
mod tests;
mod tickets;

use std::collections::{HashMap, VecDeque};

use rns_crypto::{DestinationHash, PacketHash, PrivateIdentity};
use rns_msgpack::Value;
use rns_proto::node::{LinkId, ReceiptId};
use rns_proto::resource::ResourceHash;
use rns_wire::lxmf_app_data::{DeliveryAppData, PropagationNodeAppData};

use crate::delivery::{Method, Representation, State, delivery_destination};
use crate::message::{MessageId, PackedMessage, SignatureState};

pub use inbound::source_of;
pub use peers::{Peer, PropagationNode};
pub use sync::{MAX_SYNC_ROUNDS, SyncError, SyncFailure, SyncState, SyncStatus};
pub use tickets::MAX_ISSUED_PER_PEER;

/// Tunables; the defaults suit a chat app.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Attempts (transmissions, path requests, failed links) before a message
    /// fails.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with each attempt.
    pub retry_wait: f64,
    /// The longest wait between attempts.
    pub retry_wait_max: f64,
    /// How long to wait for a path after requesting one.
    pub path_request_wait: f64,
    /// A link that is not up this long after we asked for it is given up.
    pub link_establishment_timeout: f64,
    /// An outbound link no message used for this long is closed.
    pub link_idle_timeout: f64,
    /// Messages queued or in flight at once.
    pub max_outbound: usize,
    /// Message ids remembered to drop duplicates.
    pub dedup_capacity: usize,
    /// Peers (announced delivery destinations) remembered.
    pub max_peers: usize,
    /// Finished messages whose last status [`Router::status`] still reports.
    pub finished_capacity: usize,
    /// Drop inbound messages whose stamp does not meet our announced cost.
    pub enforce_stamps: bool,
    /// The largest message we take, in kilobytes (the reference's
    /// `delivery_limit`, 1000 kB): larger inbound resources are refused, and
    /// a sync asks a propagation node for at most this much per request.
    pub delivery_limit_kb: u64,
    /// A direct or opportunistic message whose attempts are used up goes to
    /// a propagation node instead of failing (when one is configured or has
    /// been announced). Off by default, as in the reference.
    pub fallback_to_propagated: bool,
    /// Announced propagation nodes remembered.
    pub max_propagation_nodes: usize,
    /// Our delivery destinations use ratchets (announce one, rotate, decrypt
    /// with it), as the reference's do; the driver has rns-net keep their
    /// keys on disk when the node has a config directory.
    pub ratchets: bool,
    /// Drop packets to our delivery destinations encrypted to the identity
    /// key instead of a ratchet (the reference's `enforce_ratchets`, off).
    pub enforce_ratchets: bool,
    /// Messages sent as single packets that may wait for their proofs at
    /// once, per link (direct) or per recipient (opportunistic); the rest
    /// wait their turn without using up an attempt. A burst sent all at once
    /// would overflow the interface's send queue, or have its later proofs
    /// come back after a link's receipt timeout (a few round trips), failing
    /// messages that were in fact delivered. This careful window is for
    /// recipients without a link and for links that were slow to come up.
    pub packet_window: usize,
    /// The window on a link that came up within [`fast_link_setup`] seconds:
    /// there the round trip is latency rather than airtime, so a deeper
    /// window neither queues up the interface nor outlasts the receipt
    /// timeout, and a burst is no longer paced by the recipient's proofs.
    ///
    /// [`fast_link_setup`]: Self::fast_link_setup
    pub fast_link_packet_window: usize,
    /// Prove a received message only once the application has stored it
    /// ([`LxmfRouter::ack_stored`](crate::driver::LxmfRouter::ack_stored)),
    /// so a sender never takes as delivered what a crash here could lose
    /// (packets, link packets and messages carried as resources alike).
    /// Off by default: the reference proves on arrival, and an application
    /// that never acknowledges would leave its senders retrying.
    pub prove_when_stored: bool,
    /// Seconds from opening a link to its coming up under which the link
    /// counts as fast (a LoRa hop takes seconds; TCP, even across the
    /// world, well under this).
    pub fast_link_setup: f64,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            max_attempts: 5,
            retry_wait: 10.0,
            retry_wait_max: 300.0,
            path_request_wait: 7.0,
            link_establishment_timeout: 60.0,
            link_idle_timeout: 600.0,
            max_outbound: 1024,
            dedup_capacity: 16_384,
            max_peers: 4096,
            finished_capacity: 256,
            enforce_stamps: false,
            delivery_limit_kb: 1000,
            fallback_to_propagated: false,
            max_propagation_nodes: 256,
            ratchets: true,
            enforce_ratchets: false,
            packet_window: 8,
            fast_link_packet_window: 32,
            fast_link_setup: 0.25,
            prove_when_stored: false,
        }
    }
}

/// What the router asks its driver to do. Each action that can fail is
/// answered with the matching `handle_*` call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Ask the network for a path (and so the identity) of `destination`.
    RequestPath {
        destination: DestinationHash,
    },
    /// Send `data` as one encrypted packet; answer with
    /// [`Router::handle_packet_sent`].
    SendPacket {
        message: MessageId,
        destination: DestinationHash,
        data: Vec<u8>,
    },
    /// Open a link to `destination`; answer with [`Router::handle_link_opening`].
    OpenLink {
        destination: DestinationHash,
    },
    /// Send `data` as one link packet; answer with
    /// [`Router::handle_link_packet_sent`].
    SendLinkPacket {
        message: MessageId,
        link: LinkId,
        data: Vec<u8>,
    },
    /// Send `data` as a resource; answer with [`Router::handle_resource_started`].
    SendResource {
        message: MessageId,
        link: LinkId,
        data: Vec<u8>,
        compress: bool,
    },
    CancelResource {
        link: LinkId,
        hash: ResourceHash,
    },
    CloseLink {
        link: LinkId,
    },
    /// Search a stamp of `cost` for the message (off the event loop); answer
    /// with [`Router::handle_stamp`].
    GenerateStamp {
        message: MessageId,
        cost: u32,
    },
    /// The message no longer needs the stamp being searched.
    CancelStamp {
        message: MessageId,
    },
    /// Encrypt `packed` for `destination` (its identity, and its ratchet if
    /// the network knows one) into a propagation container
    /// ([`crate::delivery::seal`]); answer with [`Router::handle_sealed`].
    SealMessage {
        message: MessageId,
        destination: DestinationHash,
        packed: Vec<u8>,
    },
    /// Search a propagation stamp of `cost` over `transient_id` (1000
    /// rounds); answer with [`Router::handle_propagation_stamp`].
    GeneratePropagationStamp {
        message: MessageId,
        transient_id: [u8; 32],
        cost: u32,
    },
    /// Open the link a sync uses; answer with
    /// [`Router::handle_sync_link_opening`].
    OpenSyncLink {
        node: DestinationHash,
    },
    /// Identify on `link` as the identity behind our delivery destination
    /// `local` (LINKIDENTIFY).
    IdentifyLink {
        link: LinkId,
        local: DestinationHash,
    },
    /// Send request `path` with `data` on `link`; answer with
    /// [`Router::handle_sync_request_sent`], then the response with
    /// [`Router::handle_sync_response`] or [`Router::handle_sync_request_failed`].
    SyncRequest {
        link: LinkId,
        path: String,
        data: Value,
    },
    /// A packed message arrived by a way that carries no source identity
    /// (propagation node, paper): look the source up and pass it to
    /// [`Router::handle_inbound`].
    ProcessInbound {
        packed: Vec<u8>,
        method: Method,
    },
}

/// Why a message failed (or was rejected), when the router knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Attempts used up without a delivery.
    AttemptsExhausted,
    /// Propagated, but no propagation node is configured or announced.
    NoPropagationNode,
    /// The propagation node could not be reached (no path, or no link).
    PropagationNodeUnreachable,
    /// The propagation node answered with one of its error codes
    /// ([`crate::propagation::error_code`]).
    PropagationNodeError(u8),
    /// The recipient (or the node) refused the resource.
    Refused,
    /// No stamp could be made.
    Stamp,
    /// The recipient's identity is unknown, so the message cannot be sealed.
    UnknownRecipient,
}

/// Where an outbound message stands.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundStatus {
    pub id: MessageId,
    pub destination: DestinationHash,
    pub state: State,
    pub method: Method,
    pub representation: Representation,
    /// 0.0 ..= 1.0; resources report their transfer, packets jump at the end.
    pub progress: f64,
    pub attempts: u32,
    /// Why it failed or was rejected (or, while it waits, why the last
    /// attempt did not get through).
    pub failure: Option<Failure>,
}

/// A message accepted for one of our delivery destinations.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub message: PackedMessage,
    /// `Unverified` when the source's identity is not known yet (the
    /// reference's SOURCE_UNKNOWN): kept, to be verified by the app later.
    pub signature: SignatureState,
    pub method: Method,
    /// The stamp's value when one was checked and passed.
    pub stamp_value: Option<u32>,
}

/// Why an inbound message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    Malformed,
    NotForUs,
    Duplicate,
    InvalidSignature,
    InvalidStamp,
}

/// What the application hears from the router.
#[derive(Debug, Clone, PartialEq)]
pub enum RouterEvent {
    Outbound(OutboundStatus),
    Received(Box<Received>),
    Dropped {
        reason: DropReason,
        message: Option<MessageId>,
    },
    /// A delivery destination announced itself (name, stamp cost).
    PeerAnnounced {
        destination: DestinationHash,
        app_data: Option<DeliveryAppData>,
    },
    PropagationNodeAnnounced {
        destination: DestinationHash,
        app_data: Box<PropagationNodeAppData>,
    },
    /// A sync with a propagation node moved on (progress) or ended.
    Sync(SyncStatus),
    /// A message too large for a packet is arriving (as a resource) on a
    /// link to our delivery destination `local`. Who sent it is known only
    /// once it is whole (then `Received` follows).
    Incoming {
        local: DestinationHash,
        transfer: rns_proto::resource::ResourceHash,
        progress: IncomingProgress,
    },
}

/// How an incoming transfer stands; `Complete` and `Failed` are its last
/// report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomingProgress {
    /// Bytes of the transfer so far, of the total (reported in steps of at
    /// least 1 %).
    Receiving {
        done: u64,
        total: u64,
    },
    Complete,
    Failed,
}

/// Why a message was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error("the outbound queue is full ({0} messages)")]
    QueueFull(usize),
    #[error("source {0} is not one of our delivery destinations")]
    UnknownSource(DestinationHash),
    #[error("method {0:?} is not supported by the router yet")]
    UnsupportedMethod(Method),
    #[error("message {0} is already queued")]
    Duplicate(MessageId),
}

/// Why the driver could not carry out an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// The network knows no identity for the destination (no announce yet).
    UnknownIdentity,
    /// No path to the destination: a link request sent blind would wait out
    /// an establishment timeout sized for the longest path (minutes). The
    /// router asks for a path and tries again after `path_request_wait`, as
    /// it does for a recipient it has not heard.
    NoPath,
    /// Anything else; the message retries.
    Other(String),
}

/// How an outgoing resource ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceOutcome {
    Complete,
    /// The recipient refused it.
    Rejected,
    Failed,
}

/// One of our delivery identities.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    pub(crate) identity: PrivateIdentity,
    pub(crate) display_name: Option<String>,
    pub(crate) stamp_cost: Option<u8>,
    /// The destination's current ratchets (newest first), to open
    /// propagated and paper containers sealed to one.
    pub(crate) ratchets: Vec<rns_crypto::Ratchet>,
}

/// What an outbound message waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Due at `next_attempt`.
    Queued,
    Stamp,
    /// Propagated: the driver is sealing the message for its recipient.
    Seal,
    /// Propagated: the driver is searching the propagation stamp.
    PropagationStamp,
    AwaitLink,
    /// A single packet waiting for room in its window: keyed by the link id
    /// (direct) or the recipient's destination hash (opportunistic).
    AwaitWindow(DestinationHash),
    /// An action is out; the driver's answer is next.
    Transmitting,
    AwaitReceipt(ReceiptId),
    AwaitLinkProof(LinkId, PacketHash),
    AwaitResource(LinkId, Option<ResourceHash>),
}

#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) packed: PackedMessage,
    pub(crate) method: Method,
    pub(crate) representation: Representation,
    pub(crate) state: State,
    pub(crate) stage: Stage,
    pub(crate) attempts: u32,
    pub(crate) next_attempt: f64,
    pub(crate) progress: f64,
    /// Submission order, to send in order.
    pub(crate) seq: u64,
    /// Propagated: the node it goes through (the link is to it).
    pub(crate) via: Option<DestinationHash>,
    /// Propagated: the sealed container, kept across retries.
    pub(crate) container: Option<Vec<u8>>,
    /// Propagated: the propagation stamp, for `via` at the time.
    pub(crate) pn_stamp: Option<(DestinationHash, Vec<u8>)>,
    pub(crate) failure: Option<Failure>,
}

impl Outbound {
    /// Where its link goes: the propagation node, or the recipient.
    pub(crate) fn target(&self) -> DestinationHash {
        self.via.unwrap_or(self.packed.message().destination_hash)
    }
}

/// An outbound link to a recipient, shared by its messages.
#[derive(Debug, Clone)]
pub(crate) struct OutLink {
    pub(crate) link: Option<LinkId>,
    pub(crate) opened_at: f64,
    pub(crate) last_used: f64,
    /// Seconds the link took to come up; `None` until it has.
    pub(crate) setup_time: Option<f64>,
}

impl OutLink {
    pub(crate) fn established(&self) -> bool {
        self.setup_time.is_some()
    }
}

/// The router core. See the module docs.
#[derive(Debug)]
pub struct Router {
    pub(crate) config: RouterConfig,
    pub(crate) locals: HashMap<DestinationHash, Local>,
    pub(crate) peers: HashMap<DestinationHash, Peer>,
    pub(crate) outbound: HashMap<MessageId, Outbound>,
    pub(crate) finished: VecDeque<OutboundStatus>,
    pub(crate) links: HashMap<DestinationHash, OutLink>,
    pub(crate) seen: VecDeque<MessageId>,
    pub(crate) seen_set: std::collections::HashSet<MessageId>,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) events: VecDeque<RouterEvent>,
    pub(crate) next_seq: u64,
    pub(crate) nodes: HashMap<DestinationHash, PropagationNode>,
    /// The propagation node the application chose (else the nearest heard).
    pub(crate) propagation_node: Option<DestinationHash>,
    /// Transient ids of containers already taken in (propagated, paper).
    pub(crate) transient_seen: VecDeque<[u8; 32]>,
    pub(crate) transient_set: std::collections::HashSet<[u8; 32]>,
    pub(crate) sync: Option<sync::SyncJob>,
    /// Tickets we gave peers (their stamps made from one count).
    pub(crate) issued: HashMap<DestinationHash, Vec<crate::ticket::Ticket>>,
    /// Tickets peers gave us (used instead of a stamp).
    pub(crate) held: HashMap<DestinationHash, crate::ticket::Ticket>,
}

impl Router {
    pub fn new(config: RouterConfig) -> Router {
        Router {
            config,
            locals: HashMap::new(),
            peers: HashMap::new(),
            outbound: HashMap::new(),
            finished: VecDeque::new(),
            links: HashMap::new(),
            seen: VecDeque::new(),
            seen_set: std::collections::HashSet::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            next_seq: 0,
            nodes: HashMap::new(),
            propagation_node: None,
            transient_seen: VecDeque::new(),
            transient_set: std::collections::HashSet::new(),
            sync: None,
            issued: HashMap::new(),
            held: HashMap::new(),
        }
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Adds one of our identities; returns its `lxmf.delivery` destination.
    /// Several identities can be online at once; adding one again updates its
    /// name and stamp cost.
    pub fn add_identity(
        &mut self,
        identity: PrivateIdentity,
        display_name: Option<String>,
        stamp_cost: Option<u8>,
    ) -> DestinationHash {
        let dest = delivery_destination(&identity.hash());
        self.locals.insert(
            dest,
            Local {
                identity,
                display_name,
                stamp_cost: stamp_cost.filter(|c| (1..=254).contains(c)),
                ratchets: Vec::new(),
            },
        );
        dest
    }

    /// The current ratchets of our delivery destination (from the network,
    /// after registering and whenever they rotate).
    pub fn set_ratchets(
        &mut self,
        destination: &DestinationHash,
        ratchets: Vec<rns_crypto::Ratchet>,
    ) {
        if let Some(l) = self.locals.get_mut(destination) {
            l.ratchets = ratchets;
        }
    }

    pub fn remove_identity(&mut self, destination: &DestinationHash) -> bool {
        self.locals.remove(destination).is_some()
    }

    pub fn is_local(&self, destination: &DestinationHash) -> bool {
        self.locals.contains_key(destination)
    }

    pub fn local_destinations(&self) -> impl Iterator<Item = &DestinationHash> {
        self.locals.keys()
    }

    /// The identity behind one of our delivery destinations.
    pub fn local_identity(&self, destination: &DestinationHash) -> Option<&PrivateIdentity> {
        self.locals.get(destination).map(|l| &l.identity)
    }

    /// The app_data our delivery destination announces: display name, stamp
    /// cost and supported features.
    pub fn announce_app_data(&self, destination: &DestinationHash) -> Option<Vec<u8>> {
        let local = self.locals.get(destination)?;
        Some(DeliveryAppData::modern(local.display_name.as_deref(), local.stamp_cost).encode())
    }

    /// The status of a queued, in-flight or recently finished message.
    pub fn status(&self, id: &MessageId) -> Option<OutboundStatus> {
        if let Some(m) = self.outbound.get(id) {
            return Some(status_of(id, m));
        }
        self.finished.iter().rev().find(|s| &s.id == id).cloned()
    }

    /// Whether a queued or in-flight message is addressed to `destination`.
    pub fn has_outbound_to(&self, destination: &DestinationHash) -> bool {
        self.outbound.values().any(|m| {
            m.packed.message().destination_hash == *destination || m.via == Some(*destination)
        }) || self
            .sync
            .as_ref()
            .is_some_and(|s| s.node == *destination && s.link.is_none())
    }

    /// Messages queued or in flight.
    pub fn outbound_len(&self) -> usize {
        self.outbound.len()
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<RouterEvent> {
        self.events.pop_front()
    }

    /// When [`Router::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<f64> {
        let messages = self
            .outbound
            .values()
            .filter(|m| m.stage == Stage::Queued)
            .map(|m| m.next_attempt);
        let links = self.links.values().map(|l| {
            if l.established() {
                l.last_used + self.config.link_idle_timeout
            } else {
                l.opened_at + self.config.link_establishment_timeout
            }
        });
        let sync = self.sync.as_ref().and_then(|s| s.deadline);
        messages.chain(links).chain(sync).min_by(f64::total_cmp)
    }

    /// Runs what is due: queued messages, link timeouts.
    pub fn handle_timeout(&mut self, now: f64) {
        self.expire_links(now);
        self.sync_timeout(now);
        let mut due: Vec<(u64, MessageId)> = self
            .outbound
            .iter()
            .filter(|(_, m)| m.stage == Stage::Queued && m.next_attempt <= now)
            .map(|(id, m)| (m.seq, *id))
            .collect();
        due.sort_unstable();
        for (_, id) in due {
            self.process(now, id);
        }
    }

    pub(crate) fn emit_status(&mut self, id: &MessageId) {
        if let Some(m) = self.outbound.get(id) {
            let s = status_of(id, m);
            self.events.push_back(RouterEvent::Outbound(s));
        }
    }
}

pub(crate) fn status_of(id: &MessageId, m: &Outbound) -> OutboundStatus {
    OutboundStatus {
        id: *id,
        destination: m.packed.message().destination_hash,
        state: m.state,
        method: m.method,
        representation: m.representation,
        progress: m.progress,
        attempts: m.attempts,
        failure: m.failure,
    }
}
