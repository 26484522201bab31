//! LXMF messages (`lxmf_messages`) and the conversation summary kept beside them.
//!
//! Rows are the reference's: hashes as lowercase hex text, `fields` as the
//! JSON text `meshchat-core` builds (the reference's shape: attachments and
//! images inline, bytes base64), stored and returned byte for byte. Every
//! write refreshes the peer's row in `lxmf_conversation_summaries`, so the
//! conversation list stays one indexed read and the reference app, opening
//! the same file, sees the same list.

use rusqlite::{OptionalExtension, Row, params};

use super::{NOW_ISO, Store, page_limit};
use crate::{Error, Result, is_hash_hex};

/// Characters of `content` kept in a conversation summary's preview.
pub const PREVIEW_CHARS: i64 = 256;

/// One stored message: every column of `lxmf_messages`. `id`, `created_at` and
/// `updated_at` are set by the store on insert.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct Message {
    pub id: i64,
    /// The LXMF message hash (64 hex digits).
    pub hash: String,
    pub source_hash: String,
    pub destination_hash: String,
    /// The other side of the conversation (source if incoming, else destination).
    pub peer_hash: String,
    /// The reference's state names: `outbound`, `sending`, `sent`, `delivered`,
    /// `failed`, `cancelled`, `rejected`, ... (inbound rows carry what the router had).
    pub state: String,
    /// 0.0 ..= 100.0.
    pub progress: f64,
    pub is_incoming: bool,
    /// `direct`, `opportunistic`, `propagated`, `paper`.
    pub method: Option<String>,
    pub delivery_attempts: i64,
    pub next_delivery_attempt_at: Option<f64>,
    pub title: String,
    pub content: String,
    /// JSON of the LXMF fields (lossless: bytes base64 as the reference writes them).
    pub fields: String,
    /// JSON of the fields' metadata with the bytes left out.
    pub fields_meta: String,
    pub has_image: bool,
    pub has_audio: bool,
    pub has_files: bool,
    pub has_reaction: bool,
    pub has_telemetry: bool,
    /// The LXMF timestamp (seconds since the epoch, the sender's clock).
    pub timestamp: f64,
    pub rssi: Option<i64>,
    pub snr: Option<f64>,
    pub quality: Option<f64>,
    pub is_spam: bool,
    pub reply_to_hash: Option<String>,
    pub path_hops_at_send: Option<i64>,
    pub path_interface_at_send: Option<String>,
    pub path_finding_measure: Option<String>,
    pub path_row_hash_hex: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub attachments_stripped: bool,
}

/// What storing an inbound message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    /// New row, with its id.
    Inserted(i64),
    /// A message with this hash was already stored (id of that row); nothing changed.
    Duplicate(i64),
}

/// A delivery-state change of an outbound message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryUpdate {
    /// New state.
    pub state: String,
    /// New progress (0..=100).
    pub progress: f64,
    /// New attempt count, if it changed.
    pub delivery_attempts: Option<i64>,
    /// When the next attempt is due, if it changed.
    pub next_delivery_attempt_at: Option<f64>,
}

const COLUMNS: &str = "id, hash, source_hash, destination_hash, peer_hash, state, progress, \
    is_incoming, method, delivery_attempts, next_delivery_attempt_at, title, content, fields, \
    fields_meta, has_image, has_audio, has_files, has_reaction, has_telemetry, timestamp, rssi, \
    snr, quality, is_spam, reply_to_hash, path_hops_at_send, path_interface_at_send, \
    path_finding_measure, path_row_hash_hex, created_at, updated_at, attachments_stripped";

// The reference declares these columns loosely (no NOT NULL); read NULL as the default.
fn text(r: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
}
fn flag(r: &Row<'_>, i: usize) -> rusqlite::Result<bool> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) != 0)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        hash: text(r, 1)?,
        source_hash: text(r, 2)?,
        destination_hash: text(r, 3)?,
        peer_hash: text(r, 4)?,
        state: text(r, 5)?,
        progress: r.get::<_, Option<f64>>(6)?.unwrap_or(0.0),
        is_incoming: flag(r, 7)?,
        method: r.get(8)?,
        delivery_attempts: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
        next_delivery_attempt_at: r.get(10)?,
        title: text(r, 11)?,
        content: text(r, 12)?,
        fields: text(r, 13)?,
        fields_meta: text(r, 14)?,
        has_image: flag(r, 15)?,
        has_audio: flag(r, 16)?,
        has_files: flag(r, 17)?,
        has_reaction: flag(r, 18)?,
        has_telemetry: flag(r, 19)?,
        timestamp: r.get::<_, Option<f64>>(20)?.unwrap_or(0.0),
        rssi: r.get(21)?,
        snr: r.get(22)?,
        quality: r.get(23)?,
        is_spam: flag(r, 24)?,
        reply_to_hash: r.get(25)?,
        path_hops_at_send: r.get(26)?,
        path_interface_at_send: r.get(27)?,
        path_finding_measure: r.get(28)?,
        path_row_hash_hex: r.get(29)?,
        created_at: text(r, 30)?,
        updated_at: text(r, 31)?,
        attachments_stripped: flag(r, 32)?,
    })
}

