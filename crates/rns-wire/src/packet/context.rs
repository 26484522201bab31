//! The small typed fields of a packet header: packet type, transport type and the
//! context byte.

use std::fmt;

/// What a packet is, from the two low bits of the flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    Data = 0,
    Announce = 1,
    LinkRequest = 2,
    Proof = 3,
}

impl PacketType {
    /// From the two low bits of a value (higher bits are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::Data,
            1 => Self::Announce,
            2 => Self::LinkRequest,
            _ => Self::Proof,
        }
    }
}

/// How a packet travels, from bit 4 of the flags byte.
///
/// The reference also names RELAY (2) and TUNNEL (3), but one bit cannot carry
/// them, and they never appear on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TransportType {
    Broadcast = 0,
    Transport = 1,
}

/// The header layout, from bit 6 of the flags byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HeaderType {
    /// Destination hash only.
    Header1 = 0,
    /// Transport id, then destination hash.
    Header2 = 1,
}

/// The context byte. A newtype rather than an enum so that values this crate
/// does not know are carried through unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Context(pub u8);

macro_rules! contexts {
    ($($name:ident = $value:expr),* $(,)?) => {
        impl Context {
            $(pub const $name: Context = Context($value);)*

            /// The reference's name for this value, if it has one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

contexts! {
    NONE = 0x00,
    RESOURCE = 0x01,
    RESOURCE_ADV = 0x02,
    RESOURCE_REQ = 0x03,
    RESOURCE_HMU = 0x04,
    RESOURCE_PRF = 0x05,
    RESOURCE_ICL = 0x06,
    RESOURCE_RCL = 0x07,
    CACHE_REQUEST = 0x08,
    REQUEST = 0x09,
    RESPONSE = 0x0A,
    PATH_RESPONSE = 0x0B,
    COMMAND = 0x0C,
    COMMAND_STATUS = 0x0D,
    CHANNEL = 0x0E,
    KEEPALIVE = 0xFA,
    LINKIDENTIFY = 0xFB,
    LINKCLOSE = 0xFC,
    LINKPROOF = 0xFD,
    LRRTT = 0xFE,
    LRPROOF = 0xFF,
}

impl Context {
    /// One of the resource transfer contexts (RESOURCE ..= RESOURCE_RCL).
    pub const fn is_resource(self) -> bool {
        matches!(self.0, 0x01..=0x07)
    }

    /// One of the link control contexts (KEEPALIVE ..= LRPROOF).
    pub const fn is_link_control(self) -> bool {
        self.0 >= Self::KEEPALIVE.0
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Context::{name}"),
            None => write!(f, "Context(0x{:02x})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ranges() {
        assert_eq!(Context::PATH_RESPONSE.0, 0x0B);
        assert_eq!(Context::LRPROOF.name(), Some("LRPROOF"));
        assert_eq!(Context(0x42).name(), None);
        assert_eq!(format!("{:?}", Context(0x42)), "Context(0x42)");
        assert_eq!(format!("{:?}", Context::KEEPALIVE), "Context::KEEPALIVE");
        assert!(Context::RESOURCE_RCL.is_resource() && !Context::CACHE_REQUEST.is_resource());
        assert!(Context::KEEPALIVE.is_link_control() && !Context::CHANNEL.is_link_control());
        for bits in 0..4u8 {
            assert_eq!(PacketType::from_bits(bits) as u8, bits);
        }
    }
}
