//! The Token cipher (Fernet without version byte or timestamp):
//! `IV(16) || AES-CBC(PKCS7(plaintext)) || HMAC-SHA256(signing key, IV || ciphertext)`.
//!
//! Used for everything Reticulum encrypts: packets to identities, GROUP
//! destinations, link traffic and resources.

use std::fmt;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, BlockSizeUser, KeyIvInit, generic_array};
use aes::{Aes128, Aes256};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::CryptoRngCore;

/// Bytes a token adds to a plaintext, before padding: IV (16) and HMAC (32).
pub const TOKEN_OVERHEAD: usize = 48;
/// Length of the IV at the front of a token.
pub const IV_LEN: usize = 16;
/// Length of the HMAC at the end of a token.
pub const HMAC_LEN: usize = 32;
/// The AES block size, which the ciphertext is padded to.
pub const BLOCK_LEN: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// Why a token key or a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("token key must be 32 or 64 bytes, got {0}")]
    KeyLength(usize),
    #[error("token of {0} bytes is too short")]
    TooShort(usize),
    #[error("token ciphertext of {0} bytes is not a non-zero multiple of 16")]
    CiphertextLength(usize),
    #[error("token HMAC does not match")]
    Authentication,
    #[error("token padding value {0} is invalid")]
    Padding(u8),
}

/// Which AES variant a key selects (by its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenMode {
    /// 32-byte key: 16-byte signing key, AES-128-CBC.
    Aes128Cbc,
    /// 64-byte key: 32-byte signing key, AES-256-CBC.
    Aes256Cbc,
}

impl TokenMode {
    /// The length of a key for this mode.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc => 32,
            Self::Aes256Cbc => 64,
        }
    }
}

// The signing half comes first in the key bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
enum Keys {
    Aes128 {
        signing: [u8; 16],
        encryption: [u8; 16],
    },
    Aes256 {
        signing: [u8; 32],
        encryption: [u8; 32],
    },
}

/// A Token key. Zeroized on drop; `Debug` shows only the mode.
#[derive(Clone, ZeroizeOnDrop)]
pub struct Token {
    keys: Keys,
}

impl Token {
    /// A key from its bytes: 64 bytes for AES-256, 32 for AES-128.
    pub fn new(key: &[u8]) -> Result<Self, TokenError> {
        let mode = match key.len() {
            64 => TokenMode::Aes256Cbc,
            32 => TokenMode::Aes128Cbc,
            n => return Err(TokenError::KeyLength(n)),
        };
        Ok(Self::from_parts(mode, key))
    }

