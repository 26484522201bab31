//! The storage directory's layout, as the reference lays it out:
//! `<storage>/identity` (the current identity's key file) and one directory
//! per identity, `<storage>/identities/<identity_hash>/`, holding its
//! `identity`, `database.db` and `metadata.json`. Key files are written
//! atomically and readable by the owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result, Store};

/// A storage directory (`--storage-dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageDir {
    root: PathBuf,
}

/// Whether `s` is a 16-byte hash as the reference writes it: 32 lowercase hex digits.
pub fn is_hash_hex(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl StorageDir {
    /// The storage directory at `root` (nothing is created yet).
    pub fn new(root: impl Into<PathBuf>) -> StorageDir {
        StorageDir { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<storage>/identity`: the current identity's private key.
    pub fn identity_file(&self) -> PathBuf {
        self.root.join("identity")
    }

    /// `<storage>/identities/<hash>/`.
    pub fn identity_dir(&self, identity_hash: &str) -> Result<PathBuf> {
        if !is_hash_hex(identity_hash) {
            return Err(Error::InvalidHash(identity_hash.to_owned()));
        }
        Ok(self.root.join("identities").join(identity_hash))
    }

    /// `<storage>/identities/<hash>/database.db`.
    pub fn database_path(&self, identity_hash: &str) -> Result<PathBuf> {
        Ok(self.identity_dir(identity_hash)?.join("database.db"))
    }

    /// `<storage>/identities/<hash>/identity`: that identity's private key.
    pub fn identity_key_path(&self, identity_hash: &str) -> Result<PathBuf> {
        Ok(self.identity_dir(identity_hash)?.join("identity"))
    }

    /// `<storage>/identities/<hash>/metadata.json`: what the identity list
    /// shows without opening the database (display name, icon).
    pub fn metadata_path(&self, identity_hash: &str) -> Result<PathBuf> {
        Ok(self.identity_dir(identity_hash)?.join("metadata.json"))
    }

    /// Creates `<storage>/identities/<hash>/` (mode 0700) if it is missing.
    pub fn create_identity_dir(&self, identity_hash: &str) -> Result<PathBuf> {
        let dir = self.identity_dir(identity_hash)?;
        create_private_dir(&dir)?;
        Ok(dir)
    }

    /// Removes an identity's directory and everything in it (key, database,
    /// metadata). Missing is not an error.
    pub fn remove_identity_dir(&self, identity_hash: &str) -> Result<()> {
        let dir = self.identity_dir(identity_hash)?;
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// The identities that have a directory here (sorted): directories named
    /// by a hash that hold an `identity` file or a `database.db`.
    pub fn identities(&self) -> Result<Vec<String>> {
        let dir = self.root.join("identities");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let path = entry.path();
            if is_hash_hex(&name)
                && path.is_dir()
                && (path.join("identity").is_file() || path.join("database.db").is_file())
            {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Opens (creating the directory and database if needed) an identity's store.
    pub fn open_identity(&self, identity_hash: &str) -> Result<Store> {
        let dir = self.identity_dir(identity_hash)?;
        create_private_dir(&dir)?;
        Store::open(dir.join("database.db"))
    }
}

/// Writes `bytes` to a mode-0600 temporary file beside `path`, syncs it and
/// renames it into place, so a crash leaves the old file or the whole new
/// one, and no other user can read a key even for a moment.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    // The mode given to open() is filtered by the umask, and an old
    // temporary file keeps its mode: set it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_written_whole_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let root = std::env::temp_dir().join(format!("mcx-store-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let storage = StorageDir::new(&root);
        let hash = "ab".repeat(16);
        let key = storage.identity_key_path(&hash).unwrap();
        write_private_file(&key, &[1; 64]).unwrap();
        write_private_file(&key, &[2; 64]).unwrap();
        assert_eq!(std::fs::read(&key).unwrap(), vec![2; 64]);
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(storage.identities().unwrap(), vec![hash.clone()]);
        assert!(storage.identity_key_path("../x").is_err());
        storage.remove_identity_dir(&hash).unwrap();
        storage.remove_identity_dir(&hash).unwrap();
        assert!(storage.identities().unwrap().is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
