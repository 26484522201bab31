//! The driver: [`Reticulum`] starts a task that owns the sans-IO node and its
//! interfaces; [`ReticulumHandle`] is the cheap, cloneable way to talk to it.
//!
//! Calls travel to the task over a bounded channel with a oneshot reply, so
//! callers wait for the node rather than share it. Events fan out through a
//! bounded broadcast channel: a subscriber that falls behind loses the oldest
//! events (and learns so from `RecvError::Lagged`), it never slows the node.

mod actor;
mod channel;
mod handle;
mod start;
mod verifier;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rns_crypto::{DestinationHash, OsRng, PrivateIdentity};
use rns_proto::node::{DestinationSpec, InterfaceId, Limits, Node, NodeConfig};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;

pub use handle::ReticulumHandle;
pub use start::InstanceRole;

use crate::cancel::CancelSource;
use crate::config::{ConfigWarning, InterfaceEntry, ReticulumConfig, write_default_if_missing};
use crate::error::NetError;
use crate::interface::local::LocalEndpoint;
use crate::interface::{EVENT_QUEUE, IfaceCtx};
use crate::storage::{self, KnownDestination, KnownDestinations, StorageError};

/// Calls waiting for the driver task.
const COMMAND_QUEUE: usize = 256;
/// Events kept for subscribers that are behind.
pub const EVENT_BROADCAST_CAPACITY: usize = 4096;
/// How often known destinations, paths and remembered ratchets are saved,
/// when they changed (also at shutdown; our own ratchet keys at rotation).
pub const DEFAULT_PERSIST_INTERVAL: Duration = Duration::from_secs(300);

const KNOWN_FILE: &str = "rs_known_destinations";
const PATHS_FILE: &str = "rs_path_table";
const REMEMBERED_RATCHETS_FILE: &str = "rs_remembered_ratchets";

/// Wall-clock seconds since the UNIX epoch: the node's (and the reference's)
/// notion of time. The only clock in the stack.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

type NodeCall = Box<dyn FnOnce(&mut Node, f64) + Send>;

/// What handles ask of the driver task.
pub(crate) enum Command {
    /// Run a closure against the node (it carries its own reply channel).
    Call(NodeCall),
    Interfaces(oneshot::Sender<Vec<InterfaceStatus>>),
    Register(
        Box<DestinationSpec>,
        oneshot::Sender<Result<DestinationHash, NetError>>,
    ),
    AddInterface(
        Box<InterfaceEntry>,
        oneshot::Sender<Result<Option<SocketAddr>, NetError>>,
    ),
    RemoveInterface(String, oneshot::Sender<bool>),
    KnownDestination(DestinationHash, oneshot::Sender<Option<KnownDestination>>),
    Persist(oneshot::Sender<Result<(), StorageError>>),
    Shutdown(oneshot::Sender<()>),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Call(_) => "Call",
            Command::Interfaces(_) => "Interfaces",
            Command::Register(..) => "Register",
            Command::AddInterface(..) => "AddInterface",
            Command::RemoveInterface(..) => "RemoveInterface",
            Command::KnownDestination(..) => "KnownDestination",
            Command::Persist(_) => "Persist",
            Command::Shutdown(_) => "Shutdown",
        })
    }
}

/// One attached interface, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceStatus {
    pub id: InterfaceId,
    /// The configured name; a server's connections are `name/peer-address`.
    pub name: String,
    pub online: bool,
    pub hw_mtu: Option<u32>,
    pub bitrate: u64,
    /// Packets the node sent here that were dropped: offline, not outgoing, or
    /// the peer was not reading fast enough.
    pub dropped_outbound: u64,
}

/// Builds and starts a Reticulum instance. Must be started inside a tokio
/// runtime.
#[derive(Debug)]
pub struct Reticulum {
    config: ReticulumConfig,
    config_dir: Option<PathBuf>,
    identity: Option<PrivateIdentity>,
    limits: Limits,
    persist_interval: Duration,
}

impl Reticulum {
    /// An instance running `config`, keeping nothing on disk unless
    /// [`config_dir`](Self::config_dir) is set.
    pub fn new(config: ReticulumConfig) -> Self {
        Reticulum {
            config,
            config_dir: None,
            identity: None,
            limits: Limits::default(),
            persist_interval: DEFAULT_PERSIST_INTERVAL,
        }
    }

