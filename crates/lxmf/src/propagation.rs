//! Propagation: what a client sends a propagation node, the propagation stamp a
//! node demands, and the node-side check (protocol.md §17, §18).
//!
//! A submission is msgpack `[timebase (float64), [container || stamp, ...]]`,
//! sent as a link packet or a resource. The stamp is proof of work over the
//! container's transient id with 1000 expand rounds; nodes strip it before they
//! hand messages to recipients.

use rns_msgpack::{DecodeError, Value, decode, encode};

use crate::delivery::{TransientId, transient_id};
use crate::stamp::{STAMP_SIZE, SearchOutcome, Workblock};

/// Default stamp cost a propagation node asks for.
pub const PROPAGATION_COST: u32 = 16;
/// How far below its cost a node still accepts a stamp.
pub const PROPAGATION_COST_FLEX: u32 = 3;
/// The lowest cost a node may ask for.
pub const PROPAGATION_COST_MIN: u32 = 13;
/// Default peering cost between nodes, and the most a node will pay.
pub const PEERING_COST: u32 = 18;
pub const MAX_PEERING_COST: u32 = 26;
/// How long a sender remembers a recipient's announced stamp cost (45 days).
pub const STAMP_COST_EXPIRY: f64 = 45.0 * 24.0 * 60.0 * 60.0;
/// Most entries we accept in one submission: each is at least a destination
/// hash, so this only bounds the allocation of hostile input.
pub const MAX_SUBMISSION_ENTRIES: usize = 65_536;

/// Response codes of a propagation node (sent as msgpack `[code]` or as a
/// request's response).
pub mod error_code {
    pub const NO_IDENTITY: u8 = 0xF0;
    pub const NO_ACCESS: u8 = 0xF1;
    pub const INVALID_KEY: u8 = 0xF3;
    pub const INVALID_DATA: u8 = 0xF4;
    pub const INVALID_STAMP: u8 = 0xF5;
    pub const THROTTLED: u8 = 0xF6;
    pub const NOT_FOUND: u8 = 0xFD;
    pub const TIMEOUT: u8 = 0xFE;
}

/// The submission a client sends: msgpack `[timebase, [entries]]`.
pub fn submission(timebase: f64, entries: &[Vec<u8>]) -> Vec<u8> {
    encode(&Value::Array(vec![
        Value::F64(timebase),
        Value::Array(entries.iter().map(|e| Value::Bin(e.clone())).collect()),
    ]))
}

/// Why a submission did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmissionError {
    #[error("submission is not msgpack: {0}")]
    Msgpack(#[from] DecodeError),
    #[error("submission is not [timebase, [bin, ...]]")]
    Shape,
    #[error("submission has more than {MAX_SUBMISSION_ENTRIES} entries")]
    TooManyEntries,
}

/// Parses a submission into its timebase and entries (each `container || stamp`).
pub fn parse_submission(bytes: &[u8]) -> Result<(f64, Vec<Vec<u8>>), SubmissionError> {
    let value = decode(bytes)?;
    let [timebase, Value::Array(entries)] = value.as_array().ok_or(SubmissionError::Shape)? else {
        return Err(SubmissionError::Shape);
    };
    if entries.len() > MAX_SUBMISSION_ENTRIES {
        return Err(SubmissionError::TooManyEntries);
    }
    let timebase = timebase.as_f64().ok_or(SubmissionError::Shape)?;
    let entries = entries
        .iter()
        .map(|e| e.as_bin().map(<[u8]>::to_vec).ok_or(SubmissionError::Shape))
        .collect::<Result<_, _>>()?;
    Ok((timebase, entries))
}

/// The workblock a propagation stamp is computed over.
pub fn stamp_workblock(container: &[u8]) -> Workblock {
    Workblock::for_propagation(&transient_id(container))
}

/// Searches for a propagation stamp for `container` (see [`Workblock::search`]).
pub fn search_stamp(
    container: &[u8],
    cost: u32,
    start: [u8; STAMP_SIZE],
    attempts: u64,
    cancelled: &mut dyn FnMut() -> bool,
) -> SearchOutcome {
    stamp_workblock(container).search(cost, start, attempts, cancelled)
}

/// `container || stamp`, one submission entry.
pub fn stamped_entry(container: &[u8], stamp: &[u8; STAMP_SIZE]) -> Vec<u8> {
    let mut out = Vec::with_capacity(container.len() + STAMP_SIZE);
    out.extend_from_slice(container);
    out.extend_from_slice(stamp);
    out
}

/// A submission entry whose stamp a node accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedEntry<'a> {
    pub transient_id: TransientId,
    /// The container without its stamp: what the node stores and serves.
    pub container: &'a [u8],
    pub stamp: &'a [u8],
    pub value: u32,
}

/// The node-side check: splits off the last 32 bytes as the stamp and checks it
/// over the rest's transient id. `None` if the entry is too short or the stamp
/// is below `min_cost` (the node's cost minus its flexibility).
pub fn validate_entry(entry: &[u8], min_cost: u32) -> Option<StampedEntry<'_>> {
    let split = entry.len().checked_sub(STAMP_SIZE)?;
    let (container, stamp) = entry.split_at(split);
    let id = transient_id(container);
    let workblock = Workblock::for_propagation(&id);
    let hash = workblock.stamp_hash(stamp);
    crate::stamp::meets_cost(&hash, min_cost).then(|| StampedEntry {
        transient_id: id,
        container,
        stamp,
        value: crate::stamp::leading_zero_bits(&hash),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_round_trip_and_shape_errors() {
        let entries = vec![vec![1u8; 40], vec![2u8; 50]];
        let bytes = submission(1_700_000_000.5, &entries);
        assert_eq!(parse_submission(&bytes), Ok((1_700_000_000.5, entries)));
        let wrong = encode(&Value::Array(vec![Value::F64(1.0), Value::UInt(3)]));
        assert_eq!(parse_submission(&wrong), Err(SubmissionError::Shape));
        assert!(parse_submission(&[0x92]).is_err());
    }

    #[test]
    fn stamped_entry_validates() {
        let container = vec![9u8; 100];
        let SearchOutcome::Found { stamp, value, .. } =
            search_stamp(&container, 4, [0; 32], 1 << 16, &mut || false)
        else {
            panic!("no stamp found")
        };
        let entry = stamped_entry(&container, &stamp);
        let ok = validate_entry(&entry, 4).unwrap();
        assert_eq!((ok.container, ok.value), (&container[..], value));
        assert_eq!(ok.transient_id, transient_id(&container));
        assert!(validate_entry(&entry, value + 1).is_none());
        assert!(validate_entry(&entry[..10], 0).is_none());
    }
}
