//! The crate's error type.

/// What can go wrong opening or using a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Creating a directory or listing the storage directory failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The database was migrated by a newer meshchat-store than this one.
    #[error("database schema version {found} is newer than the {known} this build knows")]
    NewerSchema {
        /// `PRAGMA user_version` found on disk.
        found: u32,
        /// The latest version this build migrates to.
        known: u32,
    },
    /// The reference app's `config.database_version` is not the one whose
    /// schema this build knows (59): opening it could lose or corrupt data.
    #[error("reference database_version {found:?} is not supported (only 59)")]
    UnsupportedReferenceVersion {
        /// The value found in `config`.
        found: String,
    },
    /// A destination or identity hash that is not 32 lowercase hex digits.
    #[error("not a 16-byte lowercase hex hash: {0:?}")]
    InvalidHash(String),
    /// An outbound message with this hash is already stored.
    #[error("a message with hash {0} is already stored")]
    DuplicateMessage(String),
    /// The database failed `PRAGMA quick_check` when it was opened.
    #[error("database failed its integrity check: {0}")]
    Corrupt(String),
    /// A backup archive or restore source was refused (nothing was changed).
    #[error("refused: {0}")]
    BadArchive(String),
    /// Not enough free disk for a restore (nothing was changed).
    #[error("refused: the restore needs {need} bytes free and only {free} are")]
    NoSpace {
        /// Bytes the restore needs, with its margin.
        need: u64,
        /// Bytes free.
        free: u64,
    },
    /// No backup or snapshot of that name.
    #[error("{0}")]
    NotFound(String),
    /// The store thread's command queue is full (the caller should back off).
    #[error("store command queue is full")]
    Busy,
    /// The store thread has stopped.
    #[error("store thread has stopped")]
    Closed,
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
