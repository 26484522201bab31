//! `PyPeer`: the Python reference peer (`tests/interop/peer.py`) as a child
//! process driven by JSON lines.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{RnsConfig, file_tail, peer_script, python};

/// Default deadline for replies and awaited events.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct State {
    replies: HashMap<u64, Value>,
    events: Vec<Value>,
    /// Lines on stdout that were not protocol JSON (should never happen).
    junk: Vec<String>,
    closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    cond: Condvar,
}

/// A running reference peer. Killed on drop.
#[derive(Debug)]
pub struct PyPeer {
    child: Child,
    stdin: Mutex<ChildStdin>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
    stderr_path: PathBuf,
    config_dir: PathBuf,
    ready: Value,
}

impl PyPeer {
    /// Runs peer.py on the config in `config_dir` (written beforehand, e.g.
    /// with [`RnsConfig::write`]) and waits for its `ready` event.
    pub fn spawn(config_dir: &Path, loglevel: u8) -> PyPeer {
        PyPeer::spawn_inner(&[], config_dir, loglevel, false)
    }

    /// Like [`PyPeer::spawn`], with the interpreter started through `prefix`
    /// (e.g. `["ip", "netns", "exec", ns]`, to run the peer inside a network
    /// namespace; the command must exec the interpreter so that dropping the
    /// peer kills it).
    pub fn spawn_wrapped(prefix: &[&str], config_dir: &Path, loglevel: u8) -> PyPeer {
        PyPeer::spawn_inner(prefix, config_dir, loglevel, false)
    }

    /// Like [`PyPeer::spawn`], but the peer must attach to an already running
    /// shared instance (`require_shared_instance=True`); startup fails if none
    /// is reachable instead of silently becoming one.
    pub fn spawn_shared_client(config_dir: &Path, loglevel: u8) -> PyPeer {
        PyPeer::spawn_inner(&[], config_dir, loglevel, true)
    }

    /// Writes nothing; spawns on `config` (already written), as a shared
    /// client when `config` was made with [`RnsConfig::shared_client`].
    pub fn spawn_config(config: &RnsConfig) -> PyPeer {
        PyPeer::spawn_inner(
            &[],
            config.dir(),
            config.loglevel_value(),
            config.is_shared_client(),
        )
    }

