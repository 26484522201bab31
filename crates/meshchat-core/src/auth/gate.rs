//! The login limits: how many attempts an IP may make per minute, and when
//! wrong passwords lock it out. Pure: the counts come from the store.

/// The limits on attempts at a login or password setup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoginLimits {
    /// Attempts per [`rate_window_secs`](Self::rate_window_secs) from one IP.
    pub per_window: u32,
    /// The same for a client that logged in before (IP + user agent).
    pub per_window_trusted: u32,
    pub rate_window_secs: f64,
    /// Wrong passwords from one IP within [`failure_window_secs`](Self::failure_window_secs)
    /// that lock it out, trusted or not.
    pub max_failures: u32,
    pub failure_window_secs: f64,
}

/// The reference's numbers: 20 attempts a minute (120 for a trusted
/// client), locked out after 5 wrong passwords in 15 minutes. Unlike the
/// reference, the lockout applies to trusted clients too: a fingerprint is
/// only an IP and a user agent, both of which an attacker can share or copy.
pub const LOGIN_LIMITS: LoginLimits = LoginLimits {
    per_window: 20,
    per_window_trusted: 120,
    rate_window_secs: 60.0,
    max_failures: 5,
    failure_window_secs: 900.0,
};

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Allowed,
    /// Too many attempts this minute (outcome `rate_limited`).
    RateLimited,
    /// Too many wrong passwords lately (outcome `lockout`).
    LockedOut,
}

impl LoginLimits {
    /// `attempts`: attempts from the IP in the rate window (before this
    /// one); `failures`: wrong passwords from it in the failure window.
    pub fn decide(&self, trusted: bool, attempts: u32, failures: u32) -> Gate {
        if failures >= self.max_failures {
            return Gate::LockedOut;
        }
        let cap = if trusted {
            self.per_window_trusted
        } else {
            self.per_window
        };
        if attempts >= cap {
            Gate::RateLimited
        } else {
            Gate::Allowed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lockout_holds_for_trusted_clients_and_only_the_rate_differs() {
        let l = LOGIN_LIMITS;
        assert_eq!(l.decide(false, 0, 0), Gate::Allowed);
        assert_eq!(l.decide(false, 19, 4), Gate::Allowed);
        assert_eq!(l.decide(false, 20, 0), Gate::RateLimited);
        assert_eq!(l.decide(true, 20, 0), Gate::Allowed);
        assert_eq!(l.decide(true, 119, 0), Gate::Allowed);
        assert_eq!(l.decide(true, 120, 0), Gate::RateLimited);
        assert_eq!(l.decide(false, 0, 5), Gate::LockedOut);
        assert_eq!(l.decide(true, 0, 5), Gate::LockedOut);
        assert_eq!(l.decide(true, 500, 9), Gate::LockedOut);
    }
}
