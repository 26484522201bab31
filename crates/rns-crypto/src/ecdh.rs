//! X25519 key agreement outside an identity: ephemeral keys for encryption to an
//! identity and for link establishment, and the link key derivation.

use std::fmt;

use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use crate::hkdf::hkdf_into;
use crate::token::{Token, TokenMode};
use crate::{CryptoError, CryptoRngCore, DestinationHash};

/// Length of an X25519 key (public or private), in bytes.
pub const X25519_KEY_LEN: usize = 32;

/// An X25519 key pair. The secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct X25519Keypair {
    secret: StaticSecret,
    public: XPublic,
}

impl X25519Keypair {
    /// A new key pair: 32 bytes drawn from `rng`.
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; X25519_KEY_LEN]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_private_bytes(&bytes)
    }

    /// Loads a 32-byte private scalar (stored unclamped, as the reference stores it).
    pub fn from_private_bytes(bytes: &[u8; X25519_KEY_LEN]) -> Self {
        let secret = StaticSecret::from(*bytes);
        let public = XPublic::from(&secret);
        Self { secret, public }
    }

    /// The private scalar, as stored in ratchet files. Wiped when dropped.
    pub fn to_private_bytes(&self) -> Zeroizing<[u8; X25519_KEY_LEN]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    pub fn public_bytes(&self) -> [u8; X25519_KEY_LEN] {
        self.public.to_bytes()
    }

    /// ECDH with a peer's public key. Fails on a low-order peer key, whose
    /// all-zero result anyone could compute (the reference refuses it too).
    pub fn diffie_hellman(
        &self,
        peer_public: &[u8; X25519_KEY_LEN],
    ) -> Result<Zeroizing<[u8; X25519_KEY_LEN]>, CryptoError> {
        shared_from(&self.secret, peer_public)
    }
}

impl fmt::Debug for X25519Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519Keypair(public ")?;
        for b in &self.public.as_bytes()[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..., secret hidden)")
    }
}

/// ECDH of a raw private scalar with a peer's public key; see
/// [`X25519Keypair::diffie_hellman`].
pub fn x25519_shared(
    secret: &[u8; X25519_KEY_LEN],
    peer_public: &[u8; X25519_KEY_LEN],
) -> Result<Zeroizing<[u8; X25519_KEY_LEN]>, CryptoError> {
    shared_from(&StaticSecret::from(*secret), peer_public)
}

pub(crate) fn shared_from(
    secret: &StaticSecret,
    peer_public: &[u8; X25519_KEY_LEN],
) -> Result<Zeroizing<[u8; X25519_KEY_LEN]>, CryptoError> {
    let shared = secret.diffie_hellman(&XPublic::from(*peer_public));
    if !shared.was_contributory() {
        return Err(CryptoError::NonContributory);
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

/// The link's Token key: HKDF(L, ikm = shared secret, salt = link id, info empty),
/// with L = 64 for AES-256 links and 32 for AES-128 links.
pub fn derive_link_key(
    shared: &[u8; X25519_KEY_LEN],
    link_id: &DestinationHash,
    mode: TokenMode,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut key = Zeroizing::new(vec![0u8; mode.key_len()]);
    hkdf_into(&mut key, shared, Some(link_id.as_bytes()), None)?;
    Ok(key)
}

/// As [`derive_link_key`], ready to encrypt and decrypt link traffic.
pub fn derive_link_token(
    shared: &[u8; X25519_KEY_LEN],
    link_id: &DestinationHash,
    mode: TokenMode,
) -> Result<Token, CryptoError> {
    Ok(Token::new(&derive_link_key(shared, link_id, mode)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_and_low_order_keys_are_refused() {
        let a = X25519Keypair::from_private_bytes(&[1; 32]);
        let b = X25519Keypair::from_private_bytes(&[2; 32]);
        let ab = a.diffie_hellman(&b.public_bytes()).unwrap();
        let ba = x25519_shared(&b.to_private_bytes(), &a.public_bytes()).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(
            a.diffie_hellman(&[0; 32]).unwrap_err(),
            CryptoError::NonContributory
        );
        let shown = format!("{a:?}");
        assert!(shown.contains("secret hidden"), "{shown}");
    }

    #[test]
    fn link_key_lengths() {
        let id = DestinationHash([9; 16]);
        assert_eq!(
            derive_link_key(&[3; 32], &id, TokenMode::Aes256Cbc)
                .unwrap()
                .len(),
            64
        );
        let t = derive_link_token(&[3; 32], &id, TokenMode::Aes128Cbc).unwrap();
        assert_eq!(t.mode(), TokenMode::Aes128Cbc);
    }
}
