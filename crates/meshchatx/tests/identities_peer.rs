//! Two identities online at once in the real binary, against a real Python
//! LXMF peer (`lxmf` 1.2.1, `tests/interop/peer.py`), loopback only (the
//! binary's Reticulum config has one TCP server on 127.0.0.1; the peer is its
//! TCP client). The peer sends to both identities at the same time; both
//! receive; through the HTTP API each identity (after switching) sees only
//! its own conversation, and `/ws` never pushes the other identity's
//! messages. Messages sent while the active identity is being switched back
//! and forth are all stored, each with its own identity. A message sent
//! from the second identity leaves with its own source.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::ws::Ws;
use common::{DEADLINE, Running, poll, start_with_rns, tcp_server_rns_dir};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

fn contents(app: &Running, peer: &str) -> Vec<String> {
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/conversation/{peer}?limit=100"
    ));
    assert_eq!(res.status, 200);
    res.json()["lxmf_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

fn conversations(app: &Running) -> Vec<Value> {
    let res = app.get("/api/v1/lxmf/conversations");
    assert_eq!(res.status, 200);
    res.json()["conversations"].as_array().unwrap().clone()
}

fn switch(app: &Running, hash: &str) {
    let res = app.send_json(
        "POST",
        "/api/v1/identities/switch",
        &json!({"identity_hash": hash}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
}

fn send_from_peer(peer: &PyPeer, to: &str, content: &str) -> String {
    let sent = peer.call(
        "lxmf_send",
        json!({"destination_hash": to, "content": content, "method": "direct"}),
    );
    sent["message_hash"].as_str().unwrap().to_string()
}

#[test]
fn two_identities_receive_from_a_python_peer_at_once_and_never_see_each_others_data() {
    let tmp = TempDir::new("meshchatx-identities-peer");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start_with_rns(
        &rns,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    app.wait_ready();
    let ws = Ws::connect(app.port);
    let config = app.get("/api/v1/config").json()["config"].clone();
    let a = config["identity_hash"].as_str().unwrap().to_string();
    let a_lxmf = config["lxmf_address_hash"].as_str().unwrap().to_string();
    let created = app.send_json(
        "POST",
        "/api/v1/identities/create",
        &json!({"display_name": "Second"}),
    );
    let b = created.json()["identity"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let b_lxmf = app
        .get(&format!("/api/v1/identity/{b}/lxmf-address"))
        .json()["lxmf_address"]
        .as_str()
        .unwrap()
        .to_string();

    // The peer joins and is heard.
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let started = peer.call("lxmf_start", json!({"display_name": "Py Carol"}));
    let carol = started["delivery_hash"].as_str().unwrap().to_string();
    poll("the peer's announce", || {
        peer.call("lxmf_announce", json!({}));
        wait_until(Duration::from_secs(2), || {
            app.get("/api/v1/announces?aspect=lxmf.delivery").json()["announces"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["destination_hash"] == carol.as_str())
        })
        .then_some(())
    });
    // The peer hears both identities' announces (each announced while active).
    for (id, lxmf) in [(&b, &b_lxmf), (&a, &a_lxmf)] {
        switch(&app, id);
        poll("the peer hears our announce", || {
            app.send_json("POST", "/api/v1/announce", &json!({}));
            wait_until(Duration::from_secs(2), || {
                peer.has_event("announce", &[("destination_hash", lxmf)])
            })
            .then_some(())
        });
    }

    // The peer sends to both at once; both deliveries are proved.
    let t = Instant::now();
    let to_a = send_from_peer(&peer, &a_lxmf, "for A only");
    let to_b = send_from_peer(&peer, &b_lxmf, "for B only");
    for hash in [&to_a, &to_b] {
        peer.wait_for("lxmf_delivered", &[("message_hash", hash)], DEADLINE);
    }
    let both_delivered = t.elapsed();

    // A (active) sees its message only.
    poll("A's message stored", || {
        contents(&app, &carol)
            .contains(&"for A only".to_string())
            .then_some(())
    });
    assert_eq!(contents(&app, &carol), vec!["for A only".to_string()]);
    let convs = conversations(&app);
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["latest_message_preview"], "for A only");
    poll("A's message pushed", || {
        ws.find(|v| v["type"] == "lxmf.delivery" && v["lxmf_message"]["hash"] == to_a.as_str())
    });

    // Switch to B: B's message was stored while A was active, and only it shows.
    switch(&app, &b);
    assert_eq!(
        app.get("/api/v1/config").json()["config"]["identity_hash"],
        b.as_str()
    );
    poll("B's message stored", || {
        contents(&app, &carol)
            .contains(&"for B only".to_string())
            .then_some(())
    });
    assert_eq!(contents(&app, &carol), vec!["for B only".to_string()]);
    let convs = conversations(&app);
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["latest_message_preview"], "for B only");
    // B's message arrived while A was active: never pushed.
    assert!(
        ws.find(|v| v.to_string().contains(&to_b)).is_none(),
        "B's message was pushed while A was active"
    );

    // B sends through the API: it leaves from B's delivery destination.
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct",
                "lxmf_message": {"destination_hash": carol, "content": "from B", "title": ""}}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let sent = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let got = peer.wait_for("lxmf_message", &[("message_hash", &sent)], DEADLINE);
    assert_eq!(got["source_hash"], b_lxmf.as_str());

    // Messages sent while the active identity flips back and forth are all
    // kept, each by its own identity.
    let mut expected_a = vec!["for A only".to_string()];
    let mut expected_b = vec!["for B only".to_string(), "from B".to_string()];
    let mut hashes = Vec::new();
    for i in 0..3 {
        let (to_a, to_b) = (format!("A{i}"), format!("B{i}"));
        hashes.push(send_from_peer(&peer, &a_lxmf, &to_a));
        switch(&app, if i % 2 == 0 { &a } else { &b });
        hashes.push(send_from_peer(&peer, &b_lxmf, &to_b));
        switch(&app, if i % 2 == 0 { &b } else { &a });
        expected_a.push(to_a);
        expected_b.push(to_b);
    }
    for hash in &hashes {
        peer.wait_for("lxmf_delivered", &[("message_hash", hash)], DEADLINE);
    }
    for (id, expected) in [(&a, &expected_a), (&b, &expected_b)] {
        switch(&app, id);
        let mut got = poll("every message stored", || {
            let got = contents(&app, &carol);
            (got.len() >= expected.len()).then_some(got)
        });
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(&got, &want, "identity {id}");
    }
    eprintln!("both concurrent messages delivered in {both_delivered:?}");
    peer.quit();
    assert!(app.terminate().success());
}
