//! The small resource payloads: part requests (RESOURCE_REQ), hashmap updates
//! (RESOURCE_HMU), proofs (RESOURCE_PRF) and cancels (RESOURCE_ICL / RESOURCE_RCL).

use rns_msgpack::Value;

use super::hashes::{MapHash, ProofHash, ResourceHash, hashmap_bytes, map_hashes};
use crate::WireError;

/// First byte of a request that needs no more hashmap.
pub const HASHMAP_IS_NOT_EXHAUSTED: u8 = 0x00;
/// First byte of a request whose sender has run out of hashmap.
pub const HASHMAP_IS_EXHAUSTED: u8 = 0xFF;

fn truncated(needed: usize, have: usize) -> WireError {
    WireError::Truncated { needed, have }
}

/// The receiver asks for parts by their map hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    /// `Some(last map hash the receiver knows)` when it needs more hashmap
    /// (flag 0xFF); `None` otherwise (flag 0x00).
    pub hashmap_exhausted: Option<MapHash>,
    pub resource_hash: ResourceHash,
    /// The parts wanted, by map hash.
    pub requested: Vec<MapHash>,
}

impl ResourceRequest {
    /// `flag || [last map hash] || resource hash || requested map hashes`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 + 32 + 4 * self.requested.len());
        match self.hashmap_exhausted {
            Some(last) => {
                out.push(HASHMAP_IS_EXHAUSTED);
                out.extend_from_slice(&last.0);
            }
            None => out.push(HASHMAP_IS_NOT_EXHAUSTED),
        }
        out.extend_from_slice(&self.resource_hash.0);
        out.extend_from_slice(&hashmap_bytes(&self.requested));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (&flag, rest) = bytes.split_first().ok_or(truncated(1, 0))?;
        let (hashmap_exhausted, rest) = match flag {
            HASHMAP_IS_NOT_EXHAUSTED => (None, rest),
            HASHMAP_IS_EXHAUSTED => {
                let (last, rest) = rest
                    .split_first_chunk::<{ MapHash::LEN }>()
                    .ok_or(truncated(1 + MapHash::LEN, bytes.len()))?;
                (Some(MapHash(*last)), rest)
            }
            _ => {
                return Err(WireError::malformed(
                    "resource request",
                    "flag is neither 0x00 nor 0xFF",
                ));
            }
        };
        let header = bytes.len() - rest.len();
        let (hash, rest) = rest
            .split_first_chunk::<{ ResourceHash::LEN }>()
            .ok_or(truncated(header + ResourceHash::LEN, bytes.len()))?;
        let requested = map_hashes(rest).ok_or(WireError::malformed(
            "resource request",
            "requested map hashes are not a multiple of 4 bytes",
        ))?;
        Ok(ResourceRequest {
            hashmap_exhausted,
            resource_hash: ResourceHash(*hash),
            requested,
        })
    }
}

/// The sender supplies the next slice of the hashmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashmapUpdate {
    pub resource_hash: ResourceHash,
    /// Which slice: part_index // hashmap_max_len for its first part.
    pub segment: u64,
    pub hashmap: Vec<MapHash>,
}

const HMU: &str = "resource hashmap update";

impl HashmapUpdate {
    /// `resource hash || msgpack([segment, hashmap bytes])`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.resource_hash.0.to_vec();
        rns_msgpack::encode_into(
            &Value::Array(vec![
                Value::UInt(self.segment),
                Value::Bin(hashmap_bytes(&self.hashmap)),
            ]),
            &mut out,
        );
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (hash, rest) = bytes
            .split_first_chunk::<{ ResourceHash::LEN }>()
            .filter(|(_, rest)| !rest.is_empty())
            .ok_or(truncated(ResourceHash::LEN + 1, bytes.len()))?;
        let value = rns_msgpack::decode(rest).map_err(WireError::msgpack(HMU))?;
        let (segment, hashmap) = match value.as_array() {
            Some([segment, hashmap]) => (segment, hashmap),
            _ => return Err(WireError::malformed(HMU, "not a 2-element msgpack array")),
        };
        let segment = segment.as_u64().ok_or(WireError::invalid_field(
            HMU,
            "segment",
            "is not a non-negative integer",
        ))?;
        let hashmap = hashmap
            .as_bin()
            .and_then(map_hashes)
            .ok_or(WireError::invalid_field(
                HMU,
                "hashmap",
                "is not bin of whole map hashes",
            ))?;
        Ok(HashmapUpdate {
            resource_hash: ResourceHash(*hash),
            segment,
            hashmap,
        })
    }
}

