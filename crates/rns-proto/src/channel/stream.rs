//! Buffers: byte streams carried over the channel as STREAM_DATA messages
//! (`header u16 || data`, §13). The writer side is a bounded queue that the
//! link drains into the channel as its window opens; the reader side turns one
//! message back into stream bytes, decompressing with a cap.
//!
//! The writer's chunking follows the reference's rule: try bz2 on up to 16 KiB,
//! halving the attempt up to three times while it is over 32 bytes, and send
//! the compressed form when it is smaller than both the room in a message and
//! the bytes it stands for. Our own additions: halving stops early once an
//! attempt's output is not smaller than its input (less of the same bytes will
//! not do better), and when no attempt yields a message, the up to 16 KiB
//! tried are marked as not worth compressing, so later chunks inside them skip
//! bz2. Otherwise a small-MTU link would compress the same 16 KiB afresh, up to
//! four times, for every few hundred bytes it sends.

use std::collections::VecDeque;

use rns_wire::channel::{StreamId, StreamMessage};

use super::compress::{DecompressError, MAX_DECOMPRESSED, compress, decompress_capped};

/// The most one message carries, compressed or not.
pub const MAX_CHUNK: usize = 16 * 1024;
/// Chunks this short or shorter are never compressed.
const COMPRESS_MIN: usize = 32;
/// Halvings of a compression attempt after the first.
const COMPRESS_HALVINGS: u32 = 3;
/// Stream bytes a link queues for sending, all streams together.
pub const STREAM_QUEUE_BYTES: usize = 256 * 1024;
/// Separate writes queued at once (writes to the stream at the back coalesce).
const STREAM_QUEUE_WRITES: usize = 64;

/// One write waiting to be chunked.
#[derive(Debug)]
struct Pending {
    stream_id: StreamId,
    data: Vec<u8>,
    /// Bytes of `data` already sent.
    sent: usize,
    eof: bool,
    /// Up to here (an index into `data`) bz2 is known not to help.
    incompressible_until: usize,
}

impl Pending {
    fn rest(&self) -> &[u8] {
        self.data.get(self.sent..).unwrap_or_default()
    }

    /// Drops what was sent so that appending does not grow the vector forever.
    fn compact(&mut self) {
        self.data.drain(..self.sent.min(self.data.len()));
        self.incompressible_until = self.incompressible_until.saturating_sub(self.sent);
        self.sent = 0;
    }
}

/// Stream writes not yet handed to the channel.
#[derive(Debug, Default)]
pub(crate) struct StreamQueue {
    writes: VecDeque<Pending>,
    bytes: usize,
}

