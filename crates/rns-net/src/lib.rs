//! The tokio driver that pumps `rns-proto`, the interfaces and the Reticulum config file.

mod cancel;
pub mod config;
pub mod driver;
mod error;
pub mod interface;
pub mod storage;

pub use config::{ConfigError, ConfigWarning, ParsedConfig, ReticulumConfig};
pub use driver::{InstanceRole, InterfaceStatus, Reticulum, ReticulumHandle, now};
pub use error::NetError;