    /// Keep the transport identity, known destinations, paths and ratchets
    /// under `<dir>/storage/`, and restore them at start.
    pub fn config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config_dir = Some(dir.into());
        self
    }

    /// Use this transport identity instead of the stored (or a fresh) one.
    pub fn identity(mut self, identity: PrivateIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn persist_interval(mut self, interval: Duration) -> Self {
        self.persist_interval = interval;
        self
    }

    /// Writes a default config to `dir` if it has none, loads it, and starts
    /// with `dir` as the config directory. Returns the config's warnings too.
    pub async fn start_from_dir(
        dir: &Path,
    ) -> Result<(ReticulumHandle, Vec<ConfigWarning>), NetError> {
        write_default_if_missing(dir)?;
        let parsed = ReticulumConfig::load(dir)?;
        let handle = Reticulum::new(parsed.config)
            .config_dir(dir)
            .start()
            .await?;
        Ok((handle, parsed.warnings))
    }

    /// Starts the driver task and the configured interfaces.
    pub async fn start(self) -> Result<ReticulumHandle, NetError> {
        let identity = match (self.identity, &self.config_dir) {
            (Some(id), _) => id,
            (None, Some(dir)) => storage::load_or_create_transport_identity(dir)?,
            (None, None) => PrivateIdentity::generate(&mut OsRng),
        };
        let transport_id = identity.hash();
        let rpc_key = rpc_key(&self.config, &identity);
        let mut node_config = NodeConfig::new(identity);
        node_config.transport_enabled = self.config.enable_transport;
        node_config.use_implicit_proof = self.config.use_implicit_proof;
        node_config.limits = self.limits.clone();
        let mut node = Node::new(node_config, Box::new(OsRng));

        let storage_dir = self.config_dir.as_deref().map(storage::storage_dir);
        let known = match &storage_dir {
            // A damaged file costs what it held, not the start-up.
            Some(dir) => {
                KnownDestinations::load(&dir.join(KNOWN_FILE), self.limits.max_known_destinations)
                    .unwrap_or_else(|_| KnownDestinations::new(self.limits.max_known_destinations))
            }
            None => KnownDestinations::new(self.limits.max_known_destinations),
        };
        for (dest, k) in known.iter() {
            node.remember_identity(*dest, k.identity.clone(), k.app_data.clone());
        }
        let start_time = now();
        if let Some(dir) = &storage_dir {
            let remembered = storage::load_remembered(
                &dir.join(REMEMBERED_RATCHETS_FILE),
                self.limits.max_known_destinations,
            );
            for (dest, ratchet) in remembered {
                if !ratchet.is_expired(start_time) {
                    node.remember_ratchet(&dest, ratchet);
                }
            }
        }

        let (cancel_source, cancel) = CancelSource::new();
        let (iface_tx, iface_rx) = mpsc::channel(EVENT_QUEUE);
        let ctx = IfaceCtx {
            events: iface_tx,
            ids: Arc::new(AtomicU32::new(1)),
            cancel,
        };
        let mut tasks = JoinSet::new();
        let (role, started) = match start::start_instance(&self.config, &ctx, &mut tasks).await {
            Ok(s) => s,
            Err(e) => {
                cancel_source.cancel();
                tasks.shutdown().await;
                return Err(e);
            }
        };

        // The shared instance's control plane, for the reference's clients.
        // Not being able to serve it costs those clients some queries, not
        // the instance: a warning, not an error.
        let mut warnings = started.warnings;
        let rpc = if role == InstanceRole::SharedInstance {
            match LocalEndpoint::rpc_from_config(&self.config).bind().await {
                Ok(listener) => Some((listener, ctx.cancel.clone())),
                Err(e) => {
                    warnings.push(format!("shared instance RPC not served: {e}"));
                    None
                }
            }
        } else {
            None
        };

        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let (events_tx, _) = broadcast::channel(EVENT_BROADCAST_CAPACITY);
        // Paths wait for their interface to attach (see `restorable_paths`).
        let pending_paths = match &storage_dir {
            Some(dir) => restorable_paths(
                &dir.join(PATHS_FILE),
                &start::persistent_interface_names(&self.config, role),
                self.limits.max_paths,
                start_time,
            ),
            None => Default::default(),
        };
        let persistence = storage_dir.map(|storage_dir| actor::Persistence {
            storage_dir,
            interval: self.persist_interval,
        });
        let actor = actor::Actor::new(
            node,
            cmd_rx,
            iface_rx,
            events_tx.clone(),
            tasks,
            ctx,
            cancel_source,
            known,
            persistence,
            pending_paths,
        )
        .with_stops(started.stops);
        let join = tokio::spawn(actor.run());
        let handle = ReticulumHandle::new(
            cmd_tx,
            events_tx,
            handle::Shared {
                transport_id,
                role,
                listeners: started.listeners,
                warnings,
                join: std::sync::Mutex::new(Some(join)),
            },
        );
        if let Some((listener, cancel)) = rpc {
            tokio::spawn(crate::rpc::run(listener, rpc_key, handle.clone(), cancel));
        }
        Ok(handle)
    }
}