impl StreamQueue {
    /// Bytes a write would be accepted now.
    pub(crate) fn capacity(&self) -> usize {
        if self.writes.len() >= STREAM_QUEUE_WRITES {
            return 0;
        }
        STREAM_QUEUE_BYTES.saturating_sub(self.bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub(crate) fn queued_bytes(&self) -> usize {
        self.bytes
    }

    /// Queues as much of `data` as fits and returns how much that was, or
    /// `None` when nothing (not a byte, nor a bare EOF) fits. `eof` is kept
    /// only with the last byte: if `data` was cut short, the caller writes the
    /// rest (with `eof`) later.
    pub(crate) fn write(&mut self, stream_id: StreamId, data: &[u8], eof: bool) -> Option<usize> {
        if data.is_empty() && !eof {
            return Some(0);
        }
        let coalesce = self
            .writes
            .back()
            .is_some_and(|w| w.stream_id == stream_id && !w.eof);
        if !coalesce && self.writes.len() >= STREAM_QUEUE_WRITES {
            return None;
        }
        let accepted = data
            .len()
            .min(STREAM_QUEUE_BYTES.saturating_sub(self.bytes));
        let eof = eof && accepted == data.len();
        if accepted == 0 && !eof {
            return None;
        }
        let chunk = data.get(..accepted).unwrap_or_default();
        self.bytes += accepted;
        match self.writes.back_mut() {
            Some(back) if coalesce => {
                back.compact();
                back.data.extend_from_slice(chunk);
                back.eof = eof;
            }
            _ => self.writes.push_back(Pending {
                stream_id,
                data: chunk.to_vec(),
                sent: 0,
                eof,
                incompressible_until: 0,
            }),
        }
        Some(accepted)
    }

    /// The next STREAM_DATA payload, with at most `max_data` bytes after the
    /// header; `None` when nothing is queued.
    pub(crate) fn next_message(&mut self, max_data: usize) -> Option<Vec<u8>> {
        let write = self.writes.front_mut()?;
        let skip_compression = write.sent < write.incompressible_until;
        let chunk = build_chunk(write.rest(), max_data, skip_compression);
        if let Some(until) = chunk.incompressible {
            write.incompressible_until = write.sent + until;
        }
        write.sent += chunk.consumed;
        self.bytes = self.bytes.saturating_sub(chunk.consumed);
        let done = write.sent >= write.data.len();
        let message = StreamMessage {
            stream_id: write.stream_id,
            eof: done && write.eof,
            compressed: chunk.compressed,
            data: &chunk.data,
        }
        .encode();
        if done {
            self.writes.pop_front();
        }
        Some(message)
    }

    pub(crate) fn clear(&mut self) {
        self.writes.clear();
        self.bytes = 0;
    }
}

/// One chunk's data as it goes on the wire.
#[derive(Debug)]
struct Chunk {
    data: Vec<u8>,
    compressed: bool,
    /// Bytes of the stream it carries.
    consumed: usize,
    /// Set when bz2 could not make a message of this many bytes from the
    /// chunk's start.
    incompressible: Option<usize>,
}

fn build_chunk(rest: &[u8], max_data: usize, skip_compression: bool) -> Chunk {
    let chunk_len = rest.len().min(MAX_CHUNK);
    let mut incompressible = None;
    if !skip_compression {
        let mut attempt = chunk_len;
        for _ in 0..=COMPRESS_HALVINGS {
            if attempt <= COMPRESS_MIN {
                break;
            }
            let input = rest.get(..attempt).unwrap_or_default();
            let Some(packed) = compress(input) else { break };
            if packed.len() < max_data && packed.len() < attempt {
                return Chunk {
                    data: packed,
                    compressed: true,
                    consumed: attempt,
                    incompressible,
                };
            }
            if packed.len() >= attempt {
                // A smaller piece of the same bytes will not do better.
                break;
            }
            attempt /= 2;
        }
        // Nothing fit: these bytes are not worth another try message by message.
        incompressible = Some(chunk_len);
    }
    let take = chunk_len.min(max_data);
    Chunk {
        data: rest.get(..take).unwrap_or_default().to_vec(),
        compressed: false,
        consumed: take,
        incompressible,
    }
}

/// Stream bytes from one STREAM_DATA payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamChunk {
    pub(crate) stream_id: u16,
    pub(crate) data: Vec<u8>,
    pub(crate) eof: bool,
    pub(crate) compressed: bool,
}

/// Why a STREAM_DATA payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    #[error("a stream message needs its 2-byte header")]
    Truncated,
    #[error("compressed stream data: {0}")]
    Decompress(#[from] DecompressError),
}

pub(crate) fn read_message(payload: &[u8]) -> Result<StreamChunk, StreamError> {
    let message = StreamMessage::decode(payload).map_err(|_| StreamError::Truncated)?;
    let data = if message.compressed {
        decompress_capped(message.data, MAX_DECOMPRESSED)?
    } else {
        message.data.to_vec()
    };
    Ok(StreamChunk {
        stream_id: message.stream_id.get(),
        data,
        eof: message.eof,
        compressed: message.compressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> StreamId {
        StreamId::new(n).unwrap()
    }

    fn drain(queue: &mut StreamQueue, max_data: usize) -> Vec<StreamChunk> {
        std::iter::from_fn(|| queue.next_message(max_data))
            .map(|m| {
                assert!(m.len() <= max_data + 2);
                read_message(&m).unwrap()
            })
            .collect()
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn compressible_data_travels_in_16_kib_chunks() {
        let mut q = StreamQueue::default();
        let data = vec![b'a'; 40_000];
        assert_eq!(q.write(id(3), &data, true), Some(40_000));
        let chunks = drain(&mut q, 423);
        let sizes: Vec<usize> = chunks.iter().map(|c| c.data.len()).collect();
        assert_eq!(sizes, [16_384, 16_384, 7_232]);
        assert!(chunks.iter().all(|c| c.stream_id == 3));
        assert_eq!(
            chunks.iter().map(|c| c.eof).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert!(q.is_empty());
        assert_eq!(q.queued_bytes(), 0);
    }

    #[test]
    fn noise_goes_uncompressed_at_the_mdu() {
        let mut q = StreamQueue::default();
        let data = noise(20_000);
        q.write(id(1), &data, false);
        let chunks = drain(&mut q, 423);
        assert_eq!(chunks.len(), 20_000usize.div_ceil(423));
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, data);
        assert!(!chunks.last().unwrap().eof);
    }

    #[test]
    fn halving_finds_a_piece_that_fits() {
        // Text-like data: 16 KiB compresses well, but not below ~420 bytes.
        let words: Vec<u8> = noise(8000).iter().map(|b| b'a' + b % 16).collect();
        let mut q = StreamQueue::default();
        q.write(id(1), &words, true);
        let first = q.next_message(2000).unwrap();
        let parsed = StreamMessage::decode(&first).unwrap();
        assert!(parsed.compressed);
        let chunks = {
            let mut all = vec![read_message(&first).unwrap()];
            all.extend(drain(&mut q, 2000));
            all
        };
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, words);
    }

    #[test]
    fn the_queue_is_bounded_and_eof_needs_the_last_byte() {
        let mut q = StreamQueue::default();
        let big = vec![0u8; STREAM_QUEUE_BYTES + 10];
        assert_eq!(q.write(id(1), &big, true), Some(STREAM_QUEUE_BYTES));
        assert_eq!(q.capacity(), 0);
        assert_eq!(q.write(id(1), b"x", false), None);
        assert_eq!(q.write(id(1), b"", false), Some(0));
        let chunks = drain(&mut q, 16_000);
        assert!(!chunks.last().unwrap().eof);
        assert_eq!(q.write(id(1), &big[..10], true), Some(10));
        assert!(drain(&mut q, 16_000).last().unwrap().eof);
        // A bare EOF is a message of its own.
        assert_eq!(q.write(id(2), b"", true), Some(0));
        let eof = drain(&mut q, 100);
        assert_eq!(
            eof,
            [StreamChunk {
                stream_id: 2,
                data: vec![],
                eof: true,
                compressed: false
            }]
        );
    }

    #[test]
    fn writes_to_other_streams_are_bounded_in_number() {
        let mut q = StreamQueue::default();
        for i in 0..STREAM_QUEUE_WRITES as u16 {
            assert_eq!(q.write(id(i % 2), b"ab", false), Some(2));
        }
        assert_eq!(q.write(id(7), b"ab", false), None);
        assert_eq!(q.write(id(7), b"", true), None);
        // The back of the queue still coalesces.
        assert_eq!(q.write(id(1), b"cd", false), Some(2));
        assert_eq!(drain(&mut q, 400).len(), STREAM_QUEUE_WRITES);
    }

    #[test]
    fn hostile_payloads_are_refused() {
        assert_eq!(read_message(&[0x40]), Err(StreamError::Truncated));
        let bomb = compress(&vec![0u8; MAX_DECOMPRESSED + 1]).unwrap();
        let msg = StreamMessage {
            stream_id: id(1),
            eof: false,
            compressed: true,
            data: &bomb,
        };
        assert_eq!(
            read_message(&msg.encode()),
            Err(StreamError::Decompress(DecompressError::TooLarge))
        );
        let junk = StreamMessage {
            stream_id: id(1),
            eof: true,
            compressed: true,
            data: b"junk",
        };
        assert!(read_message(&junk.encode()).is_err());
    }
}
