//! The running node: the Reticulum stack and one LXMF router carrying
//! every identity we hold, started in the background, shut down on
//! request. All identities are online at once (each its own
//! `lxmf.delivery`, store and tasks, `node/online.rs`); one is active
//! (`node/registry.rs`), and the identity routes (`node/manage.rs`) create,
//! switch, delete, export and restore them.

mod maintenance;
mod manage;
mod netconfig;
mod network;
mod online;
mod registry;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockWriteGuard};
use std::time::Duration;

use lxmf::driver::LxmfRouter;
use lxmf::router::RouterConfig;
use meshchat_store::StorageDir;
use rns_crypto::{IdentityHash, PrivateIdentity};
use rns_net::{InstanceRole, Reticulum, ReticulumHandle};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::context::IdentityContext;
use crate::error::CoreError;
use crate::events::{ActiveIdentity, CoreEvent, EVENT_BUS_CAPACITY, EventSink};
use crate::status::{Stage, StartupStatus};

pub use maintenance::{CheckResult, self_check_storage};
pub use manage::{MAX_DISPLAY_NAME_BYTES, PrivateKey};
pub use netconfig::{ConfiguredInterface, InterfaceEdit, MAX_CONFIG_BACKUPS};
pub use network::{
    InterfaceRuntime, MAX_NETWORK_WAIT, MAX_PROBE_SIZE, MAX_PROBES, NetworkStatus, PathInfo,
    ProbeReply,
};
use registry::{DEFAULT_DISPLAY_NAME, Online, Registry};
pub use registry::{IdentityInfo, IdentitySummary, MAX_IDENTITIES};

/// How long shutdown waits for an unfinished start-up before cutting it off.
const START_GRACE: Duration = Duration::from_secs(5);

/// What the node needs to start.
#[derive(Clone)]
pub struct NodeSettings {
    /// The Reticulum config directory (its `config` file, and `storage/`).
    pub reticulum_config_dir: PathBuf,
    /// Our identity: it signs our messages and owns `lxmf.delivery`.
    pub identity: PrivateIdentity,
    /// Shown to others in our announces; the stored setting, else this,
    /// else the reference's default.
    pub display_name: Option<String>,
    /// The storage directory (`<storage>/identities/<hash>/database.db`).
    /// Without one nothing is stored and the managers are unavailable.
    pub storage_dir: Option<PathBuf>,
}

impl std::fmt::Debug for NodeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeSettings")
            .field("reticulum_config_dir", &self.reticulum_config_dir)
            .field("identity", &self.identity.hash())
            .finish_non_exhaustive()
    }
}

/// The user-facing settings (in memory until the store is wired in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub display_name: String,
}

/// Facts about the network stack, known once it has started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetInfo {
    pub transport_enabled: bool,
    /// We attached to another program's shared instance instead of running
    /// our own interfaces.
    pub connected_to_shared_instance: bool,
    pub transport_id: IdentityHash,
}

struct Stack {
    net: ReticulumHandle,
    router: LxmfRouter,
}

struct Inner {
    reticulum_config_dir: PathBuf,
    storage_dir: Option<PathBuf>,
    registry: RwLock<Registry>,
    /// The active identity as the contexts see it (kept equal to
    /// `registry.active`, set under the registry's write lock).
    active: ActiveIdentity,
    /// Identity changes (create, switch, delete, restore) one at a time.
    changes: tokio::sync::Mutex<()>,
    bus: broadcast::Sender<CoreEvent>,
    status: watch::Sender<StartupStatus>,
    net_info: OnceLock<NetInfo>,
    stack: Mutex<Option<Stack>>,
    start_task: Mutex<Option<JoinHandle<()>>>,
    /// Edits of the Reticulum config file, one at a time.
    config_edits: tokio::sync::Mutex<()>,
}

