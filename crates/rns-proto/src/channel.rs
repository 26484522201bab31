//! Channels and buffers (§13): reliable, ordered messages over a link, and
//! byte streams on top of them.
//!
//! A channel message travels as one link DATA packet with context CHANNEL,
//! encrypted, holding an envelope `msgtype u16 || sequence u16 || length u16
//! || payload`. The receiver proves every packet it takes; the proof is the
//! sender's delivery confirmation. Unproved messages are sent again (freshly
//! encrypted) after a timeout that backs off per try; after five tries the
//! link is given up. How many messages may await proofs at once is the
//! window (see [`WindowState`]). The receiver hands messages up in sequence
//! order, modulo 65536, holding early arrivals up to [`WINDOW_MAX`] ahead.
//!
//! A buffer stream is a sequence of STREAM_DATA (0xFF00) messages, each
//! `header u16 || data`, the header carrying EOF, "compressed" and a 14-bit
//! stream id.
//!
//! This module holds the state that needs no keys: the send ring, the window,
//! the receive ordering, the stream queue and bz2. [`crate::link::Link`] owns
//! one [`Channel`] and does the sealing, proving and timing around it.
//!
//! Choices where the protocol facts are silent:
//! * the window's rounds are measured per delivery, from the transmission a
//!   proof names to the proof; bounds are lifted at once to a new tier's
//!   minimum;
//! * the timeout's "ring length" counts the message itself;
//! * a sender never sends a sequence more than [`WINDOW_MAX`] past its oldest
//!   unproved message, whatever the window: the receiver would drop it;
//! * sequences compare as serial numbers: a message up to half the sequence
//!   space behind the next expected one is a retry of one already taken, and
//!   is proved again (its first proof was lost); a message more than
//!   [`WINDOW_MAX`] ahead is dropped unproved, so that it is sent again;
//! * the link gives up after the fifth try with reason `Timeout`, sending a
//!   LINKCLOSE;
//! * the channel mdu is also capped at 65535 (the envelope's length field).

mod compress;
mod rx;
mod stream;
mod tx;
mod window;

pub use compress::{DecompressError, MAX_DECOMPRESSED};
pub use rns_wire::channel::{MessageType, StreamId};
pub use stream::{MAX_CHUNK, STREAM_QUEUE_BYTES, StreamError};
pub use tx::{MAX_TRIES, send_timeout};
pub use window::{ROUNDS_TO_UPGRADE, RTT_FAST, RTT_MEDIUM, WINDOW_MAX, WindowState};

pub(crate) use rx::{Message, Received};
pub(crate) use stream::{StreamChunk, read_message};

use rns_wire::channel::Envelope;

use rx::RxBuffer;
use stream::StreamQueue;
use tx::TxRing;
use window::Window;

/// Bytes of envelope before a channel message's payload.
pub const ENVELOPE_OVERHEAD: usize = Envelope::HEADER_LEN;

/// What a channel did with messages that were not handed up as events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Messages retransmitted after a timeout.
    pub retries: u64,
    /// Proved again because the sender retried something already taken.
    pub duplicates: u64,
    /// Taken (and proved) but of a reserved type this stack does not handle.
    pub unsupported: u64,
    /// STREAM_DATA messages whose payload did not decode or decompress.
    pub bad_stream_messages: u64,
    /// STREAM_DATA messages received bz2-compressed (and decompressed).
    pub compressed_stream_messages: u64,
}

/// One link's channel: the send and receive sides and the stream writer.
#[derive(Debug, Default)]
pub struct Channel {
    /// Made when first needed, from the link's rtt then.
    window: Option<Window>,
    next_sequence: u16,
    tx: TxRing,
    rx: RxBuffer,
    streams: StreamQueue,
    stats: ChannelStats,
}

impl Channel {
    pub(crate) fn window(&mut self, rtt: f64) -> &mut Window {
        self.window.get_or_insert_with(|| Window::new(rtt))
    }

    /// The window as it stands (as it would start, if nothing was sent yet).
    pub(crate) fn window_state(&self, rtt: f64) -> WindowState {
        self.window
            .as_ref()
            .map_or_else(|| Window::new(rtt).state(), Window::state)
    }

    /// Whether one more message may go out now: the window has room, and the
    /// message's sequence is at most [`WINDOW_MAX`] past the oldest unproved
    /// one. The second rule keeps us inside what the receiver buffers: while
    /// an early message waits for its retry, later ones may be proved and
    /// leave the ring, and a sender counting only the ring would run ahead of
    /// the receiver's window and have its messages dropped.
    pub(crate) fn has_room(&self, rtt: f64) -> bool {
        let size = usize::from(self.window_state(rtt).window);
        let span = self
            .tx
            .oldest()
            .map_or(0, |oldest| self.next_sequence.wrapping_sub(oldest));
        self.tx.len() < size && span <= WINDOW_MAX
    }

    pub(crate) fn next_sequence(&self) -> u16 {
        self.next_sequence
    }

    /// Takes the next sequence number (after the message went out).
    pub(crate) fn advance_sequence(&mut self) {
        self.next_sequence = self.next_sequence.wrapping_add(1);
    }

    pub(crate) fn tx(&self) -> &TxRing {
        &self.tx
    }

    pub(crate) fn tx_mut(&mut self) -> &mut TxRing {
        &mut self.tx
    }

    pub(crate) fn rx(&self) -> &RxBuffer {
        &self.rx
    }

    pub(crate) fn rx_mut(&mut self) -> &mut RxBuffer {
        &mut self.rx
    }

    pub(crate) fn streams(&self) -> &StreamQueue {
        &self.streams
    }

    pub(crate) fn streams_mut(&mut self) -> &mut StreamQueue {
        &mut self.streams
    }

    pub(crate) fn stats(&self) -> ChannelStats {
        self.stats
    }

    pub(crate) fn stats_mut(&mut self) -> &mut ChannelStats {
        &mut self.stats
    }

    /// Test hook: start numbering at `sequence` (both directions), to reach the
    /// wrap-around without sending 65536 messages first.
    #[doc(hidden)]
    pub fn set_sequences_for_test(&mut self, sequence: u16) {
        self.next_sequence = sequence;
        self.rx = RxBuffer::starting_at(sequence);
    }

    /// On close: nothing more will be sent or delivered.
    pub(crate) fn clear(&mut self) {
        self.tx.clear();
        self.rx.clear();
        self.streams.clear();
    }
}
