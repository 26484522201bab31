//! Announcing on an interval, the reference's auto-announce: the identity's
//! `auto_announce_enabled` and `auto_announce_interval_seconds` settings in
//! its `config` table (the reference's keys and text values), and
//! `last_announced_at`, written on every announce. Each online identity
//! follows its own settings. As observed on the reference: a positive
//! interval under a minute is raised to a minute, and an interval of zero or
//! less turns auto-announce off.

use std::sync::PoisonError;
use std::time::Duration;

use meshchat_store::Store;

use super::IdentityContext;
use crate::error::CoreError;

pub const AUTO_ANNOUNCE_ENABLED_KEY: &str = "auto_announce_enabled";
pub const AUTO_ANNOUNCE_INTERVAL_KEY: &str = "auto_announce_interval_seconds";
pub const LAST_ANNOUNCED_AT_KEY: &str = "last_announced_at";
/// The shortest interval (the reference raises shorter ones to this).
pub const MIN_AUTO_ANNOUNCE_INTERVAL: u64 = 60;

/// An identity's auto-announce settings, and when it last announced.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AutoAnnounce {
    pub enabled: bool,
    /// Seconds between announces; 0 when never set.
    pub interval_seconds: u64,
    /// Unix seconds of the identity's latest announce (any, not only the
    /// automatic ones).
    pub last_announced_at: Option<f64>,
}

/// A change asked for through the API; `None` leaves a setting as it is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AutoAnnounceChange {
    pub enabled: Option<bool>,
    pub interval_seconds: Option<i64>,
}

impl AutoAnnounce {
    fn apply(mut self, change: AutoAnnounceChange) -> AutoAnnounce {
        if let Some(on) = change.enabled {
            self.enabled = on;
        }
        match change.interval_seconds {
            Some(i) if i <= 0 => {
                self.enabled = false;
                self.interval_seconds = 0;
            }
            Some(i) => {
                self.interval_seconds = u64::try_from(i)
                    .unwrap_or(u64::MAX)
                    .max(MIN_AUTO_ANNOUNCE_INTERVAL)
            }
            None => {}
        }
        if self.enabled && self.interval_seconds == 0 {
            self.interval_seconds = MIN_AUTO_ANNOUNCE_INTERVAL;
        }
        self
    }

    /// When the next automatic announce is due (unix seconds), if enabled.
    fn next_due(&self, now: f64) -> Option<f64> {
        let interval = self.interval_seconds as f64;
        self.enabled
            .then(|| self.last_announced_at.map_or(now, |at| at + interval))
    }
}

fn read(s: &Store) -> meshchat_store::Result<AutoAnnounce> {
    Ok(AutoAnnounce {
        enabled: s.setting(AUTO_ANNOUNCE_ENABLED_KEY)?.as_deref() == Some("true"),
        interval_seconds: s
            .setting(AUTO_ANNOUNCE_INTERVAL_KEY)?
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        last_announced_at: s
            .setting(LAST_ANNOUNCED_AT_KEY)?
            .and_then(|v| v.trim().parse().ok()),
    })
}

impl IdentityContext {
    /// The settings as last read or written (default until the identity's
    /// loop has read them, a moment after it comes online).
    pub fn auto_announce(&self) -> AutoAnnounce {
        *self
            .inner
            .auto_announce
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_cached(&self, value: AutoAnnounce) {
        *self
            .inner
            .auto_announce
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = value;
    }

    /// Stores a change and wakes the loop; returns the settings now.
    pub async fn set_auto_announce(
        &self,
        change: AutoAnnounceChange,
    ) -> Result<AutoAnnounce, CoreError> {
        let now = self
            .store(move |s| {
                let next = read(s)?.apply(change);
                let enabled = if next.enabled { "true" } else { "false" };
                s.set_setting(AUTO_ANNOUNCE_ENABLED_KEY, enabled)?;
                s.set_setting(
                    AUTO_ANNOUNCE_INTERVAL_KEY,
                    &next.interval_seconds.to_string(),
                )?;
                Ok(next)
            })
            .await?;
        self.set_cached(now);
        self.inner.auto_announce_changed.notify_one();
        Ok(now)
    }

    /// Records an announce made at `at` (unix seconds).
    pub(super) async fn record_announce(&self, at: f64) -> Result<(), CoreError> {
        let mut cached = self.auto_announce();
        cached.last_announced_at = Some(at);
        self.set_cached(cached);
        let text = format!("{at:.3}");
        self.store(move |s| s.set_setting(LAST_ANNOUNCED_AT_KEY, &text))
            .await
    }
}

/// The identity's auto-announce loop: reads its settings, then announces
/// whenever the interval since the last announce has passed, rereading when
/// they change.
pub(super) async fn run(ctx: IdentityContext) {
    // Settings that cannot be read leave auto-announce off; the store's
    // trouble shows on the API's own requests.
    if let Ok(settings) = ctx.store(|s| read(s)).await {
        ctx.set_cached(settings);
    }
    loop {
        let changed = ctx.inner.auto_announce_changed.notified();
        let due = ctx.auto_announce().next_due(rns_net::now());
        // A failed announce (the network going down) is tried again after
        // a while, not in a tight loop.
        if super::due_or_changed(changed, due).await && ctx.announce().await.is_err() {
            tokio::time::sleep(Duration::from_secs(MIN_AUTO_ANNOUNCE_INTERVAL)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_follow_the_references_rules() {
        let off = AutoAnnounce::default();
        let on = off.apply(AutoAnnounceChange {
            enabled: Some(true),
            interval_seconds: Some(45),
        });
        assert_eq!((on.enabled, on.interval_seconds), (true, 60));
        let longer = on.apply(AutoAnnounceChange {
            interval_seconds: Some(3600),
            ..Default::default()
        });
        assert_eq!(longer.interval_seconds, 3600);
        let stopped = longer.apply(AutoAnnounceChange {
            interval_seconds: Some(-5),
            ..Default::default()
        });
        assert_eq!((stopped.enabled, stopped.interval_seconds), (false, 0));
        // Turned on with no interval: a minute.
        let minute = stopped.apply(AutoAnnounceChange {
            enabled: Some(true),
            ..Default::default()
        });
        assert_eq!(minute.interval_seconds, 60);

        assert_eq!(off.next_due(100.0), None);
        assert_eq!(minute.next_due(100.0), Some(100.0), "never announced: now");
        let after = AutoAnnounce {
            last_announced_at: Some(90.0),
            ..minute
        };
        assert_eq!(after.next_due(100.0), Some(150.0));
    }
}
