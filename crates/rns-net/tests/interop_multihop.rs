//! Topology (c): multi-hop. Our node as an endpoint behind a chain of two
//! Python transport nodes (`rnsd`, enable_transport), and our node as the
//! transport node between Python peers.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop_support::relay::TransportTopo;
use interop_support::*;

include!("interop_support/scenarios.rs");

scenarios!(
    ours_via_two_python_transports,
    Topo::chain_of_python_transports
);

scenarios!(
    ours_as_transport_via_python_transport,
    Topo::ours_transport_via_python_transport
);

macro_rules! relay_scenarios {
    ($topo:ident, $make:expr) => {
        mod $topo {
            use super::*;
            use interop_support::relay::*;

            #[test]
            fn announces_cross_our_node() {
                relay_announces(&$make(concat!(stringify!($topo), "-ann")));
            }

            #[test]
            fn path_request_answered_from_our_cache() {
                relay_path_request(&$make(concat!(stringify!($topo), "-path")));
            }

            #[test]
            fn packets_and_proofs_cross_our_node() {
                relay_packets(&$make(concat!(stringify!($topo), "-pkt")));
            }

            #[test]
            fn links_cross_our_node() {
                relay_links(&$make(concat!(stringify!($topo), "-lnk")));
            }

            #[test]
            fn ratcheted_packet_crosses_our_node() {
                relay_ratchets(&$make(concat!(stringify!($topo), "-rat")));
            }
        }
    };
}

relay_scenarios!(python_ours_python, TransportTopo::ours_between);
relay_scenarios!(
    python_ours_pytransport_python,
    TransportTopo::ours_then_python_transport
);
