//! Loopback-only Reticulum config directories for the reference stack.
//!
//! Every config written here has no AutoInterface (and no other interface that
//! reaches past 127.0.0.1), `panic_on_interface_error = No`, and an explicit
//! `share_instance`.

use std::fmt::Write as _;
use std::hash::{BuildHasher as _, Hasher as _};
use std::path::{Path, PathBuf};

use crate::{free_port, unique_token};

/// How a shared instance (an `rnsd`, or the first program on a config) is
/// reached by local clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedInstance {
    /// Linux abstract Unix sockets `@rns/<instance_name>` (and
    /// `@rns/<instance_name>/rpc`). Abstract names are global to the network
    /// namespace, so parallel tests need unique names.
    Unix {
        instance_name: String,
        rpc_key: String,
    },
    /// `shared_instance_type = tcp` on 127.0.0.1 with explicit ports.
    Tcp {
        port: u16,
        control_port: u16,
        rpc_key: String,
    },
}

impl SharedInstance {
    /// A Unix-socket shared instance with a process-unique name.
    pub fn unique_unix() -> SharedInstance {
        SharedInstance::Unix {
            instance_name: format!("mcx-{}", unique_token()),
            rpc_key: random_hex(32),
        }
    }

    /// A TCP shared instance on two ports that were free a moment ago.
    pub fn free_tcp() -> SharedInstance {
        let port = free_port();
        let mut control_port = free_port();
        while control_port == port {
            control_port = free_port();
        }
        SharedInstance::Tcp {
            port,
            control_port,
            rpc_key: random_hex(32),
        }
    }

    fn rpc_key(&self) -> &str {
        match self {
            SharedInstance::Unix { rpc_key, .. } | SharedInstance::Tcp { rpc_key, .. } => rpc_key,
        }
    }
}

/// A loopback interface of a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// `TCPServerInterface` listening on 127.0.0.1:`port`.
    TcpServer { name: String, port: u16 },
    /// `TCPClientInterface` connecting to 127.0.0.1:`port`.
    TcpClient { name: String, port: u16 },
    /// `UDPInterface` listening on 127.0.0.1:`listen_port`, sending to
    /// 127.0.0.1:`forward_port`.
    Udp {
        name: String,
        listen_port: u16,
        forward_port: u16,
    },
}

/// Builder for a Reticulum config directory (`<dir>/config`).
///
/// Roles:
/// * standalone peer with a TCP server: `RnsConfig::new(dir).tcp_server(p)`;
/// * standalone peer with a TCP client: `RnsConfig::new(dir).tcp_client(p)`;
/// * an `rnsd` shared instance: `RnsConfig::new(dir).shared(SharedInstance::unique_unix())`
///   and its clients `RnsConfig::shared_client(dir, &instance)`;
/// * a transport node: `RnsConfig::new(dir).transport(true).tcp_server(p).tcp_client(q)`.
///
/// The log level defaults to `MESHCHATX_RNS_LOGLEVEL` or 4 (notice).
#[derive(Debug, Clone)]
pub struct RnsConfig {
    dir: PathBuf,
    transport: bool,
    shared: Option<SharedInstance>,
    shared_client: bool,
    loglevel: u8,
    interfaces: Vec<Interface>,
    interface_options: Vec<(String, String)>,
}

impl RnsConfig {
    /// A standalone node (no transport, no shared instance, no interfaces).
    pub fn new(dir: impl Into<PathBuf>) -> RnsConfig {
        let loglevel = std::env::var("MESHCHATX_RNS_LOGLEVEL")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(4);
        RnsConfig {
            dir: dir.into(),
            transport: false,
            shared: None,
            shared_client: false,
            loglevel,
            interfaces: Vec::new(),
            interface_options: Vec::new(),
        }
    }

    /// A program that attaches to the shared instance `instance` (run it with
    /// `PyPeer::spawn_shared_client`). It has no interfaces of its own.
    pub fn shared_client(dir: impl Into<PathBuf>, instance: &SharedInstance) -> RnsConfig {
        let mut c = RnsConfig::new(dir).shared(instance.clone());
        c.shared_client = true;
        c
    }

    pub fn transport(mut self, enable: bool) -> Self {
        self.transport = enable;
        self
    }

    /// Makes this config share its instance (`share_instance = Yes`).
    pub fn shared(mut self, instance: SharedInstance) -> Self {
        self.shared = Some(instance);
        self
    }

    pub fn loglevel(mut self, level: u8) -> Self {
        self.loglevel = level;
        self
    }

    /// Adds `key = value` to every interface section (e.g. `ifac_size`,
    /// `mode`, `announce_cap`).
    pub fn interface_option(mut self, key: &str, value: &str) -> Self {
        self.interface_options
            .push((key.to_string(), value.to_string()));
        self
    }

    /// Sets `ingress_control` on every interface. The reference default is on:
    /// an interface younger than 2 hours that sees announces for unknown
    /// destinations faster than a few per second holds them back for many
    /// seconds (see docs/interop.md). Tests that announce several
    /// destinations quickly turn it off.
    pub fn ingress_control(self, enabled: bool) -> Self {
        self.interface_option("ingress_control", if enabled { "Yes" } else { "No" })
    }

    pub fn tcp_server(mut self, port: u16) -> Self {
        let name = format!("TCP Server {port}");
        self.interfaces.push(Interface::TcpServer { name, port });
        self
    }

    pub fn tcp_client(mut self, port: u16) -> Self {
        let name = format!("TCP Client {port}");
        self.interfaces.push(Interface::TcpClient { name, port });
        self
    }

