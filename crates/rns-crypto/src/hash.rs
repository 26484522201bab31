//! SHA-256 and the truncated forms Reticulum builds its addresses from.

use sha2::{Digest, Sha256};

use crate::CryptoRngCore;

/// Length of a full hash (SHA-256) in bytes.
pub const HASH_LEN: usize = 32;
/// Length of a truncated hash (identity, destination, packet) in bytes.
pub const TRUNCATED_HASH_LEN: usize = 16;
/// Length of a destination name hash in bytes.
pub const NAME_HASH_LEN: usize = 10;
/// Length of a ratchet id in bytes.
pub const RATCHET_ID_LEN: usize = 10;

/// SHA-256 of `data`.
pub fn full_hash(data: &[u8]) -> [u8; HASH_LEN] {
    Sha256::digest(data).into()
}

/// SHA-256 of the concatenation of `parts`, without building the concatenation.
pub fn full_hash_of(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// SHA-256 state after a long common prefix, so several hashes of
/// `prefix || suffix` cost one pass over the prefix (a resource's hash and its
/// proof both cover the whole resource).
#[derive(Clone)]
pub struct HashedPrefix(Sha256);

impl HashedPrefix {
    pub fn new(prefix: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(prefix);
        HashedPrefix(h)
    }

    /// SHA-256 of `prefix || suffix`.
    pub fn with_suffix(&self, suffix: &[u8]) -> [u8; HASH_LEN] {
        let mut h = self.0.clone();
        h.update(suffix);
        h.finalize().into()
    }
}

impl std::fmt::Debug for HashedPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedPrefix")
    }
}

/// The first 16 bytes of SHA-256 of `data`.
pub fn truncated_hash(data: &[u8]) -> [u8; TRUNCATED_HASH_LEN] {
    first_16(&full_hash(data))
}

/// The first 16 bytes of SHA-256 of the concatenation of `parts`.
pub fn truncated_hash_of(parts: &[&[u8]]) -> [u8; TRUNCATED_HASH_LEN] {
    first_16(&full_hash_of(parts))
}

/// A random truncated hash: the truncated hash of 16 random bytes, as the
/// reference makes its random blobs and tags.
pub fn random_hash(rng: &mut dyn CryptoRngCore) -> [u8; TRUNCATED_HASH_LEN] {
    let mut seed = [0u8; TRUNCATED_HASH_LEN];
    rng.fill_bytes(&mut seed);
    truncated_hash(&seed)
}

fn first_16(full: &[u8; HASH_LEN]) -> [u8; TRUNCATED_HASH_LEN] {
    let mut out = [0u8; TRUNCATED_HASH_LEN];
    out.copy_from_slice(&full[..TRUNCATED_HASH_LEN]);
    out
}
