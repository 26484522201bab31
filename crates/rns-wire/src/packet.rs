//! The Reticulum packet: a flags byte, a hop count, one or two 16-byte addresses,
//! a context byte and a non-empty data field. Also the packet hash, which proofs,
//! receipts and duplicate suppression are keyed by.

mod context;
pub(crate) mod reader;

use rns_crypto::hash::full_hash_of;
use rns_crypto::{DestinationHash, IdentityHash, PacketHash};

pub use context::{Context, HeaderType, PacketType, TransportType};
pub use rns_crypto::DestinationKind;

use crate::WireError;
use crate::constants::{HEADER_MAXSIZE, HEADER_MINSIZE, PATHFINDER_M};
use reader::Reader;

const IFAC_FLAG: u8 = 0x80;
const HEADER_TYPE_SHIFT: u8 = 6;
const CONTEXT_FLAG_SHIFT: u8 = 5;
const TRANSPORT_TYPE_SHIFT: u8 = 4;
const DESTINATION_KIND_SHIFT: u8 = 2;
/// The flag bits the packet hash keeps: destination kind and packet type.
const HASHED_FLAGS: u8 = 0x0F;

/// The addressing part that differs between the two header types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Header {
    /// HEADER_1: the packet is addressed by its destination hash alone.
    Type1,
    /// HEADER_2: the packet is in transport, and `transport_id` names the transport
    /// node (by its identity hash) that must forward it next.
    Type2 { transport_id: IdentityHash },
}

impl Header {
    pub const fn header_type(&self) -> HeaderType {
        match self {
            Header::Type1 => HeaderType::Header1,
            Header::Type2 { .. } => HeaderType::Header2,
        }
    }

    /// Bytes before the data field: flags, hops, addresses and context.
    pub const fn encoded_len(&self) -> usize {
        match self {
            Header::Type1 => HEADER_MINSIZE,
            Header::Type2 { .. } => HEADER_MAXSIZE,
        }
    }
}

/// One decoded packet, with the IFAC already removed by the interface.
///
/// Every field of the flags byte is typed and kept as received, so encoding a
/// decoded packet gives back the same bytes. `data` is never empty in a decoded
/// packet; a packet built with empty data encodes, but no receiver accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub header: Header,
    /// Bit 5 of the flags; today it only means "this announce carries a ratchet".
    pub context_flag: bool,
    pub transport_type: TransportType,
    pub destination_kind: DestinationKind,
    pub packet_type: PacketType,
    pub hops: u8,
    pub destination: DestinationHash,
    pub context: Context,
    pub data: Vec<u8>,
}

impl Packet {
    /// A HEADER_1 BROADCAST packet with zero hops and the context flag clear: how
    /// every packet starts out at its origin.
    pub fn new(
        packet_type: PacketType,
        destination_kind: DestinationKind,
        destination: DestinationHash,
        context: Context,
        data: Vec<u8>,
    ) -> Self {
        Self {
            header: Header::Type1,
            context_flag: false,
            transport_type: TransportType::Broadcast,
            destination_kind,
            packet_type,
            hops: 0,
            destination,
            context,
            data,
        }
    }

    /// Decodes one whole packet.
    ///
    /// Fails with `Truncated` when the frame is too short to hold its header and at
    /// least one data byte, and with `Malformed` when the IFAC flag is still set
    /// (the interface must unmask and strip the access code first). The hop count
    /// is not judged here; see [`check_receivable`](Self::check_receivable).
    pub fn decode(raw: &[u8]) -> Result<Packet, WireError> {
        let mut r = Reader::new(raw);
        let flags = r.byte()?;
        if flags & IFAC_FLAG != 0 {
            return Err(WireError::malformed(
                "packet",
                "IFAC flag set: unmask before decoding",
            ));
        }
        let header2 = (flags >> HEADER_TYPE_SHIFT) & 1 == 1;
        let min_len = if header2 {
            HEADER_MAXSIZE
        } else {
            HEADER_MINSIZE
        } + 1;
        reader::need(raw, min_len)?;
        let hops = r.byte()?;
        let header = if header2 {
            Header::Type2 {
                transport_id: IdentityHash(r.array()?),
            }
        } else {
            Header::Type1
        };
        let destination = DestinationHash(r.array()?);
        let context = Context(r.byte()?);
        Ok(Packet {
            header,
            context_flag: (flags >> CONTEXT_FLAG_SHIFT) & 1 == 1,
            transport_type: if (flags >> TRANSPORT_TYPE_SHIFT) & 1 == 1 {
                TransportType::Transport
            } else {
                TransportType::Broadcast
            },
            destination_kind: DestinationKind::from_bits(flags >> DESTINATION_KIND_SHIFT),
            packet_type: PacketType::from_bits(flags),
            hops,
            destination,
            context,
            data: r.rest().to_vec(),
        })
    }

    /// The flags byte (IFAC bit always clear).
    pub fn flags(&self) -> u8 {
        ((self.header.header_type() as u8) << HEADER_TYPE_SHIFT)
            | (u8::from(self.context_flag) << CONTEXT_FLAG_SHIFT)
            | ((self.transport_type as u8) << TRANSPORT_TYPE_SHIFT)
            | ((self.destination_kind as u8) << DESTINATION_KIND_SHIFT)
            | self.packet_type as u8
    }

