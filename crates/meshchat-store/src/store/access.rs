//! Login bookkeeping in the reference's tables: every attempt at a login or
//! password setup (`access_attempts`), and the clients (IP + user-agent hash)
//! that logged in before (`trusted_login_clients`). Times are Unix seconds
//! (`REAL`), as the reference writes them; callers pass `now` so the windows
//! can be tested without waiting. Both tables are capped.

use rusqlite::params;

use super::Store;
use crate::Result;

/// Attempts kept: the newest this many rows (the table is trimmed every
/// [`TRIM_EVERY`] inserts, so it holds at most this + `TRIM_EVERY`).
pub const MAX_ACCESS_ATTEMPTS: i64 = 10_000;
const TRIM_EVERY: u32 = 64;
/// Trusted fingerprints kept per identity (the reference's cap).
pub const MAX_TRUSTED_CLIENTS: i64 = 100;

/// One attempt at a login or setup, as recorded.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)]
pub struct AccessAttempt {
    pub id: i64,
    pub created_at: f64,
    pub identity_hash: String,
    pub client_ip: String,
    pub user_agent: Option<String>,
    pub user_agent_hash: String,
    pub path: String,
    pub method: String,
    /// `success`, `failed_password`, `weak_password`, `invalid_json`,
    /// `rate_limited`, `lockout`, ... (the reference's words).
    pub outcome: String,
    pub detail: Option<String>,
}

impl Store {
    /// Records an attempt (its `id` is ignored); returns the new row's id.
    pub fn record_access_attempt(&mut self, a: &AccessAttempt) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO access_attempts (created_at, identity_hash, client_ip, user_agent,
               user_agent_hash, path, method, outcome, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                a.created_at,
                a.identity_hash,
                a.client_ip,
                a.user_agent,
                a.user_agent_hash,
                a.path,
                a.method,
                a.outcome,
                a.detail,
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        self.new_attempts += 1;
        if self.new_attempts >= TRIM_EVERY {
            self.new_attempts = 0;
            self.conn.execute(
                "DELETE FROM access_attempts WHERE id <= (SELECT id FROM access_attempts
                   ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                [MAX_ACCESS_ATTEMPTS],
            )?;
        }
        Ok(id)
    }

    /// Attempts from `client_ip` (any identity, any outcome) at or after `since`.
    pub fn attempts_since(&self, client_ip: &str, since: f64) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM access_attempts WHERE client_ip = ?1 AND created_at >= ?2",
            params![client_ip, since],
            |r| r.get(0),
        )?)
    }

    /// Wrong passwords given for `identity_hash` from `client_ip` at or after `since`.
    pub fn failures_since(&self, identity_hash: &str, client_ip: &str, since: f64) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM access_attempts WHERE identity_hash = ?1 AND client_ip = ?2
               AND created_at >= ?3 AND outcome = 'failed_password'",
            params![identity_hash, client_ip, since],
            |r| r.get(0),
        )?)
    }

    /// The newest attempts first, and how many there are in all.
    pub fn access_attempts(&self, limit: u32, offset: u32) -> Result<(Vec<AccessAttempt>, u64)> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, created_at, identity_hash, client_ip, user_agent, user_agent_hash,
               path, method, outcome, detail FROM access_attempts
             ORDER BY id DESC LIMIT ?1 OFFSET ?2",
        )?;
        let rows = st.query_map(params![super::page_limit(limit), i64::from(offset)], |r| {
            Ok(AccessAttempt {
                id: r.get(0)?,
                created_at: r.get(1)?,
                identity_hash: r.get(2)?,
                client_ip: r.get(3)?,
                user_agent: r.get(4)?,
                user_agent_hash: r.get(5)?,
                path: r.get(6)?,
                method: r.get(7)?,
                outcome: r.get(8)?,
                detail: r.get(9)?,
            })
        })?;
        let list = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let total: u64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM access_attempts", [], |r| r.get(0))?;
        Ok((list, total))
    }

    /// Whether this IP + user-agent hash logged in to `identity_hash` before.
    pub fn is_trusted_client(
        &self,
        identity_hash: &str,
        client_ip: &str,
        user_agent_hash: &str,
    ) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM trusted_login_clients WHERE identity_hash = ?1
               AND client_ip = ?2 AND user_agent_hash = ?3)",
            params![identity_hash, client_ip, user_agent_hash],
            |r| r.get(0),
        )?)
    }

    /// Remembers a client that logged in; keeps the newest
    /// [`MAX_TRUSTED_CLIENTS`] per identity.
    pub fn trust_client(
        &mut self,
        identity_hash: &str,
        client_ip: &str,
        user_agent_hash: &str,
        now: f64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO trusted_login_clients (identity_hash, client_ip, user_agent_hash,
               last_success_at, created_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(identity_hash, client_ip, user_agent_hash)
               DO UPDATE SET last_success_at = excluded.last_success_at",
            params![identity_hash, client_ip, user_agent_hash, now],
        )?;
        tx.execute(
            "DELETE FROM trusted_login_clients WHERE identity_hash = ?1 AND rowid NOT IN
               (SELECT rowid FROM trusted_login_clients WHERE identity_hash = ?1
                ORDER BY last_success_at DESC LIMIT ?2)",
            params![identity_hash, MAX_TRUSTED_CLIENTS],
        )?;
        tx.commit()?;
        Ok(())
    }
}
