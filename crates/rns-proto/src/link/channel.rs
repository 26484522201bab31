//! The link's side of channels and buffers: sealing envelopes into CHANNEL
//! packets, proving what arrives, matching proofs to the send ring, retrying
//! on timeouts, and draining the stream queue as the window opens. The
//! keyless state lives in [`crate::channel`].

use rns_crypto::{CryptoRngCore, PacketHash};
use rns_wire::channel::{Envelope, MessageType, StreamId};
use rns_wire::packet::{Context, Packet};
use rns_wire::proof::Proof;

use super::event::Discard;
use super::{Link, LinkAction, LinkError, LinkEvent, TeardownReason};
use crate::channel::{
    ChannelStats, ENVELOPE_OVERHEAD, MAX_TRIES, Message, Received, StreamChunk, WindowState,
    read_message,
};

/// The reference's stream header: 2 bytes before a buffer chunk's data.
const STREAM_HEADER: usize = 2;

impl Link {
    /// The largest channel message payload: the link mdu less the envelope
    /// header (and never more than the envelope's length field can say).
    pub fn channel_mdu(&self) -> usize {
        self.mdu()
            .saturating_sub(ENVELOPE_OVERHEAD)
            .min(usize::from(u16::MAX))
    }

    /// Whether [`channel_send`](Self::channel_send) would take a message now.
    pub fn channel_ready(&self) -> bool {
        let rtt = self.channel_rtt();
        self.require_usable().is_ok() && self.channel.has_room(rtt)
    }

    pub fn channel_window(&self) -> WindowState {
        self.channel.window_state(self.channel_rtt())
    }

    /// Channel messages sent and not yet proved.
    pub fn channel_outstanding(&self) -> usize {
        self.channel.tx().len()
    }

    /// Received messages held until the gap before them fills (at most
    /// [`WINDOW_MAX`](crate::channel::WINDOW_MAX)).
    pub fn channel_waiting(&self) -> usize {
        self.channel.rx().waiting()
    }

    pub fn channel_stats(&self) -> ChannelStats {
        self.channel.stats()
    }

