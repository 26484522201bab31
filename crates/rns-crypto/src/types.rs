//! Hash newtypes: one type per concept, so a destination hash is never mistaken
//! for an identity hash.

use std::fmt;
use std::str::FromStr;

use crate::hash::{HASH_LEN, NAME_HASH_LEN, RATCHET_ID_LEN, TRUNCATED_HASH_LEN};

/// A hex string did not parse as a hash of the expected length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} hex characters")]
pub struct HashParseError {
    pub expected: usize,
}

macro_rules! hash_newtype {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            pub const LEN: usize = $len;

            pub const fn new(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// Takes exactly `LEN` bytes; `None` for any other length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; $len]>::try_from(bytes).ok().map(Self)
            }

            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            pub fn to_hex(&self) -> String {
                let mut s = String::with_capacity($len * 2);
                for b in self.0 {
                    s.push_str(&format!("{b:02x}"));
                }
                s
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = HashParseError;

            /// Parses lowercase or uppercase hex; `<` `>` around it (as the
            /// reference prints hashes) are accepted and ignored.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = HashParseError { expected: $len * 2 };
                let s = s.trim().trim_start_matches('<').trim_end_matches('>');
                if s.len() != $len * 2 || !s.is_ascii() {
                    return Err(err);
                }
                let mut out = [0u8; $len];
                for (i, byte) in out.iter_mut().enumerate() {
                    let pair = s.get(i * 2..i * 2 + 2).ok_or(err.clone())?;
                    *byte = u8::from_str_radix(pair, 16).map_err(|_| err.clone())?;
                }
                Ok(Self(out))
            }
        }
    };
}

hash_newtype!(
    /// The truncated hash of an identity's 64-byte public key.
    IdentityHash,
    TRUNCATED_HASH_LEN
);
hash_newtype!(
    /// The 16-byte address of a destination (or of a link: a link id has the same form).
    DestinationHash,
    TRUNCATED_HASH_LEN
);
hash_newtype!(
    /// The first 10 bytes of SHA-256 of a destination's dotted name.
    NameHash,
    NAME_HASH_LEN
);
hash_newtype!(
    /// The first 10 bytes of SHA-256 of a ratchet's X25519 public key.
    RatchetId,
    RATCHET_ID_LEN
);
hash_newtype!(
    /// The full 32-byte hash of a packet's hashable part.
    PacketHash,
    HASH_LEN
);

impl PacketHash {
    /// The first 16 bytes: what proofs are addressed to and dedup lists keep.
    pub fn truncated(&self) -> DestinationHash {
        let mut out = [0u8; TRUNCATED_HASH_LEN];
        out.copy_from_slice(&self.0[..TRUNCATED_HASH_LEN]);
        DestinationHash(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let h: DestinationHash = "<00112233445566778899aabbccddeeff>".parse().unwrap();
        assert_eq!(h.to_string(), "00112233445566778899aabbccddeeff");
        assert!("0011".parse::<DestinationHash>().is_err());
        assert!(
            "zz112233445566778899aabbccddeeff"
                .parse::<DestinationHash>()
                .is_err()
        );
        assert!(
            "é0112233445566778899aabbccddeef"
                .parse::<DestinationHash>()
                .is_err()
        );
        assert_eq!(
            format!("{h:?}"),
            "DestinationHash(00112233445566778899aabbccddeeff)"
        );
    }
}
