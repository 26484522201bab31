//! One outgoing segment, made ready to advertise: optionally compressed,
//! prefixed with 4 random bytes, encrypted as a whole with the link key, cut
//! into parts, and named by its resource hash and its hashmap (§12).

use std::collections::HashMap;

use rns_crypto::{CryptoRngCore, Token};
use rns_wire::resource::{
    Advertisement, MapHash, ProofHash, RandomHash, ResourceFlags, ResourceHash,
    collision_guard_size, hashmap_max_len, map_hash, resource_hash_and_proof,
};

use super::compress::compress;
use super::{LinkParams, Payload, ResourceError};

/// Bytes of random prefix before the (maybe compressed) data.
const RANDOM_PREFIX_LEN: usize = 4;
/// The reference compresses nothing larger than this (segments never are).
const AUTO_COMPRESS_MAX: usize = 64 * 1024 * 1024;
/// Random hashes tried before giving up on a collision-free hashmap; with
/// 4-byte map hashes a single retry is already rare.
const MAX_HASHMAP_ATTEMPTS: usize = 32;

/// What every segment of one resource shares in its advertisement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// `d`: the whole stream's size.
    pub(crate) total_size: u64,
    /// `l`.
    pub(crate) total_segments: u64,
    pub(crate) payload: Payload,
    /// Set on segment 1 when the stream starts with a metadata prefix.
    pub(crate) has_metadata: bool,
}

/// One segment, ready to send.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) index: u64,
    pub(crate) hash: ResourceHash,
    pub(crate) random_hash: RandomHash,
    pub(crate) expected_proof: ProofHash,
    pub(crate) compressed: bool,
    /// Uncompressed bytes of this segment.
    pub(crate) plain_len: usize,
    encrypted: Vec<u8>,
    pub(crate) hashmap: Vec<MapHash>,
    sdu: usize,
}

