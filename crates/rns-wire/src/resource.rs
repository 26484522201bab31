//! Resource transfer payloads (contexts RESOURCE_ADV .. RESOURCE_RCL) and the pure
//! functions that name resources and their parts.
//!
//! Compression, encryption and the transfer state machine live elsewhere; the
//! advertisement flags only record what the sender did.

pub mod advertisement;
pub mod hashes;
pub mod payloads;

use rns_crypto::hash::full_hash_of;
use rns_msgpack::Value;

pub use advertisement::{Advertisement, ResourceFlags};
pub use hashes::{MapHash, ProofHash, RandomHash, ResourceHash, hashmap_bytes};
pub use payloads::{HashmapUpdate, ResourceProof, ResourceRequest, decode_cancel};

use crate::WireError;

/// Bytes of one map hash.
pub const MAPHASH_LEN: usize = MapHash::LEN;
/// Bytes of the random hash `r`.
pub const RANDOM_HASH_SIZE: usize = RandomHash::LEN;
/// Bytes of an advertisement besides its hashmap slice, as the reference budgets it.
pub const ADV_OVERHEAD: usize = 134;
/// Largest resource sent as one segment (1 MiB − 1); larger data is split.
pub const MAX_EFFICIENT_SIZE: usize = 1024 * 1024 - 1;
/// Receivers refuse advertisements whose transfer size is larger than this.
pub const MAX_ADVERTISED_TRANSFER_SIZE: u64 = 3 * MAX_EFFICIENT_SIZE as u64;
/// Largest msgpack metadata that fits the 3-byte length prefix (16 MiB − 1).
pub const METADATA_MAX_SIZE: usize = (1 << 24) - 1;

/// The window a transfer starts with.
pub const WINDOW: usize = 4;
/// The smallest window.
pub const WINDOW_MIN: usize = 2;
/// The window ceiling until the link proves fast.
pub const WINDOW_MAX_SLOW: usize = 10;
/// The window ceiling on a very slow link.
pub const WINDOW_MAX_VERY_SLOW: usize = 4;
/// The window ceiling on a fast link.
pub const WINDOW_MAX_FAST: usize = 75;

/// Link MDU at the default 500-byte MTU; defined here so resource sizes do not
/// depend on the packet module.
const DEFAULT_LINK_MDU: usize = 431;

/// Map hashes that fit in one advertisement or hashmap update on a link of
/// `link_mdu`: floor((link_mdu − 134) / 4), or 0 for a link too small for any.
pub const fn hashmap_max_len(link_mdu: usize) -> usize {
    link_mdu.saturating_sub(ADV_OVERHEAD) / MAPHASH_LEN
}

/// How far apart (in parts) two equal map hashes must be for the receiver to tell
/// them apart: 2 × WINDOW_MAX_FAST + hashmap_max_len(link_mdu).
pub const fn collision_guard_size(link_mdu: usize) -> usize {
    2 * WINDOW_MAX_FAST + hashmap_max_len(link_mdu)
}

/// HASHMAP_MAX_LEN at the default MTU (74).
pub const HASHMAP_MAX_LEN: usize = hashmap_max_len(DEFAULT_LINK_MDU);
/// COLLISION_GUARD_SIZE at the default MTU (224).
pub const COLLISION_GUARD_SIZE: usize = collision_guard_size(DEFAULT_LINK_MDU);

/// The resource hash: SHA-256(data || random_hash), where `data` is the
/// uncompressed stream including any metadata prefix.
pub fn resource_hash(data: &[u8], random_hash: &RandomHash) -> ResourceHash {
    ResourceHash(full_hash_of(&[data, &random_hash.0]))
}

/// The proof the receiver must return: SHA-256(data || resource_hash), over the
/// same bytes the resource hash was computed from.
pub fn expected_proof(data: &[u8], resource_hash: &ResourceHash) -> ProofHash {
    ProofHash(full_hash_of(&[data, &resource_hash.0]))
}

/// [`resource_hash`] and [`expected_proof`] together, in one pass over `data`.
pub fn resource_hash_and_proof(data: &[u8], random_hash: &RandomHash) -> (ResourceHash, ProofHash) {
    let prefix = rns_crypto::HashedPrefix::new(data);
    let hash = ResourceHash(prefix.with_suffix(&random_hash.0));
    let proof = ProofHash(prefix.with_suffix(&hash.0));
    (hash, proof)
}

