//! The network routes of the real binary, loopback only: paths, ping and
//! probe against a real Python peer (`tests/interop/peer.py`) connected to
//! the binary's TCP server on 127.0.0.1; interface edits (each a listener
//! on 127.0.0.1, so nothing reaches past loopback) checked by connecting to
//! the port they open and close; propagation-node and notification routes;
//! bad input answered with 4xx JSON. Every wait polls with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::{poll, start_ready as start, tcp_server_rns_dir};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

fn text(res: &common::Response) -> String {
    String::from_utf8_lossy(&res.body).into_owned()
}

/// A 4xx JSON error with `code`.
fn assert_error(res: &common::Response, status: u16, code: &str) {
    assert_eq!(res.status, status, "{}", text(res));
    let body = res.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error"].is_string() && body["message"].is_string());
}

#[test]
fn paths_ping_and_probe_against_a_python_peer() {
    let tmp = TempDir::new("net-paths");
    let port = free_port();
    let app = start(&tcp_server_rns_dir(tmp.path(), port), &tmp.join("storage"));
    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let bob = peer.call("lxmf_start", json!({"display_name": "Py Bob"}))["delivery_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let unknown = "ab".repeat(16);

    // No path yet, in the reference's shape.
    let res = app.get(&format!("/api/v1/destination/{unknown}/path"));
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        json!({"path": null, "path_stale": true, "path_unresponsive": false})
    );
    let res = app.send_json(
        "POST",
        &format!("/api/v1/destination/{bob}/request-path"),
        &json!({}),
    );
    assert_eq!(res.json(), json!({"message": "ok"}));

    // The peer announces until we have a path.
    poll("a path to the peer", || {
        peer.call("lxmf_announce", json!({}));
        wait_until(Duration::from_secs(2), || {
            !app.get(&format!("/api/v1/destination/{bob}/path")).json()["path"].is_null()
        })
        .then_some(())
    });
    let p = app.get(&format!("/api/v1/destination/{bob}/path")).json();
    assert_eq!(p["path"]["hops"], 1);
    assert_eq!(p["path"]["next_hop"], bob.as_str());
    assert!(
        p["path"]["next_hop_interface"]
            .as_str()
            .unwrap()
            .starts_with("Loopback TCP")
    );
    assert_eq!(p["path_stale"], false);
    let waited = app.send_json(
        "POST",
        &format!("/api/v1/destination/{bob}/path"),
        &json!({}),
    );
    assert_eq!(waited.json()["path"]["hops"], 1);
    for method in ["GET", "POST"] {
        let t = app
            .send_json(method, "/api/v1/path-table", &json!({}))
            .json();
        let rows = t["path_table"].as_array().unwrap();
        assert_eq!(t["total_count"], rows.len());
        let row = rows.iter().find(|r| r["hash"] == bob.as_str()).unwrap();
        assert_eq!(row["via"], bob.as_str());
        assert_eq!(row["hops"], 1);
        assert!(row["expires"].as_f64().unwrap() > row["timestamp"].as_f64().unwrap());
    }

    // Ping: lxmf.delivery proves what it receives.
    let ping = app.send_json(
        "POST",
        &format!("/api/v1/ping/{bob}/lxmf.delivery"),
        &json!({}),
    );
    assert_eq!(ping.status, 200, "{}", text(&ping));
    let ping = ping.json();
    let rtt = ping["ping_result"]["rtt"].as_f64().unwrap();
    assert!(rtt > 0.0 && rtt < 10.0);
    assert_eq!(ping["ping_result"]["hops_there"], 1);
    assert!(
        ping["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Valid reply from {bob}"))
    );
    eprintln!(
        "ping rtt over loopback TCP to the Python peer: {:.3} ms",
        rtt * 1000.0
    );

    let probe = app.send_json(
        "POST",
        "/api/v1/rnprobe",
        &json!({"destination_hash": bob, "full_name": "lxmf.delivery", "probes": 2, "size": 32}),
    );
    assert_eq!(probe.status, 200, "{}", text(&probe));
    let probe = probe.json();
    assert_eq!(probe["sent"], 2);
    assert_eq!(probe["delivered"], 2);
    assert_eq!(probe["results"][0]["status"], "delivered");
    assert_eq!(probe["results"][0]["size"], 32);

    // Drop the path: gone until the next announce.
    let res = app.send_json(
        "POST",
        &format!("/api/v1/destination/{bob}/drop-path"),
        &json!({}),
    );
    assert_eq!(res.json(), json!({"message": "Path has been dropped"}));
    assert!(app.get(&format!("/api/v1/destination/{bob}/path")).json()["path"].is_null());

    // Bad input: 4xx JSON, never a 500.
    assert_error(&app.get("/api/v1/destination/zz/path"), 400, "bad_request");
    assert_error(
        &app.get(&format!("/api/v1/destination/{}/path", "0".repeat(31))),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", "/api/v1/destination/zz/drop-path", &json!({})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", "/api/v1/destination/xyz/request-path", &json!({})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("/api/v1/destination/{bob}/path"),
            &json!({"timeout": "soon"}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_raw("POST", &format!("/api/v1/destination/{bob}/path"), "{nope"),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", "/api/v1/ping/nothex/lxmf.delivery", &json!({})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", "/api/v1/rnprobe", &json!({})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json(
            "POST",
            "/api/v1/rnprobe",
            &json!({"full_name": "lxmf.delivery", "destination_hash": 5}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json(
            "POST",
            "/api/v1/rnprobe",
            &json!({"full_name": "lxmf.delivery", "destination_hash": bob, "size": 100000}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_raw("POST", "/api/v1/rnprobe", "[1,2]"),
        400,
        "bad_request",
    );
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(1_100_000));
    assert_error(
        &app.send_raw("POST", "/api/v1/rnprobe", &big),
        413,
        "payload_too_large",
    );
    // A destination nobody answers for: the reference's 503, after a short wait.
    let res = app.send_json(
        "POST",
        &format!("/api/v1/ping/{unknown}/lxmf.delivery"),
        &json!({"timeout": 1}),
    );
    assert_error(&res, 503, "unavailable");
    assert!(
        res.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("Ping failed.")
    );
    peer.quit();
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn backups(rns: &Path) -> Vec<String> {
    std::fs::read_dir(rns)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("config.bak-"))
        .collect()
}

#[test]
fn interface_edits_are_saved_safely_and_applied_live() {
    let tmp = TempDir::new("net-ifaces");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let app = start(&rns, &tmp.join("storage"));

    let list = app.get("/api/v1/reticulum/interfaces").json();
    assert_eq!(
        list["interfaces"]["Loopback TCP"]["type"],
        "TCPServerInterface"
    );
    assert_eq!(
        list["interfaces"]["Loopback TCP"]["listen_port"],
        port.to_string()
    );

    // Add a listener on loopback: written, and listening without a restart.
    let extra = free_port();
    let add = json!({"name": "Extra", "type": "TCPServerInterface", "listen_ip": "127.0.0.1", "listen_port": extra});
    let res = app.send_json("POST", "/api/v1/reticulum/interfaces/add", &add);
    assert_eq!(res.status, 200, "{}", text(&res));
    assert_eq!(
        res.json(),
        json!({"message": "Interface has been added", "applied_live": true})
    );
    poll("the added listener", || listening(extra).then_some(()));
    let file = std::fs::read_to_string(rns.join("config")).unwrap();
    assert!(file.contains("[[Extra]]") && file.contains(&format!("listen_port = {extra}")));
    assert_eq!(backups(&rns).len(), 1);
    let list = app.get("/api/v1/reticulum/interfaces").json();
    assert_eq!(list["interfaces"]["Extra"]["interface_enabled"], "true");

    // The same name again is refused; with overwriting it is saved.
    let res = app.send_json("POST", "/api/v1/reticulum/interfaces/add", &add);
    assert_error(&res, 422, "http_422");
    assert_eq!(
        res.json()["error"],
        "Name is already in use by another interface"
    );
    let mut over = add.clone();
    over["allow_overwriting_interface"] = json!(true);
    let res = app.send_json("POST", "/api/v1/reticulum/interfaces/add", &over);
    assert_eq!(res.json()["message"], "Interface has been saved");
    poll("the listener after the update", || {
        listening(extra).then_some(())
    });

    // Disable: the port closes; enable: it opens again.
    let name = json!({"name": "Extra"});
    let res = app.send_json("POST", "/api/v1/reticulum/interfaces/disable", &name);
    assert_eq!(
        res.json(),
        json!({"message": "Interface is now disabled", "applied_live": true})
    );
    poll("the listener to close", || {
        (!listening(extra)).then_some(())
    });
    let res = app.send_json("POST", "/api/v1/reticulum/interfaces/enable", &name);
    assert_eq!(
        res.json(),
        json!({"message": "Interface is now enabled", "applied_live": true})
    );
    poll("the listener to reopen", || listening(extra).then_some(()));

    // Live state: a client of the extra listener shows as its client.
    let _client = TcpStream::connect(("127.0.0.1", extra)).unwrap();
    let stats = poll("the extra listener's client in the stats", || {
        let s = app.get("/api/v1/interface-stats").json();
        let rows = s["interface_stats"]["interfaces"]
            .as_array()
            .unwrap()
            .clone();
        rows.into_iter()
            .find(|r| r["short_name"] == "Extra" && r["clients"] == 1)
    });
    assert_eq!(stats["type"], "TCPServerInterface");
    assert_eq!(stats["status"], true);
    let st = app.get("/api/v1/rnstatus").json();
    let row = st["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["short_name"] == "Loopback TCP")
        .unwrap()
        .clone();
    assert_eq!(row["status"], "Up");
    assert_eq!(row["mode"], "Full");
    assert!(st["totals"]["rx_bytes_str"].is_string());

    // Export and import.
    let res = app.send_json(
        "POST",
        "/api/v1/reticulum/interfaces/export",
        &json!({"selected_interface_names": ["Extra"]}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let exported = text(&res);
    assert!(exported.starts_with("[[Extra]]") && !exported.contains("Loopback TCP"));
    let renamed = exported
        .replace("[[Extra]]", "[[Imported]]")
        .replace(&extra.to_string(), &free_port().to_string());
    let res = app.send_json(
        "POST",
        "/api/v1/reticulum/interfaces/import",
        &json!({"config": renamed}),
    );
    assert_eq!(res.status, 200, "{}", text(&res));
    assert_eq!(res.json()["imported"], json!(["Imported"]));
    let res = app.send_json(
        "POST",
        "/api/v1/reticulum/interfaces/import",
        &json!({"config": renamed}),
    );
    assert_error(&res, 422, "http_422");

    // Delete: gone from the file and the port.
    for n in ["Extra", "Imported"] {
        let res = app.send_json(
            "POST",
            "/api/v1/reticulum/interfaces/delete",
            &json!({"name": n}),
        );
        assert_eq!(
            res.json(),
            json!({"message": "Interface has been deleted", "applied_live": true})
        );
    }
    poll("the deleted listener to close", || {
        (!listening(extra)).then_some(())
    });
    let file = std::fs::read_to_string(rns.join("config")).unwrap();
    assert!(!file.contains("Extra") && file.contains("Loopback TCP"));
    // Every edit kept a copy of the file before it, capped.
    let b = backups(&rns);
    assert!(!b.is_empty() && b.len() <= 5, "{b:?}");

    // Bad input.
    let iface = "/api/v1/reticulum/interfaces";
    assert_error(
        &app.send_json("POST", &format!("{iface}/add"), &json!({})),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/add"),
            &json!({"name": 5, "type": "TCPServerInterface"}),
        ),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/add"),
            &json!({"name": "X", "type": "Bogus"}),
        ),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/add"),
            &json!({"name": "X]", "type": "UDPInterface"}),
        ),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/add"),
            &json!({"name": "X", "type": "TCPServerInterface", "listen_port": [1]}),
        ),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/add"),
            &json!({"name": "X", "type": "TCPServerInterface", "listen_port": "not a port"}),
        ),
        422,
        "http_422",
    );
    for action in ["enable", "disable", "delete"] {
        let res = app.send_json(
            "POST",
            &format!("{iface}/{action}"),
            &json!({"name": "Nope"}),
        );
        assert_error(&res, 404, "not_found");
        assert_eq!(res.json()["error"], "Interface not found");
        assert_error(
            &app.send_raw("POST", &format!("{iface}/{action}"), "{bad"),
            400,
            "bad_request",
        );
        assert_error(
            &app.send_json("POST", &format!("{iface}/{action}"), &json!({})),
            422,
            "http_422",
        );
    }
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/export"),
            &json!({"selected_interface_names": "Extra"}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", &format!("{iface}/import"), &json!({})),
        422,
        "http_422",
    );
    assert_error(
        &app.send_json(
            "POST",
            &format!("{iface}/import"),
            &json!({"config": "no sections here"}),
        ),
        422,
        "http_422",
    );
    // The file still starts the stack: nothing bad was written.
    let file = std::fs::read_to_string(rns.join("config")).unwrap();
    assert!(!file.contains("Bogus") && !file.contains("not a port"));
}

#[test]
fn propagation_and_notification_routes() {
    let tmp = TempDir::new("net-prop");
    let port = free_port();
    let app = start(&tcp_server_rns_dir(tmp.path(), port), &tmp.join("storage"));

    assert_eq!(
        app.get("/api/v1/lxmf/propagation-nodes").json(),
        json!({"lxmf_propagation_nodes": []})
    );
    let st = app.get("/api/v1/lxmf/propagation-node/status").json();
    assert_eq!(st["propagation_node_status"]["state"], "idle");
    let res = app.send_json("POST", "/api/v1/lxmf/propagation-node/sync", &json!({}));
    assert_error(&res, 400, "bad_request");
    assert_eq!(
        res.json()["error"],
        "A propagation node must be configured to sync messages."
    );

    // Select one through the config, as the reference does.
    let node = "cd".repeat(16);
    let key = "lxmf_preferred_propagation_node_destination_hash";
    assert_error(
        &app.send_json("PATCH", "/api/v1/config", &json!({key: "zz"})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("PATCH", "/api/v1/config", &json!({key: 5})),
        400,
        "bad_request",
    );
    let res = app.send_json("PATCH", "/api/v1/config", &json!({key: node}));
    assert_eq!(res.status, 200, "{}", text(&res));
    let st = app.get("/api/v1/lxmf/propagation-node/status").json();
    assert_eq!(st[key], node.as_str());
    // A sync with a node nobody has heard of starts (and asks for a path).
    let res = app.send_json("POST", "/api/v1/lxmf/propagation-node/sync", &json!({}));
    assert_eq!(res.json(), json!({"message": "Sync is starting"}));
    let state =
        app.get("/api/v1/lxmf/propagation-node/status").json()["propagation_node_status"]["state"]
            .clone();
    assert_ne!(state, Value::Null);
    let res = app.send_json(
        "POST",
        "/api/v1/lxmf/propagation-node/stop-sync",
        &json!({}),
    );
    assert_eq!(res.json(), json!({"message": "Sync is stopping"}));
    let st = app.get("/api/v1/lxmf/propagation-node/status").json();
    assert_eq!(st["propagation_node_status"]["state"], "idle");
    let res = app.send_json("PATCH", "/api/v1/config", &json!({key: null}));
    assert_eq!(res.status, 200);
    assert!(app.get("/api/v1/lxmf/propagation-node/status").json()[key].is_null());

    // Notifications: nothing unread yet.
    assert_eq!(
        app.get("/api/v1/notifications").json(),
        json!({"notifications": [], "unread_count": 0, "lxmf_total_unread_count": 0})
    );
    assert_eq!(
        app.get("/api/v1/notifications?unread=true").json()["notifications"],
        json!([])
    );
    let mark = "/api/v1/notifications/mark-as-viewed";
    assert_eq!(
        app.send_json("POST", mark, &json!({})).json(),
        json!({"message": "ok"})
    );
    let res = app.send_json("POST", mark, &json!({"destination_hashes": [node]}));
    assert_eq!(res.json(), json!({"message": "ok"}));
    assert_error(
        &app.send_json("POST", mark, &json!({"destination_hashes": ["zz"]})),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_json("POST", mark, &json!({"destination_hashes": "x"})),
        400,
        "bad_request",
    );
    assert_error(&app.send_raw("POST", mark, "nope"), 400, "bad_request");

    // The OpenAPI document is served and lists these routes.
    let doc = app.get("/api/v1/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/lxmf/propagation-node/sync"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/reticulum/interfaces/add"]["post"].is_object());
}
