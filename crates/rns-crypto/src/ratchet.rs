//! Ratchets: rotating X25519 keys a destination announces so that senders
//! encrypt to a short-lived key instead of its identity key.
//!
//! The sender side keeps a [`RatchetSet`] (newest first); the receiving side
//! remembers one [`RememberedRatchet`] per destination. Time is `f64` seconds
//! since the Unix epoch, as the reference stores it.

mod file;

use std::fmt;

use zeroize::Zeroizing;

use crate::ecdh::{X25519_KEY_LEN, X25519Keypair};
use crate::hash::{RATCHET_ID_LEN, full_hash};
use crate::{CryptoRngCore, RatchetId};

pub use file::{RatchetFileError, RememberedRatchet};

/// How many ratchets a destination retains by default.
pub const RATCHET_COUNT: usize = 512;
/// Seconds between rotations.
pub const RATCHET_INTERVAL: f64 = 30.0 * 60.0;
/// Seconds after which a receiver forgets a remembered ratchet (30 days).
pub const RATCHET_EXPIRY: f64 = 30.0 * 24.0 * 60.0 * 60.0;

/// The id of a ratchet: the first 10 bytes of SHA-256 of its public key.
pub fn ratchet_id(public: &[u8; X25519_KEY_LEN]) -> RatchetId {
    let mut id = [0u8; RATCHET_ID_LEN];
    id.copy_from_slice(&full_hash(public)[..RATCHET_ID_LEN]);
    RatchetId(id)
}

/// One ratchet: an X25519 key pair. The secret is zeroized on drop.
#[derive(Clone)]
pub struct Ratchet {
    keys: X25519Keypair,
}

impl Ratchet {
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Self {
        Self {
            keys: X25519Keypair::generate(rng),
        }
    }

    pub fn from_private_bytes(bytes: &[u8; X25519_KEY_LEN]) -> Self {
        Self {
            keys: X25519Keypair::from_private_bytes(bytes),
        }
    }

    pub fn to_private_bytes(&self) -> Zeroizing<[u8; X25519_KEY_LEN]> {
        self.keys.to_private_bytes()
    }

    pub fn public_bytes(&self) -> [u8; X25519_KEY_LEN] {
        self.keys.public_bytes()
    }

    pub fn id(&self) -> RatchetId {
        ratchet_id(&self.keys.public_bytes())
    }

    pub fn keypair(&self) -> &X25519Keypair {
        &self.keys
    }
}

impl fmt::Debug for Ratchet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ratchet({}, secret hidden)", self.id())
    }
}

/// A destination's own ratchets, newest first, with the time of the newest.
#[derive(Clone)]
pub struct RatchetSet {
    ratchets: Vec<Ratchet>,
    latest_time: f64,
    retained: usize,
}

impl Default for RatchetSet {
    fn default() -> Self {
        Self::new()
    }
}

impl RatchetSet {
    /// An empty set retaining [`RATCHET_COUNT`] ratchets. Its latest time is 0,
    /// so the first [`rotate_if_due`](Self::rotate_if_due) creates a ratchet.
    pub fn new() -> Self {
        Self::with_retained(RATCHET_COUNT)
    }

    /// An empty set retaining `retained` ratchets (at least 1).
    pub fn with_retained(retained: usize) -> Self {
        Self {
            ratchets: Vec::new(),
            latest_time: 0.0,
            retained: retained.max(1),
        }
    }

    /// Changes how many ratchets are kept (at least 1), dropping the oldest.
    pub fn set_retained(&mut self, retained: usize) {
        self.retained = retained.max(1);
        self.ratchets.truncate(self.retained);
    }

    pub fn retained(&self) -> usize {
        self.retained
    }

    /// Called at announce time: rotates when `now` is past the newest ratchet's
    /// time plus [`RATCHET_INTERVAL`]. Returns whether it rotated, so the caller
    /// knows to persist the set.
    pub fn rotate_if_due(&mut self, now: f64, rng: &mut dyn CryptoRngCore) -> bool {
        if now > self.latest_time + RATCHET_INTERVAL {
            self.rotate(now, rng);
            true
        } else {
            false
        }
    }

    /// Adds a new newest ratchet unconditionally and drops any past the limit.
    pub fn rotate(&mut self, now: f64, rng: &mut dyn CryptoRngCore) {
        self.push_newest(Ratchet::generate(rng), now);
    }

    /// Adds `ratchet` as the newest, made at `now`.
    pub fn push_newest(&mut self, ratchet: Ratchet, now: f64) {
        self.ratchets.insert(0, ratchet);
        self.ratchets.truncate(self.retained);
        self.latest_time = now;
    }

    /// The newest ratchet, whose public key goes into announces.
    pub fn newest(&self) -> Option<&Ratchet> {
        self.ratchets.first()
    }

    pub fn newest_public(&self) -> Option<[u8; X25519_KEY_LEN]> {
        self.newest().map(Ratchet::public_bytes)
    }

    /// All retained ratchets, newest first: the keys to try when decrypting.
    pub fn ratchets(&self) -> &[Ratchet] {
        &self.ratchets
    }

    /// When the newest ratchet was made (0 if none was made since loading).
    pub fn latest_time(&self) -> f64 {
        self.latest_time
    }

    pub fn len(&self) -> usize {
        self.ratchets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ratchets.is_empty()
    }
}

impl fmt::Debug for RatchetSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RatchetSet")
            .field("len", &self.ratchets.len())
            .field("newest", &self.newest().map(Ratchet::id))
            .field("latest_time", &self.latest_time)
            .field("retained", &self.retained)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OsRng;

    #[test]
    fn rotation_waits_for_the_interval() {
        let mut set = RatchetSet::new();
        assert!(set.newest_public().is_none());
        assert!(set.rotate_if_due(1_000_000.0, &mut OsRng));
        let first = set.newest_public().unwrap();
        assert!(!set.rotate_if_due(1_000_000.0 + RATCHET_INTERVAL, &mut OsRng));
        assert!(set.rotate_if_due(1_000_000.5 + RATCHET_INTERVAL, &mut OsRng));
        assert_eq!(set.len(), 2);
        assert_ne!(set.newest_public().unwrap(), first);
        assert_eq!(set.ratchets()[1].public_bytes(), first);
        assert_eq!(set.latest_time(), 1_000_000.5 + RATCHET_INTERVAL);
    }

    #[test]
    fn keeps_only_the_retained_count() {
        let mut set = RatchetSet::with_retained(3);
        for t in 0..5 {
            set.rotate(f64::from(t), &mut OsRng);
        }
        assert_eq!(set.len(), 3);
        set.set_retained(0);
        assert_eq!(set.len(), 1);
        assert_eq!(RatchetSet::new().retained(), RATCHET_COUNT);
    }

    #[test]
    fn debug_hides_secrets() {
        let r = Ratchet::from_private_bytes(&[0x42; 32]);
        let shown = format!("{r:?}");
        assert!(
            shown.contains("secret hidden") && !shown.contains("4242"),
            "{shown}"
        );
    }
}
