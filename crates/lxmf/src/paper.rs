//! Paper messages: a sealed container as an `lxm://` URI (protocol.md §19).
//!
//! URI = `lxm://` + URL-safe base64 of the container without `=` padding.
//! Ingest reads it back the way the reference does: the scheme and every `/`
//! are removed and the rest is decoded leniently (characters outside the
//! alphabet are skipped, decoding stops at padding). The container is then
//! handled like a propagated message (`delivery::open`, `delivery::transient_id`).

use crate::delivery::{PAPER_MDU, PlanError};
use crate::message::DESTINATION_LENGTH;

/// The URI scheme.
pub const URI_SCHEMA: &str = "lxm";
const PREFIX: &str = "lxm://";
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a URI did not read as a paper message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaperError {
    #[error("base64 has a dangling character (length is 1 more than a multiple of 4)")]
    Base64Length,
    #[error("paper message of {0} bytes is too short to hold a destination and a ciphertext")]
    TooShort(usize),
}

/// The `lxm://` URI of a sealed container. Fails if the container is larger than
/// the reference allows on paper.
pub fn uri(container: &[u8]) -> Result<String, PlanError> {
    if container.len() > PAPER_MDU {
        return Err(PlanError::TooLargeForPaper(container.len()));
    }
    Ok(format!("{PREFIX}{}", base64url_encode(container)))
}

/// The container in an `lxm://` URI (the scheme may also be missing).
pub fn parse_uri(uri: &str) -> Result<Vec<u8>, PaperError> {
    let body = uri.strip_prefix(PREFIX).unwrap_or(uri);
    let container = base64url_decode(body)?;
    if container.len() <= DESTINATION_LENGTH {
        return Err(PaperError::TooShort(container.len()));
    }
    Ok(container)
}

/// URL-safe base64 without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize]));
        }
    }
    out
}

/// Lenient URL-safe base64, as the reference ingests: `/` and other characters
/// outside the alphabet are skipped (`+` counts as `-`), decoding stops at the
/// first `=`, and missing padding is fine.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, PaperError> {
    let sextets: Vec<u8> = text
        .bytes()
        .take_while(|&c| c != b'=')
        .filter_map(sextet)
        .collect();
    if sextets.len() % 4 == 1 {
        return Err(PaperError::Base64Length);
    }
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for group in sextets.chunks(4) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &s)| n | u32::from(s) << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    Ok(out)
}

fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_encodings() {
        for (raw, enc) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (&[0xfb, 0xff, 0xbf][..], "-_-_"),
        ] {
            assert_eq!(base64url_encode(raw), enc);
            assert_eq!(base64url_decode(enc).unwrap(), raw);
            assert_eq!(base64url_decode(&format!("{enc}==")).unwrap(), raw);
        }
        assert_eq!(base64url_decode("Zm9v\nYg/").unwrap(), b"foob");
        assert_eq!(base64url_decode("Zm9vY"), Err(PaperError::Base64Length));
    }

    #[test]
    fn uri_round_trip_and_limits() {
        let container = vec![7u8; 100];
        let uri = uri(&container).unwrap();
        assert!(uri.starts_with("lxm://"));
        assert_eq!(parse_uri(&uri).unwrap(), container);
        assert_eq!(
            super::uri(&[0; PAPER_MDU + 1]),
            Err(PlanError::TooLargeForPaper(PAPER_MDU + 1))
        );
        assert_eq!(parse_uri("lxm://AAAA"), Err(PaperError::TooShort(3)));
    }
}
