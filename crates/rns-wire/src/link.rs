//! Link establishment on the wire: the link request, the link id derived from it,
//! the responder's proof (LRPROOF), and the plaintext payloads of link control
//! packets. Encrypting link traffic is `rns-proto`'s job; this module only shapes
//! bytes.

mod control;
mod signalling;

use rns_crypto::hash::truncated_hash_of;
use rns_crypto::identity::{KEY_LEN, SIGNATURE_LEN};
use rns_crypto::{DestinationHash, PrivateIdentity, PublicIdentity, Signature};

pub use control::{Keepalive, LinkIdentify, check_close, decode_rtt, encode_close, encode_rtt};
pub use signalling::{LinkMode, MAX_SIGNALLED_MTU, SIGNALLING_LEN, Signalling};

use crate::WireError;
use crate::constants::MTU;
use crate::packet::reader::Reader;
use crate::packet::{Context, DestinationKind, Packet, PacketType};

/// A link id: a truncated hash that link packets use as their destination hash.
pub type LinkId = DestinationHash;

/// Length of an X25519 public key.
pub const X25519_LEN: usize = 32;
/// Link request data without signalling: the initiator's two ephemeral keys.
pub const REQUEST_KEYS_LEN: usize = KEY_LEN;
/// LRPROOF data without signalling: signature and responder X25519 key.
pub const PROOF_BASE_LEN: usize = SIGNATURE_LEN + X25519_LEN;

/// An X25519 public key (the responder's ephemeral link key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct X25519Public(pub [u8; X25519_LEN]);

/// A DATA packet on a link: HEADER_1, addressed to the link id, type LINK.
/// `payload` is whatever the link layer puts there (usually a Token).
pub fn link_packet(link_id: LinkId, context: Context, payload: Vec<u8>) -> Packet {
    Packet::new(
        PacketType::Data,
        DestinationKind::Link,
        link_id,
        context,
        payload,
    )
}

/// The link id of a link request packet: the truncated hash of its hashable part
/// with the trailing signalling bytes left out, so that hops clamping the MTU do
/// not change the id.
pub fn link_id(request: &Packet) -> LinkId {
    let keys = request
        .data
        .get(..REQUEST_KEYS_LEN)
        .unwrap_or(&request.data);
    DestinationHash(truncated_hash_of(&[
        &[request.flags() & 0x0F],
        request.destination.as_bytes(),
        &[request.context.0],
        keys,
    ]))
}

/// A link request: the initiator's ephemeral X25519 and Ed25519 public keys and,
/// from 1.5.7 peers always, the signalling bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// The ephemeral keys, in identity layout (X25519 then Ed25519), so the
    /// initiator's link signatures verify like any identity's.
    pub initiator: PublicIdentity,
    pub signalling: Option<Signalling>,
}

impl LinkRequest {
    /// Parses request data of 64 bytes (no signalling) or 67 bytes.
    pub fn decode(data: &[u8]) -> Result<LinkRequest, WireError> {
        let (keys, signalling) = split_signalling(data, REQUEST_KEYS_LEN)?;
        let keys: [u8; KEY_LEN] = Reader::new(keys).array()?;
        let initiator = PublicIdentity::from_bytes(&keys)
            .map_err(|_| WireError::malformed("link request", "invalid Ed25519 key"))?;
        Ok(LinkRequest {
            initiator,
            signalling,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(REQUEST_KEYS_LEN + SIGNALLING_LEN);
        out.extend_from_slice(self.initiator.as_bytes());
        if let Some(s) = &self.signalling {
            out.extend_from_slice(&s.encode());
        }
        out
    }

    /// The signalled MTU, or 500 when the request has no signalling.
    pub fn mtu(&self) -> u32 {
        self.signalling.map_or(MTU as u32, |s| s.mtu())
    }

    /// The signalled mode, or the default mode when the request has no signalling.
    pub fn mode(&self) -> LinkMode {
        self.signalling.map_or(LinkMode::DEFAULT, |s| s.mode())
    }

    /// The LINKREQUEST packet to `destination` (a SINGLE destination).
    pub fn to_packet(&self, destination: DestinationHash) -> Packet {
        let (kind, ctx) = (DestinationKind::Single, Context::NONE);
        Packet::new(
            PacketType::LinkRequest,
            kind,
            destination,
            ctx,
            self.encode(),
        )
    }

    /// Parses a LINKREQUEST packet's data; the link id is [`link_id`] of the packet.
    pub fn from_packet(packet: &Packet) -> Result<LinkRequest, WireError> {
        packet.expect_type(PacketType::LinkRequest, "link request")?;
        Self::decode(&packet.data)
    }
}

/// The responder's link proof (LRPROOF): a signature by the destination's
/// identity over the link id, the responder's ephemeral key and the signalling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkProof {
    pub signature: Signature,
    pub responder_key: X25519Public,
    pub signalling: Option<Signalling>,
}

impl LinkProof {
    /// Signs with the destination's long-term identity.
    pub fn sign(
        responder: &PrivateIdentity,
        link_id: &LinkId,
        responder_key: X25519Public,
        signalling: Option<Signalling>,
    ) -> LinkProof {
        let signed = proof_signed_data(link_id, &responder_key, responder.public(), signalling);
        LinkProof {
            signature: responder.sign(&signed),
            responder_key,
            signalling,
        }
    }

    /// Checks the signature with the destination identity (known from its announce).
    pub fn verify(&self, link_id: &LinkId, responder: &PublicIdentity) -> Result<(), WireError> {
        let signed = proof_signed_data(link_id, &self.responder_key, responder, self.signalling);
        if !responder.verify(&signed, &self.signature) {
            return Err(WireError::BadSignature("link proof"));
        }
        Ok(())
    }

