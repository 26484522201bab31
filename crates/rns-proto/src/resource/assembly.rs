//! The receiving end of one whole resource: its segments one after another,
//! each an [`Incoming`], their data appended under the size cap, and the
//! complete stream split into metadata and data for delivery.

use rns_crypto::Token;
use rns_wire::resource::{Advertisement, ResourceHash, split_metadata};

use super::receiver::{Incoming, PartOutcome, Refusal, check_advertisement};
use super::{
    Delivered, Emit, FailReason, LinkParams, MAX_ADV_RETRIES, MAX_EFFICIENT_SIZE, Payload,
    Progress, ResourceStatus, SENDER_GRACE_TIME, Window,
};

/// One incoming resource, from its first advertisement to delivery.
#[derive(Debug)]
pub(crate) struct Transfer {
    original_hash: ResourceHash,
    total_segments: u64,
    payload: Payload,
    has_metadata: bool,
    /// The stream of the segments received so far.
    data: Vec<u8>,
    max_size: u64,
    /// The segment in flight; `None` between segments.
    current: Option<Incoming>,
    /// Between segments: when to stop waiting for the next advertisement.
    idle_deadline: f64,
    progress: Progress,
}

/// What a completed segment leads to.
#[derive(Debug)]
pub(crate) enum SegmentDone {
    /// More segments are to come.
    More,
    Delivered(Delivered),
}

impl Transfer {
    /// Takes the first segment's advertisement, if it is sound and not larger
    /// than `max_size`, and requests its first parts.
    pub(crate) fn start(
        now: f64,
        adv: &Advertisement,
        window: Window,
        params: &LinkParams,
        max_size: u64,
        emits: &mut Vec<Emit>,
    ) -> Result<Transfer, Refusal> {
        check_advertisement(adv, params, max_size)?;
        if adv.segment_index != 1 {
            return Err(Refusal::Inconsistent);
        }
        let payload = match (
            adv.flags.is_request(),
            adv.flags.is_response(),
            adv.request_id,
        ) {
            (false, true, Some(id)) => Payload::Response(id),
            (true, false, q) => Payload::Request(q.unwrap_or_default()),
            (false, false, _) => Payload::Plain,
            _ => return Err(Refusal::Inconsistent),
        };
        Ok(Transfer {
            original_hash: adv.original_hash,
            total_segments: adv.total_segments,
            payload,
            has_metadata: adv.flags.has_metadata(),
            data: Vec::new(),
            max_size,
            current: Some(Incoming::start(now, adv, window, params, emits)),
            idle_deadline: f64::INFINITY,
            progress: Progress::new(adv.data_size),
        })
    }

    pub(crate) fn original_hash(&self) -> ResourceHash {
        self.original_hash
    }

    pub(crate) fn payload(&self) -> Payload {
        self.payload
    }

    /// The hash of the segment on the wire, if one is.
    pub(crate) fn current_hash(&self) -> Option<ResourceHash> {
        self.current.as_ref().map(|c| c.hash)
    }

    pub(crate) fn window(&self) -> Option<Window> {
        self.current.as_ref().map(|c| c.window)
    }

    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.progress.done, self.progress.total)
    }

    /// Whether `adv` is this resource's next segment.
    pub(crate) fn expects(&self, adv: &Advertisement) -> bool {
        self.current.is_none()
            && adv.original_hash == self.original_hash
            && adv.segment_index == self.data_segments() + 1
            && adv.total_segments == self.total_segments
            && adv.data_size == self.progress.total
    }

    fn data_segments(&self) -> u64 {
        (self.data.len() / MAX_EFFICIENT_SIZE) as u64
    }

    /// Starts the next segment (see [`expects`](Self::expects)).
    pub(crate) fn next_segment(
        &mut self,
        now: f64,
        adv: &Advertisement,
        window: Window,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Result<(), Refusal> {
        check_advertisement(adv, params, self.max_size)?;
        self.current = Some(Incoming::start(now, adv, window, params, emits));
        self.idle_deadline = f64::INFINITY;
        Ok(())
    }

    /// A part for the current segment; `NotOurs` between segments.
    pub(crate) fn on_part(
        &mut self,
        now: f64,
        data: &[u8],
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> PartOutcome {
        let Some(current) = self.current.as_mut() else {
            return PartOutcome::NotOurs;
        };
        let outcome = current.on_part(now, data, params, emits);
        if let PartOutcome::Stored(true) = outcome {
            let (got, of) = current.fraction();
            let remaining = self.progress.total.saturating_sub(self.data.len() as u64);
            let share = remaining.min(MAX_EFFICIENT_SIZE as u64) * got as u64 / of.max(1) as u64;
            let worth = self.progress.advance(self.data.len() as u64 + share);
            return PartOutcome::Stored(worth);
        }
        outcome
    }

    pub(crate) fn current_mut(&mut self) -> Option<&mut Incoming> {
        self.current.as_mut()
    }

    /// The current segment has every part: verify it, prove it, append it.
    pub(crate) fn finish_segment(
        &mut self,
        now: f64,
        token: &Token,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Result<SegmentDone, ResourceStatus> {
        let mut current = self.current.take().ok_or(ResourceStatus::Corrupt)?;
        let room = self.max_size.saturating_sub(self.data.len() as u64);
        let cap = usize::try_from(room).unwrap_or(usize::MAX);
        let data = current.assemble(token, cap, emits)?;
        let last = current.segment_index >= self.total_segments;
        // Every segment but the last is exactly one efficient size long;
        // anything else would misnumber the segments that follow.
        if !last && data.len() != MAX_EFFICIENT_SIZE {
            return Err(ResourceStatus::Corrupt);
        }
        self.data.extend_from_slice(&data);
        if !last {
            self.progress.advance(self.data.len() as u64);
            self.idle_deadline =
                now + (params.rtt * 6.0 + SENDER_GRACE_TIME) * f64::from(MAX_ADV_RETRIES);
            return Ok(SegmentDone::More);
        }
        self.deliver().map(SegmentDone::Delivered)
    }

    fn deliver(&mut self) -> Result<Delivered, ResourceStatus> {
        let stream = std::mem::take(&mut self.data);
        let (metadata, data) = match self.has_metadata {
            true => {
                let (meta, data) = split_metadata(&stream).map_err(|_| ResourceStatus::Corrupt)?;
                (Some(meta), data.to_vec())
            }
            false => (None, stream),
        };
        Ok(Delivered {
            original_hash: self.original_hash,
            data,
            metadata,
            payload: self.payload,
        })
    }

    pub(crate) fn deadline(&self) -> f64 {
        self.current
            .as_ref()
            .map_or(self.idle_deadline, Incoming::deadline)
    }

    /// Timers of the current segment, or of the wait between segments.
    pub(crate) fn on_timeout(
        &mut self,
        now: f64,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Option<ResourceStatus> {
        match self.current.as_mut() {
            Some(current) => current.on_timeout(now, params, emits),
            None if now >= self.idle_deadline => Some(ResourceStatus::Failed(FailReason::Timeout)),
            None => None,
        }
    }
}
