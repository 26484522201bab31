//! [`ReticulumHandle`]: async methods mirroring the node's API, each a message
//! to the driver task and a reply.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rns_crypto::{DestinationHash, IdentityHash, PacketHash, PrivateIdentity, PublicIdentity};
use rns_msgpack::Value;
use rns_proto::node::{
    DestinationSpec, Event, LinkId, LinkState, Node, NodeStats, PathEntryView, ReceiptId, RequestId,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Command, InstanceRole, InterfaceStatus};
use crate::config::InterfaceEntry;
use crate::error::NetError;
use crate::storage::KnownDestination;

/// What every clone of a handle shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub transport_id: IdentityHash,
    pub role: InstanceRole,
    pub listeners: Vec<(String, SocketAddr)>,
    pub warnings: Vec<String>,
    /// The driver task, taken by the first `shutdown`.
    pub join: Mutex<Option<JoinHandle<()>>>,
}

/// A cheap, cloneable handle to a running instance. Every method fails with
/// [`NetError::Stopped`] once the instance has shut down.
#[derive(Debug, Clone)]
pub struct ReticulumHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    shared: Arc<Shared>,
}

impl ReticulumHandle {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        events: broadcast::Sender<Event>,
        shared: Shared,
    ) -> Self {
        ReticulumHandle {
            commands,
            events,
            shared: Arc::new(shared),
        }
    }

    /// Runs `f` on the node inside the driver task, with the current time, and
    /// returns its result. Whatever the node wants sent or told afterwards is
    /// sent and told. The escape hatch for node calls without a method here;
    /// keep `f` short, the node waits for it.
    pub async fn with_node<R, F>(&self, f: F) -> Result<R, NetError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Node, f64) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let call = Box::new(move |node: &mut Node, now: f64| {
            let _ = tx.send(f(node, now));
        });
        self.send(Command::Call(call)).await?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    async fn send(&self, cmd: Command) -> Result<(), NetError> {
        self.commands.send(cmd).await.map_err(|_| NetError::Stopped)
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// A new receiver of the node's events, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The hash of the transport identity (our transport id).
    pub fn transport_id(&self) -> IdentityHash {
        self.shared.transport_id
    }

    /// Whether we stand alone, are the shared instance, or attached to one.
    pub fn instance_role(&self) -> InstanceRole {
        self.shared.role
    }

    /// The addresses listening interfaces bound (useful with port 0).
    pub fn listen_addrs(&self) -> &[(String, SocketAddr)] {
        &self.shared.listeners
    }

    /// The address the listening interface `name` bound.
    pub fn listen_addr(&self, name: &str) -> Option<SocketAddr> {
        self.shared
            .listeners
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| *a)
    }

    /// Interfaces that were configured but could not be started.
    pub fn warnings(&self) -> &[String] {
        &self.shared.warnings
    }

    /// Registers a destination. With a config directory, a SINGLE destination
    /// with ratchets and an empty [`RatchetSet`](rns_crypto::RatchetSet)
    /// gets the ratchet keys stored for it (`storage/rs_ratchet_keys/<hash>`),
    /// and its ratchets are saved there whenever they rotate. A stored file
    /// that the destination's identity did not sign, or that is damaged,
    /// fails the registration rather than be overwritten.
    pub async fn register_destination(
        &self,
        spec: DestinationSpec,
    ) -> Result<DestinationHash, NetError> {
        self.ask(|tx| Command::Register(Box::new(spec), tx)).await?
    }

    pub async fn deregister_destination(&self, dest: DestinationHash) -> Result<(), NetError> {
        self.with_node(move |n, _| n.deregister_destination(&dest))
            .await
    }

    pub async fn announce(
        &self,
        dest: DestinationHash,
        app_data: Option<Vec<u8>>,
    ) -> Result<(), NetError> {
        Ok(self
            .with_node(move |n, now| n.announce(now, &dest, app_data.as_deref()))
            .await??)
    }

    pub async fn request_path(&self, dest: DestinationHash) -> Result<(), NetError> {
        self.with_node(move |n, now| n.request_path(now, &dest))
            .await
    }

    pub async fn has_path(&self, dest: DestinationHash) -> Result<bool, NetError> {
        self.with_node(move |n, _| n.has_path(&dest)).await
    }

    pub async fn hops_to(&self, dest: DestinationHash) -> Result<Option<u8>, NetError> {
        self.with_node(move |n, _| n.hops_to(&dest)).await
    }

    /// Requests a path if there is none and waits until one is known.
    pub async fn await_path(
        &self,
        dest: DestinationHash,
        timeout: Duration,
    ) -> Result<u8, NetError> {
        let work = async {
            if let Some(h) = self.hops_to(dest).await? {
                return Ok(h);
            }
            let mut events = self.subscribe();
            self.request_path(dest).await?;
            loop {
                if let Some(h) = self.hops_to(dest).await? {
                    return Ok(h);
                }
                // Any event may be the path; a lag just means "look again".
                match tokio::time::timeout(Duration::from_secs(1), events.recv()).await {
                    Err(_) | Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                    Ok(Err(broadcast::error::RecvError::Closed)) => return Err(NetError::Stopped),
                }
            }
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| NetError::Timeout)?
    }

    pub async fn recall_identity(
        &self,
        dest: DestinationHash,
    ) -> Result<Option<PublicIdentity>, NetError> {
        self.with_node(move |n, _| n.recall_identity(&dest).cloned())
            .await
    }

    /// What the driver remembers of `dest` from announces (kept across restarts
    /// when a config directory is set).
    pub async fn known_destination(
        &self,
        dest: DestinationHash,
    ) -> Result<Option<KnownDestination>, NetError> {
        self.ask(|tx| Command::KnownDestination(dest, tx)).await
    }

    pub async fn remember_identity(
        &self,
        dest: DestinationHash,
        identity: PublicIdentity,
        app_data: Option<Vec<u8>>,
    ) -> Result<(), NetError> {
        self.with_node(move |n, _| n.remember_identity(dest, identity, app_data))
            .await
    }

    pub async fn path_table(&self) -> Result<Vec<PathEntryView>, NetError> {
        self.with_node(|n, _| n.path_table().collect()).await
    }

    pub async fn drop_path(&self, dest: DestinationHash) -> Result<bool, NetError> {
        self.with_node(move |n, _| n.drop_path(&dest)).await
    }

    /// Sends one packet to a destination; the receipt's fate comes as an event.
    pub async fn send_packet(
        &self,
        dest: DestinationHash,
        data: Vec<u8>,
    ) -> Result<ReceiptId, NetError> {
        Ok(self
            .with_node(move |n, now| n.send_packet(now, &dest, &data))
            .await??)
    }

    pub async fn open_link(&self, dest: DestinationHash) -> Result<LinkId, NetError> {
        Ok(self
            .with_node(move |n, now| n.open_link(now, &dest))
            .await??)
    }

    pub async fn link_send(&self, link: LinkId, data: Vec<u8>) -> Result<PacketHash, NetError> {
        Ok(self
            .with_node(move |n, now| n.link_send(now, &link, &data))
            .await??)
    }

    pub async fn link_identify(
        &self,
        link: LinkId,
        identity: PrivateIdentity,
    ) -> Result<(), NetError> {
        Ok(self
            .with_node(move |n, now| n.link_identify(now, &link, &identity))
            .await??)
    }

    pub async fn link_request(
        &self,
        link: LinkId,
        path: String,
        data: Value,
        timeout: Option<f64>,
    ) -> Result<RequestId, NetError> {
        Ok(self
            .with_node(move |n, now| n.link_request(now, &link, &path, data, timeout))
            .await??)
    }

    pub async fn link_respond(
        &self,
        link: LinkId,
        request: RequestId,
        response: Value,
    ) -> Result<(), NetError> {
        Ok(self
            .with_node(move |n, now| n.link_respond(now, &link, request, response))
            .await??)
    }

    pub async fn close_link(&self, link: LinkId) -> Result<(), NetError> {
        Ok(self
            .with_node(move |n, now| n.close_link(now, &link))
            .await??)
    }

    pub async fn link_state(&self, link: LinkId) -> Result<Option<LinkState>, NetError> {
        self.with_node(move |n, _| n.link_state(&link)).await
    }

    pub async fn stats(&self) -> Result<NodeStats, NetError> {
        self.with_node(|n, _| n.stats()).await
    }

    /// The attached interfaces (a TCP server's connections each count).
    pub async fn interfaces(&self) -> Result<Vec<InterfaceStatus>, NetError> {
        self.ask(Command::Interfaces).await
    }

    /// Brings up one more interface (enabled or not: the caller asked for it).
    /// Returns the bound address for listening interfaces.
    pub async fn add_interface(
        &self,
        entry: InterfaceEntry,
    ) -> Result<Option<SocketAddr>, NetError> {
        self.ask(|tx| Command::AddInterface(Box::new(entry), tx))
            .await?
    }

    /// Stops the running interface called `name` (configured or added;
    /// a server's connections with it). Returns false if none runs by that
    /// name. It leaves [`interfaces`](Self::interfaces) once its tasks have
    /// detached, which is shortly after.
    pub async fn remove_interface(&self, name: &str) -> Result<bool, NetError> {
        let name = name.to_owned();
        self.ask(|tx| Command::RemoveInterface(name, tx)).await
    }

    /// Saves known destinations and paths now (also done periodically and on
    /// shutdown when a config directory is set).
    pub async fn persist(&self) -> Result<(), NetError> {
        Ok(self.ask(Command::Persist).await??)
    }

    /// Stops every interface, saves state and ends the driver task; returns
    /// once all of it has finished. Later calls, and calls on clones, return
    /// at once.
    pub async fn shutdown(&self) {
        let _ = self.ask(Command::Shutdown).await;
        let join = self.shared.join.lock().ok().and_then(|mut j| j.take());
        if let Some(join) = join {
            let _ = join.await;
        }
    }
}
