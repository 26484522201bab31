//! Tickets: a recipient hands a sender 16 random bytes in `FIELD_TICKET`; the
//! sender then stamps messages with H16(ticket || message id) instead of doing
//! proof of work (protocol.md §18). Time is passed in as seconds since the epoch.
//!
//! Timing observed on the reference's router (docs/interop.md, LXMF): a ticket is
//! usable while `now < expires`, in both directions; issuing for a destination
//! reuses the current ticket while more than [`TICKET_RENEW`] of it remains and
//! otherwise makes a new one valid for [`TICKET_EXPIRY`].

use std::fmt;

use rns_crypto::CryptoRngCore;
use rns_crypto::hash::truncated_hash;
use rns_msgpack::Value;

use crate::message::MessageId;
use crate::stamp::Workblock;

const DAY: f64 = 24.0 * 60.0 * 60.0;

/// Length of a ticket.
pub const TICKET_LENGTH: usize = 16;
/// A new ticket is valid for 21 days.
pub const TICKET_EXPIRY: f64 = 21.0 * DAY;
/// Renew (issue a new one) when 14 days or less remain.
pub const TICKET_RENEW: f64 = 14.0 * DAY;
/// Expired tickets are kept 5 more days before they are forgotten.
pub const TICKET_GRACE: f64 = 5.0 * DAY;
/// The reference sends a ticket to the same destination at most once a day.
pub const TICKET_INTERVAL: f64 = DAY;
/// The value given to a stamp made from a ticket (`COST_TICKET`).
pub const COST_TICKET: u32 = 0x100;

/// A ticket and when it stops being valid.
#[derive(Clone, Copy, PartialEq)]
pub struct Ticket {
    pub expires: f64,
    pub bytes: [u8; TICKET_LENGTH],
}

/// A ticket lets its holder skip the proof of work, so it is not printed.
impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// A fresh ticket valid for [`TICKET_EXPIRY`] from `now`.
    pub fn issue(now: f64, rng: &mut dyn CryptoRngCore) -> Self {
        let mut bytes = [0u8; TICKET_LENGTH];
        rng.fill_bytes(&mut bytes);
        Self {
            expires: now + TICKET_EXPIRY,
            bytes,
        }
    }

    /// The ticket to send to a destination: `current` while more than
    /// [`TICKET_RENEW`] of it remains, otherwise a new one.
    pub fn reuse_or_issue(current: Option<&Ticket>, now: f64, rng: &mut dyn CryptoRngCore) -> Self {
        match current {
            Some(t) if t.expires - now > TICKET_RENEW => *t,
            _ => Self::issue(now, rng),
        }
    }

    /// The `FIELD_TICKET` value: `[expires (float64), ticket (bin 16)]`.
    pub fn to_field(&self) -> Value {
        Value::Array(vec![Value::F64(self.expires), Value::bin(self.bytes)])
    }

    /// Reads a `FIELD_TICKET` value; `None` if it is not `[number, bin 16]`.
    pub fn from_field(v: &Value) -> Option<Self> {
        match v.as_array()? {
            [expires, bytes] => Some(Self {
                expires: expires.as_f64()?,
                bytes: bytes.as_bin()?.try_into().ok()?,
            }),
            _ => None,
        }
    }

    pub fn is_valid_at(&self, now: f64) -> bool {
        now < self.expires
    }

    /// Whether the ticket is past its grace period and can be forgotten.
    pub fn is_forgettable_at(&self, now: f64) -> bool {
        now > self.expires + TICKET_GRACE
    }

    /// The stamp this ticket gives a message: H16(ticket || message id).
    pub fn stamp_for(&self, message_id: &MessageId) -> [u8; TICKET_LENGTH] {
        ticket_stamp(&self.bytes, message_id)
    }
}

/// H16(ticket || message id).
pub fn ticket_stamp(ticket: &[u8; TICKET_LENGTH], message_id: &MessageId) -> [u8; TICKET_LENGTH] {
    let mut material = ticket.to_vec();
    material.extend_from_slice(message_id.as_bytes());
    truncated_hash(&material)
}

/// Checks a message's stamp against the receiver's requirement.
///
/// A stamp made from one of `tickets` (the tickets we issued to this sender and
/// that are still valid) is worth [`COST_TICKET`]; otherwise the stamp must meet
/// `cost` as proof of work. Returns the stamp's value when it passes. Derives the
/// 768 kB workblock only if no ticket matched.
pub fn validate_message_stamp(
    message_id: &MessageId,
    stamp: &[u8],
    cost: u32,
    tickets: &[[u8; TICKET_LENGTH]],
) -> Option<u32> {
    if tickets.iter().any(|t| ticket_stamp(t, message_id) == stamp) {
        return Some(COST_TICKET);
    }
    let workblock = Workblock::for_message(message_id);
    workblock
        .is_valid(stamp, cost)
        .then(|| workblock.value(stamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_crypto::OsRng;

    #[test]
    fn reuse_until_renewal_window() {
        let now = 1_700_000_000.0;
        let first = Ticket::issue(now, &mut OsRng);
        assert_eq!(first.expires, now + TICKET_EXPIRY);
        let before = now + (TICKET_EXPIRY - TICKET_RENEW) - 1.0;
        assert_eq!(
            Ticket::reuse_or_issue(Some(&first), before, &mut OsRng),
            first
        );
        let after = now + (TICKET_EXPIRY - TICKET_RENEW) + 1.0;
        let renewed = Ticket::reuse_or_issue(Some(&first), after, &mut OsRng);
        assert_ne!(renewed.bytes, first.bytes);
        assert_eq!(renewed.expires, after + TICKET_EXPIRY);
        assert!(first.is_valid_at(first.expires - 1.0));
        assert!(!first.is_valid_at(first.expires + 1.0));
        assert!(!first.is_forgettable_at(first.expires + TICKET_GRACE));
        assert!(first.is_forgettable_at(first.expires + TICKET_GRACE + 1.0));
    }

    #[test]
    fn field_round_trip_and_malformed() {
        let t = Ticket {
            expires: 1_701_814_400.0,
            bytes: [3; 16],
        };
        assert_eq!(Ticket::from_field(&t.to_field()), Some(t));
        assert_eq!(Ticket::from_field(&Value::Nil), None);
        let short = Value::Array(vec![Value::F64(1.0), Value::bin([1u8; 15])]);
        assert_eq!(Ticket::from_field(&short), None);
        assert!(!format!("{t:?}").contains("3, 3"));
    }
}
