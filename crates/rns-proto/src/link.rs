//! The per-link state machine: handshake, encryption, keepalives, delivery proofs,
//! requests and teardown of one Reticulum link, without I/O.
//!
//! The owner (the node) feeds a [`Link`] every packet addressed to its link id
//! through [`Link::handle_packet`], calls [`Link::handle_timeout`] once
//! [`Link::next_deadline`] has passed, and passes application calls (`send`,
//! `request`, `close`, ...) straight in. Whatever the link wants done is appended
//! to an `out` vector as [`LinkAction`]s: packets to transmit and events for the
//! application. Time comes in as `now` (seconds since the UNIX epoch) and
//! randomness (ephemeral keys, IVs) as `&mut dyn CryptoRngCore`.
//!
//! Nothing from the network makes a link panic or misbehave: packets that do not
//! decode, authenticate or fit the current state are dropped and counted in
//! [`Link::stats`].
//!
//! Where the reference leaves room, this link chooses:
//! - the initiator proves nothing by default (as the reference's initiator, whose
//!   OUT destination is PROVE_NONE); [`Link::set_proof_strategy`] changes that;
//! - on the responder, any packet that decrypts under the link key completes the
//!   handshake like the LRRTT would, so a lost LRRTT does not doom the link;
//! - only authenticated traffic (and keepalives) refreshes a link's activity;
//! - receipts that time out, are evicted (past [`MAX_RECEIPTS`]) or are cut off
//!   by a close are reported as [`LinkEvent::DeliveryFailed`];
//! - resources (and requests or responses too large for a packet) follow the
//!   choices documented in [`crate::resource`]; a link accepts every
//!   advertised resource by default ([`Link::set_resource_policy`]).
//!
//! Channel messages and buffer streams (context CHANNEL) are in `channel`
//! here and [`crate::channel`]; CHANNEL packets are proved whatever the proof
//! strategy.

mod channel;
mod delivery;
mod event;
mod handshake;
mod keepalive;
mod request;
mod resources;

use rns_crypto::{CryptoRngCore, DestinationHash, PrivateIdentity, PublicIdentity, Token};
use rns_wire::constants::{MTU, link_mdu};
use rns_wire::link::{LinkMode, check_close, encode_close, link_packet};
use rns_wire::packet::{Context, Packet, PacketType};

pub use delivery::{MAX_RECEIPTS, MIN_RECEIPT_TIMEOUT};
pub use event::{
    LinkAction, LinkError, LinkEvent, LinkState, LinkStats, ProofStrategy, RequestFailure,
    TeardownReason,
};
pub use keepalive::keepalive_interval;
pub use request::MAX_PENDING_REQUESTS;
pub use rns_crypto::PacketHash;
pub use rns_wire::link::LinkId;
pub use rns_wire::request::{PathHash, RequestId};

use delivery::Receipts;
use event::Discard;
use keepalive::Timers;
use request::PendingRequests;
use resources::Resources;

use crate::channel::Channel;

/// One link, from either end.
#[derive(Debug)]
pub struct Link {
    id: LinkId,
    /// The SINGLE destination the link was requested to.
    destination: DestinationHash,
    initiator: bool,
    state: LinkState,
    mode: LinkMode,
    mtu: u32,
    /// Signs our delivery proofs: the initiator's ephemeral Ed25519 key, or the
    /// destination identity on the responder (as the reference signs).
    signer: PrivateIdentity,
    /// Verifies the peer's proofs: the destination identity (initiator side) or
    /// the initiator's ephemeral key (responder side).
    peer_signer: PublicIdentity,
    /// The link key; `None` until the handshake yields it and after close.
    token: Option<Token>,
    proof_strategy: ProofStrategy,
    remote_identity: Option<PublicIdentity>,
    teardown_reason: Option<TeardownReason>,
    timers: Timers,
    receipts: Receipts,
    requests: PendingRequests,
    resources: Resources,
    /// Channel messages and buffer streams (context CHANNEL).
    channel: Channel,
    stats: LinkStats,
}

