//! Encryption to an identity (SINGLE destinations): an ephemeral X25519 exchange
//! with the identity key or its latest ratchet, HKDF salted with the identity
//! hash, then a Token. Wire form: `ephemeral public (32) || token`.

use std::fmt;

use zeroize::Zeroizing;

use crate::ecdh::{X25519_KEY_LEN, X25519Keypair};
use crate::hkdf::hkdf_array;
use crate::ratchet::Ratchet;
use crate::token::{IV_LEN, Token, token_len};
use crate::{CryptoError, CryptoRngCore, IdentityHash, PrivateIdentity, PublicIdentity, RatchetId};

/// Length of the derived Token key (AES-256).
const MESSAGE_KEY_LEN: usize = 64;

/// Why a ciphertext addressed to an identity did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    #[error("ciphertext of {0} bytes is too short")]
    TooShort(usize),
    /// No held key authenticated the token (with enforced ratchets the identity
    /// key is not tried at all).
    #[error(
        "no key decrypts this ({ratchets_tried} ratchets tried, identity key tried: {identity_tried})"
    )]
    NoMatchingKey {
        ratchets_tried: usize,
        identity_tried: bool,
    },
}

/// A decrypted plaintext and which ratchet opened it (`None`: the identity key).
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    pub plaintext: Vec<u8>,
    pub ratchet_id: Option<RatchetId>,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("plaintext_len", &self.plaintext.len())
            .field("ratchet_id", &self.ratchet_id)
            .finish()
    }
}

/// The length of the ciphertext for a plaintext of `plaintext_len` bytes.
pub const fn ciphertext_len(plaintext_len: usize) -> usize {
    X25519_KEY_LEN + token_len(plaintext_len)
}

impl PublicIdentity {
    /// Encrypts to this identity, or to `ratchet` (a ratchet public key from its
    /// latest announce) when given. Draws the ephemeral key (32 bytes) and then
    /// the IV (16 bytes) from `rng`. Fails only if the target key is of low order.
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        ratchet: Option<&[u8; X25519_KEY_LEN]>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Vec<u8>, CryptoError> {
        let ephemeral = X25519Keypair::generate(rng);
        let mut iv = [0u8; IV_LEN];
        rng.fill_bytes(&mut iv);
        self.encrypt_with(plaintext, ratchet, &ephemeral, &iv)
    }

    /// As [`encrypt`](Self::encrypt) with a given ephemeral key and IV, to
    /// reproduce vectors. Neither may ever be reused in real traffic.
    pub fn encrypt_with(
        &self,
        plaintext: &[u8],
        ratchet: Option<&[u8; X25519_KEY_LEN]>,
        ephemeral: &X25519Keypair,
        iv: &[u8; IV_LEN],
    ) -> Result<Vec<u8>, CryptoError> {
        let target = ratchet.unwrap_or(self.x25519_public().as_bytes());
        let shared = ephemeral.diffie_hellman(target)?;
        let token = message_token(&shared, &self.hash())?;
        let mut out = Vec::with_capacity(ciphertext_len(plaintext.len()));
        out.extend_from_slice(&ephemeral.public_bytes());
        out.extend_from_slice(&token.encrypt_with_iv(plaintext, iv));
        Ok(out)
    }
}

impl PrivateIdentity {
    /// Decrypts a ciphertext addressed to this identity. Each of `ratchets` is
    /// tried in order, then the identity key unless `enforce_ratchets` is set.
    pub fn decrypt(
        &self,
        ciphertext: &[u8],
        ratchets: &[Ratchet],
        enforce_ratchets: bool,
    ) -> Result<Decrypted, DecryptError> {
        let Some((ephemeral, token)) = split_ciphertext(ciphertext) else {
            return Err(DecryptError::TooShort(ciphertext.len()));
        };
        let hash = self.hash();
        for ratchet in ratchets {
            let shared = ratchet.keypair().diffie_hellman(&ephemeral);
            if let Some(plaintext) = open(shared, &hash, token) {
                return Ok(Decrypted {
                    plaintext,
                    ratchet_id: Some(ratchet.id()),
                });
            }
        }
        if !enforce_ratchets && let Some(plaintext) = open(self.ecdh(&ephemeral), &hash, token) {
            return Ok(Decrypted {
                plaintext,
                ratchet_id: None,
            });
        }
        Err(DecryptError::NoMatchingKey {
            ratchets_tried: ratchets.len(),
            identity_tried: !enforce_ratchets,
        })
    }
}

