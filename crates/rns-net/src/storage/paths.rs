//! The path table on disk: every path in full (the announce that taught it,
//! its replay-guard blobs) with the name of the interface it goes through, so
//! that it can be put back after a restart (see the parent module).

use rns_crypto::{DestinationHash, IdentityHash};
use rns_msgpack::Value;
use rns_proto::node::PathRecord;
use rns_wire::announce::RANDOM_HASH_LEN;

use super::versioned_rows;

/// Version 1 lacked the announce, so its paths could not be restored; such a
/// file is ignored (its paths are learned again).
const FORMAT_VERSION: u64 = 2;

/// Random blobs persisted per path (the reference keeps 64 in memory and
/// persists 32); the newest are kept.
pub const PERSISTED_BLOBS: usize = 32;

/// One persisted path and the interface it went through, by configured name.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPath {
    pub interface: String,
    pub record: PathRecord,
}

impl StoredPath {
    pub fn encode_all(paths: &[StoredPath]) -> Vec<u8> {
        let rows = paths
            .iter()
            .map(|p| {
                let r = &p.record;
                let skip = r.random_blobs.len().saturating_sub(PERSISTED_BLOBS);
                let blobs = r.random_blobs[skip..]
                    .iter()
                    .map(|b| Value::bin(b.to_vec()))
                    .collect();
                Value::Array(vec![
                    Value::bin(r.destination.0.to_vec()),
                    Value::bin(r.next_hop.0.to_vec()),
                    Value::UInt(u64::from(r.hops)),
                    Value::F64(r.timestamp),
                    Value::F64(r.expires),
                    Value::from(p.interface.as_str()),
                    Value::UInt(r.emitted),
                    Value::Array(blobs),
                    Value::bin(r.announce.clone()),
                ])
            })
            .collect();
        rns_msgpack::encode(&Value::Array(vec![
            Value::UInt(FORMAT_VERSION),
            Value::Array(rows),
        ]))
    }

    /// Decodes at most `limit` rows; rows that do not parse are skipped, a
    /// file of another version or not msgpack is `None`.
    pub fn decode_all(bytes: &[u8], limit: usize) -> Option<Vec<StoredPath>> {
        let rows = versioned_rows(bytes, FORMAT_VERSION)?;
        let parse = |row: &Value| -> Option<StoredPath> {
            let [d, n, h, t, e, iface, emitted, blobs, announce] = row.as_array()? else {
                return None;
            };
            let random_blobs = blobs
                .as_array()?
                .iter()
                .map(|b| <[u8; RANDOM_HASH_LEN]>::try_from(b.as_bin()?).ok())
                .collect::<Option<Vec<_>>>()?;
            Some(StoredPath {
                interface: iface.as_str()?.to_owned(),
                record: PathRecord {
                    destination: d.as_bin().and_then(DestinationHash::from_slice)?,
                    next_hop: n.as_bin().and_then(IdentityHash::from_slice)?,
                    hops: u8::try_from(h.as_u64()?).ok()?,
                    timestamp: t.as_f64()?,
                    expires: e.as_f64()?,
                    emitted: emitted.as_u64()?,
                    random_blobs,
                    announce: announce.as_bin()?.to_vec(),
                },
            })
        };
        Some(rows.iter().filter_map(parse).take(limit).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(blobs: usize) -> StoredPath {
        StoredPath {
            interface: "Hub".into(),
            record: PathRecord {
                destination: DestinationHash([7; 16]),
                next_hop: IdentityHash([8; 16]),
                hops: 3,
                timestamp: 1.5,
                expires: 2.5,
                emitted: 1234,
                random_blobs: (0..blobs).map(|i| [i as u8; RANDOM_HASH_LEN]).collect(),
                announce: vec![1, 2, 3],
            },
        }
    }

    #[test]
    fn stored_paths_round_trip_with_the_newest_blobs() {
        let p = path(3);
        let bytes = StoredPath::encode_all(std::slice::from_ref(&p));
        assert_eq!(StoredPath::decode_all(&bytes, 10).unwrap(), vec![p]);

        let many = path(50);
        let back = StoredPath::decode_all(&StoredPath::encode_all(&[many]), 10).unwrap();
        let blobs = &back[0].record.random_blobs;
        assert_eq!(blobs.len(), PERSISTED_BLOBS);
        assert_eq!(blobs.last(), Some(&[49u8; RANDOM_HASH_LEN]));
        assert_eq!(blobs.first(), Some(&[18u8; RANDOM_HASH_LEN]));
    }

    #[test]
    fn other_versions_and_bad_rows_are_not_restored() {
        let v1 = rns_msgpack::encode(&Value::Array(vec![
            Value::UInt(1),
            Value::Array(vec![Value::Array(vec![Value::UInt(3)])]),
        ]));
        assert!(StoredPath::decode_all(&v1, 10).is_none());
        let odd = rns_msgpack::encode(&Value::Array(vec![
            Value::UInt(FORMAT_VERSION),
            Value::Array(vec![Value::Nil, Value::Array(vec![Value::UInt(3)])]),
        ]));
        assert!(StoredPath::decode_all(&odd, 10).unwrap().is_empty());
        let two = StoredPath::encode_all(&[path(1), path(2)]);
        assert_eq!(StoredPath::decode_all(&two, 1).unwrap().len(), 1);
    }
}