impl Link {
    /// The parts every new link shares; the handshake constructors fill in the rest.
    fn base(
        now: f64,
        id: LinkId,
        destination: DestinationHash,
        signer: PrivateIdentity,
        peer_signer: PublicIdentity,
    ) -> Link {
        Link {
            id,
            destination,
            initiator: true,
            state: LinkState::Pending,
            mode: LinkMode::DEFAULT,
            mtu: MTU as u32,
            signer,
            peer_signer,
            token: None,
            proof_strategy: ProofStrategy::None,
            remote_identity: None,
            teardown_reason: None,
            timers: Timers::new(now),
            receipts: Receipts::default(),
            requests: PendingRequests::default(),
            resources: Resources::default(),
            channel: Channel::default(),
            stats: LinkStats::default(),
        }
    }

    pub fn id(&self) -> LinkId {
        self.id
    }

    pub fn state(&self) -> LinkState {
        self.state
    }

    pub fn is_initiator(&self) -> bool {
        self.initiator
    }

    pub fn destination(&self) -> DestinationHash {
        self.destination
    }

    /// The round-trip time measured during the handshake, once known.
    pub fn rtt(&self) -> Option<f64> {
        self.timers.rtt
    }

    /// The negotiated link MTU (500 unless both ends and the path allow more).
    pub fn mtu(&self) -> u32 {
        self.mtu
    }

    /// The largest plaintext one link packet carries at this MTU.
    pub fn mdu(&self) -> usize {
        link_mdu(self.mtu as usize)
    }

    /// The identity the initiator revealed with LINKIDENTIFY (responder side).
    pub fn remote_identity(&self) -> Option<&PublicIdentity> {
        self.remote_identity.as_ref()
    }

    /// Why the link closed, once it has.
    pub fn teardown_reason(&self) -> Option<TeardownReason> {
        self.teardown_reason
    }

    pub fn proof_strategy(&self) -> ProofStrategy {
        self.proof_strategy
    }

    /// Changes which received DATA packets are proved. The initiator starts with
    /// `None`, as the reference's initiator does; the responder with the strategy
    /// given to [`accept`](Self::accept).
    pub fn set_proof_strategy(&mut self, strategy: ProofStrategy) {
        self.proof_strategy = strategy;
    }

    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Every packet addressed to this link id: link DATA, the LRPROOF (initiator),
    /// and proofs of packets we sent.
    pub fn handle_packet(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        self.stats.packets_in = self.stats.packets_in.saturating_add(1);
        let handled = if packet.destination != self.id {
            Err(Discard::Malformed)
        } else if self.state == LinkState::Closed {
            Err(Discard::State)
        } else {
            match packet.packet_type {
                PacketType::Data => self.on_data(now, packet, out, rng),
                PacketType::Proof => self.on_proof(now, packet, out, rng),
                PacketType::Announce | PacketType::LinkRequest => Err(Discard::Malformed),
            }
        };
        if let Err(discard) = handled {
            self.stats.count(discard);
        }
    }

    fn on_proof(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        match packet.context {
            Context::LRPROOF => self.on_link_proof(now, packet, out, rng),
            Context::NONE => match self.on_channel_proof(now, packet, out, rng) {
                Some(handled) => handled,
                None => self.on_delivery_proof(now, packet, out),
            },
            Context::RESOURCE_PRF => self.on_resource_proof(now, packet, out, rng),
            _ => Err(Discard::Unsupported),
        }
    }

    fn on_data(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        match packet.context {
            Context::KEEPALIVE => return self.on_keepalive(now, packet, out),
            Context::LRRTT => return self.on_rtt(now, packet, out),
            Context::LINKCLOSE => return self.on_close(now, packet, out),
            Context::RESOURCE => return self.on_resource_part(now, packet, out, rng),
            Context::NONE
            | Context::REQUEST
            | Context::RESPONSE
            | Context::LINKIDENTIFY
            | Context::CHANNEL
            | Context::RESOURCE_ADV
            | Context::RESOURCE_REQ
            | Context::RESOURCE_HMU
            | Context::RESOURCE_ICL
            | Context::RESOURCE_RCL => {}
            _ => return Err(Discard::Unsupported),
        }
        let plaintext = self.open(&packet.data)?;
        self.authenticated_inbound(now, out);
        match packet.context {
            Context::NONE => self.on_plain_data(now, packet, plaintext, out),
            Context::REQUEST => self.on_request(packet, &plaintext, out),
            Context::RESPONSE => self.on_response(&plaintext, out),
            Context::LINKIDENTIFY => self.on_identify(&plaintext, out),
            Context::CHANNEL => self.on_channel(now, packet, &plaintext, out),
            context => self.on_resource_control(now, context, &plaintext, out, rng),
        }
    }

