//! The receiving side on a link: advertisements (and the accept policy),
//! parts, hashmap updates, the sender's cancels, the receivers' timers, and
//! delivery to the application, or to the request/response machinery.

use rns_crypto::CryptoRngCore;
use rns_wire::packet::Packet;
use rns_wire::request::resource_request_id;
use rns_wire::resource::{Advertisement, HashmapUpdate, decode_cancel};

use super::super::event::Discard;
use super::super::{Link, LinkAction, LinkEvent, RequestFailure};
use super::Pending;
use crate::resource::{
    Delivered, Emit, FailReason, Incoming, MAX_INCOMING_RESOURCES, PartOutcome, Payload, Refusal,
    ResourceHash, ResourceProving, ResourceStatus, SegmentDone, Transfer,
};

impl Link {
    /// RESOURCE_ADV: a new resource, the next segment of one we assemble, or
    /// a repeat of one we already have.
    pub(super) fn on_resource_advertisement(
        &mut self,
        now: f64,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let adv = Advertisement::decode(plaintext)?;
        let r = &self.resources;
        let known = r.recent.contains(&adv.hash)
            || r.incoming
                .iter()
                .any(|t| t.current_hash() == Some(adv.hash))
            || r.pending.iter().any(|p| p.advertisement.hash == adv.hash);
        if known {
            return Ok(());
        }
        if let Some(i) = r.incoming.iter().position(|t| t.expects(&adv)) {
            return self.next_segment(now, i, &adv, out, rng);
        }
        if adv.segment_index != 1 {
            self.refuse(now, &adv.hash, out, rng);
            return Err(Discard::Unmatched);
        }
        if r.incoming.len() + r.pending.len() >= MAX_INCOMING_RESOURCES {
            self.refuse(now, &adv.hash, out, rng);
            if let Some(id) = adv.request_id.filter(|_| adv.flags.is_response()) {
                self.request_transfer_failed(id, RequestFailure::TransferFailed, out);
            }
            return Ok(());
        }
        if adv.flags.is_response() {
            let waited = adv.request_id.is_some_and(|id| self.response_incoming(id));
            if !waited {
                self.refuse(now, &adv.hash, out, rng);
                return Err(Discard::Unmatched);
            }
        }
        if adv.flags.is_request() || adv.flags.is_response() {
            return self.start_transfer(now, &adv, out, rng);
        }
        self.offer(now, adv, out, rng)
    }

    /// Starts receiving the first segment; refuses what is unsound or too large.
    pub(super) fn start_transfer(
        &mut self,
        now: f64,
        adv: &Advertisement,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let params = self.resource_params();
        let max = self.resources.policy.limits.max_incoming_size;
        let window = self.resources.last_window;
        let mut emits = Vec::new();
        match Transfer::start(now, adv, window, &params, max, &mut emits) {
            Ok(transfer) => {
                self.resources.incoming.push(transfer);
                self.emit(now, emits, out, rng);
                Ok(())
            }
            Err(refusal) => {
                self.refuse(now, &adv.hash, out, rng);
                self.refused(adv, refusal, out);
                match refusal {
                    Refusal::TooLarge => Ok(()),
                    Refusal::Inconsistent => Err(Discard::Malformed),
                }
            }
        }
    }

    /// Reports a refused first segment to whoever waits for it.
    fn refused(&mut self, adv: &Advertisement, refusal: Refusal, out: &mut Vec<LinkAction>) {
        let reason = match refusal {
            Refusal::TooLarge => FailReason::TooLarge,
            Refusal::Inconsistent => {
                return self.refused_response(adv, RequestFailure::TransferFailed, out);
            }
        };
        if adv.flags.is_response() {
            return self.refused_response(adv, RequestFailure::TooLarge, out);
        }
        if !adv.flags.is_request() {
            self.event(
                out,
                LinkEvent::ResourceConcluded {
                    link_id: self.id,
                    hash: adv.original_hash,
                    status: ResourceStatus::Failed(reason),
                    incoming: true,
                },
            );
        }
    }

