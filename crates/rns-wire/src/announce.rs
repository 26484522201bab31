//! Announces: a destination's signed statement of its public key, name hash,
//! emission time, optional ratchet and app data. An [`Announce`] is only parsed;
//! [`Announce::validate`] turns it into a [`ValidatedAnnounce`], the only form the
//! rest of the stack should believe.

use std::ops::Deref;

use rns_crypto::identity::{KEY_LEN, SIGNATURE_LEN};
use rns_crypto::{
    DestinationHash, NameHash, PrivateIdentity, PublicIdentity, Signature, destination_hash,
};

use crate::WireError;
use crate::packet::reader::{Reader, need};
use crate::packet::{Context, DestinationKind, Packet, PacketType};

/// Length of an announce's random hash: 5 random bytes and a 5-byte timestamp.
pub const RANDOM_HASH_LEN: usize = 10;
/// Length of a ratchet public key (X25519).
pub const RATCHET_LEN: usize = 32;
/// The shortest announce payload: key, name hash, random hash and signature.
pub const MIN_PAYLOAD_LEN: usize = KEY_LEN + NameHash::LEN + RANDOM_HASH_LEN + SIGNATURE_LEN;

const RANDOM_PART_LEN: usize = 5;

/// The random blob of an announce: 5 random bytes, then the emission time as a
/// 5-byte big-endian count of seconds. Path selection compares the timestamps
/// ("timebase") and remembers the blobs to spot replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RandomHash(pub [u8; RANDOM_HASH_LEN]);

impl RandomHash {
    /// From caller-supplied randomness and the emission time in whole seconds.
    /// Only the low 40 bits of the time fit (enough until the year 36812).
    pub fn new(random: [u8; RANDOM_PART_LEN], emission_time: u64) -> Self {
        let [r0, r1, r2, r3, r4] = random;
        let [_, _, _, t0, t1, t2, t3, t4] = emission_time.to_be_bytes();
        Self([r0, r1, r2, r3, r4, t0, t1, t2, t3, t4])
    }

    /// The emission time the announcer put in bytes 5..10.
    pub fn emission_timebase(&self) -> u64 {
        self.0
            .iter()
            .skip(RANDOM_PART_LEN)
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }
}

/// A ratchet public key (X25519) that senders should encrypt to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatchetPublicKey(pub [u8; RATCHET_LEN]);

/// Why an announce is sent, which sets its packet context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnounceReason {
    /// A regular announce (context NONE).
    Unsolicited,
    /// The answer to a path request (context PATH_RESPONSE).
    PathResponse,
}

/// A parsed but not yet validated announce. Its public key is a well-formed
/// identity key; nothing else about it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// The packet's destination hash, which the announce claims.
    pub destination: DestinationHash,
    pub identity: PublicIdentity,
    pub name_hash: NameHash,
    pub random_hash: RandomHash,
    pub ratchet: Option<RatchetPublicKey>,
    pub signature: Signature,
    /// Application data; empty when the announce carries none (the wire cannot
    /// tell empty from absent).
    pub app_data: Vec<u8>,
}

impl Announce {
    /// Parses the payload of an ANNOUNCE packet for a SINGLE destination.
    pub fn from_packet(packet: &Packet) -> Result<Announce, WireError> {
        packet.expect_type(PacketType::Announce, "announce")?;
        if packet.destination_kind != DestinationKind::Single {
            return Err(WireError::malformed(
                "announce",
                "destination is not SINGLE",
            ));
        }
        Self::decode_payload(packet.destination, packet.context_flag, &packet.data)
    }

