//! The receiving end of one segment: check the advertisement before anything
//! is allocated, request parts a window at a time (and more hashmap when it
//! runs out), place arriving parts by their map hash, time out and retry, and
//! finally decrypt, decompress (capped) and verify the data and prove it.

use std::collections::BTreeSet;

use rns_crypto::Token;
use rns_wire::packet::Context;
use rns_wire::resource::{
    Advertisement, HashmapUpdate, MapHash, ResourceFlags, ResourceHash, ResourceProof,
    ResourceRequest, collision_guard_size, hashmap_max_len, map_hash, resource_hash_and_proof,
};

use super::compress::{DECOMPRESS_CAP, decompress_capped};
use super::{
    Emit, FailReason, LinkParams, MAX_EFFICIENT_SIZE, MAX_RETRIES, PART_TIMEOUT_FACTOR,
    PART_TIMEOUT_FACTOR_AFTER_RTT, ResourceStatus, Window,
};

/// Added to every part timeout: scheduling slack on the far end.
const PART_TIMEOUT_GRACE: f64 = 0.5;
/// Bytes of random prefix the sender put before the data.
const RANDOM_PREFIX_LEN: usize = 4;

/// Why an advertisement is refused before anything is allocated for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Sizes, counts or the hashmap do not add up.
    Inconsistent,
    /// Larger than this link takes.
    TooLarge,
}

/// Checks an advertisement's numbers against each other and the link: `n`
/// must be exactly the parts `t` bytes make, the hashmap slice non-empty and no
/// longer than `n` or one advertisement's worth, `l` what `d` needs, and `d` within `max_size`.
pub(crate) fn check_advertisement(
    adv: &Advertisement,
    params: &LinkParams,
    max_size: u64,
) -> Result<(), Refusal> {
    if params.sdu == 0 {
        return Err(Refusal::Inconsistent);
    }
    let parts = adv.transfer_size.div_ceil(params.sdu as u64);
    let slice = adv.hashmap.len() as u64;
    let max_segments = adv.data_size.div_ceil(MAX_EFFICIENT_SIZE as u64).max(1);
    let consistent = adv.parts == parts
        && parts > 0
        && slice > 0
        && slice <= parts
        && slice as usize <= hashmap_max_len(params.mdu).max(1)
        && adv.total_segments <= max_segments;
    if !consistent {
        return Err(Refusal::Inconsistent);
    }
    if adv.data_size > max_size {
        return Err(Refusal::TooLarge);
    }
    Ok(())
}

/// What became of a part offered to a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartOutcome {
    /// It matches nothing this segment waits for.
    NotOurs,
    /// Stored (or already held); more are needed. True: report progress.
    Stored(bool),
    /// That was the last missing part: assemble.
    Complete,
}

/// One incoming segment.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) hash: ResourceHash,
    pub(crate) flags: ResourceFlags,
    pub(crate) segment_index: u64,
    random_hash: rns_wire::resource::RandomHash,
    hashmap: Vec<Option<MapHash>>,
    hashmap_height: usize,
    parts: Vec<Option<Vec<u8>>>,
    received: usize,
    consecutive: usize,
    /// The parts asked for in the current round and still missing.
    requested: BTreeSet<usize>,
    waiting_for_hashmap: bool,
    pub(crate) window: Window,
    retries: u32,
    round_started: f64,
    round_bytes: usize,
    rate: Option<f64>,
    deadline: f64,
}

