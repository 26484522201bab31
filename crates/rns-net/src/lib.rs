//! The tokio driver that pumps `rns-proto`, the interfaces and the Reticulum config file.

pub mod config;
