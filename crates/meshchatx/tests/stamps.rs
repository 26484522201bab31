//! The inbound stamp cost (`lxmf_inbound_stamp_cost`, the reference's config
//! key) through the real binary and a Python LXMF peer (`lxmf` 1.2.1) over
//! loopback TCP: set with `PATCH /api/v1/config` (bad values are 400 and
//! change nothing), announced at once so the reference's router records it
//! for us, met by the reference's sender (its message arrives), and kept
//! across a restart.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    DEADLINE, Running, conversation, lxmf_peer, poll, start_ready as start, tcp_server_rns_dir,
};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

fn stamp_cost_in_config(app: &Running) -> Value {
    app.get("/api/v1/config").json()["config"]["lxmf_inbound_stamp_cost"].clone()
}

/// Polls until the peer's LXMF router has recorded `expected` as our stamp
/// cost, asking for our announce again now and then.
fn wait_recorded(app: &Running, peer: &PyPeer, ours: &str, expected: u64) {
    poll(
        &format!("the reference recording stamp cost {expected}"),
        || {
            let recorded = wait_until(Duration::from_secs(3), || {
                let r = peer.call("lxmf_stamp_cost", json!({"destination_hash": ours}));
                r["stamp_cost"] == expected
            });
            if !recorded {
                // An announce can be lost while the link comes up: send another.
                let _ = app.send_json("POST", "/api/v1/announce", &json!({}));
            }
            recorded.then_some(())
        },
    );
}

#[test]
fn the_inbound_stamp_cost_is_announced_met_by_the_reference_and_kept() {
    let tmp = TempDir::new("meshchatx-stamps");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start(&rns, &storage);
    let ours = app.get("/api/v1/config").json()["config"]["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stamp_cost_in_config(&app), 0);
    for bad in [json!(255), json!(-1), json!("8"), json!(1.5), json!(null)] {
        let res = app.send_json(
            "PATCH",
            "/api/v1/config",
            &json!({"lxmf_inbound_stamp_cost": bad}),
        );
        assert_eq!(
            res.status,
            400,
            "{bad}: {}",
            String::from_utf8_lossy(&res.body)
        );
        assert_eq!(res.json()["code"], "bad_request");
    }
    assert_eq!(stamp_cost_in_config(&app), 0);

    let (peer, bob) = lxmf_peer(
        RnsConfig::new(tmp.join("py")).tcp_client(port),
        json!({"display_name": "Py Bob"}),
    );
    let res = app.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"lxmf_inbound_stamp_cost": 8}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["config"]["lxmf_inbound_stamp_cost"], 8);
    wait_recorded(&app, &peer, &ours, 8);

    // The reference's sender knows the cost, makes the stamp and gets through.
    let sent = peer.call(
        "lxmf_send",
        json!({"destination_hash": ours, "content": "stamped hello", "method": "direct"}),
    );
    let hash = sent["message_hash"].as_str().unwrap().to_string();
    poll("the stamped message stored", || {
        conversation(&app, &bob)
            .iter()
            .any(|m| m["hash"] == hash.as_str())
            .then_some(())
    });
    peer.wait_for("lxmf_delivered", &[("message_hash", &hash)], DEADLINE);

    // Kept across a restart, and announced again with it.
    assert!(app.terminate().success());
    let app = start(&rns, &storage);
    assert_eq!(stamp_cost_in_config(&app), 8);
    let res = app.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"lxmf_inbound_stamp_cost": 0}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(stamp_cost_in_config(&app), 0);
    peer.wait_online(1);
    assert!(app.terminate().success());
}
