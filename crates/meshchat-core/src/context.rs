//! `IdentityContext`: one identity online. Owns its store (the reference's
//! `<storage>/identities/<hash>/database.db`, on its own thread), its LXMF
//! `lxmf.delivery` destination on the shared router, and the tasks that turn
//! router and network events into stored rows and bus events. The managers
//! are split by concern: messages (`context/messages.rs`), announces
//! (`context/announces.rs`), contacts and settings (`context/contacts.rs`).

mod access;
mod announces;
mod auto_announce;
mod auto_sync;
mod contacts;
mod maintenance;
mod messages;
mod organize;
mod propagation;
mod stamps;

use std::sync::Arc;
use std::time::Duration;

use lxmf::driver::LxmfRouter;
use meshchat_store::{AnnounceCaps, StorageDir, Store, StoreHandle};
use rns_crypto::{DestinationHash, IdentityHash, PrivateIdentity};
use rns_net::ReticulumHandle;
use tokio::task::JoinHandle;

use crate::error::CoreError;
use crate::events::{CoreEvent, EventSink};

pub use announces::{AnnounceView, stamp_cost_of};
pub use auto_announce::{AutoAnnounce, AutoAnnounceChange, MIN_AUTO_ANNOUNCE_INTERVAL};
pub use auto_sync::{AutoSync, MIN_AUTO_SYNC_INTERVAL};
pub use contacts::DISPLAY_NAME_KEY;
pub(crate) use maintenance::archive_error;
pub use maintenance::{BACKUP_MAX_COUNT_KEY, DEFAULT_BACKUP_MAX_COUNT, RestoreSource};
pub use messages::{ConversationView, OutboundRequest, method_name, state_name};
pub use organize::{MAX_BULK, MAX_FOLDER_NAME};
pub use propagation::{PropagationNodeView, SyncView};
pub use stamps::{INBOUND_STAMP_COST_KEY, MAX_INBOUND_STAMP_COST};

/// Waits until `due` (unix seconds; `None`: never) or until `changed`
/// fires, whichever comes first; true when it is due. The schedule loops
/// (auto-announce, auto-sync) create `changed` before reading their
/// settings, so a change made meanwhile is not missed.
async fn due_or_changed(changed: tokio::sync::futures::Notified<'_>, due: Option<f64>) -> bool {
    let Some(due) = due else {
        changed.await;
        return false;
    };
    let wait = Duration::from_secs_f64((due - rns_net::now()).max(0.0));
    tokio::select! {
        () = changed => false,
        () = tokio::time::sleep(wait) => true,
    }
}

/// How long a write that must not be lost waits for room in the store's queue.
const RELIABLE_WAIT: Duration = Duration::from_secs(5);

/// A cheap, cloneable handle to one identity's context.
#[derive(Clone)]
pub struct IdentityContext {
    inner: Arc<Inner>,
}

struct Inner {
    identity: PrivateIdentity,
    identity_hash: IdentityHash,
    lxmf_delivery: DestinationHash,
    store: StoreHandle,
    router: LxmfRouter,
    net: ReticulumHandle,
    events: EventSink,
    caps: AnnounceCaps,
    /// Auto-announce settings as last read or written (`auto_announce.rs`).
    auto_announce: std::sync::Mutex<AutoAnnounce>,
    /// Wakes the auto-announce loop when its settings change.
    auto_announce_changed: tokio::sync::Notify,
    sync: propagation::SharedSync,
    /// Auto-sync settings as last read or written (`auto_sync.rs`).
    auto_sync: std::sync::Mutex<AutoSync>,
    /// Wakes the auto-sync loop when its settings change.
    auto_sync_changed: tokio::sync::Notify,
    /// The inbound stamp cost as last read or written (`stamps.rs`).
    inbound_stamp_cost: std::sync::atomic::AtomicU8,
}

impl std::fmt::Debug for IdentityContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityContext")
            .field("identity", &self.inner.identity_hash)
            .finish_non_exhaustive()
    }
}

/// Opens (creating and migrating when new) the identity's database in the
/// storage directory, on a blocking thread, and puts it on its own store
/// thread.
pub(crate) async fn open_store(
    storage: StorageDir,
    identity_hash: IdentityHash,
) -> Result<StoreHandle, String> {
    let hash = identity_hash.to_string();
    let path = storage.database_path(&hash).map_err(|e| e.to_string())?;
    let store: Store = tokio::task::spawn_blocking(move || storage.open_identity(&hash))
        .await
        .map_err(|e| format!("opening {}: {e}", path.display()))?
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    StoreHandle::spawn(store, meshchat_store::DEFAULT_QUEUE)
        .map_err(|e| format!("starting the store thread: {e}"))
}

