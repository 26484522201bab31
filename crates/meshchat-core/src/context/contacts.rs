//! Favourites, custom display names, blocked destinations and our own
//! display name (the reference's `display_name` setting).

use meshchat_store::{BlockedDestination, Favourite};
use rns_crypto::DestinationHash;

use super::IdentityContext;
use crate::error::CoreError;
use crate::events::CoreEvent;

/// The setting that holds our display name.
pub const DISPLAY_NAME_KEY: &str = "display_name";

impl IdentityContext {
    pub async fn favourites(&self, aspect: Option<String>) -> Result<Vec<Favourite>, CoreError> {
        self.store(move |s| s.favourites(aspect.as_deref())).await
    }

    /// Adds a favourite (or renames / re-aspects it).
    pub async fn add_favourite(
        &self,
        destination: DestinationHash,
        display_name: String,
        aspect: String,
    ) -> Result<(), CoreError> {
        let d = destination.to_string();
        self.store(move |s| s.add_favourite(&d, &display_name, &aspect))
            .await
    }

    /// Renames a favourite; whether it exists.
    pub async fn rename_favourite(
        &self,
        destination: DestinationHash,
        display_name: String,
    ) -> Result<bool, CoreError> {
        let d = destination.to_string();
        self.store(move |s| s.rename_favourite(&d, &display_name))
            .await
    }

    /// Removes a favourite; whether it existed.
    pub async fn remove_favourite(&self, destination: DestinationHash) -> Result<bool, CoreError> {
        let d = destination.to_string();
        self.store(move |s| s.remove_favourite(&d)).await
    }

    pub async fn custom_display_name(
        &self,
        destination: DestinationHash,
    ) -> Result<Option<String>, CoreError> {
        let d = destination.to_string();
        self.store(move |s| s.custom_display_name(&d)).await
    }

    /// Sets, or with `None` (or an empty name) removes, a custom name.
    pub async fn set_custom_display_name(
        &self,
        destination: DestinationHash,
        name: Option<String>,
    ) -> Result<(), CoreError> {
        let d = destination.to_string();
        let name = name.filter(|n| !n.trim().is_empty());
        self.store(move |s| s.set_custom_display_name(&d, name.as_deref()))
            .await
    }

    pub async fn blocked(&self) -> Result<Vec<BlockedDestination>, CoreError> {
        self.store(|s| s.blocked()).await
    }

    /// Blocks a destination: its messages are dropped from now on.
    pub async fn block(&self, destination: DestinationHash) -> Result<(), CoreError> {
        let d = destination.to_string();
        let list = self
            .store(move |s| {
                s.block(&d)?;
                s.blocked()
            })
            .await?;
        self.emit(CoreEvent::BlockedDestinations(list));
        Ok(())
    }

    /// Unblocks a destination; whether it was blocked.
    pub async fn unblock(&self, destination: DestinationHash) -> Result<bool, CoreError> {
        let d = destination.to_string();
        let (was, list) = self
            .store(move |s| Ok((s.unblock(&d)?, s.blocked()?)))
            .await?;
        self.emit(CoreEvent::BlockedDestinations(list));
        Ok(was)
    }

    /// Our stored display name, if one was set.
    pub async fn stored_display_name(&self) -> Result<Option<String>, CoreError> {
        self.store(|s| s.setting(DISPLAY_NAME_KEY)).await
    }

    /// Persists our display name and gives it to the router, so our next
    /// announce carries it.
    pub(crate) async fn store_display_name(&self, name: String) -> Result<(), CoreError> {
        let stored = name.clone();
        self.store(move |s| s.set_setting(DISPLAY_NAME_KEY, &stored))
            .await?;
        // Adding an identity that is online again only renames it (the
        // stamp cost goes with it, or it would be reset).
        let cost = Some(self.inbound_stamp_cost()).filter(|c| *c > 0);
        self.inner
            .router
            .add_identity(self.inner.identity.clone(), Some(name), cost)
            .await?;
        Ok(())
    }
}
