//! The send ring: channel messages sent and not yet proved, each with its
//! retry deadline and the packet hashes of its transmissions.
//!
//! Every retry re-encrypts the envelope (a fresh IV), so one message goes out
//! as up to [`MAX_TRIES`] different packets; a proof of any of them delivers it,
//! so a proof that was merely late still counts.

use std::collections::VecDeque;

use rns_crypto::PacketHash;

/// Transmissions of one message before the link is given up.
pub const MAX_TRIES: u8 = 5;
const TIMEOUT_RTT_FACTOR: f64 = 2.5;
const TIMEOUT_MIN_RTT_TERM: f64 = 0.025;
const TIMEOUT_RING_BIAS: f64 = 1.5;
const TIMEOUT_BACKOFF: f64 = 1.5;

/// How long try number `tries` (1 for the first transmission) waits for its
/// proof: 1.5^(tries − 1) × max(2.5 × rtt, 0.025) × (ring length + 1.5) (§13).
/// `ring_len` counts the outstanding messages, this one included.
pub fn send_timeout(tries: u8, rtt: f64, ring_len: usize) -> f64 {
    let backoff = TIMEOUT_BACKOFF.powi(i32::from(tries.max(1)) - 1);
    // The ring never holds more than the largest window: no precision is lost.
    let ring = ring_len as f64;
    backoff * (TIMEOUT_RTT_FACTOR * rtt).max(TIMEOUT_MIN_RTT_TERM) * (ring + TIMEOUT_RING_BIAS)
}

#[derive(Debug, Clone)]
pub(crate) struct Outstanding {
    pub(crate) sequence: u16,
    /// The packed envelope, kept to be re-encrypted on a retry.
    pub(crate) envelope: Vec<u8>,
    pub(crate) tries: u8,
    deadline: f64,
    /// Each transmission's packet hash and when it went out.
    transmissions: Vec<(PacketHash, f64)>,
}

/// Outstanding messages in the order they were first sent (sequence order).
/// Never longer than the window, which is at most 48.
#[derive(Debug, Default)]
pub(crate) struct TxRing {
    entries: VecDeque<Outstanding>,
}

impl TxRing {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// A new message, not yet transmitted.
    pub(crate) fn push(&mut self, sequence: u16, envelope: Vec<u8>) {
        self.entries.push_back(Outstanding {
            sequence,
            envelope,
            tries: 0,
            deadline: f64::INFINITY,
            transmissions: Vec::new(),
        });
    }

    /// The oldest unproved sequence. Everything before it was proved, so the
    /// receiver has it, and its next expected sequence is at least this.
    pub(crate) fn oldest(&self) -> Option<u16> {
        self.entries.front().map(|e| e.sequence)
    }

    pub(crate) fn get(&self, sequence: u16) -> Option<&Outstanding> {
        self.entries.iter().find(|e| e.sequence == sequence)
    }

    /// Notes a transmission of `sequence` as packet `hash`: one more try, and a
    /// deadline from the timeout formula at the ring's current length.
    pub(crate) fn transmitted(&mut self, sequence: u16, hash: PacketHash, now: f64, rtt: f64) {
        let ring_len = self.entries.len();
        if let Some(entry) = self.entries.iter_mut().find(|e| e.sequence == sequence) {
            entry.tries = entry.tries.saturating_add(1);
            entry.deadline = now + send_timeout(entry.tries, rtt, ring_len);
            entry.transmissions.push((hash, now));
        }
    }

    /// Whether `hash` is a transmission of an outstanding message.
    pub(crate) fn owns(&self, hash: &PacketHash) -> bool {
        self.entries
            .iter()
            .any(|e| e.transmissions.iter().any(|(h, _)| h == hash))
    }

    /// Removes the message that `hash` delivered; returns its sequence and the
    /// round trip of the transmission the proof names.
    pub(crate) fn take_proved(&mut self, hash: &PacketHash, now: f64) -> Option<(u16, f64)> {
        let (index, sent_at) = self.entries.iter().enumerate().find_map(|(i, e)| {
            e.transmissions
                .iter()
                .find(|(h, _)| h == hash)
                .map(|(_, at)| (i, *at))
        })?;
        let entry = self.entries.remove(index)?;
        Some((entry.sequence, (now - sent_at).max(0.0)))
    }

    pub(crate) fn next_deadline(&self) -> Option<f64> {
        self.entries.iter().map(|e| e.deadline).reduce(f64::min)
    }

    /// Sequences whose deadlines have passed, oldest first.
    pub(crate) fn expired(&self, now: f64) -> Vec<u16> {
        self.entries
            .iter()
            .filter(|e| now >= e.deadline)
            .map(|e| e.sequence)
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_formula() {
        // max(2.5 × 0.1, 0.025) × (1 + 1.5)
        assert!((send_timeout(1, 0.1, 1) - 0.625).abs() < 1e-12);
        // The rtt term has a floor of 25 ms.
        assert!((send_timeout(1, 0.001, 2) - 0.025 * 3.5).abs() < 1e-12);
        // 1.5^4 on the fifth try.
        assert!((send_timeout(5, 0.1, 1) - 0.625 * 5.0625).abs() < 1e-12);
    }

    #[test]
    fn any_transmission_proves_the_message() {
        let mut ring = TxRing::default();
        ring.push(7, b"env7".to_vec());
        ring.push(8, b"env8".to_vec());
        ring.transmitted(7, PacketHash([1; 32]), 10.0, 0.1);
        ring.transmitted(8, PacketHash([2; 32]), 10.0, 0.1);
        assert!((ring.next_deadline().unwrap() - (10.0 + 0.25 * 3.5)).abs() < 1e-12);
        ring.transmitted(7, PacketHash([3; 32]), 11.0, 0.1);
        assert_eq!(ring.get(7).unwrap().tries, 2);
        assert_eq!(ring.expired(10.9), vec![8]);
        // A late proof of the first transmission.
        assert!(ring.owns(&PacketHash([1; 32])));
        assert_eq!(ring.take_proved(&PacketHash([1; 32]), 11.5), Some((7, 1.5)));
        assert!(!ring.owns(&PacketHash([3; 32])));
        assert_eq!(ring.take_proved(&PacketHash([3; 32]), 11.5), None);
        assert_eq!(ring.len(), 1);
    }
}
