//! The event bus: what the managers announce to whoever listens (the web
//! layer's WebSocket hub). A tokio broadcast channel, so a slow listener
//! loses the oldest events (and is told it lagged) instead of holding up
//! the network side.
//!
//! Several identities are online at once, but the bus carries only the
//! active identity's events: a context publishes through an [`EventSink`]
//! that drops what its identity reports while another one is active (the
//! rows are stored all the same, and show when the user switches to it).
//! So a listener never sees another identity's data, and the pushes keep the
//! reference's shapes.

use std::sync::{Arc, PoisonError, RwLock};

use meshchat_store::{BlockedDestination, Message};
use rns_crypto::IdentityHash;
use tokio::sync::broadcast;

use crate::context::AnnounceView;

/// How many events a listener may fall behind before it misses some.
pub const EVENT_BUS_CAPACITY: usize = 1024;

/// Something the UI should hear about at once.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreEvent {
    /// We stored an outbound message (before it went to the router).
    MessageCreated(Box<Message>),
    /// An outbound message's state or progress changed (the stored row).
    MessageUpdated(Box<Message>),
    /// A new inbound message was stored (not for duplicates or blocked senders).
    MessageReceived(Box<Message>),
    /// An announce was heard and stored.
    Announce(Box<AnnounceView>),
    /// Our own delivery destination was announced.
    Announced { at: f64 },
    /// The blocked destinations changed; the whole list.
    BlockedDestinations(Vec<BlockedDestination>),
    /// A setting shown in the config changed.
    ConfigChanged,
    /// A message too large for a packet is arriving (its sender is known
    /// only once it is whole): `transfer` names it (hex), `progress` is 0 to
    /// 1, `state` is `receiving`, `complete` or `failed` (the last two end it).
    IncomingTransfer {
        transfer: String,
        progress: f64,
        state: &'static str,
    },
    /// Another identity became the active one (the API's per-identity
    /// routes now answer for it).
    IdentitySwitched {
        identity_hash: IdentityHash,
        display_name: String,
    },
}

/// Which identity is active, shared by the node and every context.
#[derive(Debug, Clone)]
pub(crate) struct ActiveIdentity(Arc<RwLock<IdentityHash>>);

impl ActiveIdentity {
    pub(crate) fn new(hash: IdentityHash) -> Self {
        ActiveIdentity(Arc::new(RwLock::new(hash)))
    }

    pub(crate) fn get(&self) -> IdentityHash {
        *self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set(&self, hash: IdentityHash) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = hash;
    }
}

/// One identity's way onto the bus: its events pass only while it is active.
#[derive(Debug, Clone)]
pub(crate) struct EventSink {
    pub(crate) bus: broadcast::Sender<CoreEvent>,
    pub(crate) active: ActiveIdentity,
    pub(crate) identity: IdentityHash,
}

impl EventSink {
    pub(crate) fn emit(&self, event: CoreEvent) {
        if self.active.get() == self.identity {
            // No listener is fine: events are for whoever is connected.
            let _ = self.bus.send(event);
        }
    }
}