/// The saved paths worth restoring, by interface name: not expired, and
/// through an interface that will attach again under the same name.
///
/// Interface ids do not survive a restart, names do: a path is put back on
/// the interface whose configured name it was learned on, when that
/// interface attaches (at once for UDP, and for a TCP client even while it
/// is still connecting; it stays attached between reconnects). Paths
/// learned on a TCP server's connections (`name/peer#n`) are dropped: those
/// connections end with the process, and the peer comes back as a new one.
/// So are paths over interfaces no longer configured, and expired ones.
fn restorable_paths(
    path: &Path,
    names: &std::collections::HashSet<String>,
    limit: usize,
    now: f64,
) -> std::collections::HashMap<String, Vec<rns_proto::node::PathRecord>> {
    let mut by_name: std::collections::HashMap<String, Vec<_>> = Default::default();
    let Some(bytes) = storage::read_file(path) else {
        return by_name;
    };
    let stored = storage::StoredPath::decode_all(&bytes, limit).unwrap_or_default();
    for p in stored {
        if now < p.record.expires && names.contains(&p.interface) {
            by_name.entry(p.interface).or_default().push(p.record);
        }
    }
    by_name
}

/// The key of the shared instance's RPC control plane: the configured
/// `rpc_key` (hex), else the SHA-256 of the transport identity's private key
/// (§15).
fn rpc_key(config: &ReticulumConfig, identity: &PrivateIdentity) -> Vec<u8> {
    config
        .rpc_key
        .as_deref()
        .and_then(parse_hex)
        .unwrap_or_else(|| rns_crypto::full_hash(identity.to_private_bytes().as_ref()).to_vec())
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// The addresses the configured listeners bound, by interface name.
pub type Listeners = Vec<(String, SocketAddr)>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoredPath;
    use rns_crypto::IdentityHash;
    use rns_proto::node::PathRecord;

    fn stored(interface: &str, dest: u8, expires: f64) -> StoredPath {
        StoredPath {
            interface: interface.into(),
            record: PathRecord {
                destination: DestinationHash([dest; 16]),
                next_hop: IdentityHash([dest; 16]),
                hops: 1,
                timestamp: 1.0,
                expires,
                emitted: 1,
                random_blobs: vec![[dest; 10]],
                announce: vec![dest],
            },
        }
    }

    #[test]
    fn only_live_paths_over_interfaces_that_come_back_are_restored() {
        let dir = std::env::temp_dir().join(format!("rns-net-restore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(PATHS_FILE);
        let all = [
            stored("Hub", 1, 100.0),
            stored("Hub", 2, 10.0),                      // expired
            stored("server/127.0.0.1:5000#1", 3, 100.0), // a server's connection
            stored("Gone", 4, 100.0),                    // no longer configured
            stored("udp", 5, 100.0),
        ];
        storage::write_atomic(&file, &StoredPath::encode_all(&all), true).unwrap();
        let names = ["Hub".to_string(), "udp".to_string()].into_iter().collect();
        let by_name = restorable_paths(&file, &names, 100, 50.0);
        let mut got: Vec<(String, u8)> = by_name
            .iter()
            .flat_map(|(n, rs)| rs.iter().map(move |r| (n.clone(), r.destination.0[0])))
            .collect();
        got.sort();
        assert_eq!(got, [("Hub".to_string(), 1), ("udp".to_string(), 5)]);
        assert!(restorable_paths(&dir.join("missing"), &names, 100, 50.0).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
