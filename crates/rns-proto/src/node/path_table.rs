//! The path table: for each destination, the interface and next hop to reach
//! it, how far it is, and what is needed to judge later announces (the random
//! blobs seen and the newest emission time) or to answer path requests (the
//! announce itself).

use std::collections::VecDeque;

use rns_crypto::{DestinationHash, IdentityHash};
use rns_wire::announce::{RANDOM_HASH_LEN, RandomHash};
use rns_wire::packet::{Packet, PacketType};

use super::bounded::BoundedMap;
use super::config::{InterfaceId, InterfaceMode};
use super::event::PathEntryView;

/// Random blobs remembered per destination, to recognise replayed announces.
pub(crate) const MAX_RANDOM_BLOBS: usize = 64;
/// `PATHFINDER_E`: paths live one week.
pub(crate) const PATH_LIFETIME: f64 = 7.0 * 24.0 * 3600.0;
/// Paths learned on access-point interfaces live one day.
pub(crate) const AP_PATH_LIFETIME: f64 = 24.0 * 3600.0;
/// Paths learned on roaming interfaces live six hours.
pub(crate) const ROAMING_PATH_LIFETIME: f64 = 6.0 * 3600.0;

/// How long a path learned on an interface of `mode` stays valid.
pub(crate) fn lifetime(mode: InterfaceMode) -> f64 {
    match mode {
        InterfaceMode::AccessPoint => AP_PATH_LIFETIME,
        InterfaceMode::Roaming => ROAMING_PATH_LIFETIME,
        _ => PATH_LIFETIME,
    }
}

/// A path-table entry in full, for a driver to persist and restore
/// ([`Node::path_records`](super::Node::path_records),
/// [`Node::restore_path`](super::Node::restore_path)).
#[derive(Debug, Clone, PartialEq)]
pub struct PathRecord {
    pub destination: DestinationHash,
    pub next_hop: IdentityHash,
    pub hops: u8,
    pub timestamp: f64,
    pub expires: f64,
    /// The newest emission time among the accepted announces.
    pub emitted: u64,
    /// The random blobs of accepted announces, oldest first, so replays stay
    /// recognisable after a restore.
    pub random_blobs: Vec<[u8; RANDOM_HASH_LEN]>,
    /// The announce as received (hops counted), unmasked: what path requests
    /// are answered with.
    pub announce: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct PathEntry {
    pub(crate) timestamp: f64,
    /// The transport node that relayed the announce, or the destination itself
    /// when it came straight from it.
    pub(crate) next_hop: IdentityHash,
    pub(crate) hops: u8,
    pub(crate) expires: f64,
    pub(crate) interface: InterfaceId,
    pub(crate) random_blobs: VecDeque<RandomHash>,
    /// The newest emission time among the accepted announces.
    pub(crate) emitted: u64,
    /// The announce as received (hops counted), replayed to answer path requests.
    pub(crate) announce: Packet,
}

/// What a new announce carries that the update rule looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub(crate) hops: u8,
    pub(crate) blob: RandomHash,
    pub(crate) emitted: u64,
}

#[derive(Debug)]
pub(crate) struct PathTable {
    map: BoundedMap<DestinationHash, PathEntry>,
}

impl PathTable {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: BoundedMap::new(cap),
        }
    }

    pub(crate) fn get(&self, destination: &DestinationHash) -> Option<&PathEntry> {
        self.map.get(destination)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Whether an announce should replace what we know (protocol §7):
    /// * unknown destination: yes;
    /// * as close or closer: if its blob is new and it was emitted later, or,
    ///   for a strictly shorter path, emitted at the same time (the tie-break
    ///   we chose where the reference uses interface "gravity");
    /// * farther: only with a new blob and if our path expired or the announce
    ///   is newer.
    pub(crate) fn should_update(
        &self,
        destination: &DestinationHash,
        c: Candidate,
        now: f64,
    ) -> bool {
        let Some(entry) = self.map.get(destination) else {
            return true;
        };
        if entry.random_blobs.contains(&c.blob) {
            return false;
        }
        if c.hops <= entry.hops {
            c.emitted > entry.emitted || (c.hops < entry.hops && c.emitted == entry.emitted)
        } else {
            now >= entry.expires || c.emitted > entry.emitted
        }
    }

    /// Records an accepted announce; returns the entry evicted to make room.
    pub(crate) fn update(
        &mut self,
        destination: DestinationHash,
        mut entry: PathEntry,
        blob: RandomHash,
    ) -> Option<DestinationHash> {
        let mut blobs = self
            .map
            .get_mut(&destination)
            .map(|old| std::mem::take(&mut old.random_blobs))
            .unwrap_or_default();
        if blobs.len() >= MAX_RANDOM_BLOBS {
            blobs.pop_front();
        }
        blobs.push_back(blob);
        entry.random_blobs = blobs;
        self.map.insert(destination, entry).map(|(k, _)| k)
    }

    /// Inserts a restored entry as it is (blobs included).
    pub(crate) fn insert_restored(&mut self, destination: DestinationHash, entry: PathEntry) {
        self.map.insert(destination, entry);
    }

    /// Notes that our own traffic used this path: it is evicted last, and its
    /// timestamp is refreshed as the reference does on use.
    pub(crate) fn mark_used(&mut self, destination: &DestinationHash, now: f64) {
        if let Some(entry) = self.map.get_mut(destination) {
            entry.timestamp = now;
            self.map.promote(destination);
        }
    }

    pub(crate) fn remove(&mut self, destination: &DestinationHash) -> Option<PathEntry> {
        self.map.remove(destination)
    }

    /// Drops expired paths and paths over interfaces that are gone.
    pub(crate) fn cull(&mut self, now: f64, interface_exists: impl Fn(InterfaceId) -> bool) {
        self.map
            .retain(|_, e| now < e.expires && interface_exists(e.interface));
    }

    /// Every entry in full, with the interface it was learned on.
    pub(crate) fn records(&self) -> impl Iterator<Item = (InterfaceId, PathRecord)> + '_ {
        self.map.iter().map(|(d, e)| {
            let record = PathRecord {
                destination: *d,
                next_hop: e.next_hop,
                hops: e.hops,
                timestamp: e.timestamp,
                expires: e.expires,
                emitted: e.emitted,
                random_blobs: e.random_blobs.iter().map(|b| b.0).collect(),
                announce: e.announce.encode(),
            };
            (e.interface, record)
        })
    }

    pub(crate) fn views(&self) -> impl Iterator<Item = PathEntryView> + '_ {
        self.map.iter().map(|(d, e)| PathEntryView {
            destination: *d,
            next_hop: e.next_hop,
            hops: e.hops,
            interface: e.interface,
            timestamp: e.timestamp,
            expires: e.expires,
        })
    }
}

