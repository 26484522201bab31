//! HKDF-SHA256 (RFC 5869) with the reference's conventions: a missing or empty
//! salt means 32 zero bytes, missing info means empty, and outputs may run past
//! RFC 5869's 255-block limit.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::CryptoError;
use crate::hash::HASH_LEN;

/// The longest output RFC 5869 defines for SHA-256 (255 blocks).
const RFC_MAX_OUTPUT: usize = 255 * HASH_LEN;

/// Derives `length` bytes from `ikm`.
///
/// `salt` of `None` or empty is replaced by 32 zero bytes; `info` of `None` is
/// empty. Fails if `length` is 0 or `ikm` is empty.
pub fn hkdf(
    length: usize,
    ikm: &[u8],
    salt: Option<&[u8]>,
    info: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(vec![0u8; length]);
    hkdf_into(&mut out, ikm, salt, info)?;
    Ok(out)
}

/// As [`hkdf()`], into a fixed-size array (for the 32- and 64-byte keys).
pub fn hkdf_array<const N: usize>(
    ikm: &[u8],
    salt: Option<&[u8]>,
    info: Option<&[u8]>,
) -> Result<Zeroizing<[u8; N]>, CryptoError> {
    let mut out = Zeroizing::new([0u8; N]);
    hkdf_into(out.as_mut(), ikm, salt, info)?;
    Ok(out)
}

/// As [`hkdf()`], filling `out` (its length is the output length).
pub fn hkdf_into(
    out: &mut [u8],
    ikm: &[u8],
    salt: Option<&[u8]>,
    info: Option<&[u8]>,
) -> Result<(), CryptoError> {
    if out.is_empty() {
        return Err(CryptoError::HkdfOutputLength);
    }
    if ikm.is_empty() {
        return Err(CryptoError::EmptyKeyMaterial);
    }
    let zero_salt = [0u8; HASH_LEN];
    let salt = match salt {
        Some(s) if !s.is_empty() => s,
        _ => &zero_salt,
    };
    let info = info.unwrap_or(&[]);
    let (mut prk, kdf) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let standard = out.len().min(RFC_MAX_OUTPUT);
    let (head, tail) = out.split_at_mut(standard);
    let result = kdf
        .expand(info, head)
        .map_err(|_| CryptoError::HkdfOutputLength)
        .and_then(|()| expand_past_rfc_limit(&prk, info, head, tail));
    prk.as_mut_slice().zeroize();
    result
}

/// Continues the expand loop past block 255 the way the reference does: the
/// one-byte block counter wraps to 0. IFAC masks on interfaces with a large
/// hardware MTU are longer than 8160 bytes, so this must match to interoperate.
fn expand_past_rfc_limit(
    prk: &[u8],
    info: &[u8],
    head: &[u8],
    tail: &mut [u8],
) -> Result<(), CryptoError> {
    if tail.is_empty() {
        return Ok(());
    }
    let mut prev = Zeroizing::new([0u8; HASH_LEN]);
    prev.copy_from_slice(&head[head.len() - HASH_LEN..]);
    for (n, chunk) in tail.chunks_mut(HASH_LEN).enumerate() {
        let mut mac = Hmac::<Sha256>::new_from_slice(prk).map_err(|_| CryptoError::KeyLength {
            expected: "32",
            actual: prk.len(),
        })?;
        mac.update(prev.as_ref());
        mac.update(info);
        // Block 256 has counter 0, block 257 counter 1, ...
        mac.update(&[(n % 256) as u8]);
        prev.copy_from_slice(&mac.finalize().into_bytes());
        chunk.copy_from_slice(&prev[..chunk.len()]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::full_hash;

    #[test]
    fn refuses_empty_output_and_empty_ikm() {
        assert_eq!(
            hkdf(0, b"k", None, None).unwrap_err(),
            CryptoError::HkdfOutputLength
        );
        assert_eq!(
            hkdf(32, b"", None, None).unwrap_err(),
            CryptoError::EmptyKeyMaterial
        );
    }

    #[test]
    fn empty_salt_is_the_zero_salt() {
        let a = hkdf(40, b"ikm", None, None).unwrap();
        let b = hkdf(40, b"ikm", Some(&[]), Some(&[])).unwrap();
        let c = hkdf(40, b"ikm", Some(&[0u8; 32]), None).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn output_past_the_rfc_limit_wraps_the_counter() {
        // Expected values computed with the fact sheet's reference loop
        // (counter byte = block number mod 256) in Python.
        let out = hkdf(9000, b"long mask ikm", Some(b"salt"), None).unwrap();
        assert_eq!(
            hex(&full_hash(&out)),
            "40e02e36593b1ba6f21accefbda337a7b0900640d1e4cc89e7fc2b4788f2c1b2"
        );
        assert_eq!(
            hex(&out[8150..8170]),
            "de223aa1a15ec6e4dd0aea3060851b825498f932"
        );
        let short = hkdf(100, b"long mask ikm", Some(b"salt"), None).unwrap();
        assert_eq!(&out[..100], &short[..]);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
