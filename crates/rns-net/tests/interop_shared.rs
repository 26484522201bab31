//! Topology (b): our node and a Python peer are both clients of a Python
//! `rnsd` shared instance (loopback only): once on the abstract Unix socket
//! `@rns/<unique name>`, once with `shared_instance_type = tcp`; and our node
//! behind an `rnsd` whose TCP server the Python peer is a client of.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop::SharedInstance;
use interop_support::*;

include!("interop_support/scenarios.rs");

fn unix(name: &str) -> Topo {
    Topo::shared(name, SharedInstance::unique_unix())
}

fn tcp(name: &str) -> Topo {
    Topo::shared(name, SharedInstance::free_tcp())
}

scenarios!(rnsd_unix_socket, unix);
scenarios!(rnsd_tcp_socket, tcp);
scenarios!(rnsd_with_python_on_its_tcp_server, Topo::shared_with_uplink);
