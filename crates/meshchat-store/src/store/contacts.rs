//! Favourites, custom display names and blocked destinations: small tables
//! keyed by destination hash.

use rusqlite::{OptionalExtension, params};

use super::{NOW_ISO, Store};
use crate::Result;

/// A favourite destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Favourite {
    pub destination_hash: String,
    pub display_name: String,
    pub aspect: String,
    pub identify_on_connect: bool,
    pub created_at: String,
}

/// A name the user gave a destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CustomDisplayName {
    pub destination_hash: String,
    pub display_name: String,
}

/// A blocked destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct BlockedDestination {
    pub destination_hash: String,
    pub created_at: String,
}

impl Store {
    /// Adds a favourite, or renames / re-aspects an existing one.
    pub fn add_favourite(
        &mut self,
        destination_hash: &str,
        display_name: &str,
        aspect: &str,
    ) -> Result<()> {
        self.conn.execute(
            &format!(
                "INSERT INTO favourite_destinations (destination_hash, display_name, aspect,
                   created_at, updated_at) VALUES (?1, ?2, ?3, {NOW_ISO}, {NOW_ISO})
                 ON CONFLICT(destination_hash) DO UPDATE SET display_name = excluded.display_name,
                   aspect = excluded.aspect, updated_at = excluded.updated_at"
            ),
            params![destination_hash, display_name, aspect],
        )?;
        Ok(())
    }

    /// Renames a favourite; returns whether it exists.
    pub fn rename_favourite(&mut self, destination_hash: &str, display_name: &str) -> Result<bool> {
        Ok(self.conn.execute(
            &format!(
                "UPDATE favourite_destinations SET display_name = ?2, updated_at = {NOW_ISO}
                 WHERE destination_hash = ?1"
            ),
            params![destination_hash, display_name],
        )? > 0)
    }

    /// Sets identify-on-connect of a favourite; returns whether it exists.
    pub fn set_identify_on_connect(&mut self, destination_hash: &str, on: bool) -> Result<bool> {
        Ok(self.conn.execute(
            &format!(
                "UPDATE favourite_destinations SET identify_on_connect = ?2, updated_at = {NOW_ISO}
                 WHERE destination_hash = ?1"
            ),
            params![destination_hash, on],
        )? > 0)
    }

    /// Removes a favourite; returns whether it existed.
    pub fn remove_favourite(&mut self, destination_hash: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM favourite_destinations WHERE destination_hash = ?1",
            [destination_hash],
        )? > 0)
    }

    /// Favourites, optionally of one aspect, by name.
    pub fn favourites(&self, aspect: Option<&str>) -> Result<Vec<Favourite>> {
        let mut st = self.conn.prepare_cached(
            "SELECT destination_hash, display_name, aspect, identify_on_connect, created_at
             FROM favourite_destinations WHERE ?1 IS NULL OR aspect = ?1
             ORDER BY display_name COLLATE NOCASE, id",
        )?;
        let rows = st.query_map([aspect], |r| {
            Ok(Favourite {
                destination_hash: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                display_name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                aspect: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                identify_on_connect: r.get(3)?,
                created_at: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets (or with `None`, removes) the custom display name of a destination.
    pub fn set_custom_display_name(
        &mut self,
        destination_hash: &str,
        name: Option<&str>,
    ) -> Result<()> {
        match name {
            None => {
                self.conn.execute(
                    "DELETE FROM custom_destination_display_names WHERE destination_hash = ?1",
                    [destination_hash],
                )?;
            }
            Some(name) => {
                self.conn.execute(
                    &format!(
                        "INSERT INTO custom_destination_display_names (destination_hash,
                           display_name, created_at, updated_at)
                         VALUES (?1, ?2, {NOW_ISO}, {NOW_ISO})
                         ON CONFLICT(destination_hash) DO UPDATE SET
                           display_name = excluded.display_name, updated_at = excluded.updated_at"
                    ),
                    params![destination_hash, name],
                )?;
            }
        }
        Ok(())
    }

    /// The custom display name of a destination.
    pub fn custom_display_name(&self, destination_hash: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT display_name FROM custom_destination_display_names WHERE destination_hash = ?1",
                [destination_hash],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Every custom display name.
    pub fn custom_display_names(&self) -> Result<Vec<CustomDisplayName>> {
        let mut st = self.conn.prepare_cached(
            "SELECT destination_hash, display_name FROM custom_destination_display_names ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(CustomDisplayName {
                destination_hash: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                display_name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Blocks a destination (idempotent).
    pub fn block(&mut self, destination_hash: &str) -> Result<()> {
        self.conn.execute(
            &format!(
                "INSERT INTO blocked_destinations (destination_hash, created_at, updated_at)
                 VALUES (?1, {NOW_ISO}, {NOW_ISO}) ON CONFLICT(destination_hash) DO NOTHING"
            ),
            [destination_hash],
        )?;
        Ok(())
    }

    /// Unblocks a destination; returns whether it was blocked.
    pub fn unblock(&mut self, destination_hash: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM blocked_destinations WHERE destination_hash = ?1",
            [destination_hash],
        )? > 0)
    }

    /// Whether a destination is blocked.
    pub fn is_blocked(&self, destination_hash: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM blocked_destinations WHERE destination_hash = ?1)",
            [destination_hash],
            |r| r.get(0),
        )?)
    }

    /// Every blocked destination, oldest first.
    pub fn blocked(&self) -> Result<Vec<BlockedDestination>> {
        let mut st = self.conn.prepare_cached(
            "SELECT destination_hash, created_at FROM blocked_destinations ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(BlockedDestination {
                destination_hash: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                created_at: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
