//! LXMF: the message format, stamps and tickets, and paper URIs, byte-exact with
//! the reference (`lxmf` 1.2.1). Sans-IO: time comes in as `now` (seconds since
//! the Unix epoch, `f64`), randomness as `&mut dyn CryptoRngCore`.
//!
//! Owns: packing, signing, unpacking and verifying messages ([`message`]); the
//! `fields` map ([`fields`]); the forms each delivery method sends and the size
//! limits between packet and resource ([`delivery`]); propagation submissions
//! and stamps ([`propagation`]); proof-of-work stamps and peering keys
//! ([`stamp`]); tickets ([`ticket`]); `lxm://` URIs ([`paper`]).
//! Does not own: the router (queues, retries, links, which peers we know) nor
//! where stamp searches run; a search is a plain function with a budget and a
//! cancel check so the driver decides.

pub mod delivery;
pub mod fields;
pub mod message;
pub mod paper;
pub mod propagation;
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
