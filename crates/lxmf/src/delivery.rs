//! The forms a packed message takes for each delivery method (protocol.md §17),
//! the size limits that pick between a packet and a resource, and the message
//! states the router reports.
//!
//! * Opportunistic: one encrypted packet carrying `packed[16..]` (the packet
//!   header already names the destination).
//! * Direct: the full packed bytes over a link.
//! * Propagated and paper: a container `dest || encrypt(packed[16..])` addressed
//!   to the recipient's identity; see [`crate::propagation`] and [`crate::paper`].

use rns_crypto::ecdh::X25519Keypair;
use rns_crypto::hash::full_hash;
use rns_crypto::token::IV_LEN;
use rns_crypto::{
    CryptoError, CryptoRngCore, DecryptError, DestinationHash, IdentityHash, PrivateIdentity,
    PublicIdentity, Ratchet, destination_hash, name_hash,
};

use crate::message::DESTINATION_LENGTH;

/// Plaintext that fits one encrypted packet (`ENCRYPTED_PACKET_MDU`).
pub const ENCRYPTED_PACKET_MDU: usize = 383;
/// Data that fits one link packet (`LINK_PACKET_MDU`).
pub const LINK_PACKET_MDU: usize = 431;
/// Data that fits one plain packet (`PLAIN_PACKET_MDU`).
pub const PLAIN_PACKET_MDU: usize = 464;
/// Largest content size sent opportunistically; above it the reference falls back
/// to DIRECT.
pub const ENCRYPTED_PACKET_MAX_CONTENT: i64 = 287;
/// Largest content size sent as one link packet; above it, a resource.
pub const LINK_PACKET_MAX_CONTENT: i64 = 319;
pub const PLAIN_PACKET_MAX_CONTENT: i64 = 368;
/// Largest paper container: (2953 − 6) × 6 / 8.
pub const PAPER_MDU: usize = 2210;
/// Bytes a QR code (error correction L) holds.
pub const QR_MAX_STORAGE: usize = 2953;

/// How a message travels (the reference's method constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Method {
    Opportunistic = 1,
    Direct = 2,
    Propagated = 3,
    Paper = 5,
}

impl Method {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Opportunistic,
            2 => Self::Direct,
            3 => Self::Propagated,
            5 => Self::Paper,
            _ => return None,
        })
    }
}

/// Whether a message goes as one packet or as a resource. The reference
/// reports paper messages with representation 5 (its PAPER constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Representation {
    Packet = 1,
    Resource = 2,
    Paper = 5,
}

/// Message states (the reference's numbering, which apps persist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    Generating = 0x00,
    Outbound = 0x01,
    Sending = 0x02,
    Sent = 0x04,
    Delivered = 0x08,
    Rejected = 0xFD,
    Cancelled = 0xFE,
    Failed = 0xFF,
}

impl State {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0x00 => Self::Generating,
            0x01 => Self::Outbound,
            0x02 => Self::Sending,
            0x04 => Self::Sent,
            0x08 => Self::Delivered,
            0xFD => Self::Rejected,
            0xFE => Self::Cancelled,
            0xFF => Self::Failed,
            _ => return None,
        })
    }
}

/// The method and representation the reference picks for a message of
/// `content_size` (see `PackedMessage::content_size`) and, for propagated and
/// paper, a container of `container_len` bytes (without propagation stamp).
/// Observed thresholds (docs/interop.md, LXMF): opportunistic above 287 becomes
/// direct; direct above 319 is a resource; propagated is a packet while the
/// container is at most 319 bytes; paper fails above [`PAPER_MDU`].
pub fn plan(
    desired: Method,
    content_size: i64,
    container_len: usize,
) -> Result<(Method, Representation), PlanError> {
    let direct = || {
        if content_size <= LINK_PACKET_MAX_CONTENT {
            Representation::Packet
        } else {
            Representation::Resource
        }
    };
    Ok(match desired {
        Method::Opportunistic if content_size <= ENCRYPTED_PACKET_MAX_CONTENT => {
            (Method::Opportunistic, Representation::Packet)
        }
        Method::Opportunistic | Method::Direct => (Method::Direct, direct()),
        Method::Propagated => {
            let fits = i64::try_from(container_len).is_ok_and(|n| n <= LINK_PACKET_MAX_CONTENT);
            let rep = if fits {
                Representation::Packet
            } else {
                Representation::Resource
            };
            (Method::Propagated, rep)
        }
        Method::Paper if container_len <= PAPER_MDU => (Method::Paper, Representation::Paper),
        Method::Paper => return Err(PlanError::TooLargeForPaper(container_len)),
    })
}

/// Why a message cannot go the way asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error("paper container of {0} bytes exceeds the paper maximum of {PAPER_MDU}")]
    TooLargeForPaper(usize),
}