impl IdentityContext {
    pub(crate) fn new(
        identity: PrivateIdentity,
        lxmf_delivery: DestinationHash,
        store: StoreHandle,
        router: LxmfRouter,
        net: ReticulumHandle,
        events: EventSink,
    ) -> IdentityContext {
        IdentityContext {
            inner: Arc::new(Inner {
                identity_hash: identity.hash(),
                identity,
                lxmf_delivery,
                store,
                router,
                net,
                events,
                caps: AnnounceCaps::default(),
                auto_announce: std::sync::Mutex::new(AutoAnnounce::default()),
                auto_announce_changed: tokio::sync::Notify::new(),
                sync: propagation::SharedSync::default(),
                auto_sync: std::sync::Mutex::new(AutoSync::default()),
                auto_sync_changed: tokio::sync::Notify::new(),
                inbound_stamp_cost: std::sync::atomic::AtomicU8::new(0),
            }),
        }
    }

    /// Starts the tasks that store what the router and the network report.
    /// Call before the identity goes online on the router, so nothing it
    /// reports is missed.
    pub(crate) fn spawn_tasks(&self) -> Vec<JoinHandle<()>> {
        vec![
            tokio::spawn(messages::run_router_events(
                self.clone(),
                self.inner.router.subscribe(),
            )),
            tokio::spawn(messages::run_inbound(
                self.clone(),
                self.inner.router.subscribe_inbound(),
            )),
            tokio::spawn(announces::run(self.clone(), self.inner.net.subscribe())),
            tokio::spawn(auto_announce::run(self.clone())),
            tokio::spawn(auto_sync::run(self.clone())),
        ]
    }

    pub fn identity_hash(&self) -> IdentityHash {
        self.inner.identity_hash
    }

    pub fn lxmf_delivery(&self) -> DestinationHash {
        self.inner.lxmf_delivery
    }

    /// Announces our `lxmf.delivery` destination.
    pub async fn announce(&self) -> Result<f64, CoreError> {
        self.inner.router.announce(self.inner.lxmf_delivery).await?;
        let at = rns_net::now();
        // The announce went out; failing to note when is not worth an error.
        let _ = self.record_announce(at).await;
        self.emit(CoreEvent::Announced { at });
        Ok(at)
    }

    /// Runs `f` on the store thread; a full queue is [`CoreError::Busy`].
    async fn store<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> meshchat_store::Result<T> + Send + 'static,
    {
        Ok(self.inner.store.call(f).await?)
    }

    /// Like [`store`](Self::store), but waits for room in a full queue (up
    /// to [`RELIABLE_WAIT`]): for writes that must not be lost, such as a
    /// delivery state or a received message.
    async fn store_reliably<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> meshchat_store::Result<T> + Send + Clone + 'static,
    {
        let deadline = tokio::time::Instant::now() + RELIABLE_WAIT;
        loop {
            match self.inner.store.call(f.clone()).await {
                Err(meshchat_store::Error::Busy) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                r => return Ok(r?),
            }
        }
    }

    /// Publishes on the bus while this identity is the active one.
    fn emit(&self, event: CoreEvent) {
        self.inner.events.emit(event);
    }

    /// The identity's private key, for a backup.
    pub(crate) fn private_identity(&self) -> &PrivateIdentity {
        &self.inner.identity
    }

    /// How many messages this identity has stored.
    pub async fn message_count(&self) -> Result<u64, CoreError> {
        self.store(|s| s.message_count()).await
    }
}

/// Parses a 32-hex-digit destination hash from a request.
pub fn parse_destination_hash(s: &str) -> Result<DestinationHash, CoreError> {
    if !meshchat_store::is_hash_hex(&s.to_ascii_lowercase()) {
        return Err(CoreError::InvalidInput("Invalid destination hash".into()));
    }
    s.to_ascii_lowercase()
        .parse()
        .map_err(|_| CoreError::InvalidInput("Invalid destination hash".into()))
}

/// Parses a 32-hex-digit identity hash from a request.
pub fn parse_identity_hash(s: &str) -> Result<IdentityHash, CoreError> {
    let lower = s.to_ascii_lowercase();
    if !meshchat_store::is_hash_hex(&lower) {
        return Err(CoreError::InvalidInput("Invalid identity hash".into()));
    }
    lower
        .parse()
        .map_err(|_| CoreError::InvalidInput("Invalid identity hash".into()))
}
