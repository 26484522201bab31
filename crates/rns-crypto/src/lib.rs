//! Reticulum's cryptography: identities, the Token cipher, HKDF, encryption to an
//! identity, ratchets, destination hashes and IFAC.
//!
//! Owns: key material (zeroized on drop, never printed by `Debug`), the hash
//! newtypes every other crate uses (`IdentityHash`, `DestinationHash`, ...), and the
//! on-disk byte formats of identity and ratchet files.
//! Does not own: files, sockets, clocks or a source of randomness. Time comes in as
//! an argument; randomness comes in as a `rand_core::CryptoRngCore` so tests can
//! fix ephemeral keys and IVs and reproduce the reference's vectors.
//!
//! Every primitive comes from audited RustCrypto / dalek crates.

pub mod destination;
pub mod hash;
pub mod identity;
mod types;

pub use destination::{DestinationKind, destination_hash, destination_hash_for, name_hash};
pub use hash::{full_hash, random_hash, truncated_hash};
pub use identity::{PrivateIdentity, PublicIdentity, Signature};
pub use types::{DestinationHash, HashParseError, IdentityHash, NameHash, PacketHash};

/// Re-exported so callers name the RNG bound without depending on `rand_core`.
pub use rand_core::{CryptoRng, CryptoRngCore, OsRng, RngCore};

/// Errors from cryptographic operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("key has the wrong length: expected {expected} bytes, got {actual}")]
    KeyLength { expected: &'static str, actual: usize },
    #[error("not a valid public key")]
    InvalidPublicKey,
}
