//! Topology (a): our node and the Python reference (`rns==1.5.7`) over one
//! direct TCP connection on 127.0.0.1, with our node as the TCP client and,
//! separately, as the TCP server. Each test runs one scenario (see
//! `interop_support`) on a fresh pair.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop_support::*;

include!("interop_support/scenarios.rs");

scenarios!(ours_tcp_client, Topo::direct_ours_client);
scenarios!(ours_tcp_server, Topo::direct_ours_server);

/// Keepalives both ways: idle links outlive the stale time (one topology:
/// the test waits over 10 s by nature).
#[test]
fn idle_links_survive_on_keepalives() {
    links_survive_idle(&Topo::direct_ours_client("idle"));
}
