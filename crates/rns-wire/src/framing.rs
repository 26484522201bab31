//! Byte-stream framing for stream interfaces: HDLC-like (TCP, Local, Backbone) and
//! KISS, each as a frame encoder plus a bounded streaming deframer.
//!
//! Both deframers are fed arbitrary chunks of a byte stream and hand out whole
//! payloads. They share the size policy of the reference receivers: a frame whose
//! payload is no longer than a packet header is dropped, and so is one longer than
//! the interface can carry. Memory is bounded by the maximum payload: a peer that
//! never sends a closing flag cannot make a deframer grow.

pub mod hdlc;
pub mod kiss;

pub use hdlc::HdlcDeframer;
pub use kiss::KissDeframer;

/// Flags, hops, destination hash and context: the smallest packet header.
///
/// Defined here rather than taken from `constants` so framing stays independent of
/// packet layout; the two must agree (19 bytes in the reference).
const HEADER_MINSIZE: usize = 19;

/// Which payload lengths a deframer delivers: `header_minsize < len <= max_payload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Payloads of this many bytes or fewer are dropped (a header with no data is
    /// not a packet).
    pub header_minsize: usize,
    /// Payloads longer than this are dropped.
    pub max_payload: usize,
}

impl FrameLimits {
    /// The reference's policy for an interface of hardware MTU `hw_mtu` that adds
    /// `ifac_size` bytes of access code to each packet.
    pub const fn for_mtu(hw_mtu: usize, ifac_size: usize) -> Self {
        FrameLimits {
            header_minsize: HEADER_MINSIZE,
            max_payload: hw_mtu.saturating_add(ifac_size),
        }
    }

    /// Whether a complete payload of `len` bytes is delivered.
    pub const fn accepts(&self, len: usize) -> bool {
        len > self.header_minsize && len <= self.max_payload
    }
}

/// What a deframer has done with the frames it has seen, for interface statistics.
///
/// Empty frames (two flags in a row, as between back-to-back frames that each carry
/// both flags) are normal filler and are not counted anywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeframeStats {
    /// Frames handed to the caller.
    pub delivered: u64,
    /// Non-empty frames dropped for being no longer than `header_minsize`.
    pub runts: u64,
    /// Frames dropped for being longer than `max_payload`.
    pub oversized: u64,
    /// KISS frames whose command is not "data" (always 0 for HDLC).
    pub ignored_commands: u64,
}

impl DeframeStats {
    /// All frames dropped for their size.
    pub const fn dropped(&self) -> u64 {
        self.runts.saturating_add(self.oversized)
    }
}

/// The payload being collected between two flags, shared by both deframers.
///
/// Once the payload passes the maximum it is discarded and only the fact that the
/// frame overflowed is kept, so the buffer never holds more than `max_payload`.
#[derive(Debug)]
struct FrameBuffer {
    limits: FrameLimits,
    buf: Vec<u8>,
    overflowed: bool,
}

impl FrameBuffer {
    fn new(limits: FrameLimits) -> Self {
        FrameBuffer {
            limits,
            buf: Vec::new(),
            overflowed: false,
        }
    }

    fn push(&mut self, byte: u8) {
        if self.overflowed {
            return;
        }
        if self.buf.len() >= self.limits.max_payload {
            self.overflowed = true;
            self.buf = Vec::new();
            return;
        }
        self.buf.push(byte);
    }

    /// `push` for each byte of `run`, in one copy.
    fn extend(&mut self, run: &[u8]) {
        if self.overflowed {
            return;
        }
        if self.buf.len() + run.len() > self.limits.max_payload {
            self.overflowed = true;
            self.buf = Vec::new();
            return;
        }
        self.buf.extend_from_slice(run);
    }

    /// Ends the current frame: delivers it if its size is acceptable, counts it
    /// otherwise, and leaves the buffer empty for the next frame.
    fn finish(&mut self, stats: &mut DeframeStats, on_frame: &mut impl FnMut(&[u8])) {
        if self.overflowed {
            stats.oversized = stats.oversized.saturating_add(1);
        } else if self.limits.accepts(self.buf.len()) {
            stats.delivered = stats.delivered.saturating_add(1);
            on_frame(&self.buf);
        } else if !self.buf.is_empty() {
            // Only the low side can fail here: push() never exceeds the maximum.
            stats.runts = stats.runts.saturating_add(1);
        }
        self.reset();
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.overflowed = false;
    }

    fn len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_reference_policy() {
        let l = FrameLimits::for_mtu(500, 8);
        assert_eq!(l.max_payload, 508);
        assert!(!l.accepts(0));
        assert!(!l.accepts(19));
        assert!(l.accepts(20));
        assert!(l.accepts(508));
        assert!(!l.accepts(509));
        assert_eq!(FrameLimits::for_mtu(usize::MAX, 1).max_payload, usize::MAX);
    }

    #[test]
    fn buffer_stops_at_the_maximum() {
        let mut b = FrameBuffer::new(FrameLimits {
            header_minsize: 0,
            max_payload: 3,
        });
        let mut stats = DeframeStats::default();
        for byte in 0..10 {
            b.push(byte);
            assert!(b.len() <= 3);
        }
        b.finish(&mut stats, &mut |_| unreachable!());
        assert_eq!(stats.oversized, 1);
        assert_eq!(b.len(), 0);
    }
}