    fn spawn_inner(
        prefix: &[&str],
        config_dir: &Path,
        loglevel: u8,
        require_shared: bool,
    ) -> PyPeer {
        let python = python();
        std::fs::create_dir_all(config_dir)
            .unwrap_or_else(|e| panic!("create {}: {e}", config_dir.display()));
        let stderr_path = config_dir.join("peer-stderr.log");
        let stderr = File::create(&stderr_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", stderr_path.display()));
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&python);
                c
            }
            None => Command::new(&python),
        };
        cmd.arg("-u")
            .arg(peer_script())
            .arg("--config")
            .arg(config_dir)
            .arg("--loglevel")
            .arg(loglevel.to_string());
        if require_shared {
            cmd.arg("--require-shared-instance");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .env("PYTHONUNBUFFERED", "1")
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {} peer.py: {e}", python.display()));
        let stdin = child.stdin.take().expect("child stdin");
        let stdout = child.stdout.take().expect("child stdout");

        let shared = Arc::new(Shared::default());
        let reader_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("pypeer-reader".into())
            .spawn(move || {
                let reader = BufReader::new(stdout);
                for line in reader.lines() {
                    let Ok(line) = line else { break };
                    let parsed: Result<Value, _> = serde_json::from_str(&line);
                    let mut st = reader_shared.state.lock().unwrap();
                    match parsed {
                        Ok(v) if v.get("event").is_some() => st.events.push(v),
                        Ok(v) => match v.get("id").and_then(Value::as_u64) {
                            Some(id) => {
                                st.replies.insert(id, v);
                            }
                            None => st.junk.push(line),
                        },
                        Err(_) => st.junk.push(line),
                    }
                    drop(st);
                    reader_shared.cond.notify_all();
                }
                reader_shared.state.lock().unwrap().closed = true;
                reader_shared.cond.notify_all();
            })
            .expect("spawn reader thread");

        let mut peer = PyPeer {
            child,
            stdin: Mutex::new(stdin),
            shared,
            next_id: AtomicU64::new(1),
            stderr_path,
            config_dir: config_dir.to_path_buf(),
            ready: Value::Null,
        };
        let ev = peer.wait_event(
            |e| matches!(e["event"].as_str(), Some("ready" | "startup_failed")),
            DEFAULT_TIMEOUT,
        );
        if ev["event"] == "startup_failed" {
            peer.fail(&format!("peer startup failed: {}", ev["error"]));
        }
        peer.ready = ev;
        peer
    }

    /// The `ready` event: identity_hash, transport_enabled,
    /// connected_to_shared_instance, rns_version, pid.
    pub fn ready_info(&self) -> &Value {
        &self.ready
    }

    /// The peer's own identity hash (hex).
    pub fn identity_hash(&self) -> String {
        crate::field(&self.ready, "identity_hash")
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    /// Last 4 KiB of the peer's stderr (its RNS log and tracebacks).
    pub fn stderr_tail(&self) -> String {
        file_tail(&self.stderr_path, 4096)
    }

    /// Panics with `msg` and the peer's stderr tail.
    pub fn fail(&self, msg: &str) -> ! {
        let junk = self
            .shared
            .state
            .lock()
            .map(|s| s.junk.clone())
            .unwrap_or_default();
        panic!(
            "{msg}\n--- peer {} stderr tail ---\n{}\n--- non-protocol stdout: {junk:?}",
            self.config_dir.display(),
            self.stderr_tail()
        )
    }

    /// Sends `cmd` with `args` (a JSON object or null) and waits up to
    /// [`DEFAULT_TIMEOUT`] for the reply; panics on `ok: false` or timeout.
    pub fn call(&self, cmd: &str, args: Value) -> Value {
        self.call_timeout(cmd, args, DEFAULT_TIMEOUT)
    }

    /// [`PyPeer::call`] with an explicit deadline.
    pub fn call_timeout(&self, cmd: &str, args: Value, timeout: Duration) -> Value {
        match self.try_call_timeout(cmd, args.clone(), timeout) {
            Ok(v) => v,
            Err(e) => self.fail(&format!("peer command {cmd} {args} failed: {e}")),
        }
    }

    /// Sends `cmd`; `Err(error)` when the peer replies `ok: false`. Panics on
    /// timeout or a dead peer.
    pub fn try_call(&self, cmd: &str, args: Value) -> Result<Value, String> {
        self.try_call_timeout(cmd, args, DEFAULT_TIMEOUT)
    }

    pub fn try_call_timeout(
        &self,
        cmd: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut req = match args {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            other => self.fail(&format!("command args must be an object, got {other}")),
        };
        req.insert("id".into(), json!(id));
        req.insert("cmd".into(), json!(cmd));
        let line = Value::Object(req).to_string();
        {
            let mut stdin = self.stdin.lock().unwrap();
            if let Err(e) = writeln!(stdin, "{line}").and_then(|_| stdin.flush()) {
                drop(stdin);
                self.fail(&format!("writing command {cmd} to the peer: {e}"));
            }
        }
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state.lock().unwrap();
        loop {
            if let Some(reply) = st.replies.remove(&id) {
                drop(st);
                return if reply["ok"] == json!(true) {
                    Ok(reply)
                } else {
                    Err(reply["error"]
                        .as_str()
                        .unwrap_or("(no error message)")
                        .to_string())
                };
            }
            if st.closed {
                drop(st);
                self.fail(&format!("peer exited before replying to {cmd}"));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(st);
                self.fail(&format!("no reply to {cmd} within {timeout:?}"));
            }
            st = self.shared.cond.wait_timeout(st, deadline - now).unwrap().0;
        }
    }

    /// Waits for the first event (in arrival order, seen or not before) that
    /// satisfies `pred`; panics after `timeout` with the events seen so far.
    pub fn wait_event(&self, pred: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        match self.wait_event_opt(pred, timeout) {
            Some(v) => v,
            None => {
                let summary: Vec<String> = self
                    .events()
                    .iter()
                    .map(|e| {
                        let s = e.to_string();
                        if s.len() > 300 {
                            format!("{}...", &s[..300])
                        } else {
                            s
                        }
                    })
                    .collect();
                self.fail(&format!(
                    "no matching event within {timeout:?}; events so far:\n{}",
                    summary.join("\n")
                ))
            }
        }
    }

    /// Like [`PyPeer::wait_event`], but `None` on timeout (or if the peer
    /// exits) instead of panicking.
    pub fn wait_event_opt(
        &self,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state.lock().unwrap();
        loop {
            if let Some(e) = st.events.iter().find(|e| pred(e)) {
                return Some(e.clone());
            }
            let now = Instant::now();
            if st.closed || now >= deadline {
                return None;
            }
            st = self.shared.cond.wait_timeout(st, deadline - now).unwrap().0;
        }
    }

    /// Waits for an event named `name` whose string fields equal `fields`.
    pub fn wait_for(&self, name: &str, fields: &[(&str, &str)], timeout: Duration) -> Value {
        self.wait_event(|e| event_matches(e, name, fields), timeout)
    }

    /// Whether an event named `name` with `fields` has arrived already.
    pub fn has_event(&self, name: &str, fields: &[(&str, &str)]) -> bool {
        self.shared
            .state
            .lock()
            .unwrap()
            .events
            .iter()
            .any(|e| event_matches(e, name, fields))
    }

    /// All events received so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.shared.state.lock().unwrap().events.clone()
    }

    /// Forgets the events received so far.
    pub fn clear_events(&self) {
        self.shared.state.lock().unwrap().events.clear();
    }

    /// Waits until the peer has at least `n` interfaces and all are online (a
    /// TCP server counts the clients it accepted as interfaces too).
    pub fn wait_online(&self, n: usize) {
        let ok = crate::wait_until(DEFAULT_TIMEOUT, || {
            let st = self.call("status", json!({}));
            let ifs = st["interfaces"].as_array().cloned().unwrap_or_default();
            ifs.len() >= n && ifs.iter().all(|i| i["online"] == json!(true))
        });
        if !ok {
            let st = self.call("status", json!({}));
            self.fail(&format!("fewer than {n} interfaces online: {st}"));
        }
    }

    /// Announces the IN destination `dest` (hex) with `app_data`, again every
    /// 2 s, until `seen()` is true; panics after [`DEFAULT_TIMEOUT`]. Re-announcing
    /// covers interfaces that were still connecting when the first one left.
    pub fn announce_until(&self, dest: &str, app_data: &[u8], mut seen: impl FnMut() -> bool) {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        loop {
            self.call(
                "announce",
                json!({"destination_hash": dest, "app_data": crate::to_hex(app_data)}),
            );
            if crate::wait_until(Duration::from_secs(2), &mut seen) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("announce of {dest} was never seen"));
            }
        }
    }

    /// [`PyPeer::announce_until`] another reference peer has an `announce`
    /// event for `dest`; returns that event.
    pub fn announce_until_seen(&self, dest: &str, app_data: &[u8], observer: &PyPeer) -> Value {
        self.announce_until(dest, app_data, || {
            observer.has_event("announce", &[("destination_hash", dest)])
        });
        observer.wait_for("announce", &[("destination_hash", dest)], DEFAULT_TIMEOUT)
    }

    /// Asks the peer to quit and waits (up to 10 s) for it to exit; kills it otherwise.
    pub fn quit(mut self) {
        let _ = self.try_send_quit();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Drop kills it.
    }

    fn try_send_quit(&self) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(stdin, "{}", json!({"id": 0, "cmd": "quit"}))?;
        stdin.flush()
    }
}

/// `e["event"] == name` and every `(key, value)` in `fields` matches a string field.
pub fn event_matches(e: &Value, name: &str, fields: &[(&str, &str)]) -> bool {
    e["event"] == name && fields.iter().all(|(k, v)| e[*k].as_str() == Some(*v))
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
