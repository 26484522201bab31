//! The resource advertisement (context RESOURCE_ADV): a msgpack map announcing a
//! resource's sizes, hashes, flags and the first slice of its hashmap.

use rns_msgpack::Value;

use super::MAX_ADVERTISED_TRANSFER_SIZE;
use super::hashes::{MapHash, RandomHash, ResourceHash, hashmap_bytes, map_hashes};
use crate::WireError;
use crate::request::RequestId;

const WHAT: &str = "resource advertisement";

/// The `f` byte of an advertisement.
///
/// Unknown bits are kept so a re-encoded advertisement matches what was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResourceFlags(pub u8);

impl ResourceFlags {
    pub const ENCRYPTED: u8 = 1 << 0;
    pub const COMPRESSED: u8 = 1 << 1;
    pub const SPLIT: u8 = 1 << 2;
    pub const IS_REQUEST: u8 = 1 << 3;
    pub const IS_RESPONSE: u8 = 1 << 4;
    pub const HAS_METADATA: u8 = 1 << 5;

    const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// These flags with `bit` set or cleared.
    #[must_use]
    pub const fn with(self, bit: u8, on: bool) -> Self {
        if on {
            ResourceFlags(self.0 | bit)
        } else {
            ResourceFlags(self.0 & !bit)
        }
    }

    pub const fn encrypted(self) -> bool {
        self.has(Self::ENCRYPTED)
    }

    pub const fn compressed(self) -> bool {
        self.has(Self::COMPRESSED)
    }

    /// The data was larger than one segment and is sent as several resources.
    pub const fn split(self) -> bool {
        self.has(Self::SPLIT)
    }

    pub const fn is_request(self) -> bool {
        self.has(Self::IS_REQUEST)
    }

    pub const fn is_response(self) -> bool {
        self.has(Self::IS_RESPONSE)
    }

    pub const fn has_metadata(self) -> bool {
        self.has(Self::HAS_METADATA)
    }
}

/// One advertisement. Field names follow the wire keys' meanings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertisement {
    /// `t`: bytes on the wire for this segment (encrypted, maybe compressed).
    pub transfer_size: u64,
    /// `d`: bytes of the whole uncompressed data, all segments together.
    pub data_size: u64,
    /// `n`: number of parts in this segment.
    pub parts: u64,
    /// `h`: the resource hash of this segment.
    pub hash: ResourceHash,
    /// `r`: the random hash salting `h` and the map hashes.
    pub random_hash: RandomHash,
    /// `o`: the hash of the first segment, shared by all segments.
    pub original_hash: ResourceHash,
    /// `i`: this segment's index, counting from 1.
    pub segment_index: u64,
    /// `l`: the number of segments.
    pub total_segments: u64,
    /// `q`: the request this resource carries or answers, if any.
    pub request_id: Option<RequestId>,
    /// `f`: what the sender did to the data.
    pub flags: ResourceFlags,
    /// `m`: the first map hashes (at most `hashmap_max_len(link_mdu)` of them).
    pub hashmap: Vec<MapHash>,
}

impl Advertisement {
    /// The packed map, keys in the reference's order (`t d n h r o i l q f m`).
    pub fn encode(&self) -> Vec<u8> {
        let field = |k: &str, v: Value| (Value::from(k), v);
        rns_msgpack::encode(&Value::Map(vec![
            field("t", Value::UInt(self.transfer_size)),
            field("d", Value::UInt(self.data_size)),
            field("n", Value::UInt(self.parts)),
            field("h", Value::bin(self.hash.0)),
            field("r", Value::bin(self.random_hash.0)),
            field("o", Value::bin(self.original_hash.0)),
            field("i", Value::UInt(self.segment_index)),
            field("l", Value::UInt(self.total_segments)),
            field("q", self.request_id.map_or(Value::Nil, |q| Value::bin(q.0))),
            field("f", Value::UInt(u64::from(self.flags.0))),
            field("m", Value::Bin(hashmap_bytes(&self.hashmap))),
        ]))
    }

    /// Parses a packed advertisement, refusing missing or ill-typed keys, a
    /// transfer size above 3 × MAX_EFFICIENT_SIZE, segment numbers that do not
    /// count from 1 to `l`, and a hashmap that is not whole map hashes.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let map = rns_msgpack::decode(bytes).map_err(WireError::msgpack(WHAT))?;
        if map.as_map().is_none() {
            return Err(WireError::malformed(WHAT, "not a msgpack map"));
        }
        let transfer_size = uint(&map, "t")?;
        if transfer_size > MAX_ADVERTISED_TRANSFER_SIZE {
            return Err(WireError::invalid_field(
                WHAT,
                "t",
                "exceeds 3 × MAX_EFFICIENT_SIZE",
            ));
        }
        let segment_index = uint(&map, "i")?;
        let total_segments = uint(&map, "l")?;
        if segment_index == 0 || segment_index > total_segments {
            return Err(WireError::invalid_field(WHAT, "i", "is not within 1..=l"));
        }
        let flags = u8::try_from(uint(&map, "f")?)
            .map_err(|_| WireError::invalid_field(WHAT, "f", "does not fit a byte"))?;
        let hashmap = map_hashes(bin(&map, "m")?)
            .ok_or_else(|| WireError::invalid_field(WHAT, "m", "is not a multiple of 4 bytes"))?;
        Ok(Advertisement {
            transfer_size,
            data_size: uint(&map, "d")?,
            parts: uint(&map, "n")?,
            hash: fixed(&map, "h", ResourceHash::from_slice, "is not bin(32)")?,
            random_hash: fixed(&map, "r", RandomHash::from_slice, "is not bin(4)")?,
            original_hash: fixed(&map, "o", ResourceHash::from_slice, "is not bin(32)")?,
            segment_index,
            total_segments,
            request_id: request_id(&map)?,
            flags: ResourceFlags(flags),
            hashmap,
        })
    }
}

