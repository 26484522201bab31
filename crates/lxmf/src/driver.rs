//! The async driver: [`LxmfRouter`] runs the sans-IO [`Router`] on a tokio task
//! over an rns-net [`ReticulumHandle`]. It turns the network's events into
//! router inputs, carries out the router's actions, searches stamps on the
//! blocking pool (cancellable), and hands out the router's events.
//!
//! Several delivery identities can be online at once on one transport; every
//! one gets its own `lxmf.delivery` destination, and a message goes out from
//! the identity its `source_hash` names.
//!
//! This module (with `driver/`) is the only part of the crate that does I/O;
//! `scripts/check-sans-io.sh` keeps it out of the rest.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo(net: rns_net::ReticulumHandle) -> Result<(), lxmf::driver::DriverError> {
//! use lxmf::driver::LxmfRouter;
//! use lxmf::router::{RouterConfig, RouterEvent};
//! let router = LxmfRouter::start(net, RouterConfig::default());
//! let me = router
//!     .add_identity(rns_crypto::PrivateIdentity::generate(&mut rns_crypto::OsRng), Some("Alice".into()), None)
//!     .await?;
//! router.announce(me).await?;
//! let mut events = router.subscribe();
//! # let bob = me;
//! let id = router
//!     .send(lxmf::Message::new(bob, me, rns_net::now(), "hi", "hello"), lxmf::Method::Direct)
//!     .await?;
//! while let Ok(ev) = events.recv().await {
//!     if let RouterEvent::Outbound(s) = ev && s.id == id && s.state == lxmf::State::Delivered {
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```

mod actor;
mod proofs;

use rns_crypto::{DestinationHash, PrivateIdentity};
use rns_net::{NetError, ReticulumHandle};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::delivery::Method;
use crate::message::{Message, MessageId};
use crate::router::{
    OutboundStatus, PropagationNode, Received, Router, RouterConfig, RouterEvent, SubmitError,
    SyncError, SyncState, SyncStatus,
};

/// How many events a slow subscriber may fall behind before it misses some
/// (it then gets `RecvError::Lagged`).
pub const EVENT_CAPACITY: usize = 1024;

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The router task has ended (shut down, or the network stopped).
    #[error("the LXMF router has stopped")]
    Stopped,
    #[error(transparent)]
    Net(#[from] NetError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error("{0} is not one of our delivery destinations")]
    UnknownDestination(DestinationHash),
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The recipient's identity is not known (no announce heard yet).
    #[error("no identity is known for {0}")]
    UnknownRecipient(DestinationHash),
    #[error("paper: {0}")]
    Paper(String),
}

pub(crate) enum Command {
    AddIdentity {
        identity: Box<PrivateIdentity>,
        display_name: Option<String>,
        stamp_cost: Option<u8>,
        reply: oneshot::Sender<Result<DestinationHash, DriverError>>,
    },
    RemoveIdentity(DestinationHash, oneshot::Sender<Result<(), DriverError>>),
    Announce(DestinationHash, oneshot::Sender<Result<(), DriverError>>),
    Send(
        Box<Message>,
        Method,
        bool,
        oneshot::Sender<Result<MessageId, DriverError>>,
    ),
    Cancel(MessageId, oneshot::Sender<bool>),
    /// The application stored a received message: its proof may leave.
    Stored(MessageId),
    Status(MessageId, oneshot::Sender<Option<OutboundStatus>>),
    SetPropagationNode(Option<DestinationHash>, oneshot::Sender<()>),
    PropagationNodes(oneshot::Sender<Vec<(DestinationHash, PropagationNode)>>),
    Sync(
        DestinationHash,
        Option<DestinationHash>,
        oneshot::Sender<Result<SyncStatus, DriverError>>,
    ),
    PaperUri(
        Box<Message>,
        oneshot::Sender<Result<(MessageId, String), DriverError>>,
    ),
    IngestUri(String, oneshot::Sender<Result<bool, DriverError>>),
    Shutdown(oneshot::Sender<()>),
}

/// A cheap, cloneable handle to the running router.
#[derive(Debug, Clone)]
pub struct LxmfRouter {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<RouterEvent>,
    inbound: broadcast::Sender<Received>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl LxmfRouter {
    /// Starts the router task on the current tokio runtime.
    pub fn start(net: ReticulumHandle, config: RouterConfig) -> LxmfRouter {
        let (commands, rx) = mpsc::channel(64);
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (inbound, _) = broadcast::channel(EVENT_CAPACITY);
        let actor = actor::Actor::new(net, Router::new(config), events.clone(), inbound.clone());
        tokio::spawn(actor.run(rx));
        LxmfRouter {
            commands,
            events,
            inbound,
        }
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, DriverError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| DriverError::Stopped)?;
        rx.await.map_err(|_| DriverError::Stopped)
    }

    /// Brings one of our identities online: registers its `lxmf.delivery`
    /// destination (proving packets, accepting links) and returns its hash.
    /// `stamp_cost` (1..=254) is announced; inbound stamps are checked against
    /// it (and enforced if the config says so). Does not announce.
    pub async fn add_identity(
        &self,
        identity: PrivateIdentity,
        display_name: Option<String>,
        stamp_cost: Option<u8>,
    ) -> Result<DestinationHash, DriverError> {
        self.ask(|reply| Command::AddIdentity {
            identity: Box::new(identity),
            display_name,
            stamp_cost,
            reply,
        })
        .await?
    }

    /// Takes an identity offline (its destination is deregistered).
    pub async fn remove_identity(&self, destination: DestinationHash) -> Result<(), DriverError> {
        self.ask(|r| Command::RemoveIdentity(destination, r))
            .await?
    }

    /// Announces one of our delivery destinations with its name and stamp cost.
    pub async fn announce(&self, destination: DestinationHash) -> Result<(), DriverError> {
        self.ask(|r| Command::Announce(destination, r)).await?
    }

    /// Signs `message` with the identity its `source_hash` names and queues it
    /// for `method` (opportunistic, direct or propagated). Progress and the final state
    /// come as [`RouterEvent::Outbound`].
    pub async fn send(&self, message: Message, method: Method) -> Result<MessageId, DriverError> {
        self.ask(|r| Command::Send(Box::new(message), method, false, r))
            .await?
    }

    /// As [`LxmfRouter::send`], and gives the recipient a ticket (the
    /// reference's `include_ticket`): its field goes into the signed message,
    /// and the recipient's stamps made from it are accepted at
    /// [`crate::ticket::COST_TICKET`]. The current ticket is reused until its
    /// renewal window. Give tickets to peers you trust to send to you.
    pub async fn send_with_ticket(
        &self,
        message: Message,
        method: Method,
    ) -> Result<MessageId, DriverError> {
        self.ask(|r| Command::Send(Box::new(message), method, true, r))
            .await?
    }

    /// Cancels a message not yet delivered; false if unknown or finished.
    pub async fn cancel(&self, id: MessageId) -> Result<bool, DriverError> {
        self.ask(|r| Command::Cancel(id, r)).await
    }

    /// The application has stored received message `id` where a crash
    /// cannot take it: with [`RouterConfig::prove_when_stored`] its delivery
    /// proof leaves now (see `driver/proofs.rs`); otherwise this does nothing.
    pub async fn ack_stored(&self, id: MessageId) -> Result<(), DriverError> {
        self.commands
            .send(Command::Stored(id))
            .await
            .map_err(|_| DriverError::Stopped)
    }

    /// Where a queued, in-flight or recently finished message stands.
    pub async fn status(&self, id: MessageId) -> Result<Option<OutboundStatus>, DriverError> {
        self.ask(|r| Command::Status(id, r)).await
    }

    /// Chooses the propagation node for propagated messages and syncs
    /// (`None`: the nearest announced one). A node the network has heard
    /// announce before (maybe in an earlier run) is recalled at once.
    pub async fn set_propagation_node(
        &self,
        node: Option<DestinationHash>,
    ) -> Result<(), DriverError> {
        self.ask(|r| Command::SetPropagationNode(node, r)).await
    }

    /// The propagation nodes heard announce (with hops and app_data).
    pub async fn propagation_nodes(
        &self,
    ) -> Result<Vec<(DestinationHash, PropagationNode)>, DriverError> {
        self.ask(Command::PropagationNodes).await
    }

    /// Syncs our delivery destination `local` with a propagation node
    /// (`node`, else the one [`LxmfRouter::set_propagation_node`] chose, else
    /// the nearest announced): downloads the messages waiting there, which
    /// arrive as [`RouterEvent::Received`] (method `Propagated`). Progress
    /// comes as [`RouterEvent::Sync`]; this returns the final status
    /// (`Complete`, or `Failed` with the reason).
    pub async fn sync(
        &self,
        local: DestinationHash,
        node: Option<DestinationHash>,
    ) -> Result<SyncStatus, DriverError> {
        let mut events = self.events.subscribe();
        let first = self.ask(|r| Command::Sync(local, node, r)).await??;
        if matches!(first.state, SyncState::Complete | SyncState::Failed) {
            return Ok(first);
        }
        loop {
            match events.recv().await {
                Ok(RouterEvent::Sync(s))
                    if s.local == local
                        && matches!(s.state, SyncState::Complete | SyncState::Failed) =>
                {
                    return Ok(s);
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Err(DriverError::Stopped),
            }
        }
    }

    /// Signs `message` and seals it for its recipient (whose identity the
    /// network must know; its ratchet is used if known) as an `lxm://` paper
    /// URI. Returns the message id and the URI.
    pub async fn paper_uri(&self, message: Message) -> Result<(MessageId, String), DriverError> {
        self.ask(|r| Command::PaperUri(Box::new(message), r))
            .await?
    }

    /// Takes in an `lxm://` URI: a message for one of our identities arrives
    /// as [`RouterEvent::Received`] with method `Paper`. Returns false when
    /// it was not for us or was taken in before.
    pub async fn ingest_uri(&self, uri: &str) -> Result<bool, DriverError> {
        self.ask(|r| Command::IngestUri(uri.to_owned(), r)).await?
    }

    /// Every router event from now on: outbound states and progress,
    /// received and dropped messages, announces.
    pub fn subscribe(&self) -> broadcast::Receiver<RouterEvent> {
        self.events.subscribe()
    }

    /// Received messages only, from now on.
    pub fn subscribe_inbound(&self) -> broadcast::Receiver<Received> {
        self.inbound.subscribe()
    }

    /// Stops the router task (stamp searches are cancelled, our destinations
    /// deregistered). The network keeps running.
    pub async fn shutdown(&self) {
        let _ = self.ask(Command::Shutdown).await;
    }
}
