//! What the managers' calls can fail with, as kinds the web layer maps to
//! status codes.

/// An error from an identity context's managers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The identity is not online yet (or start-up failed).
    #[error("the identity is not online yet")]
    NotReady,
    /// The request named something malformed (a hash, a method, ...).
    #[error("{0}")]
    InvalidInput(String),
    /// Nothing with that hash or id.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (deleting the active
    /// identity, too many identities).
    #[error("{0}")]
    Conflict(String),
    /// We have not heard an announce from the recipient, so its identity
    /// (needed to encrypt to it) is unknown.
    #[error(
        "Could not recall destination identity. Wait for an announce from this peer, then try again."
    )]
    UnknownRecipient,
    /// The destination could not be reached: no path, no reply in time.
    #[error("{0}")]
    Unreachable(String),
    /// The network stack has stopped.
    #[error("network: {0}")]
    Net(String),
    /// The store's queue is full: back off and retry.
    #[error("busy, try again")]
    Busy,
    /// Something on our side failed (a key file could not be written, an
    /// identity could not be brought online).
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error("storage: {0}")]
    Store(meshchat_store::Error),
    /// The stored password hash is not argon2id: the reference's bcrypt,
    /// which this build cannot check.
    #[error(
        "The stored password was set by another MeshChatX (bcrypt), which this build cannot check. \
         Restart with --reset-password and set a new one."
    )]
    UnsupportedPasswordHash,
    /// Hashing or checking a password failed.
    #[error("{0}")]
    Password(String),
    /// The LXMF router refused or has stopped.
    #[error("router: {0}")]
    Router(#[from] lxmf::driver::DriverError),
}

impl From<meshchat_store::Error> for CoreError {
    fn from(e: meshchat_store::Error) -> Self {
        match e {
            meshchat_store::Error::Busy => CoreError::Busy,
            meshchat_store::Error::InvalidHash(h) => {
                CoreError::InvalidInput(format!("Invalid hash: {h}"))
            }
            e => CoreError::Store(e),
        }
    }
}
