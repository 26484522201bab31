//! The receive side's ordering: messages are handed up in sequence order
//! (modulo 65536), those that arrive early wait, at most [`WINDOW_MAX`] of them.

use std::collections::BTreeMap;

use super::window::WINDOW_MAX;

/// Half the sequence space: what lies further ahead lies behind.
const HALF: u16 = 0x8000;

/// A channel message as it is handed to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) msgtype: u16,
    pub(crate) sequence: u16,
    pub(crate) payload: Vec<u8>,
}

/// What became of a received envelope.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// Within the window: taken, and these messages (possibly none, if it
    /// arrived early) are now due in order.
    Accepted(Vec<Message>),
    /// Already taken (delivered, or waiting): only its proof was lost.
    Duplicate,
    /// Too far ahead to buffer.
    OutOfWindow,
}

#[derive(Debug, Default)]
pub(crate) struct RxBuffer {
    /// The next sequence to deliver.
    next: u16,
    /// Early arrivals keyed by sequence; each within WINDOW_MAX of `next`.
    early: BTreeMap<u16, Message>,
}

impl RxBuffer {
    pub(crate) fn starting_at(next: u16) -> RxBuffer {
        RxBuffer {
            next,
            early: BTreeMap::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn next_sequence(&self) -> u16 {
        self.next
    }

    pub(crate) fn waiting(&self) -> usize {
        self.early.len()
    }

    /// A decoded envelope. Sequences compare as serial numbers: up to half
    /// the space ahead of `next` is the future, the other half the past.
    /// Anything in the past was taken already, so it is a retry whose proof
    /// was lost; of the future, only [`WINDOW_MAX`] is kept.
    pub(crate) fn receive(&mut self, msgtype: u16, sequence: u16, payload: &[u8]) -> Received {
        let ahead = sequence.wrapping_sub(self.next);
        let behind = self.next.wrapping_sub(sequence);
        if ahead == 0 {
            let mut due = vec![Message {
                msgtype,
                sequence,
                payload: payload.to_vec(),
            }];
            self.next = self.next.wrapping_add(1);
            while let Some(message) = self.early.remove(&self.next) {
                due.push(message);
                self.next = self.next.wrapping_add(1);
            }
            return Received::Accepted(due);
        }
        if ahead <= WINDOW_MAX {
            if self.early.contains_key(&sequence) {
                return Received::Duplicate;
            }
            self.early.insert(
                sequence,
                Message {
                    msgtype,
                    sequence,
                    payload: payload.to_vec(),
                },
            );
            return Received::Accepted(Vec::new());
        }
        if behind <= HALF {
            return Received::Duplicate;
        }
        Received::OutOfWindow
    }

    pub(crate) fn clear(&mut self) {
        self.early.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequences(r: Received) -> Vec<u16> {
        match r {
            Received::Accepted(m) => m.iter().map(|m| m.sequence).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reorders_and_wraps() {
        let mut rx = RxBuffer::starting_at(65534);
        assert_eq!(sequences(rx.receive(1, 0, b"c")), Vec::<u16>::new());
        assert_eq!(sequences(rx.receive(1, 65535, b"b")), Vec::<u16>::new());
        assert_eq!(rx.receive(1, 65535, b"b"), Received::Duplicate);
        assert_eq!(rx.waiting(), 2);
        assert_eq!(sequences(rx.receive(1, 65534, b"a")), vec![65534, 65535, 0]);
        assert_eq!(rx.next_sequence(), 1);
        assert_eq!(rx.receive(1, 65534, b"a"), Received::Duplicate);
        assert_eq!(rx.waiting(), 0);
    }

    #[test]
    fn the_window_bounds_what_waits() {
        let mut rx = RxBuffer::default();
        assert_eq!(rx.receive(1, 49, b""), Received::OutOfWindow);
        assert_eq!(sequences(rx.receive(1, 48, b"")), Vec::<u16>::new());
        for s in 1..48 {
            rx.receive(1, s, b"");
        }
        assert_eq!(rx.waiting(), 48);
        assert_eq!(sequences(rx.receive(1, 0, b"")).len(), 49);
        // Anything in the past half of the space is a retry.
        assert_eq!(rx.receive(1, 0, b""), Received::Duplicate);
        assert_eq!(
            rx.receive(1, 49u16.wrapping_sub(0x8000), b""),
            Received::Duplicate
        );
        assert_eq!(rx.receive(1, 49 + 49, b""), Received::OutOfWindow);
        assert_eq!(rx.receive(1, 30_000, b""), Received::OutOfWindow);
    }
}
