//! The byte formats ratchets are persisted in (the caller does the file I/O):
//! a destination's own signed ratchet list, and a receiver's remembered ratchet.

use rns_msgpack::{DecodeError, Value, decode, encode};
use zeroize::{Zeroize, Zeroizing};

use super::{RATCHET_EXPIRY, Ratchet, RatchetSet, ratchet_id};
use crate::ecdh::X25519_KEY_LEN;
use crate::{PrivateIdentity, PublicIdentity, RatchetId, Signature};

/// Why persisted ratchet bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RatchetFileError {
    #[error("ratchet data is not msgpack: {0}")]
    Msgpack(#[from] DecodeError),
    #[error("ratchet data is malformed: {0}")]
    Malformed(&'static str),
    #[error("ratchet file signature does not verify")]
    BadSignature,
}

impl RatchetSet {
    /// The destination's ratchet file: msgpack `{"signature": sig, "ratchets":
    /// packed}`, where `packed` is the msgpack list of private ratchet keys (newest
    /// first) and `sig` is `identity`'s signature over `packed`. The bytes hold
    /// secrets and are wiped when dropped.
    pub fn to_file_bytes(&self, identity: &PrivateIdentity) -> Zeroizing<Vec<u8>> {
        let mut list = Value::Array(
            self.ratchets
                .iter()
                .map(|r| Value::bin(r.to_private_bytes().to_vec()))
                .collect(),
        );
        let packed = Zeroizing::new(encode(&list));
        wipe(&mut list);
        let signature = identity.sign(&packed);
        let mut file = Value::Map(vec![
            (Value::from("signature"), Value::bin(signature.0.to_vec())),
            (Value::from("ratchets"), Value::bin(packed.to_vec())),
        ]);
        let out = Zeroizing::new(encode(&file));
        wipe(&mut file);
        out
    }

    /// Loads a ratchet file written by [`to_file_bytes`](Self::to_file_bytes),
    /// refusing it unless `identity` signed it. The file carries no time, so the
    /// loaded set rotates at its first announce. Ratchets past the default
    /// retained count are dropped.
    pub fn from_file_bytes(
        bytes: &[u8],
        identity: &PublicIdentity,
    ) -> Result<Self, RatchetFileError> {
        let mut file = decode(bytes)?;
        let result = Self::from_file_value(&file, identity);
        wipe(&mut file);
        result
    }

    fn from_file_value(file: &Value, identity: &PublicIdentity) -> Result<Self, RatchetFileError> {
        let signature = file
            .map_get_str("signature")
            .and_then(Value::as_bin)
            .and_then(Signature::from_slice)
            .ok_or(RatchetFileError::Malformed("missing or bad signature"))?;
        let packed = file
            .map_get_str("ratchets")
            .and_then(Value::as_bin)
            .ok_or(RatchetFileError::Malformed("missing ratchets"))?;
        if !identity.verify(packed, &signature) {
            return Err(RatchetFileError::BadSignature);
        }
        let mut list = decode(packed)?;
        let ratchets = parse_private_list(&list);
        wipe(&mut list);
        let mut set = Self::new();
        set.ratchets = ratchets?;
        set.ratchets.truncate(set.retained);
        Ok(set)
    }
}

fn parse_private_list(list: &Value) -> Result<Vec<Ratchet>, RatchetFileError> {
    let items = list
        .as_array()
        .ok_or(RatchetFileError::Malformed("ratchets is not a list"))?;
    items
        .iter()
        .map(|item| {
            let bytes = item
                .as_bin()
                .and_then(|b| <[u8; X25519_KEY_LEN]>::try_from(b).ok())
                .map(Zeroizing::new)
                .ok_or(RatchetFileError::Malformed("a ratchet is not 32 bytes"))?;
            Ok(Ratchet::from_private_bytes(&bytes))
        })
        .collect()
}

/// Zeroizes every byte string in a msgpack value that held key material.
fn wipe(value: &mut Value) {
    match value {
        Value::Bin(b) => b.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Map(pairs) => pairs.iter_mut().for_each(|(_, v)| wipe(v)),
        _ => {}
    }
}

/// The latest ratchet a receiver knows for a destination, persisted as msgpack
/// `{"ratchet": public key, "received": time}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RememberedRatchet {
    /// The ratchet's X25519 public key.
    pub public: [u8; X25519_KEY_LEN],
    /// When it was received, in seconds since the Unix epoch.
    pub received: f64,
}

