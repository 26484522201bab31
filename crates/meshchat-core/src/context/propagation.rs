//! Propagation nodes for one identity: the ones heard announce, the one
//! selected (kept in the store under the reference's setting key), and a
//! sync with it running in the background, its progress kept for the
//! status route. One sync per identity at a time; stopping it stops
//! waiting for it and reports `idle` (the router finishes or times out the
//! transfer it started on its own; a new sync waits for that).

use std::sync::{Arc, Mutex, PoisonError};

use lxmf::router::{SyncFailure, SyncState, SyncStatus};
use rns_crypto::DestinationHash;
use tokio::task::JoinHandle;

use super::IdentityContext;
use crate::error::CoreError;

/// A propagation node heard announce.
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationNodeView {
    pub destination: DestinationHash,
    pub name: Option<String>,
    pub enabled: bool,
    pub per_transfer_limit_kb: f64,
    pub hops: Option<u8>,
    pub last_heard: f64,
}

/// Where the last sync stands, as the status route shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncView {
    /// The reference's words: `idle`, `path_requested`, `link_establishing`,
    /// `receiving`, `complete`, `failed`, ...
    pub state: &'static str,
    pub progress: f64,
    pub messages_received: Option<usize>,
    pub failure: Option<String>,
}

impl Default for SyncView {
    fn default() -> Self {
        SyncView {
            state: "idle",
            progress: 0.0,
            messages_received: None,
            failure: None,
        }
    }
}

/// The sync of one identity.
#[derive(Debug, Default)]
pub(crate) struct SyncSlot {
    view: SyncView,
    task: Option<JoinHandle<()>>,
}

pub(crate) type SharedSync = Arc<Mutex<SyncSlot>>;

fn lock(s: &SharedSync) -> std::sync::MutexGuard<'_, SyncSlot> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

fn view_of(s: &SyncStatus) -> SyncView {
    let state = match s.state {
        SyncState::PathRequested => "path_requested",
        SyncState::LinkEstablishing => "link_establishing",
        SyncState::Listing => "request_sent",
        SyncState::Downloading => "receiving",
        SyncState::Complete => "complete",
        SyncState::Failed => "failed",
    };
    SyncView {
        state,
        progress: s.progress,
        messages_received: Some(s.downloaded),
        failure: s.failure.map(failure_text),
    }
}

/// Why a sync failed, in words a user can act on (shown as is by the UI).
fn failure_text(f: SyncFailure) -> String {
    use lxmf::propagation::error_code as code;
    let text = match f {
        SyncFailure::NoPropagationNode => {
            "No propagation node is chosen and none has been heard announcing"
        }
        SyncFailure::NoPath => "No path to the propagation node was found in time",
        SyncFailure::LinkFailed => "The link to the propagation node failed or closed",
        SyncFailure::RequestFailed => "The propagation node did not answer in time",
        SyncFailure::Malformed => "The propagation node's answer could not be read",
        SyncFailure::NodeError(code::NO_IDENTITY) => {
            "The propagation node did not receive our identity"
        }
        SyncFailure::NodeError(code::NO_ACCESS) => "The propagation node refused access",
        SyncFailure::NodeError(code::THROTTLED) => {
            "The propagation node is throttling requests; try again later"
        }
        SyncFailure::NodeError(other) => {
            return format!("The propagation node answered with error code 0x{other:02x}");
        }
        other => return format!("The sync failed ({other:?})"),
    };
    text.to_owned()
}

impl IdentityContext {
    /// The propagation nodes heard announce, nearest first.
    pub async fn propagation_nodes(&self) -> Result<Vec<PropagationNodeView>, CoreError> {
        let mut list: Vec<PropagationNodeView> = self
            .inner
            .router
            .propagation_nodes()
            .await?
            .into_iter()
            .map(|(destination, n)| PropagationNodeView {
                destination,
                name: n
                    .app_data
                    .metadata
                    .name()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                enabled: n.app_data.enabled,
                per_transfer_limit_kb: match n.app_data.per_transfer_limit_kb {
                    rns_wire::lxmf_app_data::SizeLimit::Int(i) => i as f64,
                    rns_wire::lxmf_app_data::SizeLimit::Float(f) => f,
                },
                hops: n.hops,
                last_heard: n.last_heard,
            })
            .collect();
        list.sort_by(|a, b| a.hops.unwrap_or(u8::MAX).cmp(&b.hops.unwrap_or(u8::MAX)));
        Ok(list)
    }

