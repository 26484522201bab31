//! Channel envelopes (context CHANNEL) and the stream-data messages buffers send
//! through them.

use crate::WireError;

const ENVELOPE: &str = "channel envelope";
const ENVELOPE_HEADER_LEN: usize = 6;
const STREAM_HEADER_LEN: usize = 2;

/// A channel message type. Values from 0xF000 up are reserved for the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(pub u16);

impl MessageType {
    /// Stream data sent by buffers.
    pub const STREAM_DATA: MessageType = MessageType(0xFF00);
    /// The first reserved type.
    pub const RESERVED_START: u16 = 0xF000;

    /// Whether applications may not register this type themselves.
    pub const fn is_reserved(self) -> bool {
        self.0 >= Self::RESERVED_START
    }
}

/// One channel message: `msgtype u16 BE || sequence u16 BE || length u16 BE || payload`.
///
/// Borrows its payload from the packet it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub msgtype: MessageType,
    /// Runs modulo 65536.
    pub sequence: u16,
    pub payload: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// Bytes before the payload.
    pub const HEADER_LEN: usize = ENVELOPE_HEADER_LEN;

    /// The packed envelope; payloads over 65535 bytes cannot be described by the
    /// length field and are refused.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let len = u16::try_from(self.payload.len()).map_err(|_| WireError::TooLong {
            max: usize::from(u16::MAX),
            got: self.payload.len(),
        })?;
        let mut out = Vec::with_capacity(Self::HEADER_LEN + self.payload.len());
        out.extend_from_slice(&self.msgtype.0.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(self.payload);
        Ok(out)
    }

    /// Parses an envelope whose length field must match the payload present:
    /// fewer bytes is truncated, more is malformed.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, WireError> {
        let (header, payload) =
            bytes
                .split_first_chunk::<ENVELOPE_HEADER_LEN>()
                .ok_or(WireError::Truncated {
                    needed: Self::HEADER_LEN,
                    have: bytes.len(),
                })?;
        let [t0, t1, s0, s1, l0, l1] = *header;
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if payload.len() < len {
            return Err(WireError::Truncated {
                needed: Self::HEADER_LEN + len,
                have: bytes.len(),
            });
        }
        if payload.len() > len {
            return Err(WireError::malformed(
                ENVELOPE,
                "bytes follow the declared payload",
            ));
        }
        Ok(Envelope {
            msgtype: MessageType(u16::from_be_bytes([t0, t1])),
            sequence: u16::from_be_bytes([s0, s1]),
            payload,
        })
    }
}

/// A buffer's stream id: 14 bits, 0..=16383.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId(u16);

impl StreamId {
    pub const MAX: u16 = 0x3FFF;

    /// Refuses ids that do not fit the 14 bits of the header.
    pub fn new(id: u16) -> Result<Self, WireError> {
        if id > Self::MAX {
            return Err(WireError::invalid_field(
                "stream message",
                "stream id",
                "is above 16383",
            ));
        }
        Ok(StreamId(id))
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// The payload of a STREAM_DATA message: `header u16 BE || data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamMessage<'a> {
    pub stream_id: StreamId,
    /// The writer has closed the stream after this data.
    pub eof: bool,
    /// `data` is bz2-compressed.
    pub compressed: bool,
    pub data: &'a [u8],
}

impl<'a> StreamMessage<'a> {
    pub const HEADER_LEN: usize = STREAM_HEADER_LEN;
    const EOF: u16 = 0x8000;
    const COMPRESSED: u16 = 0x4000;

    pub fn header(&self) -> u16 {
        let mut header = self.stream_id.0 & StreamId::MAX;
        if self.eof {
            header |= Self::EOF;
        }
        if self.compressed {
            header |= Self::COMPRESSED;
        }
        header
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::HEADER_LEN + self.data.len());
        out.extend_from_slice(&self.header().to_be_bytes());
        out.extend_from_slice(self.data);
        out
    }

    /// Every 2-byte header is valid, so only a payload shorter than 2 bytes fails.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, WireError> {
        let (header, data) =
            bytes
                .split_first_chunk::<STREAM_HEADER_LEN>()
                .ok_or(WireError::Truncated {
                    needed: Self::HEADER_LEN,
                    have: bytes.len(),
                })?;
        let header = u16::from_be_bytes(*header);
        Ok(StreamMessage {
            stream_id: StreamId(header & StreamId::MAX),
            eof: header & Self::EOF != 0,
            compressed: header & Self::COMPRESSED != 0,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_layout() {
        let e = Envelope {
            msgtype: MessageType::STREAM_DATA,
            sequence: 0x0102,
            payload: b"hi",
        };
        let bytes = e.encode().unwrap();
        assert_eq!(bytes, [0xFF, 0x00, 0x01, 0x02, 0x00, 0x02, b'h', b'i']);
        assert_eq!(Envelope::decode(&bytes).unwrap(), e);
        assert!(matches!(
            Envelope::decode(&bytes[..7]),
            Err(WireError::Truncated { needed: 8, .. })
        ));
        assert!(matches!(
            Envelope::decode(&bytes[..3]),
            Err(WireError::Truncated { needed: 6, .. })
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            Envelope::decode(&long),
            Err(WireError::Malformed { .. })
        ));
        assert!(MessageType::STREAM_DATA.is_reserved());
        assert!(!MessageType(0xEFFF).is_reserved());
        let big = vec![0u8; 65536];
        let too_big = Envelope { payload: &big, ..e };
        assert!(matches!(too_big.encode(), Err(WireError::TooLong { .. })));
    }

    #[test]
    fn stream_header_bits() {
        let m = StreamMessage {
            stream_id: StreamId::new(0x1234).unwrap(),
            eof: true,
            compressed: true,
            data: b"x",
        };
        assert_eq!(m.encode(), [0xD2, 0x34, b'x']);
        assert_eq!(StreamMessage::decode(&m.encode()).unwrap(), m);
        assert!(StreamId::new(16384).is_err());
        assert_eq!(StreamId::new(16383).unwrap().get(), 16383);
        assert!(matches!(
            StreamMessage::decode(&[0x80]),
            Err(WireError::Truncated { .. })
        ));
    }
}