impl Store {
    /// Stores a message we are sending, before the API answers; returns its id.
    /// A second message with the same hash is refused ([`Error::DuplicateMessage`]).
    pub fn insert_outbound(&mut self, m: &Message) -> Result<i64> {
        check_peer(m)?;
        let tx = self.conn.transaction()?;
        let n = insert(&tx, m)?;
        if n == 0 {
            return Err(Error::DuplicateMessage(m.hash.clone()));
        }
        let id = tx.last_insert_rowid();
        refresh_summary(&tx, &m.peer_hash)?;
        tx.commit()?;
        Ok(id)
    }

    /// Stores a received message once: a message whose hash is already stored
    /// (a duplicate delivery) changes nothing.
    pub fn insert_inbound(&mut self, m: &Message) -> Result<InboundOutcome> {
        check_peer(m)?;
        let tx = self.conn.transaction()?;
        let outcome = if insert(&tx, m)? == 1 {
            let id = tx.last_insert_rowid();
            refresh_summary(&tx, &m.peer_hash)?;
            InboundOutcome::Inserted(id)
        } else {
            let id = tx.query_row(
                "SELECT id FROM lxmf_messages WHERE hash = ?1",
                [&m.hash],
                |r| r.get(0),
            )?;
            InboundOutcome::Duplicate(id)
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Updates state and progress (and attempts) on the message's own row.
    /// Returns false when no message has this hash.
    pub fn update_delivery(&mut self, hash: &str, u: &DeliveryUpdate) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let peer: Option<String> = tx
            .query_row(
                &format!(
                    "UPDATE lxmf_messages SET state = ?2, progress = ?3,
                       delivery_attempts = COALESCE(?4, delivery_attempts),
                       next_delivery_attempt_at = COALESCE(?5, next_delivery_attempt_at),
                       updated_at = {NOW_ISO}
                     WHERE hash = ?1 RETURNING peer_hash"
                ),
                params![
                    hash,
                    u.state,
                    u.progress,
                    u.delivery_attempts,
                    u.next_delivery_attempt_at
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(peer) = &peer {
            refresh_summary(&tx, peer)?;
        }
        tx.commit()?;
        Ok(peer.is_some())
    }

    /// How many messages are stored (both directions), for the identity list.
    pub fn message_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM lxmf_messages", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One message by hash.
    pub fn message(&self, hash: &str) -> Result<Option<Message>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM lxmf_messages WHERE hash = ?1"),
                [hash],
                from_row,
            )
            .optional()?)
    }

    /// A page of a conversation, newest first: at most `limit` messages with
    /// an id below `before_id` (all when `None`). Pass the last id of a page
    /// to get the next, older one.
    pub fn conversation_messages(
        &self,
        peer_hash: &str,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM lxmf_messages
             WHERE peer_hash = ?1 AND id < COALESCE(?2, 9223372036854775807)
             ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = st.query_map(params![peer_hash, before_id, page_limit(limit)], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Outbound messages in `state` (e.g. `failed`, for resend on announce).
    pub fn outbound_in_state(&self, state: &str, limit: u32) -> Result<Vec<Message>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM lxmf_messages WHERE state = ?1 AND is_incoming = 0
             ORDER BY id LIMIT ?2"
        ))?;
        let rows = st.query_map(params![state, page_limit(limit)], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes one message; returns whether it existed.
    pub fn delete_message(&mut self, hash: &str) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let peer: Option<String> = tx
            .query_row(
                "DELETE FROM lxmf_messages WHERE hash = ?1 RETURNING peer_hash",
                [hash],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(peer) = &peer {
            refresh_summary(&tx, peer)?;
        }
        tx.commit()?;
        Ok(peer.is_some())
    }

    /// Deletes a whole conversation (its messages and summary); returns how
    /// many messages went.
    pub fn delete_conversation(&mut self, peer_hash: &str) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM lxmf_messages WHERE peer_hash = ?1",
            [peer_hash],
        )?;
        refresh_summary(&tx, peer_hash)?;
        tx.commit()?;
        Ok(n)
    }
}

