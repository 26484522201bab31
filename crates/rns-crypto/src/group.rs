//! GROUP destination keys: one symmetric Token key shared by every member. There
//! is no ephemeral key, so the wire body is the token alone.

use zeroize::Zeroizing;

use crate::CryptoRngCore;
use crate::token::{IV_LEN, Token, TokenError, TokenMode};

/// A GROUP destination's key: 64 bytes (AES-256) by default, or 32 (AES-128).
/// Zeroized on drop; `Debug` hides it.
#[derive(Debug, Clone)]
pub struct GroupKey {
    token: Token,
}

impl GroupKey {
    /// A new random 64-byte (AES-256) key.
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Self {
        Self::generate_with_mode(TokenMode::Aes256Cbc, rng)
    }

    pub fn generate_with_mode(mode: TokenMode, rng: &mut dyn CryptoRngCore) -> Self {
        Self {
            token: Token::generate(mode, rng),
        }
    }

    /// Loads a shared key: 64 or 32 bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, TokenError> {
        Ok(Self {
            token: Token::new(key)?,
        })
    }

    /// The key bytes, for storing or sharing with members. Wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.token.key_bytes()
    }

    pub fn mode(&self) -> TokenMode {
        self.token.mode()
    }

    /// Encrypts a payload for the group (the IV comes from `rng`).
    pub fn encrypt(&self, plaintext: &[u8], rng: &mut dyn CryptoRngCore) -> Vec<u8> {
        self.token.encrypt(plaintext, rng)
    }

    /// As [`encrypt`](Self::encrypt) with a given IV, for vectors and tests.
    pub fn encrypt_with_iv(&self, plaintext: &[u8], iv: &[u8; IV_LEN]) -> Vec<u8> {
        self.token.encrypt_with_iv(plaintext, iv)
    }

    pub fn decrypt(&self, token: &[u8]) -> Result<Vec<u8>, TokenError> {
        self.token.decrypt(token)
    }

    pub fn token(&self) -> &Token {
        &self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OsRng;

    #[test]
    fn default_is_aes256_and_round_trips() {
        let key = GroupKey::generate(&mut OsRng);
        assert_eq!(key.mode(), TokenMode::Aes256Cbc);
        assert_eq!(key.to_bytes().len(), 64);
        let same = GroupKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(
            same.decrypt(&key.encrypt(b"hi group", &mut OsRng)).unwrap(),
            b"hi group"
        );

        let small = GroupKey::generate_with_mode(TokenMode::Aes128Cbc, &mut OsRng);
        assert_eq!(small.to_bytes().len(), 32);
        assert!(GroupKey::from_bytes(&[0; 16]).is_err());
        assert!(format!("{key:?}").contains("key hidden"));
    }
}
