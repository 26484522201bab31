//! Database maintenance of one identity: backups, snapshots, restore,
//! health. All of it runs on the store's own thread, so a backup is a
//! consistent copy and a restore swaps the files while no query runs.

use std::path::PathBuf;

use meshchat_store::backup::{self, BACKUPS_DIR, SNAPSHOTS_DIR};
use meshchat_store::{BackupInfo, Health, RestoreReport};

use super::IdentityContext;
use crate::error::CoreError;

/// Automatic and on-demand backups kept (config `backup_max_count`).
pub const DEFAULT_BACKUP_MAX_COUNT: usize = 5;
/// The setting holding how many backups to keep (the reference's key).
pub const BACKUP_MAX_COUNT_KEY: &str = "backup_max_count";

/// What to restore from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreSource {
    /// A file name listed by `backups()`.
    Backup(String),
    /// A file name listed by `snapshots()`.
    Snapshot(String),
    /// Any archive or raw `.db` file on this machine.
    Path(PathBuf),
}

impl IdentityContext {
    /// Backs the database and the identity's files up to
    /// `database-backups/backup-<ts>.zip`, keeping the newest
    /// `backup_max_count` (default 5).
    pub async fn backup(&self) -> Result<BackupInfo, CoreError> {
        self.store_reliably(|s| {
            let keep = s
                .setting(BACKUP_MAX_COUNT_KEY)?
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| (1..=1000).contains(n))
                .unwrap_or(DEFAULT_BACKUP_MAX_COUNT);
            s.backup(keep)
        })
        .await
        .map_err(archive_error)
    }

    /// A named snapshot in `snapshots/` (a timestamped name when empty).
    pub async fn snapshot(&self, name: String) -> Result<BackupInfo, CoreError> {
        self.store_reliably(move |s| s.snapshot(&name))
            .await
            .map_err(archive_error)
    }

    /// The identity's backups, newest first.
    pub async fn backups(&self) -> Result<Vec<BackupInfo>, CoreError> {
        self.list(BACKUPS_DIR).await
    }

    /// The identity's snapshots, newest first.
    pub async fn snapshots(&self) -> Result<Vec<BackupInfo>, CoreError> {
        self.list(SNAPSHOTS_DIR).await
    }

    async fn list(&self, sub: &'static str) -> Result<Vec<BackupInfo>, CoreError> {
        self.store(move |s| backup::list(&s.identity_dir(), sub))
            .await
    }

    /// Restores from a backup, a snapshot or a file: checked and staged
    /// first (a refusal changes nothing), the current state backed up, then
    /// swapped in and reopened.
    pub async fn restore(&self, source: RestoreSource) -> Result<RestoreReport, CoreError> {
        self.store_reliably(move |s| {
            let path = match &source {
                RestoreSource::Backup(n) => backup::find(&s.identity_dir(), BACKUPS_DIR, n)?.path,
                RestoreSource::Snapshot(n) => {
                    backup::find(&s.identity_dir(), SNAPSHOTS_DIR, n)?.path
                }
                RestoreSource::Path(p) => p.clone(),
            };
            s.restore(&path)
        })
        .await
        .map_err(archive_error)
    }

    /// A fresh archive of all of this identity's data (database, key,
    /// metadata) in its temporary directory, for a download: the caller
    /// removes it once it has it open.
    pub async fn export_archive(&self) -> Result<BackupInfo, CoreError> {
        self.store_reliably(|s| {
            let dir = s.identity_dir().join(backup::TMP_DIR);
            let name = format!(
                "export-{}-{}.zip",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            );
            s.backup_to(&dir, &name)
        })
        .await
        .map_err(archive_error)
    }

    /// Folds the WAL into the database file (a clean stop).
    pub async fn checkpoint(&self) -> Result<(), CoreError> {
        self.store_reliably(|s| s.checkpoint()).await
    }

    /// Integrity and quick checks, sizes, schema version.
    pub async fn database_health(&self) -> Result<Health, CoreError> {
        self.store(|s| s.health()).await
    }

    /// Deletes a backup or snapshot by its listed name.
    pub async fn delete_archive(&self, snapshot: bool, name: String) -> Result<(), CoreError> {
        let sub = if snapshot { SNAPSHOTS_DIR } else { BACKUPS_DIR };
        self.store(move |s| {
            let b = backup::find(&s.identity_dir(), sub, &name)?;
            Ok(std::fs::remove_file(b.path)?)
        })
        .await
        .map_err(archive_error)
    }
}

/// Refusals are the caller's to fix (400), a missing name is 404.
pub(crate) fn archive_error(e: CoreError) -> CoreError {
    match e {
        CoreError::Store(meshchat_store::Error::NotFound(m)) => CoreError::NotFound(m),
        CoreError::Store(e @ meshchat_store::Error::BadArchive(_))
        | CoreError::Store(e @ meshchat_store::Error::NoSpace { .. })
        | CoreError::Store(e @ meshchat_store::Error::NewerSchema { .. })
        | CoreError::Store(e @ meshchat_store::Error::UnsupportedReferenceVersion { .. }) => {
            CoreError::InvalidInput(e.to_string())
        }
        CoreError::Store(meshchat_store::Error::Io(e))
            if e.kind() == std::io::ErrorKind::NotFound =>
        {
            CoreError::NotFound(format!("no such file: {e}"))
        }
        e => e,
    }
}