/// The receiver proves it holds the whole resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceProof {
    pub resource_hash: ResourceHash,
    pub proof: ProofHash,
}

impl ResourceProof {
    pub const LEN: usize = ResourceHash::LEN + ProofHash::LEN;

    /// `resource hash || proof hash`.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..ResourceHash::LEN].copy_from_slice(&self.resource_hash.0);
        out[ResourceHash::LEN..].copy_from_slice(&self.proof.0);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let exact: &[u8; Self::LEN] = exact(bytes)?;
        let mut p = ResourceProof {
            resource_hash: ResourceHash::default(),
            proof: ProofHash::default(),
        };
        p.resource_hash
            .0
            .copy_from_slice(&exact[..ResourceHash::LEN]);
        p.proof.0.copy_from_slice(&exact[ResourceHash::LEN..]);
        Ok(p)
    }
}

/// The resource hash carried by a cancel (RESOURCE_ICL or RESOURCE_RCL); encode
/// a cancel by sending the hash's bytes.
pub fn decode_cancel(bytes: &[u8]) -> Result<ResourceHash, WireError> {
    exact(bytes).map(|b: &[u8; ResourceHash::LEN]| ResourceHash(*b))
}

/// Exactly `N` bytes: fewer is truncated, more is too long.
fn exact<const N: usize>(bytes: &[u8]) -> Result<&[u8; N], WireError> {
    match <&[u8; N]>::try_from(bytes) {
        Ok(b) => Ok(b),
        Err(_) if bytes.len() < N => Err(truncated(N, bytes.len())),
        Err(_) => Err(WireError::TooLong {
            max: N,
            got: bytes.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layouts() {
        let h = ResourceHash([0xAB; 32]);
        let plain = ResourceRequest {
            hashmap_exhausted: None,
            resource_hash: h,
            requested: vec![MapHash([1, 2, 3, 4])],
        };
        let bytes = plain.encode();
        assert_eq!(bytes.len(), 1 + 32 + 4);
        assert_eq!(bytes[0], 0x00);
        assert_eq!(ResourceRequest::decode(&bytes).unwrap(), plain);
        let more = ResourceRequest {
            hashmap_exhausted: Some(MapHash([9; 4])),
            ..plain
        };
        let bytes = more.encode();
        assert_eq!(&bytes[..5], &[0xFF, 9, 9, 9, 9]);
        assert_eq!(ResourceRequest::decode(&bytes).unwrap(), more);
        assert!(matches!(
            ResourceRequest::decode(&bytes[..20]),
            Err(WireError::Truncated { needed: 37, .. })
        ));
        assert!(matches!(
            ResourceRequest::decode(&[0xFF, 1]),
            Err(WireError::Truncated { needed: 5, .. })
        ));
        assert!(matches!(
            ResourceRequest::decode(&[0x01; 40]),
            Err(WireError::Malformed { .. })
        ));
        assert!(matches!(
            ResourceRequest::decode(&bytes[..38]),
            Err(WireError::Malformed { .. })
        ));
    }

    #[test]
    fn hmu_layout() {
        let u = HashmapUpdate {
            resource_hash: ResourceHash([1; 32]),
            segment: 2,
            hashmap: vec![MapHash([5, 6, 7, 8])],
        };
        let bytes = u.encode();
        assert_eq!(&bytes[32..], &[0x92, 0x02, 0xC4, 0x04, 5, 6, 7, 8]);
        assert_eq!(HashmapUpdate::decode(&bytes).unwrap(), u);
        assert!(matches!(
            HashmapUpdate::decode(&bytes[..32]),
            Err(WireError::Truncated { .. })
        ));
    }

    #[test]
    fn proof_and_cancel_lengths() {
        let p = ResourceProof {
            resource_hash: ResourceHash([1; 32]),
            proof: ProofHash([2; 32]),
        };
        assert_eq!(ResourceProof::decode(&p.encode()).unwrap(), p);
        assert!(matches!(
            ResourceProof::decode(&[0; 63]),
            Err(WireError::Truncated { .. })
        ));
        assert!(matches!(
            ResourceProof::decode(&[0; 65]),
            Err(WireError::TooLong { .. })
        ));
        assert_eq!(decode_cancel(&[3; 32]).unwrap(), ResourceHash([3; 32]));
        assert!(decode_cancel(&[3; 33]).is_err());
    }
}