impl RememberedRatchet {
    pub fn new(public: [u8; X25519_KEY_LEN], received: f64) -> Self {
        Self { public, received }
    }

    pub fn id(&self) -> RatchetId {
        ratchet_id(&self.public)
    }

    /// Whether it should be forgotten: more than [`RATCHET_EXPIRY`] has passed.
    pub fn is_expired(&self, now: f64) -> bool {
        now > self.received + RATCHET_EXPIRY
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&Value::Map(vec![
            (Value::from("ratchet"), Value::bin(self.public.to_vec())),
            (Value::from("received"), Value::F64(self.received)),
        ]))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RatchetFileError> {
        let value = decode(bytes)?;
        let public = value
            .map_get_str("ratchet")
            .and_then(Value::as_bin)
            .and_then(|b| <[u8; X25519_KEY_LEN]>::try_from(b).ok())
            .ok_or(RatchetFileError::Malformed("ratchet is not 32 bytes"))?;
        let received = value
            .map_get_str("received")
            .and_then(Value::as_f64)
            .ok_or(RatchetFileError::Malformed("received is not a number"))?;
        Ok(Self { public, received })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OsRng;

    #[test]
    fn own_file_round_trips_and_checks_the_signature() {
        let id = PrivateIdentity::generate(&mut OsRng);
        let mut set = RatchetSet::new();
        for t in 0..3 {
            set.rotate(f64::from(t), &mut OsRng);
        }
        let bytes = set.to_file_bytes(&id);
        let back = RatchetSet::from_file_bytes(&bytes, id.public()).unwrap();
        let ids = |s: &RatchetSet| s.ratchets().iter().map(Ratchet::id).collect::<Vec<_>>();
        assert_eq!(ids(&back), ids(&set));
        assert_eq!(back.latest_time(), 0.0);

        let other = PrivateIdentity::generate(&mut OsRng);
        let err = RatchetSet::from_file_bytes(&bytes, other.public()).unwrap_err();
        assert_eq!(err, RatchetFileError::BadSignature);
    }

    #[test]
    fn own_file_layout() {
        let id = PrivateIdentity::from_private_bytes(&[5; 64]);
        let mut set = RatchetSet::new();
        set.push_newest(Ratchet::from_private_bytes(&[1; 32]), 10.0);
        let file = decode(&set.to_file_bytes(&id)).unwrap();
        let keys: Vec<_> = file
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, vec![Some("signature"), Some("ratchets")]);
        let packed = file.map_get_str("ratchets").unwrap().as_bin().unwrap();
        // fixarray(1), bin8(32), then the key.
        assert_eq!(&packed[..3], &[0x91, 0xc4, 0x20]);
        assert_eq!(&packed[3..], &[1; 32]);
    }

    #[test]
    fn remembered_ratchet_round_trip_and_expiry() {
        let r = RememberedRatchet::new([7; 32], 1_700_000_000.25);
        let bytes = r.to_bytes();
        assert_eq!(bytes[0], 0x82);
        assert_eq!(RememberedRatchet::from_bytes(&bytes).unwrap(), r);
        assert!(!r.is_expired(r.received + RATCHET_EXPIRY));
        assert!(r.is_expired(r.received + RATCHET_EXPIRY + 1.0));
        assert!(RememberedRatchet::from_bytes(&[0x80]).is_err());
        assert!(RememberedRatchet::from_bytes(&[]).is_err());
    }
}
