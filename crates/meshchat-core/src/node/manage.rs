//! Managing identities: list, create, switch, delete, export and restore.
//! Every identity stays online; switching only changes which one the API's
//! per-identity routes use (and which one's events reach the bus), so no
//! inbound message is lost and nothing needs tearing down. The choice is
//! persisted by copying the key to `<storage>/identity`, as the reference
//! does, so the next start makes the same identity active.

use meshchat_store::{AnnounceQuery, StorageDir, write_private_file};
use rns_crypto::{DestinationHash, IdentityHash, OsRng, PrivateIdentity};

use super::registry::{IdentitySummary, MAX_IDENTITIES};
use super::{Node, online, read, write};
use crate::context::archive_error;
use crate::error::CoreError;
use crate::events::CoreEvent;

/// The reference's name for an identity brought in by a restore.
const RESTORED_DISPLAY_NAME: &str = "Restored Identity";

/// An identity's 64 private-key bytes, wiped when dropped.
pub type PrivateKey = zeroize::Zeroizing<[u8; 64]>;

/// Longest display name accepted for a new identity (bytes).
pub const MAX_DISPLAY_NAME_BYTES: usize = 256;

impl Node {
    /// Every identity held, active first, then by hash, with message counts.
    pub async fn identities(&self) -> Result<Vec<IdentitySummary>, CoreError> {
        self.context()?;
        let entries: Vec<_> = {
            let reg = read(&self.inner.registry);
            reg.online
                .values()
                .map(|o| {
                    let active = o.info.identity_hash == reg.active;
                    (o.summary(active), o.context.clone())
                })
                .collect()
        };
        let mut out = Vec::with_capacity(entries.len());
        for (mut summary, ctx) in entries {
            if let Some(ctx) = ctx {
                summary.message_count = ctx.message_count().await.ok();
            }
            out.push(summary);
        }
        out.sort_by_key(|s| !s.is_active);
        Ok(out)
    }

