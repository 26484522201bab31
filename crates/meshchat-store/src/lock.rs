//! The storage lock: `<storage>/.meshchatx.lock`, as the reference names it.
//! An exclusive advisory lock (`flock`) on that file for as long as the
//! process runs, so a second instance cannot open the same databases and
//! key files. The file holds the owner's process id, only to name it in the
//! error; the lock itself, not the file's presence, decides, so a stale file
//! left by a crash never blocks a start.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in the storage directory.
pub const LOCK_FILE: &str = ".meshchatx.lock";

/// Why the storage directory could not be locked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "the storage directory {dir} is in use by another MeshChatX (process {owner}); \
         stop it first, or use another --storage-dir"
    )]
    InUse {
        dir: PathBuf,
        /// The other process's id as it wrote it, or "unknown".
        owner: String,
    },
    #[error("locking {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held for as long as the process uses the storage directory; dropping it
/// (or the process ending, however it ends) releases the lock.
#[derive(Debug)]
pub struct StorageLock {
    _file: File,
    path: PathBuf,
}

impl StorageLock {
    /// Takes the lock on `dir` (creating the directory and the lock file if
    /// needed) without waiting.
    pub fn acquire(dir: &Path) -> Result<StorageLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        // Not truncated on open: the owner's pid must stay readable to a
        // loser of the race.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                return Err(LockError::InUse {
                    dir: dir.to_path_buf(),
                    owner: if owner.is_empty() {
                        "unknown".into()
                    } else {
                        owner.chars().take(32).collect()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(StorageLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("mcx-store-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = StorageLock::acquire(&dir).unwrap();
        let pid = std::process::id().to_string();
        assert_eq!(std::fs::read_to_string(first.path()).unwrap(), pid);
        // flock locks belong to the open file description, so a second open
        // in the same process conflicts just like another process would.
        match StorageLock::acquire(&dir) {
            Err(LockError::InUse { owner, dir: d }) => {
                assert_eq!(owner, pid);
                assert_eq!(d, dir);
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        let again = StorageLock::acquire(&dir).unwrap();
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
