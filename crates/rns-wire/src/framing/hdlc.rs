//! HDLC-like framing as TCP, Local and Backbone interfaces use it: a flag byte on
//! each side, byte stuffing in between, and no address, control or CRC fields.

use super::{DeframeStats, FrameBuffer, FrameLimits};

/// Opens and closes a frame.
pub const FLAG: u8 = 0x7E;
/// Marks the next byte as escaped.
pub const ESC: u8 = 0x7D;
/// An escaped byte is the original XOR this mask.
pub const ESC_MASK: u8 = 0x20;

/// The frame of `payload`: `7E || escape(payload) || 7E`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len().saturating_add(2));
    frame_into(payload, &mut out);
    out
}

/// Appends the frame of `payload` to `out`.
pub fn frame_into(payload: &[u8], out: &mut Vec<u8>) {
    out.push(FLAG);
    escape_into(payload, out);
    out.push(FLAG);
}

/// Appends `payload` with `7D` → `7D 5D` and `7E` → `7D 5E`.
pub fn escape_into(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len());
    // Copy runs of ordinary bytes whole: this sits on the path of every byte a
    // resource moves over TCP.
    let mut rest = payload;
    while let Some(at) = memchr::memchr2(FLAG, ESC, rest) {
        out.extend_from_slice(&rest[..at]);
        out.push(ESC);
        out.push(rest[at] ^ ESC_MASK);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first flag: bytes are line noise and skipped.
    Hunting,
    /// Between flags; `escaped` when the previous byte was an unconsumed `7D`.
    InFrame { escaped: bool },
}

/// Turns a byte stream into HDLC payloads.
///
/// A closing flag also opens the next frame, so both `7E a 7E 7E b 7E` and
/// `7E a 7E b 7E` yield `a` and `b`. Escapes are undone as the reference does it:
/// `7D 5E` → `7E`, `7D 5D` → `7D`, and a `7D` followed by anything else is kept
/// literally (a well-formed sender never produces that).
#[derive(Debug)]
pub struct HdlcDeframer {
    state: State,
    frame: FrameBuffer,
    stats: DeframeStats,
}

impl HdlcDeframer {
    pub fn new(limits: FrameLimits) -> Self {
        HdlcDeframer {
            state: State::Hunting,
            frame: FrameBuffer::new(limits),
            stats: DeframeStats::default(),
        }
    }

    /// Consumes `chunk`, calling `on_frame` with each complete payload in order.
    pub fn push(&mut self, chunk: &[u8], mut on_frame: impl FnMut(&[u8])) {
        let mut rest = chunk;
        while let Some((&b, tail)) = rest.split_first() {
            if self.state != (State::InFrame { escaped: false }) {
                self.push_byte(b, &mut on_frame);
                rest = tail;
                continue;
            }
            // Inside a frame with no escape pending, every byte up to the next
            // flag or escape is payload as it stands: take the run at once.
            let run = memchr::memchr2(FLAG, ESC, rest).unwrap_or(rest.len());
            if run == 0 {
                self.push_byte(b, &mut on_frame);
                rest = tail;
            } else {
                self.frame.extend(&rest[..run]);
                rest = &rest[run..];
            }
        }
    }

    /// Consumes `chunk` and returns the complete payloads it finished.
    pub fn push_frames(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        self.push(chunk, |f| frames.push(f.to_vec()));
        frames
    }

    fn push_byte(&mut self, b: u8, on_frame: &mut impl FnMut(&[u8])) {
        let escaped = match self.state {
            State::Hunting => {
                if b == FLAG {
                    self.state = State::InFrame { escaped: false };
                }
                return;
            }
            State::InFrame { escaped } => escaped,
        };
        if b == FLAG {
            if escaped {
                self.frame.push(ESC);
            }
            self.frame.finish(&mut self.stats, on_frame);
            self.state = State::InFrame { escaped: false };
            return;
        }
        let mut next_escaped = false;
        match (escaped, b) {
            (true, 0x5E) => self.frame.push(FLAG),
            (true, 0x5D) => self.frame.push(ESC),
            (true, ESC) => {
                self.frame.push(ESC);
                next_escaped = true;
            }
            (true, other) => {
                self.frame.push(ESC);
                self.frame.push(other);
            }
            (false, ESC) => next_escaped = true,
            (false, other) => self.frame.push(other),
        }
        self.state = State::InFrame {
            escaped: next_escaped,
        };
    }

    /// Forgets any partial frame and waits for the next flag (after a reconnect).
    pub fn reset(&mut self) {
        self.state = State::Hunting;
        self.frame.reset();
    }

    /// Counters of delivered and dropped frames.
    pub fn stats(&self) -> DeframeStats {
        self.stats
    }

    pub fn limits(&self) -> FrameLimits {
        self.frame.limits
    }

    /// Payload bytes held for the frame in progress; never above `max_payload`.
    pub fn buffered_len(&self) -> usize {
        self.frame.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lax() -> HdlcDeframer {
        HdlcDeframer::new(FrameLimits {
            header_minsize: 0,
            max_payload: 64,
        })
    }

    #[test]
    fn escapes_both_special_bytes() {
        assert_eq!(
            frame(&[0x7D, 0x7E, 0x01]),
            [0x7E, 0x7D, 0x5D, 0x7D, 0x5E, 0x01, 0x7E]
        );
        assert_eq!(frame(&[]), [0x7E, 0x7E]);
    }

    #[test]
    fn shared_and_separate_flags_both_work() {
        let mut d = lax();
        let frames = d.push_frames(&[0x00, 0x7E, 1, 0x7E, 2, 0x7E, 0x7E, 3, 0x7E]);
        assert_eq!(frames, vec![vec![1], vec![2], vec![3]]);
        assert_eq!(d.stats().delivered, 3);
    }

    #[test]
    fn stray_escapes_are_kept_like_the_reference() {
        let mut d = lax();
        let frames = d.push_frames(&[0x7E, 0x7D, 0x7D, 0x5E, 0x5D, 0x7D, 0x01, 0x7D, 0x7E]);
        assert_eq!(frames, vec![vec![0x7D, 0x7E, 0x5D, 0x7D, 0x01, 0x7D]]);
    }

    #[test]
    fn escape_split_across_chunks() {
        let mut d = lax();
        assert!(d.push_frames(&[0x7E, 9, 0x7D]).is_empty());
        assert_eq!(d.push_frames(&[0x5E, 0x7E]), vec![vec![9, 0x7E]]);
    }

    #[test]
    fn oversized_frames_are_dropped_and_the_next_one_survives() {
        let mut d = lax();
        let mut bytes = vec![0x7E];
        bytes.extend(std::iter::repeat_n(0x11, 200));
        bytes.extend([0x7E, 5, 0x7E]);
        assert_eq!(d.push_frames(&bytes), vec![vec![5]]);
        assert_eq!(d.stats().oversized, 1);
        assert!(d.buffered_len() <= 64);
    }

    #[test]
    fn runts_are_counted_but_empty_frames_are_not() {
        let mut d = HdlcDeframer::new(FrameLimits::for_mtu(500, 0));
        let frames = d.push_frames(&[0x7E, 0x7E, 1, 2, 3, 0x7E]);
        assert!(frames.is_empty());
        assert_eq!(d.stats().runts, 1);
        assert_eq!(d.stats().dropped(), 1);
    }
}