    /// Length of the encoded packet.
    pub fn encoded_len(&self) -> usize {
        self.header.encoded_len() + self.data.len()
    }

    /// Appends the encoded packet to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.push(self.flags());
        out.push(self.hops);
        if let Header::Type2 { transport_id } = &self.header {
            out.extend_from_slice(transport_id.as_bytes());
        }
        out.extend_from_slice(self.destination.as_bytes());
        out.push(self.context.0);
        out.extend_from_slice(&self.data);
    }

    /// The encoded packet.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// What the packet hash covers: (flags & 0x0F) || destination || context ||
    /// data. Hops, header type, transport id, context flag and IFAC are left out,
    /// so the hash survives forwarding.
    pub fn hashable_part(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_MINSIZE - 1 + self.data.len());
        out.push(self.flags() & HASHED_FLAGS);
        out.extend_from_slice(self.destination.as_bytes());
        out.push(self.context.0);
        out.extend_from_slice(&self.data);
        out
    }

    /// SHA-256 of the hashable part, computed without building it.
    pub fn hash(&self) -> PacketHash {
        PacketHash(full_hash_of(&[
            &[self.flags() & HASHED_FLAGS],
            self.destination.as_bytes(),
            &[self.context.0],
            &self.data,
        ]))
    }

    /// The first 16 bytes of the packet hash.
    pub fn truncated_hash(&self) -> DestinationHash {
        self.hash().truncated()
    }

    /// Fails with `HopLimit` when the packet has made `PATHFINDER_M` (128) hops or
    /// more. Kept out of [`decode`](Self::decode) so decoding stays a pure
    /// inverse of encoding; transport calls this after incrementing the hop count
    /// on receipt.
    pub fn check_receivable(&self) -> Result<(), WireError> {
        if self.hops >= PATHFINDER_M {
            return Err(WireError::HopLimit { hops: self.hops });
        }
        Ok(())
    }

    /// Puts the packet in transport towards `transport_id`: HEADER_2, TRANSPORT,
    /// and (as the reference does) the context flag cleared. Announce rebroadcasts
    /// are not made this way: they keep the context flag, which marks a ratchet.
    pub fn into_header2(self, transport_id: IdentityHash) -> Packet {
        Packet {
            header: Header::Type2 { transport_id },
            context_flag: false,
            transport_type: TransportType::Transport,
            ..self
        }
    }

    /// Takes the packet out of transport for its last hop: HEADER_1, BROADCAST,
    /// context flag cleared.
    pub fn into_header1_broadcast(self) -> Packet {
        Packet {
            header: Header::Type1,
            context_flag: false,
            transport_type: TransportType::Broadcast,
            ..self
        }
    }

    /// The transport id of a HEADER_2 packet.
    pub fn transport_id(&self) -> Option<&IdentityHash> {
        match &self.header {
            Header::Type1 => None,
            Header::Type2 { transport_id } => Some(transport_id),
        }
    }

    /// Fails with `Malformed` unless this is a `expected` packet; `what` names the
    /// payload the caller meant to decode.
    pub(crate) fn expect_type(
        &self,
        expected: PacketType,
        what: &'static str,
    ) -> Result<(), WireError> {
        if self.packet_type != expected {
            return Err(WireError::malformed(what, "wrong packet type"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Packet {
        Packet::new(
            PacketType::Data,
            DestinationKind::Single,
            DestinationHash([7; 16]),
            Context::NONE,
            vec![1, 2, 3],
        )
    }

    #[test]
    fn rejects_empty_data_and_short_frames() {
        let mut raw = sample().encode();
        raw.truncate(HEADER_MINSIZE);
        assert_eq!(
            Packet::decode(&raw),
            Err(WireError::Truncated {
                needed: 20,
                have: 19
            })
        );
        assert!(matches!(
            Packet::decode(&[]),
            Err(WireError::Truncated { .. })
        ));
        let h2 = sample().into_header2(IdentityHash([9; 16])).encode();
        assert!(Packet::decode(&h2[..35]).is_err());
        assert!(Packet::decode(&h2[..36]).is_ok());
    }

    #[test]
    fn rejects_ifac_flag() {
        let mut raw = sample().encode();
        raw[0] |= 0x80;
        assert!(matches!(
            Packet::decode(&raw),
            Err(WireError::Malformed { .. })
        ));
    }

    #[test]
    fn hop_limit_is_a_separate_check() {
        let mut p = sample();
        p.hops = 127;
        assert!(p.check_receivable().is_ok());
        p.hops = 128;
        let decoded = Packet::decode(&p.encode()).unwrap();
        assert_eq!(
            decoded.check_receivable(),
            Err(WireError::HopLimit { hops: 128 })
        );
    }

    #[test]
    fn header_conversion_keeps_hash_and_clears_context_flag() {
        let mut p = sample();
        p.context_flag = true;
        let hash = p.hash();
        let h2 = p.clone().into_header2(IdentityHash([9; 16]));
        assert_eq!(h2.flags(), 0x50);
        assert_eq!(h2.hash(), hash);
        assert_eq!(h2.transport_id(), Some(&IdentityHash([9; 16])));
        let h1 = h2.into_header1_broadcast();
        assert_eq!(h1.flags(), 0x00);
        assert_eq!(h1.hash(), hash);
        assert_eq!(p.hashable_part().len(), 18 + 3);
    }
}
