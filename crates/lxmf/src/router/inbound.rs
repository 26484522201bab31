//! The inbound side: messages for our delivery destinations, by packet, link
//! packet or resource; duplicates dropped by message id (bounded memory),
//! invalid signatures dropped, unverifiable ones kept, stamps optionally
//! enforced.

use rns_crypto::{DestinationHash, PublicIdentity};

use super::{DropReason, Received, Router, RouterEvent};
use crate::delivery::Method;
use crate::message::{DESTINATION_LENGTH, MessageId, SignatureState, unpack};
use crate::ticket::validate_message_stamp;

/// The source hash of packed message bytes (so the driver can look up its
/// identity before [`Router::handle_inbound`]).
pub fn source_of(packed: &[u8]) -> Option<DestinationHash> {
    packed
        .get(DESTINATION_LENGTH..2 * DESTINATION_LENGTH)
        .and_then(DestinationHash::from_slice)
}

impl Router {
    /// A packed message (`dest || src || signature || payload`) arrived by
    /// `method`; `source` is the sender's identity if the network knows it.
    /// Accepted messages become [`RouterEvent::Received`], refused ones
    /// [`RouterEvent::Dropped`]. Returns the message id when accepted.
    pub fn handle_inbound(
        &mut self,
        now: f64,
        packed: &[u8],
        method: Method,
        source: Option<&PublicIdentity>,
    ) -> Option<MessageId> {
        let unpacked = match unpack(packed, source) {
            Ok(u) => u,
            Err(_) => return self.drop_inbound(DropReason::Malformed, None),
        };
        let id = *unpacked.message.message_id();
        let dest = unpacked.message.message().destination_hash;
        let Some(local) = self.locals.get(&dest) else {
            return self.drop_inbound(DropReason::NotForUs, Some(id));
        };
        if self.seen_set.contains(&id) {
            return self.drop_inbound(DropReason::Duplicate, Some(id));
        }
        if unpacked.signature == SignatureState::Invalid {
            return self.drop_inbound(DropReason::InvalidSignature, Some(id));
        }
        let cost = local.stamp_cost;
        let source = unpacked.message.message().source_hash;
        let stamp_value = match (unpacked.message.stamp(), cost) {
            (Some(stamp), Some(cost)) => {
                let tickets = self.issued_to(now, &source);
                validate_message_stamp(&id, stamp, u32::from(cost), &tickets)
            }
            _ => None,
        };
        // Paper messages are never held to a stamp cost.
        if self.config.enforce_stamps
            && cost.is_some()
            && stamp_value.is_none()
            && method != Method::Paper
        {
            return self.drop_inbound(DropReason::InvalidStamp, Some(id));
        }
        self.remember(id);
        if unpacked.signature == SignatureState::Valid {
            self.take_ticket_from(now, &unpacked.message);
        }
        self.events
            .push_back(RouterEvent::Received(Box::new(Received {
                message: unpacked.message,
                signature: unpacked.signature,
                method,
                stamp_value,
            })));
        Some(id)
    }

    /// An opportunistic packet's data for our `destination`.
    pub fn handle_inbound_packet(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        data: &[u8],
        source: Option<&PublicIdentity>,
    ) -> Option<MessageId> {
        let packed = crate::delivery::from_opportunistic_data(destination, data);
        self.handle_inbound(now, &packed, Method::Opportunistic, source)
    }

    fn drop_inbound(
        &mut self,
        reason: DropReason,
        message: Option<MessageId>,
    ) -> Option<MessageId> {
        self.events
            .push_back(RouterEvent::Dropped { reason, message });
        None
    }

    fn remember(&mut self, id: MessageId) {
        if self.config.dedup_capacity == 0 {
            return;
        }
        while self.seen.len() >= self.config.dedup_capacity {
            if let Some(old) = self.seen.pop_front() {
                self.seen_set.remove(&old);
            }
        }
        self.seen.push_back(id);
        self.seen_set.insert(id);
    }
}
