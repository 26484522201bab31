//! The task that owns the node: it alone touches it, so no lock is ever held,
//! and every input (packet, command, timer) is followed by draining what the
//! node wants sent and what it wants told.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rns_crypto::destination::expand_name;
use rns_crypto::{DestinationHash, PrivateIdentity, destination_hash, name_hash};
use rns_proto::node::{DestinationSpec, Event, Node, NodeError, PathRecord, SpecKind};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::start::{node_config, node_id};
use super::verifier::Verifier;
use super::{Command, InterfaceStatus, now};
use crate::cancel::CancelSource;
use crate::error::NetError;
use crate::interface::{IfaceCtx, IfaceEvent, InterfaceInfo};
use crate::storage::{self, KnownDestination, KnownDestinations, StorageError, StoredPath};

/// With nothing scheduled the node is still given the time this often, so a
/// node that under-reports its deadline cannot stall forever.
const IDLE_TICK: f64 = 30.0;

/// One attached interface as the driver sees it.
#[derive(Debug)]
struct Slot {
    info: InterfaceInfo,
    writer: mpsc::Sender<Vec<u8>>,
    online: bool,
    dropped: u64,
}

/// Where and how often state is written.
#[derive(Debug)]
pub(crate) struct Persistence {
    pub storage_dir: PathBuf,
    pub interval: Duration,
}

#[derive(Debug)]
pub(crate) struct Actor {
    pub node: Node,
    pub commands: mpsc::Receiver<Command>,
    pub iface_events: mpsc::Receiver<IfaceEvent>,
    pub events: broadcast::Sender<Event>,
    pub tasks: JoinSet<()>,
    /// For interfaces added while running.
    pub ctx: IfaceCtx,
    pub cancel: CancelSource,
    pub known: KnownDestinations,
    pub persistence: Option<Persistence>,
    slots: HashMap<u32, Slot>,
    dirty: bool,
    /// Saved paths waiting for their interface to attach, by interface name.
    pending_paths: HashMap<String, Vec<PathRecord>>,
    /// Our ratcheted destinations whose ratchet keys are kept on disk.
    ratcheted: HashMap<DestinationHash, (PrivateIdentity, PathBuf)>,
    /// Threads that check announce signatures for the node.
    verifier: Option<Verifier>,
    /// Each running configured interface's own stop signal, by name (a
    /// server's connections share their server's).
    stops: HashMap<String, CancelSource>,
}

