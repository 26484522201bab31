//! The sending side on a link: starting a resource, answering part requests,
//! taking proofs and the receiver's cancels, and the senders' timers.

use rns_crypto::CryptoRngCore;
use rns_wire::packet::Packet;
use rns_wire::resource::{ResourceProof, ResourceRequest, decode_cancel};

use super::super::event::Discard;
use super::super::{Link, LinkAction, LinkError, LinkEvent};
use crate::resource::{
    MAX_OUTGOING_RESOURCES, Outgoing, Payload, ResourceError, ResourceHash, ResourceStatus,
    SenderStep,
};

impl Link {
    /// Prepares and advertises a resource carrying `stream`.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::link) fn start_outgoing(
        &mut self,
        now: f64,
        stream: Vec<u8>,
        has_metadata: bool,
        compress: bool,
        payload: Payload,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<ResourceHash, LinkError> {
        self.require_usable()?;
        if self.resources.outgoing.len() >= MAX_OUTGOING_RESOURCES {
            return Err(ResourceError::TooManyResources(MAX_OUTGOING_RESOURCES).into());
        }
        let token = self
            .token
            .as_ref()
            .ok_or(LinkError::NotActive(self.state))?;
        let params = self.resource_params();
        let mut emits = Vec::new();
        let outgoing = Outgoing::start(
            now,
            stream,
            has_metadata,
            compress,
            payload,
            &params,
            token,
            rng,
            &mut emits,
        )?;
        let hash = outgoing.original_hash();
        self.resources.outgoing.push(outgoing);
        self.emit(now, emits, out, rng);
        Ok(hash)
    }

    fn outgoing_index(&self, hash: &ResourceHash) -> Option<usize> {
        self.resources
            .outgoing
            .iter()
            .position(|o| o.hash() == *hash)
    }

    /// RESOURCE_REQ: send the parts asked for (and more hashmap if needed).
    pub(super) fn on_resource_request(
        &mut self,
        now: f64,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let request = ResourceRequest::decode(plaintext)?;
        let i = self
            .outgoing_index(&request.resource_hash)
            .ok_or(Discard::Unmatched)?;
        let params = self.resource_params();
        let mut emits = Vec::new();
        let outgoing = &mut self.resources.outgoing[i];
        let report = outgoing.on_request(now, &request, &params, &mut emits);
        let (hash, payload) = (outgoing.original_hash(), outgoing.payload());
        let (done, total) = outgoing.progress();
        self.emit(now, emits, out, rng);
        if report && payload == Payload::Plain {
            self.event(
                out,
                LinkEvent::ResourceProgress {
                    link_id: self.id,
                    hash,
                    done,
                    total,
                    incoming: false,
                },
            );
        }
        Ok(())
    }

    /// PROOF with context RESOURCE_PRF for a segment we sent.
    pub(in crate::link) fn on_resource_proof(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        self.require_usable().map_err(|_| Discard::State)?;
        let proof = ResourceProof::decode(&packet.data)?;
        let i = self
            .outgoing_index(&proof.resource_hash)
            .ok_or(Discard::Unmatched)?;
        let params = self.resource_params();
        let token = self.token.as_ref().ok_or(Discard::State)?;
        let mut emits = Vec::new();
        let step = self.resources.outgoing[i]
            .on_proof(now, &proof, &params, token, rng, &mut emits)
            .map_err(|_| Discard::Unauthentic)?;
        self.note_inbound(now);
        self.emit(now, emits, out, rng);
        let status = match step {
            SenderStep::NextSegment => return Ok(()),
            SenderStep::Complete => ResourceStatus::Complete,
            SenderStep::Failed => ResourceStatus::Failed(crate::resource::FailReason::Timeout),
        };
        let outgoing = self.resources.outgoing.swap_remove(i);
        self.outgoing_concluded(now, &outgoing, status, out);
        Ok(())
    }

    /// RESOURCE_RCL: the receiver refused or gave up on one of ours.
    pub(super) fn on_receiver_cancel(
        &mut self,
        now: f64,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let hash = decode_cancel(plaintext)?;
        let i = self.outgoing_index(&hash).ok_or(Discard::Unmatched)?;
        let outgoing = self.resources.outgoing.swap_remove(i);
        let status = outgoing.rejected_on_cancel();
        self.outgoing_concluded(now, &outgoing, status, out);
        Ok(())
    }

    pub(super) fn outgoing_timeouts(
        &mut self,
        now: f64,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        let params = self.resource_params();
        let mut emits = Vec::new();
        let mut failed = Vec::new();
        let mut i = 0;
        while i < self.resources.outgoing.len() {
            match self.resources.outgoing[i].on_timeout(now, &params, &mut emits) {
                Some(status) => {
                    // Tell the receiver, in case it is still waiting.
                    let outgoing = self.resources.outgoing.swap_remove(i);
                    outgoing.cancel(&mut emits);
                    failed.push((outgoing, status));
                }
                None => i += 1,
            }
        }
        self.emit(now, emits, out, rng);
        for (outgoing, status) in failed {
            self.outgoing_concluded(now, &outgoing, status, out);
        }
    }
}
