//! Crash durability of the real binary: messages are sent both ways with a
//! real Python LXMF peer (`lxmf` 1.2.1, loopback TCP only) while the binary
//! is killed with SIGKILL at random moments, then restarted. At the end,
//! every message the API accepted (answered 200) and every message the
//! peer saw proved (its `lxmf_delivered`) is stored, and the database
//! passes `PRAGMA integrity_check` (`/api/v1/database/health` and
//! `--self-check`). A graceful stop (SIGTERM) leaves no WAL behind.
//!
//! The seed of the kill times is printed; `MESHCHATX_CRASH_SEED` replays it.
//! Every wait polls with a generous deadline; nothing sleeps a fixed time
//! for correctness (the short sleeps only pace the traffic).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Running, poll, start_with_rns, tcp_server_rns_dir};
use interop::{PyPeer, RnsConfig, TempDir, free_port, wait_until};
use serde_json::{Value, json};

/// Kill rounds, each after a random 0.4-2.4 s of traffic.
const ROUNDS: u32 = 3;

fn start(rns: &Path, storage: &Path) -> Running {
    let running = start_with_rns(
        rns,
        &[
            "--no-https",
            "--storage-dir",
            storage.to_str().unwrap(),
            "--backup-interval",
            "0",
        ],
    );
    running.wait_ready();
    running
}

/// A send through the API that tolerates the process dying mid-request:
/// `Some(hash)` only for a 200 answer.
fn try_send(port: u16, headers: &str, to: &str, content: &str) -> Option<String> {
    let body = json!({"delivery_method": "opportunistic",
        "lxmf_message": {"destination_hash": to, "content": content}})
    .to_string();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let raw = format!(
        "POST /api/v1/lxmf-messages/send HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         User-Agent: meshchatx-tests/1\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(raw.as_bytes()).ok()?;
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out);
    if !text.starts_with("HTTP/1.1 200") {
        return None;
    }
    let json: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1)?).ok()?;
    json["lxmf_message"]["hash"].as_str().map(str::to_owned)
}

