//! Configuration of a node and of its interfaces, and the caps that bound every
//! table and queue the node keeps.

use rns_crypto::{IfacKey, PrivateIdentity};

/// The driver's name for one attached interface. The node never interprets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InterfaceId(pub u32);

/// How an interface takes part in path finding (the reference's interface modes).
///
/// The mode sets the lifetime of paths learned through the interface, which
/// announces are rebroadcast onto it, and whether unknown path requests arriving
/// on it are forwarded for discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterfaceMode {
    Full,
    PointToPoint,
    /// Paths learned here live 1 day; announces from elsewhere are not sent here.
    AccessPoint,
    /// Paths learned here live 6 hours; path answers wait an extra 1.5 s.
    Roaming,
    Boundary,
    Gateway,
}

impl InterfaceMode {
    /// Whether a transport node forwards path requests for unknown destinations
    /// that arrive on an interface of this mode.
    pub(crate) fn discovers_paths(self) -> bool {
        matches!(self, Self::AccessPoint | Self::Gateway | Self::Roaming)
    }
}

/// One interface as the driver describes it to the node.
#[derive(Debug, Clone)]
pub struct InterfaceConfig {
    pub name: String,
    pub mode: InterfaceMode,
    /// The hardware MTU used for link MTU discovery; `None` when the interface
    /// does not take part (links over it use 500).
    pub hw_mtu: Option<u32>,
    /// Bits per second; 0 means unknown, which disables the announce cap.
    pub bitrate: u64,
    /// Fraction of `bitrate` that announces may use (the reference's 2 %).
    pub announce_cap: f64,
    /// The interface access code, when the interface is configured with one.
    pub ifac: Option<IfacKey>,
    /// Whether the node may send on this interface.
    pub outbound: bool,
    /// This interface leads to the shared instance we are a client of.
    pub is_local_shared_instance_client: bool,
    /// This interface leads to a local program that uses us as its shared instance.
    pub is_local_client_of_ours: bool,
}

impl InterfaceConfig {
    /// A full-mode, outbound interface without IFAC, MTU discovery or bitrate.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            mode: InterfaceMode::Full,
            hw_mtu: None,
            bitrate: 0,
            announce_cap: DEFAULT_ANNOUNCE_CAP,
            ifac: None,
            outbound: true,
            is_local_shared_instance_client: false,
            is_local_client_of_ours: false,
        }
    }
}

/// The reference's `ANNOUNCE_CAP`: announces may use 2 % of an interface's bitrate.
pub const DEFAULT_ANNOUNCE_CAP: f64 = 0.02;

/// What the node is and how it behaves.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Forward packets and rebroadcast announces for others (a transport node).
    pub transport_enabled: bool,
    /// The transport identity: its hash is our transport id in HEADER_2 packets.
    pub identity: PrivateIdentity,
    /// Prove packets with the signature only (the 1.5.7 default) rather than
    /// packet hash and signature.
    pub use_implicit_proof: bool,
    pub limits: Limits,
}

impl NodeConfig {
    /// An endpoint (transport disabled) with implicit proofs and default limits.
    pub fn new(identity: PrivateIdentity) -> Self {
        Self {
            transport_enabled: false,
            identity,
            use_implicit_proof: true,
            limits: Limits::default(),
        }
    }
}

/// Caps on every table and queue. When a table is full the documented victim is
/// evicted; when a queue is full the new item is dropped and counted. Nothing the
/// network sends can grow the node's memory past these.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Path table entries. Paths that carried our traffic are evicted last.
    pub max_paths: usize,
    /// Remembered identities (known destinations); least recently used out first.
    pub max_known_destinations: usize,
    /// Packet hashes kept for duplicate suppression (two generations of half).
    pub max_packet_hashes: usize,
    /// Announces waiting for rebroadcast (transport mode); oldest out first.
    pub max_announce_table: usize,
    /// Announces queued per interface by the bandwidth cap (`MAX_QUEUED_ANNOUNCES`).
    pub max_queued_announces: usize,
    /// Reverse-table entries (transport mode); oldest out first.
    pub max_reverse_entries: usize,
    /// Link-table entries (transport mode); oldest out first.
    pub max_link_table: usize,
    /// Local links (ours, either end); new ones are refused when full.
    pub max_links: usize,
    /// Outstanding receipts; the oldest times out early when full.
    pub max_receipts: usize,
    /// Path request tags remembered for duplicate detection.
    pub max_path_request_tags: usize,
    /// Path answers waiting for their grace time, and discovery requests.
    pub max_pending_path_requests: usize,
    /// Transmits waiting for the driver; new ones are dropped when full.
    pub max_transmit_queue: usize,
    /// Events waiting for the application; new ones are dropped when full.
    pub max_event_queue: usize,
    /// Announces for destinations we do not know yet, per interface per second,
    /// before any signature is checked (`None`: no limit).
    pub new_announce_rate: Option<f64>,
    /// How many such announces may arrive at once before the rate applies.
    pub new_announce_burst: f64,
    /// Announces waiting for a signature check under deferred verification;
    /// more are dropped (a driver holds packets back before that happens).
    pub max_pending_verifications: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_paths: 16_384,
            max_known_destinations: 16_384,
            max_packet_hashes: 200_000,
            max_announce_table: 4_096,
            max_queued_announces: 4_096,
            max_reverse_entries: 16_384,
            max_link_table: 16_384,
            max_links: 1_024,
            max_receipts: 1_024,
            max_path_request_tags: 16_384,
            max_pending_path_requests: 1_024,
            max_transmit_queue: 16_384,
            max_event_queue: 16_384,
            new_announce_rate: Some(16.0),
            new_announce_burst: 64.0,
            max_pending_verifications: 1_024,
        }
    }
}
