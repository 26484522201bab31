//! More shapes: a UDP pair, and our node as the shared instance with the
//! Python peer attached to it as a local client.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop::SharedInstance;
use interop_support::*;

include!("interop_support/scenarios.rs");

fn ours_shared_unix(name: &str) -> Topo {
    Topo::ours_shared_instance(name, SharedInstance::unique_unix())
}

scenarios!(udp_pair, Topo::udp);
scenarios!(ours_shared_instance_unix, ours_shared_unix);

/// Known gap: a Python responder behind our shared instance cannot accept
/// LINKIDENTIFY, because the reference client checks the identity with its
/// instance over the RPC control plane, which our instance does not serve yet
/// (docs/interop.md, "Interop findings").
#[test]
#[ignore = "our shared instance has no RPC control plane yet"]
fn identify_to_python_behind_our_shared_instance() {
    identify_to_python(&ours_shared_unix("ours-shared-ident"));
}

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

relay_scenarios!(
    python_clients_of_our_shared_instance,
    interop_support::relay::TransportTopo::ours_shared_instance
);
