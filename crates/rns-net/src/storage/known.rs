//! Known destinations (identities learned from announces), with their
//! msgpack encoding (see the parent module).

use std::collections::HashMap;
use std::path::Path;

use rns_crypto::{DestinationHash, PublicIdentity};
use rns_msgpack::Value;

use super::files::read_limited;
use super::{StorageError, versioned_rows, write_atomic};

const FORMAT_VERSION: u64 = 1;

/// What we know about one destination.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownDestination {
    pub identity: PublicIdentity,
    pub app_data: Option<Vec<u8>>,
    /// When we last heard an announce for it (seconds since the UNIX epoch).
    pub last_seen: f64,
}

/// A bounded table of known destinations: when full, the one heard from
/// longest ago makes room.
#[derive(Debug, Clone)]
pub struct KnownDestinations {
    entries: HashMap<DestinationHash, KnownDestination>,
    capacity: usize,
}

impl KnownDestinations {
    pub fn new(capacity: usize) -> Self {
        KnownDestinations {
            entries: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds or replaces an entry. When the table is full, the eighth heard
    /// from longest ago goes at once: one O(n) pass per n/8 inserts, so a
    /// flood of new destinations costs O(1) per announce on average, not a
    /// scan of the whole table each.
    pub fn insert(&mut self, destination: DestinationHash, known: KnownDestination) {
        if !self.entries.contains_key(&destination) && self.entries.len() >= self.capacity {
            self.evict_oldest((self.capacity / 8).max(1));
        }
        self.entries.insert(destination, known);
    }

    fn evict_oldest(&mut self, n: usize) {
        let mut ages: Vec<(f64, DestinationHash)> = self
            .entries
            .iter()
            .map(|(d, k)| (k.last_seen, *d))
            .collect();
        if n < ages.len() {
            ages.select_nth_unstable_by(n, |a, b| a.0.total_cmp(&b.0));
            ages.truncate(n);
        }
        for (_, d) in ages {
            self.entries.remove(&d);
        }
    }

    pub fn get(&self, destination: &DestinationHash) -> Option<&KnownDestination> {
        self.entries.get(destination)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&DestinationHash, &KnownDestination)> {
        self.entries.iter()
    }

    pub fn encode(&self) -> Vec<u8> {
        let rows = self
            .entries
            .iter()
            .map(|(d, k)| {
                Value::Array(vec![
                    Value::bin(d.0.to_vec()),
                    Value::bin(k.identity.to_bytes().to_vec()),
                    k.app_data.clone().map_or(Value::Nil, Value::Bin),
                    Value::F64(k.last_seen),
                ])
            })
            .collect();
        rns_msgpack::encode(&Value::Array(vec![
            Value::UInt(FORMAT_VERSION),
            Value::Array(rows),
        ]))
    }

    /// Decodes a table; rows that do not parse are skipped, not fatal, so one
    /// bad entry does not cost all the others.
    pub fn decode(bytes: &[u8], capacity: usize) -> Option<Self> {
        let rows = versioned_rows(bytes, FORMAT_VERSION)?;
        let mut table = KnownDestinations::new(capacity);
        for row in rows {
            let Some(fields) = row.as_array() else {
                continue;
            };
            let [dest, key, app_data, seen] = fields else {
                continue;
            };
            let Some(dest) = dest.as_bin().and_then(DestinationHash::from_slice) else {
                continue;
            };
            let Some(identity) = key
                .as_bin()
                .and_then(|k| PublicIdentity::from_slice(k).ok())
            else {
                continue;
            };
            let app_data = app_data.as_bin().map(<[u8]>::to_vec);
            let last_seen = seen.as_f64().unwrap_or(0.0);
            table.insert(
                dest,
                KnownDestination {
                    identity,
                    app_data,
                    last_seen,
                },
            );
        }
        Some(table)
    }

    pub fn load(path: &Path, capacity: usize) -> Result<Self, StorageError> {
        match read_limited(path)? {
            None => Ok(KnownDestinations::new(capacity)),
            Some(bytes) => Self::decode(&bytes, capacity).ok_or_else(|| StorageError::Corrupt {
                path: path.to_path_buf(),
                message: "not a known-destinations file".into(),
            }),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), StorageError> {
        write_atomic(path, &self.encode(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_crypto::{OsRng, PrivateIdentity};

    fn known(seen: f64) -> KnownDestination {
        KnownDestination {
            identity: PrivateIdentity::generate(&mut OsRng).public().clone(),
            app_data: Some(b"hello".to_vec()),
            last_seen: seen,
        }
    }

    #[test]
    fn known_destinations_round_trip_and_stay_bounded() {
        let mut t = KnownDestinations::new(2);
        t.insert(DestinationHash([1; 16]), known(1.0));
        t.insert(DestinationHash([2; 16]), known(2.0));
        t.insert(DestinationHash([3; 16]), known(3.0));
        assert_eq!(t.len(), 2);
        assert!(t.get(&DestinationHash([2; 16])).is_some());
        assert!(t.get(&DestinationHash([1; 16])).is_none());
        let back = KnownDestinations::decode(&t.encode(), 10).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(
            back.get(&DestinationHash([3; 16])),
            t.get(&DestinationHash([3; 16]))
        );
        assert_eq!(KnownDestinations::decode(&t.encode(), 1).unwrap().len(), 1);
    }

    #[test]
    fn a_full_table_makes_room_by_the_oldest_eighth() {
        let mut t = KnownDestinations::new(16);
        for i in 0..16u8 {
            t.insert(DestinationHash([i; 16]), known(f64::from(i)));
        }
        t.insert(DestinationHash([99; 16]), known(99.0));
        assert_eq!(t.len(), 15);
        assert!(t.get(&DestinationHash([0; 16])).is_none());
        assert!(t.get(&DestinationHash([1; 16])).is_none());
        assert!(t.get(&DestinationHash([2; 16])).is_some());
        for i in 0..1000u32 {
            let mut d = [0u8; 16];
            d[..4].copy_from_slice(&i.to_be_bytes());
            d[15] = 1;
            t.insert(DestinationHash(d), known(100.0 + f64::from(i)));
            assert!(t.len() <= 16);
        }
        assert!(t.get(&DestinationHash([99; 16])).is_none());
    }

    #[test]
    fn garbage_is_refused_or_skipped() {
        assert!(KnownDestinations::decode(b"\xff\x00garbage", 10).is_none());
        let odd = rns_msgpack::encode(&Value::Array(vec![
            Value::UInt(1),
            Value::Array(vec![Value::Nil, Value::Array(vec![Value::UInt(3)])]),
        ]));
        assert_eq!(KnownDestinations::decode(&odd, 10).unwrap().len(), 0);
    }
}