/// The ephemeral key and the token; `None` if there is no room for a token.
fn split_ciphertext(ciphertext: &[u8]) -> Option<([u8; X25519_KEY_LEN], &[u8])> {
    if ciphertext.len() <= X25519_KEY_LEN {
        return None;
    }
    let (eph, token) = ciphertext.split_at(X25519_KEY_LEN);
    Some((<[u8; X25519_KEY_LEN]>::try_from(eph).ok()?, token))
}

/// One decryption attempt; any failure just means "not this key".
fn open(
    shared: Result<Zeroizing<[u8; X25519_KEY_LEN]>, CryptoError>,
    hash: &IdentityHash,
    token: &[u8],
) -> Option<Vec<u8>> {
    let shared = shared.ok()?;
    message_token(&shared, hash).ok()?.decrypt(token).ok()
}

/// HKDF(64, shared, salt = the target identity hash, info empty). The salt is the
/// identity hash even when the shared secret came from a ratchet.
fn message_token(
    shared: &[u8; X25519_KEY_LEN],
    target: &IdentityHash,
) -> Result<Token, CryptoError> {
    let key = hkdf_array::<MESSAGE_KEY_LEN>(shared, Some(target.as_bytes()), None)?;
    Ok(Token::new(key.as_ref())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OsRng;

    #[test]
    fn round_trip_with_and_without_ratchets() {
        let id = PrivateIdentity::generate(&mut OsRng);
        let ratchet = Ratchet::generate(&mut OsRng);
        let stale = Ratchet::generate(&mut OsRng);
        let pub_id = id.public();

        let plain = pub_id
            .encrypt(b"to the identity", None, &mut OsRng)
            .unwrap();
        assert_eq!(plain.len(), ciphertext_len(15));
        let got = id
            .decrypt(&plain, std::slice::from_ref(&stale), false)
            .unwrap();
        assert_eq!(
            (got.plaintext.as_slice(), got.ratchet_id),
            (&b"to the identity"[..], None)
        );
        assert_eq!(
            id.decrypt(&plain, std::slice::from_ref(&stale), true)
                .unwrap_err(),
            DecryptError::NoMatchingKey {
                ratchets_tried: 1,
                identity_tried: false
            }
        );

        let rat = pub_id.encrypt(b"to the ratchet", Some(&ratchet.public_bytes()), &mut OsRng);
        let rat = rat.unwrap();
        let got = id.decrypt(&rat, &[stale, ratchet.clone()], true).unwrap();
        assert_eq!(got.ratchet_id, Some(ratchet.id()));
        assert_eq!(got.plaintext, b"to the ratchet");
        assert!(id.decrypt(&rat, &[], false).is_err());
    }

    #[test]
    fn short_and_hostile_input() {
        let id = PrivateIdentity::generate(&mut OsRng);
        assert_eq!(
            id.decrypt(&[], &[], false).unwrap_err(),
            DecryptError::TooShort(0)
        );
        assert_eq!(
            id.decrypt(&[1; 32], &[], false).unwrap_err(),
            DecryptError::TooShort(32)
        );
        // A low-order ephemeral key must not yield an all-zero, forgeable key.
        let mut ct = vec![0u8; 32];
        ct.extend(vec![0u8; 64]);
        assert!(id.decrypt(&ct, &[], false).is_err());
        assert!(
            id.public()
                .encrypt(b"x", Some(&[0; 32]), &mut OsRng)
                .is_err()
        );
    }
}
