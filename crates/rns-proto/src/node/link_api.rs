//! Placeholder for the link types until `crate::link` lands; the node re-exports
//! these names so callers can import them from `rns_proto::node` either way.

use rns_crypto::DestinationHash;

/// A link is addressed by its link id.
pub type LinkId = rns_wire::link::LinkId;

/// Identifies a request on a link (the truncated hash of the request packet).
pub type RequestId = DestinationHash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofStrategy {
    None,
    App,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    Pending,
    Handshake,
    Active,
    Stale,
    Closed,
}

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LinkEvent {
    Established { link_id: LinkId },
    Closed { link_id: LinkId },
}
