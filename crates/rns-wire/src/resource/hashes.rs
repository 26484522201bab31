//! Fixed-size byte newtypes for the hashes resources and requests carry, so a map
//! hash is never mistaken for a random hash or a resource hash for its proof.

/// Declares a `Copy` newtype over `[u8; N]` with hex `Debug`/`Display`.
macro_rules! bytes_newtype {
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
                self.0.iter().map(|b| format!("{b:02x}")).collect()
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }
    };
}

pub(crate) use bytes_newtype;

bytes_newtype!(
    /// SHA-256 of a resource's uncompressed data (metadata included) and its
    /// random hash: the resource's identity on the link.
    ResourceHash,
    32
);
bytes_newtype!(
    /// SHA-256 of the resource data and its resource hash: what the receiver
    /// sends back to prove it holds the whole resource.
    ProofHash,
    32
);
bytes_newtype!(
    /// The 4 random bytes (`r`) salting a resource's hash and map hashes.
    RandomHash,
    4
);
bytes_newtype!(
    /// The first 4 bytes of SHA-256(part || random hash): names one part.
    MapHash,
    4
);

/// Splits bytes into map hashes; `None` unless the length is a multiple of 4.
pub(crate) fn map_hashes(bytes: &[u8]) -> Option<Vec<MapHash>> {
    if !bytes.len().is_multiple_of(MapHash::LEN) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(MapHash::LEN)
            .filter_map(MapHash::from_slice)
            .collect(),
    )
}

/// The concatenated bytes of a hashmap.
pub fn hashmap_bytes(hashes: &[MapHash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newtype_formatting_and_slices() {
        let h = MapHash::new([0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(h.to_string(), "deadbeef");
        assert_eq!(format!("{h:?}"), "MapHash(deadbeef)");
        assert_eq!(MapHash::from_slice(&[1, 2, 3]), None);
        assert_eq!(
            map_hashes(&[1, 2, 3, 4, 5, 6, 7, 8]).map(|v| v.len()),
            Some(2)
        );
        assert_eq!(map_hashes(&[1, 2, 3]), None);
        assert_eq!(
            hashmap_bytes(&[h, h]),
            [0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef]
        );
    }
}