/// The map hash of one part as sent on the wire: first 4 bytes of
/// SHA-256(part || random_hash).
pub fn map_hash(part: &[u8], random_hash: &RandomHash) -> MapHash {
    let full = full_hash_of(&[part, &random_hash.0]);
    MapHash([full[0], full[1], full[2], full[3]])
}

/// The hashmap segment a part's map hash is sent in.
pub const fn hashmap_segment(part_index: usize, hashmap_max_len: usize) -> usize {
    match hashmap_max_len {
        0 => 0,
        len => part_index / len,
    }
}

/// The metadata prefix: a 3-byte big-endian length, then msgpack(metadata).
pub fn metadata_prefix(metadata: &Value) -> Result<Vec<u8>, WireError> {
    let packed = rns_msgpack::encode(metadata);
    let len = u32::try_from(packed.len())
        .ok()
        .filter(|&len| len as usize <= METADATA_MAX_SIZE)
        .ok_or(WireError::TooLong {
            max: METADATA_MAX_SIZE,
            got: packed.len(),
        })?;
    let mut out = Vec::with_capacity(packed.len() + 3);
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(&packed);
    Ok(out)
}

/// `metadata_prefix(metadata) || data`: the stream a resource with metadata carries.
pub fn prepend_metadata(metadata: &Value, data: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut out = metadata_prefix(metadata)?;
    out.extend_from_slice(data);
    Ok(out)
}

/// Splits a received stream (flag `has_metadata` set) into its metadata and data.
pub fn split_metadata(stream: &[u8]) -> Result<(Value, &[u8]), WireError> {
    let (len_bytes, rest) = stream
        .split_first_chunk::<3>()
        .ok_or(WireError::Truncated {
            needed: 3,
            have: stream.len(),
        })?;
    let len = usize::from(len_bytes[0]) << 16
        | usize::from(len_bytes[1]) << 8
        | usize::from(len_bytes[2]);
    if rest.len() < len {
        return Err(WireError::Truncated {
            needed: 3 + len,
            have: stream.len(),
        });
    }
    let (packed, data) = rest.split_at(len);
    let metadata = rns_msgpack::decode(packed).map_err(WireError::msgpack("resource metadata"))?;
    Ok((metadata, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_constants_match_the_reference() {
        assert_eq!(HASHMAP_MAX_LEN, 74);
        assert_eq!(COLLISION_GUARD_SIZE, 224);
        assert_eq!(MAX_EFFICIENT_SIZE, 1_048_575);
        assert_eq!(hashmap_max_len(100), 0);
        assert_eq!(hashmap_segment(74, HASHMAP_MAX_LEN), 1);
        assert_eq!(hashmap_segment(5, 0), 0);
    }

    #[test]
    fn metadata_round_trip() {
        let meta = Value::Map(vec![(Value::from("name"), Value::bin(*b"file.txt"))]);
        let stream = prepend_metadata(&meta, b"hello").unwrap();
        assert_eq!(&stream[..3], &[0, 0, (stream.len() - 3 - 5) as u8]);
        let (back, data) = split_metadata(&stream).unwrap();
        assert_eq!(back, meta);
        assert_eq!(data, b"hello");
        assert!(matches!(
            split_metadata(&[0, 0]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            split_metadata(&[0, 0, 9, 1]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            split_metadata(&[0, 0, 1, 0xc1]),
            Err(WireError::Msgpack { .. })
        ));
        let huge = Value::bin(vec![0u8; METADATA_MAX_SIZE]);
        assert!(matches!(
            metadata_prefix(&huge),
            Err(WireError::TooLong { .. })
        ));
    }

    #[test]
    fn hashes_are_salted_with_the_random_hash() {
        let r = RandomHash([1, 2, 3, 4]);
        let h = resource_hash(b"abc", &r);
        assert_eq!(h.0, rns_crypto::full_hash(b"abc\x01\x02\x03\x04"));
        let mut proof_input = b"abc".to_vec();
        proof_input.extend_from_slice(&h.0);
        assert_eq!(
            expected_proof(b"abc", &h).0,
            rns_crypto::full_hash(&proof_input)
        );
        assert_eq!(map_hash(b"abc", &r).0, h.0[..4]);
    }
}
