//! The sending end of one resource: advertise a segment, answer the receiver's
//! part requests (and hashmap requests), take its proof, then go on with the
//! next segment until the last one is proved.

use rns_crypto::{CryptoRngCore, Token};
use rns_wire::packet::Context;
use rns_wire::resource::{
    HashmapUpdate, MapHash, ResourceHash, ResourceProof, ResourceRequest, WINDOW_MAX_FAST,
    collision_guard_size, hashmap_max_len,
};

use super::segment::{Segment, Shape};
use super::{
    Emit, FailReason, LinkParams, MAX_ADV_RETRIES, MAX_EFFICIENT_SIZE, PROOF_TIMEOUT_FACTOR,
    Payload, Progress, ResourceError, ResourceStatus, SENDER_GRACE_TIME,
};

/// The advertisement is repeated after rtt × this factor (plus grace) without
/// a request: the link's traffic timeout factor.
const ADV_TIMEOUT_FACTOR: f64 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The current segment is advertised; no request has come for it yet.
    Advertised,
    /// Parts are being requested.
    Transferring,
    /// Every part has gone out at least once; the proof is awaited (requests
    /// for lost parts are still answered).
    AwaitingProof,
}

/// What a valid proof leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderStep {
    /// The next segment is advertised.
    NextSegment,
    Complete,
    /// The next segment could not be prepared.
    Failed,
}

/// One outgoing resource, all its segments.
#[derive(Debug)]
pub(crate) struct Outgoing {
    original_hash: ResourceHash,
    /// The whole stream (metadata prefix and data), kept for later segments.
    stream: Vec<u8>,
    shape: Shape,
    compress: bool,
    segment: Segment,
    /// Stream bytes in the segments before the current one.
    offset: usize,
    state: State,
    /// Whether the receiver ever asked for a part: an RCL before that is a
    /// rejection, after it a cancel.
    requested: bool,
    adv_sends: u32,
    silent_periods: u32,
    deadline: f64,
    sent: Vec<bool>,
    sent_count: usize,
    /// The lowest part the receiver may still ask for, give or take a window.
    receiver_floor: usize,
    progress: Progress,
}

