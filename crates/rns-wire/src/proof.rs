//! Delivery proofs: a signature over the full hash of the packet being proved,
//! sent back as a PROOF packet addressed to that packet's truncated hash.

use rns_crypto::hash::HASH_LEN;
use rns_crypto::identity::SIGNATURE_LEN;
use rns_crypto::{DestinationHash, PacketHash, PrivateIdentity, PublicIdentity, Signature};

use crate::WireError;
use crate::packet::reader::Reader;
use crate::packet::{Context, DestinationKind, Packet, PacketType};

/// Data length of an implicit proof: the signature alone.
pub const IMPLICIT_LEN: usize = SIGNATURE_LEN;
/// Data length of an explicit proof: packet hash, then signature.
pub const EXPLICIT_LEN: usize = HASH_LEN + SIGNATURE_LEN;

/// Whether a proof repeats the hash it proves. The reference (1.5.7) sends
/// implicit proofs by default; proofs on a link are always explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofForm {
    Explicit,
    Implicit,
}

/// A decoded proof, not yet checked against any packet or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Explicit {
        packet_hash: PacketHash,
        signature: Signature,
    },
    Implicit {
        signature: Signature,
    },
}

/// Where the proof of the packet with hash `proved` is sent: its truncated hash.
pub fn proof_destination(proved: &PacketHash) -> DestinationHash {
    proved.truncated()
}

impl Proof {
    /// Signs the full packet hash with `identity` (for a link, the link's signing
    /// identity).
    pub fn sign(identity: &PrivateIdentity, proved: &PacketHash, form: ProofForm) -> Proof {
        let signature = identity.sign(proved.as_bytes());
        match form {
            ProofForm::Explicit => Proof::Explicit {
                packet_hash: *proved,
                signature,
            },
            ProofForm::Implicit => Proof::Implicit { signature },
        }
    }

    pub fn signature(&self) -> &Signature {
        match self {
            Proof::Explicit { signature, .. } | Proof::Implicit { signature } => signature,
        }
    }

    /// The proved hash, when the proof carries it.
    pub fn packet_hash(&self) -> Option<&PacketHash> {
        match self {
            Proof::Explicit { packet_hash, .. } => Some(packet_hash),
            Proof::Implicit { .. } => None,
        }
    }

    /// Parses proof data of either length (64 or 96 bytes).
    pub fn decode(data: &[u8]) -> Result<Proof, WireError> {
        let mut r = Reader::new(data);
        match data.len() {
            IMPLICIT_LEN => Ok(Proof::Implicit {
                signature: Signature(r.array()?),
            }),
            EXPLICIT_LEN => Ok(Proof::Explicit {
                packet_hash: PacketHash(r.array()?),
                signature: Signature(r.array()?),
            }),
            n if n > EXPLICIT_LEN => Err(WireError::TooLong {
                max: EXPLICIT_LEN,
                got: n,
            }),
            n if n > IMPLICIT_LEN => Err(WireError::Truncated {
                needed: EXPLICIT_LEN,
                have: n,
            }),
            n => Err(WireError::Truncated {
                needed: IMPLICIT_LEN,
                have: n,
            }),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(EXPLICIT_LEN);
        if let Some(hash) = self.packet_hash() {
            out.extend_from_slice(hash.as_bytes());
        }
        out.extend_from_slice(self.signature().as_bytes());
        out
    }

    /// Checks the proof against the packet it should prove and the key that should
    /// have signed it. An explicit proof must also name that packet.
    pub fn verify(&self, proved: &PacketHash, signer: &PublicIdentity) -> Result<(), WireError> {
        if self.packet_hash().is_some_and(|h| h != proved) {
            return Err(WireError::HashMismatch("proof packet hash"));
        }
        if !signer.verify(proved.as_bytes(), self.signature()) {
            return Err(WireError::BadSignature("proof"));
        }
        Ok(())
    }

    /// The PROOF packet for a packet that was not sent on a link: SINGLE type bits,
    /// addressed to the proved packet's truncated hash.
    pub fn to_packet(&self, proved: &PacketHash) -> Packet {
        let data = self.encode();
        let dest = proof_destination(proved);
        Packet::new(
            PacketType::Proof,
            DestinationKind::Single,
            dest,
            Context::NONE,
            data,
        )
    }

    /// The PROOF packet for a packet received on the link `link_id`.
    pub fn to_link_packet(&self, link_id: DestinationHash) -> Packet {
        let data = self.encode();
        Packet::new(
            PacketType::Proof,
            DestinationKind::Link,
            link_id,
            Context::NONE,
            data,
        )
    }

    /// Parses a PROOF packet that proves a packet (not a link request or resource).
    pub fn from_packet(packet: &Packet) -> Result<Proof, WireError> {
        packet.expect_type(PacketType::Proof, "proof")?;
        if packet.context == Context::LRPROOF || packet.context == Context::RESOURCE_PRF {
            return Err(WireError::malformed(
                "proof",
                "link request or resource proof",
            ));
        }
        Self::decode(&packet.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(
            Proof::decode(&[0; 63]),
            Err(WireError::Truncated {
                needed: 64,
                have: 63
            })
        );
        assert_eq!(
            Proof::decode(&[0; 80]),
            Err(WireError::Truncated {
                needed: 96,
                have: 80
            })
        );
        assert_eq!(
            Proof::decode(&[0; 97]),
            Err(WireError::TooLong { max: 96, got: 97 })
        );
        assert!(matches!(
            Proof::decode(&[0; 64]),
            Ok(Proof::Implicit { .. })
        ));
        assert!(matches!(
            Proof::decode(&[0; 96]),
            Ok(Proof::Explicit { .. })
        ));
    }

    #[test]
    fn verify_checks_hash_and_signature() {
        let id = PrivateIdentity::from_private_bytes(&[5; 64]);
        let hash = PacketHash([1; 32]);
        let other = PacketHash([2; 32]);
        for form in [ProofForm::Explicit, ProofForm::Implicit] {
            let proof = Proof::sign(&id, &hash, form);
            assert_eq!(proof.verify(&hash, id.public()), Ok(()));
            assert!(proof.verify(&other, id.public()).is_err());
        }
        let explicit = Proof::sign(&id, &hash, ProofForm::Explicit);
        let err = explicit.verify(&other, id.public());
        assert_eq!(err, Err(WireError::HashMismatch("proof packet hash")));
        let link = explicit.to_link_packet(DestinationHash([8; 16]));
        assert_eq!(link.flags(), 0x0F);
        assert_eq!(Proof::from_packet(&link), Ok(explicit));
    }
}
