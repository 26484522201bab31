//! Sans-IO Reticulum: transport, links, requests, channels and buffers (and
//! later resources), as state machines driven by `handle_*(now, ..)` and drained by
//! `poll_*` calls.
//!
//! Owns: the path table, duplicate suppression, announce handling, path requests,
//! outbound routing, receipts and proofs, forwarding in transport mode, and the
//! per-link state machines.
//! Does not own: sockets, framing, files, clocks or a runtime (`rns-net` drives
//! this crate). Time comes in as `now` (seconds since the UNIX epoch, `f64`, as
//! the reference keeps time); randomness through an injected `CryptoRngCore`.

pub mod channel;
pub mod link;
pub mod node;
pub mod resource;
