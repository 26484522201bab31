//! Interface access codes: the per-interface key derived from a network name
//! and/or passphrase, and the masking of raw packets sent on such an interface.
//!
//! A masked packet is `[flags | 0x80, hops] || ifac || rest`, XORed with an HKDF
//! mask everywhere except over the ifac, where `ifac` is the tail of the IFAC
//! identity's signature over the unmasked packet.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::hash::full_hash;
use crate::hkdf::{hkdf, hkdf_array};
use crate::identity::{KEY_LEN, SIGNATURE_LEN};
use crate::{CryptoError, PrivateIdentity};

/// The fixed salt of the IFAC key derivation.
pub const IFAC_SALT: [u8; 32] = [
    0xad, 0xf5, 0x4d, 0x88, 0x2c, 0x9a, 0x9b, 0x80, 0x77, 0x1e, 0xb4, 0x99, 0x5d, 0x70, 0x2d, 0x4a,
    0x3e, 0x73, 0x33, 0x91, 0xb2, 0xa0, 0xf5, 0x3f, 0x41, 0x6d, 0x9f, 0x90, 0x7e, 0x55, 0xcf, 0xf8,
];
/// Bit 7 of the flags byte marks a packet as carrying an access code.
pub const IFAC_FLAG: u8 = 0x80;
/// The smallest access code, in bytes.
pub const IFAC_MIN_SIZE: usize = 1;
/// The largest access code: a whole signature.
pub const IFAC_MAX_SIZE: usize = SIGNATURE_LEN;
/// Default size for fast interfaces (TCP, UDP, Auto, Backbone, I2P, ...).
pub const IFAC_DEFAULT_SIZE: usize = 16;
/// Default size for slow interfaces (serial, KISS, AX.25, RNode, Pipe).
pub const IFAC_DEFAULT_SIZE_SLOW: usize = 8;

/// Why a packet could not be masked or was refused when unmasking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IfacError {
    #[error("IFAC needs a network name, a passphrase, or both")]
    NotConfigured,
    #[error("IFAC size must be {IFAC_MIN_SIZE}..={IFAC_MAX_SIZE} bytes, got {0}")]
    InvalidSize(usize),
    #[error("packet of {0} bytes is too short for IFAC")]
    TooShort(usize),
    #[error("packet on an IFAC interface lacks the IFAC flag")]
    FlagNotSet,
    /// A packet to be masked already has the flag: the receiver clears it
    /// before checking the code, so the code could never match.
    #[error("packet to mask already has the IFAC flag set")]
    FlagAlreadySet,
    #[error("packet's access code does not match")]
    Mismatch,
    #[error("IFAC key derivation failed: {0}")]
    Kdf(#[from] CryptoError),
}

/// Whether a raw packet's flags byte claims an access code. A packet that does
/// so on an interface without IFAC is dropped by the caller.
pub fn has_ifac_flag(raw: &[u8]) -> bool {
    raw.first().is_some_and(|b| b & IFAC_FLAG != 0)
}

/// An interface's access-code key and size. Secrets are zeroized on drop;
/// `Debug` shows only the size.
#[derive(Clone)]
pub struct IfacKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    identity: PrivateIdentity,
    size: usize,
}

impl IfacKey {
    /// Derives the key from the configured parts: origin = H(network name) ||
    /// H(passphrase) (absent parts are left out), key = HKDF(64, H(origin),
    /// [`IFAC_SALT`]). `size` is in bytes.
    pub fn derive(
        network_name: Option<&str>,
        passphrase: Option<&str>,
        size: usize,
    ) -> Result<Self, IfacError> {
        if network_name.is_none() && passphrase.is_none() {
            return Err(IfacError::NotConfigured);
        }
        let mut origin = Zeroizing::new(Vec::with_capacity(64));
        for part in [network_name, passphrase].into_iter().flatten() {
            origin.extend_from_slice(&full_hash(part.as_bytes()));
        }
        let origin_hash = Zeroizing::new(full_hash(&origin));
        let key = hkdf_array::<KEY_LEN>(origin_hash.as_ref(), Some(&IFAC_SALT), None)?;
        Self::from_key_bytes(&key, size)
    }

    /// From an already derived 64-byte key, loaded as an identity private key
    /// (X25519 || Ed25519 seed) whose signatures make the access codes.
    pub fn from_key_bytes(key: &[u8; KEY_LEN], size: usize) -> Result<Self, IfacError> {
        if !(IFAC_MIN_SIZE..=IFAC_MAX_SIZE).contains(&size) {
            return Err(IfacError::InvalidSize(size));
        }
        Ok(Self {
            key: Zeroizing::new(*key),
            identity: PrivateIdentity::from_private_bytes(key),
            size,
        })
    }

