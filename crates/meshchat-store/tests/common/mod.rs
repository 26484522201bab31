//! Helpers shared by the integration tests: temp dirs, the schema snapshot,
//! a minimal `block_on`, and the reference-app fixture.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use meshchat_store::{Message, Store};
use rusqlite::Connection;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "meshchat-store-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// The shape of the tables and indexes `tables` name: columns (name, type,
/// not null, default, pk) and indexes (name, unique, columns), sorted.
pub fn schema_of(conn: &Connection, tables: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for t in tables {
        let mut st = conn.prepare(&format!("PRAGMA table_info({t})")).unwrap();
        let cols = st
            .query_map([], |r| {
                Ok(format!(
                    "{t}: col {} {} notnull={} default={:?} pk={}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })
            .unwrap();
        out.extend(cols.map(Result::unwrap));
        let mut st = conn.prepare(&format!("PRAGMA index_list({t})")).unwrap();
        let idx: Vec<(String, i64)> = st
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (name, unique) in idx {
            let mut st = conn
                .prepare(&format!("PRAGMA index_xinfo({name})"))
                .unwrap();
            let cols: Vec<String> = st
                .query_map([], |r| {
                    Ok(format!(
                        "{:?} desc={}",
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            out.push(format!("{t}: index {name} unique={unique} {cols:?}"));
        }
        let mut st = conn
            .prepare(&format!("PRAGMA foreign_key_list({t})"))
            .unwrap();
        let fks = st
            .query_map([], |r| {
                Ok(format!(
                    "{t}: fk {} -> {}({:?}) on delete {}",
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(6)?
                ))
            })
            .unwrap();
        out.extend(fks.map(Result::unwrap));
    }
    out.sort();
    out
}

/// The tables in a database, sorted (without SQLite's own).
pub fn tables_of(conn: &Connection) -> Vec<String> {
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Runs a future to completion on this thread (parks until woken).
pub fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A message between us (`me`) and `peer`, for tests.
pub fn message(
    hash: &str,
    me: &str,
    peer: &str,
    incoming: bool,
    content: &str,
    ts: f64,
) -> Message {
    let (source, dest) = if incoming { (peer, me) } else { (me, peer) };
    Message {
        hash: hash.to_owned(),
        source_hash: source.to_owned(),
        destination_hash: dest.to_owned(),
        peer_hash: peer.to_owned(),
        state: if incoming { "delivered" } else { "outbound" }.to_owned(),
        is_incoming: incoming,
        method: Some("direct".to_owned()),
        content: content.to_owned(),
        fields: "{}".to_owned(),
        fields_meta: "{}".to_owned(),
        timestamp: ts,
        ..Message::default()
    }
}

pub fn open(dir: &TempDir) -> Store {
    Store::open(dir.join("database.db")).unwrap()
}

/// The Python interpreter of the reference app's venv (installed on first use
/// by scripts/setup-refapp.sh).
pub fn refapp_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new(repo_root().join("scripts/setup-refapp.sh"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "setup-refapp.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        PathBuf::from(stdout.lines().last().unwrap().trim())
    })
    .clone()
}

/// Runs tests/refapp/make_storage.py with `args`; panics with its output on failure.
pub fn run_make_storage(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refapp/make_storage.py");
    let out = Command::new(refapp_python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines().filter(|l| l.starts_with("make_storage:")) {
        eprintln!("{line}");
    }
    assert!(
        out.status.success(),
        "make_storage.py {args:?} failed:\n{stderr}"
    );
}

/// A storage directory the reference app created (once per test process),
/// and what it was told to create (`expected.json`).
pub struct Fixture {
    pub dir: PathBuf,
    pub expected: serde_json::Value,
}

impl Fixture {
    pub fn storage(&self) -> PathBuf {
        self.dir.join("storage")
    }
    /// A private copy of the storage directory (opening migrates it).
    pub fn copy(&self, name: &str) -> TempDir {
        let t = TempDir::new(name);
        copy_dir(&self.storage(), &t.join("storage"));
        t
    }
    pub fn s(&self, key: &str) -> String {
        self.expected[key]
            .as_str()
            .unwrap_or_else(|| panic!("expected.json: {key}"))
            .to_owned()
    }
}

pub fn reference_fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        // Under target/ (statics are never dropped; the next run replaces it).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("refapp-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t = std::time::Instant::now();
        run_make_storage(&[dir.to_str().unwrap()]);
        eprintln!(
            "reference storage created in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        Fixture { dir, expected }
    })
}
