//! The running node: the Reticulum stack and the LXMF router with our
//! identity, started in the background, shut down on request.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use lxmf::driver::LxmfRouter;
use lxmf::router::RouterConfig;
use meshchat_store::StorageDir;
use rns_crypto::{DestinationHash, IdentityHash, PrivateIdentity};
use rns_net::{InstanceRole, Reticulum, ReticulumHandle};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::context::{IdentityContext, open_store};
use crate::error::CoreError;
use crate::events::{CoreEvent, EVENT_BUS_CAPACITY};
use crate::status::{Stage, StartupStatus};

/// The reference's display name for a fresh identity.
const DEFAULT_DISPLAY_NAME: &str = "Anonymous Peer";

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

/// Our identity's public facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    pub identity_hash: IdentityHash,
    /// X25519 then Ed25519 public key, 64 bytes.
    pub public_key: [u8; 64],
    /// The identity's `lxmf.delivery` destination.
    pub lxmf_delivery: DestinationHash,
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
    identity: PrivateIdentity,
    info: IdentityInfo,
    reticulum_config_dir: PathBuf,
    storage_dir: Option<PathBuf>,
    settings: RwLock<Settings>,
    bus: broadcast::Sender<CoreEvent>,
    context: OnceLock<IdentityContext>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    status: watch::Sender<StartupStatus>,
    net_info: OnceLock<NetInfo>,
    stack: Mutex<Option<Stack>>,
    start_task: Mutex<Option<JoinHandle<()>>>,
}

/// A cheap, cloneable handle to the node.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("identity", &self.inner.info.identity_hash)
            .field("stage", &self.status().stage)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node at stage `starting`; nothing runs until [`start`](Self::start).
    pub fn new(settings: NodeSettings) -> Result<Node, rns_crypto::destination::NameError> {
        let identity = settings.identity;
        let public = identity.public();
        let mut public_key = [0u8; 64];
        public_key.copy_from_slice(public.as_bytes());
        let identity_hash = identity.hash();
        let lxmf_delivery =
            rns_crypto::destination_hash_for("lxmf", &["delivery"], Some(&identity_hash))?;
        let (status, _) = watch::channel(StartupStatus::at(Stage::Starting));
        let display_name = settings
            .display_name
            .unwrap_or_else(|| DEFAULT_DISPLAY_NAME.to_string());
        Ok(Node {
            inner: Arc::new(Inner {
                identity,
                info: IdentityInfo {
                    identity_hash,
                    public_key,
                    lxmf_delivery,
                },
                reticulum_config_dir: settings.reticulum_config_dir,
                storage_dir: settings.storage_dir,
                settings: RwLock::new(Settings { display_name }),
                bus: broadcast::channel(EVENT_BUS_CAPACITY).0,
                context: OnceLock::new(),
                tasks: Mutex::new(Vec::new()),
                status,
                net_info: OnceLock::new(),
                stack: Mutex::new(None),
                start_task: Mutex::new(None),
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
        let router = LxmfRouter::start(net.clone(), RouterConfig::default());
        // Keep the stack even on failure so shutdown stops it.
        *lock(&inner.stack) = Some(Stack {
            net: net.clone(),
            router: router.clone(),
        });
        if let Some(dir) = &inner.storage_dir {
            let store = open_store(StorageDir::new(dir), inner.info.identity_hash).await?;
            let ctx = IdentityContext::new(
                inner.identity.clone(),
                inner.info.lxmf_delivery,
                store,
                router.clone(),
                net,
                inner.bus.clone(),
            );
            if let Some(name) = ctx
                .stored_display_name()
                .await
                .map_err(|e| format!("reading the settings: {e}"))?
                .filter(|n| !n.is_empty())
            {
                self.write_settings().display_name = name;
            }
            // Listening before the identity goes online: nothing is missed.
            lock(&inner.tasks).extend(ctx.spawn_tasks());
            let _ = inner.context.set(ctx);
        }
        let name = self.settings().display_name;
        router
            .add_identity(inner.identity.clone(), Some(name), None)
            .await
            .map_err(|e| format!("bringing the identity online: {e}"))?;
        Ok(())
    }

    /// The current start-up status.
    pub fn status(&self) -> StartupStatus {
        self.inner.status.borrow().clone()
    }

    /// Start-up status changes, for pushing them to clients.
    pub fn watch_status(&self) -> watch::Receiver<StartupStatus> {
        self.inner.status.subscribe()
    }

    pub fn identity(&self) -> &IdentityInfo {
        &self.inner.info
    }

    pub fn settings(&self) -> Settings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn write_settings(&self) -> std::sync::RwLockWriteGuard<'_, Settings> {
        self.inner
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The identity's context (store and managers), once it is online.
    pub fn context(&self) -> Result<IdentityContext, CoreError> {
        match self.inner.context.get() {
            Some(ctx) if self.status().is_ready() => Ok(ctx.clone()),
            _ => Err(CoreError::NotReady),
        }
    }

    /// The event bus, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.bus.subscribe()
    }

    /// Sets and persists our display name; our announces carry it from now on.
    pub async fn set_display_name(&self, name: String) -> Result<(), CoreError> {
        self.context()?.store_display_name(name.clone()).await?;
        self.write_settings().display_name = name;
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
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
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
