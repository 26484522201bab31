//! Topology (c): multi-hop. Our node as an endpoint behind a chain of two
//! Python transport nodes (`rnsd`, enable_transport), and our node as the
//! transport node between Python peers.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop_support::*;

include!("interop_support/scenarios.rs");

scenarios!(
    ours_via_two_python_transports,
    Topo::chain_of_python_transports
);
