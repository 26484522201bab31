//! What a link reports and refuses: its states, the actions it asks its owner to
//! take, the events it surfaces to the application, its errors and its counters.

use rns_crypto::{CryptoError, PacketHash, PublicIdentity};
use rns_msgpack::Value;
use rns_wire::WireError;
use rns_wire::link::LinkId;
use rns_wire::packet::Packet;
use rns_wire::request::{PathHash, RequestId};
use rns_wire::resource::ResourceHash;

use crate::resource::{ResourceError, ResourceStatus};

/// The reference's link states (PENDING 0 .. CLOSED 4), in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Initiator: the LINKREQUEST is out, the proof has not arrived.
    Pending,
    /// Responder: the proof is out, the initiator's RTT report has not arrived.
    Handshake,
    Active,
    /// Nothing heard for two keepalive intervals; one grace period remains.
    Stale,
    Closed,
}

/// Why a link closed (the reference's TIMEOUT 1, INITIATOR_CLOSED 2,
/// DESTINATION_CLOSED 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeardownReason {
    Timeout,
    InitiatorClosed,
    DestinationClosed,
}

/// Which received link DATA packets (context NONE) the link proves by itself
/// (PROVE_NONE, PROVE_APP, PROVE_ALL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofStrategy {
    None,
    /// The application decides per packet and calls [`Link::prove`](super::Link::prove).
    App,
    All,
}

/// What a link asks its owner to do. The node sends `Send` packets on the link's
/// attached interface (or routes them) and surfaces events to the application.
// Events carry public identities (a few hundred bytes with their parsed keys);
// actions live briefly in the owner's vector, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum LinkAction {
    Send(Packet),
    Event(LinkEvent),
}

/// Why a request we made will get no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFailure {
    Timeout,
    /// The response was advertised as a resource larger than this link takes.
    TooLarge,
    LinkClosed,
    /// The request or its response travelled as a resource, and that
    /// transfer failed.
    TransferFailed,
}

/// What happened on a link, for the application.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    Established {
        link_id: LinkId,
        rtt: f64,
    },
    Closed {
        link_id: LinkId,
        reason: TeardownReason,
    },
    /// Responder side: the initiator proved it holds `identity` (LINKIDENTIFY).
    Identified {
        link_id: LinkId,
        identity: PublicIdentity,
    },
    /// Plain link data (context NONE).
    Data {
        link_id: LinkId,
        data: Vec<u8>,
        packet_hash: PacketHash,
    },
    /// The peer proved a packet we sent with `send`; `rtt` is send to proof.
    Delivered {
        link_id: LinkId,
        packet_hash: PacketHash,
        rtt: f64,
    },
    /// No proof came for a packet we sent with `send`: its receipt timed out,
    /// was pushed out by newer ones, or the link closed first.
    DeliveryFailed {
        link_id: LinkId,
        packet_hash: PacketHash,
    },
    /// A channel message of an application type, in sequence order.
    ChannelMessage {
        link_id: LinkId,
        msgtype: u16,
        sequence: u16,
        payload: Vec<u8>,
    },
    /// The peer proved the channel message with this sequence (stream chunks
    /// included): the window has room again.
    ChannelDelivered {
        link_id: LinkId,
        sequence: u16,
    },
    /// Bytes of buffer stream `stream_id`, in order; `eof` once the writer
    /// closed the stream after them.
    StreamData {
        link_id: LinkId,
        stream_id: u16,
        data: Vec<u8>,
        eof: bool,
    },
    RequestReceived {
        link_id: LinkId,
        request_id: RequestId,
        path_hash: PathHash,
        data: Value,
        requested_at: f64,
        /// Set when the initiator identified itself before the request arrived.
        remote_identity: Option<PublicIdentity>,
    },
    ResponseReceived {
        link_id: LinkId,
        request_id: RequestId,
        response: Value,
    },
    RequestFailed {
        link_id: LinkId,
        request_id: RequestId,
        reason: RequestFailure,
    },
    /// The peer advertised a resource of `size` bytes (all segments, metadata
    /// included). Under `ResourceStrategy::App` it waits for
    /// `accept_resource` or `reject_resource`; otherwise it is for information.
    /// `hash` names the resource in every later event (its original hash).
    ResourceAdvertised {
        link_id: LinkId,
        hash: ResourceHash,
        size: u64,
    },
    /// Bytes of the stream moved so far, reported in steps of at least 1 %.
    ResourceProgress {
        link_id: LinkId,
        hash: ResourceHash,
        done: u64,
        total: u64,
        incoming: bool,
    },
    /// A resource arrived whole and verified, and was proved to the sender
    /// (unless the policy holds its proof for `prove_resource`).
    ResourceReceived {
        link_id: LinkId,
        hash: ResourceHash,
        data: Vec<u8>,
        metadata: Option<Value>,
    },
    /// A resource ended, either way; the last event about `hash`.
    ResourceConcluded {
        link_id: LinkId,
        hash: ResourceHash,
        status: ResourceStatus,
        incoming: bool,
    },
}

