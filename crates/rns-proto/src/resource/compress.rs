//! bz2 for resources: compress (level 9, as the reference's default), and
//! decompress with a hard cap, so that a tiny stream cannot expand into an
//! unbounded allocation.

use bzip2::{Compression, Decompress, Status};

/// The most a received resource segment may decompress to (§12).
pub const DECOMPRESS_CAP: usize = 64 * 1024 * 1024;

/// Output is grown by at most this much at a time, so that memory follows the
/// data actually produced rather than any size the sender claimed.
const GROW_STEP: usize = 256 * 1024;

/// Why a stream did not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompressError {
    #[error("not a valid bz2 stream")]
    Invalid,
    #[error("the bz2 stream ends before its end-of-stream marker")]
    Truncated,
    #[error("the bz2 stream does not end within {0} bytes of output")]
    OverCap(usize),
}

/// bz2 of `data` at level 9, or `None` if the encoder fails (it does not on
/// in-memory input, but nothing here may panic).
pub(crate) fn compress(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    bzip2::read::BzEncoder::new(data, Compression::best())
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Decompresses one bz2 stream, producing at most `cap` bytes. A stream that
/// has not reached its end-of-stream marker by then is refused: it is corrupt
/// or hostile, and either way it is not delivered. Bytes after the marker are
/// ignored, as a single-stream decoder does.
pub fn decompress_capped(data: &[u8], cap: usize) -> Result<Vec<u8>, DecompressError> {
    let mut decoder = Decompress::new(false);
    let mut out: Vec<u8> = Vec::new();
    loop {
        let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or(&[]);
        if out.len() == out.capacity() {
            // Room for one byte past the cap tells "exactly cap" from "over".
            let room = (cap + 1).saturating_sub(out.len()).min(GROW_STEP);
            if room == 0 {
                return Err(DecompressError::OverCap(cap));
            }
            out.reserve_exact(room);
        }
        let before = (decoder.total_in(), decoder.total_out());
        let status = decoder
            .decompress_vec(input, &mut out)
            .map_err(|_| DecompressError::Invalid)?;
        if out.len() > cap {
            return Err(DecompressError::OverCap(cap));
        }
        match status {
            Status::StreamEnd => return Ok(out),
            Status::MemNeeded => return Err(DecompressError::Invalid),
            _ => {}
        }
        let stuck = (decoder.total_in(), decoder.total_out()) == before;
        if stuck && out.len() < out.capacity() {
            return Err(DecompressError::Truncated);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_cap() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
        let packed = compress(&data).unwrap();
        assert!(packed.len() < data.len() / 10);
        assert_eq!(decompress_capped(&packed, data.len()).unwrap(), data);
        assert_eq!(
            decompress_capped(&packed, data.len() - 1),
            Err(DecompressError::OverCap(data.len() - 1))
        );
        let empty = compress(b"").unwrap();
        assert_eq!(decompress_capped(&empty, 0).unwrap(), b"");
    }

    #[test]
    fn refuses_broken_streams() {
        let data = vec![42u8; 10_000];
        let packed = compress(&data).unwrap();
        assert_eq!(
            decompress_capped(&packed[..packed.len() - 5], 1 << 20),
            Err(DecompressError::Truncated)
        );
        assert_eq!(
            decompress_capped(b"not bz2 at all", 1 << 20),
            Err(DecompressError::Invalid)
        );
        assert!(decompress_capped(&[], 10).is_err());
        // Trailing bytes after the end marker are ignored.
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"junk");
        assert_eq!(decompress_capped(&trailing, 1 << 20).unwrap(), data);
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let bomb = compress(&vec![0u8; 8 * 1024 * 1024]).unwrap();
        assert!(bomb.len() < 1024);
        assert_eq!(
            decompress_capped(&bomb, 1024 * 1024),
            Err(DecompressError::OverCap(1024 * 1024))
        );
    }
}
