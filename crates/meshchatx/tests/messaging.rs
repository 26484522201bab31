//! The messaging API of the real binary against a real Python LXMF peer
//! (`lxmf` 1.2.1 on `rns` 1.5.7, `tests/interop/peer.py`), loopback only:
//! the binary's Reticulum config has one TCP server on 127.0.0.1 and the
//! peer connects to it as a TCP client. The peer's announce is listed; a
//! message sent through the API is stored before the answer and reaches
//! `delivered`; the peer's reply is stored and pushed over `/ws`; a blocked
//! sender's message is not stored; a restart keeps everything. And the
//! same exchange with the binary and the peer both clients of a Python
//! `rnsd` shared instance.
//!
//! Every wait polls with a generous deadline; nothing sleeps a fixed time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::ws::Ws;
use common::{
    DEADLINE, Running, conversation as messages, lxmf_peer, poll, start_ready as start,
    tcp_server_rns_dir, wait_announce_listed,
};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

fn find<'a>(list: &'a [Value], key: &str, value: &str) -> Option<&'a Value> {
    list.iter().find(|m| m[key] == value)
}

#[test]
fn messages_announces_and_blocks_against_a_python_lxmf_peer_survive_a_restart() {
    let t0 = Instant::now();
    let tmp = TempDir::new("meshchatx-messaging");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start(&rns, &storage);
    let config = app.get("/api/v1/config").json()["config"].clone();
    let our_lxmf = config["lxmf_address_hash"].as_str().unwrap().to_string();
    let ws = Ws::connect(app.port);

    // Our display name, persisted in the settings.
    let res = app.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"display_name": "Rust Alice"}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["config"]["display_name"], "Rust Alice");
    let res = app.send_json("PATCH", "/api/v1/config", &json!({"display_name": 5}));
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["code"], "bad_request");

    // The Python peer joins over TCP and announces until we list it.
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let started = peer.call("lxmf_start", json!({"display_name": "Py Bob"}));
    let bob = started["delivery_hash"].as_str().unwrap().to_string();
    poll("the peer's announce in the list", || {
        peer.call("lxmf_announce", json!({}));
        let seen = wait_until(Duration::from_secs(2), || {
            let list = app.get("/api/v1/announces?aspect=lxmf.delivery").json();
            find(
                list["announces"].as_array().unwrap(),
                "destination_hash",
                &bob,
            )
            .is_some()
        });
        seen.then_some(())
    });
    let list = app
        .get(&format!("/api/v1/announces?search={}&limit=10", &bob[..10]))
        .json();
    assert_eq!(list["total_count"], 1);
    let a = &list["announces"][0];
    assert_eq!(a["display_name"], "Py Bob");
    assert_eq!(a["aspect"], "lxmf.delivery");
    assert_eq!(a["identity_hash"], started["identity_hash"]);
    let none = app.get("/api/v1/announces?aspect=nomadnetwork.node").json();
    assert_eq!(none["total_count"], 0);
    assert!(
        ws.find(|v| v["type"] == "announce" && v["announce"]["destination_hash"] == bob)
            .is_some()
    );
    let t_announce = t0.elapsed();

    // Send: stored before the answer, then delivered.
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct",
                "lxmf_message": {"destination_hash": bob, "content": "hello Bob, from Rust", "title": "hi"}}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let sent = res.json()["lxmf_message"].clone();
    let hash = sent["hash"].as_str().unwrap().to_string();
    assert!(
        sent["id"].as_i64().unwrap() > 0,
        "the answer is the stored row: {sent}"
    );
    assert_eq!(sent["is_incoming"], false);
    assert!(find(&messages(&app, &bob), "hash", &hash).is_some());
    let got = peer.wait_for("lxmf_message", &[("message_hash", &hash)], DEADLINE);
    assert_eq!(got["content"], "hello Bob, from Rust");
    assert_eq!(got["source_hash"], our_lxmf.as_str());
    poll("our message delivered", || {
        find(&messages(&app, &bob), "hash", &hash)
            .filter(|m| m["state"] == "delivered" && m["progress"] == 100.0)
            .map(|_| ())
    });
    poll("the pushes of our message", || {
        ws.find(|v| {
            v["type"] == "lxmf_message_state_updated"
                && v["lxmf_message"]["hash"] == hash.as_str()
                && v["lxmf_message"]["state"] == "delivered"
        })
    });
    assert!(
        ws.find(
            |v| v["type"] == "lxmf_message_created" && v["lxmf_message"]["hash"] == hash.as_str()
        )
        .is_some()
    );
    let t_sent = t0.elapsed();

    // The peer learns our identity from our announce and replies.
    poll("the peer can address us", || {
        app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(2), || {
            peer.try_call("lxmf_send", json!({"destination_hash": our_lxmf, "content": "hi Rust, Bob here", "method": "direct"})).is_ok()
        })
        .then_some(())
    });
    poll("our announce pushed", || {
        ws.find(|v| v["type"] == "announced")
    });
    // Our announce carries the display name set through the API.
    let ours = peer.wait_for("announce", &[("destination_hash", &our_lxmf)], DEADLINE);
    let name_hex: String = "Rust Alice".bytes().map(|b| format!("{b:02x}")).collect();
    assert!(
        ours["app_data"].as_str().unwrap().contains(&name_hex),
        "{ours}"
    );
    let inbound = poll("the reply stored", || {
        find(&messages(&app, &bob), "content", "hi Rust, Bob here").cloned()
    });
    assert_eq!(inbound["is_incoming"], true);
    assert_eq!(inbound["source_hash"], bob.as_str());
    poll("the reply pushed", || {
        ws.find(|v| {
            v["type"] == "lxmf.delivery" && v["lxmf_message"]["content"] == "hi Rust, Bob here"
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
    assert_eq!(conv["display_name"], "Py Bob");
    assert_eq!(conv["is_unread"], true);
    assert_eq!(conv["latest_message_preview"], "hi Rust, Bob here");
    let res = app.send_json(
        "POST",
        &format!("/api/v1/lxmf/conversations/{bob}/mark-as-read"),
        &json!({}),
    );
    assert_eq!(res.json()["message"], "ok");
    let convs = app.get("/api/v1/lxmf/conversations").json();
    assert_eq!(convs["conversations"][0]["is_unread"], false);
    let t_reply = t0.elapsed();

    // Blocked: the peer's message is proved (it reached our router) but not stored.
    let res = app.send_json(
        "POST",
        "/api/v1/blocked-destinations",
        &json!({"destination_hash": bob}),
    );
    assert_eq!(res.status, 200);
    poll("the block pushed", || {
        ws.find(|v| {
            v["type"] == "blocked_destinations"
                && v["blocked_destinations"][0]["destination_hash"] == bob.as_str()
        })
    });
    let blocked = peer.call(
        "lxmf_send",
        json!({"destination_hash": our_lxmf, "content": "blocked words", "method": "direct"}),
    );
    let blocked_hash = blocked["message_hash"].as_str().unwrap().to_string();
    peer.wait_for(
        "lxmf_delivered",
        &[("message_hash", &blocked_hash)],
        DEADLINE,
    );
    assert!(find(&messages(&app, &bob), "hash", &blocked_hash).is_none());
    assert!(
        ws.find(|v| v["lxmf_message"]["hash"] == blocked_hash.as_str())
            .is_none()
    );

    // Favourites and custom names.
    let res = app.send_json(
        "POST",
        "/api/v1/favourites/add",
        &json!({"destination_hash": bob, "display_name": "Bob (fav)", "aspect": "lxmf.delivery"}),
    );
    assert_eq!(res.json()["message"], "Favourite has been added!");
    let res = app.send_json(
        "POST",
        &format!("/api/v1/destination/{bob}/custom-display-name/update"),
        &json!({"display_name": "Bobby"}),
    );
    assert_eq!(res.status, 200);

    // Bad bodies are clear 4xx JSON errors.
    let res = app.send_raw("POST", "/api/v1/lxmf-messages/send", "{nope");
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (400, json!("bad_request"))
    );
    let res = app.send_json("POST", "/api/v1/lxmf-messages/send", &json!({}));
    assert_eq!(res.json()["error"], "lxmf_message is required");
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"lxmf_message": {"destination_hash": "zz", "content": "x"}}),
    );
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (400, json!("send_failed"))
    );
    // Nothing is stored for a recipient we never heard an announce from.
    let nobody = "11".repeat(16);
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"lxmf_message": {"destination_hash": nobody, "content": "x"}}),
    );
    assert_eq!(
        (res.status, res.json()["code"].clone()),
        (400, json!("send_failed"))
    );
    assert!(messages(&app, &nobody).is_empty());
    let res = app.send_json(
        "POST",
        "/api/v1/favourites/add",
        &json!({"destination_hash": bob}),
    );
    assert_eq!(res.status, 422);
    let res = app.send_json(
        "POST",
        "/api/v1/blocked-destinations",
        &json!({"destination_hash": "nothex"}),
    );
    assert_eq!(res.json()["error"], "Invalid destination hash");

    // A restart on the same storage keeps everything (it is all in database.db).
    let db = storage
        .join("identities")
        .join(config["identity_hash"].as_str().unwrap())
        .join("database.db");
    assert!(db.is_file());
    assert_eq!(app.terminate().code(), Some(0));
    let app = start(&rns, &storage);
    let t_restart = t0.elapsed();
    assert_eq!(
        app.get("/api/v1/config").json()["config"]["display_name"],
        "Rust Alice"
    );
    let list = messages(&app, &bob);
    assert_eq!(find(&list, "hash", &hash).unwrap()["state"], "delivered");
    // Paging: newest first, `limit` per page, `before_id` for the next.
    let newest = &list[0];
    let page = app
        .get(&format!("/api/v1/lxmf-messages/conversation/{bob}?limit=1"))
        .json();
    assert_eq!(page["lxmf_messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["lxmf_messages"][0]["id"], newest["id"]);
    let older = app
        .get(&format!(
            "/api/v1/lxmf-messages/conversation/{bob}?limit=1&before_id={}",
            newest["id"]
        ))
        .json();
    assert_eq!(older["lxmf_messages"][0]["id"], list[1]["id"]);
    assert!(find(&list, "content", "hi Rust, Bob here").is_some());
    assert_eq!(list.len(), 2, "{list:?}");
    let announces = app.get("/api/v1/announces").json();
    assert!(
        find(
            announces["announces"].as_array().unwrap(),
            "destination_hash",
            &bob
        )
        .is_some()
    );
    let blocked = app.get("/api/v1/blocked-destinations").json();
    assert_eq!(
        blocked["blocked_destinations"][0]["destination_hash"],
        bob.as_str()
    );
    let favs = app.get("/api/v1/favourites").json();
    assert_eq!(favs["favourites"][0]["display_name"], "Bob (fav)");
    let name = app
        .get(&format!("/api/v1/destination/{bob}/custom-display-name"))
        .json();
    assert_eq!(name["custom_display_name"], "Bobby");
    let convs = app.get("/api/v1/lxmf/conversations").json();
    assert_eq!(convs["conversations"][0]["custom_display_name"], "Bobby");

    assert_eq!(
        app.delete(&format!("/api/v1/blocked-destinations/{bob}"))
            .status,
        200
    );

    // With the peer gone a message waits; it can be cancelled and resent,
    // always on its one row.
    peer.quit();
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"lxmf_message": {"destination_hash": bob, "content": "are you there?"}}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let waiting = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app.send_json(
        "POST",
        &format!("/api/v1/lxmf-messages/{waiting}/cancel"),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let row = find(&messages(&app, &bob), "hash", &waiting)
        .unwrap()
        .clone();
    assert_eq!(row["state"], "cancelled");
    let res = app.send_json(
        "POST",
        &format!("/api/v1/lxmf-messages/{waiting}/resend"),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let resent = res.json()["lxmf_message"].clone();
    assert_eq!(resent["id"], row["id"]);
    assert_ne!(resent["state"], "cancelled");
    let res = app.send_json(
        "POST",
        &format!("/api/v1/lxmf-messages/{waiting}/resend"),
        &json!({}),
    );
    assert_eq!(res.status, 400, "only finished messages are resent");
    let res = app.send_json(
        "POST",
        &format!("/api/v1/lxmf-messages/{waiting}/cancel"),
        &json!({}),
    );
    assert_eq!(res.status, 200);
    let list = messages(&app, &bob);
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(find(&list, "hash", &waiting).unwrap()["state"], "cancelled");
    assert_eq!(app.terminate().code(), Some(0));
    eprintln!(
        "timings: announce listed {t_announce:?}, sent+delivered {t_sent:?}, reply stored {t_reply:?}, restarted {t_restart:?}, total {:?}",
        t0.elapsed()
    );
}

/// The end-to-end exchange through a Python `rnsd`: the binary and the
/// Python LXMF peer are both clients of its shared instance (an abstract
/// Unix socket, nothing else). A message sent through the API is delivered,
/// and the peer's reply arrives over `/ws` and in the conversation API.
#[test]
fn send_and_reply_through_a_python_rnsd_shared_instance() {
    let tmp = TempDir::new("meshchatx-messaging-rnsd");
    let instance = interop::SharedInstance::unique_unix();
    let _rnsd = interop::Rnsd::spawn(&RnsConfig::new(tmp.join("rnsd")).shared(instance.clone()));
    let app_rns = RnsConfig::shared_client(tmp.join("app-rns"), &instance).write();
    let app = start(app_rns.dir(), &tmp.join("storage"));
    let status = app.get("/api/v1/status").json();
    assert_eq!(status["stage"], "ready", "{status}");
    let our_lxmf = app.get("/api/v1/config").json()["config"]["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = Ws::connect(app.port);

    let (peer, bob) = lxmf_peer(
        RnsConfig::shared_client(tmp.join("py"), &instance),
        json!({"display_name": "Py Bob"}),
    );
    wait_announce_listed(&app, &peer, &bob);

    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct",
                "lxmf_message": {"destination_hash": bob, "content": "via rnsd", "title": ""}}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let hash = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let got = peer.wait_for("lxmf_message", &[("message_hash", &hash)], DEADLINE);
    assert_eq!(got["content"], "via rnsd");
    poll("our message delivered", || {
        find(&messages(&app, &bob), "hash", &hash)
            .filter(|m| m["state"] == "delivered")
            .map(|_| ())
    });

    poll("the peer can address us", || {
        app.send_json("POST", "/api/v1/announce", &json!({}));
        wait_until(Duration::from_secs(2), || {
            peer.try_call(
                "lxmf_send",
                json!({"destination_hash": our_lxmf, "content": "reply via rnsd", "method": "direct"}),
            )
            .is_ok()
        })
        .then_some(())
    });
    poll("the reply pushed", || {
        ws.find(|v| {
            v["type"] == "lxmf.delivery" && v["lxmf_message"]["content"] == "reply via rnsd"
        })
    });
    let stored = find(&messages(&app, &bob), "content", "reply via rnsd").cloned();
    assert_eq!(stored.unwrap()["is_incoming"], true);
    let convs = app.get("/api/v1/lxmf/conversations").json();
    let conv = find(
        convs["conversations"].as_array().unwrap(),
        "destination_hash",
        &bob,
    )
    .unwrap()
    .clone();
    assert_eq!(conv["latest_message_preview"], "reply via rnsd");

    // Delivery diagnostics: the peer is known and reachable; a stranger is
    // neither, and says why; a malformed hash is 400.
    let diag = app
        .get(&format!("/api/v1/destination/{bob}/delivery-diagnostics"))
        .json();
    assert_eq!(diag["peer_announce"]["known"], true, "{diag}");
    assert_eq!(diag["path"]["has_path"], true, "{diag}");
    assert!(diag["failure_hint"].is_null(), "{diag}");
    assert!(diag["self"]["last_announced_at"].is_number(), "{diag}");
    let stranger = app
        .get(&format!(
            "/api/v1/destination/{}/delivery-diagnostics",
            "ef".repeat(16)
        ))
        .json();
    assert_eq!(stranger["peer_announce"]["known"], false);
    assert!(stranger["failure_hint"].is_string());
    let bad = app.get("/api/v1/destination/zz/delivery-diagnostics");
    assert_eq!(bad.status, 400);
    organize_the_conversation(&app, &bob);
}

/// Pins, folders and the bulk actions on a conversation with messages, and
/// their bad input.
fn organize_the_conversation(app: &Running, bob: &str) {
    let conv = |app: &Running| {
        let list = app.get("/api/v1/lxmf/conversations").json();
        find(
            list["conversations"].as_array().unwrap(),
            "destination_hash",
            bob,
        )
        .cloned()
    };
    let post = |path: &str, body: Value| app.send_json("POST", path, &body);

    let res = post(
        "/api/v1/lxmf/conversation-pins/toggle",
        json!({"destination_hash": bob}),
    );
    assert_eq!(res.json()["pinned"], true);
    assert_eq!(res.json()["peer_hashes"], json!([bob]));
    assert_eq!(conv(app).unwrap()["is_pinned"], true);
    assert_eq!(
        app.get("/api/v1/lxmf/conversation-pins").json()["peer_hashes"],
        json!([bob])
    );

    assert_eq!(
        post("/api/v1/lxmf/folders", json!({"name": "Work"})).status,
        200
    );
    assert_eq!(
        post("/api/v1/lxmf/folders", json!({"name": "Work"})).status,
        409
    );
    let folders = app.get("/api/v1/lxmf/folders").json();
    let id = folders[0]["id"].as_i64().unwrap();
    assert_eq!(folders[0]["name"], "Work");
    let res = app.send_json(
        "PATCH",
        &format!("/api/v1/lxmf/folders/{id}"),
        &json!({"name": "Job"}),
    );
    assert_eq!(res.status, 200);
    let res = post(
        "/api/v1/lxmf/conversations/move-to-folder",
        json!({"peer_hashes": [bob], "folder_id": id}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(conv(app).unwrap()["folder_id"], id);
    let in_folder = app
        .get(&format!("/api/v1/lxmf/conversations?folder_id={id}"))
        .json();
    assert_eq!(in_folder["conversations"].as_array().unwrap().len(), 1);

    assert_eq!(conv(app).unwrap()["is_unread"], true);
    let res = post(
        "/api/v1/lxmf/conversations/bulk-mark-as-read",
        json!({"destination_hashes": [bob]}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(conv(app).unwrap()["is_unread"], false);

    // Bad input: 4xx JSON, nothing changed.
    for (method, path, body, status) in [
        (
            "POST",
            "/api/v1/lxmf/conversation-pins/toggle",
            json!({}),
            400,
        ),
        (
            "POST",
            "/api/v1/lxmf/conversation-pins/toggle",
            json!({"destination_hash": "zz"}),
            400,
        ),
        ("POST", "/api/v1/lxmf/folders", json!({"name": ""}), 400),
        ("POST", "/api/v1/lxmf/folders", json!({"name": 5}), 400),
        (
            "PATCH",
            "/api/v1/lxmf/folders/999",
            json!({"name": "X"}),
            404,
        ),
        (
            "PATCH",
            "/api/v1/lxmf/folders/abc",
            json!({"name": "X"}),
            400,
        ),
        ("DELETE", "/api/v1/lxmf/folders/999", Value::Null, 404),
        (
            "POST",
            "/api/v1/lxmf/conversations/move-to-folder",
            json!({"peer_hashes": [bob], "folder_id": 999}),
            404,
        ),
        (
            "POST",
            "/api/v1/lxmf/conversations/move-to-folder",
            json!({"destination_hashes": [bob]}),
            400,
        ),
        (
            "POST",
            "/api/v1/lxmf/conversations/bulk-delete",
            json!({"destination_hashes": ["nothex"]}),
            400,
        ),
        (
            "POST",
            "/api/v1/lxmf/conversations/bulk-delete",
            json!({"destination_hashes": "x"}),
            400,
        ),
    ] {
        let res = if method == "DELETE" {
            app.delete(path)
        } else {
            app.send_json(method, path, &body)
        };
        assert_eq!(res.status, status, "{method} {path} {body}");
        assert!(res.json()["code"].is_string(), "{method} {path}");
    }
    assert!(conv(app).is_some());

    assert_eq!(
        app.delete(&format!("/api/v1/lxmf/folders/{id}")).status,
        200
    );
    assert!(conv(app).unwrap()["folder_id"].is_null());
    let res = post(
        "/api/v1/lxmf/conversations/bulk-delete",
        json!({"destination_hashes": [bob]}),
    );
    assert_eq!(res.status, 200);
    assert!(conv(app).is_none());
    assert!(messages(app, bob).is_empty());
}

/// A peer we heard announce stays sendable after the binary is killed with
/// SIGKILL (the network stack's memory of it, saved every few minutes, is
/// lost; the announce we stored is not): right after the restart, before
/// the peer announces again or has even reconnected, a send is accepted,
/// and delivered once the peer is back (a path is asked for every few
/// seconds, not a link request sent blind into a minutes-long timeout).
#[test]
fn a_peer_heard_before_a_kill_9_is_sendable_at_once_after_the_restart() {
    let tmp = TempDir::new("meshchatx-recall");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let app = start(&rns, &storage);
    let (peer, bob) = lxmf_peer(
        RnsConfig::new(tmp.join("py")).tcp_client(port),
        json!({"display_name": "Py Bob"}),
    );
    wait_announce_listed(&app, &peer, &bob);
    let pid = app.pid().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    app.wait_exit();

    let app = start(&rns, &storage);
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf-messages/send",
        &json!({"delivery_method": "direct",
                "lxmf_message": {"destination_hash": bob, "content": "still know you"}}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let hash = res.json()["lxmf_message"]["hash"]
        .as_str()
        .unwrap()
        .to_string();
    peer.wait_for("lxmf_message", &[("message_hash", &hash)], DEADLINE);
    assert!(app.terminate().success());
}
