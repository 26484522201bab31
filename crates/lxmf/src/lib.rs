//! LXMF: message format, stamps and tickets, and the router as a state machine.
//!
//! This crate exists with its boundary in place; its contents arrive with the
//! issue that builds this layer. See `docs/architecture.md`.