impl Outgoing {
    /// Prepares segment 1 of `stream` and advertises it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        now: f64,
        stream: Vec<u8>,
        has_metadata: bool,
        compress: bool,
        payload: Payload,
        params: &LinkParams,
        token: &Token,
        rng: &mut dyn CryptoRngCore,
        emits: &mut Vec<Emit>,
    ) -> Result<Outgoing, ResourceError> {
        let total_segments = stream.len().div_ceil(MAX_EFFICIENT_SIZE).max(1) as u64;
        let first = &stream[..stream.len().min(MAX_EFFICIENT_SIZE)];
        let segment = Segment::prepare(1, first, compress, params, token, rng)?;
        let mut outgoing = Outgoing {
            original_hash: segment.hash,
            shape: Shape {
                total_size: stream.len() as u64,
                total_segments,
                payload,
                has_metadata,
            },
            progress: Progress::new(stream.len() as u64),
            stream,
            compress,
            sent: Vec::new(),
            segment,
            offset: 0,
            state: State::Advertised,
            requested: false,
            adv_sends: 0,
            silent_periods: 0,
            deadline: now,
            sent_count: 0,
            receiver_floor: 0,
        };
        outgoing.begin_segment(now, params, emits);
        Ok(outgoing)
    }

    /// The name the application knows it by (the first segment's hash).
    pub(crate) fn original_hash(&self) -> ResourceHash {
        self.original_hash
    }

    /// The hash of the segment on the wire now.
    pub(crate) fn hash(&self) -> ResourceHash {
        self.segment.hash
    }

    pub(crate) fn payload(&self) -> Payload {
        self.shape.payload
    }

    pub(crate) fn deadline(&self) -> f64 {
        self.deadline
    }

    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.progress.done, self.progress.total)
    }

    /// Whether an RCL now means the receiver refused it outright.
    pub(crate) fn rejected_on_cancel(&self) -> ResourceStatus {
        match self.requested {
            false => ResourceStatus::Rejected,
            true => ResourceStatus::Cancelled { by_peer: true },
        }
    }

    fn begin_segment(&mut self, now: f64, params: &LinkParams, emits: &mut Vec<Emit>) {
        self.sent = vec![false; self.segment.parts()];
        self.sent_count = 0;
        self.receiver_floor = 0;
        self.adv_sends = 0;
        self.state = State::Advertised;
        self.advertise(now, params, emits);
    }

    fn advertise(&mut self, now: f64, params: &LinkParams, emits: &mut Vec<Emit>) {
        let adv = self
            .segment
            .advertisement(self.original_hash, &self.shape, params.mdu);
        emits.push(Emit::Sealed(Context::RESOURCE_ADV, adv.encode()));
        self.adv_sends += 1;
        self.deadline = now + params.rtt * ADV_TIMEOUT_FACTOR + SENDER_GRACE_TIME;
    }

    /// The receiver's RESOURCE_REQ for the current segment. True when the
    /// progress is worth reporting.
    pub(crate) fn on_request(
        &mut self,
        now: f64,
        request: &ResourceRequest,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> bool {
        self.requested = true;
        if self.state == State::Advertised {
            self.state = State::Transferring;
        }
        self.silent_periods = 0;
        self.deadline = now + silence(params);
        let guard = collision_guard_size(params.mdu);
        let mut lowest = None;
        for wanted in &request.requested {
            let Some(i) = self.find(wanted, guard) else {
                continue;
            };
            lowest = Some(lowest.map_or(i, |l: usize| l.min(i)));
            if let Some(part) = self.segment.part(i) {
                emits.push(Emit::Part(part.to_vec()));
            }
            if let Some(sent) = self.sent.get_mut(i).filter(|s| !**s) {
                *sent = true;
                self.sent_count += 1;
            }
        }
        if let Some(last) = request.hashmap_exhausted {
            self.send_hashmap_after(&last, guard, params, emits);
        }
        if let Some(l) = lowest {
            self.receiver_floor = self.receiver_floor.max(l.saturating_sub(WINDOW_MAX_FAST));
        }
        if self.sent_count == self.segment.parts() {
            self.state = State::AwaitingProof;
        }
        let n = self.segment.parts().max(1);
        let share = self.segment.plain_len * self.sent_count / n;
        self.progress.advance((self.offset + share) as u64)
    }

    /// Where `wanted` sits: first within the collision guard above the
    /// receiver's floor (where map hashes are unique), else anywhere.
    fn find(&self, wanted: &MapHash, guard: usize) -> Option<usize> {
        let map = &self.segment.hashmap;
        let start = self.receiver_floor.min(map.len());
        let end = start.saturating_add(guard).min(map.len());
        let near = map[start..end].iter().position(|h| h == wanted);
        near.map(|i| start + i)
            .or_else(|| map.iter().position(|h| h == wanted))
    }

    /// A hashmap update with the slice after the receiver's last known hash.
    fn send_hashmap_after(
        &self,
        last: &MapHash,
        guard: usize,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) {
        let per_slice = hashmap_max_len(params.mdu);
        let Some(index) = self.find(last, guard).filter(|_| per_slice > 0) else {
            return;
        };
        let slice = (index + 1) / per_slice;
        let start = slice * per_slice;
        let map = &self.segment.hashmap;
        if start >= map.len() {
            return;
        }
        let end = (start + per_slice).min(map.len());
        let update = HashmapUpdate {
            resource_hash: self.segment.hash,
            segment: slice as u64,
            hashmap: map[start..end].to_vec(),
        };
        emits.push(Emit::Sealed(Context::RESOURCE_HMU, update.encode()));
    }

    /// A proof for the current segment; `Err` if it is not the right one.
    pub(crate) fn on_proof(
        &mut self,
        now: f64,
        proof: &ResourceProof,
        params: &LinkParams,
        token: &Token,
        rng: &mut dyn CryptoRngCore,
        emits: &mut Vec<Emit>,
    ) -> Result<SenderStep, ProofMismatch> {
        if proof.resource_hash != self.segment.hash || proof.proof != self.segment.expected_proof {
            return Err(ProofMismatch);
        }
        if self.segment.index >= self.shape.total_segments {
            return Ok(SenderStep::Complete);
        }
        self.offset += self.segment.plain_len;
        let end = (self.offset + MAX_EFFICIENT_SIZE).min(self.stream.len());
        let next = self.segment.index + 1;
        let plain = &self.stream[self.offset..end];
        // A failure here (no collision-free hashmap found) ends the resource.
        let Ok(segment) = Segment::prepare(next, plain, self.compress, params, token, rng) else {
            return Ok(SenderStep::Failed);
        };
        self.segment = segment;
        self.progress.advance(self.offset as u64);
        self.begin_segment(now, params, emits);
        Ok(SenderStep::NextSegment)
    }

    /// Timers: repeat the advertisement, or count a silent period. `Some`
    /// when the resource has failed.
    pub(crate) fn on_timeout(
        &mut self,
        now: f64,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Option<ResourceStatus> {
        if now < self.deadline {
            return None;
        }
        let failed = Some(ResourceStatus::Failed(FailReason::Timeout));
        match self.state {
            State::Advertised if self.adv_sends >= MAX_ADV_RETRIES => failed,
            State::Advertised => {
                self.advertise(now, params, emits);
                None
            }
            State::Transferring | State::AwaitingProof => {
                self.silent_periods += 1;
                if self.silent_periods >= MAX_ADV_RETRIES {
                    return failed;
                }
                self.deadline = now + silence(params);
                None
            }
        }
    }

    /// Our own cancel: tell the receiver (RESOURCE_ICL).
    pub(crate) fn cancel(&self, emits: &mut Vec<Emit>) {
        emits.push(Emit::Sealed(
            Context::RESOURCE_ICL,
            self.segment.hash.0.to_vec(),
        ));
    }
}

/// A proof that names our segment but does not prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProofMismatch;

/// How long the sender waits for the receiver before counting a silent period.
fn silence(params: &LinkParams) -> f64 {
    params.rtt * PROOF_TIMEOUT_FACTOR + SENDER_GRACE_TIME
}