    /// Parses an announce payload; `has_ratchet` is the packet's context flag.
    pub fn decode_payload(
        destination: DestinationHash,
        has_ratchet: bool,
        data: &[u8],
    ) -> Result<Announce, WireError> {
        let ratchet_len = if has_ratchet { RATCHET_LEN } else { 0 };
        need(data, MIN_PAYLOAD_LEN + ratchet_len)?;
        let mut r = Reader::new(data);
        let key: [u8; KEY_LEN] = r.array()?;
        let identity = PublicIdentity::from_bytes(&key)
            .map_err(|_| WireError::malformed("announce", "invalid public key"))?;
        let name_hash = NameHash(r.array()?);
        let random_hash = RandomHash(r.array()?);
        let ratchet = if has_ratchet {
            Some(RatchetPublicKey(r.array()?))
        } else {
            None
        };
        let signature = Signature(r.array()?);
        Ok(Announce {
            destination,
            identity,
            name_hash,
            random_hash,
            ratchet,
            signature,
            app_data: r.rest().to_vec(),
        })
    }

    /// The app data, or `None` when there is none.
    pub fn app_data(&self) -> Option<&[u8]> {
        (!self.app_data.is_empty()).then_some(self.app_data.as_slice())
    }

    /// The emission time carried in the random hash.
    pub fn emission_timebase(&self) -> u64 {
        self.random_hash.emission_timebase()
    }

    /// The payload: key, name hash, random hash, [ratchet], signature, app data.
    pub fn encode_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload_len());
        out.extend_from_slice(self.identity.as_bytes());
        out.extend_from_slice(self.name_hash.as_bytes());
        out.extend_from_slice(&self.random_hash.0);
        if let Some(ratchet) = &self.ratchet {
            out.extend_from_slice(&ratchet.0);
        }
        out.extend_from_slice(self.signature.as_bytes());
        out.extend_from_slice(&self.app_data);
        out
    }

    /// The announce as a HEADER_1 BROADCAST packet with zero hops; the context flag
    /// says whether a ratchet is included.
    pub fn to_packet(&self, reason: AnnounceReason) -> Packet {
        let context = match reason {
            AnnounceReason::Unsolicited => Context::NONE,
            AnnounceReason::PathResponse => Context::PATH_RESPONSE,
        };
        let mut packet = Packet::new(
            PacketType::Announce,
            DestinationKind::Single,
            self.destination,
            context,
            self.encode_payload(),
        );
        packet.context_flag = self.ratchet.is_some();
        packet
    }

    /// What the signature covers: destination || key || name hash || random hash
    /// || ratchet || app data.
    pub fn signed_data(&self) -> Vec<u8> {
        signed_data(
            &self.destination,
            &self.identity,
            &self.name_hash,
            &self.random_hash,
            self.ratchet.as_ref(),
            &self.app_data,
        )
    }

    /// Checks that the destination hash belongs to this key and name, then the
    /// signature. Whether the destination is already known under a *different*
    /// key is the caller's question: compare [`ValidatedAnnounce::identity`].
    pub fn validate(self) -> Result<ValidatedAnnounce, WireError> {
        // The hash check is two short SHA-256s; do it before the costly verify.
        if destination_hash(&self.name_hash, Some(&self.identity.hash())) != self.destination {
            return Err(WireError::HashMismatch("announce destination"));
        }
        if !self.identity.verify(&self.signed_data(), &self.signature) {
            return Err(WireError::BadSignature("announce"));
        }
        Ok(ValidatedAnnounce(self))
    }

    fn payload_len(&self) -> usize {
        MIN_PAYLOAD_LEN + self.ratchet.map_or(0, |_| RATCHET_LEN) + self.app_data.len()
    }
}

/// An announce whose destination hash and signature have been checked, or that
/// this node built and signed itself. Read it through `Deref<Target = Announce>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAnnounce(Announce);

impl ValidatedAnnounce {
    /// Builds and signs an announce for `identity`'s destination with this name
    /// hash. The caller supplies the random hash (see [`RandomHash::new`]).
    pub fn build(
        identity: &PrivateIdentity,
        name_hash: NameHash,
        random_hash: RandomHash,
        ratchet: Option<RatchetPublicKey>,
        app_data: Vec<u8>,
    ) -> ValidatedAnnounce {
        let public = identity.public();
        let destination = destination_hash(&name_hash, Some(&public.hash()));
        let signed = signed_data(
            &destination,
            public,
            &name_hash,
            &random_hash,
            ratchet.as_ref(),
            &app_data,
        );
        ValidatedAnnounce(Announce {
            destination,
            identity: public.clone(),
            name_hash,
            random_hash,
            ratchet,
            signature: identity.sign(&signed),
            app_data,
        })
    }

