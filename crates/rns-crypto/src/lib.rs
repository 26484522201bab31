//! Reticulum's cryptography: identities, the Token cipher, HKDF, encryption to an
//! identity, ratchets, destination hashes and IFAC.
//!
//! Owns: key material (zeroized on drop, never printed by `Debug`), the hash
//! newtypes every other crate uses (`IdentityHash`, `DestinationHash`, ...), and the
//! on-disk byte formats of identity and ratchet files.
//! Does not own: files, sockets, clocks or a source of randomness. Time comes in as
//! an argument (`f64` seconds since the Unix epoch, the reference's own unit);
//! randomness comes in as a `&mut dyn CryptoRngCore` so tests can fix ephemeral
//! keys and IVs and reproduce the reference's vectors. Persisted formats are
//! bytes in, bytes out.
//!
//! Every primitive comes from audited RustCrypto / dalek crates.

pub mod destination;
pub mod ecdh;
pub mod encrypt;
pub mod group;
pub mod hash;
pub mod hkdf;
pub mod identity;
pub mod ifac;
pub mod ratchet;
pub mod token;
mod types;

pub use destination::{DestinationKind, destination_hash, destination_hash_for, name_hash};
pub use ecdh::{X25519Keypair, derive_link_key, derive_link_token, x25519_shared};
pub use encrypt::{DecryptError, Decrypted};
pub use group::GroupKey;
pub use hash::{HashedPrefix, full_hash, random_hash, truncated_hash};
pub use hkdf::hkdf;
pub use identity::{PrivateIdentity, PublicIdentity, Signature};
pub use ifac::{IfacError, IfacKey};
pub use ratchet::{Ratchet, RatchetFileError, RatchetSet, RememberedRatchet, ratchet_id};
pub use token::{TOKEN_OVERHEAD, Token, TokenError, TokenMode};
pub use types::{DestinationHash, HashParseError, IdentityHash, NameHash, PacketHash, RatchetId};

/// Re-exported so callers name the RNG bound without depending on `rand_core`.
pub use rand_core::{CryptoRng, CryptoRngCore, OsRng, RngCore};

/// Errors from cryptographic operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("key has the wrong length: expected {expected} bytes, got {actual}")]
    KeyLength {
        expected: &'static str,
        actual: usize,
    },
    #[error("not a valid public key")]
    InvalidPublicKey,
    #[error("HKDF output length must be at least 1 byte")]
    HkdfOutputLength,
    #[error("cannot derive a key from empty input key material")]
    EmptyKeyMaterial,
    /// The peer's X25519 key is of low order: the shared secret would be all
    /// zeros, which an attacker can compute too.
    #[error("X25519 exchange is non-contributory (low-order public key)")]
    NonContributory,
    #[error(transparent)]
    Token(#[from] TokenError),
}
