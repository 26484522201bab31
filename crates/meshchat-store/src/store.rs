//! `Store`: one open `database.db` of one identity, migrated, with its queries.

pub mod access;
pub mod announces;
pub mod contacts;
pub mod conversations;
pub mod messages;
pub mod settings;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{Result, backup, migrations};

/// The current time as the reference writes it in its `*_at` text columns
/// (ISO 8601, UTC, `T` separator, explicit offset), in SQL. One value per statement.
pub(crate) const NOW_ISO: &str = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";

/// An identity's database, open and migrated. Owned by one thread (see
/// `StoreHandle`); every method is synchronous.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    /// Where the database file is (its directory is the identity's).
    pub(crate) path: PathBuf,
    /// New announce rows since the last trim (see `announces`).
    new_announces: u32,
    /// New access attempts since the last trim (see `access`).
    new_attempts: u32,
    /// The latest conversation lists served (see `conversations`).
    conversation_cache: conversations::Cache,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, sets the pragmas
    /// (WAL, `synchronous=NORMAL`, 5 s busy timeout, foreign keys on), runs
    /// `PRAGMA quick_check` (a database that fails it is refused:
    /// [`Error::Corrupt`](crate::Error::Corrupt)), backs an existing
    /// database up when it needs a migration
    /// (`database-backups/backup-pre-migrate-v<from>-to-v<to>-<ts>.zip`) and
    /// migrates it to the latest version.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        configure(&conn)?;
        backup::check_on_open(&conn, &path)?;
        let mut store = Store {
            conn,
            path,
            new_announces: 0,
            new_attempts: 0,
            conversation_cache: conversations::Cache::default(),
        };
        let from = migrations::user_version(&store.conn)?;
        let has_tables: bool = store.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')",
            [],
            |r| r.get(0),
        )?;
        if has_tables && from < migrations::LATEST_VERSION {
            // Checked before the backup, so a refused database is left alone.
            migrations::check_reference_version(&store.conn)?;
            backup::pre_migrate_backup(&store, from, migrations::LATEST_VERSION)?;
        }
        migrations::migrate(&mut store.conn)?;
        Ok(store)
    }

    /// The underlying connection, for queries this crate does not offer yet.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A value that changes whenever the database may have: rows this
    /// connection inserted, updated or deleted (triggers included), and
    /// commits by any other connection (`PRAGMA data_version`).
    pub(crate) fn change_stamp(&self) -> Result<(u64, i64)> {
        let others: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((self.conn.total_changes(), others))
    }

    /// Our schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32> {
        migrations::user_version(&self.conn)
    }
}

fn configure(conn: &Connection) -> Result<()> {
    // journal_mode answers with a row; read it rather than execute it.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

/// `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` escaped
/// (use with `ESCAPE '\'`).
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Clamps a page size to 1..=1000 so no request reads an unbounded list.
pub(crate) fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 1000))
}
