//! The identity's inbound stamp cost (the reference's config key
//! `lxmf_inbound_stamp_cost`): the proof of work senders must attach to a
//! message for us. Announced in our `lxmf.delivery` app data, so senders
//! (ours and the reference's) know it; 0 asks for none.

use std::sync::atomic::Ordering;

use super::IdentityContext;
use crate::error::CoreError;

/// The setting, in the reference's `config` table (it reads ours too).
pub const INBOUND_STAMP_COST_KEY: &str = "lxmf_inbound_stamp_cost";
/// The highest cost LXMF announces (1..=254; 0 is none).
pub const MAX_INBOUND_STAMP_COST: u8 = 254;

impl IdentityContext {
    /// The cost as last read or written (0: none).
    pub fn inbound_stamp_cost(&self) -> u8 {
        self.inner.inbound_stamp_cost.load(Ordering::Relaxed)
    }

    /// Reads the stored cost into the cache (a value out of range counts as
    /// none); what the router is given when the identity comes online.
    pub(crate) async fn load_inbound_stamp_cost(&self) -> Result<u8, CoreError> {
        let cost = self
            .store(|s| s.setting(INBOUND_STAMP_COST_KEY))
            .await?
            .and_then(|v| v.trim().parse::<u8>().ok())
            .filter(|c| *c <= MAX_INBOUND_STAMP_COST)
            .unwrap_or(0);
        self.inner.inbound_stamp_cost.store(cost, Ordering::Relaxed);
        Ok(cost)
    }

    /// Stores a new cost, gives it to the router with `display_name` (the
    /// router takes both at once) and announces, so senders learn it.
    pub(crate) async fn set_inbound_stamp_cost(
        &self,
        cost: u8,
        display_name: String,
    ) -> Result<(), CoreError> {
        if cost > MAX_INBOUND_STAMP_COST {
            return Err(CoreError::InvalidInput(format!(
                "lxmf_inbound_stamp_cost must be 0 to {MAX_INBOUND_STAMP_COST}"
            )));
        }
        self.store(move |s| s.set_setting(INBOUND_STAMP_COST_KEY, &cost.to_string()))
            .await?;
        self.inner.inbound_stamp_cost.store(cost, Ordering::Relaxed);
        self.inner
            .router
            .add_identity(self.inner.identity.clone(), Some(display_name), Some(cost))
            .await?;
        // Best effort: the next announce (auto or by hand) carries it too.
        let _ = self.inner.router.announce(self.inner.lxmf_delivery).await;
        Ok(())
    }
}
