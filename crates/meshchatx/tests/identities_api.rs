//! The identity routes of the real binary (loopback-only Reticulum config,
//! plain HTTP): every route's happy path and its bad input answered with a
//! 4xx JSON error `{"error", "code", "message"}`, never a 500; key files
//! 0600; the switch persisted across a restart; the storage lock refusing a
//! second binary on the same directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ws::Ws;
use common::{DEADLINE, Response, Running, loopback_rns_dir, start_with_rns, temp_dir};
use rns_crypto::{OsRng, PrivateIdentity};
use serde_json::{Value, json};

fn start(dir: &Path) -> Running {
    let rns = loopback_rns_dir(dir);
    let storage = dir.join("storage");
    let app = start_with_rns(
        &rns,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    app.wait_ready();
    app
}

/// A 4xx with the JSON error body, never a 500.
fn assert_error(res: &Response, status: u16, code: &str) -> Value {
    let body = res.json();
    assert_eq!(res.status, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].is_string() && body["message"] == body["error"],
        "{body}"
    );
    body
}

fn list(app: &Running) -> Vec<Value> {
    let res = app.get("/api/v1/identities");
    assert_eq!(res.status, 200);
    res.json()["identities"].as_array().unwrap().clone()
}

fn post(app: &Running, path: &str, body: &Value) -> Response {
    app.send_json("POST", path, body)
}