fn check_peer(m: &Message) -> Result<()> {
    if !is_hash_hex(&m.peer_hash) {
        return Err(Error::InvalidHash(m.peer_hash.clone()));
    }
    Ok(())
}

fn insert(tx: &rusqlite::Transaction<'_>, m: &Message) -> Result<usize> {
    let mut st = tx.prepare_cached(&format!(
        "INSERT INTO lxmf_messages (hash, source_hash, destination_hash, peer_hash, state,
           progress, is_incoming, method, delivery_attempts, next_delivery_attempt_at, title,
           content, fields, fields_meta, has_image, has_audio, has_files, has_reaction,
           has_telemetry, timestamp, rssi, snr, quality, is_spam, reply_to_hash,
           path_hops_at_send, path_interface_at_send, path_finding_measure, path_row_hash_hex,
           created_at, updated_at, attachments_stripped)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
           ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, {NOW_ISO}, {NOW_ISO}, ?30)
         ON CONFLICT(hash) DO NOTHING"
    ))?;
    Ok(st.execute(params![
        m.hash,
        m.source_hash,
        m.destination_hash,
        m.peer_hash,
        m.state,
        m.progress,
        m.is_incoming,
        m.method,
        m.delivery_attempts,
        m.next_delivery_attempt_at,
        m.title,
        m.content,
        m.fields,
        m.fields_meta,
        m.has_image,
        m.has_audio,
        m.has_files,
        m.has_reaction,
        m.has_telemetry,
        m.timestamp,
        m.rssi,
        m.snr,
        m.quality,
        m.is_spam,
        m.reply_to_hash,
        m.path_hops_at_send,
        m.path_interface_at_send,
        m.path_finding_measure,
        m.path_row_hash_hex,
        m.attachments_stripped,
    ])?)
}

/// Rewrites the peer's summary from its newest message (by id), or removes
/// it when the conversation is empty. `failed_count` counts failed outbound
/// messages.
pub(crate) fn refresh_summary(tx: &rusqlite::Transaction<'_>, peer_hash: &str) -> Result<()> {
    let n = tx
        .prepare_cached(
            "INSERT INTO lxmf_conversation_summaries (peer_hash, latest_message_id,
           latest_message_hash, source_hash, destination_hash, state, progress, is_incoming,
           title, content_preview, timestamp, is_spam, reply_to_hash, created_at, updated_at,
           has_image, has_audio, has_files, has_reaction, has_telemetry, failed_count)
         SELECT peer_hash, id, hash, source_hash, destination_hash, state, progress, is_incoming,
           title, substr(content, 1, ?2), timestamp, is_spam, reply_to_hash, created_at,
           updated_at, has_image, has_audio, has_files, has_reaction, has_telemetry,
           (SELECT count(*) FROM lxmf_messages
             WHERE peer_hash = ?1 AND is_incoming = 0 AND state = 'failed')
         FROM lxmf_messages WHERE peer_hash = ?1 ORDER BY id DESC LIMIT 1
         ON CONFLICT(peer_hash) DO UPDATE SET latest_message_id = excluded.latest_message_id,
           latest_message_hash = excluded.latest_message_hash,
           source_hash = excluded.source_hash, destination_hash = excluded.destination_hash,
           state = excluded.state, progress = excluded.progress,
           is_incoming = excluded.is_incoming, title = excluded.title,
           content_preview = excluded.content_preview, timestamp = excluded.timestamp,
           is_spam = excluded.is_spam, reply_to_hash = excluded.reply_to_hash,
           created_at = excluded.created_at, updated_at = excluded.updated_at,
           has_image = excluded.has_image, has_audio = excluded.has_audio,
           has_files = excluded.has_files, has_reaction = excluded.has_reaction,
           has_telemetry = excluded.has_telemetry, failed_count = excluded.failed_count",
        )?
        .execute(params![peer_hash, PREVIEW_CHARS])?;
    if n == 0 {
        tx.execute(
            "DELETE FROM lxmf_conversation_summaries WHERE peer_hash = ?1",
            [peer_hash],
        )?;
    }
    Ok(())
}
