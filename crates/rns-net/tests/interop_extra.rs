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

fn ours_shared_tcp(name: &str) -> Topo {
    Topo::ours_shared_instance(name, SharedInstance::free_tcp())
}

/// Interop finding 4: a Python responder behind our shared instance checks a
/// LINKIDENTIFY with the instance over RPC (`is_blackholed`); ours serves it,
/// on the abstract socket and on the TCP control port.
#[test]
fn identify_to_python_behind_our_shared_instance() {
    identify_to_python(&ours_shared_unix("ours-shared-ident"));
    identify_to_python(&ours_shared_tcp("ours-shared-tcp-ident"));
}

/// A Python client reads our instance's path table over RPC (`rnpath -t`,
/// `rnstatus` do the same).
#[test]
fn python_reads_our_path_table_over_rpc() {
    for t in [
        ours_shared_unix("ours-shared-rpc"),
        ours_shared_tcp("ours-shared-tcp-rpc"),
    ] {
        let (py_dest, our_dest) = meet(&t, "rpc");
        let table = t.py.call("path_table", serde_json::json!({}));
        let paths = table["paths"].as_array().cloned().unwrap_or_default();
        // The instance's own destinations are local (no path entry); the
        // Python client's is a path of ours, 0 hops away through the socket.
        let entry = paths
            .iter()
            .find(|e| e["hash"] == serde_json::json!(py_dest))
            .unwrap_or_else(|| panic!("no {py_dest} in {table}"));
        assert_eq!(entry["hops"], serde_json::json!(0), "{entry}");
        assert!(
            entry["expires"].as_f64().unwrap_or(0.0) > interop_now(),
            "{entry}"
        );
        assert!(
            !paths
                .iter()
                .any(|e| e["hash"] == serde_json::json!(our_dest.to_hex()))
        );
    }
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

/// Our first-run config means what the reference's does: rns 1.5.7 writes
/// its own when it starts on an empty directory. It runs here inside a new
/// user and network namespace holding only `lo`, so its AutoInterface
/// reaches nothing. Compared as parsed settings (the comments are our own).
#[test]
fn our_default_config_means_what_the_references_does() {
    let dir = interop::TempDir::new("default-config");
    let script = "import os, sys, RNS\nRNS.Reticulum(sys.argv[1], loglevel=0)\nos._exit(0)\n";
    let run = std::process::Command::new("unshare")
        .arg("-rn")
        .arg(interop::python())
        .args(["-c", script])
        .arg(dir.path())
        .output();
    let written = dir.path().join("config");
    match &run {
        Ok(out) if out.status.success() && written.exists() => {}
        _ if std::env::var_os("CI").is_some() => {
            panic!("the reference did not write its default config in a namespace: {run:?}")
        }
        _ => {
            eprintln!("SKIPPED: cannot run the reference in a network namespace: {run:?}");
            return;
        }
    }
    let settings = |mut c: rns_net::config::ReticulumConfig| {
        for i in &mut c.interfaces {
            i.line = 0;
        }
        c
    };
    let theirs = settings(
        rns_net::config::ReticulumConfig::load(dir.path())
            .unwrap()
            .config,
    );
    let ours =
        rns_net::config::ReticulumConfig::parse(&rns_net::config::default_config_text()).unwrap();
    assert!(ours.warnings.is_empty());
    assert_eq!(settings(ours.config), theirs);
}
