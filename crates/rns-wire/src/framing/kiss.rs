//! KISS framing (`kiss_framing` on TCP, and serial TNCs): `C0 command escaped C0`.

use super::{DeframeStats, FrameBuffer, FrameLimits};

/// Frame end: opens and closes a frame.
pub const FEND: u8 = 0xC0;
/// Frame escape: the next byte is transposed.
pub const FESC: u8 = 0xDB;
/// Transposed `FEND` (after `FESC`).
pub const TFEND: u8 = 0xDC;
/// Transposed `FESC` (after `FESC`).
pub const TFESC: u8 = 0xDD;
/// The command of a data frame (port 0).
pub const CMD_DATA: u8 = 0x00;

/// The data frame of `payload`: `C0 00 escape(payload) C0`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    command_frame(CMD_DATA, payload)
}

/// A frame with any command byte (TNC configuration uses commands other than
/// data; the byte is sent as given, port nibble included).
pub fn command_frame(command: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len().saturating_add(3));
    command_frame_into(command, payload, &mut out);
    out
}

/// Appends the data frame of `payload` to `out`.
pub fn frame_into(payload: &[u8], out: &mut Vec<u8>) {
    command_frame_into(CMD_DATA, payload, out);
}

fn command_frame_into(command: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(FEND);
    escape_into(&[command], out);
    escape_into(payload, out);
    out.push(FEND);
}

/// Appends `payload` with `DB` → `DB DD` and `C0` → `DB DC`.
pub fn escape_into(payload: &[u8], out: &mut Vec<u8>) {
    for &b in payload {
        match b {
            FESC => out.extend_from_slice(&[FESC, TFESC]),
            FEND => out.extend_from_slice(&[FESC, TFEND]),
            other => out.push(other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first FEND: line noise, skipped.
    Hunting,
    /// Just after a FEND: the next byte is the command.
    Command,
    /// In a data frame; `escaped` after an unconsumed FESC.
    Data { escaped: bool },
    /// In a frame with a command other than data: skipped to the next FEND.
    Skipping,
}

/// Turns a byte stream into the payloads of KISS data frames.
///
/// The high (port) nibble of the command byte is ignored, as the reference does;
/// frames whose low nibble is not 0 (data) are skipped and counted. A closing FEND
/// also opens the next frame, and repeated FENDs are filler. After FESC, `DC` and
/// `DD` give `C0` and `DB`; any other byte stands for itself.
#[derive(Debug)]
pub struct KissDeframer {
    state: State,
    frame: FrameBuffer,
    stats: DeframeStats,
}

impl KissDeframer {
    pub fn new(limits: FrameLimits) -> Self {
        KissDeframer {
            state: State::Hunting,
            frame: FrameBuffer::new(limits),
            stats: DeframeStats::default(),
        }
    }

    /// Consumes `chunk`, calling `on_frame` with each complete data payload in order.
    pub fn push(&mut self, chunk: &[u8], mut on_frame: impl FnMut(&[u8])) {
        for &b in chunk {
            self.push_byte(b, &mut on_frame);
        }
    }

    /// Consumes `chunk` and returns the complete data payloads it finished.
    pub fn push_frames(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        self.push(chunk, |f| frames.push(f.to_vec()));
        frames
    }

    fn push_byte(&mut self, b: u8, on_frame: &mut impl FnMut(&[u8])) {
        if b == FEND {
            if let State::Data { .. } = self.state {
                self.frame.finish(&mut self.stats, on_frame);
            }
            self.state = State::Command;
            return;
        }
        self.state = match self.state {
            State::Hunting => State::Hunting,
            State::Skipping => State::Skipping,
            State::Command if b & 0x0F == CMD_DATA => {
                self.frame.reset();
                State::Data { escaped: false }
            }
            State::Command => {
                self.stats.ignored_commands = self.stats.ignored_commands.saturating_add(1);
                State::Skipping
            }
            State::Data { escaped: false } if b == FESC => State::Data { escaped: true },
            State::Data { escaped } => {
                self.frame.push(match (escaped, b) {
                    (true, TFEND) => FEND,
                    (true, TFESC) => FESC,
                    (_, other) => other,
                });
                State::Data { escaped: false }
            }
        };
    }

    /// Forgets any partial frame and waits for the next FEND (after a reconnect).
    pub fn reset(&mut self) {
        self.state = State::Hunting;
        self.frame.reset();
    }

    /// Counters of delivered, dropped and ignored frames.
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

    fn lax() -> KissDeframer {
        KissDeframer::new(FrameLimits {
            header_minsize: 0,
            max_payload: 64,
        })
    }

    #[test]
    fn escapes_fesc_before_fend() {
        assert_eq!(
            frame(&[0xC0, 0xDB, 1]),
            [0xC0, 0x00, 0xDB, 0xDC, 0xDB, 0xDD, 1, 0xC0]
        );
        assert_eq!(command_frame(0x01, &[0x20]), [0xC0, 0x01, 0x20, 0xC0]);
    }

    #[test]
    fn port_nibble_is_masked_and_other_commands_skipped() {
        let mut d = lax();
        let bytes = [
            0xC0, 0x10, 7, 0xC0, 0xC0, 0x01, 8, 0xC0, 0xC0, 0x00, 9, 0xC0,
        ];
        assert_eq!(d.push_frames(&bytes), vec![vec![7], vec![9]]);
        assert_eq!(d.stats().ignored_commands, 1);
    }

    #[test]
    fn shared_fend_and_split_escape() {
        let mut d = lax();
        assert!(d.push_frames(&[0xAA, 0xC0, 0x00, 1, 0xDB]).is_empty());
        let frames = d.push_frames(&[0xDC, 0xC0, 0x00, 2, 0xDB, 0x41, 0xC0]);
        assert_eq!(frames, vec![vec![1, 0xC0], vec![2, 0x41]]);
    }

    #[test]
    fn oversized_frames_are_dropped() {
        let mut d = lax();
        let mut bytes = vec![0xC0, 0x00];
        bytes.extend(std::iter::repeat_n(0x11, 100));
        bytes.extend([0xC0, 0x00, 5, 0xC0]);
        assert_eq!(d.push_frames(&bytes), vec![vec![5]]);
        assert_eq!(d.stats().oversized, 1);
    }
}
