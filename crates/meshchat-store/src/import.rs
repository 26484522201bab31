//! Importing all of an identity's data from a backup archive (the ZIP that
//! `Store::backup_to` writes: `identity`, `database.db`, `metadata.json`)
//! as an identity this storage directory does not hold yet.
//!
//! Two steps, so the caller can check the key and decide in between:
//! [`StorageDir::stage_identity_import`] reads and checks everything into a
//! hidden directory beside the identities (the same file system, so the
//! second step is one rename), and [`StorageDir::install_identity_import`]
//! moves it into place as `identities/<hash>/`. Anything refused leaves
//! nothing behind; the staging directory is not an identity directory
//! (its name is not a hash), so a crash between the steps loads nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::archive::ZipReader;
use crate::backup::{check_space, check_staged_database};
use crate::storage_dir::create_private_dir;
use crate::{Error, Result, StorageDir, write_private_file};

/// An identity's private key file: 64 bytes (encryption and signing keys).
const KEY_LEN: usize = 64;

/// A checked archive, extracted and waiting to be installed.
#[derive(Debug)]
pub struct StagedImport {
    dir: PathBuf,
    /// The identity's private key, as the archive holds it.
    pub key: Vec<u8>,
    /// `PRAGMA integrity_check` of the staged database (`ok`).
    pub integrity_check: String,
}

impl StagedImport {
    /// Drops the staged files (refused after staging, e.g. a known identity).
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl StorageDir {
    /// Reads and checks the backup archive at `archive` and extracts its
    /// key, database and metadata to a staging directory: refused with a
    /// clear error (and nothing left) when it is not a backup ZIP, lacks the
    /// key or the database, or the database is not a sound MeshChatX one.
    pub fn stage_identity_import(&self, archive: &Path) -> Result<StagedImport> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let parent = self.root().join("identities");
        create_private_dir(&parent)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".import-{}-{n}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        create_private_dir(&dir)?;
        let staged = stage_into(archive, &dir);
        if staged.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        staged
    }

    /// Moves a staged import into place as `identities/<identity_hash>/`;
    /// refused when that directory exists.
    pub fn install_identity_import(
        &self,
        staged: StagedImport,
        identity_hash: &str,
    ) -> Result<PathBuf> {
        let target = self.identity_dir(identity_hash)?;
        if target.exists() {
            staged.discard();
            return Err(Error::BadArchive(format!(
                "identity {identity_hash} already has a directory here"
            )));
        }
        std::fs::rename(&staged.dir, &target)?;
        if let Some(parent) = target.parent() {
            crate::backup::sync_dir(parent)?;
        }
        Ok(target)
    }
}

fn stage_into(archive: &Path, dir: &Path) -> Result<StagedImport> {
    let not_backup = || {
        Error::BadArchive(
            "not a MeshChatX backup archive (a ZIP with identity and database.db)".into(),
        )
    };
    let mut zip = ZipReader::open(archive).map_err(|e| match e {
        Error::BadArchive(why) => Error::BadArchive(format!("not a backup archive: {why}")),
        other => other,
    })?;
    let key_entry = zip.find("identity").cloned().ok_or_else(not_backup)?;
    let db_entry = zip.find("database.db").cloned().ok_or_else(not_backup)?;
    let key = zip.read_small(&key_entry, KEY_LEN as u64 + 1)?;
    if key.len() != KEY_LEN {
        return Err(Error::BadArchive(format!(
            "the archive's identity key is {} bytes, not {KEY_LEN}",
            key.len()
        )));
    }
    check_space(dir, zip.total_size())?;
    zip.extract(&db_entry, &dir.join("database.db"))?;
    if let Some(meta) = zip.find("metadata.json").cloned() {
        zip.extract(&meta, &dir.join("metadata.json"))?;
    }
    let integrity_check = check_staged_database(&dir.join("database.db"))?;
    write_private_file(&dir.join("identity"), &key)?;
    Ok(StagedImport {
        dir: dir.to_path_buf(),
        key,
        integrity_check,
    })
}
