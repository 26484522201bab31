//! Topology (a): our node and the Python reference (`rns==1.5.7`) over one
//! direct TCP connection on 127.0.0.1, with our node as the TCP client and,
//! separately, as the TCP server. Each test runs one scenario (see
//! `interop_support`) on a fresh pair.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod interop_support;

use interop_support::*;

macro_rules! scenarios {
    ($topo:ident, $make:expr) => {
        mod $topo {
            use super::*;

            #[test]
            fn announces_both_ways() {
                announces(&$make(concat!(stringify!($topo), "-ann")));
            }

            #[test]
            fn path_requests_both_ways() {
                path_requests(&$make(concat!(stringify!($topo), "-path")));
            }

            #[test]
            fn packets_with_proofs_both_ways() {
                packets(&$make(concat!(stringify!($topo), "-pkt")));
            }

            #[test]
            fn links_we_initiate() {
                interop_support::links_we_initiate(&$make(concat!(stringify!($topo), "-lnk")));
            }

            #[test]
            fn links_python_initiates() {
                interop_support::links_python_initiates(&$make(concat!(stringify!($topo), "-plk")));
            }

            #[test]
            fn ratchets_enforced() {
                ratchets(&$make(concat!(stringify!($topo), "-rat")));
            }
        }
    };
}

scenarios!(ours_tcp_client, Topo::direct_ours_client);
scenarios!(ours_tcp_server, Topo::direct_ours_server);
