//! Ratchets on disk: our own destinations' ratchet keys (the signed file
//! format of `rns-crypto`, one file per destination) and the latest ratchet
//! each peer announced (see the parent module).

use std::path::{Path, PathBuf};

use rns_crypto::{DestinationHash, PrivateIdentity, RatchetSet, RememberedRatchet};
use rns_msgpack::Value;

use super::files::read_limited;
use super::{StorageError, versioned_rows, write_atomic};

const FORMAT_VERSION: u64 = 1;

/// The directory of our own destinations' ratchet keys, under `storage/`.
pub const OWN_RATCHETS_DIR: &str = "rs_ratchet_keys";

/// Where the ratchet keys of our destination `destination` are kept.
pub fn own_ratchets_path(storage_dir: &Path, destination: &DestinationHash) -> PathBuf {
    storage_dir.join(OWN_RATCHETS_DIR).join(hex(&destination.0))
}

/// Loads a destination's ratchet keys; `Ok(None)` when there is no file.
/// A file `identity` did not sign, or that does not parse, is an error.
pub fn load_own_ratchets(
    path: &Path,
    identity: &PrivateIdentity,
) -> Result<Option<RatchetSet>, StorageError> {
    let Some(bytes) = read_limited(path)? else {
        return Ok(None);
    };
    RatchetSet::from_file_bytes(&bytes, identity.public())
        .map(Some)
        .map_err(|e| StorageError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Writes a destination's ratchet keys, owner-only (0600).
pub fn save_own_ratchets(
    path: &Path,
    set: &RatchetSet,
    identity: &PrivateIdentity,
) -> Result<(), StorageError> {
    write_atomic(path, &set.to_file_bytes(identity), true)
}

/// `[1, [[dest: bin16, ratchet: bin], ...]]`, each `ratchet` the
/// `rns-crypto` remembered-ratchet bytes (msgpack `{"ratchet", "received"}`).
pub fn encode_remembered(ratchets: &[(DestinationHash, RememberedRatchet)]) -> Vec<u8> {
    let rows = ratchets
        .iter()
        .map(|(d, r)| Value::Array(vec![Value::bin(d.0.to_vec()), Value::bin(r.to_bytes())]))
        .collect();
    rns_msgpack::encode(&Value::Array(vec![
        Value::UInt(FORMAT_VERSION),
        Value::Array(rows),
    ]))
}

/// At most `limit` remembered ratchets; rows that do not parse are skipped.
pub fn decode_remembered(
    bytes: &[u8],
    limit: usize,
) -> Option<Vec<(DestinationHash, RememberedRatchet)>> {
    let rows = versioned_rows(bytes, FORMAT_VERSION)?;
    let parse = |row: &Value| {
        let [d, r] = row.as_array()? else {
            return None;
        };
        let d = d.as_bin().and_then(DestinationHash::from_slice)?;
        let r = RememberedRatchet::from_bytes(r.as_bin()?).ok()?;
        Some((d, r))
    };
    Some(rows.iter().filter_map(parse).take(limit).collect())
}

/// Remembered ratchets from `path`; nothing when it is missing or damaged
/// (a damaged file costs the ratchets, which the next announces bring back).
pub fn load_remembered(path: &Path, limit: usize) -> Vec<(DestinationHash, RememberedRatchet)> {
    read_limited(path)
        .ok()
        .flatten()
        .and_then(|b| decode_remembered(&b, limit))
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_crypto::OsRng;

    #[test]
    fn own_ratchets_round_trip_privately_and_only_for_their_identity() {
        let dir = std::env::temp_dir().join(format!("rns-net-ratchets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let id = PrivateIdentity::generate(&mut OsRng);
        let dest = DestinationHash([5; 16]);
        let path = own_ratchets_path(&dir, &dest);
        assert!(load_own_ratchets(&path, &id).unwrap().is_none());
        let mut set = RatchetSet::new();
        set.rotate(1.0, &mut OsRng);
        set.rotate(2.0, &mut OsRng);
        save_own_ratchets(&path, &set, &id).unwrap();
        let back = load_own_ratchets(&path, &id).unwrap().unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.newest_public(), set.newest_public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = PrivateIdentity::generate(&mut OsRng);
        assert!(load_own_ratchets(&path, &other).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn remembered_ratchets_round_trip() {
        let list = vec![
            (
                DestinationHash([1; 16]),
                RememberedRatchet::new([2; 32], 10.5),
            ),
            (
                DestinationHash([3; 16]),
                RememberedRatchet::new([4; 32], 11.0),
            ),
        ];
        let bytes = encode_remembered(&list);
        assert_eq!(decode_remembered(&bytes, 10).unwrap(), list);
        assert_eq!(decode_remembered(&bytes, 1).unwrap().len(), 1);
        assert!(decode_remembered(b"junk", 10).is_none());
    }
}
