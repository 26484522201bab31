//! Login, sessions and CSRF for the API (the reference's routes and JSON):
//! the shared [`Auth`] state, the cookie, the middleware (`auth/guard.rs`:
//! who is logged in, what needs it, the CSRF check on every mutating
//! request), the routes (`auth/handlers.rs`) and the logged-in sessions
//! (`auth/sessions.rs`). Passwords, login limits and the cookie key are
//! `meshchat-core`'s ([`meshchat_core::auth`]).
//!
//! The cookie holds only a session id and that session's CSRF token,
//! sealed (encrypted and authenticated) with the storage directory's key:
//! it cannot be read or forged, and by itself logs no one in; the server's
//! session map decides that.

mod client;
mod guard;
mod handlers;
mod sessions;

use std::sync::{Mutex, PoisonError, RwLock};

use meshchat_core::auth::{AuthSettings, SessionKey, random_token};
use tokio::sync::watch;

pub(crate) use client::{Client, ClientAddr};
pub(crate) use guard::guard;
pub(crate) use handlers::routes;
pub use sessions::MAX_SESSIONS;
use sessions::Sessions;

/// The session cookie (ours; the reference's `AIOHTTP_SESSION` is sealed
/// with another format, so it is not read).
pub const COOKIE_NAME: &str = "mcx_session";
/// The header the CSRF token must come in on every mutating request.
pub const CSRF_HEADER: &str = "x-csrf-token";
const CLAIMS_VERSION: &str = "v1";

/// What the binary hands the web layer about logins.
#[derive(Debug)]
pub struct AuthConfig {
    /// Seals the session cookies.
    pub key: SessionKey,
    /// The identity's settings as they stand at start.
    pub settings: AuthSettings,
    /// `--auth` was given: login stays on (the API refuses to turn it off).
    pub forced: bool,
}

impl AuthConfig {
    /// Login off, a key that lives as long as the process (tests, tools).
    pub fn ephemeral() -> Self {
        AuthConfig {
            key: SessionKey::random(),
            settings: AuthSettings::default(),
            forced: false,
        }
    }
}

/// The login state every request consults.
#[derive(Debug)]
pub struct Auth {
    key: SessionKey,
    settings: RwLock<AuthSettings>,
    forced: bool,
    sessions: Mutex<Sessions>,
    /// One login, setup or password change at a time: the lockout counts
    /// stay exact under concurrent guesses, and only one argon2 hash (19 MiB)
    /// is computed at once.
    pub(crate) attempt_lock: tokio::sync::Mutex<()>,
    /// Bumped on every revocation, so open WebSockets re-check their session.
    revoked: watch::Sender<u64>,
}

/// The session a request came with (put in its extensions by the guard).
#[derive(Debug, Clone)]
pub(crate) struct RequestSession {
    pub sid: String,
    pub csrf: String,
    pub authenticated: bool,
}

impl Auth {
    pub fn new(config: AuthConfig) -> Self {
        Auth {
            key: config.key,
            settings: RwLock::new(config.settings),
            forced: config.forced,
            sessions: Mutex::new(Sessions::default()),
            attempt_lock: tokio::sync::Mutex::new(()),
            revoked: watch::channel(0).0,
        }
    }

    pub fn settings(&self) -> AuthSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn forced(&self) -> bool {
        self.forced
    }

    /// Takes new settings (after a change was stored); a new epoch logs
    /// everyone out.
    pub fn set_settings(&self, settings: AuthSettings) {
        let epoch_changed = {
            let mut cur = self
                .settings
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let changed = cur.session_epoch != settings.session_epoch;
            *cur = settings;
            changed
        };
        if epoch_changed {
            self.revoke_all();
        }
    }

    /// Logs every session out (an identity switch calls this too).
    pub fn revoke_all(&self) {
        self.sessions().clear();
        self.revoked.send_modify(|n| *n += 1);
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `sid` is logged in to `identity` now.
    pub(crate) fn is_logged_in(&self, sid: &str, identity: &str) -> bool {
        let epoch = self.settings().session_epoch;
        self.sessions().check(sid, identity, epoch)
    }

    pub(crate) fn watch_revocations(&self) -> watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    /// Whether a socket opened with session `sid` may stay open: login is
    /// off, or the session is still logged in.
    pub(crate) fn may_stay(&self, sid: Option<&str>, identity: &str) -> bool {
        !self.settings().enabled || sid.is_some_and(|sid| self.is_logged_in(sid, identity))
    }

    /// The session in a cookie value, if we sealed it.
    fn open_cookie(&self, value: &str) -> Option<(String, String)> {
        let plain = self.key.open(value)?;
        let text = String::from_utf8(plain).ok()?;
        let mut parts = text.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(CLAIMS_VERSION), Some(sid), Some(csrf), None)
                if !sid.is_empty() && !csrf.is_empty() =>
            {
                Some((sid.to_owned(), csrf.to_owned()))
            }
            _ => None,
        }
    }

    /// A fresh session id and CSRF token, and the cookie value holding them.
    pub(crate) fn mint(&self) -> (RequestSession, String) {
        let sid = random_token();
        let csrf = random_token();
        let value = self
            .key
            .seal(format!("{CLAIMS_VERSION}:{sid}:{csrf}").as_bytes());
        (
            RequestSession {
                sid,
                csrf,
                authenticated: false,
            },
            value,
        )
    }

    /// A new logged-in session for a client (a fresh id and CSRF token, so
    /// none from before the login carries over).
    pub(crate) fn login(&self, identity: String, client: &Client) -> (RequestSession, String) {
        let (mut session, cookie) = self.mint();
        let epoch = self.settings().session_epoch;
        self.sessions().insert(
            session.sid.clone(),
            identity,
            epoch,
            client.ip.clone(),
            client.user_agent.clone(),
        );
        session.authenticated = true;
        (session, cookie)
    }

    pub(crate) fn logout(&self, sid: &str) {
        if self.sessions().remove(sid) {
            self.revoked.send_modify(|n| *n += 1);
        }
    }

    pub(crate) fn list_sessions(&self, identity: &str) -> Vec<(String, sessions::SessionEntry)> {
        let epoch = self.settings().session_epoch;
        self.sessions().list(identity, epoch)
    }
}

/// `Set-Cookie` for a session cookie; `Secure` under HTTPS; no `Max-Age`,
/// so it ends with the browser session (the server ends it sooner).
pub(crate) fn set_cookie(value: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// `Set-Cookie` that removes it.
pub(crate) fn clear_cookie(https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// Compares without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
