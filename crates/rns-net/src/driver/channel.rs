//! Channel messages and buffer streams on a link, through the handle (see
//! `rns_proto::channel`). Both calls can be refused with
//! `LinkError::ChannelBusy` while the channel's window is full: retry after a
//! `LinkEvent::ChannelDelivered`.

use rns_proto::node::LinkId;

use super::ReticulumHandle;
use crate::error::NetError;

impl ReticulumHandle {
    /// Sends one channel message of an application type (below 0xF000) and
    /// returns its sequence number.
    pub async fn channel_send(
        &self,
        link: LinkId,
        msgtype: u16,
        payload: Vec<u8>,
    ) -> Result<u16, NetError> {
        Ok(self
            .with_node(move |n, now| n.channel_send(now, &link, msgtype, &payload))
            .await??)
    }

    /// Writes to buffer stream `stream_id` and returns how many bytes of
    /// `data` were queued; write the rest later. `eof` takes effect only when
    /// all of `data` was queued.
    pub async fn stream_write(
        &self,
        link: LinkId,
        stream_id: u16,
        data: Vec<u8>,
        eof: bool,
    ) -> Result<usize, NetError> {
        Ok(self
            .with_node(move |n, now| n.stream_write(now, &link, stream_id, &data, eof))
            .await??)
    }
}
