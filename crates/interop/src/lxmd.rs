//! A Python `lxmd` propagation node (from the pinned `lxmf` in the test
//! venv) on a Reticulum config of the caller's, killed on drop. Its identity
//! key is the caller's, so the caller knows its `lxmf.propagation` hash and
//! can ask for a path instead of waiting for its first announce.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{RnsConfig, venv_bin, wait_until};

/// How long lxmd may take to listen.
const START: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Lxmd {
    child: Child,
    log: PathBuf,
}

impl Lxmd {
    /// Starts lxmd with `identity_key` (64 bytes) and stamp cost 13 (the
    /// lowest a node may ask) on the Reticulum of `rns` (written under
    /// `dir`); when that serves TCP, returns once it listens.
    pub fn spawn(dir: &Path, rns: RnsConfig, identity_key: &[u8]) -> Lxmd {
        let rns = rns.write();
        let conf = dir.join("lxmd");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(
            conf.join("config"),
            "[propagation]\nenable_node = yes\nannounce_interval = 360\nannounce_at_start = yes\n\
             autopeer = no\npropagation_stamp_cost_target = 13\n\n\
             [lxmf]\ndisplay_name = lxmd-test\nannounce_at_start = no\n\n\
             [logging]\nloglevel = 5\n",
        )
        .unwrap();
        std::fs::write(conf.join("identity"), identity_key).unwrap();
        let log = dir.join("lxmd.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(venv_bin("lxmd"))
            .arg("--config")
            .arg(&conf)
            .arg("--rnsconfig")
            .arg(rns.dir())
            .arg("-v")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .env("PYTHONUNBUFFERED", "1")
            .spawn()
            .unwrap();
        let up = rns.tcp_server_ports().iter().all(|&port| {
            wait_until(START, || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            })
        });
        let d = Lxmd { child, log };
        assert!(up, "lxmd never listened: {}", d.log_tail());
        d
    }

    /// The last 40 lines of its log, for a failure message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Lxmd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