    fn refused_response(
        &mut self,
        adv: &Advertisement,
        reason: RequestFailure,
        out: &mut Vec<LinkAction>,
    ) {
        if let Some(id) = adv.request_id.filter(|_| adv.flags.is_response()) {
            self.request_transfer_failed(id, reason, out);
        }
    }

    fn next_segment(
        &mut self,
        now: f64,
        i: usize,
        adv: &Advertisement,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let params = self.resource_params();
        let window = self.resources.last_window;
        let mut emits = Vec::new();
        let started =
            self.resources.incoming[i].next_segment(now, adv, window, &params, &mut emits);
        self.emit(now, emits, out, rng);
        if started.is_err() {
            self.refuse(now, &adv.hash, out, rng);
            let transfer = self.resources.incoming.swap_remove(i);
            self.incoming_concluded(&transfer, ResourceStatus::Corrupt, out);
            return Err(Discard::Malformed);
        }
        Ok(())
    }

    /// RESOURCE_RCL for a hash (our refusal or our cancel).
    pub(super) fn refuse(
        &mut self,
        now: f64,
        hash: &ResourceHash,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        let mut emits = Vec::new();
        Incoming::reject(hash, &mut emits);
        self.emit(now, emits, out, rng);
    }

    /// A RESOURCE part (not encrypted on its own: the whole stream is).
    pub(in crate::link) fn on_resource_part(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        self.require_usable().map_err(|_| Discard::State)?;
        let params = self.resource_params();
        let mut emits = Vec::new();
        for i in 0..self.resources.incoming.len() {
            let transfer = &mut self.resources.incoming[i];
            match transfer.on_part(now, &packet.data, &params, &mut emits) {
                PartOutcome::NotOurs => continue,
                PartOutcome::Stored(report) => {
                    let (hash, payload) = (transfer.original_hash(), transfer.payload());
                    let (done, total) = transfer.progress();
                    self.note_inbound(now);
                    self.emit(now, emits, out, rng);
                    if report && payload == Payload::Plain {
                        self.event(
                            out,
                            LinkEvent::ResourceProgress {
                                link_id: self.id,
                                hash,
                                done,
                                total,
                                incoming: true,
                            },
                        );
                    }
                }
                PartOutcome::Complete => {
                    self.note_inbound(now);
                    self.emit(now, emits, out, rng);
                    self.finish_segment(now, i, out, rng);
                }
            }
            return Ok(());
        }
        Err(Discard::Unmatched)
    }

    /// Verifies and proves a complete segment; delivers the resource after
    /// its last one.
    fn finish_segment(
        &mut self,
        now: f64,
        i: usize,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        let params = self.resource_params();
        let Some(token) = self.token.as_ref() else {
            return;
        };
        let transfer = &mut self.resources.incoming[i];
        let (hash, window) = (transfer.current_hash(), transfer.window());
        let mut emits = Vec::new();
        let done = transfer.finish_segment(now, token, &params, &mut emits);
        if let Ok(SegmentDone::Delivered(delivered)) = &done
            && delivered.payload == Payload::Plain
            && self.resources.policy.proving == ResourceProving::App
            && let Some(i) = emits.iter().position(|e| matches!(e, Emit::Proof(_)))
            && let Emit::Proof(proof) = emits.remove(i)
        {
            self.resources.hold_proof(delivered.original_hash, proof);
        }
        if let Some(window) = window {
            self.resources.last_window = window;
        }
        if let Some(hash) = hash {
            self.resources.remember(hash);
        }
        self.emit(now, emits, out, rng);
        match done {
            Ok(SegmentDone::More) => {}
            Ok(SegmentDone::Delivered(delivered)) => {
                self.resources.incoming.swap_remove(i);
                self.deliver(delivered, out);
            }
            Err(status) => {
                if let Some(hash) = hash {
                    self.refuse(now, &hash, out, rng);
                }
                let transfer = self.resources.incoming.swap_remove(i);
                self.incoming_concluded(&transfer, status, out);
            }
        }
    }

