//! Interop harness: runs the Python reference stack (PyPI `rns`, `lxmf`, pinned
//! in `tests/interop/requirements.txt`) as peers over loopback, so Rust tests
//! can talk to the real thing byte for byte.
//!
//! * [`python`] installs (once per process, via `scripts/setup-python.sh`) and
//!   returns the virtualenv interpreter.
//! * [`RnsConfig`] writes loopback-only Reticulum config directories.
//! * [`PyPeer`] runs `tests/interop/peer.py`, a reference peer driven by JSON
//!   lines (commands, replies, events); see `docs/interop.md`.
//! * [`Rnsd`] runs the reference daemon (`rnsd`) as a shared instance or a
//!   transport node.
//! * [`Meeting`] puts our node and one peer on a network of a [`Topology`]
//!   (direct TCP, or through an `rnsd` shared instance).
//! * [`TempDir`], [`free_port`], [`wait_until`], [`gen_bytes`] and the hex /
//!   tagged-value helpers glue tests together.
//!
//! ```no_run
//! use interop::{PyPeer, RnsConfig, TempDir, free_port};
//! use serde_json::json;
//! use std::time::Duration;
//!
//! let tmp = TempDir::new("example");
//! let port = free_port();
//! let server = RnsConfig::new(tmp.join("server")).tcp_server(port).write();
//! let peer = PyPeer::spawn(server.dir(), server.loglevel_value());
//! let dest = peer.call("destination_in", json!({"app": "example", "aspects": ["a"]}));
//! let hash = dest["destination_hash"].as_str().unwrap().to_string();
//! peer.call("announce", json!({"destination_hash": hash}));
//! ```

// This is test tooling: a failure (setup, a dead peer, a timeout) must fail the
// calling test loudly, so unwrap/expect/panic are what we want here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod lxmd;
mod peer;
mod rnsd;
mod tap;
mod topology;

pub use config::{Interface, RnsConfig, SharedInstance};
pub use lxmd::Lxmd;
pub use peer::{DEFAULT_TIMEOUT, PyPeer, event_matches};
pub use rnsd::Rnsd;
pub use tap::{Direction, Frame, FrameTap};
pub use topology::{Meeting, Topology};

use std::collections::BTreeSet;
use std::io::Read as _;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The Python peer script.
pub fn peer_script() -> PathBuf {
    repo_root().join("tests/interop/peer.py")
}

/// Path of the virtualenv's Python interpreter with the pinned `rns`/`lxmf`.
///
/// The first call in a process runs `scripts/setup-python.sh`, which creates
/// or checks `.venv/` (fast when already set up). Panics when setup fails:
/// interop tests must never silently skip.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = PYTHON.get_or_init(|| {
        let script = repo_root().join("scripts/setup-python.sh");
        let out = Command::new("bash")
            .arg(&script)
            .current_dir(repo_root())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{stdout}\n{stderr}",
                script.display(),
                out.status
            ));
        }
        let path = stdout.lines().last().unwrap_or("").trim().to_string();
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(format!(
                "{} did not print an interpreter path:\n{stdout}\n{stderr}",
                script.display()
            ));
        }
        Ok(path)
    });
    match result {
        Ok(p) => p.clone(),
        Err(e) => panic!("Python reference stack setup failed: {e}"),
    }
}

/// A program installed in the virtualenv (`rnsd`, `rnstatus`, `rnpath`, ...).
pub fn venv_bin(name: &str) -> PathBuf {
    let py = python();
    py.parent()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read it,
/// close). Never hands out the same port twice in one process, so parallel
/// tests do not pick each other's ports before binding them.
pub fn free_port() -> u16 {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local_addr").port();
        if claim_port(port) {
            return port;
        }
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago (same rules as
/// [`free_port`]).
pub fn free_udp_port() -> u16 {
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
        let port = s.local_addr().expect("local_addr").port();
        if claim_port(port) {
            return port;
        }
    }
}

fn claim_port(port: u16) -> bool {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port)
}

/// A unique string for names (temp dirs, shared instance names, rpc keys).
pub fn unique_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{n}-{:x}", std::process::id(), nanos & 0xffff_ffff)
}

