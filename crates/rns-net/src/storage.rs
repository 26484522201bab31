//! What the driver keeps on disk under `<configdir>/storage/`: the transport
//! identity, the known destinations, the path table and ratchets.
//!
//! Files are replaced atomically (temp file, fsync, rename), so a crash leaves
//! either the old or the new version; all are owner-only (0600). Our own
//! formats, in msgpack:
//!
//! * `transport_identity`: the 64 raw private-key bytes (X25519 || Ed25519
//!   seed), the same bytes and place the reference uses.
//! * `rs_known_destinations`: `[1, [[dest: bin16, public_key: bin64,
//!   app_data: bin | nil, last_seen: f64], ...]]`.
//! * `rs_path_table`: `[2, [[dest: bin16, next_hop: bin16, hops: uint,
//!   timestamp: f64, expires: f64, interface: str, emitted: uint,
//!   random_blobs: [bin10, ...], announce: bin], ...]]`: every path in full,
//!   restored at start (see [`crate::driver`] for how a path finds its
//!   interface again). Version 1 files (no announce) are ignored.
//! * `rs_remembered_ratchets`: `[1, [[dest: bin16, ratchet: bin], ...]]`, the
//!   latest ratchet each peer announced, `ratchet` in the `rns-crypto`
//!   remembered-ratchet format (msgpack `{"ratchet": bin32, "received": f64}`).
//! * `rs_ratchet_keys/<destination hash hex>`: a ratcheted destination of ours,
//!   its private ratchet keys in the `rns-crypto` ratchet-file format (msgpack
//!   `{"signature", "ratchets"}`, signed by the destination's identity).
//!
//! The `rs_` names keep these apart from the reference's own files when both
//! implementations share a config directory.

mod files;
mod known;
mod paths;
mod ratchets;

use std::path::{Path, PathBuf};

use rns_crypto::{OsRng, PrivateIdentity};
use rns_msgpack::Value;

pub use files::write_atomic;
pub use known::{KnownDestination, KnownDestinations};
pub use paths::{PERSISTED_BLOBS, StoredPath};
pub use ratchets::{
    OWN_RATCHETS_DIR, decode_remembered, encode_remembered, load_own_ratchets, load_remembered,
    own_ratchets_path, save_own_ratchets,
};

/// Files larger than this are not ours (or not intact) and are not loaded.
pub const MAX_STORAGE_FILE: u64 = 64 * 1024 * 1024;

/// Why storage could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// The `storage/` directory of a config directory.
pub fn storage_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("storage")
}

/// Loads `<configdir>/storage/transport_identity`, or creates it with a fresh
/// identity when it does not exist.
pub fn load_or_create_transport_identity(
    config_dir: &Path,
) -> Result<PrivateIdentity, StorageError> {
    let path = storage_dir(config_dir).join("transport_identity");
    match files::read_limited(&path) {
        Ok(Some(bytes)) => {
            PrivateIdentity::from_private_slice(&bytes).map_err(|e| StorageError::Corrupt {
                path,
                message: format!("not a 64-byte identity: {e}"),
            })
        }
        Ok(None) => {
            let identity = PrivateIdentity::generate(&mut OsRng);
            write_atomic(&path, identity.to_private_bytes().as_ref(), true)?;
            Ok(identity)
        }
        Err(e) => Err(e),
    }
}

/// The whole file, `None` when it is missing, unreadable or too large.
pub(crate) fn read_file(path: &Path) -> Option<Vec<u8>> {
    files::read_limited(path).ok().flatten()
}

/// The rows of a `[version, [row, ...]]` file of the expected version.
fn versioned_rows(bytes: &[u8], expected: u64) -> Option<Vec<Value>> {
    let value = rns_msgpack::decode(bytes).ok()?;
    let [version, rows] = value.as_array()? else {
        return None;
    };
    if version.as_u64()? != expected {
        return None;
    }
    Some(rows.as_array()?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_identity_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("rns-net-id-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = load_or_create_transport_identity(&dir).unwrap();
        let b = load_or_create_transport_identity(&dir).unwrap();
        assert_eq!(a.hash(), b.hash());
        let path = dir.join("storage/transport_identity");
        assert_eq!(std::fs::read(&path).unwrap().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            load_or_create_transport_identity(&dir),
            Err(StorageError::Corrupt { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
