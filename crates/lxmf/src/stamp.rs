//! Stamps: proof of work over a workblock derived from a message id, a transient
//! id or a peering id (protocol.md §18).
//!
//! workblock(material, rounds) = concat over n < rounds of
//! HKDF(256, ikm = material, salt = H(material || msgpack(n))). A stamp is valid
//! for `cost` iff int_BE(H(workblock || stamp)) ≤ 2^(256 − cost); its value is the
//! number of leading zero bits of that hash.
//!
//! Generation is a plain search over candidates with a budget and a cancel
//! check, so the caller decides where it runs (a blocking thread, several
//! workers with different starting nonces) and when to give up.

use rns_crypto::hash::full_hash;
use rns_crypto::{CryptoRngCore, hkdf::hkdf_into};
use rns_msgpack::{Value, encode};
use sha2::{Digest, Sha256};

use crate::message::MessageId;

/// Length of a proof-of-work stamp.
pub const STAMP_SIZE: usize = 32;
/// Expand rounds for message stamps (a 768000-byte workblock).
pub const WORKBLOCK_EXPAND_ROUNDS: usize = 3000;
/// Expand rounds for propagation stamps (256000 bytes).
pub const WORKBLOCK_EXPAND_ROUNDS_PN: usize = 1000;
/// Expand rounds for peering keys (6400 bytes).
pub const WORKBLOCK_EXPAND_ROUNDS_PEERING: usize = 25;
/// Bytes each expand round adds.
pub const WORKBLOCK_ROUND_LEN: usize = 256;
/// How many candidates [`Workblock::search`] tries between cancel checks.
pub const CANCEL_CHECK_INTERVAL: u64 = 1024;

/// Why a workblock could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// HKDF refuses empty key material (the reference's does too).
    #[error("stamp material is empty")]
    EmptyMaterial,
}

/// The full workblock bytes (for tests and for callers that want them).
pub fn workblock(material: &[u8], rounds: usize) -> Result<Vec<u8>, StampError> {
    let mut out = vec![0u8; rounds * WORKBLOCK_ROUND_LEN];
    for (n, chunk) in out.chunks_exact_mut(WORKBLOCK_ROUND_LEN).enumerate() {
        let mut salt_input = material.to_vec();
        salt_input.extend_from_slice(&encode(&Value::UInt(n as u64)));
        let salt = full_hash(&salt_input);
        hkdf_into(chunk, material, Some(&salt), None).map_err(|_| StampError::EmptyMaterial)?;
    }
    Ok(out)
}

/// A workblock, kept as the SHA-256 state after absorbing it.
///
/// Its length is a multiple of 64 bytes, so every candidate costs one
/// compression (32 bytes of stamp plus padding) instead of rehashing 768 kB.
#[derive(Clone)]
pub struct Workblock {
    absorbed: Sha256,
}

impl std::fmt::Debug for Workblock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Workblock(..)")
    }
}

impl Workblock {
    /// Derives the workblock of `material` with `rounds` expand rounds.
    pub fn new(material: &[u8], rounds: usize) -> Result<Self, StampError> {
        Ok(Self::from_bytes(&workblock(material, rounds)?))
    }

    /// From workblock bytes already derived.
    pub fn from_bytes(workblock: &[u8]) -> Self {
        Self {
            absorbed: Sha256::new().chain_update(workblock),
        }
    }

    /// The workblock for a message stamp.
    pub fn for_message(message_id: &MessageId) -> Self {
        Self::of_hash(message_id.as_bytes(), WORKBLOCK_EXPAND_ROUNDS)
    }

    /// The workblock for a propagation stamp over a transient id.
    pub fn for_propagation(transient_id: &[u8; 32]) -> Self {
        Self::of_hash(transient_id, WORKBLOCK_EXPAND_ROUNDS_PN)
    }

    /// The workblock for a peering key over a peering id (see [`peering_id`]).
    pub fn for_peering(peering_id: &[u8; 32]) -> Self {
        Self::of_hash(peering_id, WORKBLOCK_EXPAND_ROUNDS_PEERING)
    }

    /// 32 bytes of material are never empty, so derivation cannot fail.
    fn of_hash(material: &[u8; 32], rounds: usize) -> Self {
        let mut absorbed = Sha256::new();
        let mut chunk = [0u8; WORKBLOCK_ROUND_LEN];
        for n in 0..rounds {
            let mut salt_input = material.to_vec();
            salt_input.extend_from_slice(&encode(&Value::UInt(n as u64)));
            let salt = full_hash(&salt_input);
            // Non-empty ikm and a 256-byte output: HKDF has nothing to refuse.
            if hkdf_into(&mut chunk, material, Some(&salt), None).is_err() {
                chunk = [0u8; WORKBLOCK_ROUND_LEN];
            }
            absorbed.update(chunk);
        }
        Self { absorbed }
    }

    /// H(workblock || stamp).
    pub fn stamp_hash(&self, stamp: &[u8]) -> [u8; 32] {
        self.absorbed.clone().chain_update(stamp).finalize().into()
    }

    /// The stamp's value: leading zero bits of H(workblock || stamp).
    pub fn value(&self, stamp: &[u8]) -> u32 {
        leading_zero_bits(&self.stamp_hash(stamp))
    }

    /// Whether the stamp meets `cost`.
    pub fn is_valid(&self, stamp: &[u8], cost: u32) -> bool {
        meets_cost(&self.stamp_hash(stamp), cost)
    }

