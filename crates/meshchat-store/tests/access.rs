//! Login bookkeeping on a real file: attempts counted by IP and window,
//! failures by identity + IP, paging, the caps on both tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TempDir, open};
use meshchat_store::{AccessAttempt, MAX_ACCESS_ATTEMPTS, MAX_TRUSTED_CLIENTS};

const ME: &str = "00000000000000000000000000000001";
const OTHER: &str = "00000000000000000000000000000002";

fn attempt(ip: &str, identity: &str, outcome: &str, at: f64) -> AccessAttempt {
    AccessAttempt {
        created_at: at,
        identity_hash: identity.into(),
        client_ip: ip.into(),
        user_agent: Some("ua/1".into()),
        user_agent_hash: "ab".repeat(32),
        path: "/api/v1/auth/login".into(),
        method: "POST".into(),
        outcome: outcome.into(),
        detail: None,
        ..Default::default()
    }
}

#[test]
fn attempts_are_counted_by_ip_and_window_and_failures_by_identity_too() {
    let dir = TempDir::new("access-count");
    let mut store = open(&dir);
    for (ip, id, outcome, at) in [
        ("10.0.0.1", ME, "failed_password", 100.0),
        ("10.0.0.1", ME, "failed_password", 200.0),
        ("10.0.0.1", ME, "invalid_json", 200.0),
        ("10.0.0.1", OTHER, "failed_password", 200.0),
        ("10.0.0.1", ME, "success", 300.0),
        ("10.0.0.2", ME, "failed_password", 300.0),
    ] {
        store
            .record_access_attempt(&attempt(ip, id, outcome, at))
            .unwrap();
    }
    assert_eq!(store.attempts_since("10.0.0.1", 0.0).unwrap(), 5);
    assert_eq!(store.attempts_since("10.0.0.1", 200.0).unwrap(), 4);
    assert_eq!(store.attempts_since("10.0.0.9", 0.0).unwrap(), 0);
    assert_eq!(store.failures_since(ME, "10.0.0.1", 0.0).unwrap(), 2);
    assert_eq!(store.failures_since(ME, "10.0.0.1", 150.0).unwrap(), 1);
    assert_eq!(store.failures_since(OTHER, "10.0.0.1", 0.0).unwrap(), 1);

    let (page, total) = store.access_attempts(2, 1).unwrap();
    assert_eq!(total, 6);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].outcome, "success");
    assert_eq!(page[0].user_agent.as_deref(), Some("ua/1"));
    assert!(page[0].id > page[1].id);
}

#[test]
fn trusted_clients_are_remembered_per_identity_and_capped() {
    let dir = TempDir::new("access-trust");
    let mut store = open(&dir);
    assert!(!store.is_trusted_client(ME, "1.2.3.4", "h").unwrap());
    store.trust_client(ME, "1.2.3.4", "h", 1.0).unwrap();
    store.trust_client(ME, "1.2.3.4", "h", 2.0).unwrap();
    assert!(store.is_trusted_client(ME, "1.2.3.4", "h").unwrap());
    assert!(!store.is_trusted_client(OTHER, "1.2.3.4", "h").unwrap());
    assert!(!store.is_trusted_client(ME, "1.2.3.4", "other").unwrap());
    for n in 0..MAX_TRUSTED_CLIENTS + 5 {
        store
            .trust_client(ME, &format!("10.0.0.{n}"), "h", 10.0 + n as f64)
            .unwrap();
    }
    let count: i64 = store
        .connection()
        .query_row("SELECT COUNT(*) FROM trusted_login_clients", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(count, MAX_TRUSTED_CLIENTS);
    // The oldest went first.
    assert!(!store.is_trusted_client(ME, "1.2.3.4", "h").unwrap());
}

#[test]
fn the_attempts_table_stays_bounded() {
    let dir = TempDir::new("access-cap");
    let mut store = open(&dir);
    let n = MAX_ACCESS_ATTEMPTS + 200;
    store.connection().execute_batch("BEGIN").unwrap();
    for i in 0..n {
        store
            .record_access_attempt(&attempt("10.0.0.1", ME, "rate_limited", i as f64))
            .unwrap();
    }
    store.connection().execute_batch("COMMIT").unwrap();
    let (_, total) = store.access_attempts(1, 0).unwrap();
    assert!(total as i64 <= MAX_ACCESS_ATTEMPTS + 64, "{total}");
    assert!(total as i64 >= MAX_ACCESS_ATTEMPTS, "{total}");
}