fn key_hash(key: &[u8]) -> String {
    PrivateIdentity::from_private_slice(key)
        .unwrap()
        .hash()
        .to_string()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn identity_routes_answer_their_happy_paths_and_bad_input_with_json_errors() {
    let dir = temp_dir("identities-api");
    let app = start(&dir);
    let storage = dir.join("storage");
    let ws = Ws::connect(app.port);

    // List: the main identity, current, with its delivery destination.
    let first = list(&app);
    assert_eq!(first.len(), 1);
    let a = first[0]["hash"].as_str().unwrap().to_string();
    let config = app.get("/api/v1/config").json()["config"].clone();
    assert_eq!(config["identity_hash"], a.as_str());
    assert_eq!(first[0]["is_current"], true);
    assert_eq!(first[0]["message_count"], 0);
    assert_eq!(first[0]["lxmf_address"], config["lxmf_address_hash"]);
    for key in ["display_name", "icon_name", "lxst_address"] {
        assert!(first[0].get(key).is_some(), "{key}");
    }

    // Create.
    let res = post(
        &app,
        "/api/v1/identities/create",
        &json!({"display_name": "Second"}),
    );
    assert_eq!(res.status, 200);
    let created = res.json();
    assert_eq!(created["message"], "Identity created successfully");
    assert_eq!(created["identity"]["display_name"], "Second");
    let b = created["identity"]["hash"].as_str().unwrap().to_string();
    let res = post(&app, "/api/v1/identities/create", &json!({}));
    assert_eq!(res.json()["identity"]["display_name"], "Anonymous Peer");
    let c = res.json()["identity"]["hash"].as_str().unwrap().to_string();
    assert_error(
        &post(
            &app,
            "/api/v1/identities/create",
            &json!({"display_name": 5}),
        ),
        400,
        "bad_request",
    );
    assert_error(
        &app.send_raw("POST", "/api/v1/identities/create", "{nope"),
        400,
        "bad_request",
    );
    assert_error(
        &post(&app, "/api/v1/identities/create", &json!([1, 2])),
        400,
        "bad_request",
    );
    assert_error(
        &post(
            &app,
            "/api/v1/identities/create",
            &json!({"display_name": "x".repeat(300)}),
        ),
        400,
        "bad_request",
    );
    let big = format!("{{\"display_name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    assert_error(
        &app.send_raw("POST", "/api/v1/identities/create", &big),
        413,
        "payload_too_large",
    );
    let listed = list(&app);
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["hash"], a.as_str(), "the current one comes first");
    for h in [&a, &b, &c] {
        let d = storage.join("identities").join(h);
        assert_eq!(mode(&d.join("identity")), 0o600);
        assert!(d.join("database.db").is_file() && d.join("metadata.json").is_file());
    }

    // lxmf-address: ours, malformed, unknown.
    let res = app.get(&format!("/api/v1/identity/{b}/lxmf-address"));
    assert_eq!(res.status, 200);
    let b_lxmf = res.json()["lxmf_address"].as_str().unwrap().to_string();
    let b_row = listed.iter().find(|i| i["hash"] == b.as_str()).unwrap();
    assert_eq!(b_row["lxmf_address"], b_lxmf.as_str());
    assert_error(
        &app.get("/api/v1/identity/zz/lxmf-address"),
        400,
        "bad_request",
    );
    let unknown = "ab".repeat(16);
    assert_error(
        &app.get(&format!("/api/v1/identity/{unknown}/lxmf-address")),
        404,
        "not_found",
    );

    // Switch: bad input, unknown, then to B.
    for body in [
        json!({}),
        json!({"identity_hash": "zz"}),
        json!({"identity_hash": 5}),
        json!({"identity_hash": null}),
        json!({"identity_hash": b, "keep_alive": "yes"}),
        json!("just a string"),
    ] {
        assert_error(
            &post(&app, "/api/v1/identities/switch", &body),
            400,
            "bad_request",
        );
    }
    assert_error(
        &post(
            &app,
            "/api/v1/identities/switch",
            &json!({"identity_hash": unknown}),
        ),
        404,
        "not_found",
    );
    let t = Instant::now();
    let res = post(
        &app,
        "/api/v1/identities/switch",
        &json!({"identity_hash": b.to_uppercase(), "keep_alive": true}),
    );
    let switch_time = t.elapsed();
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let s = res.json();
    assert_eq!(s["hotswapped"], true);
    assert_eq!(s["identity_hash"], b.as_str());
    assert_eq!(s["display_name"], "Second");
    assert_eq!(s["requires_reauth"], false);
    assert_eq!(
        app.get("/api/v1/config").json()["config"]["identity_hash"],
        b.as_str()
    );
    let main_key = std::fs::read(storage.join("identity")).unwrap();
    assert_eq!(key_hash(&main_key), b);
    assert_eq!(mode(&storage.join("identity")), 0o600);
    poll("identity_switched pushed", || {
        ws.find(|v| v["type"] == "identity_switched" && v["identity_hash"] == b.as_str())
    });
    poll("the new config pushed", || {
        ws.find(|v| v["type"] == "config" && v["config"]["identity_hash"] == b.as_str())
    });

    // Delete: the active one is refused; malformed, unknown; then C.
    assert_error(
        &app.delete(&format!("/api/v1/identities/{b}")),
        409,
        "conflict",
    );
    assert_error(&app.delete("/api/v1/identities/zz"), 400, "bad_request");
    assert_error(
        &app.delete(&format!("/api/v1/identities/{unknown}")),
        404,
        "not_found",
    );
    let res = app.delete(&format!("/api/v1/identities/{c}"));
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["message"], "Identity deleted successfully");
    assert!(!storage.join("identities").join(&c).exists());
    assert_eq!(list(&app).len(), 2);

    // Backups of the active identity.
    let res = post(&app, "/api/v1/identity/backup/base32", &json!({}));
    assert_eq!(res.status, 200);
    let b32 = res.json()["identity_base32"].as_str().unwrap().to_string();
    let key = data_encoding::BASE32.decode(b32.as_bytes()).unwrap();
    assert_eq!(key, main_key);
    let res = post(&app, "/api/v1/identity/backup/download", &json!({}));
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"identity.bin\"")
    );
    assert_eq!(res.body, main_key);
    let res = post(&app, "/api/v1/identities/export-all", &json!({}));
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/zip"));
    assert!(res.body.starts_with(b"PK\x03\x04"));
    for h in [&a, &b] {
        let name = format!("identity_{h}");
        let at = res
            .body
            .windows(name.len())
            .position(|w| w == name.as_bytes())
            .unwrap();
        let stored = &res.body[at + name.len()..at + name.len() + 64];
        assert_eq!(&key_hash(stored), h, "entries are stored uncompressed");
    }

    // Restore: base32 (padded, unpadded, lower case), a file in a form, raw bytes.
    for body in [
        json!({}),
        json!({"base32": ""}),
        json!({"base32": 5}),
        json!({"base32": "notbase32!!"}),
        json!({"base32": data_encoding::BASE32.encode(&[1; 10])}),
    ] {
        assert_error(
            &post(&app, "/api/v1/identity/restore", &body),
            400,
            "bad_request",
        );
    }
    let d = PrivateIdentity::generate(&mut OsRng);
    let d_key = d.to_private_bytes();
    let unpadded = data_encoding::BASE32_NOPAD
        .encode(&d_key[..])
        .to_lowercase();
    let res = post(
        &app,
        "/api/v1/identity/restore",
        &json!({"base32": unpadded}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        res.json()["identity"]["hash"],
        d.hash().to_string().as_str()
    );
    assert_eq!(res.json()["identity"]["display_name"], "Restored Identity");
    let again = post(
        &app,
        "/api/v1/identity/restore",
        &json!({"base32": data_encoding::BASE32.encode(&d_key[..])}),
    );
    assert_eq!(again.status, 200);
    let e = PrivateIdentity::generate(&mut OsRng);
    let res = multipart(&app, "file", &e.to_private_bytes()[..]);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(
        res.json()["identity"]["hash"],
        e.hash().to_string().as_str()
    );
    assert_error(&multipart(&app, "other", &[1; 64]), 400, "bad_request");
    assert_error(&multipart(&app, "file", b"short"), 400, "bad_request");
    let f = PrivateIdentity::generate(&mut OsRng);
    let res = octets(&app, &f.to_private_bytes()[..]);
    assert_eq!(res.status, 200);
    assert_error(&octets(&app, &[0; 63]), 400, "bad_request");
    let hashes: Vec<String> = list(&app)
        .iter()
        .map(|i| i["hash"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hashes.len(), 5);
    for h in [d.hash(), e.hash(), f.hash()] {
        assert!(hashes.contains(&h.to_string()));
    }
    let status = app.terminate();
    assert!(status.success());

    // A restart comes up with B active and every identity listed.
    let app = start(&dir);
    let again = list(&app);
    assert_eq!(again.len(), 5);
    assert_eq!(again[0]["hash"], b.as_str());
    assert_eq!(again[0]["is_current"], true);
    assert_eq!(again[0]["display_name"], "Second");
    assert!(app.terminate().success());
    eprintln!("switch answered in {switch_time:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_binary_on_the_same_storage_directory_is_refused_with_a_clear_error() {
    let dir = temp_dir("storage-lock");
    let app = start(&dir);
    let storage = dir.join("storage");
    let rns = dir.join("rns2");
    std::fs::create_dir_all(&rns).unwrap();
    std::fs::write(rns.join("config"), common::LOOPBACK_CONFIG).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_meshchatx"))
        .args(["--port", "0", "--no-https", "--reticulum-config-dir"])
        .arg(&rns)
        .arg("--storage-dir")
        .arg(&storage)
        .env_remove("MESHCHAT_SKIP_STORAGE_LOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&storage.display().to_string()), "{stderr}");
    let pid = std::fs::read_to_string(storage.join(".meshchatx.lock")).unwrap();
    assert!(stderr.contains(&format!("process {pid}")), "{stderr}");
    assert!(stderr.contains("in use by another MeshChatX"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "it never started"
    );
    // The first one is unaffected, and once it is gone the directory is free.
    assert_eq!(app.get("/api/v1/identities").status, 200);
    assert!(app.terminate().success());
    let again = start(&dir);
    assert!(again.terminate().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Names in `<storage>/identities/` that are not identity directories:
/// uploads and staged imports must not be left there.
fn leftovers(storage: &Path) -> Vec<String> {
    std::fs::read_dir(storage.join("identities"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// Export on one app, import on another: the identity arrives with its key
/// (0600), its display name and its data (a custom name, a folder), online
/// and switchable; importing it again is 409, broken archives 400, an
/// oversized one 413, and nothing is left behind either way.
#[test]
fn all_of_an_identitys_data_moves_to_another_app_as_a_new_identity() {
    let dir = temp_dir("identity-move");
    let (dir_a, dir_b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let a = start(&dir_a);
    let hash = list(&a)[0]["hash"].as_str().unwrap().to_owned();
    let peer = "ab".repeat(16);
    let res = a.send_json(
        "PATCH",
        "/api/v1/config",
        &json!({"display_name": "Moving Alice"}),
    );
    assert_eq!(res.status, 200);
    let res = post(
        &a,
        &format!("/api/v1/destination/{peer}/custom-display-name/update"),
        &json!({"display_name": "Bob the peer"}),
    );
    assert_eq!(res.status, 200);
    assert_eq!(
        post(&a, "/api/v1/lxmf/folders", &json!({"name": "Work"})).status,
        200
    );

    let res = post(&a, "/api/v1/identity/export", &json!({}));
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("content-type"), Some("application/zip"));
    assert_eq!(
        res.header("content-disposition"),
        Some(format!("attachment; filename=\"meshchatx-{hash}.zip\"").as_str())
    );
    assert!(res.body.starts_with(b"PK\x03\x04"));
    let archive = res.body;
    // The fresh archive was streamed from an unlinked file: none remains.
    let tmp = dir_a
        .join("storage/identities")
        .join(&hash)
        .join("sqlite-tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp).map_or(Vec::new(), |d| d.collect());
    assert!(left.is_empty(), "{left:?}");
    assert!(a.terminate().success());

    let b = start(&dir_b);
    let import =
        |body: &[u8]| raw_post_to(&b, "/api/v1/identities/import", "application/zip", body);
    let res = import(&archive);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let body = res.json();
    assert_eq!(body["identity"]["hash"], hash.as_str(), "{body}");
    assert_eq!(body["identity"]["display_name"], "Moving Alice", "{body}");
    let storage_b = dir_b.join("storage");
    assert_eq!(
        mode(&storage_b.join("identities").join(&hash).join("identity")),
        0o600
    );
    let listed = list(&b);
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|i| i["hash"] == hash.as_str() && i["is_current"] == false)
    );
    let res = post(
        &b,
        "/api/v1/identities/switch",
        &json!({"identity_hash": hash}),
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let res = b.get(&format!("/api/v1/destination/{peer}/custom-display-name"));
    assert_eq!(res.json()["custom_display_name"], "Bob the peer");
    let folders = b.get("/api/v1/lxmf/folders").json();
    assert!(
        folders
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Work"),
        "{folders}"
    );

    // Again: already here.
    assert_error(&import(&archive), 409, "conflict");
    // Broken archives: not a zip, cut short, a zip without the key.
    assert_error(&import(b"not a zip at all"), 400, "bad_request");
    assert_error(&import(&archive[..archive.len() / 2]), 400, "bad_request");
    assert_error(
        &import(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
        400,
        "bad_request",
    );
    // Declared larger than the cap: refused before a byte is read.
    let req = format!(
        "POST /api/v1/identities/import HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
         {}Content-Type: application/zip\r\nContent-Length: {}\r\n\r\n",
        b.port,
        b.csrf_headers(),
        (1u64 << 30) + 1
    );
    assert_error(&b.request_bytes(req.as_bytes()), 413, "payload_too_large");
    assert_eq!(leftovers(&storage_b), Vec::<String>::new());
    assert_eq!(list(&b).len(), 2);
    assert!(b.terminate().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn multipart(app: &Running, field: &str, data: &[u8]) -> Response {
    let mut body = format!(
        "--B0undary\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"identity\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    raw_post(app, "multipart/form-data; boundary=B0undary", &body)
}

fn octets(app: &Running, data: &[u8]) -> Response {
    raw_post(app, "application/octet-stream", data)
}

fn raw_post(app: &Running, content_type: &str, body: &[u8]) -> Response {
    raw_post_to(app, "/api/v1/identity/restore", content_type, body)
}

fn raw_post_to(app: &Running, path: &str, content_type: &str, body: &[u8]) -> Response {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
         {}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        app.port,
        app.csrf_headers(),
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    app.request_bytes(&req)
}

fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Any identity can be renamed, active or not: the list shows the new name,
/// the active one's config too, and a restart keeps both; bad input is a
/// 4xx JSON error.
#[test]
fn identities_are_renamed_active_or_not_and_keep_their_names() {
    let dir = temp_dir("identity-rename");
    let app = start(&dir);
    let active = list(&app)[0]["hash"].as_str().unwrap().to_owned();
    let res = post(
        &app,
        "/api/v1/identities/create",
        &json!({"display_name": "Other"}),
    );
    assert_eq!(res.status, 200);
    let other = res.json()["identity"]["hash"].as_str().unwrap().to_owned();
    let rename = |hash: &str, body: Value| {
        app.send_json("PATCH", &format!("/api/v1/identities/{hash}"), &body)
    };
    let res = rename(&other, json!({"display_name": "  Work self "}));
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.json()["identity"]["display_name"], "Work self");
    let res = rename(&active, json!({"display_name": "Home self"}));
    assert_eq!(res.status, 200);
    assert_eq!(
        app.get("/api/v1/config").json()["config"]["display_name"],
        "Home self"
    );
    for (hash, body, status, code) in [
        (other.as_str(), json!({}), 400, "bad_request"),
        (
            other.as_str(),
            json!({"display_name": "  "}),
            400,
            "bad_request",
        ),
        (
            other.as_str(),
            json!({"display_name": 5}),
            400,
            "bad_request",
        ),
        (
            other.as_str(),
            json!({"display_name": "x".repeat(300)}),
            400,
            "bad_request",
        ),
        (
            "not-a-hash",
            json!({"display_name": "A"}),
            400,
            "bad_request",
        ),
        (
            &"ab".repeat(16),
            json!({"display_name": "A"}),
            404,
            "not_found",
        ),
    ] {
        assert_error(&rename(hash, body), status, code);
    }
    let names = |app: &Running| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = list(app)
            .iter()
            .map(|i| {
                (
                    i["hash"].as_str().unwrap().to_owned(),
                    i["display_name"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = names(&app);
    assert!(
        before.contains(&(other.clone(), "Work self".into())),
        "{before:?}"
    );
    assert!(
        before.contains(&(active.clone(), "Home self".into())),
        "{before:?}"
    );
    assert!(app.terminate().success());
    let app = start(&dir);
    assert_eq!(names(&app), before);
    assert!(app.terminate().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
