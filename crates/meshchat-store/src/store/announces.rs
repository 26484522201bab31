//! Announces heard (`announces`): one row per destination, capped per aspect
//! and in total so a flood cannot grow the database without bound.
//!
//! Caps: per aspect the reference's setting `announce_max_stored_<aspect>`
//! (dots as underscores, e.g. `announce_max_stored_lxmf_delivery`), default
//! 2,500 as in the reference, clamped to 1..=[`MAX_PER_ASPECT`]; across all
//! aspects [`AnnounceCaps::total`] (default 20,000). Every
//! [`TRIM_EVERY`]th new destination (re-heard ones add no row) the table is
//! trimmed: in each aspect over its cap, and then over the total, the least
//! recently heard announces go. So an aspect holds at most its cap + 63
//! rows, and the table at most the total + 63, whatever arrives; trimming in
//! batches keeps a flood's cost per announce small (a trim walks the table
//! once). Announces of favourites are never trimmed (the user made them;
//! their number is not in the network's hands).

use rusqlite::{OptionalExtension, Row, params};

use super::{NOW_ISO, Store, like_pattern, page_limit};
use crate::{Error, Result, is_hash_hex};

/// Default per-aspect cap (the reference's default for `announce_max_stored_*`).
pub const DEFAULT_PER_ASPECT: u32 = 2_500;
/// New destinations between two trims.
pub const TRIM_EVERY: u32 = 64;
/// Upper bound on a configured per-aspect cap.
pub const MAX_PER_ASPECT: u32 = 100_000;

/// Caps on stored announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnounceCaps {
    /// Per aspect when the setting is absent.
    pub default_per_aspect: u32,
    /// All aspects together (an attacker can invent aspects).
    pub total: u32,
}

impl Default for AnnounceCaps {
    fn default() -> Self {
        AnnounceCaps {
            default_per_aspect: DEFAULT_PER_ASPECT,
            total: 20_000,
        }
    }
}

/// An announce to store (as `meshchat-core` decoded it; binary fields base64
/// as the reference writes them).
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct NewAnnounce {
    pub destination_hash: String,
    /// `lxmf.delivery`, `nomadnetwork.node`, `lxmf.propagation`, `lxst.telephony`, ...
    pub aspect: String,
    pub identity_hash: String,
    /// Base64 of the 64-byte public key.
    pub identity_public_key: String,
    /// Base64 of the announce's app_data.
    pub app_data: Option<String>,
    pub rssi: Option<i64>,
    pub snr: Option<f64>,
    pub quality: Option<f64>,
}

/// A stored announce.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct Announce {
    pub id: i64,
    pub announce: NewAnnounce,
    pub created_at: String,
    /// When it was last heard.
    pub updated_at: String,
    /// How many times it was heard.
    pub announce_count: i64,
}

/// Which announces to list; most recently heard first.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct AnnounceQuery {
    pub aspect: Option<String>,
    pub identity_hash: Option<String>,
    pub destination_hash: Option<String>,
    /// Matches destination or identity hash, or a custom display name.
    pub search: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

