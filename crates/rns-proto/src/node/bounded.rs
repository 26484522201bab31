//! Bounded containers every node table is built on, so that no input from the
//! network can grow memory past a configured cap.
//!
//! [`BoundedMap`] is a segmented LRU: entries start "on probation" and move to
//! a protected segment when the application uses them. Eviction takes the
//! oldest probationary entry first, so a flood of new keys (say, announces for
//! made-up destinations) only displaces other unproven entries and leaves the
//! paths and identities our own traffic relies on alone.
//! [`RotatingSet`] is a two-generation set for duplicate suppression: O(1) per
//! operation, and it forgets the oldest half in one step when the newer half
//! fills.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

#[derive(Debug, Clone)]
struct Slot<V> {
    value: V,
    seq: u64,
    protected: bool,
}

/// A map with at most `cap` entries and segmented-LRU eviction.
#[derive(Debug, Clone)]
pub(crate) struct BoundedMap<K, V> {
    cap: usize,
    entries: HashMap<K, Slot<V>>,
    probation: BTreeMap<u64, K>,
    protected: BTreeMap<u64, K>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone, V> BoundedMap<K, V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            entries: HashMap::new(),
            probation: BTreeMap::new(),
            protected: BTreeMap::new(),
            next_seq: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|s| &s.value)
    }

    /// Mutable access that does not count as a use.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key).map(|s| &mut s.value)
    }

    /// Inserts or replaces `key`, making it the newest of its segment (a
    /// replaced entry keeps its protection). Returns what was evicted to make
    /// room; with a cap of 0 that is the new entry itself.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
        let seq = self.bump();
        if let Some(slot) = self.entries.get_mut(&key) {
            let old_seq = std::mem::replace(&mut slot.seq, seq);
            slot.value = value;
            let segment = if slot.protected {
                &mut self.protected
            } else {
                &mut self.probation
            };
            segment.remove(&old_seq);
            segment.insert(seq, key);
            return None;
        }
        if self.cap == 0 {
            return Some((key, value));
        }
        let evicted = if self.entries.len() >= self.cap {
            self.evict_one()
        } else {
            None
        };
        self.probation.insert(seq, key.clone());
        let slot = Slot {
            value,
            seq,
            protected: false,
        };
        self.entries.insert(key, slot);
        evicted
    }

    /// Marks `key` as used by the application: it moves to the protected
    /// segment. At most half the cap is protected; the oldest protected entry
    /// goes back on probation when that is exceeded.
    pub(crate) fn promote(&mut self, key: &K) {
        let seq = self.bump();
        let Some(slot) = self.entries.get_mut(key) else {
            return;
        };
        let old_seq = std::mem::replace(&mut slot.seq, seq);
        if slot.protected {
            self.protected.remove(&old_seq);
        } else {
            self.probation.remove(&old_seq);
            slot.protected = true;
        }
        self.protected.insert(seq, key.clone());
        if self.protected.len() > (self.cap / 2).max(1) {
            self.demote_oldest();
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.entries.remove(key)?;
        if slot.protected {
            self.protected.remove(&slot.seq);
        } else {
            self.probation.remove(&slot.seq);
        }
        Some(slot.value)
    }

    /// Keeps the entries for which `keep` is true; returns the removed ones.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) -> Vec<(K, V)> {
        let doomed: Vec<K> = self
            .entries
            .iter_mut()
            .filter_map(|(k, s)| (!keep(k, &mut s.value)).then(|| k.clone()))
            .collect();
        doomed
            .into_iter()
            .filter_map(|k| self.remove(&k).map(|v| (k, v)))
            .collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, s)| (k, &s.value))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, s)| (k, &mut s.value))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values().map(|s| &s.value)
    }

    fn bump(&mut self) -> u64 {
        self.next_seq = self.next_seq.wrapping_add(1);
        self.next_seq
    }

    fn evict_one(&mut self) -> Option<(K, V)> {
        let key = match self.probation.pop_first() {
            Some((_, k)) => k,
            None => self.protected.pop_first()?.1,
        };
        self.entries.remove(&key).map(|s| (key, s.value))
    }

    fn demote_oldest(&mut self) {
        let Some((_, key)) = self.protected.pop_first() else {
            return;
        };
        let seq = self.bump();
        if let Some(slot) = self.entries.get_mut(&key) {
            slot.protected = false;
            slot.seq = seq;
            self.probation.insert(seq, key);
        }
    }
}

/// A set remembering at least the last `cap / 2` and at most `cap` insertions.
#[derive(Debug, Clone)]
pub(crate) struct RotatingSet<T> {
    half: usize,
    current: HashSet<T>,
    previous: HashSet<T>,
}

impl<T: Hash + Eq> RotatingSet<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            half: (cap / 2).max(1),
            current: HashSet::new(),
            previous: HashSet::new(),
        }
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.current.contains(item) || self.previous.contains(item)
    }

    /// Adds `item`; false if it was already present.
    pub(crate) fn insert(&mut self, item: T) -> bool {
        if self.contains(&item) {
            return false;
        }
        if self.current.len() >= self.half {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(item)
    }

    pub(crate) fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_probation_before_protected() {
        let mut m = BoundedMap::new(4);
        for k in 0..4 {
            assert!(m.insert(k, k).is_none());
        }
        m.promote(&0);
        assert_eq!(m.insert(10, 10), Some((1, 1)));
        assert_eq!(m.insert(11, 11), Some((2, 2)));
        assert!(m.contains_key(&0));
        for k in 20..100 {
            m.insert(k, k);
        }
        assert!(m.contains_key(&0) && m.len() == 4);
    }

    #[test]
    fn protected_segment_is_at_most_half() {
        let mut m = BoundedMap::new(4);
        for k in 0..4 {
            m.insert(k, ());
            m.promote(&k);
        }
        assert_eq!(m.protected.len(), 2);
        assert_eq!(m.insert(9, ()), Some((0, ())));
        assert_eq!(m.remove(&3), Some(()));
        assert_eq!(m.len(), 3);
        let removed = m.retain(|k, _| *k != 9);
        assert_eq!(removed, vec![(9, ())]);
    }

    #[test]
    fn zero_cap_holds_nothing() {
        let mut m = BoundedMap::new(0);
        assert_eq!(m.insert(1, 1), Some((1, 1)));
        assert!(m.is_empty());
    }

    #[test]
    fn rotating_set_forgets_oldest_half() {
        let mut s = RotatingSet::new(4);
        assert!(s.insert(1) && s.insert(2) && !s.insert(1));
        assert!(s.insert(3) && s.insert(4));
        assert!(s.contains(&1) && s.len() == 4);
        assert!(s.insert(5));
        assert!(!s.contains(&1) && s.contains(&3) && s.len() <= 4);
    }
}
