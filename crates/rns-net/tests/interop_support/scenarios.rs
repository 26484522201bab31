// One test per scenario for a topology constructor; included by the
// interop_*.rs test files.
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
            fn python_request_burst_all_answered() {
                request_burst(&$make(concat!(stringify!($topo), "-burst")), 200);
            }

            #[test]
            fn ratchets_enforced() {
                ratchets(&$make(concat!(stringify!($topo), "-rat")));
            }
        }
    };
}