    fn deliver(&mut self, delivered: Delivered, out: &mut Vec<LinkAction>) {
        let Delivered {
            original_hash,
            data,
            metadata,
            payload,
        } = delivered;
        let link_id = self.id;
        match payload {
            Payload::Plain => {
                self.event(
                    out,
                    LinkEvent::ResourceReceived {
                        link_id,
                        hash: original_hash,
                        data,
                        metadata,
                    },
                );
                self.event(
                    out,
                    LinkEvent::ResourceConcluded {
                        link_id,
                        hash: original_hash,
                        status: ResourceStatus::Complete,
                        incoming: true,
                    },
                );
            }
            Payload::Request(_) => {
                let id = resource_request_id(&data);
                if self.deliver_request(id, &data, out).is_err() {
                    self.stats.count(Discard::Malformed);
                }
            }
            Payload::Response(id) => {
                if self.on_response(&data, out).is_err() {
                    self.request_transfer_failed(id, RequestFailure::TransferFailed, out);
                }
            }
        }
    }

    /// RESOURCE_HMU: more of a segment's hashmap.
    pub(super) fn on_hashmap_update(
        &mut self,
        now: f64,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let update = HashmapUpdate::decode(plaintext)?;
        let params = self.resource_params();
        let mut emits = Vec::new();
        let incoming = self
            .resources
            .incoming
            .iter_mut()
            .filter(|t| t.current_hash() == Some(update.resource_hash))
            .find_map(Transfer::current_mut)
            .ok_or(Discard::Unmatched)?;
        let taken = incoming.on_hashmap_update(now, &update, &params, &mut emits);
        self.emit(now, emits, out, rng);
        taken.then_some(()).ok_or(Discard::Unmatched)
    }

    /// RESOURCE_ICL: the sender gave up on a resource we receive.
    pub(super) fn on_sender_cancel(
        &mut self,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let hash = decode_cancel(plaintext)?;
        let cancelled = ResourceStatus::Cancelled { by_peer: true };
        let r = &mut self.resources;
        if let Some(i) = r
            .incoming
            .iter()
            .position(|t| t.current_hash() == Some(hash))
        {
            let transfer = r.incoming.swap_remove(i);
            self.incoming_concluded(&transfer, cancelled, out);
            return Ok(());
        }
        let i = r
            .pending
            .iter()
            .position(|p| p.advertisement.hash == hash)
            .ok_or(Discard::Unmatched)?;
        let pending = r.pending.swap_remove(i);
        self.event(
            out,
            LinkEvent::ResourceConcluded {
                link_id: self.id,
                hash: pending.advertisement.original_hash,
                status: cancelled,
                incoming: true,
            },
        );
        Ok(())
    }

    pub(super) fn incoming_timeouts(
        &mut self,
        now: f64,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        let params = self.resource_params();
        let mut emits = Vec::new();
        let mut failed = Vec::new();
        let mut i = 0;
        while i < self.resources.incoming.len() {
            let transfer = &mut self.resources.incoming[i];
            match transfer.on_timeout(now, &params, &mut emits) {
                Some(status) => {
                    if let Some(hash) = transfer.current_hash() {
                        Incoming::reject(&hash, &mut emits);
                    }
                    failed.push((self.resources.incoming.swap_remove(i), status));
                }
                None => i += 1,
            }
        }
        let (expired, kept): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.resources.pending)
                .into_iter()
                .partition(|p| now >= p.deadline);
        self.resources.pending = kept;
        self.emit(now, emits, out, rng);
        for (transfer, status) in failed {
            self.incoming_concluded(&transfer, status, out);
        }
        for pending in expired {
            let Pending { advertisement, .. } = pending;
            self.refuse(now, &advertisement.hash, out, rng);
            self.event(
                out,
                LinkEvent::ResourceConcluded {
                    link_id: self.id,
                    hash: advertisement.original_hash,
                    status: ResourceStatus::Failed(FailReason::Timeout),
                    incoming: true,
                },
            );
        }
    }
}
