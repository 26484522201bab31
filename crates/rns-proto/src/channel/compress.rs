//! bz2 for stream chunks: compressing one chunk on the writer, and
//! decompressing one on the reader with a hard cap on the output, so that a
//! small hostile message cannot expand into a large allocation.

use bzip2::{Action, Compress, Compression, Decompress, Status};

/// The most a compressed stream message may expand to (§13).
pub const MAX_DECOMPRESSED: usize = 16 * 1024;

/// Block size 1 (100 kB) is plenty for chunks of at most 16 KiB: every chunk
/// fits one block, so the output is what a larger block size would give (but
/// for the level digit in the header), while the encoder's working memory is a
/// ninth of level 9's.
const LEVEL: u32 = 1;
/// Calls to the encoder before giving up; one normally suffices, since the
/// output buffer starts at bz2's worst-case size.
const MAX_ENCODER_CALLS: usize = 16;

/// Why a compressed chunk was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompressError {
    #[error("the chunk expands past {MAX_DECOMPRESSED} bytes")]
    TooLarge,
    #[error("the chunk is not a complete bz2 stream")]
    Truncated,
    #[error("the chunk is not valid bz2")]
    Corrupt,
}

/// `data` as one bz2 stream, or `None` if the encoder fails (it should not).
pub(crate) fn compress(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = Compress::new(Compression::new(LEVEL), 0);
    let mut out = Vec::with_capacity(data.len() + data.len() / 100 + 600);
    for _ in 0..MAX_ENCODER_CALLS {
        let consumed = usize::try_from(encoder.total_in()).ok()?;
        let rest = data.get(consumed..)?;
        match encoder.compress_vec(rest, &mut out, Action::Finish).ok()? {
            Status::StreamEnd => return Some(out),
            _ => out.reserve(out.capacity().max(1024)),
        }
    }
    None
}

/// Decompresses exactly one bz2 stream that must fill `data` and expand to at
/// most `cap` bytes. Decoding stops as soon as the output passes the cap.
pub(crate) fn decompress_capped(data: &[u8], cap: usize) -> Result<Vec<u8>, DecompressError> {
    let mut decoder = Decompress::new(false);
    // One byte more than allowed, so that "exactly at the cap" and "past it"
    // can be told apart.
    let mut buf = vec![0u8; cap.saturating_add(1)];
    let (mut read, mut written) = (0usize, 0usize);
    loop {
        let input = data.get(read..).ok_or(DecompressError::Corrupt)?;
        let output = buf.get_mut(written..).ok_or(DecompressError::TooLarge)?;
        let status = decoder
            .decompress(input, output)
            .map_err(|_| DecompressError::Corrupt)?;
        let now_read = to_usize(decoder.total_in())?;
        let now_written = to_usize(decoder.total_out())?;
        let progressed = (now_read, now_written) != (read, written);
        (read, written) = (now_read, now_written);
        if written > cap {
            return Err(DecompressError::TooLarge);
        }
        match status {
            Status::StreamEnd => break,
            Status::MemNeeded => return Err(DecompressError::Corrupt),
            _ if !progressed => return Err(DecompressError::Truncated),
            _ => {}
        }
    }
    // Whatever follows the stream's end is not part of the chunk.
    if read != data.len() {
        return Err(DecompressError::Corrupt);
    }
    buf.truncate(written);
    Ok(buf)
}

fn to_usize(n: u64) -> Result<usize, DecompressError> {
    usize::try_from(n).map_err(|_| DecompressError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_cap() {
        let data: Vec<u8> = (0..MAX_DECOMPRESSED).map(|i| (i % 7) as u8).collect();
        let packed = compress(&data).unwrap();
        assert!(packed.len() < 200);
        assert_eq!(decompress_capped(&packed, MAX_DECOMPRESSED).unwrap(), data);
        assert_eq!(
            decompress_capped(&packed, MAX_DECOMPRESSED - 1),
            Err(DecompressError::TooLarge)
        );
        assert_eq!(
            compress(b"").map(|c| decompress_capped(&c, 0)),
            Some(Ok(vec![]))
        );
    }

    #[test]
    fn bombs_stop_at_the_cap() {
        let bomb = compress(&vec![0u8; 4 << 20]).unwrap();
        assert!(bomb.len() < 1024);
        assert_eq!(
            decompress_capped(&bomb, MAX_DECOMPRESSED),
            Err(DecompressError::TooLarge)
        );
    }

    #[test]
    fn broken_streams_are_refused() {
        let packed = compress(b"hello hello hello hello hello hello").unwrap();
        assert_eq!(
            decompress_capped(&packed[..packed.len() - 3], 100),
            Err(DecompressError::Truncated)
        );
        let mut trailing = packed.clone();
        trailing.push(0);
        assert_eq!(
            decompress_capped(&trailing, 100),
            Err(DecompressError::Corrupt)
        );
        assert_eq!(
            decompress_capped(b"not bz2", 100),
            Err(DecompressError::Corrupt)
        );
        assert!(decompress_capped(b"", 100).is_err());
        let mut flipped = packed;
        flipped[20] ^= 0xFF;
        assert!(decompress_capped(&flipped, 100).is_err());
    }
}
