//! Sizes and limits of Reticulum packets, as the reference derives them from the
//! 500-byte network MTU.

use rns_crypto::hash::TRUNCATED_HASH_LEN;

/// The network-wide MTU every interface must carry.
pub const MTU: usize = 500;

/// Flags, hops, destination hash and context: a HEADER_1 packet with no data.
pub const HEADER_MINSIZE: usize = 2 + 1 + TRUNCATED_HASH_LEN;

/// A HEADER_2 header: HEADER_1 plus the transport id.
pub const HEADER_MAXSIZE: usize = HEADER_MINSIZE + TRUNCATED_HASH_LEN;

/// The smallest interface access code, in bytes.
pub const IFAC_MIN_SIZE: usize = 1;

/// The largest data field a packet may carry and still fit any header and IFAC.
pub const MDU: usize = MTU - HEADER_MAXSIZE - IFAC_MIN_SIZE;

/// Plaintext data limit of a packet to a PLAIN destination (no encryption overhead).
pub const PLAIN_MDU: usize = MDU;

/// Bytes a Token adds besides padding: IV (16) and HMAC (32).
pub const TOKEN_OVERHEAD: usize = 48;

/// AES block size: the Token pads plaintext up to a multiple of this.
const AES_BLOCK: usize = 16;

/// The ephemeral X25519 public key prepended when encrypting to an identity.
const EPHEMERAL_KEY_LEN: usize = 32;

/// Plaintext limit of one packet encrypted to a SINGLE destination: the Token and
/// the ephemeral key must fit, and PKCS7 always adds at least one byte.
pub const ENCRYPTED_MDU: usize =
    (MDU - TOKEN_OVERHEAD - EPHEMERAL_KEY_LEN) / AES_BLOCK * AES_BLOCK - 1;

/// Plaintext limit of one link packet at the default MTU.
pub const LINK_MDU: usize = link_mdu(MTU);

/// Packets that have travelled this many hops are dropped.
pub const PATHFINDER_M: u8 = 128;

/// Plaintext limit of one link packet for a link MTU of `mtu`:
/// floor((mtu − IFAC_MIN_SIZE − HEADER_MINSIZE − TOKEN_OVERHEAD) / 16) × 16 − 1.
///
/// A link's header is always HEADER_1 (it is addressed to the link id), so the
/// minimum header size is reserved, not the maximum. MTUs too small to carry a
/// single byte give 0.
pub const fn link_mdu(mtu: usize) -> usize {
    let room = mtu.saturating_sub(IFAC_MIN_SIZE + HEADER_MINSIZE + TOKEN_OVERHEAD);
    (room / AES_BLOCK * AES_BLOCK).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_sizes() {
        assert_eq!(HEADER_MINSIZE, 19);
        assert_eq!(HEADER_MAXSIZE, 35);
        assert_eq!(MDU, 464);
        assert_eq!(ENCRYPTED_MDU, 383);
        assert_eq!(LINK_MDU, 431);
        assert_eq!(link_mdu(16384), 16303);
        assert_eq!(link_mdu(0), 0);
        assert_eq!(link_mdu(68), 0);
        assert_eq!(link_mdu(84), 15);
    }
}