impl Incoming {
    /// Takes a checked advertisement and requests the first window.
    pub(crate) fn start(
        now: f64,
        adv: &Advertisement,
        window: Window,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Incoming {
        // `check_advertisement` bounded n by 3 MiB / SDU.
        let n = usize::try_from(adv.parts).unwrap_or(0);
        let mut hashmap = vec![None; n];
        for (slot, h) in hashmap.iter_mut().zip(&adv.hashmap) {
            *slot = Some(*h);
        }
        let mut incoming = Incoming {
            hash: adv.hash,
            flags: adv.flags,
            segment_index: adv.segment_index,
            random_hash: adv.random_hash,
            hashmap_height: adv.hashmap.len().min(n),
            hashmap,
            parts: vec![None; n],
            received: 0,
            consecutive: 0,
            requested: BTreeSet::new(),
            waiting_for_hashmap: false,
            window,
            retries: 0,
            round_started: now,
            round_bytes: 0,
            rate: None,
            deadline: now,
        };
        incoming.request_next(now, params, emits);
        incoming
    }

    pub(crate) fn deadline(&self) -> f64 {
        self.deadline
    }

    /// Received parts of all parts.
    pub(crate) fn fraction(&self) -> (usize, usize) {
        (self.received, self.parts.len())
    }

    /// Asks for the next window of missing parts, flagging an exhausted
    /// hashmap when the window reaches parts whose map hash is not known yet.
    fn request_next(&mut self, now: f64, params: &LinkParams, emits: &mut Vec<Emit>) {
        let mut wanted = Vec::new();
        let mut exhausted = false;
        self.requested.clear();
        for i in self.consecutive..self.parts.len() {
            if wanted.len() >= self.window.size() {
                break;
            }
            if self.parts[i].is_some() {
                continue;
            }
            match self.hashmap[i] {
                Some(h) => {
                    wanted.push(h);
                    self.requested.insert(i);
                }
                None => {
                    exhausted = true;
                    break;
                }
            }
        }
        let last_known = self
            .hashmap_height
            .checked_sub(1)
            .and_then(|i| self.hashmap[i]);
        let request = ResourceRequest {
            hashmap_exhausted: last_known.filter(|_| exhausted),
            resource_hash: self.hash,
            requested: wanted,
        };
        self.waiting_for_hashmap = request.hashmap_exhausted.is_some();
        emits.push(Emit::Sealed(Context::RESOURCE_REQ, request.encode()));
        self.round_started = now;
        self.round_bytes = 0;
        self.deadline = now + self.part_timeout(params);
    }

    /// factor × rtt + the time the outstanding parts take at the last
    /// measured rate (one part per rtt before any was measured) + grace.
    fn part_timeout(&self, params: &LinkParams) -> f64 {
        let rtt = params.rtt.max(0.001);
        let (factor, rate) = match self.rate {
            Some(rate) => (PART_TIMEOUT_FACTOR_AFTER_RTT, rate.max(1.0)),
            None => (PART_TIMEOUT_FACTOR, params.sdu.max(1) as f64 / rtt),
        };
        let outstanding = (self.requested.len().max(1) * params.sdu) as f64;
        factor * rtt + outstanding / rate + PART_TIMEOUT_GRACE
    }

    /// A RESOURCE part. Matched by map hash among the parts not yet held,
    /// within the collision guard above the parts already complete.
    pub(crate) fn on_part(
        &mut self,
        now: f64,
        data: &[u8],
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> PartOutcome {
        if data.len() > params.sdu {
            return PartOutcome::NotOurs;
        }
        let h = map_hash(data, &self.random_hash);
        let end = (self.consecutive + collision_guard_size(params.mdu)).min(self.hashmap_height);
        let Some(i) = (self.consecutive..end).find(|&i| self.hashmap[i] == Some(h)) else {
            return PartOutcome::NotOurs;
        };
        if self.parts[i].is_none() {
            self.parts[i] = Some(data.to_vec());
            self.received += 1;
            self.round_bytes += data.len();
            while self
                .parts
                .get(self.consecutive)
                .is_some_and(Option::is_some)
            {
                self.consecutive += 1;
            }
        }
        self.requested.remove(&i);
        if self.received == self.parts.len() {
            return PartOutcome::Complete;
        }
        if self.requested.is_empty() && !self.waiting_for_hashmap {
            self.round_complete(now, params, emits);
            return PartOutcome::Stored(true);
        }
        PartOutcome::Stored(false)
    }

    fn round_complete(&mut self, now: f64, params: &LinkParams, emits: &mut Vec<Emit>) {
        let elapsed = now - self.round_started;
        if elapsed > 0.0 && self.round_bytes > 0 {
            self.rate = Some(self.round_bytes as f64 / elapsed);
        }
        self.window.round_complete(self.rate);
        self.retries = 0;
        self.request_next(now, params, emits);
    }

    /// A RESOURCE_HMU: the next slice of the hashmap. Only the slice right
    /// after what is known is taken; others are stale repeats or hostile.
    pub(crate) fn on_hashmap_update(
        &mut self,
        now: f64,
        update: &HashmapUpdate,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> bool {
        let per_slice = hashmap_max_len(params.mdu).max(1);
        let start = usize::try_from(update.segment)
            .ok()
            .and_then(|s| s.checked_mul(per_slice));
        let fits = start.is_some_and(|s| {
            s == self.hashmap_height
                && update.hashmap.len() <= per_slice
                && s + update.hashmap.len() <= self.hashmap.len()
        });
        let (Some(start), true) = (start, fits) else {
            return false;
        };
        for (slot, h) in self.hashmap[start..].iter_mut().zip(&update.hashmap) {
            *slot = Some(*h);
        }
        self.hashmap_height = start + update.hashmap.len();
        if self.waiting_for_hashmap && !update.hashmap.is_empty() {
            self.waiting_for_hashmap = false;
            if self.requested.is_empty() {
                self.round_complete(now, params, emits);
            }
        }
        true
    }

    /// The part timer. `Some` when the segment has failed.
    pub(crate) fn on_timeout(
        &mut self,
        now: f64,
        params: &LinkParams,
        emits: &mut Vec<Emit>,
    ) -> Option<ResourceStatus> {
        if now < self.deadline {
            return None;
        }
        self.retries += 1;
        if self.retries > MAX_RETRIES {
            return Some(ResourceStatus::Failed(FailReason::Timeout));
        }
        self.window.timed_out();
        self.request_next(now, params, emits);
        None
    }

    /// Decrypts, strips the random prefix, decompresses (at most `cap` bytes)
    /// and verifies the segment; on success emits its proof and returns the data.
    pub(crate) fn assemble(
        &mut self,
        token: &Token,
        cap: usize,
        emits: &mut Vec<Emit>,
    ) -> Result<Vec<u8>, ResourceStatus> {
        let parts = std::mem::take(&mut self.parts);
        let mut stream = Vec::with_capacity(parts.iter().flatten().map(Vec::len).sum());
        for part in parts.iter().flatten() {
            stream.extend_from_slice(part);
        }
        let opened = match self.flags.encrypted() {
            true => token
                .decrypt(&stream)
                .map_err(|_| ResourceStatus::Corrupt)?,
            false => stream,
        };
        let body = opened
            .get(RANDOM_PREFIX_LEN..)
            .ok_or(ResourceStatus::Corrupt)?;
        let data = match self.flags.compressed() {
            true => decompress_capped(body, cap.min(DECOMPRESS_CAP))
                .map_err(|_| ResourceStatus::Corrupt)?,
            false if body.len() > cap => {
                return Err(ResourceStatus::Failed(FailReason::TooLarge));
            }
            false => body.to_vec(),
        };
        let (hash, proof) = resource_hash_and_proof(&data, &self.random_hash);
        if hash != self.hash {
            return Err(ResourceStatus::Corrupt);
        }
        let proof = ResourceProof {
            resource_hash: self.hash,
            proof,
        };
        emits.push(Emit::Proof(proof.encode().to_vec()));
        Ok(data)
    }

    /// Our own cancel or refusal: tell the sender (RESOURCE_RCL).
    pub(crate) fn reject(hash: &ResourceHash, emits: &mut Vec<Emit>) {
        emits.push(Emit::Sealed(Context::RESOURCE_RCL, hash.0.to_vec()));
    }
}
