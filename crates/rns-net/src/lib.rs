//! The tokio driver that pumps `rns-proto`, the interfaces and the Reticulum config file.

mod cancel;
pub mod config;
pub mod interface;
