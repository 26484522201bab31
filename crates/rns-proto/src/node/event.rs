//! What the node hands to its driver and application: transmits, events, and
//! the error type of its calls.

use rns_crypto::{DestinationHash, IdentityHash, NameHash, PacketHash, PublicIdentity};

use super::config::InterfaceId;
use super::link_api::LinkEvent;

/// One packet for the driver to frame and write. `raw` is already IFAC-masked
/// when the interface has an access code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub interface: InterfaceId,
    pub raw: Vec<u8>,
}

/// Names a delivery receipt: the full hash of the packet it waits a proof for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptId(pub PacketHash);

/// Something the application should know about.
// Events are moved once from the queue to the application; boxing the announce
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A valid announce that updated the path table (replays and worse paths to
    /// a destination do not raise it again).
    AnnounceReceived {
        destination: DestinationHash,
        identity: PublicIdentity,
        name_hash: NameHash,
        app_data: Option<Vec<u8>>,
        hops: u8,
        interface: InterfaceId,
        ratchet: Option<[u8; 32]>,
        is_path_response: bool,
    },
    /// The path table now has a path to `destination`.
    PathFound {
        destination: DestinationHash,
        hops: u8,
    },
    /// A packet for one of our destinations, decrypted.
    PacketReceived {
        destination: DestinationHash,
        data: Vec<u8>,
        packet_hash: PacketHash,
        interface: InterfaceId,
    },
    /// The proof for a packet we sent arrived and verified.
    ReceiptDelivered { receipt: ReceiptId, rtt: f64 },
    /// No proof arrived in time (or the receipt table overflowed).
    ReceiptTimedOut { receipt: ReceiptId },
    /// A destination's ratchets rotated at announce time: persist them.
    RatchetsRotated { destination: DestinationHash },
    /// An event of one of our links.
    Link(LinkEvent),
}

/// One row of the path table, for status tools.
#[derive(Debug, Clone, PartialEq)]
pub struct PathEntryView {
    pub destination: DestinationHash,
    /// The transport node to send through (the destination itself when direct).
    pub next_hop: IdentityHash,
    pub hops: u8,
    pub interface: InterfaceId,
    /// When the path was learned or last refreshed.
    pub timestamp: f64,
    pub expires: f64,
}

/// Why a node call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error("destination {0} is not registered here")]
    UnknownDestination(DestinationHash),
    #[error("destination {0} is already registered")]
    AlreadyRegistered(DestinationHash),
    #[error("no identity is known for destination {0}")]
    UnknownIdentity(DestinationHash),
    #[error("destination {0} cannot do this (wrong kind)")]
    WrongKind(DestinationHash),
    #[error("invalid destination name: {0}")]
    InvalidName(#[from] rns_crypto::destination::NameError),
    #[error("payload of {got} bytes exceeds the limit of {max}")]
    TooLarge { max: usize, got: usize },
    #[error("the {0} table is full")]
    TableFull(&'static str),
    #[error("no link {0}")]
    UnknownLink(DestinationHash),
    #[error("link error: {0}")]
    Link(#[from] super::link_api::LinkError),
    #[error("encryption failed: {0}")]
    Crypto(#[from] rns_crypto::CryptoError),
}
