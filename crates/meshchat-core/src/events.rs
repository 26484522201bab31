//! The event bus: what the managers announce to whoever listens (the web
//! layer's WebSocket hub). A tokio broadcast channel, so a slow listener
//! loses the oldest events (and is told it lagged) instead of holding up
//! the network side.

use meshchat_store::{BlockedDestination, Message};

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
}