    /// Sends one channel message of an application type (below 0xF000) and
    /// returns its sequence number; `ChannelDelivered` follows once the peer
    /// proves it. Refused with [`LinkError::ChannelBusy`] while the window is
    /// full: retry after a `ChannelDelivered`.
    pub fn channel_send(
        &mut self,
        now: f64,
        msgtype: u16,
        payload: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<u16, LinkError> {
        if MessageType(msgtype).is_reserved() {
            return Err(LinkError::ReservedMessageType(msgtype));
        }
        self.send_envelope(now, MessageType(msgtype), payload, out, rng)
    }

    /// Writes to buffer stream `stream_id` (0..=16383) and returns how many
    /// bytes of `data` were queued; `eof` closes the stream after the last of
    /// them, and is kept only if all of `data` was taken. Queued bytes go out
    /// as the channel window allows. [`LinkError::ChannelBusy`] means nothing
    /// at all fit: write again after a `ChannelDelivered`.
    pub fn stream_write(
        &mut self,
        now: f64,
        stream_id: u16,
        data: &[u8],
        eof: bool,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<usize, LinkError> {
        self.require_usable()?;
        let id = StreamId::new(stream_id).map_err(|_| LinkError::InvalidStreamId(stream_id))?;
        let accepted = self
            .channel
            .streams_mut()
            .write(id, data, eof)
            .ok_or(LinkError::ChannelBusy)?;
        self.pump_streams(now, out, rng);
        Ok(accepted)
    }

    /// Stream bytes a [`stream_write`](Self::stream_write) would queue now.
    pub fn stream_capacity(&self) -> usize {
        self.channel.streams().capacity()
    }

    /// Stream bytes queued and not yet handed to the channel.
    pub fn stream_queued(&self) -> usize {
        self.channel.streams().queued_bytes()
    }

    /// Test hook: number both directions of this end's channel from
    /// `sequence`, to reach the wrap-around without 65536 messages.
    #[doc(hidden)]
    pub fn channel_start_sequences_at(&mut self, sequence: u16) {
        self.channel.set_sequences_for_test(sequence);
    }

    /// Test hook: `plaintext` sealed under the link key as a link DATA packet
    /// with `context`, as the peer would send it (for hostile-input tests).
    #[doc(hidden)]
    pub fn seal_for_test(
        &self,
        context: Context,
        plaintext: &[u8],
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Packet, LinkError> {
        self.seal(context, plaintext, rng)
    }

    fn channel_rtt(&self) -> f64 {
        self.timers.rtt.unwrap_or(0.0)
    }

    fn send_envelope(
        &mut self,
        now: f64,
        msgtype: MessageType,
        payload: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<u16, LinkError> {
        self.require_usable()?;
        let mdu = self.channel_mdu();
        if payload.len() > mdu {
            return Err(LinkError::TooLarge {
                size: payload.len(),
                mdu,
            });
        }
        let rtt = self.channel_rtt();
        if !self.channel.has_room(rtt) {
            return Err(LinkError::ChannelBusy);
        }
        let sequence = self.channel.next_sequence();
        let envelope = Envelope {
            msgtype,
            sequence,
            payload,
        }
        .encode()
        .map_err(|_| LinkError::TooLarge {
            size: payload.len(),
            mdu,
        })?;
        let packet = self.seal(Context::CHANNEL, &envelope, rng)?;
        self.channel.advance_sequence();
        self.channel.tx_mut().push(sequence, envelope);
        self.channel
            .tx_mut()
            .transmitted(sequence, packet.hash(), now, rtt);
        self.transmit(now, packet, out);
        Ok(sequence)
    }

    /// Hands queued stream bytes to the channel while its window has room.
    fn pump_streams(&mut self, now: f64, out: &mut Vec<LinkAction>, rng: &mut dyn CryptoRngCore) {
        let max_data = self.channel_mdu().saturating_sub(STREAM_HEADER);
        while !self.channel.streams().is_empty() && self.channel_ready() {
            let Some(message) = self.channel.streams_mut().next_message(max_data) else {
                return;
            };
            if self
                .send_envelope(now, MessageType::STREAM_DATA, &message, out, rng)
                .is_err()
            {
                // Only a link without a key gets here, and it sends nothing more.
                return;
            }
        }
    }

    /// A decrypted CHANNEL packet. Whatever the channel keeps (now or as an
    /// early arrival) or already has is proved; the rest is dropped unproved so
    /// that its sender tries again.
    pub(super) fn on_channel(
        &mut self,
        now: f64,
        packet: &Packet,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let envelope = Envelope::decode(plaintext)?;
        let received =
            self.channel
                .rx_mut()
                .receive(envelope.msgtype.0, envelope.sequence, envelope.payload);
        let due = match received {
            Received::OutOfWindow => return Err(Discard::Unmatched),
            Received::Duplicate => {
                let stats = self.channel.stats_mut();
                stats.duplicates = stats.duplicates.saturating_add(1);
                Vec::new()
            }
            Received::Accepted(due) => due,
        };
        // Cannot fail: the packet decrypted, so the link is established.
        let _ = self.prove(now, &packet.hash(), out);
        for message in due {
            self.hand_up(message, out);
        }
        Ok(())
    }

    fn hand_up(&mut self, message: Message, out: &mut Vec<LinkAction>) {
        let link_id = self.id;
        let msgtype = MessageType(message.msgtype);
        let event = if msgtype == MessageType::STREAM_DATA {
            match read_message(&message.payload) {
                Ok(StreamChunk {
                    stream_id,
                    data,
                    eof,
                    compressed,
                }) => {
                    if compressed {
                        let stats = self.channel.stats_mut();
                        stats.compressed_stream_messages =
                            stats.compressed_stream_messages.saturating_add(1);
                    }
                    LinkEvent::StreamData {
                        link_id,
                        stream_id,
                        data,
                        eof,
                    }
                }
                Err(_) => {
                    let stats = self.channel.stats_mut();
                    stats.bad_stream_messages = stats.bad_stream_messages.saturating_add(1);
                    return;
                }
            }
        } else if msgtype.is_reserved() {
            let stats = self.channel.stats_mut();
            stats.unsupported = stats.unsupported.saturating_add(1);
            return;
        } else {
            LinkEvent::ChannelMessage {
                link_id,
                msgtype: message.msgtype,
                sequence: message.sequence,
                payload: message.payload,
            }
        };
        out.push(LinkAction::Event(event));
    }

    /// A link proof (context NONE) that names a channel transmission; `None`
    /// if it names none, so the caller tries the plain receipts.
    pub(super) fn on_channel_proof(
        &mut self,
        now: f64,
        packet: &Packet,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Option<Result<(), Discard>> {
        let proof = Proof::from_packet(packet).ok()?;
        let hash: PacketHash = *proof.packet_hash()?;
        if !self.channel.tx().owns(&hash) {
            return None;
        }
        if proof.verify(&hash, &self.peer_signer).is_err() {
            return Some(Err(Discard::Unauthentic));
        }
        let (sequence, rtt) = self.channel.tx_mut().take_proved(&hash, now)?;
        let link_rtt = self.channel_rtt();
        self.channel.window(link_rtt).on_delivered(rtt);
        self.note_inbound(now);
        let link_id = self.id;
        out.push(LinkAction::Event(LinkEvent::ChannelDelivered {
            link_id,
            sequence,
        }));
        self.pump_streams(now, out, rng);
        Some(Ok(()))
    }

    pub(super) fn channel_deadline(&self) -> Option<f64> {
        self.channel.tx().next_deadline()
    }

    /// Retries messages whose proofs are overdue, shrinking the window for
    /// each; a message out of tries takes the link down.
    pub(super) fn channel_timeouts(
        &mut self,
        now: f64,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) {
        let rtt = self.channel_rtt();
        for sequence in self.channel.tx().expired(now) {
            let Some(entry) = self.channel.tx().get(sequence) else {
                continue;
            };
            if entry.tries >= MAX_TRIES {
                self.channel.clear();
                self.teardown(now, TeardownReason::Timeout, Some(rng), out);
                return;
            }
            let Ok(packet) = self.seal(Context::CHANNEL, &entry.envelope, rng) else {
                return;
            };
            self.channel.window(rtt).on_timeout();
            let stats = self.channel.stats_mut();
            stats.retries = stats.retries.saturating_add(1);
            self.channel
                .tx_mut()
                .transmitted(sequence, packet.hash(), now, rtt);
            self.transmit(now, packet, out);
        }
    }
}
