//! `Rnsd`: the reference daemon as a shared instance or transport node.

use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{DEFAULT_TIMEOUT, RnsConfig, SharedInstance, file_tail, venv_bin, wait_until};

/// A running `rnsd --config DIR`. Killed on drop.
#[derive(Debug)]
pub struct Rnsd {
    child: Child,
    log_path: PathBuf,
    config_dir: PathBuf,
}

impl Rnsd {
    /// Writes `config` and starts `rnsd` on it, then waits until every TCP
    /// server port of the config accepts connections and, for a shared
    /// instance, its socket (abstract Unix `@rns/<name>` or TCP port) does too.
    pub fn spawn(config: &RnsConfig) -> Rnsd {
        let config = config.clone().write();
        let dir = config.dir().to_path_buf();
        let log_path = dir.join("rnsd.log");
        let log = File::create(&log_path)
            .unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let log2 = log.try_clone().expect("clone log file handle");
        let rnsd = venv_bin("rnsd");
        let child = Command::new(&rnsd)
            .arg("--config")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .env("PYTHONUNBUFFERED", "1")
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", rnsd.display()));
        let mut d = Rnsd {
            child,
            log_path,
            config_dir: dir,
        };

        let ports = config.tcp_server_ports();
        let shared = config.shared_instance().cloned();
        let mut exited = None;
        let up = wait_until(DEFAULT_TIMEOUT, || {
            if let Ok(Some(status)) = d.child.try_wait() {
                exited = Some(status);
                return true;
            }
            ports.iter().all(|p| port_open(*p)) && shared.as_ref().is_none_or(shared_instance_open)
        });
        if let Some(status) = exited {
            d.fail(&format!("rnsd exited during startup: {status}"));
        }
        if !up {
            d.fail(&format!(
                "rnsd not listening within {DEFAULT_TIMEOUT:?} (ports {ports:?})"
            ));
        }
        d
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Last 4 KiB of the daemon's log.
    pub fn log_tail(&self) -> String {
        file_tail(&self.log_path, 4096)
    }

    /// Panics with `msg` and the daemon's log tail.
    pub fn fail(&self, msg: &str) -> ! {
        panic!(
            "{msg}\n--- rnsd {} log tail ---\n{}",
            self.config_dir.display(),
            self.log_tail()
        )
    }
}

impl Drop for Rnsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn port_open(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn shared_instance_open(inst: &SharedInstance) -> bool {
    match inst {
        SharedInstance::Tcp { port, .. } => port_open(*port),
        SharedInstance::Unix { instance_name, .. } => abstract_socket_open(instance_name),
    }
}

#[cfg(target_os = "linux")]
fn abstract_socket_open(instance_name: &str) -> bool {
    use std::os::linux::net::SocketAddrExt as _;
    use std::os::unix::net::{SocketAddr, UnixStream};
    let name = format!("rns/{instance_name}");
    match SocketAddr::from_abstract_name(name.as_bytes()) {
        Ok(addr) => UnixStream::connect_addr(&addr).is_ok(),
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn abstract_socket_open(_instance_name: &str) -> bool {
    true
}
