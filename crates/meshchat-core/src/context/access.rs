//! The identity's login settings and attempts: read and changed on the
//! store thread, every change bumping the session epoch (so it logs
//! everyone out), attempts checked against [`LOGIN_LIMITS`] and recorded.

use meshchat_store::AccessAttempt;

use super::IdentityContext;
use crate::auth::{self, AuthChange, AuthSettings, Gate, LOGIN_LIMITS};
use crate::error::CoreError;

impl IdentityContext {
    pub async fn auth_settings(&self) -> Result<AuthSettings, CoreError> {
        self.store(|s| auth::read_settings(s)).await
    }

    /// Turns login on or off; logs every session out.
    pub async fn set_auth_enabled(&self, on: bool) -> Result<AuthSettings, CoreError> {
        self.change_auth(AuthChange::Enabled(on)).await
    }

    /// Stores a new password hash (or forgets it); logs every session out.
    pub async fn set_password_hash(&self, hash: Option<String>) -> Result<AuthSettings, CoreError> {
        self.change_auth(AuthChange::Password(hash)).await
    }

    /// Logs every session out.
    pub async fn revoke_sessions(&self) -> Result<AuthSettings, CoreError> {
        self.change_auth(AuthChange::Revoke).await
    }

    async fn change_auth(&self, change: AuthChange) -> Result<AuthSettings, CoreError> {
        self.store_reliably(move |s| auth::apply_change(s, &change))
            .await
    }

    /// Whether an attempt from this client may go ahead now (`now`: Unix seconds).
    pub async fn login_gate(
        &self,
        client_ip: String,
        user_agent_hash: String,
        now: f64,
    ) -> Result<Gate, CoreError> {
        let id = self.identity_hash().to_string();
        let l = LOGIN_LIMITS;
        self.store(move |s| {
            let trusted = s.is_trusted_client(&id, &client_ip, &user_agent_hash)?;
            let attempts = s.attempts_since(&client_ip, now - l.rate_window_secs)?;
            let failures = s.failures_since(&id, &client_ip, now - l.failure_window_secs)?;
            Ok(l.decide(trusted, attempts, failures))
        })
        .await
    }

    /// Records an attempt for this identity (its `identity_hash` is ours).
    /// Waits for room in the store's queue: a lost failure would be a free guess.
    pub async fn record_access_attempt(&self, mut attempt: AccessAttempt) -> Result<(), CoreError> {
        attempt.identity_hash = self.identity_hash().to_string();
        self.store_reliably(move |s| s.record_access_attempt(&attempt).map(|_| ()))
            .await
    }

    /// Remembers a client that just logged in.
    pub async fn trust_client(
        &self,
        client_ip: String,
        user_agent_hash: String,
        now: f64,
    ) -> Result<(), CoreError> {
        let id = self.identity_hash().to_string();
        self.store_reliably(move |s| s.trust_client(&id, &client_ip, &user_agent_hash, now))
            .await
    }

    /// The newest attempts first, and the total.
    pub async fn access_attempts(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<AccessAttempt>, u64), CoreError> {
        self.store(move |s| s.access_attempts(limit, offset)).await
    }
}
