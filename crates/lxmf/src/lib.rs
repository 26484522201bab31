//! LXMF: the message format, stamps and tickets, and paper URIs, byte-exact with
//! the reference (`lxmf` 1.2.1). Sans-IO: time comes in as `now` (seconds since
//! the Unix epoch, `f64`), randomness as `&mut dyn CryptoRngCore`.
//!
//! Owns: packing, signing, unpacking and verifying messages ([`message`]); the
//! `fields` map ([`fields`]); the forms each delivery method sends and the size
//! limits between packet and resource ([`delivery`]); propagation submissions
//! and stamps ([`propagation`]); proof-of-work stamps and peering keys
//! ([`stamp`]); tickets ([`ticket`]); `lxm://` URIs ([`paper`]).
//! The router: [`router`] is its sans-IO core (outbound queue, states,
//! retries, links per recipient, inbound acceptance, announces), driven by
//! `handle_*(now, ..)` / `poll_*` calls; [`driver`] runs it on tokio over an
//! rns-net `ReticulumHandle` (the only module that does I/O; stamp searches go
//! to the blocking pool and can be cancelled). The router also delivers
//! through propagation nodes and syncs from them, issues and uses tickets, and
//! makes and takes paper URIs. Not here: running a propagation node.
//!
//! [`driver`]'s docs show the router from an application.
//!
//! # Sending, piece by piece
//!
//! 1. `Message::new(dest, delivery::delivery_destination(&me.hash()), now, title,
//!    content)`, set `fields`, then `.sign(&me)` → [`PackedMessage`].
//! 2. If the recipient asks for a stamp: use a [`Ticket`] it gave us
//!    (`ticket.stamp_for(id)`), or search one with
//!    `Workblock::for_message(id).search(cost, stamp::random_start(rng), budget,
//!    &mut cancelled)`; then `.with_stamp(Some(stamp))` (the id does not change).
//! 3. Pick the way with [`delivery::plan`]: opportunistic sends
//!    [`delivery::opportunistic_data`]; direct sends `packed()`; propagated and
//!    paper [`delivery::seal`] it for the recipient (to its ratchet if known).
//!    Propagated then adds a propagation stamp ([`propagation::search_stamp`],
//!    [`propagation::stamped_entry`]) and sends [`propagation::submission`];
//!    paper turns the container into [`paper::uri`].
//!
//! Receiving: [`delivery::from_opportunistic_data`] or [`delivery::open`] (or
//! [`paper::parse_uri`] first) gives the packed bytes; [`unpack`] them with the
//! source identity if known; check the stamp with
//! [`ticket::validate_message_stamp`].

pub mod delivery;
pub mod driver;
pub mod fields;
pub mod message;
pub mod paper;
pub mod propagation;
pub mod router;
pub mod stamp;
pub mod ticket;

mod python;

pub use delivery::{Method, Representation, State, TransientId};
pub use fields::Fields;
pub use message::{
    Message, MessageId, PackedMessage, SignatureState, UnpackError, Unpacked, unpack,
};
pub use stamp::{SearchOutcome, StampError, Workblock};
pub use ticket::Ticket;