    /// The announced identity, now known to own the destination.
    pub fn identity(&self) -> &PublicIdentity {
        &self.0.identity
    }

    pub fn into_announce(self) -> Announce {
        self.0
    }
}

impl Deref for ValidatedAnnounce {
    type Target = Announce;

    fn deref(&self) -> &Announce {
        &self.0
    }
}

fn signed_data(
    destination: &DestinationHash,
    identity: &PublicIdentity,
    name_hash: &NameHash,
    random_hash: &RandomHash,
    ratchet: Option<&RatchetPublicKey>,
    app_data: &[u8],
) -> Vec<u8> {
    let ratchet: &[u8] = ratchet.map_or(&[], |r| &r.0);
    let len = DestinationHash::LEN + MIN_PAYLOAD_LEN - SIGNATURE_LEN + ratchet.len();
    let mut out = Vec::with_capacity(len + app_data.len());
    out.extend_from_slice(destination.as_bytes());
    out.extend_from_slice(identity.as_bytes());
    out.extend_from_slice(name_hash.as_bytes());
    out.extend_from_slice(&random_hash.0);
    out.extend_from_slice(ratchet);
    out.extend_from_slice(app_data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(app_data: &[u8]) -> ValidatedAnnounce {
        let id = PrivateIdentity::from_private_bytes(&[3; 64]);
        let rh = RandomHash::new([1, 2, 3, 4, 5], 1_700_000_000);
        ValidatedAnnounce::build(&id, NameHash([4; 10]), rh, None, app_data.to_vec())
    }

    #[test]
    fn random_hash_layout() {
        let rh = RandomHash::new([1, 2, 3, 4, 5], 1_700_000_000);
        assert_eq!(rh.0, [1, 2, 3, 4, 5, 0x00, 0x65, 0x53, 0xf1, 0x00]);
        assert_eq!(rh.emission_timebase(), 1_700_000_000);
        assert_eq!(
            RandomHash::new([0; 5], u64::MAX).emission_timebase(),
            (1 << 40) - 1
        );
    }

    #[test]
    fn tampering_is_caught() {
        let good = built(b"hi").into_announce();
        assert!(good.clone().validate().is_ok());
        let mut bad = good.clone();
        bad.app_data.push(0);
        assert_eq!(bad.validate(), Err(WireError::BadSignature("announce")));
        let mut bad = good;
        bad.destination.0[0] ^= 1;
        assert_eq!(
            bad.validate(),
            Err(WireError::HashMismatch("announce destination"))
        );
    }

    #[test]
    fn short_payloads_are_truncated() {
        let a = built(b"");
        assert_eq!(a.app_data(), None);
        let payload = a.encode_payload();
        assert_eq!(payload.len(), MIN_PAYLOAD_LEN);
        let err = Announce::decode_payload(a.destination, true, &payload);
        assert_eq!(
            err,
            Err(WireError::Truncated {
                needed: 180,
                have: 148
            })
        );
        let err = Announce::decode_payload(a.destination, false, &payload[..147]);
        assert!(matches!(err, Err(WireError::Truncated { .. })));
    }

    #[test]
    fn only_single_announces() {
        let mut p = built(b"x").to_packet(AnnounceReason::Unsolicited);
        assert!(Announce::from_packet(&p).is_ok());
        p.destination_kind = DestinationKind::Plain;
        assert!(matches!(
            Announce::from_packet(&p),
            Err(WireError::Malformed { .. })
        ));
        p.destination_kind = DestinationKind::Single;
        p.packet_type = PacketType::Data;
        assert!(Announce::from_packet(&p).is_err());
    }
}
