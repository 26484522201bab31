//! The tokio driver that pumps `rns-proto`, the interfaces and the Reticulum config file.
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