    /// Parses proof data of 96 bytes (no signalling) or 99 bytes.
    pub fn decode(data: &[u8]) -> Result<LinkProof, WireError> {
        let (base, signalling) = split_signalling(data, PROOF_BASE_LEN)?;
        let mut r = Reader::new(base);
        let signature = Signature(r.array()?);
        let responder_key = X25519Public(r.array()?);
        Ok(LinkProof {
            signature,
            responder_key,
            signalling,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PROOF_BASE_LEN + SIGNALLING_LEN);
        out.extend_from_slice(self.signature.as_bytes());
        out.extend_from_slice(&self.responder_key.0);
        if let Some(s) = &self.signalling {
            out.extend_from_slice(&s.encode());
        }
        out
    }

    /// The PROOF packet with context LRPROOF, addressed to the link id with
    /// destination type LINK.
    pub fn to_packet(&self, link_id: LinkId) -> Packet {
        let (kind, ctx) = (DestinationKind::Link, Context::LRPROOF);
        Packet::new(PacketType::Proof, kind, link_id, ctx, self.encode())
    }

    /// Parses a PROOF packet with context LRPROOF; its destination is the link id.
    pub fn from_packet(packet: &Packet) -> Result<LinkProof, WireError> {
        packet.expect_type(PacketType::Proof, "link proof")?;
        if packet.context != Context::LRPROOF {
            return Err(WireError::malformed("link proof", "context is not LRPROOF"));
        }
        Self::decode(&packet.data)
    }
}

/// link id || responder X25519 key || responder identity's Ed25519 key || signalling.
fn proof_signed_data(
    link_id: &LinkId,
    responder_key: &X25519Public,
    responder: &PublicIdentity,
    signalling: Option<Signalling>,
) -> Vec<u8> {
    let ed25519 = responder.as_bytes().get(X25519_LEN..).unwrap_or_default();
    let mut out = Vec::with_capacity(LinkId::LEN + 2 * X25519_LEN + SIGNALLING_LEN);
    out.extend_from_slice(link_id.as_bytes());
    out.extend_from_slice(&responder_key.0);
    out.extend_from_slice(ed25519);
    if let Some(s) = signalling {
        out.extend_from_slice(&s.encode());
    }
    out
}

/// Splits `data` into a `base`-byte head and optional trailing signalling; any
/// other length is refused, as the reference refuses it.
fn split_signalling(data: &[u8], base: usize) -> Result<(&[u8], Option<Signalling>), WireError> {
    let short = WireError::Truncated {
        needed: base,
        have: data.len(),
    };
    let full = base + SIGNALLING_LEN;
    if data.len() > full {
        return Err(WireError::TooLong {
            max: full,
            got: data.len(),
        });
    }
    let (head, tail) = data.split_at_checked(base).ok_or(short)?;
    if tail.is_empty() {
        return Ok((head, None));
    }
    let bytes: [u8; SIGNALLING_LEN] =
        Reader::new(tail)
            .array()
            .map_err(|_| WireError::Truncated {
                needed: full,
                have: data.len(),
            })?;
    Ok((head, Some(Signalling::decode(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> LinkRequest {
        let keys = PrivateIdentity::from_private_bytes(&[6; 64]);
        let signalling = Signalling::new(500, LinkMode::DEFAULT).ok();
        LinkRequest {
            initiator: keys.public().clone(),
            signalling,
        }
    }

    #[test]
    fn request_lengths() {
        let data = request().encode();
        assert_eq!(data.len(), 67);
        assert_eq!(LinkRequest::decode(&data), Ok(request()));
        let bare = LinkRequest::decode(&data[..64]).unwrap();
        assert_eq!((bare.signalling, bare.mtu()), (None, 500));
        let short = LinkRequest::decode(&data[..65]);
        assert_eq!(
            short,
            Err(WireError::Truncated {
                needed: 67,
                have: 65
            })
        );
        let short = LinkRequest::decode(&data[..63]);
        assert_eq!(
            short,
            Err(WireError::Truncated {
                needed: 64,
                have: 63
            })
        );
        let mut long = data.clone();
        long.push(0);
        assert_eq!(
            LinkRequest::decode(&long),
            Err(WireError::TooLong { max: 67, got: 68 })
        );
    }

    #[test]
    fn link_id_ignores_signalling() {
        let mut packet = request().to_packet(DestinationHash([1; 16]));
        let with = link_id(&packet);
        packet.data.truncate(64);
        assert_eq!(link_id(&packet), with);
        packet.hops = 4;
        assert_eq!(link_id(&packet), with);
    }

    #[test]
    fn proof_sign_verify() {
        let responder = PrivateIdentity::from_private_bytes(&[7; 64]);
        let id = DestinationHash([2; 16]);
        let proof = LinkProof::sign(&responder, &id, X25519Public([3; 32]), None);
        assert_eq!(proof.verify(&id, responder.public()), Ok(()));
        assert!(
            proof
                .verify(&DestinationHash([0; 16]), responder.public())
                .is_err()
        );
        let packet = proof.to_packet(id);
        assert_eq!(packet.flags(), 0x0F);
        assert_eq!(LinkProof::from_packet(&packet), Ok(proof));
        assert_eq!(
            LinkProof::decode(&proof.encode()[..95])
                .map(|_| ())
                .unwrap_err(),
            WireError::Truncated {
                needed: 96,
                have: 95
            }
        );
    }
}