    /// The access-code length in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The derived key bytes (secret).
    pub fn key_bytes(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// The identity the key loads as; its signatures make the access codes.
    pub fn identity(&self) -> &PrivateIdentity {
        &self.identity
    }

    /// Adds the access code to a raw packet and masks it for sending. The raw
    /// packet must be at least 3 bytes and must not have the IFAC flag set.
    pub fn mask(&self, raw: &[u8]) -> Result<Vec<u8>, IfacError> {
        if raw.len() <= 2 {
            return Err(IfacError::TooShort(raw.len()));
        }
        if has_ifac_flag(raw) {
            return Err(IfacError::FlagAlreadySet);
        }
        let code = self.code_for(raw);
        let mask = hkdf(raw.len() + self.size, &code, Some(self.key.as_ref()), None)?;
        let mut out = Vec::with_capacity(raw.len() + self.size);
        out.extend_from_slice(&[raw[0] | IFAC_FLAG, raw[1]]);
        out.extend_from_slice(&code);
        out.extend_from_slice(&raw[2..]);
        self.apply_mask(&mut out, &mask);
        out[0] |= IFAC_FLAG;
        Ok(out)
    }

    /// Unmasks a received packet, strips the access code and checks it (in
    /// constant time). Any failure means the packet is dropped.
    pub fn unmask(&self, masked: &[u8]) -> Result<Vec<u8>, IfacError> {
        let code_end = 2 + self.size;
        if masked.len() <= code_end {
            return Err(IfacError::TooShort(masked.len()));
        }
        if !has_ifac_flag(masked) {
            return Err(IfacError::FlagNotSet);
        }
        let code = masked[2..code_end].to_vec();
        let mask = hkdf(masked.len(), &code, Some(self.key.as_ref()), None)?;
        let mut raw = masked.to_vec();
        self.apply_mask(&mut raw, &mask);
        raw[0] &= !IFAC_FLAG;
        raw.drain(2..code_end);
        if bool::from(self.code_for(&raw).ct_eq(&code)) {
            Ok(raw)
        } else {
            Err(IfacError::Mismatch)
        }
    }

    /// The last `size` bytes of the IFAC identity's signature over `raw`.
    fn code_for(&self, raw: &[u8]) -> Vec<u8> {
        self.identity.sign(raw).0[SIGNATURE_LEN - self.size..].to_vec()
    }

    /// XORs everything but the access code itself (bytes 2..2+size).
    fn apply_mask(&self, buf: &mut [u8], mask: &[u8]) {
        let code = 2..2 + self.size;
        for (i, (b, m)) in buf.iter_mut().zip(mask).enumerate() {
            if !code.contains(&i) {
                *b ^= m;
            }
        }
    }
}

impl fmt::Debug for IfacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IfacKey(size {}, key hidden)", self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_checked() {
        assert_eq!(
            IfacKey::derive(None, None, 16).unwrap_err(),
            IfacError::NotConfigured
        );
        assert_eq!(
            IfacKey::derive(Some("n"), None, 0).unwrap_err(),
            IfacError::InvalidSize(0)
        );
        assert_eq!(
            IfacKey::derive(Some("n"), None, 65).unwrap_err(),
            IfacError::InvalidSize(65)
        );
        assert!(IfacKey::derive(None, Some("p"), 64).is_ok());
    }

    #[test]
    fn each_configured_part_changes_the_key() {
        let a = IfacKey::derive(Some("net"), None, 8).unwrap();
        let b = IfacKey::derive(None, Some("net"), 8).unwrap();
        let c = IfacKey::derive(Some("net"), Some("pass"), 8).unwrap();
        // Name alone and passphrase alone hash the same origin: only one part.
        assert_eq!(a.key_bytes(), b.key_bytes());
        assert_ne!(a.key_bytes(), c.key_bytes());
        assert_eq!(format!("{a:?}"), "IfacKey(size 8, key hidden)");
    }

    #[test]
    fn flag_and_length_checks() {
        let k = IfacKey::derive(Some("net"), None, 8).unwrap();
        assert_eq!(k.mask(&[0, 0]).unwrap_err(), IfacError::TooShort(2));
        assert_eq!(
            k.mask(&[0x80, 0, 0]).unwrap_err(),
            IfacError::FlagAlreadySet
        );
        assert_eq!(k.unmask(&[0x80; 10]).unwrap_err(), IfacError::TooShort(10));
        assert_eq!(k.unmask(&[0x00; 11]).unwrap_err(), IfacError::FlagNotSet);
        assert_eq!(k.unmask(&[0x80; 11]).unwrap_err(), IfacError::Mismatch);
        assert!(has_ifac_flag(&[0x81]) && !has_ifac_flag(&[0x01]) && !has_ifac_flag(&[]));
    }
}
