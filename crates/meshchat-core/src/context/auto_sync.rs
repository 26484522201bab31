//! Syncing with the preferred propagation node on an interval (the
//! reference's `lxmf_preferred_propagation_node_auto_sync_interval_seconds`,
//! 0 for off, and `lxmf_preferred_propagation_node_last_synced_at`, in the
//! identity's `config` table). Each online identity follows its own
//! settings. Where the reference is silent, ours: a positive interval under
//! a minute is a minute (a node is not polled faster), a sync is due an
//! interval after the last attempt (a failing node is not retried sooner),
//! the first one as soon as it is turned on, and `last_synced_at` is written
//! when a sync (automatic or by hand) completes.

use std::sync::PoisonError;

use rns_crypto::DestinationHash;

use super::IdentityContext;
use crate::error::CoreError;

pub const AUTO_SYNC_INTERVAL_KEY: &str =
    "lxmf_preferred_propagation_node_auto_sync_interval_seconds";
pub const LAST_SYNCED_AT_KEY: &str = "lxmf_preferred_propagation_node_last_synced_at";
/// The shortest interval between automatic syncs.
pub const MIN_AUTO_SYNC_INTERVAL: u64 = 60;

/// An identity's propagation settings as the config shows them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AutoSync {
    /// Seconds between automatic syncs; 0: off.
    pub interval_seconds: u64,
    /// Unix seconds of the last sync that completed.
    pub last_synced_at: Option<f64>,
    /// The node syncs go to.
    pub preferred_node: Option<DestinationHash>,
    /// Unix seconds of the last automatic attempt (not stored).
    last_attempt: Option<f64>,
}

impl AutoSync {
    /// When the next automatic sync is due, if any.
    fn next_due(&self, now: f64) -> Option<f64> {
        if self.interval_seconds == 0 || self.preferred_node.is_none() {
            return None;
        }
        let last = match (self.last_synced_at, self.last_attempt) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Some(last.map_or(now, |t| t + self.interval_seconds as f64))
    }
}

/// The interval a request asks for, by the rules above.
fn normalized_interval(seconds: i64) -> u64 {
    match u64::try_from(seconds) {
        Ok(0) | Err(_) => 0,
        Ok(s) => s.max(MIN_AUTO_SYNC_INTERVAL),
    }
}

impl IdentityContext {
    /// The settings as last read or written.
    pub fn auto_sync(&self) -> AutoSync {
        *self
            .inner
            .auto_sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn update_auto_sync(&self, f: impl FnOnce(&mut AutoSync)) {
        f(&mut self
            .inner
            .auto_sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner));
        self.inner.auto_sync_changed.notify_one();
    }

    /// Stores the interval (0 or less: off; under a minute: a minute) and
    /// wakes the loop; returns the interval now in force.
    pub async fn set_auto_sync_interval(&self, seconds: i64) -> Result<u64, CoreError> {
        let interval = normalized_interval(seconds);
        self.store(move |s| s.set_setting(AUTO_SYNC_INTERVAL_KEY, &interval.to_string()))
            .await?;
        self.update_auto_sync(|a| a.interval_seconds = interval);
        Ok(interval)
    }

    /// The preferred node changed (selected or cleared).
    pub(super) fn auto_sync_node_changed(&self, node: Option<DestinationHash>) {
        self.update_auto_sync(|a| a.preferred_node = node);
    }

    /// A sync completed at `at` (unix seconds): stored for the config, and
    /// the config pushed (the UI shows when the last sync completed).
    pub(super) async fn record_synced(&self, at: f64) -> Result<(), CoreError> {
        self.update_auto_sync(|a| a.last_synced_at = Some(at));
        let text = format!("{at:.3}");
        self.store(move |s| s.set_setting(LAST_SYNCED_AT_KEY, &text))
            .await?;
        self.emit(crate::events::CoreEvent::ConfigChanged);
        Ok(())
    }

    async fn load_auto_sync(&self) -> Result<(), CoreError> {
        let (interval, last, node) = self
            .store(|s| {
                Ok((
                    s.setting(AUTO_SYNC_INTERVAL_KEY)?,
                    s.setting(LAST_SYNCED_AT_KEY)?,
                    s.preferred_propagation_node()?,
                ))
            })
            .await?;
        let interval = interval
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map_or(0, normalized_interval);
        let last = last.and_then(|v| v.trim().parse::<f64>().ok());
        let node = node.and_then(|h| super::parse_destination_hash(&h).ok());
        self.update_auto_sync(|a| {
            a.interval_seconds = interval;
            a.last_synced_at = last;
            a.preferred_node = node;
        });
        Ok(())
    }
}

/// The identity's auto-sync loop: reads its settings, then starts a sync
/// whenever one is due, rereading when they change.
pub(super) async fn run(ctx: IdentityContext) {
    // Settings that cannot be read leave auto-sync off; the store's trouble
    // shows on the API's own requests.
    let _ = ctx.load_auto_sync().await;
    loop {
        let changed = ctx.inner.auto_sync_changed.notified();
        let due = ctx.auto_sync().next_due(rns_net::now());
        if super::due_or_changed(changed, due).await {
            let now = rns_net::now();
            ctx.update_auto_sync(|a| a.last_attempt = Some(now));
            // One running by hand is as good; nothing else can fail here
            // that the next attempt would not meet too.
            let _ = ctx.start_sync().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_due_times_follow_the_rules() {
        assert_eq!(normalized_interval(-5), 0);
        assert_eq!(normalized_interval(0), 0);
        assert_eq!(normalized_interval(10), 60);
        assert_eq!(normalized_interval(3600), 3600);
        let node = Some(DestinationHash([1; 16]));
        let off = AutoSync::default();
        assert_eq!(off.next_due(100.0), None);
        let no_node = AutoSync {
            interval_seconds: 600,
            ..AutoSync::default()
        };
        assert_eq!(no_node.next_due(100.0), None, "nothing to sync with");
        let never = AutoSync {
            preferred_node: node,
            ..no_node
        };
        assert_eq!(never.next_due(100.0), Some(100.0), "never synced: now");
        let synced = AutoSync {
            last_synced_at: Some(50.0),
            ..never
        };
        assert_eq!(synced.next_due(100.0), Some(650.0));
        let tried_later = AutoSync {
            last_attempt: Some(80.0),
            ..synced
        };
        assert_eq!(tried_later.next_due(100.0), Some(680.0));
    }
}
