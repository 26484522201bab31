//! Logged-in sessions, kept server-side so they can be revoked: a bounded
//! map from session id to who logged in, when, and under which identity and
//! session epoch. A session is valid only while it is in the map, its
//! identity is the node's and its epoch is the current one; logout removes
//! it, a password change or login toggle bumps the epoch (and clears the
//! map). Kept in memory only: a restart logs everyone out.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// At most this many logged-in sessions; a new login evicts the least
/// recently used beyond it. Only a correct password makes one, so this is
/// not something an anonymous client can fill.
pub const MAX_SESSIONS: usize = 256;
/// A session unused for this long is gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// And any session after this long.
pub const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// One logged-in session.
#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub identity: String,
    pub epoch: u64,
    pub client_ip: String,
    pub user_agent: String,
    pub created_at: f64,
    created: Instant,
    last_seen: Instant,
    pub last_seen_at: f64,
}

#[derive(Debug, Default)]
pub struct Sessions {
    map: HashMap<String, SessionEntry>,
}

pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Sessions {
    /// Adds a session made by a login now.
    pub fn insert(&mut self, sid: String, identity: String, epoch: u64, ip: String, ua: String) {
        let now = Instant::now();
        self.map.retain(|_, e| alive(e, now));
        while self.map.len() >= MAX_SESSIONS {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.map.remove(&oldest);
        }
        let at = unix_now();
        self.map.insert(
            sid,
            SessionEntry {
                identity,
                epoch,
                client_ip: ip,
                user_agent: ua,
                created_at: at,
                created: now,
                last_seen: now,
                last_seen_at: at,
            },
        );
    }

    /// Whether `sid` is a live session of `identity` in `epoch`; touches it.
    /// A session that is not is dropped.
    pub fn check(&mut self, sid: &str, identity: &str, epoch: u64) -> bool {
        let now = Instant::now();
        let ok = self
            .map
            .get(sid)
            .is_some_and(|e| e.identity == identity && e.epoch == epoch && alive(e, now));
        if ok {
            if let Some(e) = self.map.get_mut(sid) {
                e.last_seen = now;
                e.last_seen_at = unix_now();
            }
        } else {
            self.map.remove(sid);
        }
        ok
    }

    pub fn remove(&mut self, sid: &str) -> bool {
        self.map.remove(sid).is_some()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The live sessions of `identity` in `epoch`, with their ids.
    pub fn list(&self, identity: &str, epoch: u64) -> Vec<(String, SessionEntry)> {
        let now = Instant::now();
        let mut v: Vec<_> = self
            .map
            .iter()
            .filter(|(_, e)| e.identity == identity && e.epoch == epoch && alive(e, now))
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        v.sort_by_key(|(_, e)| e.created);
        v
    }
}

fn alive(e: &SessionEntry, now: Instant) -> bool {
    now.duration_since(e.last_seen) < IDLE_TIMEOUT && now.duration_since(e.created) < MAX_AGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_bound_to_identity_and_epoch_and_capped() {
        let mut s = Sessions::default();
        s.insert("a".into(), "id1".into(), 3, "ip".into(), "ua".into());
        assert!(s.check("a", "id1", 3));
        // Another identity (an identity switch) or epoch: revoked for good.
        assert!(!s.check("a", "id2", 3));
        assert!(!s.check("a", "id1", 3));
        s.insert("b".into(), "id1".into(), 3, "ip".into(), "ua".into());
        assert!(!s.check("b", "id1", 4));
        assert!(!s.check("b", "id1", 3));
        for n in 0..MAX_SESSIONS + 10 {
            s.insert(format!("s{n}"), "id1".into(), 3, "ip".into(), "ua".into());
        }
        assert_eq!(s.list("id1", 3).len(), MAX_SESSIONS);
        assert!(!s.check("s0", "id1", 3));
        assert!(s.check(&format!("s{}", MAX_SESSIONS + 9), "id1", 3));
        assert!(s.remove(&format!("s{}", MAX_SESSIONS + 9)));
    }
}