/// A cheap, cloneable handle to the node.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("identity", &self.identity().identity_hash)
            .field("stage", &self.status().stage)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node at stage `starting` with `settings.identity` active; nothing
    /// runs until [`start`](Self::start).
    pub fn new(settings: NodeSettings) -> Result<Node, rns_crypto::destination::NameError> {
        let identity = settings.identity;
        let info = IdentityInfo::of(&identity)?;
        let (status, _) = watch::channel(StartupStatus::at(Stage::Starting));
        let display_name = settings
            .display_name
            .unwrap_or_else(|| DEFAULT_DISPLAY_NAME.to_string());
        let active = ActiveIdentity::new(info.identity_hash);
        let main = Online {
            identity,
            info,
            display_name,
            context: None,
            tasks: Vec::new(),
        };
        Ok(Node {
            inner: Arc::new(Inner {
                reticulum_config_dir: settings.reticulum_config_dir,
                storage_dir: settings.storage_dir,
                registry: RwLock::new(Registry::new(main)),
                active,
                changes: tokio::sync::Mutex::new(()),
                bus: broadcast::channel(EVENT_BUS_CAPACITY).0,
                status,
                net_info: OnceLock::new(),
                stack: Mutex::new(None),
                start_task: Mutex::new(None),
                config_edits: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Starts the network stack and the LXMF router in the background on the
    /// current tokio runtime; progress shows in [`status`](Self::status).
    /// A second call does nothing.
    pub fn start(&self) {
        let mut task = lock(&self.inner.start_task);
        if task.is_some() {
            return;
        }
        let node = self.clone();
        *task = Some(tokio::spawn(async move { node.run_start().await }));
    }

    async fn run_start(&self) {
        let result = self.bring_up().await;
        let status = match result {
            Ok(()) => StartupStatus::at(Stage::Ready),
            Err(reason) => StartupStatus {
                stage: Stage::Failed,
                error: Some(reason),
            },
        };
        self.inner.status.send_replace(status);
    }

    async fn bring_up(&self) -> Result<(), String> {
        let inner = &self.inner;
        inner.status.send_replace(StartupStatus::at(Stage::Rns));
        let dir = &inner.reticulum_config_dir;
        let (net, _warnings) = Reticulum::start_from_dir(dir)
            .await
            .map_err(|e| format!("starting Reticulum from {}: {e}", dir.display()))?;
        let transport_enabled = rns_net::ReticulumConfig::load(dir)
            .map(|p| p.config.enable_transport)
            .unwrap_or(false);
        let _ = inner.net_info.set(NetInfo {
            transport_enabled,
            connected_to_shared_instance: net.instance_role() == InstanceRole::SharedInstanceClient,
            transport_id: net.transport_id(),
        });

        inner
            .status
            .send_replace(StartupStatus::at(Stage::Identity));
        // A received message is proved only once it is in the database
        // (`lxmf::driver` holds the proof until `ack_stored`).
        let config = RouterConfig {
            prove_when_stored: true,
            ..RouterConfig::default()
        };
        let router = LxmfRouter::start(net.clone(), config);
        // Keep the stack even on failure so shutdown stops it.
        *lock(&inner.stack) = Some(Stack {
            net: net.clone(),
            router: router.clone(),
        });
        self.bring_identities_online(&router, &net).await
    }

    /// The main identity first, then every other one kept in the storage
    /// directory; without a storage directory only the main one, without
    /// managers.
    async fn bring_identities_online(
        &self,
        router: &LxmfRouter,
        net: &ReticulumHandle,
    ) -> Result<(), String> {
        let (main, name) = {
            let reg = read(&self.inner.registry);
            match reg.active() {
                Some(o) => (o.identity.clone(), o.display_name.clone()),
                None => return Err("no active identity".into()),
            }
        };
        let Some(dir) = &self.inner.storage_dir else {
            router
                .add_identity(main, Some(name), None)
                .await
                .map_err(|e| format!("bringing the identity online: {e}"))?;
            return Ok(());
        };
        let storage = StorageDir::new(dir);
        online::ensure_saved(&storage, &main, &name)?;
        let others = online::stored_identities(&storage, &main.hash())?;
        let defaults = others
            .into_iter()
            .map(|i| (i, DEFAULT_DISPLAY_NAME.to_string()));
        for (identity, fallback) in std::iter::once((main, name)).chain(defaults) {
            let shared = online::Shared {
                storage: &storage,
                router,
                net,
                sink: self.sink(),
            };
            let online = online::bring_online(identity, fallback, shared).await?;
            self.insert(online);
        }
        Ok(())
    }

    /// The running router and network stack.
    fn stack_handles(&self) -> Result<(LxmfRouter, ReticulumHandle), CoreError> {
        lock(&self.inner.stack)
            .as_ref()
            .map(|s| (s.router.clone(), s.net.clone()))
            .ok_or(CoreError::NotReady)
    }

    /// An event sink for a context (its identity is filled in by the caller).
    fn sink(&self) -> EventSink {
        EventSink {
            bus: self.inner.bus.clone(),
            active: self.inner.active.clone(),
            identity: self.inner.active.get(),
        }
    }

    /// Puts an online identity in the registry (replacing the placeholder
    /// the main identity has before start-up).
    fn insert(&self, online: Online) {
        let mut reg = write(&self.inner.registry);
        if let Some(mut old) = reg.online.insert(online.info.identity_hash, online) {
            old.stop_tasks();
        }
    }

    /// The current start-up status.
    pub fn status(&self) -> StartupStatus {
        self.inner.status.borrow().clone()
    }

    /// Start-up status changes, for pushing them to clients.
    pub fn watch_status(&self) -> watch::Receiver<StartupStatus> {
        self.inner.status.subscribe()
    }

    /// The active identity's public facts.
    pub fn identity(&self) -> IdentityInfo {
        let reg = read(&self.inner.registry);
        match reg.active() {
            Some(o) => o.info.clone(),
            // The registry always holds the active identity.
            None => IdentityInfo {
                identity_hash: reg.active,
                public_key: [0; 64],
                lxmf_delivery: rns_crypto::DestinationHash::new([0; 16]),
            },
        }
    }

    /// The active identity's settings.
    pub fn settings(&self) -> Settings {
        let reg = read(&self.inner.registry);
        Settings {
            display_name: reg
                .active()
                .map(|o| o.display_name.clone())
                .unwrap_or_default(),
        }
    }

    /// The active identity's context (store and managers), once it is online.
    pub fn context(&self) -> Result<IdentityContext, CoreError> {
        if !self.status().is_ready() {
            return Err(CoreError::NotReady);
        }
        read(&self.inner.registry)
            .active()
            .and_then(|o| o.context.clone())
            .ok_or(CoreError::NotReady)
    }

    /// The event bus, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.bus.subscribe()
    }

    /// Sets and persists the active identity's display name; its announces
    /// carry it from now on.
    pub async fn set_display_name(&self, name: String) -> Result<(), CoreError> {
        let hash = self.context()?.identity_hash();
        self.rename_identity(hash, name).await
    }

    /// Sets and persists the display name of any identity held (active or
    /// not); its announces carry it from now on. The config is pushed when
    /// it is the active one.
    pub async fn rename_identity(&self, hash: IdentityHash, name: String) -> Result<(), CoreError> {
        self.context()?;
        let _changes = self.inner.changes.lock().await;
        let (ctx, active) = {
            let reg = read(&self.inner.registry);
            let ctx = reg
                .online
                .get(&hash)
                .and_then(|o| o.context.clone())
                .ok_or_else(|| CoreError::NotFound("Identity not found".into()))?;
            (ctx, reg.active == hash)
        };
        ctx.store_display_name(name.clone()).await?;
        if let Some(dir) = &self.inner.storage_dir {
            // The list shows it without opening the database; a failure
            // here loses nothing the database does not have.
            let _ = online::write_metadata(&StorageDir::new(dir), ctx.private_identity(), &name);
        }
        if let Some(o) = write(&self.inner.registry).online.get_mut(&hash) {
            o.display_name = name;
        }
        if active {
            let _ = self.inner.bus.send(CoreEvent::ConfigChanged);
        }
        Ok(())
    }

    /// Sets the active identity's inbound stamp cost (0..=254, 0: none),
    /// stored, applied and announced at once.
    pub async fn set_inbound_stamp_cost(&self, cost: u8) -> Result<(), CoreError> {
        let _changes = self.inner.changes.lock().await;
        let ctx = self.context()?;
        let name = self.settings().display_name;
        ctx.set_inbound_stamp_cost(cost, name).await?;
        let _ = self.inner.bus.send(CoreEvent::ConfigChanged);
        Ok(())
    }

    /// Network facts; `None` until the stack has started.
    pub fn net_info(&self) -> Option<&NetInfo> {
        self.inner.net_info.get()
    }

    pub fn reticulum_config_dir(&self) -> &Path {
        &self.inner.reticulum_config_dir
    }

    /// Stops the router and the network stack. A start-up still in progress
    /// gets a few seconds to finish, then is cut off.
    pub async fn shutdown(&self) {
        let task = lock(&self.inner.start_task).take();
        if let Some(mut task) = task
            && tokio::time::timeout(START_GRACE, &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
        for online in write(&self.inner.registry).online.values_mut() {
            online.stop_tasks();
        }
        let stack = lock(&self.inner.stack).take();
        if let Some(stack) = stack {
            stack.router.shutdown().await;
            let _ = stack.net.persist().await;
            stack.net.shutdown().await;
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of data
/// that stays consistent (whole values are swapped in), so carry on.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}
