//! The messages manager: sending (the row is stored before the router gets
//! the message, and every state or progress change the router reports
//! updates that same row, retries included), receiving (stored once per
//! hash; blocked senders dropped without a trace), and the conversation
//! queries the API serves.

use lxmf::router::{IncomingProgress, OutboundStatus, Received, RouterEvent};
use lxmf::{MessageId, Method, State};
use meshchat_store::{Conversation, ConversationQuery, DeliveryUpdate, InboundOutcome, Message};
use rns_crypto::DestinationHash;
use tokio::sync::broadcast::{self, error::RecvError};

use super::IdentityContext;
use super::announces::display_name_of;
use crate::attachments::{AttachmentKind, Attachments, StoredAttachment};
use crate::error::CoreError;
use crate::events::CoreEvent;
use crate::fields_json;
use crate::reactions;

/// A message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub destination_hash: DestinationHash,
    pub title: String,
    pub content: String,
    pub method: Method,
    /// Files and an image; checked against the limits in
    /// [`crate::attachments`] before anything is stored.
    pub attachments: Attachments,
    /// The hash (64 hex digits) of the message this one answers.
    pub reply_to_hash: Option<String>,
}

/// A conversation row with the peer's announced name.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationView {
    pub conversation: Conversation,
    /// From the peer's latest `lxmf.delivery` announce, if any.
    pub display_name: Option<String>,
}

/// The reference's name for a delivery state.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Generating => "generating",
        State::Outbound => "outbound",
        State::Sending => "sending",
        State::Sent => "sent",
        State::Delivered => "delivered",
        State::Rejected => "rejected",
        State::Cancelled => "cancelled",
        State::Failed => "failed",
    }
}

/// The reference's name for a delivery method.
pub fn method_name(method: Method) -> &'static str {
    match method {
        Method::Opportunistic => "opportunistic",
        Method::Direct => "direct",
        Method::Propagated => "propagated",
        Method::Paper => "paper",
    }
}

impl IdentityContext {
    /// Stores the message, then hands it to the router; returns the stored
    /// row as it stands once the router has it. If the router refuses, the
    /// row is marked `failed` and the refusal returned. A recipient whose
    /// identity is unknown (no announce heard) is refused before anything
    /// is stored.
    pub async fn send(&self, req: OutboundRequest) -> Result<Message, CoreError> {
        req.attachments.validate()?;
        let reply_to = match &req.reply_to_hash {
            Some(h) => Some(message_id(&h.to_ascii_lowercase())?.0),
            None => None,
        };
        let fields = fields_json::outbound(&req.attachments, reply_to.as_ref());
        self.dispatch(
            req.destination_hash,
            req.title,
            req.content,
            fields,
            req.method,
        )
        .await
    }

    /// Sends a reaction to a message of the conversation with
    /// `destination`: a message of its own (empty title and content, only
    /// the `REACTION` field), opportunistic, as the reference sends it.
    /// `NotFound` for a target that is not a message of that conversation,
    /// `InvalidInput` for an empty or too long emoji.
    pub async fn react(
        &self,
        destination: DestinationHash,
        target_hash: String,
        emoji: &str,
    ) -> Result<Message, CoreError> {
        let emoji = reactions::checked_emoji(emoji).map_err(|e| {
            CoreError::InvalidInput(match e {
                reactions::EmojiError::Empty => "emoji is empty".into(),
                reactions::EmojiError::TooLong => format!(
                    "emoji is longer than {} characters",
                    reactions::MAX_REACTION_CHARS
                ),
            })
        })?;
        let target_hash = target_hash.to_ascii_lowercase();
        let target = message_id(&target_hash)?;
        let peer = destination.to_string();
        let in_conversation = self
            .store(move |s| Ok(s.message(&target_hash)?.filter(|m| m.peer_hash == peer)))
            .await?
            .is_some();
        if !in_conversation {
            return Err(CoreError::NotFound("Message not found".into()));
        }
        let fields = reactions::fields(&target.0, &emoji);
        self.dispatch(
            destination,
            String::new(),
            String::new(),
            fields,
            Method::Opportunistic,
        )
        .await
    }

