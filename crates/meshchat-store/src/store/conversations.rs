//! Conversation list (from `lxmf_conversation_summaries`), read state, pins and folders.

use std::cell::RefCell;

use rusqlite::{OptionalExtension, params};

use super::{NOW_ISO, Store, like_pattern, page_limit};
use crate::Result;

/// One row of the conversation list.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct Conversation {
    pub peer_hash: String,
    pub latest_message_hash: String,
    pub latest_state: String,
    pub latest_is_incoming: bool,
    /// The latest message is a reaction (the list previews it as one).
    pub latest_is_reaction: bool,
    pub latest_title: String,
    /// The first [`PREVIEW_CHARS`](super::messages::PREVIEW_CHARS) characters of the latest content.
    pub latest_preview: String,
    pub latest_timestamp: f64,
    /// When the latest message was stored (ISO 8601).
    pub latest_created_at: String,
    pub has_attachments: bool,
    /// Failed outbound messages in this conversation.
    pub failed_count: i64,
    /// Incoming messages newer (by LXMF timestamp) than the last mark-as-read.
    pub unread_count: i64,
    pub pinned: bool,
    pub folder_id: Option<i64>,
    pub custom_display_name: Option<String>,
    /// Base64 app_data of the peer's `lxmf.delivery` announce, if one is
    /// stored (its display name), joined here by the unique index rather
    /// than looked up once per row.
    pub announced_app_data: Option<String>,
}

/// Which conversations to list. Newest latest message first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationQuery {
    /// Matches peer hash, custom name, and the title or content of any message.
    pub search: Option<String>,
    /// Only conversations in this folder.
    pub folder_id: Option<i64>,
    /// Only conversations with unread messages.
    pub unread_only: bool,
    /// Page size (clamped to 1..=1000).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A conversation folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Folder {
    pub id: i64,
    pub name: String,
    /// ISO 8601, as the reference writes them.
    pub created_at: String,
    pub updated_at: String,
}

const UNREAD: &str = "(SELECT count(*) FROM lxmf_messages m
      WHERE m.peer_hash = s.peer_hash AND m.is_incoming = 1
        AND m.timestamp > COALESCE(unixepoch(r.last_read_at, 'subsec'), 0))";

/// Conversation lists kept between requests: the UI asks for the same list
/// again and again while nothing changes. An entry holds while the
/// database's change stamp is the one it was read at; any write (a message,
/// a state, a read mark, a pin, a name, an announce) makes every entry stale.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    entries: RefCell<Vec<CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    stamp: (u64, i64),
    query: ConversationQuery,
    list: Vec<Conversation>,
}

/// Distinct queries kept (pages, searches, folders).
const CACHED_QUERIES: usize = 8;

impl Store {
    /// The conversation list, newest first.
    pub fn conversations(&self, q: &ConversationQuery) -> Result<Vec<Conversation>> {
        let stamp = self.change_stamp()?;
        let mut entries = self.conversation_cache.entries.borrow_mut();
        entries.retain(|e| e.stamp == stamp);
        if let Some(hit) = entries.iter().find(|e| e.query == *q) {
            return Ok(hit.list.clone());
        }
        let list = self.query_conversations(q)?;
        if entries.len() >= CACHED_QUERIES {
            entries.remove(0);
        }
        entries.push(CacheEntry {
            stamp,
            query: q.clone(),
            list: list.clone(),
        });
        Ok(list)
    }