impl Segment {
    /// Prepares segment `index` (from 1) holding `plain`.
    pub(crate) fn prepare(
        index: u64,
        plain: &[u8],
        compress_it: bool,
        params: &LinkParams,
        token: &Token,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Segment, ResourceError> {
        if params.sdu == 0 || hashmap_max_len(params.mdu) == 0 {
            return Err(ResourceError::LinkTooSmall);
        }
        let packed = compress_it && plain.len() <= AUTO_COMPRESS_MAX;
        let compressed = packed.then(|| compress(plain)).flatten();
        let compressed = compressed.filter(|c| c.len() < plain.len());
        let mut stream = vec![0u8; RANDOM_PREFIX_LEN];
        rng.fill_bytes(&mut stream);
        stream.extend_from_slice(compressed.as_deref().unwrap_or(plain));
        let encrypted = token.encrypt(&stream, rng);
        drop(stream);
        let guard = collision_guard_size(params.mdu);
        for _ in 0..MAX_HASHMAP_ATTEMPTS {
            let mut r = RandomHash::default();
            rng.fill_bytes(&mut r.0);
            let Some(hashmap) = hashmap_without_collisions(&encrypted, params.sdu, &r, guard)
            else {
                continue;
            };
            let (hash, expected_proof) = resource_hash_and_proof(plain, &r);
            return Ok(Segment {
                index,
                hash,
                random_hash: r,
                expected_proof,
                compressed: compressed.is_some(),
                plain_len: plain.len(),
                encrypted,
                hashmap,
                sdu: params.sdu,
            });
        }
        Err(ResourceError::HashmapCollisions)
    }

    /// Number of parts.
    pub(crate) fn parts(&self) -> usize {
        self.hashmap.len()
    }

    /// Part `i`'s bytes.
    pub(crate) fn part(&self, i: usize) -> Option<&[u8]> {
        self.encrypted.chunks(self.sdu).nth(i)
    }

    /// Bytes on the wire (`t`).
    #[cfg(test)]
    pub(crate) fn transfer_size(&self) -> usize {
        self.encrypted.len()
    }

    /// The advertisement of this segment, with the first hashmap slice that
    /// fits a link of `mdu`.
    pub(crate) fn advertisement(
        &self,
        original_hash: ResourceHash,
        shape: &Shape,
        mdu: usize,
    ) -> Advertisement {
        let (request_id, is_request, is_response) = match shape.payload {
            Payload::Plain => (None, false, false),
            Payload::Request(id) => (Some(id), true, false),
            Payload::Response(id) => (Some(id), false, true),
        };
        let flags = ResourceFlags::default()
            .with(ResourceFlags::ENCRYPTED, true)
            .with(ResourceFlags::COMPRESSED, self.compressed)
            .with(ResourceFlags::SPLIT, shape.total_segments > 1)
            .with(ResourceFlags::IS_REQUEST, is_request)
            .with(ResourceFlags::IS_RESPONSE, is_response)
            .with(
                ResourceFlags::HAS_METADATA,
                shape.has_metadata && self.index == 1,
            );
        let slice = self.hashmap.len().min(hashmap_max_len(mdu));
        Advertisement {
            transfer_size: self.encrypted.len() as u64,
            data_size: shape.total_size,
            parts: self.hashmap.len() as u64,
            hash: self.hash,
            random_hash: self.random_hash,
            original_hash,
            segment_index: self.index,
            total_segments: shape.total_segments,
            request_id,
            flags,
            hashmap: self.hashmap[..slice].to_vec(),
        }
    }
}

/// The map hashes of `data`'s parts, or `None` if two equal ones lie closer
/// than `guard` parts apart (the receiver could not tell them apart).
fn hashmap_without_collisions(
    data: &[u8],
    sdu: usize,
    r: &RandomHash,
    guard: usize,
) -> Option<Vec<MapHash>> {
    let mut hashmap = Vec::with_capacity(data.len().div_ceil(sdu));
    let mut last_seen: HashMap<MapHash, usize> = HashMap::new();
    for (i, part) in data.chunks(sdu).enumerate() {
        let h = map_hash(part, r);
        if let Some(j) = last_seen.insert(h, i)
            && i - j < guard
        {
            return None;
        }
        hashmap.push(h);
    }
    Some(hashmap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::part_size;
    use rns_wire::resource::resource_hash;

    struct Counter(u8);
    impl rand_core::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                self.0 = self.0.wrapping_mul(31).wrapping_add(7);
                *b = self.0;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Counter {}

    #[test]
    fn parts_cover_the_encrypted_stream() {
        let token = Token::new(&[9u8; 64]).unwrap();
        let params = LinkParams {
            sdu: part_size(500),
            mdu: 431,
            rtt: 0.1,
        };
        let plain = vec![1u8; 5000];
        let mut rng = Counter(1);
        let seg = Segment::prepare(1, &plain, true, &params, &token, &mut rng).unwrap();
        assert!(seg.compressed);
        assert_eq!(seg.parts(), seg.transfer_size().div_ceil(464));
        let opened = token.decrypt(&whole_of(&seg)).unwrap();
        assert_eq!(
            super::super::compress::decompress_capped(&opened[4..], 1 << 20).unwrap(),
            plain
        );
        let raw = Segment::prepare(1, &plain, false, &params, &token, &mut rng).unwrap();
        assert!(!raw.compressed);
        assert_eq!(token.decrypt(&whole_of(&raw)).unwrap()[4..], plain[..]);
        assert_eq!(raw.hash, resource_hash(&plain, &raw.random_hash));
    }

    fn whole_of(seg: &Segment) -> Vec<u8> {
        (0..seg.parts())
            .flat_map(|i| seg.part(i).unwrap().to_vec())
            .collect()
    }

    #[test]
    fn collisions_within_the_guard_are_refused() {
        let r = RandomHash([1, 2, 3, 4]);
        // Two identical parts hash alike.
        let data = [vec![5u8; 10], vec![5u8; 10]].concat();
        assert!(hashmap_without_collisions(&data, 10, &r, 224).is_none());
        assert_eq!(
            hashmap_without_collisions(&data, 10, &r, 1).map(|h| h.len()),
            Some(2)
        );
    }
}
