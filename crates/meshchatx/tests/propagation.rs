//! Propagation through the app's routes and a real `lxmd` (the pinned
//! `lxmf` 1.2.1), loopback only: lxmd's Reticulum is a transport node with a
//! TCP server on 127.0.0.1, and the binary and a Python LXMF peer are its TCP
//! clients. We choose the node and turn on auto-sync with one `PATCH
//! /api/v1/config`, and the app syncs by itself at once (`last_synced_at`
//! appears); the peer sends us a message through the node, we sync with
//! `POST .../propagation-node/sync` until it arrives (stored as propagated,
//! shown in the conversation), and a second sync takes nothing twice.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{DEADLINE, Running, conversation, lxmf_peer, poll, start_with_rns};
use interop::{Lxmd, RnsConfig, TempDir, free_port, wait_until};
use rns_crypto::{OsRng, PrivateIdentity, destination_hash, name_hash};
use serde_json::{Value, json};

fn config(app: &Running) -> Value {
    app.get("/api/v1/config").json()["config"].clone()
}

fn sync_status(app: &Running) -> Value {
    app.get("/api/v1/lxmf/propagation-node/status").json()["propagation_node_status"].clone()
}

/// Starts a sync and waits for its outcome (`complete` or `failed`).
fn sync_once(app: &Running) -> Value {
    let res = app.send_json("POST", "/api/v1/lxmf/propagation-node/sync", &json!({}));
    assert!(
        res.status == 200 || res.status == 409,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    poll("the sync's outcome", || {
        let s = sync_status(app);
        matches!(s["state"].as_str(), Some("complete" | "failed")).then_some(s)
    })
}

#[test]
fn a_message_through_lxmd_arrives_by_sync_and_auto_sync_runs_by_itself() {
    let tmp = TempDir::new("meshchatx-propagation");
    let port = free_port();
    let node_identity = PrivateIdentity::generate(&mut OsRng);
    let node =
        destination_hash(&name_hash("lxmf.propagation"), Some(&node_identity.hash())).to_string();
    let lxmd = Lxmd::spawn(
        &tmp.join("node"),
        RnsConfig::new(tmp.join("node").join("rns"))
            .transport(true)
            .ingress_control(false)
            .tcp_server(port),
        &node_identity.to_private_bytes()[..],
    );
    let ours = RnsConfig::new(tmp.join("ours")).tcp_client(port).write();
    let storage = tmp.join("storage");
    let app = start_with_rns(
        ours.dir(),
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    app.wait_ready();
    let me = config(&app)["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let (peer, bob) = lxmf_peer(
        RnsConfig::new(tmp.join("py")).tcp_client(port),
        json!({"display_name": "Py Bob"}),
    );
    peer.call(
        "lxmf_set_propagation_node",
        json!({"destination_hash": node}),
    );

    // No node chosen: a sync is refused and says why.
    let res = app.send_json("POST", "/api/v1/lxmf/propagation-node/sync", &json!({}));
    assert_eq!(res.status, 400);
    let c = config(&app);
    assert_eq!(
        c["lxmf_preferred_propagation_node_auto_sync_interval_seconds"],
        0
    );
    assert!(c["lxmf_preferred_propagation_node_last_synced_at"].is_null());
    let res = app.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"lxmf_preferred_propagation_node_auto_sync_interval_seconds": "often"}),
    );
    assert_eq!(res.status, 400);

    // The node chosen and auto-sync on (under a minute is a minute) in one
    // PATCH: the app syncs by itself at once; nothing was synced by hand.
    let res = app.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"lxmf_preferred_propagation_node_destination_hash": node,
                "lxmf_preferred_propagation_node_auto_sync_interval_seconds": 10}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let c = res.json()["config"].clone();
    assert_eq!(
        c["lxmf_preferred_propagation_node_destination_hash"],
        node.as_str()
    );
    assert_eq!(
        c["lxmf_preferred_propagation_node_auto_sync_interval_seconds"],
        60
    );
    // Room for one failed first attempt (no path yet) and the retry a
    // minute later.
    let automatic = wait_until(Duration::from_secs(150), || {
        config(&app)["lxmf_preferred_propagation_node_last_synced_at"].is_number()
    });
    assert!(
        automatic,
        "no automatic sync: {}\n{}",
        sync_status(&app),
        lxmd.log_tail()
    );

    // The peer must know us to encrypt to us: it hears our announce.
    poll("the peer knowing our address", || {
        let _ = app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(3), || {
            peer.call("has_path", json!({"destination_hash": me}))["has_path"] == true
        })
        .then_some(())
    });
    let sent = peer.call(
        "lxmf_send",
        json!({"destination_hash": me, "content": "via the node", "method": "propagated"}),
    );
    let hash = sent["message_hash"].as_str().unwrap().to_string();
    let t = Instant::now();
    let mut outcomes = Vec::new();
    let arrived = || {
        conversation(&app, &bob)
            .iter()
            .any(|m| m["hash"] == hash.as_str())
    };
    while !arrived() {
        assert!(
            t.elapsed() < DEADLINE,
            "never synced the peer's message: {outcomes:#?}\n{}",
            lxmd.log_tail()
        );
        outcomes.push(sync_once(&app));
        // The upload may still be on its way: a moment before asking again.
        wait_until(Duration::from_secs(1), arrived);
    }
    eprintln!(
        "python -> lxmd -> app: after {:?} ({} syncs)",
        t.elapsed(),
        outcomes.len()
    );
    let got = conversation(&app, &bob)
        .into_iter()
        .find(|m| m["hash"] == hash.as_str())
        .unwrap();
    assert_eq!(got["content"], "via the node");
    assert_eq!(got["method"], "propagated", "{got}");
    assert_eq!(got["is_incoming"], true);
    let last = outcomes.last().unwrap();
    assert_eq!(last["state"], "complete", "{last}");
    // Again by hand: nothing new, nothing twice.
    let again = sync_once(&app);
    assert_eq!(
        (again["state"].as_str(), again["messages_received"].as_u64()),
        (Some("complete"), Some(0))
    );
    let copies = conversation(&app, &bob)
        .iter()
        .filter(|m| m["hash"] == hash.as_str())
        .count();
    assert_eq!(copies, 1);

    assert!(app.terminate().success());
}