/// Why a link could not be made, or refused an application call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("malformed link request: {0}")]
    MalformedRequest(#[source] WireError),
    #[error("link mode {0} is not enabled")]
    UnsupportedMode(u8),
    #[error("link key agreement failed: {0}")]
    KeyAgreement(#[source] CryptoError),
    #[error("link is {0:?}, not active")]
    NotActive(LinkState),
    #[error("only the initiator of a link can identify on it")]
    NotInitiator,
    /// Larger payloads need a resource (`send_resource`).
    #[error("{size} bytes do not fit the link MDU of {mdu}")]
    TooLarge { size: usize, mdu: usize },
    #[error("{0} requests are already waiting for responses on this link")]
    TooManyRequests(usize),
    #[error("resource: {0}")]
    Resource(#[from] ResourceError),
    /// The channel's window (or the stream queue) is full; retry once a
    /// `ChannelDelivered` event says a message got through.
    #[error("the channel is busy: its window is full")]
    ChannelBusy,
    #[error("message type {0:#06x} is reserved for the stack")]
    ReservedMessageType(u16),
    #[error("stream id {0} does not fit 14 bits")]
    InvalidStreamId(u16),
}

/// Counters of one link's traffic, and of what it dropped and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets handed to `handle_packet`, whatever became of them.
    pub packets_in: u64,
    /// Packets the link asked its owner to send.
    pub packets_out: u64,
    /// Arrived in a state that has no use for them (e.g. data after close).
    pub dropped_state: u64,
    /// Failed Token authentication or decryption.
    pub dropped_undecryptable: u64,
    /// Did not decode (wrong packet type, wrong link id, bad payload).
    pub dropped_malformed: u64,
    /// A signature that does not verify (link proof, delivery proof, identify).
    pub dropped_unauthentic: u64,
    /// A proof or response for nothing we are waiting on.
    pub dropped_unmatched: u64,
    /// A context this link does not handle.
    pub dropped_unsupported: u64,
}

impl LinkStats {
    /// All dropped packets, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_state
            + self.dropped_undecryptable
            + self.dropped_malformed
            + self.dropped_unauthentic
            + self.dropped_unmatched
            + self.dropped_unsupported
    }

    pub(super) fn count(&mut self, discard: Discard) {
        let counter = match discard {
            Discard::State => &mut self.dropped_state,
            Discard::Undecryptable => &mut self.dropped_undecryptable,
            Discard::Malformed => &mut self.dropped_malformed,
            Discard::Unauthentic => &mut self.dropped_unauthentic,
            Discard::Unmatched => &mut self.dropped_unmatched,
            Discard::Unsupported => &mut self.dropped_unsupported,
        };
        *counter = counter.saturating_add(1);
    }
}

/// Why an incoming packet was dropped; packet handlers return it with `?` and
/// `handle_packet` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Discard {
    State,
    Undecryptable,
    Malformed,
    Unauthentic,
    Unmatched,
    Unsupported,
}

impl From<WireError> for Discard {
    fn from(_: WireError) -> Self {
        Discard::Malformed
    }
}
