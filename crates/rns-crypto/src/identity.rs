//! Identities: an X25519 key for encryption and an Ed25519 key for signing.
//!
//! The private form is 64 bytes, X25519 scalar then Ed25519 seed, which is also
//! the identity file on disk. The public form is 64 bytes, X25519 public then
//! Ed25519 public; its truncated hash is the identity hash.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroizing;

use crate::ecdh::{X25519_KEY_LEN, shared_from};
use crate::{CryptoError, CryptoRngCore, IdentityHash, hash::truncated_hash};

/// Length of a private or public identity key, in bytes.
pub const KEY_LEN: usize = 64;
/// Length of an Ed25519 signature, in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl Signature {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; SIGNATURE_LEN]>::try_from(bytes).ok().map(Self)
    }

    pub const fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

/// The public half of an identity: what announces carry and peers remember.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicIdentity {
    bytes: [u8; KEY_LEN],
    x25519: XPublic,
    ed25519: VerifyingKey,
    hash: IdentityHash,
}

impl PublicIdentity {
    /// Parses the 64-byte public key; fails if the Ed25519 half is not a valid point.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self, CryptoError> {
        let (x, e) = split_halves(bytes);
        let ed25519 = VerifyingKey::from_bytes(&e).map_err(|_| CryptoError::InvalidPublicKey)?;
        Ok(Self {
            bytes: *bytes,
            x25519: XPublic::from(x),
            ed25519,
            hash: IdentityHash(truncated_hash(bytes)),
        })
    }

    /// As [`from_bytes`](Self::from_bytes), from a slice that must be 64 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr = <[u8; KEY_LEN]>::try_from(bytes).map_err(|_| CryptoError::KeyLength {
            expected: "64",
            actual: bytes.len(),
        })?;
        Self::from_bytes(&arr)
    }

    pub fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.bytes
    }

    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    pub fn hash(&self) -> IdentityHash {
        self.hash
    }

    pub fn x25519_public(&self) -> &XPublic {
        &self.x25519
    }

    pub fn ed25519_public(&self) -> &VerifyingKey {
        &self.ed25519
    }

    /// Checks an Ed25519 signature. Like the reference, any failure is just `false`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.ed25519.verify_strict(message, &sig).is_ok()
    }
}

impl fmt::Debug for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicIdentity({})", self.hash)
    }
}

/// An identity with its private keys. Secrets are zeroized on drop and never
/// printed: `Debug` shows only the identity hash.
#[derive(Clone)]
pub struct PrivateIdentity {
    x25519: StaticSecret,
    ed25519: SigningKey,
    public: PublicIdentity,
}

impl PrivateIdentity {
    /// A new identity from the given RNG.
    pub fn generate(rng: &mut dyn CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_private_bytes(&bytes)
    }

    /// Loads the 64-byte private key (the identity file's content).
    pub fn from_private_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let (x, e) = split_halves(bytes);
        let x = Zeroizing::new(x);
        let e = Zeroizing::new(e);
        let x25519 = StaticSecret::from(*x);
        let ed25519 = SigningKey::from_bytes(&e);
        let mut public = [0u8; KEY_LEN];
        public[..32].copy_from_slice(XPublic::from(&x25519).as_bytes());
        public[32..].copy_from_slice(ed25519.verifying_key().as_bytes());
        let public = PublicIdentity {
            bytes: public,
            x25519: XPublic::from(&x25519),
            ed25519: ed25519.verifying_key(),
            hash: IdentityHash(truncated_hash(&public)),
        };
        Self {
            x25519,
            ed25519,
            public,
        }
    }

    /// As [`from_private_bytes`](Self::from_private_bytes), from a slice that must be
    /// 64 bytes long.
    pub fn from_private_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr = Zeroizing::new(<[u8; KEY_LEN]>::try_from(bytes).map_err(|_| {
            CryptoError::KeyLength {
                expected: "64",
                actual: bytes.len(),
            }
        })?);
        Ok(Self::from_private_bytes(&arr))
    }

    /// The 64-byte private key, for writing the identity file. The caller keeps it
    /// in `Zeroizing` so it is wiped after use.
    pub fn to_private_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        out[..32].copy_from_slice(self.x25519.as_bytes());
        out[32..].copy_from_slice(self.ed25519.as_bytes());
        out
    }

    pub fn public(&self) -> &PublicIdentity {
        &self.public
    }

    pub fn hash(&self) -> IdentityHash {
        self.public.hash
    }

    /// Signs `message` with the Ed25519 key (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.ed25519.sign(message).to_bytes())
    }

    /// ECDH of this identity's X25519 key with a peer's public key. Fails on a
    /// low-order peer key (see [`crate::ecdh::X25519Keypair::diffie_hellman`]).
    pub fn ecdh(
        &self,
        peer_public: &[u8; X25519_KEY_LEN],
    ) -> Result<Zeroizing<[u8; X25519_KEY_LEN]>, CryptoError> {
        shared_from(&self.x25519, peer_public)
    }
}

impl fmt::Debug for PrivateIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateIdentity({}, secret keys hidden)",
            self.public.hash
        )
    }
}

fn split_halves(bytes: &[u8; KEY_LEN]) -> ([u8; 32], [u8; 32]) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a.copy_from_slice(&bytes[..32]);
    b.copy_from_slice(&bytes[32..]);
    (a, b)
}