    /// Makes a new identity (key file, database, metadata) and brings it
    /// online beside the others. It does not become active.
    pub async fn create_identity(
        &self,
        display_name: Option<String>,
    ) -> Result<IdentitySummary, CoreError> {
        let name = display_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| super::DEFAULT_DISPLAY_NAME.to_owned());
        if name.len() > MAX_DISPLAY_NAME_BYTES {
            return Err(CoreError::InvalidInput("Display name is too long".into()));
        }
        let _changes = self.inner.changes.lock().await;
        self.add(PrivateIdentity::generate(&mut OsRng), name).await
    }

    /// Brings in an identity from its 64 private-key bytes (a backup file,
    /// or base32 decoded by the caller) and brings it online. Restoring one
    /// we already hold changes nothing and answers it.
    pub async fn restore_identity(&self, key: &[u8]) -> Result<IdentitySummary, CoreError> {
        let identity = PrivateIdentity::from_private_slice(key)
            .map_err(|_| CoreError::InvalidInput("Could not load identity from bytes".into()))?;
        let _changes = self.inner.changes.lock().await;
        if let Some(o) = read(&self.inner.registry).online.get(&identity.hash()) {
            return Ok(o.summary(o.info.identity_hash == self.inner.active.get()));
        }
        self.add(identity, RESTORED_DISPLAY_NAME.to_owned()).await
    }

    /// Brings in all of an identity's data (key, database, metadata) from a
    /// backup archive as an identity this node does not hold yet, and brings
    /// it online beside the others (not active). The archive is checked and
    /// staged first: a refusal, or an identity already held (restore the
    /// backup into it instead), leaves nothing behind.
    pub async fn import_identity(
        &self,
        archive: std::path::PathBuf,
    ) -> Result<IdentitySummary, CoreError> {
        self.context()?;
        let _changes = self.inner.changes.lock().await;
        let storage = self.storage()?;
        let staging = storage.clone();
        let staged = tokio::task::spawn_blocking(move || staging.stage_identity_import(&archive))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(|e| archive_error(e.into()))?;
        let identity = match PrivateIdentity::from_private_slice(&staged.key) {
            Ok(i) => i,
            Err(_) => {
                staged.discard();
                return Err(CoreError::InvalidInput(
                    "The archive's identity key is not a valid Reticulum identity".into(),
                ));
            }
        };
        let hash = identity.hash();
        let held = read(&self.inner.registry).online.contains_key(&hash);
        if held || storage.identity_dir(&hash.to_string())?.exists() {
            staged.discard();
            return Err(CoreError::Conflict(format!(
                "Identity {hash} is already here; to bring back its data, restore the backup into it"
            )));
        }
        if read(&self.inner.registry).online.len() >= MAX_IDENTITIES {
            staged.discard();
            return Err(CoreError::Conflict(format!(
                "At most {MAX_IDENTITIES} identities can be held"
            )));
        }
        storage
            .install_identity_import(staged, &hash.to_string())
            .map_err(|e| archive_error(e.into()))?;
        let (router, net) = self.stack_handles()?;
        let shared = online::Shared {
            storage: &storage,
            router: &router,
            net: &net,
            sink: self.sink(),
        };
        let online =
            match online::bring_online(identity, RESTORED_DISPLAY_NAME.into(), shared).await {
                Ok(o) => o,
                Err(e) => {
                    // Not loaded next start either: the imported files go.
                    let _ = storage.remove_identity_dir(&hash.to_string());
                    return Err(CoreError::Internal(e));
                }
            };
        let mut summary = online.summary(false);
        if let Some(ctx) = &online.context {
            summary.message_count = ctx.message_count().await.ok();
        }
        self.insert(online);
        Ok(summary)
    }

    /// A fresh path for an uploaded archive on its way to
    /// [`import_identity`](Self::import_identity): hidden beside the
    /// identity directories (on the storage's file system, not a RAM-backed
    /// `/tmp`); the caller removes it.
    pub fn import_upload_path(&self) -> Result<std::path::PathBuf, CoreError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = self.storage()?.root().join("identities");
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::Store(e.into()))?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Ok(dir.join(format!(".upload-{}-{n}.zip", std::process::id())))
    }

    /// Saves and brings online a new identity (the caller holds `changes`).
    async fn add(
        &self,
        identity: PrivateIdentity,
        name: String,
    ) -> Result<IdentitySummary, CoreError> {
        self.context()?;
        if read(&self.inner.registry).online.len() >= MAX_IDENTITIES {
            return Err(CoreError::Conflict(format!(
                "At most {MAX_IDENTITIES} identities can be held"
            )));
        }
        let storage = self.storage()?;
        let (router, net) = self.stack_handles()?;
        online::save_identity(&storage, &identity, &name).map_err(CoreError::Internal)?;
        let shared = online::Shared {
            storage: &storage,
            router: &router,
            net: &net,
            sink: self.sink(),
        };
        let online = match online::bring_online(identity.clone(), name, shared).await {
            Ok(o) => o,
            Err(e) => {
                // Leave no half-made identity behind to be loaded next start.
                let _ = storage.remove_identity_dir(&identity.hash().to_string());
                return Err(CoreError::Internal(e));
            }
        };
        let summary = online.summary(false);
        self.insert(online);
        Ok(summary)
    }

    /// Makes `hash` the active identity and persists the choice.
    pub async fn switch_identity(&self, hash: IdentityHash) -> Result<IdentitySummary, CoreError> {
        self.context()?;
        let _changes = self.inner.changes.lock().await;
        let (key, summary) = {
            let reg = read(&self.inner.registry);
            let o = reg
                .online
                .get(&hash)
                .ok_or_else(|| CoreError::NotFound("Identity not found".into()))?;
            (o.identity.to_private_bytes(), o.summary(true))
        };
        let storage = self.storage()?;
        let main = storage.identity_file();
        // Persist first: if this fails, nothing has changed.
        write_private_file(&main, key.as_ref())
            .map_err(|e| CoreError::Internal(format!("writing {}: {e}", main.display())))?;
        {
            let mut reg = write(&self.inner.registry);
            reg.active = hash;
            self.inner.active.set(hash);
        }
        let _ = self.inner.bus.send(CoreEvent::IdentitySwitched {
            identity_hash: hash,
            display_name: summary.display_name.clone(),
        });
        let _ = self.inner.bus.send(CoreEvent::ConfigChanged);
        Ok(summary)
    }

    /// Takes an identity offline and deletes its directory (key, database,
    /// metadata). The active identity cannot be deleted.
    pub async fn delete_identity(&self, hash: IdentityHash) -> Result<(), CoreError> {
        self.context()?;
        let _changes = self.inner.changes.lock().await;
        let storage = self.storage()?;
        let mut online = {
            let mut reg = write(&self.inner.registry);
            if reg.active == hash {
                return Err(CoreError::Conflict(
                    "Cannot delete the current active identity".into(),
                ));
            }
            reg.online
                .remove(&hash)
                .ok_or_else(|| CoreError::NotFound("Identity not found".into()))?
        };
        online.stop_tasks();
        if let Ok((router, _)) = self.stack_handles() {
            let _ = router.remove_identity(online.info.lxmf_delivery).await;
        }
        // Dropping the context ends its store thread once no request holds it.
        drop(online);
        storage
            .remove_identity_dir(&hash.to_string())
            .map_err(CoreError::from)
    }

    /// The active identity's 64 private-key bytes, for a backup.
    pub fn export_identity(&self) -> Result<PrivateKey, CoreError> {
        let ctx = self.context()?;
        Ok(ctx.private_identity().to_private_bytes())
    }

    /// Every identity's hash and private key, for a backup of all.
    pub fn export_all_identities(&self) -> Result<Vec<(IdentityHash, PrivateKey)>, CoreError> {
        self.context()?;
        Ok(read(&self.inner.registry)
            .online
            .values()
            .map(|o| (o.info.identity_hash, o.identity.to_private_bytes()))
            .collect())
    }

    /// The `lxmf.delivery` destination of an identity: one of ours, or one
    /// the active identity has heard announce.
    pub async fn lxmf_address(&self, hash: IdentityHash) -> Result<DestinationHash, CoreError> {
        let ctx = self.context()?;
        if let Some(o) = read(&self.inner.registry).online.get(&hash) {
            return Ok(o.info.lxmf_delivery);
        }
        let q = AnnounceQuery {
            identity_hash: Some(hash.to_string()),
            limit: 1,
            ..AnnounceQuery::default()
        };
        if ctx.announces(q).await?.0.is_empty() {
            return Err(CoreError::NotFound(
                "no LXMF address could be derived for this identity".into(),
            ));
        }
        rns_crypto::destination_hash_for("lxmf", &["delivery"], Some(&hash))
            .map_err(|e| CoreError::InvalidInput(e.to_string()))
    }

    fn storage(&self) -> Result<StorageDir, CoreError> {
        self.inner
            .storage_dir
            .as_ref()
            .map(StorageDir::new)
            .ok_or_else(|| CoreError::InvalidInput("No storage directory".into()))
    }
}
