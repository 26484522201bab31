//! The HTTP + WebSocket API and the embedded web UI.
//! Talks only to `meshchat-core`'s public API.
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
