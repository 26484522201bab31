//! The 3 signalling bytes of a link request and its proof: the link MTU (21 bits)
//! and the encryption mode (3 bits).

use crate::WireError;

/// Length of the signalling field.
pub const SIGNALLING_LEN: usize = 3;
/// The largest MTU 21 bits can signal.
pub const MAX_SIGNALLED_MTU: u32 = 0x1F_FFFF;

const MODE_SHIFT: u32 = 21;
const MODE_BITS: u8 = 0b111;

/// A link encryption mode (3 bits). Values 3..=7 are reserved but carried through
/// so the link layer, not the codec, decides to refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkMode(u8);

impl LinkMode {
    pub const AES128_CBC: LinkMode = LinkMode(0);
    /// The only mode the reference enables, and its default.
    pub const AES256_CBC: LinkMode = LinkMode(1);
    pub const AES256_GCM: LinkMode = LinkMode(2);
    pub const DEFAULT: LinkMode = LinkMode::AES256_CBC;

    /// From the low 3 bits of `bits`.
    pub const fn from_bits(bits: u8) -> LinkMode {
        LinkMode(bits & MODE_BITS)
    }

    pub const fn value(self) -> u8 {
        self.0
    }

    /// Whether the reference (1.5.7) accepts links in this mode.
    pub const fn is_enabled(self) -> bool {
        self.0 == Self::AES256_CBC.0
    }
}

/// Link MTU and mode as signalled by a link request or its proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signalling {
    mtu: u32,
    mode: LinkMode,
}

impl Signalling {
    /// Fails with `Malformed` if `mtu` does not fit 21 bits.
    pub fn new(mtu: u32, mode: LinkMode) -> Result<Signalling, WireError> {
        if mtu > MAX_SIGNALLED_MTU {
            return Err(WireError::malformed(
                "link signalling",
                "MTU exceeds 21 bits",
            ));
        }
        Ok(Signalling { mtu, mode })
    }

    pub const fn mtu(&self) -> u32 {
        self.mtu
    }

    pub const fn mode(&self) -> LinkMode {
        self.mode
    }

    /// The 3 low bytes of the big-endian `mtu | mode << 21`.
    pub fn encode(&self) -> [u8; SIGNALLING_LEN] {
        let value = self.mtu | (u32::from(self.mode.0) << MODE_SHIFT);
        let [_, a, b, c] = value.to_be_bytes();
        [a, b, c]
    }

    /// Every 3-byte value is a valid signalling field.
    pub fn decode(bytes: [u8; SIGNALLING_LEN]) -> Signalling {
        let [a, b, c] = bytes;
        let value = u32::from_be_bytes([0, a, b, c]);
        Signalling {
            mtu: value & MAX_SIGNALLED_MTU,
            mode: LinkMode::from_bits(a >> (MODE_SHIFT - 16)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example() {
        let s = Signalling::new(500, LinkMode::DEFAULT).unwrap();
        assert_eq!(s.encode(), [0x20, 0x01, 0xf4]);
        assert_eq!(Signalling::decode([0x20, 0x01, 0xf4]), s);
        assert!(Signalling::new(MAX_SIGNALLED_MTU + 1, LinkMode::DEFAULT).is_err());
        let reserved = Signalling::decode([0xff, 0xff, 0xff]);
        assert_eq!(
            (reserved.mtu(), reserved.mode().value()),
            (MAX_SIGNALLED_MTU, 7)
        );
        assert!(!reserved.mode().is_enabled() && LinkMode::AES256_CBC.is_enabled());
    }
}