    /// A fresh random key of the given mode.
    pub fn generate(mode: TokenMode, rng: &mut dyn CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; 64]);
        let key = &mut bytes[..mode.key_len()];
        rng.fill_bytes(key);
        Self::from_parts(mode, key)
    }

    /// `key` is `mode.key_len()` bytes long: both callers ensure it.
    fn from_parts(mode: TokenMode, key: &[u8]) -> Self {
        let mut keys = match mode {
            TokenMode::Aes128Cbc => Keys::Aes128 {
                signing: [0; 16],
                encryption: [0; 16],
            },
            TokenMode::Aes256Cbc => Keys::Aes256 {
                signing: [0; 32],
                encryption: [0; 32],
            },
        };
        match &mut keys {
            Keys::Aes128 {
                signing,
                encryption,
            } => {
                signing.copy_from_slice(&key[..16]);
                encryption.copy_from_slice(&key[16..32]);
            }
            Keys::Aes256 {
                signing,
                encryption,
            } => {
                signing.copy_from_slice(&key[..32]);
                encryption.copy_from_slice(&key[32..64]);
            }
        }
        Self { keys }
    }

    pub fn mode(&self) -> TokenMode {
        match self.keys {
            Keys::Aes128 { .. } => TokenMode::Aes128Cbc,
            Keys::Aes256 { .. } => TokenMode::Aes256Cbc,
        }
    }

    /// The key bytes (signing half, then encryption half), for persisting a
    /// GROUP key. Wiped when the returned value drops.
    pub fn key_bytes(&self) -> Zeroizing<Vec<u8>> {
        let (s, e) = self.halves();
        let mut out = Zeroizing::new(Vec::with_capacity(s.len() + e.len()));
        out.extend_from_slice(s);
        out.extend_from_slice(e);
        out
    }

    fn halves(&self) -> (&[u8], &[u8]) {
        match &self.keys {
            Keys::Aes128 {
                signing,
                encryption,
            } => (signing, encryption),
            Keys::Aes256 {
                signing,
                encryption,
            } => (signing, encryption),
        }
    }

    /// Encrypts with a random IV (16 bytes drawn from `rng`).
    pub fn encrypt(&self, plaintext: &[u8], rng: &mut dyn CryptoRngCore) -> Vec<u8> {
        let mut iv = [0u8; IV_LEN];
        rng.fill_bytes(&mut iv);
        self.encrypt_with_iv(plaintext, &iv)
    }

    /// Encrypts with the given IV. Only for reproducing vectors and tests: an IV
    /// must never repeat under one key.
    pub fn encrypt_with_iv(&self, plaintext: &[u8], iv: &[u8; IV_LEN]) -> Vec<u8> {
        let padded_len = padded_len(plaintext.len());
        let mut out = Vec::with_capacity(IV_LEN + padded_len + HMAC_LEN);
        out.extend_from_slice(iv);
        out.extend_from_slice(plaintext);
        let pad = padded_len - plaintext.len();
        // PKCS7: `pad` bytes of value `pad`, always 1..=16.
        out.resize(IV_LEN + padded_len, pad as u8);
        match &self.keys {
            Keys::Aes128 { encryption, .. } => {
                let enc = cbc::Encryptor::<Aes128>::new(encryption.into(), iv.into());
                encrypt_blocks(enc, &mut out[IV_LEN..]);
            }
            Keys::Aes256 { encryption, .. } => {
                let enc = cbc::Encryptor::<Aes256>::new(encryption.into(), iv.into());
                encrypt_blocks(enc, &mut out[IV_LEN..]);
            }
        }
        let tag = self.mac(&out);
        out.extend_from_slice(&tag);
        out
    }

    /// Authenticates, then decrypts. The HMAC is checked in constant time before
    /// any decryption; the padding rule is the reference's lax one.
    pub fn decrypt(&self, token: &[u8]) -> Result<Vec<u8>, TokenError> {
        if token.len() <= HMAC_LEN {
            return Err(TokenError::TooShort(token.len()));
        }
        let ct_len = token.len().saturating_sub(IV_LEN + HMAC_LEN);
        if token.len() < IV_LEN + HMAC_LEN || ct_len == 0 || !ct_len.is_multiple_of(BLOCK_LEN) {
            return Err(TokenError::CiphertextLength(ct_len));
        }
        let (signed, tag) = token.split_at(token.len() - HMAC_LEN);
        self.keyed_mac()
            .chain_update(signed)
            .verify_slice(tag)
            .map_err(|_| TokenError::Authentication)?;
        let (iv, ct) = signed.split_at(IV_LEN);
        let mut iv_arr = [0u8; IV_LEN];
        iv_arr.copy_from_slice(iv);
        let mut pt = ct.to_vec();
        match &self.keys {
            Keys::Aes128 { encryption, .. } => {
                let dec = cbc::Decryptor::<Aes128>::new(encryption.into(), (&iv_arr).into());
                decrypt_blocks(dec, &mut pt);
            }
            Keys::Aes256 { encryption, .. } => {
                let dec = cbc::Decryptor::<Aes256>::new(encryption.into(), (&iv_arr).into());
                decrypt_blocks(dec, &mut pt);
            }
        }
        lax_unpad(&mut pt)?;
        Ok(pt)
    }

    fn mac(&self, data: &[u8]) -> [u8; HMAC_LEN] {
        self.keyed_mac()
            .chain_update(data)
            .finalize()
            .into_bytes()
            .into()
    }

    fn keyed_mac(&self) -> HmacSha256 {
        let (signing, _) = self.halves();
        // HMAC zero-pads keys shorter than its 64-byte block (RFC 2104), so padding
        // ours ourselves gives the same MAC through the infallible constructor.
        let mut block = hmac::digest::Key::<HmacSha256>::default();
        block[..signing.len()].copy_from_slice(signing);
        let mac = <HmacSha256 as KeyInit>::new(&block);
        block.as_mut_slice().zeroize();
        mac
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:?}, key hidden)", self.mode())
    }
}