/// xorshift64*: the kill times, reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn stored_hashes(app: &Running, peer: &str) -> BTreeSet<String> {
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/conversation/{peer}?limit=1000"
    ));
    assert_eq!(res.status, 200);
    res.json()["lxmf_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["hash"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn accepted_and_proved_messages_survive_sigkill_at_random_moments() {
    let t0 = Instant::now();
    let seed = std::env::var("MESHCHATX_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("MESHCHATX_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = TempDir::new("meshchatx-crash");
    let port = free_port();
    let rns = tcp_server_rns_dir(tmp.path(), port);
    let storage = tmp.join("storage");
    let mut app = start(&rns, &storage);
    let ours = app.get("/api/v1/config").json()["config"]["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_string();

    let peer = PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_client(port).write());
    peer.wait_online(1);
    let bob = peer.call("lxmf_start", json!({"display_name": "Py Bob"}))["delivery_hash"]
        .as_str()
        .unwrap()
        .to_string();

    let mut accepted: BTreeSet<String> = BTreeSet::new();
    let mut peer_sent: BTreeSet<String> = BTreeSet::new();
    let mut n = 0u32;
    for round in 0..=ROUNDS {
        // Both sides can address each other (again, after a restart).
        let headers = app.csrf_headers();
        let warm_up = std::time::Instant::now();
        poll("our first accepted send", || {
            if warm_up.elapsed() > Duration::from_secs(45) {
                // Rarely seen on a loaded machine: say what both sides saw.
                let lines = app.lines.lock().unwrap().clone();
                eprintln!(
                    "no send accepted after {:?}; app log:\n{}\npeer: {}\n{}",
                    warm_up.elapsed(),
                    lines[lines.len().saturating_sub(40)..].join("\n"),
                    peer.call("status", json!({})),
                    peer.stderr_tail()
                );
            }
            peer.call("lxmf_announce", json!({}));
            // Also ask for a path: its answer carries the peer's announce
            // too, should the announce itself not get through.
            app.send_json(
                "POST",
                &format!("/api/v1/destination/{bob}/request-path"),
                &json!({}),
            );
            wait_until(Duration::from_secs(3), || {
                n += 1;
                try_send(app.port, &headers, &bob, &format!("warm-up {n}"))
                    .map(|h| accepted.insert(h))
                    .is_some()
            })
            .then_some(())
        });
        poll("the peer can address us", || {
            app.send_json("POST", "/api/v1/announce", &json!({}));
            wait_until(Duration::from_secs(3), || {
                n += 1;
                peer.try_call(
                    "lxmf_send",
                    json!({"destination_hash": ours, "content": format!("from bob {n}"), "method": "opportunistic"}),
                )
                .map(|r| peer_sent.insert(r["message_hash"].as_str().unwrap().to_owned()))
                .is_ok()
            })
            .then_some(())
        });
        if round == ROUNDS {
            break;
        }
        // Traffic both ways until a killer thread SIGKILLs the binary.
        let after = Duration::from_millis(400 + rng.next() % 2000);
        let dead = Arc::new(AtomicBool::new(false));
        let killer = {
            let (pid, dead) = (app.pid(), dead.clone());
            std::thread::spawn(move || {
                std::thread::sleep(after);
                let ok = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .unwrap()
                    .success();
                dead.store(true, Ordering::SeqCst);
                ok
            })
        };
        let (a0, p0) = (accepted.len(), peer_sent.len());
        while !dead.load(Ordering::SeqCst) {
            n += 1;
            if let Some(h) = try_send(app.port, &headers, &bob, &format!("to bob {n}")) {
                accepted.insert(h);
            }
            if let Ok(r) = peer.try_call(
                "lxmf_send",
                json!({"destination_hash": ours, "content": format!("from bob {n}"), "method": "opportunistic"}),
            ) {
                peer_sent.insert(r["message_hash"].as_str().unwrap().to_owned());
            }
            std::thread::sleep(Duration::from_millis(15));
        }
        assert!(killer.join().unwrap(), "SIGKILL failed");
        let status = app.wait_exit();
        println!(
            "round {round}: killed after {after:?} ({status}); +{} accepted, +{} sent by the peer",
            accepted.len() - a0,
            peer_sent.len() - p0
        );
        app = start(&rns, &storage);
    }

    // Give the peer's in-flight messages time to be proved (or not): the
    // check below holds for whatever set was proved.
    let proved = |peer: &PyPeer| -> BTreeSet<String> {
        peer.events()
            .iter()
            .filter(|e| e["event"] == "lxmf_delivered" || e["type"] == "lxmf_delivered")
            .filter_map(|e| e["message_hash"].as_str().map(str::to_owned))
            .collect()
    };
    wait_until(Duration::from_secs(20), || {
        peer_sent.iter().all(|h| proved(&peer).contains(h))
    });
    let proved = proved(&peer);
    let stored = stored_hashes(&app, &bob);
    let missing_accepted: Vec<_> = accepted.difference(&stored).collect();
    let missing_proved: Vec<_> = proved.difference(&stored).collect();
    println!(
        "accepted {}, peer sent {}, proved {}, stored {}",
        accepted.len(),
        peer_sent.len(),
        proved.len(),
        stored.len()
    );
    assert!(proved.len() > 3, "too few proved messages to mean anything");
    assert!(
        missing_accepted.is_empty(),
        "accepted but lost: {missing_accepted:?}"
    );
    assert!(
        missing_proved.is_empty(),
        "proved to the peer but lost: {missing_proved:?}"
    );

    let health = app.get("/api/v1/database/health").json();
    assert_eq!(health["database"]["integrity_check"], "ok", "{health}");

    // Restore round trip through the API: back up, change, restore, compare.
    let res = app.send_json("POST", "/api/v1/database/backup", &json!({}));
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let name = res.json()["backup"]["name"].as_str().unwrap().to_owned();
    let listed = app.get("/api/v1/database/backups").json();
    assert!(
        listed["backups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["name"] == name.as_str())
    );
    let gone = stored.iter().next().unwrap().clone();
    assert_eq!(
        app.delete(&format!("/api/v1/lxmf-messages/{gone}")).status,
        200
    );
    assert!(!stored_hashes(&app, &bob).contains(&gone));
    // A hostile source first: refused with 400, nothing changes.
    let evil = tmp.join("truncated.zip");
    let zip = std::fs::read(listed["backups"][0]["path"].as_str().unwrap()).unwrap();
    std::fs::write(&evil, &zip[..zip.len() / 2]).unwrap();
    let res = app.send_json("POST", "/api/v1/database/restore", &json!({"path": evil}));
    assert_eq!(res.status, 400, "{}", String::from_utf8_lossy(&res.body));
    assert!(res.json()["error"].as_str().unwrap().contains("truncated"));
    let res = app.send_json(
        "POST",
        "/api/v1/database/restore",
        &json!({"backup": "../../x"}),
    );
    assert_eq!(res.status, 404);
    assert!(!stored_hashes(&app, &bob).contains(&gone));
    let res = app.send_json("POST", "/api/v1/database/restore", &json!({"backup": name}));
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["integrity_check"], "ok");
    assert_eq!(stored_hashes(&app, &bob), stored);
    let snap = app.send_json(
        "POST",
        "/api/v1/database/snapshot",
        &json!({"name": "crash-test"}),
    );
    assert_eq!(snap.status, 200);
    assert_eq!(
        app.get("/api/v1/database/snapshots").json()["snapshots"][0]["name"],
        "crash-test.zip"
    );
    let selftest = app.get("/api/v1/self-test").json();
    assert_eq!(selftest["ok"], true, "{selftest}");

    // A graceful stop flushes: exit 0, no WAL left.
    let status = app.terminate();
    assert!(status.success(), "{status}");
    let db_dir = std::fs::read_dir(storage.join("identities"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("database.db").is_file())
        .unwrap();
    let wal = std::fs::metadata(db_dir.join("database.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "a clean stop leaves an empty WAL");
    let out = Command::new(env!("CARGO_BIN_EXE_meshchatx"))
        .args(["--self-check", "--storage-dir", storage.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("integrity_check: ok"), "{text}");
    // The CLI tools: back up, list, restore by name.
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_meshchatx"))
            .args(["--storage-dir", storage.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let file = tmp.join("cli-backup.zip");
    assert!(cli(&["--backup-db", file.to_str().unwrap()]).contains("backup written"));
    assert!(cli(&["--list-backups"]).contains(&name));
    let restored = cli(&["--restore-db", file.to_str().unwrap()]);
    assert!(restored.contains("integrity_check: ok"), "{restored}");
    assert!(
        restored.contains(&format!("messages: {}", stored.len())),
        "{restored}"
    );
    peer.quit();
    println!("crash test took {:?}", t0.elapsed());
}
