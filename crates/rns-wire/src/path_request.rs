//! Path requests: "who knows a path to this destination?", broadcast as DATA to
//! the PLAIN destination `rnstransport.path.request`.

use rns_crypto::hash::TRUNCATED_HASH_LEN;
use rns_crypto::{DestinationHash, IdentityHash};

use crate::WireError;
use crate::packet::reader::{Reader, need};
use crate::packet::{Context, DestinationKind, Packet, PacketType};

/// The dotted name path requests are sent to.
pub const PATH_REQUEST_NAME: &str = "rnstransport.path.request";

/// The destination hash of [`PATH_REQUEST_NAME`] (PLAIN, so no identity).
pub const PATH_REQUEST_DESTINATION: DestinationHash = DestinationHash([
    0x6b, 0x9f, 0x66, 0x01, 0x4d, 0x98, 0x53, 0xfa, 0xab, 0x22, 0x0f, 0xba, 0x47, 0xd0, 0x27, 0x61,
]);

/// Length of a full tag; received tags may be shorter, longer ones are cut.
pub const TAG_LEN: usize = TRUNCATED_HASH_LEN;

/// The request's tag, 1 to 16 bytes. Senders use a random 16-byte hash; shorter
/// tags are accepted because the reference accepts them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathRequestTag {
    bytes: [u8; TAG_LEN],
    len: u8,
}

impl PathRequestTag {
    /// A full 16-byte tag.
    pub const fn new(bytes: [u8; TAG_LEN]) -> Self {
        Self {
            bytes,
            len: TAG_LEN as u8,
        }
    }

    /// A tag of 1 to 16 bytes; `None` otherwise.
    pub fn from_slice(tag: &[u8]) -> Option<Self> {
        let len = u8::try_from(tag.len())
            .ok()
            .filter(|&l| (1..=TAG_LEN as u8).contains(&l))?;
        let mut bytes = [0u8; TAG_LEN];
        bytes.get_mut(..tag.len())?.copy_from_slice(tag);
        Some(Self { bytes, len })
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }
}

impl std::fmt::Debug for PathRequestTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PathRequestTag(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

/// A decoded path request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathRequest {
    /// The destination a path is wanted for.
    pub destination: DestinationHash,
    /// The requesting transport node, present only when it has transport enabled.
    pub transport_id: Option<IdentityHash>,
    pub tag: PathRequestTag,
}

impl PathRequest {
    /// Parses the data field. More than 32 bytes: a transport id follows the
    /// destination, then the tag. 17 to 32 bytes: the tag follows the destination.
    /// Exactly 16 bytes is a tagless request, which the reference drops:
    /// `Malformed`. Tags longer than 16 bytes are cut to 16.
    pub fn decode(data: &[u8]) -> Result<PathRequest, WireError> {
        need(data, DestinationHash::LEN)?;
        if data.len() == DestinationHash::LEN {
            return Err(WireError::malformed("path request", "tagless"));
        }
        let mut r = Reader::new(data);
        let destination = DestinationHash(r.array()?);
        let transport_id = if data.len() > DestinationHash::LEN + TAG_LEN {
            Some(IdentityHash(r.array()?))
        } else {
            None
        };
        let tag = r.rest();
        let tag = PathRequestTag::from_slice(tag.get(..TAG_LEN).unwrap_or(tag))
            .ok_or(WireError::malformed("path request", "empty tag"))?;
        Ok(PathRequest {
            destination,
            transport_id,
            tag,
        })
    }

    /// The data field: destination || [transport id] || tag.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 * TRUNCATED_HASH_LEN);
        out.extend_from_slice(self.destination.as_bytes());
        if let Some(id) = &self.transport_id {
            out.extend_from_slice(id.as_bytes());
        }
        out.extend_from_slice(self.tag.as_bytes());
        out
    }

    /// The request as a DATA, HEADER_1, BROADCAST packet to the PLAIN path
    /// request destination.
    pub fn to_packet(&self) -> Packet {
        Packet::new(
            PacketType::Data,
            DestinationKind::Plain,
            PATH_REQUEST_DESTINATION,
            Context::NONE,
            self.encode(),
        )
    }

    /// Parses a packet that must be a PLAIN DATA packet to the path request
    /// destination.
    pub fn from_packet(packet: &Packet) -> Result<PathRequest, WireError> {
        packet.expect_type(PacketType::Data, "path request")?;
        if packet.destination_kind != DestinationKind::Plain
            || packet.destination != PATH_REQUEST_DESTINATION
        {
            return Err(WireError::malformed(
                "path request",
                "not addressed to path requests",
            ));
        }
        Self::decode(&packet.data)
    }

    /// What duplicate detection compares: destination and tag.
    pub fn dedup_key(&self) -> (DestinationHash, PathRequestTag) {
        (self.destination, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_crypto::destination_hash_for;

    #[test]
    fn destination_constant_matches_name() {
        let (app, aspects) = ("rnstransport", ["path", "request"]);
        assert_eq!(
            destination_hash_for(app, &aspects, None).unwrap(),
            PATH_REQUEST_DESTINATION
        );
        assert_eq!(PATH_REQUEST_NAME, "rnstransport.path.request");
    }

    #[test]
    fn length_rules() {
        let mut data = vec![1u8; 16];
        assert_eq!(
            PathRequest::decode(&data[..15]),
            Err(WireError::Truncated {
                needed: 16,
                have: 15
            })
        );
        assert!(matches!(
            PathRequest::decode(&data),
            Err(WireError::Malformed { .. })
        ));
        data.extend_from_slice(&[2; 4]);
        let short = PathRequest::decode(&data).unwrap();
        assert_eq!(
            (short.transport_id, short.tag.as_bytes()),
            (None, &[2u8; 4][..])
        );
        data.extend_from_slice(&[3; 12]);
        assert_eq!(PathRequest::decode(&data).unwrap().transport_id, None);
        data.push(4);
        let with_id = PathRequest::decode(&data).unwrap();
        assert!(with_id.transport_id.is_some());
        assert_eq!(with_id.tag.as_bytes(), &[4]);
        data.extend_from_slice(&[5; 40]);
        assert_eq!(PathRequest::decode(&data).unwrap().tag.as_bytes().len(), 16);
    }

    #[test]
    fn tags_must_be_1_to_16_bytes() {
        assert!(PathRequestTag::from_slice(&[]).is_none());
        assert!(PathRequestTag::from_slice(&[0; 17]).is_none());
        assert_eq!(
            PathRequestTag::from_slice(&[9; 16]),
            Some(PathRequestTag::new([9; 16]))
        );
    }
}
