//! The link's resources: the table of outgoing and incoming transfers, the
//! application calls (`send_resource`, `cancel_resource`, accept or reject),
//! and the glue that turns what the resource state machines emit into packets
//! and events. The state machines themselves are in [`crate::resource`].

mod decisions;
mod incoming;
mod outgoing;

use std::collections::VecDeque;

use rns_crypto::CryptoRngCore;
use rns_msgpack::Value;
use rns_wire::link::link_packet;
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use rns_wire::resource::{Advertisement, ResourceHash, prepend_metadata};

use super::event::Discard;
use super::{Link, LinkAction, LinkError, LinkEvent, RequestFailure};
use crate::resource::{
    Emit, FailReason, LinkParams, MAX_HELD_RESOURCE_PROOFS, Outgoing, Payload, ResourceError,
    ResourcePolicy, ResourceStatus, Transfer, Window, part_size,
};

/// The rtt assumed before the handshake measured one.
const DEFAULT_RTT: f64 = 0.5;
/// Hashes of resources recently received, whose repeated advertisements are
/// ignored rather than taken as new transfers.
const RECENT_HASHES: usize = 16;

/// An advertisement waiting for the application's decision (strategy App).
#[derive(Debug)]
struct Pending {
    advertisement: Advertisement,
    deadline: f64,
}

/// One link's resources, both directions.
#[derive(Debug, Default)]
pub(super) struct Resources {
    policy: ResourcePolicy,
    outgoing: Vec<Outgoing>,
    incoming: Vec<Transfer>,
    pending: Vec<Pending>,
    /// The window the next incoming resource starts with.
    last_window: Window,
    recent: VecDeque<ResourceHash>,
    /// Proofs of received resources waiting for the application
    /// (`ResourceProving::App`), oldest first: (original hash, proof).
    held_proofs: VecDeque<(ResourceHash, Vec<u8>)>,
}

impl Resources {
    pub(super) fn next_deadline(&self) -> Option<f64> {
        let outgoing = self.outgoing.iter().map(Outgoing::deadline);
        let incoming = self.incoming.iter().map(Transfer::deadline);
        let pending = self.pending.iter().map(|p| p.deadline);
        outgoing.chain(incoming).chain(pending).reduce(f64::min)
    }

    fn remember(&mut self, hash: ResourceHash) {
        if self.recent.len() >= RECENT_HASHES {
            self.recent.pop_front();
        }
        self.recent.push_back(hash);
    }

    /// Keeps a proof for `prove_resource`; past the cap the oldest is
    /// forgotten (never sent: its data may not have been kept).
    fn hold_proof(&mut self, hash: ResourceHash, proof: Vec<u8>) {
        if self.held_proofs.len() >= MAX_HELD_RESOURCE_PROOFS {
            self.held_proofs.pop_front();
        }
        self.held_proofs.push_back((hash, proof));
    }
}

impl Link {
    /// What this link accepts from the peer, and how much.
    pub fn resource_policy(&self) -> ResourcePolicy {
        self.resources.policy
    }

    pub fn set_resource_policy(&mut self, policy: ResourcePolicy) {
        self.resources.policy = policy;
    }

    /// Outgoing and incoming resources in progress (advertisements awaiting
    /// the application included).
    pub fn resources_in_progress(&self) -> (usize, usize) {
        let r = &self.resources;
        (r.outgoing.len(), r.incoming.len() + r.pending.len())
    }

    /// Bytes done of the total of the resource `hash`, either direction.
    pub fn resource_progress(&self, hash: &ResourceHash) -> Option<(u64, u64)> {
        let r = &self.resources;
        let out = r.outgoing.iter().find(|o| o.original_hash() == *hash);
        let inc = r.incoming.iter().find(|t| t.original_hash() == *hash);
        out.map(Outgoing::progress)
            .or_else(|| inc.map(Transfer::progress))
    }

