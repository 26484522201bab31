//! Channels and buffers on our links, as node calls: thin wrappers that run
//! the link's method and carry out what it asks (see [`crate::channel`]).

use super::{Node, NodeError};
use crate::link::LinkId;

impl Node {
    /// Sends a channel message of an application type (below 0xF000) on a
    /// link; returns its sequence. `LinkEvent::ChannelDelivered` follows when
    /// the peer proves it. `NodeError::Link(LinkError::ChannelBusy)` means the
    /// window is full: retry after a `ChannelDelivered`.
    pub fn channel_send(
        &mut self,
        now: f64,
        link: &LinkId,
        msgtype: u16,
        payload: &[u8],
    ) -> Result<u16, NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.channel_send(now, msgtype, payload, out, rng)
        })
    }

    /// Writes to buffer stream `stream_id` on a link and returns how many bytes
    /// were queued (the rest is the caller's to write again later, after a
    /// `ChannelDelivered`); `eof` holds only if everything was taken. The peer
    /// sees `LinkEvent::StreamData`.
    pub fn stream_write(
        &mut self,
        now: f64,
        link: &LinkId,
        stream_id: u16,
        data: &[u8],
        eof: bool,
    ) -> Result<usize, NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.stream_write(now, stream_id, data, eof, out, rng)
        })
    }
}
