//! Per-identity SQLite storage: schema, migrations and queries.
//! Knows nothing of HTTP or the network.
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