    /// Stores an outbound message, then hands it to the router (see
    /// [`Self::send`]).
    async fn dispatch(
        &self,
        destination_hash: DestinationHash,
        title: String,
        content: String,
        fields: lxmf::Fields,
        method: Method,
    ) -> Result<Message, CoreError> {
        // As the reference does: nothing is stored for a recipient we could
        // not encrypt to.
        let known = self.recall_identity(destination_hash).await?;
        if known.is_none() {
            return Err(CoreError::UnknownRecipient);
        }
        let me = self.inner.lxmf_delivery;
        let timestamp = rns_net::now();
        let mut message = lxmf::Message::new(
            destination_hash,
            me,
            timestamp,
            title.clone(),
            content.clone(),
        );
        message.fields = fields;
        let (has_image, has_audio, has_files) = fields_json::flags(&message.fields);
        // The hash covers destination, source and payload, not the
        // signature: the router's copy gets the same one.
        let hash = message
            .clone()
            .sign(&self.inner.identity)
            .message_id()
            .to_hex();
        let peer = destination_hash.to_string();
        let row = Message {
            hash: hash.clone(),
            source_hash: me.to_string(),
            destination_hash: peer.clone(),
            peer_hash: peer,
            state: state_name(State::Outbound).into(),
            method: Some(method_name(method).into()),
            title,
            content,
            fields: fields_json::to_json(&message.fields),
            has_image,
            has_audio,
            has_files,
            has_reaction: reactions::from_fields(&message.fields).is_some(),
            reply_to_hash: fields_json::reply_to_hash(&message.fields),
            timestamp,
            ..Message::default()
        };
        let h = hash.clone();
        let stored = self
            .store(move |s| {
                s.insert_outbound(&row)?;
                s.message(&h)
            })
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("message {hash} vanished")))?;
        self.emit(CoreEvent::MessageCreated(Box::new(stored.clone())));
        if let Err(e) = self.inner.router.send(message, method).await {
            let failed = DeliveryUpdate {
                state: state_name(State::Failed).into(),
                ..DeliveryUpdate::default()
            };
            self.apply_update(hash, failed).await;
            return Err(e.into());
        }
        let h = hash.clone();
        Ok(self.store(move |s| s.message(&h)).await?.unwrap_or(stored))
    }

    /// Cancels an outbound message the router still holds; the row shows
    /// `cancelled`. Whether there was anything to cancel.
    pub async fn cancel(&self, hash: String) -> Result<bool, CoreError> {
        let id = message_id(&hash)?;
        let h = hash.clone();
        let Some(row) = self.store(move |s| s.message(&h)).await? else {
            return Err(CoreError::NotFound("Message not found".into()));
        };
        if row.is_incoming {
            return Err(CoreError::InvalidInput(
                "Only outbound messages can be cancelled".into(),
            ));
        }
        let cancelled = self.inner.router.cancel(id).await?;
        if cancelled && !self.wait_for_state(&hash, "cancelled").await {
            // The router's report did not get through in time (a lagging
            // listener): make the row final ourselves.
            let update = DeliveryUpdate {
                state: state_name(State::Cancelled).into(),
                progress: row.progress,
                ..DeliveryUpdate::default()
            };
            self.apply_update(hash, update).await;
        }
        Ok(cancelled)
    }

    /// Waits (briefly) until the stored row reads `state`. The router's
    /// statuses are stored in the order it made them by one task; waiting
    /// for that task to store the final one, rather than writing it here,
    /// keeps an earlier status still on its way from overwriting it.
    async fn wait_for_state(&self, hash: &str, state: &'static str) -> bool {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            let h = hash.to_owned();
            let now = self.store(move |s| s.message(&h)).await;
            if matches!(now, Ok(Some(ref m)) if m.state == state) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Sends a failed, cancelled or rejected outbound message again: the
    /// same message (same timestamp, so the same hash) goes back to the
    /// router, and its row starts over as `outbound`.
    pub async fn resend(&self, hash: String) -> Result<Message, CoreError> {
        let h = hash.clone();
        let Some(row) = self.store(move |s| s.message(&h)).await? else {
            return Err(CoreError::NotFound("Message not found".into()));
        };
        let finished = ["failed", "cancelled", "rejected"];
        if row.is_incoming || !finished.contains(&row.state.as_str()) {
            return Err(CoreError::InvalidInput(format!(
                "Only failed, cancelled or rejected outbound messages can be resent (this one is {})",
                row.state
            )));
        }
        let destination = super::parse_destination_hash(&row.destination_hash)?;
        let mut message = lxmf::Message::new(
            destination,
            self.inner.lxmf_delivery,
            row.timestamp,
            row.title.clone(),
            row.content.clone(),
        );
        // The same fields in the same order give the same hash; a row whose
        // fields we cannot rebuild exactly is not resent as another message.
        let rebuilt = fields_json::from_json(&row.fields);
        message.fields = rebuilt.unwrap_or_default();
        let same = message
            .clone()
            .sign(&self.inner.identity)
            .message_id()
            .to_hex()
            == hash;
        if !same {
            return Err(CoreError::InvalidInput(
                "This message's fields cannot be rebuilt to resend it".into(),
            ));
        }
        let method = match row.method.as_deref() {
            Some("opportunistic") => Method::Opportunistic,
            Some("propagated") => Method::Propagated,
            _ => Method::Direct,
        };
        let restart = DeliveryUpdate {
            state: state_name(State::Outbound).into(),
            progress: 0.0,
            delivery_attempts: Some(0),
            next_delivery_attempt_at: None,
        };
        self.apply_update(hash.clone(), restart).await;
        if let Err(e) = self.inner.router.send(message, method).await {
            let failed = DeliveryUpdate {
                state: state_name(State::Failed).into(),
                ..DeliveryUpdate::default()
            };
            self.apply_update(hash, failed).await;
            return Err(e.into());
        }
        let h = hash.clone();
        self.store(move |s| s.message(&h))
            .await?
            .ok_or_else(|| CoreError::NotFound("Message not found".into()))
    }

    /// One attachment of a stored message of this identity: its image, or
    /// the file at an index. `NotFound` for an unknown message or a
    /// message without that attachment, `InvalidInput` for a file index
    /// past the end (as the reference answers).
    pub async fn attachment(
        &self,
        hash: String,
        kind: AttachmentKind,
    ) -> Result<StoredAttachment, CoreError> {
        let Some(row) = self.store(move |s| s.message(&hash)).await? else {
            return Err(CoreError::NotFound("Message not found".into()));
        };
        fields_json::attachment(&row.fields, kind)
    }

    /// A page of a conversation, newest first: `limit` messages older than
    /// `before_id` (or the newest), or only those newer than `after_id`.
    pub async fn conversation_messages(
        &self,
        peer: DestinationHash,
        before_id: Option<i64>,
        after_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, CoreError> {
        let peer = peer.to_string();
        let mut rows = self
            .store(move |s| s.conversation_messages(&peer, before_id, limit))
            .await?;
        if let Some(after) = after_id {
            rows.retain(|m| m.id > after);
        }
        Ok(rows)
    }

    /// The conversation list, with each peer's announced name.
    pub async fn conversations(
        &self,
        query: ConversationQuery,
    ) -> Result<Vec<ConversationView>, CoreError> {
        self.store(move |s| {
            let list = s.conversations(&query)?;
            Ok(list
                .into_iter()
                .map(|c| {
                    let display_name =
                        display_name_of("lxmf.delivery", c.announced_app_data.as_deref());
                    ConversationView {
                        conversation: c,
                        display_name,
                    }
                })
                .collect())
        })
        .await
    }

    pub async fn mark_read(&self, peer: DestinationHash) -> Result<(), CoreError> {
        let peer = peer.to_string();
        self.store(move |s| s.mark_read(&peer)).await
    }

    /// Deletes one message; whether it existed.
    pub async fn delete_message(&self, hash: String) -> Result<bool, CoreError> {
        self.store(move |s| s.delete_message(&hash)).await
    }

    /// Deletes a conversation's messages; how many.
    pub async fn delete_conversation(&self, peer: DestinationHash) -> Result<usize, CoreError> {
        let peer = peer.to_string();
        self.store(move |s| s.delete_conversation(&peer)).await
    }

    /// Updates the row and tells listeners; a message we never stored (not
    /// ours, or deleted meanwhile) is ignored.
    async fn apply_update(&self, hash: String, update: DeliveryUpdate) {
        let row = self
            .store_reliably(move |s| {
                if s.update_delivery(&hash, &update)? {
                    s.message(&hash)
                } else {
                    Ok(None)
                }
            })
            .await;
        if let Ok(Some(row)) = row {
            self.emit(CoreEvent::MessageUpdated(Box::new(row)));
        }
    }

    async fn on_outbound(&self, status: OutboundStatus) {
        // The router reports every identity's messages. One sent to us by
        // another of our identities has the same hash as our inbound row,
        // which its sender's status must not overwrite.
        if status.destination == self.inner.lxmf_delivery {
            return;
        }
        let update = DeliveryUpdate {
            state: state_name(status.state).into(),
            // The reference keeps progress in percent.
            progress: (status.progress * 100.0).clamp(0.0, 100.0),
            delivery_attempts: Some(i64::from(status.attempts)),
            next_delivery_attempt_at: None,
        };
        self.apply_update(status.id.to_hex(), update).await;
    }

    async fn on_received(&self, received: Received) {
        let m = received.message.message();
        if m.destination_hash != self.inner.lxmf_delivery {
            return;
        }
        let (has_image, has_audio, has_files) = fields_json::flags(&m.fields);
        let source = m.source_hash.to_string();
        let row = Message {
            hash: received.message.message_id().to_hex(),
            source_hash: source.clone(),
            destination_hash: m.destination_hash.to_string(),
            peer_hash: source.clone(),
            // What the reference stores for a received message.
            state: state_name(State::Generating).into(),
            is_incoming: true,
            method: Some(method_name(received.method).into()),
            title: String::from_utf8_lossy(&m.title).into_owned(),
            content: String::from_utf8_lossy(&m.content).into_owned(),
            fields: fields_json::to_json(&m.fields),
            reply_to_hash: fields_json::reply_to_hash(&m.fields),
            has_image,
            has_audio,
            has_files,
            has_reaction: reactions::from_fields(&m.fields).is_some(),
            timestamp: m.timestamp,
            ..Message::default()
        };
        let id = *received.message.message_id();
        let stored = self
            .store_reliably(move |s| {
                if s.is_blocked(&source)? {
                    return Ok(None);
                }
                match s.insert_inbound(&row)? {
                    InboundOutcome::Inserted(_) => s.message(&row.hash),
                    InboundOutcome::Duplicate(_) => Ok(None),
                }
            })
            .await;
        // Committed (or a blocked sender's, dropped on purpose): the sender
        // may be told it arrived. A failed write sends no proof, so the
        // sender tries again later.
        if stored.is_ok() {
            let _ = self.inner.router.ack_stored(id).await;
        }
        if let Ok(Some(row)) = stored {
            self.emit(CoreEvent::MessageReceived(Box::new(row)));
        }
    }
}

/// A message hash from a request: 64 hex digits.
fn message_id(hash: &str) -> Result<MessageId, CoreError> {
    let bad = || CoreError::InvalidInput("Invalid message hash".into());
    if hash.len() != 64 {
        return Err(bad());
    }
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        let pair = hash.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(MessageId(id))
}

/// Outbound status changes, one at a time in the order the router made them.
pub(super) async fn run_router_events(
    ctx: IdentityContext,
    mut rx: broadcast::Receiver<RouterEvent>,
) {
    loop {
        match rx.recv().await {
            Ok(RouterEvent::Outbound(status)) => ctx.on_outbound(status).await,
            Ok(RouterEvent::Incoming {
                local,
                transfer,
                progress,
            }) if local == ctx.inner.lxmf_delivery => {
                let (progress, state) = match progress {
                    IncomingProgress::Receiving { done, total } => {
                        (done as f64 / total.max(1) as f64, "receiving")
                    }
                    IncomingProgress::Complete => (1.0, "complete"),
                    IncomingProgress::Failed => (0.0, "failed"),
                };
                ctx.emit(CoreEvent::IncomingTransfer {
                    transfer: transfer.to_string(),
                    progress,
                    state,
                });
            }
            // A later status of the same message repairs what a lag lost.
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

/// Messages the router accepted for us.
pub(super) async fn run_inbound(ctx: IdentityContext, mut rx: broadcast::Receiver<Received>) {
    loop {
        match rx.recv().await {
            Ok(received) => ctx.on_received(received).await,
            Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hashes_parse_and_names_are_the_references() {
        let hex = "ab".repeat(32);
        assert_eq!(message_id(&hex).unwrap().to_hex(), hex);
        assert!(message_id("ab").is_err());
        assert!(message_id(&"zz".repeat(32)).is_err());
        assert!(message_id(&"é".repeat(32)).is_err());
        assert_eq!(state_name(State::Delivered), "delivered");
        assert_eq!(state_name(State::Outbound), "outbound");
        assert_eq!(method_name(Method::Opportunistic), "opportunistic");
    }
}
