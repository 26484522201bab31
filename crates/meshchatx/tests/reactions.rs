//! Message reactions through the real binary, loopback only: the route's
//! answers to bad input, and the exchange with a Python LXMF peer
//! (`tests/interop/peer.py`). A reaction we send reaches the peer as the
//! reference 4.10.7 sends one (empty title and content, fields exactly
//! `{0x40: {0: target hash, 1: emoji as UTF-8 bytes}}`); a reaction the
//! peer sends in that shape is stored as its own row and served with
//! `is_reaction`, `reaction_to`, `reaction_emoji` and `reaction_sender`, as
//! the reference serves it (docs/interop.md, "Reactions").
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::ws::Ws;
use common::{DEADLINE, conversation as messages, poll, start_ready as start, tcp_server_rns_dir};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

const REACTIONS: &str = "/api/v1/lxmf-messages/reactions";

fn find<'a>(list: &'a [Value], key: &str, value: &str) -> Option<&'a Value> {
    list.iter().find(|m| m[key] == value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The REACTION field as the peer's tagged JSON shows what the reference sends.
fn reference_reaction_fields(target: &str, emoji: &str) -> Value {
    json!({"map": [[64, {"map": [[0, {"bin": target}], [1, {"bin": hex(emoji.as_bytes())}]]}]]})
}

#[test]
fn bad_reactions_are_refused_with_json_errors_and_nothing_is_stored() {
    let tmp = TempDir::new("meshchatx-reactions-bad");
    let rns = tcp_server_rns_dir(tmp.path(), free_port());
    let app = start(&rns, &tmp.join("storage"));
    let peer = "ab".repeat(16);
    let target = "cd".repeat(32);
    let ok = |k: &str, v: Value| {
        let mut body =
            json!({"destination_hash": peer, "target_message_hash": target, "emoji": "👍"});
        body[k] = v;
        body
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({}), 422, "empty body"),
        (ok("emoji", json!("")), 422, "empty emoji"),
        (ok("emoji", json!("   ")), 422, "whitespace emoji"),
        (ok("emoji", Value::Null), 422, "null emoji"),
        (
            ok("emoji", json!("x".repeat(17))),
            400,
            "emoji over 16 characters",
        ),
        (ok("emoji", json!(5)), 400, "emoji not a string"),
        (
            ok("target_message_hash", json!(5)),
            400,
            "target not a string",
        ),
        (
            ok("target_message_hash", json!("zz")),
            400,
            "target not hex",
        ),
        (
            ok("target_message_hash", json!("abcd")),
            400,
            "target too short",
        ),
        (
            ok("destination_hash", json!("zz")),
            400,
            "destination not hex",
        ),
        (
            ok("destination_hash", json!(["x"])),
            400,
            "destination a list",
        ),
        (json!([]), 400, "body a list"),
        (ok("emoji", json!("🔥")), 404, "target not a stored message"),
    ];
    for (body, status, what) in cases {
        let res = app.send_json("POST", REACTIONS, &body);
        assert_eq!(
            res.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&res.body)
        );
        let err = res.json();
        for key in ["error", "code", "message"] {
            assert!(err[key].is_string(), "{what}: no {key} in {err}");
        }
    }
    let res = app.send_raw("POST", REACTIONS, "not json");
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["code"], "bad_request");
    assert!(
        messages(&app, &peer).is_empty(),
        "a refused reaction is stored"
    );
    let res = app.send_json("POST", REACTIONS, &json!({}));
    assert_eq!(
        res.json()["message"],
        "destination_hash, target_message_hash, and emoji are required"
    );
    app.terminate();
}