/// The length of the token for a plaintext of `plaintext_len` bytes.
pub const fn token_len(plaintext_len: usize) -> usize {
    padded_len(plaintext_len) + TOKEN_OVERHEAD
}

/// PKCS7 always adds 1..=16 bytes.
const fn padded_len(len: usize) -> usize {
    (len / BLOCK_LEN + 1) * BLOCK_LEN
}

fn encrypt_blocks<C: BlockEncryptMut + BlockSizeUser<BlockSize = aes::cipher::consts::U16>>(
    mut cipher: C,
    buf: &mut [u8],
) {
    for chunk in buf.chunks_exact_mut(BLOCK_LEN) {
        cipher.encrypt_block_mut(generic_array::GenericArray::from_mut_slice(chunk));
    }
}

fn decrypt_blocks<C: BlockDecryptMut + BlockSizeUser<BlockSize = aes::cipher::consts::U16>>(
    mut cipher: C,
    buf: &mut [u8],
) {
    for chunk in buf.chunks_exact_mut(BLOCK_LEN) {
        cipher.decrypt_block_mut(generic_array::GenericArray::from_mut_slice(chunk));
    }
}

/// Removes `last byte` bytes. Like the reference, the padding content is not
/// checked; unlike a plain slice, a value past the data is refused, not a panic.
fn lax_unpad(data: &mut Vec<u8>) -> Result<(), TokenError> {
    let n = data.last().copied().unwrap_or(0);
    if usize::from(n) > BLOCK_LEN || usize::from(n) > data.len() {
        return Err(TokenError::Padding(n));
    }
    data.truncate(data.len() - usize::from(n));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lengths() {
        assert_eq!(Token::new(&[0; 64]).unwrap().mode(), TokenMode::Aes256Cbc);
        assert_eq!(Token::new(&[0; 32]).unwrap().mode(), TokenMode::Aes128Cbc);
        assert_eq!(Token::new(&[0; 48]).unwrap_err(), TokenError::KeyLength(48));
        assert_eq!(Token::new(&[]).unwrap_err(), TokenError::KeyLength(0));
    }

    #[test]
    fn key_bytes_round_trip_and_debug_hides_them() {
        let key: Vec<u8> = (0u8..64).collect();
        let t = Token::new(&key).unwrap();
        assert_eq!(&t.key_bytes()[..], &key[..]);
        assert_eq!(format!("{t:?}"), "Token(Aes256Cbc, key hidden)");
    }

    #[test]
    fn lengths_and_rejections() {
        let t = Token::new(&[7; 64]).unwrap();
        for len in [0, 1, 15, 16, 17, 100] {
            let tok = t.encrypt_with_iv(&vec![0xab; len], &[1; 16]);
            assert_eq!(tok.len(), token_len(len));
            assert_eq!(t.decrypt(&tok).unwrap(), vec![0xab; len]);
        }
        assert_eq!(t.decrypt(&[0; 32]), Err(TokenError::TooShort(32)));
        assert_eq!(t.decrypt(&[0; 48]), Err(TokenError::CiphertextLength(0)));
        assert_eq!(t.decrypt(&[0; 40]), Err(TokenError::CiphertextLength(0)));
        assert_eq!(t.decrypt(&[0; 65]), Err(TokenError::CiphertextLength(17)));
        assert_eq!(t.decrypt(&[0; 64]), Err(TokenError::Authentication));
        let mut tok = t.encrypt_with_iv(b"hello", &[1; 16]);
        tok[20] ^= 1;
        assert_eq!(t.decrypt(&tok), Err(TokenError::Authentication));
    }

    #[test]
    fn lax_unpad_rule() {
        let mut d = vec![1, 2, 3, 0];
        lax_unpad(&mut d).unwrap();
        assert_eq!(d, vec![1, 2, 3, 0]);
        let mut d = vec![9, 9, 9, 2];
        lax_unpad(&mut d).unwrap();
        assert_eq!(d, vec![9, 9]);
        let mut d = vec![0; 16];
        d[15] = 17;
        assert_eq!(lax_unpad(&mut d), Err(TokenError::Padding(17)));
        assert_eq!(lax_unpad(&mut vec![5, 5, 5]), Err(TokenError::Padding(5)));
    }
}
