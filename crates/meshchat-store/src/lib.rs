//! Per-identity SQLite storage: schema, migrations and queries.
//! Knows nothing of HTTP or the network.
//!
//! Owns: the on-disk layout of a storage directory (`StorageDir`:
//! `<storage>/identity`, `<storage>/identities/<identity_hash>/database.db`), the
//! schema of each identity's `database.db` and its versioned migrations
//! (`migrations`), and the queries behind the lists the API serves (`Store`):
//! messages, conversations (summaries, unread counts, pins, folders, search,
//! paging), announces (capped per aspect and in total), favourites, custom
//! display names, blocked destinations, settings, the preferred propagation
//! node, and login attempts and trusted login clients (capped). `StorageLock`
//! keeps a second process out of the directory (`<storage>/.meshchatx.lock`).
//! `StoreHandle` gives async callers one thread per connection and a
//! bounded command queue.
//!
//! `backup` makes and restores archives of an identity's database and files
//! (integrity-checked, staged, zip-slip and zip-bomb safe: `archive`).
//!
//! Does not own: what the rows mean to LXMF (`meshchat-core` builds the fields
//! JSON, picks states and decides what to store), HTTP, or the network.
//!
//! The database is MeshChatX 4.10.7's own (reference `database_version` 59),
//! opened in place: see `docs/architecture.md` ("Storage") for why.

pub mod archive;
pub mod backup;
mod error;
mod handle;
pub mod import;
mod lock;
pub mod migrations;
mod storage_dir;
mod store;

pub use backup::{BackupInfo, Health, RestoreReport};
pub use error::{Error, Result};
pub use handle::{DEFAULT_QUEUE, Reply, StoreHandle};
pub use import::StagedImport;
pub use lock::{LOCK_FILE, LockError, StorageLock};
pub use storage_dir::{StorageDir, is_hash_hex, write_private_file};
pub use store::Store;
pub use store::access::{AccessAttempt, MAX_ACCESS_ATTEMPTS, MAX_TRUSTED_CLIENTS};
pub use store::announces::{Announce, AnnounceCaps, AnnounceQuery, NewAnnounce};
pub use store::contacts::{BlockedDestination, CustomDisplayName, Favourite};
pub use store::conversations::{Conversation, ConversationQuery, Folder};
pub use store::messages::{DeliveryUpdate, InboundOutcome, Message};
pub use store::settings::PREFERRED_PROPAGATION_NODE_KEY;