    fn query_conversations(&self, q: &ConversationQuery) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT * FROM (
               SELECT s.peer_hash, s.latest_message_hash, s.state, s.is_incoming, s.title,
                 s.content_preview, s.timestamp AS ts, s.created_at,
                 (COALESCE(s.has_image, 0) OR COALESCE(s.has_audio, 0) OR COALESCE(s.has_files, 0)),
                 s.failed_count, {UNREAD} AS unread, p.peer_hash IS NOT NULL, f.folder_id,
                 n.display_name, a.app_data, COALESCE(s.has_reaction, 0)
               FROM lxmf_conversation_summaries s
               LEFT JOIN lxmf_conversation_pins p ON p.peer_hash = s.peer_hash
               LEFT JOIN lxmf_conversation_folders f ON f.peer_hash = s.peer_hash
               LEFT JOIN lxmf_conversation_read_state r ON r.destination_hash = s.peer_hash
               LEFT JOIN custom_destination_display_names n ON n.destination_hash = s.peer_hash
               LEFT JOIN announces a ON a.destination_hash = s.peer_hash
                 AND a.aspect = 'lxmf.delivery'
               WHERE (?1 IS NULL OR f.folder_id = ?1)
                 AND (?2 IS NULL OR s.peer_hash LIKE ?2 ESCAPE '\\'
                      OR n.display_name LIKE ?2 ESCAPE '\\'
                      OR EXISTS (SELECT 1 FROM lxmf_messages m WHERE m.peer_hash = s.peer_hash
                         AND (m.content LIKE ?2 ESCAPE '\\' OR m.title LIKE ?2 ESCAPE '\\')))
               )
             WHERE (?3 = 0 OR unread > 0)
             ORDER BY ts DESC
             LIMIT ?4 OFFSET ?5"
        );
        let search = q
            .search
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(
            params![
                q.folder_id,
                search,
                q.unread_only,
                page_limit(q.limit),
                i64::from(q.offset)
            ],
            |r| {
                Ok(Conversation {
                    peer_hash: r.get(0)?,
                    latest_message_hash: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    latest_state: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    latest_is_incoming: r.get::<_, Option<i64>>(3)?.unwrap_or(0) != 0,
                    latest_title: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    latest_preview: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    latest_timestamp: r.get::<_, Option<f64>>(6)?.unwrap_or(0.0),
                    latest_created_at: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                    has_attachments: r.get(8)?,
                    failed_count: r.get(9)?,
                    unread_count: r.get(10)?,
                    pinned: r.get(11)?,
                    folder_id: r.get(12)?,
                    custom_display_name: r.get(13)?,
                    announced_app_data: r.get(14)?,
                    latest_is_reaction: r.get::<_, i64>(15)? != 0,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a conversation read now (and its notifications viewed, as the
    /// reference does).
    pub fn mark_read(&mut self, peer_hash: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        for table in ["lxmf_conversation_read_state", "notification_viewed_state"] {
            let col = if table == "notification_viewed_state" {
                "last_viewed_at"
            } else {
                "last_read_at"
            };
            tx.execute(
                &format!(
                    "INSERT INTO {table} (destination_hash, {col}, created_at, updated_at)
                     VALUES (?1, {NOW_ISO}, {NOW_ISO}, {NOW_ISO})
                     ON CONFLICT(destination_hash) DO UPDATE SET {col} = excluded.{col},
                       updated_at = excluded.updated_at"
                ),
                [peer_hash],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Pins or unpins a conversation; returns whether it is pinned now.
    pub fn toggle_pin(&mut self, peer_hash: &str) -> Result<bool> {
        let removed = self.conn.execute(
            "DELETE FROM lxmf_conversation_pins WHERE peer_hash = ?1",
            [peer_hash],
        )?;
        if removed > 0 {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO lxmf_conversation_pins (peer_hash, pinned_at)
             VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))",
            [peer_hash],
        )?;
        Ok(true)
    }

    /// Pinned peers, most recently pinned first.
    pub fn pins(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT peer_hash FROM lxmf_conversation_pins ORDER BY pinned_at DESC",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates a folder (names are unique); returns its id.
    pub fn create_folder(&mut self, name: &str) -> Result<i64> {
        self.conn.execute(
            &format!(
                "INSERT INTO lxmf_folders (name, created_at, updated_at)
                 VALUES (?1, {NOW_ISO}, {NOW_ISO})"
            ),
            [name],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Renames a folder; returns whether it exists.
    pub fn rename_folder(&mut self, id: i64, name: &str) -> Result<bool> {
        let n = self.conn.execute(
            &format!("UPDATE lxmf_folders SET name = ?2, updated_at = {NOW_ISO} WHERE id = ?1"),
            params![id, name],
        )?;
        Ok(n > 0)
    }

    /// Deletes a folder; its conversations leave it (foreign key cascade).
    pub fn delete_folder(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM lxmf_folders WHERE id = ?1", [id])?
            > 0)
    }

    /// All folders, by name.
    pub fn folders(&self) -> Result<Vec<Folder>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, name, created_at, updated_at FROM lxmf_folders ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Folder {
                id: r.get(0)?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                created_at: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                updated_at: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Puts conversations in a folder (`None`: takes them out of any).
    pub fn move_to_folder(&mut self, peer_hashes: &[&str], folder_id: Option<i64>) -> Result<()> {
        let tx = self.conn.transaction()?;
        for peer in peer_hashes {
            match folder_id {
                None => {
                    tx.execute(
                        "DELETE FROM lxmf_conversation_folders WHERE peer_hash = ?1",
                        [peer],
                    )?;
                }
                Some(folder) => {
                    tx.execute(
                        &format!(
                            "INSERT INTO lxmf_conversation_folders (peer_hash, folder_id,
                               created_at, updated_at) VALUES (?1, ?2, {NOW_ISO}, {NOW_ISO})
                             ON CONFLICT(peer_hash) DO UPDATE SET folder_id = excluded.folder_id,
                               updated_at = excluded.updated_at"
                        ),
                        params![peer, folder],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The folder a conversation is in.
    pub fn folder_of(&self, peer_hash: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT folder_id FROM lxmf_conversation_folders WHERE peer_hash = ?1",
                [peer_hash],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}
