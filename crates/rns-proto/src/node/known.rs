//! Known destinations: the public identity, app data and latest ratchet each
//! validated announce (or the application) taught us. Bounded: destinations
//! the application uses are kept over ones we merely heard about.

use rns_crypto::{DestinationHash, PublicIdentity, RememberedRatchet};

use super::bounded::BoundedMap;

#[derive(Debug, Clone)]
pub(crate) struct KnownDestination {
    pub(crate) identity: PublicIdentity,
    pub(crate) app_data: Option<Vec<u8>>,
    pub(crate) ratchet: Option<RememberedRatchet>,
}

#[derive(Debug)]
pub(crate) struct KnownDestinations {
    map: BoundedMap<DestinationHash, KnownDestination>,
}

impl KnownDestinations {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: BoundedMap::new(cap),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn get(&self, destination: &DestinationHash) -> Option<&KnownDestination> {
        self.map.get(destination)
    }

    pub(crate) fn identity(&self, destination: &DestinationHash) -> Option<&PublicIdentity> {
        self.map.get(destination).map(|k| &k.identity)
    }

    /// Whether `identity` contradicts what we know for `destination`.
    pub(crate) fn conflicts(
        &self,
        destination: &DestinationHash,
        identity: &PublicIdentity,
    ) -> bool {
        self.identity(destination)
            .is_some_and(|known| known != identity)
    }

    /// Records what an announce told us. A newer ratchet replaces the old one;
    /// an announce without one leaves the remembered ratchet in place, as the
    /// reference does (it keeps ratchets until they expire).
    pub(crate) fn learn(
        &mut self,
        destination: DestinationHash,
        identity: PublicIdentity,
        app_data: Option<Vec<u8>>,
        ratchet: Option<RememberedRatchet>,
    ) {
        let ratchet = ratchet.or_else(|| self.map.get(&destination).and_then(|k| k.ratchet));
        let known = KnownDestination {
            identity,
            app_data,
            ratchet,
        };
        self.map.insert(destination, known);
    }

    /// The application relies on this destination: keep it over strangers.
    pub(crate) fn mark_used(&mut self, destination: &DestinationHash) {
        self.map.promote(destination);
    }

    pub(crate) fn set_ratchet(
        &mut self,
        destination: &DestinationHash,
        ratchet: RememberedRatchet,
    ) {
        if let Some(k) = self.map.get_mut(destination) {
            k.ratchet = Some(ratchet);
        }
    }

    /// The ratchet to encrypt to, unless it has expired.
    pub(crate) fn ratchet(&self, destination: &DestinationHash, now: f64) -> Option<[u8; 32]> {
        let r = self.map.get(destination)?.ratchet?;
        (!r.is_expired(now)).then_some(r.public)
    }

    /// Forgets ratchets older than `RATCHET_EXPIRY`.
    pub(crate) fn expire_ratchets(&mut self, now: f64) {
        for (_, k) in self.map.iter_mut() {
            if k.ratchet.is_some_and(|r| r.is_expired(now)) {
                k.ratchet = None;
            }
        }
    }
}
