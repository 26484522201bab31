//! Password login for the web UI, the parts that are not HTTP: the stored
//! settings (the reference's `config` keys `auth_enabled`,
//! `auth_password_hash`, `auth_session_epoch`), password hashing (argon2id,
//! `auth/password.rs`), the login limits (`auth/gate.rs`), the key that seals
//! session cookies (`<storage>/session_secret`, `auth/secret.rs`), and what
//! the command line changes before the server starts ([`prepare_auth`]).
//! The identity context reads and writes the settings and records attempts
//! (`context/access.rs`); cookies, CSRF and the routes are `meshchat-web`'s.

mod gate;
mod password;
mod secret;

use std::path::Path;

use meshchat_store::{StorageDir, Store};
use rns_crypto::IdentityHash;

use crate::error::CoreError;

pub use gate::{Gate, LOGIN_LIMITS, LoginLimits};
pub use password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, hash_password, verify_password};
pub use secret::{SESSION_SECRET_FILE, SessionKey, random_token};

pub const AUTH_ENABLED_KEY: &str = "auth_enabled";
pub const AUTH_PASSWORD_HASH_KEY: &str = "auth_password_hash";
pub const AUTH_SESSION_EPOCH_KEY: &str = "auth_session_epoch";

/// An identity's login settings.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthSettings {
    /// Whether the API and `/ws` need a logged-in session.
    pub enabled: bool,
    /// The PHC string of the password (argon2id; `$2b$...` if the reference
    /// set it with bcrypt, which this build cannot check).
    pub password_hash: Option<String>,
    /// Bumped on every change that must log everyone out; sessions carry
    /// the epoch they were made in.
    pub session_epoch: u64,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hash itself, so it cannot end up in a log.
        f.debug_struct("AuthSettings")
            .field("enabled", &self.enabled)
            .field("password_set", &self.password_set())
            .field("session_epoch", &self.session_epoch)
            .finish()
    }
}

impl AuthSettings {
    pub fn password_set(&self) -> bool {
        self.password_hash.as_deref().is_some_and(|h| !h.is_empty())
    }

    /// Whether the stored hash is the reference's bcrypt, which this build
    /// cannot verify (`--reset-password` clears it).
    pub fn password_is_bcrypt(&self) -> bool {
        self.password_hash
            .as_deref()
            .is_some_and(password::is_bcrypt)
    }
}

pub(crate) fn read_settings(store: &Store) -> meshchat_store::Result<AuthSettings> {
    Ok(AuthSettings {
        enabled: store
            .setting(AUTH_ENABLED_KEY)?
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        password_hash: store
            .setting(AUTH_PASSWORD_HASH_KEY)?
            .filter(|h| !h.is_empty()),
        session_epoch: store
            .setting(AUTH_SESSION_EPOCH_KEY)?
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    })
}

/// What a change to the settings does; every one of them bumps the epoch.
#[derive(Debug, Clone)]
pub(crate) enum AuthChange {
    Enabled(bool),
    Password(Option<String>),
    Revoke,
}

/// Applies `change` and bumps the session epoch, in one transaction-free
/// sequence on the store thread (nothing else writes these keys).
pub(crate) fn apply_change(
    store: &mut Store,
    change: &AuthChange,
) -> meshchat_store::Result<AuthSettings> {
    match change {
        AuthChange::Enabled(on) => {
            store.set_setting(AUTH_ENABLED_KEY, if *on { "true" } else { "false" })?
        }
        AuthChange::Password(Some(hash)) => store.set_setting(AUTH_PASSWORD_HASH_KEY, hash)?,
        AuthChange::Password(None) => {
            store.remove_setting(AUTH_PASSWORD_HASH_KEY)?;
        }
        AuthChange::Revoke => {}
    }
    let epoch = read_settings(store)?.session_epoch.saturating_add(1);
    store.set_setting(AUTH_SESSION_EPOCH_KEY, &epoch.to_string())?;
    read_settings(store)
}

/// What the command line asks for before the server starts.
#[derive(Debug, Clone, Default)]
pub struct StartupAuth {
    /// `--auth`: turn login on (and keep it on).
    pub enable: bool,
    /// `--reset-password`: forget the password (set it again on first use).
    pub reset_password: bool,
}

/// Applies `startup` to the identity's database (created if new) and returns
/// its login settings. Blocking: call before the runtime serves anything,
/// and before the node opens the same database.
pub fn prepare_auth(
    storage_dir: &Path,
    identity_hash: IdentityHash,
    startup: &StartupAuth,
) -> Result<AuthSettings, CoreError> {
    let mut store = StorageDir::new(storage_dir).open_identity(&identity_hash.to_string())?;
    let mut settings = read_settings(&store)?;
    if startup.reset_password && settings.password_set() {
        settings = apply_change(&mut store, &AuthChange::Password(None))?;
    }
    if startup.enable && !settings.enabled {
        settings = apply_change(&mut store, &AuthChange::Enabled(true))?;
    }
    Ok(settings)
}

/// SHA-256 of a user agent, in hex, as the reference keys trusted clients.
pub fn user_agent_hash(user_agent: &str) -> String {
    use std::fmt::Write;
    rns_crypto::full_hash(user_agent.as_bytes()).iter().fold(
        String::with_capacity(64),
        |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        },
    )
}
