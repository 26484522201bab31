//! Property tests for channel envelopes and stream-data messages.
// Helpers outside #[test] fns may panic too: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::collection::vec;
use proptest::prelude::*;
use rns_wire::WireError;
use rns_wire::channel::{Envelope, MessageType, StreamId, StreamMessage};

proptest! {
    #[test]
    fn envelope_round_trip(t in any::<u16>(), seq in any::<u16>(), payload in vec(any::<u8>(), 0..600)) {
        let e = Envelope { msgtype: MessageType(t), sequence: seq, payload: &payload };
        let bytes = e.encode().unwrap();
        prop_assert_eq!(bytes.len(), 6 + payload.len());
        prop_assert_eq!(Envelope::decode(&bytes).unwrap(), e);
    }

    #[test]
    fn envelope_length_must_match(t in any::<u16>(), payload in vec(any::<u8>(), 1..100), cut in any::<usize>()) {
        let bytes = Envelope { msgtype: MessageType(t), sequence: 0, payload: &payload }.encode().unwrap();
        let cut = cut % bytes.len();
        let is_truncated = matches!(Envelope::decode(&bytes[..cut]), Err(WireError::Truncated { .. }));
        prop_assert!(is_truncated);
        let mut longer = bytes.clone();
        longer.push(0);
        let is_malformed = matches!(Envelope::decode(&longer), Err(WireError::Malformed { .. }));
        prop_assert!(is_malformed);
    }

    #[test]
    fn stream_message_round_trip(
        id in 0u16..=StreamId::MAX,
        eof in any::<bool>(),
        compressed in any::<bool>(),
        data in vec(any::<u8>(), 0..400),
    ) {
        let m = StreamMessage { stream_id: StreamId::new(id).unwrap(), eof, compressed, data: &data };
        let bytes = m.encode();
        prop_assert_eq!(StreamMessage::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn stream_ids_above_14_bits_are_refused(id in (StreamId::MAX + 1)..=u16::MAX) {
        prop_assert!(StreamId::new(id).is_err());
    }

    #[test]
    fn decoders_survive_arbitrary_bytes(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(e) = Envelope::decode(&bytes) {
            prop_assert_eq!(e.encode().unwrap(), bytes.clone());
        }
        if let Ok(m) = StreamMessage::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }
}