fn get<'a>(map: &'a Value, key: &'static str) -> Result<&'a Value, WireError> {
    map.map_get_str(key).ok_or(WireError::MissingField {
        what: WHAT,
        field: key,
    })
}

fn uint(map: &Value, key: &'static str) -> Result<u64, WireError> {
    get(map, key)?
        .as_u64()
        .ok_or_else(|| WireError::invalid_field(WHAT, key, "is not a non-negative integer"))
}

fn bin<'a>(map: &'a Value, key: &'static str) -> Result<&'a [u8], WireError> {
    get(map, key)?
        .as_bin()
        .ok_or_else(|| WireError::invalid_field(WHAT, key, "is not bin"))
}

fn fixed<T>(
    map: &Value,
    key: &'static str,
    parse: fn(&[u8]) -> Option<T>,
    why: &'static str,
) -> Result<T, WireError> {
    parse(bin(map, key)?).ok_or_else(|| WireError::invalid_field(WHAT, key, why))
}

fn request_id(map: &Value) -> Result<Option<RequestId>, WireError> {
    match get(map, "q")? {
        Value::Nil => Ok(None),
        q => q
            .as_bin()
            .and_then(RequestId::from_slice)
            .map(Some)
            .ok_or_else(|| WireError::invalid_field(WHAT, "q", "is neither nil nor bin(16)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Advertisement {
        Advertisement {
            transfer_size: 1234,
            data_size: 4000,
            parts: 3,
            hash: ResourceHash([7; 32]),
            random_hash: RandomHash([1, 2, 3, 4]),
            original_hash: ResourceHash([7; 32]),
            segment_index: 1,
            total_segments: 1,
            request_id: Some(RequestId([9; 16])),
            flags: ResourceFlags::default().with(ResourceFlags::ENCRYPTED, true),
            hashmap: vec![MapHash([1, 2, 3, 4])],
        }
    }

    fn with_field(key: &str, value: Value) -> Vec<u8> {
        let Value::Map(mut pairs) = rns_msgpack::decode(&sample().encode()).unwrap() else {
            unreachable!()
        };
        for pair in &mut pairs {
            if pair.0.as_str() == Some(key) {
                pair.1 = value.clone();
            }
        }
        rns_msgpack::encode(&Value::Map(pairs))
    }

    #[test]
    fn flags_accessors() {
        let f = ResourceFlags(0b10_0011);
        assert!(f.encrypted() && f.compressed() && f.has_metadata());
        assert!(!f.split() && !f.is_request() && !f.is_response());
        assert_eq!(f.with(ResourceFlags::COMPRESSED, false).0, 0b10_0001);
    }

    #[test]
    fn refuses_bad_fields() {
        let err = |key, v| Advertisement::decode(&with_field(key, v)).unwrap_err();
        assert!(matches!(
            err("t", Value::UInt(3 * 1_048_575 + 1)),
            WireError::InvalidField { field: "t", .. }
        ));
        assert!(matches!(
            err("m", Value::bin([1, 2, 3])),
            WireError::InvalidField { field: "m", .. }
        ));
        assert!(matches!(
            err("h", Value::bin([1; 31])),
            WireError::InvalidField { field: "h", .. }
        ));
        assert!(matches!(
            err("q", Value::UInt(1)),
            WireError::InvalidField { field: "q", .. }
        ));
        assert!(matches!(
            err("i", Value::UInt(0)),
            WireError::InvalidField { field: "i", .. }
        ));
        assert!(matches!(
            err("f", Value::UInt(256)),
            WireError::InvalidField { field: "f", .. }
        ));
        assert!(matches!(
            err("d", Value::Int(-1)),
            WireError::InvalidField { field: "d", .. }
        ));
        let missing = rns_msgpack::encode(&Value::Map(vec![(Value::from("t"), Value::UInt(1))]));
        assert!(matches!(
            Advertisement::decode(&missing),
            Err(WireError::MissingField { .. })
        ));
        assert!(matches!(
            Advertisement::decode(&[0x90]),
            Err(WireError::Malformed { .. })
        ));
    }

    #[test]
    fn round_trip() {
        let ad = sample();
        assert_eq!(Advertisement::decode(&ad.encode()).unwrap(), ad);
        assert_eq!(
            Advertisement::decode(&with_field("t", Value::UInt(3 * 1_048_575)))
                .unwrap()
                .transfer_size,
            3 * 1_048_575
        );
    }
}
