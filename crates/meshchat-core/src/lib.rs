//! MeshChatX identity contexts, domain managers and the event bus.
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
