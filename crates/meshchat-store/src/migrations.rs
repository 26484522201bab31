//! Versioned migrations: an ordered list, our version in `PRAGMA user_version`.
//!
//! The reference app keeps its own version in the row
//! `config(key='database_version')` and leaves `PRAGMA user_version` at 0, so
//! the two never collide. Migration 1 lays down the reference's v59 schema in
//! full, all 42 tables (every statement `IF NOT EXISTS`, so on a reference
//! database it is a no-op) and records `database_version = 59` when the row is
//! absent; the whole schema, because the reference creates six of its tables
//! only in its version-gated migrations, which it skips at 59. Later
//! migrations only *add* (indexes, or tables named `mcxrs_*`), which the
//! reference ignores. A database we created can therefore be opened by the
//! reference app, and one it created by us, without either losing data.

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::{Error, Result};

/// The reference app's `database_version` whose schema this build knows.
pub const REFERENCE_DATABASE_VERSION: u32 = 59;

/// The reference's v59 schema, as the reference writes it.
pub const REFERENCE_V59_SQL: &str = include_str!("reference_v59.sql");

/// One step of the schema.
#[derive(Debug)]
pub struct Migration {
    /// The `user_version` the database has after this step.
    pub version: u32,
    /// What the step does.
    pub name: &'static str,
    /// The SQL, run in one transaction with the `user_version` update.
    pub sql: &'static str,
}

/// Every migration, in order; versions are 1, 2, 3, ... without gaps.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "the reference's tables (MeshChatX 4.10.7, database_version 59)",
        sql: concat!(
            include_str!("reference_v59.sql"),
            "\nINSERT OR IGNORE INTO config (key, value) VALUES ('database_version', '59');\n"
        ),
    },
    Migration {
        version: 2,
        name: "indexes for the lists we serve that the reference lacks",
        sql: "
            -- announces by aspect, newest first (GET /api/v1/announces?aspect=), and
            -- the per-aspect trim that keeps the oldest out.
            CREATE INDEX IF NOT EXISTS mcxrs_idx_announces_aspect_updated
                ON announces(aspect, updated_at DESC);
            -- unread counts: incoming messages of a peer after its last read.
            CREATE INDEX IF NOT EXISTS mcxrs_idx_lxmf_messages_peer_incoming_ts
                ON lxmf_messages(peer_hash, is_incoming, timestamp);
        ",
    },
];

/// The version a fully migrated database has.
pub const LATEST_VERSION: u32 = 2;

/// Our schema version on disk.
pub fn user_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// The reference's `database_version`, if the database has a `config` table with it.
pub fn reference_version(conn: &Connection) -> Result<Option<String>> {
    let has_config: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'config')",
        [],
        |r| r.get(0),
    )?;
    if !has_config {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT value FROM config WHERE key = 'database_version'",
            [],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Refuses a database whose reference schema is not v59 (a newer reference
/// may have reshaped tables; an older one needs the reference's own
/// migrations, which we do not replay).
pub(crate) fn check_reference_version(conn: &Connection) -> Result<()> {
    match reference_version(conn)? {
        None => Ok(()),
        Some(v) if v.trim() == REFERENCE_DATABASE_VERSION.to_string() => Ok(()),
        Some(found) => Err(Error::UnsupportedReferenceVersion { found }),
    }
}

/// Brings the database to [`LATEST_VERSION`]: each missing step in its own
/// transaction. Returns the versions applied.
pub fn migrate(conn: &mut Connection) -> Result<Vec<u32>> {
    check_reference_version(conn)?;
    let current = user_version(conn)?;
    if current > LATEST_VERSION {
        return Err(Error::NewerSchema {
            found: current,
            known: LATEST_VERSION,
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction()?;
        apply(&tx, m)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

fn apply(tx: &Transaction<'_>, m: &Migration) -> Result<()> {
    tx.execute_batch(m.sql)?;
    // PRAGMA takes no parameters; the version is our own constant.
    tx.execute_batch(&format!("PRAGMA user_version = {}", m.version))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ordered_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST_VERSION));
    }
}
