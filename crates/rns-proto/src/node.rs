//! The transport node: one sans-IO state machine per Reticulum instance.
//!
//! It takes deframed packets (`handle_inbound`), the passage of time
//! (`handle_timeout`) and application calls, and produces transmits
//! (`poll_transmit`), events (`poll_event`) and its next deadline. It keeps the
//! path table, duplicate suppression, announce handling, path requests,
//! outbound routing, receipts and proofs, forwarding in transport mode, and the
//! table of our links (each driven through `crate::link`).

// The skeleton: internals are filled in behind this public API.
#![allow(dead_code)]

mod config;
mod destinations;
mod event;
mod link_api;
mod stats;

use rns_crypto::{CryptoRngCore, DestinationHash, PacketHash, PrivateIdentity, PublicIdentity};
use rns_msgpack::Value;

pub use config::{
    DEFAULT_ANNOUNCE_CAP, InterfaceConfig, InterfaceId, InterfaceMode, Limits, NodeConfig,
};
pub use destinations::{DestinationSpec, SingleSpec, SpecKind};
pub use event::{Event, NodeError, PathEntryView, ReceiptId, Transmit};
pub use link_api::{LinkEvent, LinkId, LinkState, ProofStrategy, RequestId};
pub use stats::{DropReason, InterfaceStats, NodeStats};

/// A Reticulum transport node (sans-IO). See the module docs.
pub struct Node {
    config: NodeConfig,
    rng: Box<dyn CryptoRngCore + Send>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("transport_id", &self.config.identity.hash())
            .field("transport_enabled", &self.config.transport_enabled)
            .finish_non_exhaustive()
    }
}

#[allow(unused_variables, clippy::unused_self)]
impl Node {
    pub fn new(config: NodeConfig, rng: Box<dyn CryptoRngCore + Send>) -> Node {
        Node { config, rng }
    }

    pub fn transport_identity(&self) -> &PrivateIdentity {
        &self.config.identity
    }

    pub fn add_interface(&mut self, id: InterfaceId, config: InterfaceConfig) {}

    pub fn remove_interface(&mut self, id: InterfaceId) {}

    pub fn handle_inbound(&mut self, now: f64, interface: InterfaceId, raw: &[u8]) {}

    pub fn handle_timeout(&mut self, now: f64) {}

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        None
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        None
    }

    pub fn next_deadline(&self) -> Option<f64> {
        None
    }

    pub fn register_destination(
        &mut self,
        spec: DestinationSpec,
    ) -> Result<DestinationHash, NodeError> {
        Err(NodeError::TableFull("destination"))
    }

    pub fn deregister_destination(&mut self, destination: &DestinationHash) {}

    pub fn announce(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        app_data: Option<&[u8]>,
    ) -> Result<(), NodeError> {
        Err(NodeError::UnknownDestination(*destination))
    }

    pub fn recall_identity(&self, destination: &DestinationHash) -> Option<&PublicIdentity> {
        None
    }

    pub fn remember_identity(
        &mut self,
        destination: DestinationHash,
        identity: PublicIdentity,
        app_data: Option<Vec<u8>>,
    ) {
    }

    pub fn has_path(&self, destination: &DestinationHash) -> bool {
        false
    }

    pub fn hops_to(&self, destination: &DestinationHash) -> Option<u8> {
        None
    }

    pub fn request_path(&mut self, now: f64, destination: &DestinationHash) {}

    pub fn path_table(&self) -> impl Iterator<Item = PathEntryView> + '_ {
        std::iter::empty()
    }

    pub fn drop_path(&mut self, destination: &DestinationHash) -> bool {
        false
    }

    pub fn send_packet(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        data: &[u8],
    ) -> Result<ReceiptId, NodeError> {
        Err(NodeError::UnknownIdentity(*destination))
    }

    pub fn prove_packet(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        packet_hash: &PacketHash,
        interface: InterfaceId,
    ) -> Result<(), NodeError> {
        Err(NodeError::UnknownDestination(*destination))
    }

    pub fn open_link(
        &mut self,
        now: f64,
        destination: &DestinationHash,
    ) -> Result<LinkId, NodeError> {
        Err(NodeError::UnknownIdentity(*destination))
    }

    pub fn link_send(
        &mut self,
        now: f64,
        link: &LinkId,
        data: &[u8],
    ) -> Result<PacketHash, NodeError> {
        Err(NodeError::UnknownLink(*link))
    }

    pub fn link_identify(
        &mut self,
        now: f64,
        link: &LinkId,
        identity: &PrivateIdentity,
    ) -> Result<(), NodeError> {
        Err(NodeError::UnknownLink(*link))
    }

    pub fn link_request(
        &mut self,
        now: f64,
        link: &LinkId,
        path: &str,
        data: Value,
        timeout: Option<f64>,
    ) -> Result<RequestId, NodeError> {
        Err(NodeError::UnknownLink(*link))
    }

    pub fn link_respond(
        &mut self,
        now: f64,
        link: &LinkId,
        request_id: RequestId,
        response: Value,
    ) -> Result<(), NodeError> {
        Err(NodeError::UnknownLink(*link))
    }

    pub fn close_link(&mut self, now: f64, link: &LinkId) -> Result<(), NodeError> {
        Err(NodeError::UnknownLink(*link))
    }

    pub fn link_state(&self, link: &LinkId) -> Option<LinkState> {
        None
    }

    pub fn stats(&self) -> NodeStats {
        NodeStats::default()
    }
}
