//! The binary, run for real: it creates an identity once, keeps it private and
//! reports the same identity on every start.

// Test helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn meshchatx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshchatx"))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("meshchatx-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn identity_line(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find(|l| l.starts_with("identity:"))
        .unwrap()
        .to_owned()
}

#[test]
fn first_start_creates_a_private_identity_that_later_starts_reuse() {
    let dir = temp_dir("reuse");
    let storage = dir.join("storage");
    let first = meshchatx()
        .arg("--storage-dir")
        .arg(&storage)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    let file = storage.join("identity");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.len(), 64);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let second = meshchatx()
        .arg("--storage-dir")
        .arg(&storage)
        .output()
        .unwrap();
    assert_eq!(identity_line(&first.stdout), identity_line(&second.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_known_identity_file_reports_its_reference_hash() {
    // identity.json vector 0: this private key has identity hash f1b26d80...
    let dir = temp_dir("known");
    let file = dir.join("id");
    let key = hex_decode(
        "d07da14a367600f350ea5b3b1d89dd9cbaf1e806cfbb78ff429a4401b6f666004178a9849ea678c7d5c60bfb9e6be035d21d6e07f7883ba20ace4f0fb2b75396",
    );
    std::fs::write(&file, key).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = meshchatx()
        .arg("--identity-file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        identity_line(&out.stdout),
        "identity:         f1b26d802048e5ec15a0643270b27193"
    );
    // A world-readable identity file is tightened to owner-only on load.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_identity_file_is_a_clear_error_not_a_panic() {
    let dir = temp_dir("corrupt");
    let file = dir.join("id");
    std::fs::write(&file, b"short").unwrap();
    let out = meshchatx()
        .arg("--identity-file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a 64-byte identity file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_identity_file_refuses_to_overwrite() {
    let dir = temp_dir("generate");
    let file = dir.join("new-id");
    let out = meshchatx()
        .arg("--generate-identity-file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let before = std::fs::read(&file).unwrap();
    let again = meshchatx()
        .arg("--generate-identity-file")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert_eq!(std::fs::read(&file).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
