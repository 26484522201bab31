//! The error type of the driver's calls.

use rns_crypto::IfacError;
use rns_proto::node::NodeError;

use crate::config::ConfigError;
use crate::storage::StorageError;

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The driver task has ended (shut down, or all its handles were dropped).
    #[error("the Reticulum driver has stopped")]
    Stopped,
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// An interface could not be brought up (bind or address errors).
    #[error("interface \"{name}\": {source}")]
    Interface {
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// An interface's access code could not be derived from its settings.
    #[error("interface \"{name}\": {source}")]
    Ifac {
        name: String,
        #[source]
        source: IfacError,
    },
    #[error("timed out")]
    Timeout,
    /// An interface of that name is already running.
    #[error("interface \"{0}\" is already running")]
    DuplicateInterface(String),
}