/// Polls `cond` every 20 ms until it returns true or `timeout` passes.
/// Returns whether it became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A unique directory under the system temp dir, removed on drop unless the
/// environment variable `MESHCHATX_KEEP_TEST_DIRS` is set (then its path is
/// printed on stderr).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/meshchatx-<prefix>-<unique>`.
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("meshchatx-{prefix}-{}", unique_token()));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `self.path().join(rel)`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("MESHCHATX_KEEP_TEST_DIRS").is_some() {
            eprintln!("keeping test dir {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Deterministic test bytes; the same function as `gen_bytes` in peer.py.
///
/// `random`: xorshift64* with state `seed ^ 0x9E3779B97F4A7C15` (that
/// constant if the XOR is 0); per 8 bytes: `x ^= x >> 12; x ^= x << 25;
/// x ^= x >> 27;` output `x * 0x2545F4914F6CDD1D` little-endian; cut at `size`.
pub fn gen_bytes(seed: u64, size: usize) -> Vec<u8> {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    if x == 0 {
        x = 0x9E37_79B9_7F4A_7C15;
    }
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(size);
    out
}

/// Deterministic, compressible test bytes (`pattern: "counter"` in peer.py):
/// byte `i` is `(seed + i) mod 256`.
pub fn gen_counter_bytes(seed: u64, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| (seed as usize).wrapping_add(i) as u8)
        .collect()
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Parses hex (either case); panics on bad input (test tooling).
pub fn from_hex(s: &str) -> Vec<u8> {
    fn nib(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("not a hex digit: {:?}", c as char),
        }
    }
    let b = s.as_bytes();
    assert!(b.len().is_multiple_of(2), "odd-length hex: {s:?}");
    b.chunks(2).map(|p| (nib(p[0]) << 4) | nib(p[1])).collect()
}

/// Tagged value for bytes, as the peer protocol encodes msgpack `bin`:
/// `{"bin": "<hex>"}`.
pub fn bin(bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({ "bin": to_hex(bytes) })
}

/// The bytes of a tagged `{"bin": hex}` value.
pub fn unbin(v: &serde_json::Value) -> Option<Vec<u8>> {
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get("bin")?.as_str().map(from_hex)
}

/// Looks up a string key in a tagged map `{"map": [[k, v], ...]}`.
pub fn map_get<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    v.get("map")?.as_array()?.iter().find_map(|pair| {
        let pair = pair.as_array()?;
        (pair.first()?.as_str()? == key)
            .then(|| pair.get(1))
            .flatten()
    })
}

/// The string field `key` of a JSON object; panics when absent (test tooling).
pub fn field(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|x| x.as_str())
        .unwrap_or_else(|| panic!("no string field {key:?} in {v}"))
        .to_string()
}

/// Last `max` bytes of a file, lossily decoded (for panic messages).
pub(crate) fn file_tail(path: &Path, max: u64) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return format!("<no file {}>", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        use std::io::Seek as _;
        let _ = f.seek(std::io::SeekFrom::Start(len - max));
    }
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_roundtrip() {
        let b = gen_bytes(7, 33);
        assert_eq!(from_hex(&to_hex(&b)), b);
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
    }

    #[test]
    fn gen_bytes_matches_the_python_peer() {
        // From peer.py: gen_bytes(1, 16)
        assert_eq!(
            to_hex(&gen_bytes(1, 16)),
            "97258eafb9ce2a104a489e16239db824"
        );
        assert_eq!(gen_bytes(1, 5), gen_bytes(1, 16)[..5]);
        assert_eq!(
            gen_counter_bytes(250, 8),
            vec![250, 251, 252, 253, 254, 255, 0, 1]
        );
    }

    #[test]
    fn tagged_values() {
        let v = serde_json::json!({"map": [["path", "/echo"], ["data", {"bin": "0102"}]]});
        assert_eq!(map_get(&v, "path").and_then(|x| x.as_str()), Some("/echo"));
        assert_eq!(map_get(&v, "data").and_then(unbin), Some(vec![1, 2]));
        assert_eq!(unbin(&bin(&[9, 10])), Some(vec![9, 10]));
    }
}
