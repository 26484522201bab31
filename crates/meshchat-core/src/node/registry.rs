//! The identities a node holds: a bounded map of everything online, and
//! which one is active (the one the API's per-identity routes use).

use std::collections::BTreeMap;

use rns_crypto::{DestinationHash, IdentityHash, PrivateIdentity};
use tokio::task::JoinHandle;

use crate::context::IdentityContext;

/// At most this many identities are online at once (each has a store
/// thread, a delivery destination and three tasks); creating or restoring
/// more is refused, and start-up brings no more online.
pub const MAX_IDENTITIES: usize = 32;

/// The reference's display name for a fresh identity.
pub(crate) const DEFAULT_DISPLAY_NAME: &str = "Anonymous Peer";

/// An identity's public facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    pub identity_hash: IdentityHash,
    /// X25519 then Ed25519 public key, 64 bytes.
    pub public_key: [u8; 64],
    /// The identity's `lxmf.delivery` destination.
    pub lxmf_delivery: DestinationHash,
}

impl IdentityInfo {
    pub(crate) fn of(
        identity: &PrivateIdentity,
    ) -> Result<Self, rns_crypto::destination::NameError> {
        let mut public_key = [0u8; 64];
        public_key.copy_from_slice(identity.public().as_bytes());
        let identity_hash = identity.hash();
        Ok(IdentityInfo {
            identity_hash,
            public_key,
            lxmf_delivery: rns_crypto::destination_hash_for(
                "lxmf",
                &["delivery"],
                Some(&identity_hash),
            )?,
        })
    }
}

/// One identity in the list the API shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySummary {
    pub identity_hash: IdentityHash,
    pub display_name: String,
    pub lxmf_delivery: DestinationHash,
    pub is_active: bool,
    /// Messages stored for it; `None` when its store did not answer.
    pub message_count: Option<u64>,
}

/// One identity the node holds.
pub(crate) struct Online {
    pub(crate) identity: PrivateIdentity,
    pub(crate) info: IdentityInfo,
    pub(crate) display_name: String,
    /// Its store and managers; `None` before start-up reached it, or when
    /// the node has no storage directory.
    pub(crate) context: Option<IdentityContext>,
    pub(crate) tasks: Vec<JoinHandle<()>>,
}

impl Online {
    pub(crate) fn summary(&self, is_active: bool) -> IdentitySummary {
        IdentitySummary {
            identity_hash: self.info.identity_hash,
            display_name: self.display_name.clone(),
            lxmf_delivery: self.info.lxmf_delivery,
            is_active,
            message_count: None,
        }
    }

    pub(crate) fn stop_tasks(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

/// Every identity the node holds, and the active one (always present).
pub(crate) struct Registry {
    pub(crate) active: IdentityHash,
    pub(crate) online: BTreeMap<IdentityHash, Online>,
}

impl Registry {
    pub(crate) fn new(first: Online) -> Self {
        let active = first.info.identity_hash;
        let mut online = BTreeMap::new();
        online.insert(active, first);
        Registry { active, online }
    }

    pub(crate) fn active(&self) -> Option<&Online> {
        self.online.get(&self.active)
    }
}