impl Actor {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        node: Node,
        commands: mpsc::Receiver<Command>,
        iface_events: mpsc::Receiver<IfaceEvent>,
        events: broadcast::Sender<Event>,
        tasks: JoinSet<()>,
        ctx: IfaceCtx,
        cancel: CancelSource,
        known: KnownDestinations,
        persistence: Option<Persistence>,
        pending_paths: HashMap<String, Vec<PathRecord>>,
    ) -> Self {
        let mut node = node;
        let verifier = Verifier::start(
            super::verifier::default_threads(),
            node.limits().max_pending_verifications,
        );
        node.set_deferred_verification(verifier.is_some());
        Actor {
            node,
            commands,
            iface_events,
            events,
            tasks,
            ctx,
            cancel,
            known,
            persistence,
            slots: HashMap::new(),
            dirty: false,
            pending_paths,
            ratcheted: HashMap::new(),
            verifier,
            stops: HashMap::new(),
        }
    }

    /// The stop signals of the interfaces started with the driver.
    pub(crate) fn with_stops(mut self, stops: Vec<(String, CancelSource)>) -> Self {
        self.stops.extend(stops);
        self
    }

    pub(crate) async fn run(mut self) {
        let persist_every = self
            .persistence
            .as_ref()
            .map_or(Duration::from_secs(3600), |p| p.interval);
        let mut next_persist = Instant::now() + persist_every;
        let done: Option<oneshot::Sender<()>> = loop {
            let wake = self.next_wake();
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    None => break None,
                    Some(Command::Shutdown(reply)) => break Some(reply),
                    Some(cmd) => self.command(cmd).await,
                },
                // While the announces out for verification are at their cap,
                // frames wait in the interfaces' queues (and then in the
                // sockets), which slows a flooding sender down.
                Some(ev) = self.iface_events.recv(), if !self.node.verify_backlog_full() => {
                    self.iface_event(ev)
                }
                Some(done) = next_verified(&mut self.verifier) => {
                    self.node.handle_verified(now(), done)
                }
                () = tokio::time::sleep_until(wake) => self.node.handle_timeout(now()),
                () = tokio::time::sleep_until(next_persist) => {
                    next_persist = Instant::now() + persist_every;
                    if self.dirty {
                        let _ = self.persist().await;
                    }
                }
                // A child that ends on its own (a listener whose socket failed)
                // is reaped here so the set does not hold finished tasks.
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
            }
            self.flush();
        };
        self.stop().await;
        if let Some(reply) = done {
            let _ = reply.send(());
        }
    }

    /// Sends parked announces to the verifier threads (or verifies them here
    /// if the threads are gone, so no job is lost).
    fn dispatch_verify_jobs(&mut self) {
        while let Some(job) = self.node.poll_verify_job() {
            let job = match &self.verifier {
                Some(v) => match v.submit(job) {
                    None => continue,
                    Some(job) => job,
                },
                None => job,
            };
            self.node.handle_verified(now(), job.verify());
        }
    }

    fn next_wake(&self) -> Instant {
        let t = now();
        let wait = self
            .node
            .next_deadline()
            .map_or(IDLE_TICK, |d| (d - t).clamp(0.0, IDLE_TICK));
        Instant::now() + Duration::try_from_secs_f64(wait).unwrap_or(Duration::ZERO)
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Call(f) => f(&mut self.node, now()),
            Command::Interfaces(reply) => {
                let mut list: Vec<InterfaceStatus> = self
                    .slots
                    .iter()
                    .map(|(id, s)| InterfaceStatus {
                        id: node_id(*id),
                        name: s.info.name.clone(),
                        online: s.online,
                        hw_mtu: s.info.hw_mtu,
                        bitrate: s.info.bitrate,
                        dropped_outbound: s.dropped,
                    })
                    .collect();
                list.sort_by_key(|s| s.id);
                let _ = reply.send(list);
            }
            Command::Register(spec, reply) => {
                let _ = reply.send(self.register(*spec).await);
            }
            Command::AddInterface(entry, reply) => {
                if self.stops.contains_key(&entry.name) {
                    let _ = reply.send(Err(NetError::DuplicateInterface(entry.name.clone())));
                    return;
                }
                let result = super::start::start_one(&entry, &self.ctx, &mut self.tasks).await;
                let _ = reply.send(result.map(|(addr, stop)| {
                    self.stops.insert(entry.name.clone(), stop);
                    addr
                }));
            }
            Command::RemoveInterface(name, reply) => {
                // Its tasks see the signal, close their sockets and detach.
                let stop = self.stops.remove(&name);
                if let Some(stop) = &stop {
                    stop.cancel();
                }
                let _ = reply.send(stop.is_some());
            }
            Command::KnownDestination(dest, reply) => {
                let _ = reply.send(self.known.get(&dest).cloned());
            }
            Command::Persist(reply) => {
                let _ = reply.send(self.persist().await);
            }
            // Handled by the loop.
            Command::Shutdown(_) => {}
        }
    }

    fn iface_event(&mut self, ev: IfaceEvent) {
        match ev {
            IfaceEvent::Attached { id, info, writer } => {
                self.node.add_interface(node_id(id), node_config(&info));
                if let Some(paths) = self.pending_paths.remove(&info.name) {
                    let t = now();
                    for record in paths {
                        self.node.restore_path(t, node_id(id), record);
                    }
                }
                self.slots.insert(
                    id,
                    Slot {
                        info: *info,
                        writer,
                        online: false,
                        dropped: 0,
                    },
                );
            }
            IfaceEvent::Online { id, online } => {
                if let Some(s) = self.slots.get_mut(&id) {
                    s.online = online;
                }
            }
            IfaceEvent::Inbound { id, raw } => {
                if self.slots.contains_key(&id) {
                    self.node.handle_inbound(now(), node_id(id), &raw);
                }
            }
            IfaceEvent::Detached { id } => {
                if self.slots.remove(&id).is_some() {
                    self.node.remove_interface(node_id(id));
                }
            }
        }
    }

    /// Hands every pending transmit to its interface and every event to the
    /// subscribers. Neither can block: full writer queues drop (and count), and
    /// a lagging subscriber loses the oldest events, not the node's time.
    ///
    /// Events go first: a rotated ratchet is on disk before the announce that
    /// carries it leaves, so no peer learns a ratchet a crash could lose.
    fn flush(&mut self) {
        self.dispatch_verify_jobs();
        while let Some(event) = self.node.poll_event() {
            if let Event::RatchetsRotated { destination } = &event {
                self.save_own_ratchets(destination);
            }
            if let Event::AnnounceReceived {
                destination,
                identity,
                app_data,
                ..
            } = &event
            {
                self.known.insert(
                    *destination,
                    KnownDestination {
                        identity: identity.clone(),
                        app_data: app_data.clone(),
                        last_seen: now(),
                    },
                );
                self.dirty = true;
            }
            // No subscriber is not an error: events are informational.
            let _ = self.events.send(event);
        }
        while let Some(t) = self.node.poll_transmit() {
            let Some(slot) = self.slots.get_mut(&t.interface.0) else {
                continue;
            };
            if !slot.online || !slot.info.outbound || slot.writer.try_send(t.raw).is_err() {
                slot.dropped = slot.dropped.saturating_add(1);
            }
        }
    }

    /// Registers a destination; a ratcheted SINGLE one gets its stored keys
    /// (when its set is empty) and is saved from now on. See
    /// `ReticulumHandle::register_destination`.
    async fn register(&mut self, mut spec: DestinationSpec) -> Result<DestinationHash, NetError> {
        let mut saved = None;
        if let (Some(p), SpecKind::Single(single)) = (&self.persistence, &mut spec.kind)
            && let Some(given) = &mut single.ratchets
        {
            let aspects: Vec<&str> = spec.aspects.iter().map(String::as_str).collect();
            let name = expand_name(&spec.app_name, &aspects).map_err(NodeError::from)?;
            let dest = destination_hash(&name_hash(&name), Some(&single.identity.hash()));
            let path = storage::own_ratchets_path(&p.storage_dir, &dest);
            if given.is_empty() {
                let (file, identity) = (path.clone(), single.identity.clone());
                let loaded = tokio::task::spawn_blocking(move || {
                    storage::load_own_ratchets(&file, &identity)
                })
                .await
                .map_err(|e| StorageError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })??;
                if let Some(mut set) = loaded {
                    set.set_retained(given.retained());
                    *given = set;
                }
            }
            saved = Some((dest, single.identity.clone(), path));
        }
        let dest = self.node.register_destination(spec)?;
        if let Some((d, identity, path)) = saved
            && d == dest
        {
            self.ratcheted.insert(dest, (identity, path));
        }
        Ok(dest)
    }

    /// Writes a destination's ratchet keys now, on the driver's thread: it
    /// happens once per rotation (at most every 30 minutes per destination)
    /// and must be done before the new ratchet is announced.
    fn save_own_ratchets(&self, destination: &DestinationHash) {
        let (Some((identity, path)), Some(set)) = (
            self.ratcheted.get(destination),
            self.node.destination_ratchets(destination),
        ) else {
            return;
        };
        // A failed write leaves the previous keys on disk; the set stays in
        // memory and is written again at the next rotation.
        let _ = storage::save_own_ratchets(path, set, identity);
    }

    /// Writes the known destinations, the path table and the remembered
    /// ratchets off the async threads.
    async fn persist(&mut self) -> Result<(), StorageError> {
        let paths = self.path_snapshot();
        self.persist_with(paths).await
    }

    /// The path table as it should be saved, with interface names.
    fn path_snapshot(&self) -> Vec<StoredPath> {
        let mut paths: Vec<StoredPath> = self
            .node
            .path_records()
            .filter_map(|(iface, record)| {
                let interface = self.slots.get(&iface.0)?.info.name.clone();
                Some(StoredPath { interface, record })
            })
            .collect();
        // Paths still waiting for their interface are kept too.
        for (name, records) in &self.pending_paths {
            paths.extend(records.iter().map(|record| StoredPath {
                interface: name.clone(),
                record: record.clone(),
            }));
        }
        paths
    }

    async fn persist_with(&mut self, paths: Vec<StoredPath>) -> Result<(), StorageError> {
        let Some(p) = &self.persistence else {
            return Ok(());
        };
        let dir = p.storage_dir.clone();
        let known = self.known.encode();
        let paths = StoredPath::encode_all(&paths);
        let ratchets: Vec<_> = self
            .known
            .iter()
            .filter_map(|(d, _)| Some((*d, self.node.recall_ratchet(d)?)))
            .collect();
        let ratchets = storage::encode_remembered(&ratchets);
        let result = tokio::task::spawn_blocking(move || {
            storage::write_atomic(&dir.join(super::KNOWN_FILE), &known, true)?;
            storage::write_atomic(&dir.join(super::PATHS_FILE), &paths, true)?;
            storage::write_atomic(&dir.join(super::REMEMBERED_RATCHETS_FILE), &ratchets, true)
        })
        .await
        .unwrap_or_else(|e| {
            Err(StorageError::Io {
                path: PathBuf::new(),
                source: std::io::Error::other(e.to_string()),
            })
        });
        if result.is_ok() {
            self.dirty = false;
        }
        result
    }

    /// Ends every child task, then saves state one last time: the path table
    /// as it was before the interfaces went (detaching one forgets its paths).
    async fn stop(&mut self) {
        let paths = self.path_snapshot();
        self.cancel.cancel();
        // Interfaces report detaching while they wind down; keep draining so
        // none of them waits on a full channel while we wait on it.
        loop {
            tokio::select! {
                joined = self.tasks.join_next() => if joined.is_none() { break },
                Some(ev) = self.iface_events.recv() => self.iface_event(ev),
            }
        }
        self.flush();
        let _ = self.persist_with(paths).await;
    }
}

/// The next verified announce; never ready without verifier threads.
async fn next_verified(verifier: &mut Option<Verifier>) -> Option<rns_proto::node::VerifiedJob> {
    match verifier {
        Some(v) => v.results.recv().await,
        None => std::future::pending().await,
    }
}