impl super::Node {
    pub(crate) fn restore(&mut self, now: f64, interface: InterfaceId, r: PathRecord) -> bool {
        if now >= r.expires
            || !self.interfaces.contains_key(&interface)
            || self.paths.get(&r.destination).is_some()
        {
            return false;
        }
        let Ok(announce) = Packet::decode(&r.announce) else {
            return false;
        };
        if announce.packet_type != PacketType::Announce || announce.destination != r.destination {
            return false;
        }
        let mut blobs: VecDeque<RandomHash> =
            r.random_blobs.iter().copied().map(RandomHash).collect();
        while blobs.len() > MAX_RANDOM_BLOBS {
            blobs.pop_front();
        }
        let entry = PathEntry {
            timestamp: r.timestamp,
            next_hop: r.next_hop,
            hops: r.hops,
            expires: r.expires,
            interface,
            random_blobs: blobs,
            emitted: r.emitted,
            announce,
        };
        self.paths.insert_restored(r.destination, entry);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_wire::packet::{Context, DestinationKind};

    fn entry(hops: u8, emitted: u64, expires: f64) -> PathEntry {
        let p = Packet::new(
            PacketType::Announce,
            DestinationKind::Single,
            DestinationHash([1; 16]),
            Context::NONE,
            vec![0],
        );
        PathEntry {
            timestamp: 0.0,
            next_hop: IdentityHash([2; 16]),
            hops,
            expires,
            interface: InterfaceId(0),
            random_blobs: VecDeque::new(),
            emitted,
            announce: p,
        }
    }

    fn cand(hops: u8, blob: u8, emitted: u64) -> Candidate {
        Candidate {
            hops,
            blob: RandomHash::new([blob; 5], emitted),
            emitted,
        }
    }

    #[test]
    fn update_rules() {
        let d = DestinationHash([1; 16]);
        let mut t = PathTable::new(8);
        assert!(t.should_update(&d, cand(3, 1, 100), 0.0));
        t.update(d, entry(3, 100, 1000.0), cand(3, 1, 100).blob);
        // Replay of the same blob: never.
        assert!(!t.should_update(&d, cand(1, 1, 100), 0.0));
        // Same hops, newer emission: yes; same emission: no.
        assert!(t.should_update(&d, cand(3, 2, 101), 0.0));
        assert!(!t.should_update(&d, cand(3, 2, 100), 0.0));
        // Shorter path for the same emission: yes.
        assert!(t.should_update(&d, cand(2, 2, 100), 0.0));
        // Longer: only if newer or our path expired.
        assert!(!t.should_update(&d, cand(4, 2, 100), 0.0));
        assert!(t.should_update(&d, cand(4, 2, 101), 0.0));
        assert!(t.should_update(&d, cand(4, 2, 100), 1000.0));
    }

    #[test]
    fn blobs_are_capped() {
        let d = DestinationHash([1; 16]);
        let mut t = PathTable::new(8);
        for i in 0..100u64 {
            t.update(d, entry(1, i, 1.0), RandomHash::new([0; 5], i));
        }
        let e = t.get(&d).unwrap();
        assert_eq!(e.random_blobs.len(), MAX_RANDOM_BLOBS);
        assert!(!t.should_update(&d, cand(1, 0, 99), 0.0));
        t.cull(2.0, |_| true);
        assert!(t.is_empty());
    }
}