    /// Tries up to `attempts` candidates, starting at `start` and counting up
    /// (the last 8 bytes as a big-endian counter), calling `cancelled` every
    /// [`CANCEL_CHECK_INTERVAL`] candidates. Workers that split a search each
    /// take a different random start (see [`random_start`]).
    pub fn search(
        &self,
        cost: u32,
        start: [u8; STAMP_SIZE],
        attempts: u64,
        cancelled: &mut dyn FnMut() -> bool,
    ) -> SearchOutcome {
        let mut candidate = start;
        let (prefix, counter) = start.split_at(STAMP_SIZE - 8);
        let base = u64::from_be_bytes(counter.try_into().unwrap_or([0; 8]));
        for tried in 0..attempts {
            if tried % CANCEL_CHECK_INTERVAL == 0 && tried > 0 && cancelled() {
                return SearchOutcome::Cancelled { tried };
            }
            candidate[..STAMP_SIZE - 8].copy_from_slice(prefix);
            candidate[STAMP_SIZE - 8..].copy_from_slice(&base.wrapping_add(tried).to_be_bytes());
            let hash = self.stamp_hash(&candidate);
            if meets_cost(&hash, cost) {
                return SearchOutcome::Found {
                    stamp: candidate,
                    value: leading_zero_bits(&hash),
                    tried: tried + 1,
                };
            }
        }
        SearchOutcome::Exhausted { tried: attempts }
    }
}

/// How a [`Workblock::search`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOutcome {
    Found {
        stamp: [u8; STAMP_SIZE],
        value: u32,
        tried: u64,
    },
    /// The budget ran out; search again from `start + tried`.
    Exhausted {
        tried: u64,
    },
    Cancelled {
        tried: u64,
    },
}

/// A random starting candidate for one search worker.
pub fn random_start(rng: &mut dyn CryptoRngCore) -> [u8; STAMP_SIZE] {
    let mut start = [0u8; STAMP_SIZE];
    rng.fill_bytes(&mut start);
    start
}

/// Leading zero bits of a hash (256 for all zeros).
pub fn leading_zero_bits(hash: &[u8; 32]) -> u32 {
    let mut bits = 0;
    for &b in hash {
        bits += b.leading_zeros();
        if b != 0 {
            break;
        }
    }
    bits
}

/// int_BE(hash) ≤ 2^(256 − cost), exactly as the reference compares (note ≤:
/// a hash equal to the target passes with one leading zero bit fewer than cost).
pub fn meets_cost(hash: &[u8; 32], cost: u32) -> bool {
    match cost {
        // 2^256 exceeds every hash.
        0 => true,
        // 2^(256 − cost) < 1: only a zero hash is ≤ it.
        257.. => hash.iter().all(|&b| b == 0),
        _ => {
            let zeros = leading_zero_bits(hash);
            if zeros >= cost {
                return true;
            }
            if zeros + 1 != cost {
                return false;
            }
            // Exactly one bit set at position 256 − cost and nothing after it.
            let bit = (zeros / 8) as usize;
            hash[bit].count_ones() == 1 && hash[bit + 1..].iter().all(|&b| b == 0)
        }
    }
}

/// peering_id = receiving node identity hash || offering node identity hash.
pub fn peering_id(receiving_node: &[u8; 16], offering_node: &[u8; 16]) -> [u8; 32] {
    let mut id = [0u8; 32];
    id[..16].copy_from_slice(receiving_node);
    id[16..].copy_from_slice(offering_node);
    id
}

/// Whether a peering key meets `cost` for `peering_id`.
pub fn validate_peering_key(peering_id: &[u8; 32], key: &[u8], cost: u32) -> bool {
    Workblock::for_peering(peering_id).is_valid(key, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_boundary_is_inclusive() {
        let mut target = [0u8; 32];
        target[1] = 0x80; // exactly 2^(256 - 9)
        assert_eq!(leading_zero_bits(&target), 8);
        assert!(meets_cost(&target, 9));
        target[31] = 1;
        assert!(!meets_cost(&target, 9));
        assert!(meets_cost(&target, 8));
        assert!(meets_cost(&[0xff; 32], 0));
        assert!(!meets_cost(&[0xff; 32], 1));
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(meets_cost(&one, 256));
        assert!(!meets_cost(&one, 257));
        assert!(meets_cost(&[0; 32], 300));
        assert_eq!(leading_zero_bits(&[0; 32]), 256);
    }

    #[test]
    fn search_finds_cancels_and_exhausts() {
        let wb = Workblock::for_peering(&[7; 32]);
        match wb.search(6, [0; 32], 1 << 20, &mut || false) {
            SearchOutcome::Found { stamp, value, .. } => {
                assert!(value >= 6 && wb.is_valid(&stamp, 6));
                assert_eq!(wb.value(&stamp), value);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            wb.search(255, [0; 32], 5000, &mut || true),
            SearchOutcome::Cancelled { tried: 1024 }
        );
        assert_eq!(
            wb.search(255, [0; 32], 10, &mut || false),
            SearchOutcome::Exhausted { tried: 10 }
        );
    }

    #[test]
    fn empty_material_is_refused() {
        assert_eq!(workblock(&[], 1), Err(StampError::EmptyMaterial));
        assert_eq!(workblock(&[1], 0), Ok(Vec::new()));
    }
}
