//! The storage directory's layout, as the reference lays it out:
//! `<storage>/identity` (the current identity's key file) and one directory
//! per identity, `<storage>/identities/<identity_hash>/`, holding its
//! `identity` and `database.db`.

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

fn create_private_dir(dir: &Path) -> Result<()> {
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