    pub fn udp(mut self, listen_port: u16, forward_port: u16) -> Self {
        let name = format!("UDP {listen_port}-{forward_port}");
        self.interfaces.push(Interface::Udp {
            name,
            listen_port,
            forward_port,
        });
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn loglevel_value(&self) -> u8 {
        self.loglevel
    }

    pub fn shared_instance(&self) -> Option<&SharedInstance> {
        self.shared.as_ref()
    }

    /// Whether this config is meant to attach to someone else's shared instance.
    pub fn is_shared_client(&self) -> bool {
        self.shared_client
    }

    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// Ports of the TCP server interfaces.
    pub fn tcp_server_ports(&self) -> Vec<u16> {
        self.interfaces
            .iter()
            .filter_map(|i| match i {
                Interface::TcpServer { port, .. } => Some(*port),
                _ => None,
            })
            .collect()
    }

    /// The config file text.
    pub fn text(&self) -> String {
        let yn = |b: bool| if b { "Yes" } else { "No" };
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Written by crates/interop: loopback interfaces only (127.0.0.1)."
        );
        let _ = writeln!(s, "[reticulum]");
        let _ = writeln!(s, "  enable_transport = {}", yn(self.transport));
        let _ = writeln!(s, "  share_instance = {}", yn(self.shared.is_some()));
        match &self.shared {
            Some(SharedInstance::Unix { instance_name, .. }) => {
                let _ = writeln!(s, "  instance_name = {instance_name}");
            }
            Some(SharedInstance::Tcp {
                port, control_port, ..
            }) => {
                let _ = writeln!(s, "  shared_instance_type = tcp");
                let _ = writeln!(s, "  shared_instance_port = {port}");
                let _ = writeln!(s, "  instance_control_port = {control_port}");
            }
            None => {}
        }
        if let Some(inst) = &self.shared {
            let _ = writeln!(s, "  rpc_key = {}", inst.rpc_key());
        }
        let _ = writeln!(s, "  panic_on_interface_error = No");
        let _ = writeln!(s);
        let _ = writeln!(s, "[logging]");
        let _ = writeln!(s, "  loglevel = {}", self.loglevel);
        let _ = writeln!(s);
        let _ = writeln!(s, "[interfaces]");
        for iface in &self.interfaces {
            match iface {
                Interface::TcpServer { name, port } => {
                    let _ = writeln!(s, "  [[{name}]]");
                    let _ = writeln!(s, "    type = TCPServerInterface");
                    let _ = writeln!(s, "    enabled = yes");
                    let _ = writeln!(s, "    listen_ip = 127.0.0.1");
                    let _ = writeln!(s, "    listen_port = {port}");
                }
                Interface::TcpClient { name, port } => {
                    let _ = writeln!(s, "  [[{name}]]");
                    let _ = writeln!(s, "    type = TCPClientInterface");
                    let _ = writeln!(s, "    enabled = yes");
                    let _ = writeln!(s, "    target_host = 127.0.0.1");
                    let _ = writeln!(s, "    target_port = {port}");
                }
                Interface::Udp {
                    name,
                    listen_port,
                    forward_port,
                } => {
                    let _ = writeln!(s, "  [[{name}]]");
                    let _ = writeln!(s, "    type = UDPInterface");
                    let _ = writeln!(s, "    enabled = yes");
                    let _ = writeln!(s, "    listen_ip = 127.0.0.1");
                    let _ = writeln!(s, "    listen_port = {listen_port}");
                    let _ = writeln!(s, "    forward_ip = 127.0.0.1");
                    let _ = writeln!(s, "    forward_port = {forward_port}");
                }
            }
            for (k, v) in &self.interface_options {
                let _ = writeln!(s, "    {k} = {v}");
            }
            let _ = writeln!(s);
        }
        s
    }

    /// Creates the directory and writes `<dir>/config`.
    pub fn write(self) -> Self {
        std::fs::create_dir_all(&self.dir)
            .unwrap_or_else(|e| panic!("create {}: {e}", self.dir.display()));
        let path = self.dir.join("config");
        std::fs::write(&path, self.text())
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self
    }
}

/// `n` random bytes as hex (std's randomly keyed hasher; fine for test keys).
fn random_hex(n: usize) -> String {
    let state = std::collections::hash_map::RandomState::new();
    let mut out = Vec::with_capacity(n + 8);
    let mut i = 0u64;
    while out.len() < n {
        let mut h = state.build_hasher();
        h.write_u64(i);
        h.write(unique_token().as_bytes());
        out.extend_from_slice(&h.finish().to_le_bytes());
        i += 1;
    }
    out.truncate(n);
    crate::to_hex(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_loopback_only() {
        let inst = SharedInstance::Tcp {
            port: 1,
            control_port: 2,
            rpc_key: "ab".into(),
        };
        let c = RnsConfig::new("/nonexistent")
            .transport(true)
            .shared(inst)
            .tcp_server(4000)
            .tcp_client(4001)
            .udp(4002, 4003)
            .ingress_control(false);
        let t = c.text();
        assert!(!t.contains("AutoInterface"));
        assert!(t.contains("enable_transport = Yes"));
        assert!(t.contains("shared_instance_type = tcp"));
        assert!(t.contains("shared_instance_port = 1"));
        assert!(t.contains("instance_control_port = 2"));
        assert!(t.contains("panic_on_interface_error = No"));
        for line in t
            .lines()
            .filter(|l| l.contains("_ip") || l.contains("host"))
        {
            assert!(line.trim_end().ends_with("127.0.0.1"), "{line}");
        }
        assert_eq!(t.matches("ingress_control = No").count(), 3);
        assert_eq!(c.tcp_server_ports(), vec![4000]);
        assert_eq!(random_hex(32).len(), 64);
    }
}