    /// Bookkeeping for a packet that decrypted under the link key. On the
    /// responder, such a packet can only come from an initiator that verified our
    /// proof, so it completes the handshake just as the LRRTT would: a lost LRRTT
    /// then costs nothing (the reference would let the link time out).
    fn authenticated_inbound(&mut self, now: f64, out: &mut Vec<LinkAction>) {
        if self.state == LinkState::Handshake {
            let measured = now - self.timers.request_time;
            self.activate(now, measured, out);
        }
        self.note_inbound(now);
    }

    /// LINKCLOSE: closes only if the plaintext is our link id.
    fn on_close(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let plaintext = self.open(&packet.data)?;
        check_close(&plaintext, &self.id)?;
        let reason = if self.initiator {
            TeardownReason::DestinationClosed
        } else {
            TeardownReason::InitiatorClosed
        };
        self.teardown(now, reason, None, out);
        Ok(())
    }

    /// Closes the link: sends LINKCLOSE if the handshake got far enough to have
    /// a key, fails whatever is outstanding and reports `Closed`. The reason is
    /// named after whoever closed (as the reference does on both ends).
    pub fn close(&mut self, now: f64, out: &mut Vec<LinkAction>, rng: &mut dyn CryptoRngCore) {
        if self.state == LinkState::Closed {
            return;
        }
        let reason = if self.initiator {
            TeardownReason::InitiatorClosed
        } else {
            TeardownReason::DestinationClosed
        };
        self.teardown(now, reason, Some(rng), out);
    }

    /// Moves to Closed. With `rng`, a LINKCLOSE goes out first (when there is a
    /// key to seal it with); pending requests and receipts fail before `Closed`
    /// is reported, so `Closed` is the link's last event.
    fn teardown(
        &mut self,
        now: f64,
        reason: TeardownReason,
        rng: Option<&mut dyn CryptoRngCore>,
        out: &mut Vec<LinkAction>,
    ) {
        if let Some(rng) = rng
            && let Ok(packet) = self.seal(Context::LINKCLOSE, &encode_close(&self.id), rng)
        {
            self.transmit(now, packet, out);
        }
        self.state = LinkState::Closed;
        self.teardown_reason = Some(reason);
        // The key has no further use; dropping it wipes it.
        self.token = None;
        self.fail_resources(out);
        self.fail_requests(out);
        self.fail_receipts(out);
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::Closed { link_id, reason }));
    }

    /// A link packet with `plaintext` encrypted under the link key.
    fn seal(
        &self,
        context: Context,
        plaintext: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Packet, LinkError> {
        let token = self
            .token
            .as_ref()
            .ok_or(LinkError::NotActive(self.state))?;
        Ok(link_packet(self.id, context, token.encrypt(plaintext, rng)))
    }

    /// The plaintext of an encrypted link payload.
    fn open(&self, payload: &[u8]) -> Result<Vec<u8>, Discard> {
        let token = self.token.as_ref().ok_or(Discard::State)?;
        token.decrypt(payload).map_err(|_| Discard::Undecryptable)
    }

    /// Hands a packet to the owner, noting the time for the keepalive rules.
    fn transmit(&mut self, now: f64, packet: Packet, out: &mut Vec<LinkAction>) {
        self.timers.last_outbound = now;
        self.stats.packets_out = self.stats.packets_out.saturating_add(1);
        out.push(LinkAction::Send(packet));
    }

    /// Application traffic needs an established link (Stale still counts: it may
    /// yet recover).
    fn require_usable(&self) -> Result<(), LinkError> {
        match self.state {
            LinkState::Active | LinkState::Stale => Ok(()),
            state => Err(LinkError::NotActive(state)),
        }
    }

    fn require_fits(&self, size: usize) -> Result<(), LinkError> {
        let mdu = self.mdu();
        if size > mdu {
            return Err(LinkError::TooLarge { size, mdu });
        }
        Ok(())
    }
}