    /// The selected propagation node, if any.
    pub async fn preferred_propagation_node(&self) -> Result<Option<DestinationHash>, CoreError> {
        let stored = self.store(|s| s.preferred_propagation_node()).await?;
        Ok(stored.and_then(|h| super::parse_destination_hash(&h).ok()))
    }

    /// Selects (or with `None` clears) the propagation node: stored, and
    /// given to the router for propagated messages.
    pub async fn select_propagation_node(
        &self,
        node: Option<DestinationHash>,
    ) -> Result<(), CoreError> {
        let text = node.map(|n| n.to_string());
        self.store(move |s| s.set_preferred_propagation_node(text.as_deref()))
            .await?;
        self.inner.router.set_propagation_node(node).await?;
        self.auto_sync_node_changed(node);
        Ok(())
    }

    /// Starts a sync with the selected node in the background. Fails with
    /// `NotFound` when none is selected, `Conflict` while one runs.
    pub async fn start_sync(&self) -> Result<(), CoreError> {
        let Some(node) = self.preferred_propagation_node().await? else {
            return Err(CoreError::NotFound(
                "A propagation node must be configured to sync messages.".into(),
            ));
        };
        let slot = self.inner.sync.clone();
        let mut s = lock(&slot);
        if s.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return Err(CoreError::Conflict("A sync is already running".into()));
        }
        s.view = SyncView {
            state: "path_requested",
            ..SyncView::default()
        };
        let router = self.inner.router.clone();
        let local = self.inner.lxmf_delivery;
        let progress = self.inner.sync.clone();
        let ctx = self.clone();
        s.task = Some(tokio::spawn(async move {
            let mut events = router.subscribe();
            let watch = {
                let progress = progress.clone();
                async move {
                    loop {
                        match events.recv().await {
                            Ok(lxmf::router::RouterEvent::Sync(st)) if st.local == local => {
                                lock(&progress).view = view_of(&st);
                            }
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => return,
                        }
                    }
                }
            };
            let view = tokio::select! {
                r = router.sync(local, Some(node)) => match r {
                    Ok(st) => view_of(&st),
                    Err(e) => SyncView {
                        state: "failed",
                        failure: Some(e.to_string()),
                        ..SyncView::default()
                    },
                },
                () = watch => SyncView { state: "failed", ..SyncView::default() },
            };
            let complete = view.state == "complete";
            lock(&progress).view = view;
            if complete {
                let _ = ctx.record_synced(rns_net::now()).await;
            }
        }));
        Ok(())
    }

    /// Stops waiting for the running sync; the status reads `idle`.
    pub fn stop_sync(&self) {
        let mut s = lock(&self.inner.sync);
        if let Some(t) = s.task.take() {
            t.abort();
        }
        s.view = SyncView::default();
    }

    /// The last sync's state.
    pub fn sync_status(&self) -> SyncView {
        lock(&self.inner.sync).view.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI shows the failure as is: words, not the enum's debug name.
    #[test]
    fn sync_failures_read_as_sentences() {
        for f in [
            SyncFailure::NoPropagationNode,
            SyncFailure::NoPath,
            SyncFailure::LinkFailed,
            SyncFailure::RequestFailed,
            SyncFailure::Malformed,
            SyncFailure::NodeError(lxmf::propagation::error_code::NO_ACCESS),
            SyncFailure::NodeError(0x42),
        ] {
            let text = failure_text(f);
            assert!(text.starts_with(|c: char| c.is_uppercase()), "{text}");
            assert!(
                text.contains(' ') && !text.contains(&format!("{f:?}")),
                "{text}"
            );
        }
        assert!(failure_text(SyncFailure::NodeError(0x42)).ends_with("0x42"));
    }
}