#[test]
fn reactions_travel_both_ways_with_a_python_lxmf_peer_in_the_references_shape() {
    let t0 = Instant::now();
    let tmp = TempDir::new("meshchatx-reactions");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let app = start(&rns, &tmp.join("storage"));
    let our_lxmf = app.get("/api/v1/config").json()["config"]["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = Ws::connect(app.port);

    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let started = peer.call("lxmf_start", json!({"display_name": "Py Bob"}));
    let bob = started["delivery_hash"].as_str().unwrap().to_string();
    poll("the peer's path known", || {
        peer.call("lxmf_announce", json!({}));
        wait_until(Duration::from_secs(2), || {
            app.get(&format!("/api/v1/destination/{bob}/path")).json()["path"].is_object()
        })
        .then_some(())
    });
    // The peer learns our identity and sends the message we react to.
    poll("the peer can address us", || {
        app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(2), || {
            peer.try_call(
                "lxmf_send",
                json!({"destination_hash": our_lxmf, "content": "react to me", "method": "direct"}),
            )
            .is_ok()
        })
        .then_some(())
    });
    let theirs = poll("the peer's message stored", || {
        find(&messages(&app, &bob), "content", "react to me").cloned()
    });
    let theirs_hash = theirs["hash"].as_str().unwrap().to_string();
    assert_eq!(theirs["is_reaction"], false);

    // A message of Bob's conversation is no target in another one.
    let other = "cd".repeat(16);
    let res = app.send_json(
        "POST",
        REACTIONS,
        &json!({"destination_hash": other, "target_message_hash": theirs_hash, "emoji": "👍"}),
    );
    assert_eq!(res.status, 404, "{}", String::from_utf8_lossy(&res.body));
    assert!(messages(&app, &other).is_empty());

    // We react: the answer is the stored reaction row.
    let res = app.send_json(
        "POST",
        REACTIONS,
        &json!({"destination_hash": bob, "target_message_hash": theirs_hash, "emoji": "👍"}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let sent = res.json()["lxmf_message"].clone();
    let sent_hash = sent["hash"].as_str().unwrap().to_string();
    assert_eq!(sent["is_reaction"], true);
    assert_eq!(sent["reaction_to"], theirs_hash.as_str());
    assert_eq!(sent["reaction_emoji"], "👍");
    assert_eq!(sent["reaction_sender"], our_lxmf.as_str());
    assert_eq!(
        sent["fields"],
        json!({"reaction": {"reaction_to": theirs_hash, "reaction_content": "👍"}})
    );
    assert_eq!(sent["method"], "opportunistic");
    assert_eq!(
        (sent["title"].as_str(), sent["content"].as_str()),
        (Some(""), Some(""))
    );

    // The peer gets exactly what the reference sends.
    let got = peer.wait_for("lxmf_message", &[("message_hash", &sent_hash)], DEADLINE);
    assert_eq!(got["title"], "");
    assert_eq!(got["content"], "");
    assert_eq!(got["fields"], reference_reaction_fields(&theirs_hash, "👍"));
    assert!(
        ws.find(|v| v["type"] == "lxmf_message_created"
            && v["lxmf_message"]["hash"] == sent_hash.as_str()
            && v["lxmf_message"]["reaction_emoji"] == "👍")
            .is_some()
    );
    let t_sent = t0.elapsed();

    // The peer reacts to our reaction's target... and to a message of ours.
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct", "lxmf_message": {"destination_hash": bob, "content": "mine"}}),
    );
    let ours_hash = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    peer.wait_for("lxmf_message", &[("message_hash", &ours_hash)], DEADLINE);
    let reply = peer.call(
        "lxmf_send",
        json!({"destination_hash": our_lxmf, "content": "", "method": "direct",
               "fields": reference_reaction_fields(&ours_hash, "🔥")}),
    );
    let their_reaction = reply["message_hash"].as_str().unwrap().to_string();
    let row = poll("the peer's reaction stored", || {
        find(&messages(&app, &bob), "hash", &their_reaction).cloned()
    });
    assert_eq!(row["is_reaction"], true);
    assert_eq!(row["is_incoming"], true);
    assert_eq!(row["reaction_to"], ours_hash.as_str());
    assert_eq!(row["reaction_emoji"], "🔥");
    assert_eq!(row["reaction_sender"], bob.as_str());
    assert_eq!(
        row["fields"],
        json!({"reaction": {"reaction_to": ours_hash, "reaction_content": "🔥"}})
    );
    poll("the peer's reaction pushed", || {
        ws.find(|v| {
            v["type"] == "lxmf.delivery"
                && v["lxmf_message"]["hash"] == their_reaction.as_str()
                && v["lxmf_message"]["reaction_to"] == ours_hash.as_str()
        })
    });
    let convs = app.get("/api/v1/lxmf/conversations").json();
    let conv = find(
        convs["conversations"].as_array().unwrap(),
        "destination_hash",
        &bob,
    )
    .unwrap()
    .clone();
    assert_eq!(conv["latest_message_preview"], "Py Bob reacted");
    // The target itself is unchanged: a reaction is a row of its own.
    let target = find(&messages(&app, &bob), "hash", &ours_hash)
        .cloned()
        .unwrap();
    assert_eq!(target["is_reaction"], false);
    assert_eq!(target["content"], "mine");
    eprintln!(
        "reactions: sent and received by the peer {:?}, peer's reaction shown {:?}",
        t_sent,
        t0.elapsed()
    );
    app.terminate();
}