fn cap_from(setting: Option<&str>, caps: &AnnounceCaps) -> u32 {
    let v = setting.and_then(|v| v.trim().parse::<u32>().ok());
    v.unwrap_or(caps.default_per_aspect)
        .clamp(1, MAX_PER_ASPECT)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Announce> {
    let text = |i| Ok::<_, rusqlite::Error>(r.get::<_, Option<String>>(i)?.unwrap_or_default());
    Ok(Announce {
        id: r.get(0)?,
        announce: NewAnnounce {
            destination_hash: text(1)?,
            aspect: text(2)?,
            identity_hash: text(3)?,
            identity_public_key: text(4)?,
            app_data: r.get(5)?,
            rssi: r.get(6)?,
            snr: r.get(7)?,
            quality: r.get(8)?,
        },
        created_at: text(9)?,
        updated_at: text(10)?,
        announce_count: r.get(11)?,
    })
}

const COLUMNS: &str = "id, destination_hash, aspect, identity_hash, identity_public_key, \
    app_data, rssi, snr, quality, created_at, updated_at, announce_count";

impl Store {
    /// The per-aspect cap in force (setting or default, clamped).
    pub fn announce_cap(&self, aspect: &str, caps: &AnnounceCaps) -> Result<u32> {
        let key = format!("announce_max_stored_{}", aspect.replace('.', "_"));
        let v = self
            .setting(&key)?
            .and_then(|v| v.trim().parse::<u32>().ok());
        Ok(v.unwrap_or(caps.default_per_aspect)
            .clamp(1, MAX_PER_ASPECT))
    }

    /// Stores or refreshes an announce (count + 1, last heard now); every
    /// [`TRIM_EVERY`]th new destination, trims to the caps. Returns how many
    /// rows were trimmed.
    pub fn upsert_announce(&mut self, a: &NewAnnounce, caps: &AnnounceCaps) -> Result<usize> {
        if !is_hash_hex(&a.destination_hash) {
            return Err(Error::InvalidHash(a.destination_hash.clone()));
        }
        let count: i64 = self
            .conn
            .prepare_cached(&format!(
                "INSERT INTO announces (destination_hash, aspect, identity_hash, identity_public_key,
                   app_data, rssi, snr, quality, created_at, updated_at, announce_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW_ISO}, {NOW_ISO}, 1)
                 ON CONFLICT(destination_hash) DO UPDATE SET aspect = excluded.aspect,
                   identity_hash = excluded.identity_hash,
                   identity_public_key = excluded.identity_public_key,
                   app_data = excluded.app_data, rssi = excluded.rssi, snr = excluded.snr,
                   quality = excluded.quality, updated_at = excluded.updated_at,
                   announce_count = announce_count + 1
                 RETURNING announce_count"
            ))?
            .query_row(
                params![
                    a.destination_hash,
                    a.aspect,
                    a.identity_hash,
                    a.identity_public_key,
                    a.app_data,
                    a.rssi,
                    a.snr,
                    a.quality
                ],
                |r| r.get(0),
            )?;
        if count == 1 {
            self.new_announces += 1;
            if self.new_announces >= TRIM_EVERY {
                return self.trim_announces(caps);
            }
        }
        Ok(0)
    }

    /// Trims every aspect to its cap and the table to the total now (least
    /// recently heard first, favourites kept); returns how many rows went.
    pub fn trim_announces(&mut self, caps: &AnnounceCaps) -> Result<usize> {
        self.new_announces = 0;
        let over: Vec<(String, i64)> = {
            let mut st = self.conn.prepare_cached(
                "SELECT aspect, count(*) FROM announces WHERE aspect IS NOT NULL GROUP BY aspect",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut trimmed = 0;
        let tx = self.conn.transaction()?;
        for (aspect, n) in over {
            let key = format!("announce_max_stored_{}", aspect.replace('.', "_"));
            let cap = tx
                .query_row("SELECT value FROM config WHERE key = ?1", [&key], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()?
                .flatten();
            let cap = cap_from(cap.as_deref(), caps);
            if n <= i64::from(cap) {
                continue;
            }
            trimmed += tx
                .prepare_cached(
                    "DELETE FROM announces WHERE id IN (
                       SELECT id FROM announces WHERE aspect = ?1 AND destination_hash NOT IN
                         (SELECT destination_hash FROM favourite_destinations
                           WHERE destination_hash IS NOT NULL)
                       ORDER BY updated_at DESC, id DESC LIMIT -1 OFFSET ?2)",
                )?
                .execute(params![aspect, cap])?;
        }
        trimmed += tx
            .prepare_cached(
                "DELETE FROM announces WHERE id IN (
                   SELECT id FROM announces WHERE destination_hash NOT IN
                     (SELECT destination_hash FROM favourite_destinations
                       WHERE destination_hash IS NOT NULL)
                   ORDER BY updated_at DESC, id DESC LIMIT -1 OFFSET ?1)",
            )?
            .execute(params![caps.total])?;
        tx.commit()?;
        Ok(trimmed)
    }

    /// Announces, most recently heard first.
    pub fn announces(&self, q: &AnnounceQuery) -> Result<Vec<Announce>> {
        let search = q
            .search
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM announces a
             WHERE (?1 IS NULL OR a.aspect = ?1)
               AND (?2 IS NULL OR a.identity_hash = ?2)
               AND (?3 IS NULL OR a.destination_hash = ?3)
               AND (?4 IS NULL OR a.destination_hash LIKE ?4 ESCAPE '\\'
                    OR a.identity_hash LIKE ?4 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM custom_destination_display_names n
                       WHERE n.destination_hash = a.destination_hash
                         AND n.display_name LIKE ?4 ESCAPE '\\'))
             ORDER BY a.updated_at DESC, a.id DESC LIMIT ?5 OFFSET ?6"
        ))?;
        let rows = st.query_map(
            params![
                q.aspect,
                q.identity_hash,
                q.destination_hash,
                search,
                page_limit(q.limit),
                i64::from(q.offset)
            ],
            from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many announces are stored for `aspect` (all when `None`).
    pub fn announce_count(&self, aspect: Option<&str>) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM announces WHERE ?1 IS NULL OR aspect = ?1",
            [aspect],
            |r| r.get(0),
        )?)
    }
}