    /// Sends `data` as a resource, with optional `metadata` (any msgpack
    /// value) and bz2 compression when that makes it smaller. Returns the hash
    /// every later event names it by.
    pub fn send_resource(
        &mut self,
        now: f64,
        data: Vec<u8>,
        metadata: Option<Value>,
        compress: bool,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<ResourceHash, LinkError> {
        self.require_usable()?;
        let (stream, has_metadata) = match metadata {
            Some(meta) => (
                prepend_metadata(&meta, &data).map_err(|_| ResourceError::MetadataTooLarge)?,
                true,
            ),
            None => (data, false),
        };
        let max = self.resources.policy.limits.max_outgoing_size;
        if stream.len() as u64 > max {
            let size = stream.len() as u64;
            return Err(ResourceError::TooLarge { size, max }.into());
        }
        self.start_outgoing(
            now,
            stream,
            has_metadata,
            compress,
            Payload::Plain,
            out,
            rng,
        )
    }

    /// Sends the proof of a received resource that was held for the
    /// application (`ResourceProving::App`): the sender then concludes it
    /// complete.
    pub fn prove_resource(
        &mut self,
        now: f64,
        hash: &ResourceHash,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        let held = &mut self.resources.held_proofs;
        let (_, proof) = held
            .iter()
            .position(|(h, _)| h == hash)
            .and_then(|i| held.remove(i))
            .ok_or(ResourceError::NoHeldProof(*hash))?;
        self.emit(now, vec![Emit::Proof(proof)], out, rng);
        Ok(())
    }

    /// Cancels a resource in either direction: the peer is told (ICL as the
    /// sender, RCL as the receiver) and `ResourceConcluded` reports it.
    pub fn cancel_resource(
        &mut self,
        now: f64,
        hash: &ResourceHash,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        let cancelled = ResourceStatus::Cancelled { by_peer: false };
        let mut emits = Vec::new();
        if let Some(i) = self
            .resources
            .outgoing
            .iter()
            .position(|o| o.original_hash() == *hash)
        {
            let outgoing = self.resources.outgoing.swap_remove(i);
            outgoing.cancel(&mut emits);
            self.emit(now, emits, out, rng);
            self.outgoing_concluded(now, &outgoing, cancelled, out);
            return Ok(());
        }
        if let Some(i) = self
            .resources
            .incoming
            .iter()
            .position(|t| t.original_hash() == *hash)
        {
            let transfer = self.resources.incoming.swap_remove(i);
            if let Some(current) = transfer.current_hash() {
                crate::resource::Incoming::reject(&current, &mut emits);
            }
            self.emit(now, emits, out, rng);
            self.incoming_concluded(&transfer, cancelled, out);
            return Ok(());
        }
        let pending =
            |p: &Pending| p.advertisement.hash == *hash || p.advertisement.original_hash == *hash;
        if self.resources.pending.iter().any(pending) {
            return self.reject_resource(now, hash, out, rng);
        }
        Err(ResourceError::Unknown(*hash).into())
    }

    /// What the link tells its resources about itself.
    pub(super) fn resource_params(&self) -> LinkParams {
        LinkParams {
            sdu: part_size(self.mtu as usize),
            mdu: self.mdu(),
            rtt: self.timers.rtt.unwrap_or(DEFAULT_RTT),
        }
    }

    /// Sends what the resources asked for.
    pub(super) fn emit(
        &mut self,
        now: f64,
        emits: Vec<Emit>,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        for emit in emits {
            let packet = match emit {
                // Cannot fail while the link has its key; if it has none there
                // is nobody to tell.
                Emit::Sealed(context, payload) => match self.seal(context, &payload, rng) {
                    Ok(packet) => packet,
                    Err(_) => continue,
                },
                Emit::Part(part) => link_packet(self.id, Context::RESOURCE, part),
                Emit::Proof(proof) => Packet::new(
                    PacketType::Proof,
                    DestinationKind::Link,
                    self.id,
                    Context::RESOURCE_PRF,
                    proof,
                ),
            };
            self.transmit(now, packet, out);
        }
    }

    /// The encrypted resource contexts (ADV, REQ, HMU, ICL, RCL), decrypted.
    pub(super) fn on_resource_control(
        &mut self,
        now: f64,
        context: Context,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        match context {
            Context::RESOURCE_ADV => self.on_resource_advertisement(now, plaintext, out, rng),
            Context::RESOURCE_REQ => self.on_resource_request(now, plaintext, out, rng),
            Context::RESOURCE_HMU => self.on_hashmap_update(now, plaintext, out, rng),
            Context::RESOURCE_ICL => self.on_sender_cancel(plaintext, out),
            Context::RESOURCE_RCL => self.on_receiver_cancel(now, plaintext, out),
            _ => Err(Discard::Unsupported),
        }
    }

    /// Runs every resource's timers.
    pub(super) fn resource_timeouts(
        &mut self,
        now: f64,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        self.outgoing_timeouts(now, out, rng);
        self.incoming_timeouts(now, out, rng);
    }

    /// On close: every resource fails.
    pub(super) fn fail_resources(&mut self, out: &mut Vec<LinkAction>) {
        let closed = ResourceStatus::Failed(FailReason::LinkClosed);
        for outgoing in std::mem::take(&mut self.resources.outgoing) {
            self.outgoing_concluded(0.0, &outgoing, closed, out);
        }
        for transfer in std::mem::take(&mut self.resources.incoming) {
            self.incoming_concluded(&transfer, closed, out);
        }
        for pending in std::mem::take(&mut self.resources.pending) {
            self.event(
                out,
                LinkEvent::ResourceConcluded {
                    link_id: self.id,
                    hash: pending.advertisement.hash,
                    status: closed,
                    incoming: true,
                },
            );
        }
    }

    /// Reports how an outgoing resource ended (or settles its request).
    fn outgoing_concluded(
        &mut self,
        now: f64,
        outgoing: &Outgoing,
        status: ResourceStatus,
        out: &mut Vec<LinkAction>,
    ) {
        match (outgoing.payload(), status) {
            (Payload::Plain, _) => self.event(
                out,
                LinkEvent::ResourceConcluded {
                    link_id: self.id,
                    hash: outgoing.original_hash(),
                    status,
                    incoming: false,
                },
            ),
            (Payload::Request(id), ResourceStatus::Complete) => self.request_uploaded(now, id),
            (Payload::Request(id), ResourceStatus::Failed(FailReason::LinkClosed)) => {
                // `fail_requests` reports it as closed with the rest.
                let _ = id;
            }
            (Payload::Request(id), _) => {
                self.request_transfer_failed(id, RequestFailure::TransferFailed, out);
            }
            (Payload::Response(_), _) => {}
        }
    }

    /// Reports how an incoming resource ended, short of delivery.
    fn incoming_concluded(
        &mut self,
        transfer: &Transfer,
        status: ResourceStatus,
        out: &mut Vec<LinkAction>,
    ) {
        match (transfer.payload(), status) {
            (Payload::Plain, _) => self.event(
                out,
                LinkEvent::ResourceConcluded {
                    link_id: self.id,
                    hash: transfer.original_hash(),
                    status,
                    incoming: true,
                },
            ),
            (Payload::Response(_), ResourceStatus::Failed(FailReason::LinkClosed)) => {}
            (Payload::Response(id), ResourceStatus::Failed(FailReason::TooLarge)) => {
                self.request_transfer_failed(id, RequestFailure::TooLarge, out);
            }
            (Payload::Response(id), _) => {
                self.request_transfer_failed(id, RequestFailure::TransferFailed, out);
            }
            (Payload::Request(_), _) => {}
        }
    }

    fn event(&self, out: &mut Vec<LinkAction>, event: LinkEvent) {
        out.push(LinkAction::Event(event));
    }
}

#[cfg(test)]
mod tests;
