//! Sans-IO Reticulum state machines (transport, links, resources, channels).
//! Owns: protocol state driven by `handle_*(now, ...)` / `poll_*` calls.
//! Does not own: sockets, files, clocks or a runtime (those are `rns-net`).
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
