//! The Python side: `bench/py/refbench.py` run from the project venv, read as
//! JSON lines on its stdout. Its stdin stays open for as long as the process
//! should live; dropping a [`RefProc`] closes it and reaps the process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

pub struct RefProc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
}

impl RefProc {
    /// Starts `refbench.py <mode> --config <config_dir> <args...>`.
    pub fn spawn(mode: &str, config_dir: &Path, args: &[String]) -> Result<RefProc, String> {
        let script = interop::repo_root().join("bench/py/refbench.py");
        let mut child = Command::new(interop::python())
            .arg(&script)
            .arg(mode)
            .arg("--config")
            .arg(config_dir)
            .arg("--loglevel")
            .arg(loglevel().to_string())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // NETBENCH_VERBOSE=1 shows the reference's log.
            .stderr(if std::env::var_os("NETBENCH_VERBOSE").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", script.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        Ok(RefProc {
            child,
            stdin,
            lines,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next JSON line, or an error when none comes within `timeout`.
    pub fn next(&self, timeout: Duration) -> Result<Value, String> {
        self.lines
            .recv_timeout(timeout)
            .map_err(|_| "the reference process printed nothing in time (or exited)".to_string())
    }
}

impl Drop for RefProc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The reference's log level: errors only, or debug with NETBENCH_VERBOSE.
pub fn loglevel() -> u8 {
    if std::env::var_os("NETBENCH_VERBOSE").is_some() {
        6
    } else {
        2
    }
}

/// Resident memory of process `pid` in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
