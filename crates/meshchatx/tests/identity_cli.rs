//! The binary, run for real: it creates an identity once, keeps it private and
//! reports the same identity on every start.

// Test helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

mod common;

use common::temp_dir;

fn meshchatx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshchatx"))
}

/// identity.json vector 0: this private key has identity hash f1b26d80...
const KNOWN_KEY: &str = "d07da14a367600f350ea5b3b1d89dd9cbaf1e806cfbb78ff429a4401b6f666004178a9849ea678c7d5c60bfb9e6be035d21d6e07f7883ba20ace4f0fb2b75396";
const KNOWN_LINE: &str = "identity:         f1b26d802048e5ec15a0643270b27193";

/// Starts the binary (plain HTTP, loopback config), reads its identity line,
/// stops it with SIGTERM.
fn identity_of(dir: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["--no-https"];
    all.extend_from_slice(args);
    let running = common::start(dir, &all);
    let line = running.line("identity:").unwrap();
    assert_eq!(running.terminate().code(), Some(0));
    line
}

#[test]
fn first_start_creates_a_private_identity_that_later_starts_reuse() {
    let dir = temp_dir("reuse");
    let storage = dir.join("storage");
    let args = ["--storage-dir", storage.to_str().unwrap()];
    let first = identity_of(&dir, &args);

    let file = storage.join("identity");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.len(), 64);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    assert_eq!(first, identity_of(&dir, &args));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_known_identity_file_reports_its_reference_hash() {
    let dir = temp_dir("known");
    let file = dir.join("id");
    std::fs::write(&file, hex_decode(KNOWN_KEY)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let storage = dir.join("storage");
    let line = identity_of(
        &dir,
        &[
            "--identity-file",
            file.to_str().unwrap(),
            "--storage-dir",
            storage.to_str().unwrap(),
        ],
    );
    assert_eq!(line, KNOWN_LINE);
    // A world-readable identity file is tightened to owner-only on load.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_identity_given_as_base64_or_base32_is_the_same_identity() {
    let dir = temp_dir("encoded");
    let storage = dir.join("storage");
    let storage = storage.to_str().unwrap();
    let key = hex_decode(KNOWN_KEY);
    let b64 = base64(&key);
    let line = identity_of(&dir, &["--identity-base64", &b64, "--storage-dir", storage]);
    assert_eq!(line, KNOWN_LINE);
    let b32 = base32(&key);
    let line = identity_of(&dir, &["--identity-base32", &b32, "--storage-dir", storage]);
    assert_eq!(line, KNOWN_LINE);
    // Nothing was written for an identity given on the command line.
    assert!(!dir.join("storage/identity").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    encode_bits(bytes, 6, A, 4)
}

fn base32(bytes: &[u8]) -> String {
    encode_bits(bytes, 5, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 8)
}

/// RFC 4648 encoding by bit groups, '='-padded to a multiple of `block`.
fn encode_bits(bytes: &[u8], bits: u32, alphabet: &[u8], block: usize) -> String {
    let mut out = String::new();
    let (mut acc, mut n) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        n += 8;
        while n >= bits {
            n -= bits;
            out.push(alphabet[((acc >> n) & ((1 << bits) - 1)) as usize] as char);
        }
    }
    if n > 0 {
        out.push(alphabet[((acc << (bits - n)) & ((1 << bits) - 1)) as usize] as char);
    }
    while !out.len().is_multiple_of(block) {
        out.push('=');
    }
    out
}

#[test]
fn a_corrupt_identity_file_is_a_clear_error_not_a_panic() {
    let dir = temp_dir("corrupt");
    let file = dir.join("id");
    std::fs::write(&file, b"short").unwrap();
    // The storage directory is locked (and so created) before the identity
    // loads: keep it in the temp dir, not the working directory.
    let out = meshchatx()
        .arg("--identity-file")
        .arg(&file)
        .arg("--storage-dir")
        .arg(dir.join("storage"))
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
