//! Settings: the reference's `config` key/value table, values as text
//! exactly as it writes them (`true`/`false`, numbers in decimal, JSON for
//! lists). Only settings that differ from the defaults have a row; the
//! defaults and types live in `meshchat-core`.

use rusqlite::{OptionalExtension, params};

use super::{NOW_ISO, Store};
use crate::Result;

/// The setting that holds the preferred propagation node's destination hash.
pub const PREFERRED_PROPAGATION_NODE_KEY: &str = "lxmf_preferred_propagation_node_destination_hash";

impl Store {
    /// One setting's stored text.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    /// Stores a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            &format!(
                "INSERT INTO config (key, value, created_at, updated_at)
                 VALUES (?1, ?2, {NOW_ISO}, {NOW_ISO})
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                   updated_at = excluded.updated_at"
            ),
            params![key, value],
        )?;
        Ok(())
    }

    /// Removes a setting (back to its default); returns whether it was set.
    pub fn remove_setting(&mut self, key: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM config WHERE key = ?1", [key])?
            > 0)
    }

    /// Every stored setting, by key.
    pub fn settings(&self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT key, value FROM config WHERE key IS NOT NULL ORDER BY key")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The preferred propagation node, if one is selected.
    pub fn preferred_propagation_node(&self) -> Result<Option<String>> {
        Ok(self
            .setting(PREFERRED_PROPAGATION_NODE_KEY)?
            .filter(|v| !v.is_empty()))
    }

    /// Selects (or with `None`, clears) the preferred propagation node.
    pub fn set_preferred_propagation_node(&mut self, destination_hash: Option<&str>) -> Result<()> {
        match destination_hash {
            Some(h) => self.set_setting(PREFERRED_PROPAGATION_NODE_KEY, h),
            None => self
                .remove_setting(PREFERRED_PROPAGATION_NODE_KEY)
                .map(|_| ()),
        }
    }
}
