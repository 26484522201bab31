//! Starting and stopping one app (ours or the reference) on a loopback-only
//! Reticulum config, plain HTTP on 127.0.0.1.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::Conn;

/// Which app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Reference,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::Reference => "reference",
        }
    }
}

/// Where one app keeps its files across starts.
pub struct AppDirs {
    pub storage: PathBuf,
    pub reticulum: PathBuf,
    pub log: PathBuf,
}

impl AppDirs {
    /// Creates the directories under `root` and a Reticulum config with one
    /// TCP server on 127.0.0.1 (AutoInterface off, no shared instance, no
    /// transport): nothing leaves the machine.
    pub fn create(root: &Path) -> Result<AppDirs, String> {
        let dirs = AppDirs {
            storage: root.join("storage"),
            reticulum: root.join("reticulum"),
            log: root.join("app.log"),
        };
        std::fs::create_dir_all(&dirs.reticulum).map_err(|e| e.to_string())?;
        let config = format!(
            "[reticulum]\n  enable_transport = False\n  share_instance = No\n  \
             panic_on_interface_error = No\n  discover_interfaces = No\n\
             [logging]\n  loglevel = 2\n\
             [interfaces]\n  [[Default Interface]]\n    type = AutoInterface\n    enabled = no\n\
             \x20 [[Loopback Server]]\n    type = TCPServerInterface\n    enabled = yes\n    \
             listen_ip = 127.0.0.1\n    listen_port = {}\n",
            free_port()?
        );
        std::fs::write(dirs.reticulum.join("config"), config).map_err(|e| e.to_string())?;
        Ok(dirs)
    }
}

pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A running app, stopped (SIGTERM, then SIGKILL) on drop.
pub struct App {
    child: Child,
    pub port: u16,
    pub kind: Kind,
    started: Instant,
}

impl App {
    pub fn start(kind: Kind, program: &Path, dirs: &AppDirs) -> Result<App, String> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&dirs.log)
            .map_err(|e| e.to_string())?;
        let mut cmd = Command::new(program);
        cmd.args(["--headless", "--no-https", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--storage-dir")
            .arg(&dirs.storage)
            .arg("--reticulum-config-dir")
            .arg(&dirs.reticulum)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().map_err(|e| e.to_string())?))
            .stderr(Stdio::from(log));
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        Ok(App {
            child,
            port,
            kind,
            started,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time from spawning the process to its first 200 on `/api/v1/status`
    /// (polled every millisecond).
    pub fn first_status(&mut self) -> Result<Duration, String> {
        let deadline = self.started + Duration::from_secs(120);
        loop {
            if let Ok(mut c) = Conn::open(self.port)
                && let Ok((200, _)) = c.get("/api/v1/status")
            {
                return Ok(self.started.elapsed());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited: {status}", self.kind.name()));
            }
            if Instant::now() > deadline {
                return Err(format!("{} never answered", self.kind.name()));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits until `/api/v1/status` says the app is ready.
    pub fn ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(mut c) = Conn::open(self.port)
                && let Ok((200, body)) = c.get("/api/v1/status")
                && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                && v["stage"] == "ready"
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("{} never became ready", self.kind.name()))
    }

    /// Resident memory now (VmRSS), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    /// SIGTERM, and waits (SIGKILL after 30 s).
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.terminate();
    }
}