/// The `lxmf.delivery` destination of an identity: where its messages go, and
/// the `source_hash` of the messages it sends.
pub fn delivery_destination(identity: &IdentityHash) -> DestinationHash {
    destination_hash(&name_hash("lxmf.delivery"), Some(identity))
}

/// The `lxmf.propagation` destination of a propagation node's identity.
pub fn propagation_destination(identity: &IdentityHash) -> DestinationHash {
    destination_hash(&name_hash("lxmf.propagation"), Some(identity))
}

/// The opportunistic packet's data: the packed message without its destination.
pub fn opportunistic_data(packed: &[u8]) -> &[u8] {
    packed.get(DESTINATION_LENGTH..).unwrap_or_default()
}

/// The packed message from an opportunistic packet's data and its destination.
pub fn from_opportunistic_data(destination: &DestinationHash, data: &[u8]) -> Vec<u8> {
    prepend(destination.as_bytes(), data)
}

/// A transient id: H(container), how propagation nodes name a message.
pub type TransientId = [u8; 32];

/// H(container).
pub fn transient_id(container: &[u8]) -> TransientId {
    full_hash(container)
}

/// Why a container did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    #[error("container of {0} bytes is too short")]
    TooShort(usize),
    #[error("packed message of {0} bytes is too short to seal")]
    MessageTooShort(usize),
    #[error(transparent)]
    Encrypt(#[from] CryptoError),
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
}

/// Seals a packed message for its recipient (propagated and paper):
/// `dest || encrypt(packed[16..])`, to the recipient's ratchet if one is known.
pub fn seal(
    packed: &[u8],
    recipient: &PublicIdentity,
    ratchet: Option<&[u8; 32]>,
    rng: &mut dyn CryptoRngCore,
) -> Result<Vec<u8>, ContainerError> {
    let ephemeral = X25519Keypair::generate(rng);
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    seal_with(packed, recipient, ratchet, &ephemeral, &iv)
}

/// As [`seal`] with a given ephemeral key and IV (to reproduce vectors only).
pub fn seal_with(
    packed: &[u8],
    recipient: &PublicIdentity,
    ratchet: Option<&[u8; 32]>,
    ephemeral: &X25519Keypair,
    iv: &[u8; IV_LEN],
) -> Result<Vec<u8>, ContainerError> {
    if packed.len() <= DESTINATION_LENGTH {
        return Err(ContainerError::MessageTooShort(packed.len()));
    }
    let (dest, rest) = packed.split_at(DESTINATION_LENGTH);
    let sealed = recipient.encrypt_with(rest, ratchet, ephemeral, iv)?;
    Ok(prepend(dest, &sealed))
}

/// Opens a container addressed to `identity`, trying `ratchets` first (and the
/// identity key unless `enforce_ratchets`); returns the full packed message.
pub fn open(
    container: &[u8],
    identity: &PrivateIdentity,
    ratchets: &[Ratchet],
    enforce_ratchets: bool,
) -> Result<Vec<u8>, ContainerError> {
    if container.len() <= DESTINATION_LENGTH {
        return Err(ContainerError::TooShort(container.len()));
    }
    let (dest, sealed) = container.split_at(DESTINATION_LENGTH);
    let plain = identity.decrypt(sealed, ratchets, enforce_ratchets)?;
    Ok(prepend(dest, &plain.plaintext))
}

/// The destination a container is addressed to.
pub fn container_destination(container: &[u8]) -> Option<DestinationHash> {
    DestinationHash::from_slice(container.get(..DESTINATION_LENGTH)?)
}

fn prepend(head: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + rest.len());
    out.extend_from_slice(head);
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_the_observed_thresholds() {
        use Method::{Direct, Opportunistic, Propagated};
        use Representation::{Packet, Resource};
        assert_eq!(plan(Opportunistic, 287, 0), Ok((Opportunistic, Packet)));
        assert_eq!(plan(Opportunistic, 288, 0), Ok((Direct, Packet)));
        assert_eq!(plan(Opportunistic, 320, 0), Ok((Direct, Resource)));
        assert_eq!(plan(Direct, 319, 0), Ok((Direct, Packet)));
        assert_eq!(plan(Propagated, 111, 304), Ok((Propagated, Packet)));
        assert_eq!(plan(Propagated, 112, 320), Ok((Propagated, Resource)));
        assert_eq!(
            plan(Method::Paper, 2015, 2208),
            Ok((Method::Paper, Representation::Paper))
        );
        assert_eq!(
            plan(Method::Paper, 2016, 2224),
            Err(PlanError::TooLargeForPaper(2224))
        );
        assert_eq!(Method::from_u8(5), Some(Method::Paper));
        assert_eq!(State::from_u8(0xFD), Some(State::Rejected));
        assert_eq!(State::from_u8(3), None);
    }
}
