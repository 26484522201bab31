//! Reticulum's byte codecs: packets, announces, path requests, proofs, link and
//! resource payloads, channel envelopes, HDLC/KISS framing, and the LXMF announce
//! app_data.
//!
//! Owns: turning bytes into typed values and back, byte-exactly as the reference
//! does. Decoding is "parse, don't validate": a decoded value is well-formed by
//! construction, and errors separate "need more bytes" from "malformed".
//! Does not own: any protocol state (path tables, link state: `rns-proto`), I/O,
//! clocks or randomness (callers pass timestamps and random bytes in).

pub mod announce;
pub mod channel;
pub mod constants;
pub mod framing;
pub mod link;
pub mod lxmf_app_data;
pub mod packet;
pub mod path_request;
pub mod proof;
pub mod request;
pub mod resource;

mod error;

pub use error::WireError;
