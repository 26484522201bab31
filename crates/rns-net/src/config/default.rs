//! The config written on first run, and writing it only when none exists.

use std::io::Write;
use std::path::Path;

use super::ConfigError;

/// A config for a real user's first run: a standalone instance that shares
/// itself with local programs and finds peers on the local network through
/// AutoInterface. Commented examples show the other interface types.
pub fn default_config_text() -> String {
    DEFAULT_CONFIG.to_string()
}

const DEFAULT_CONFIG: &str = "\
# Reticulum configuration, written by MeshChatX-rs on first run.
# Values are `key = value`; yes/no, true/false and on/off all work for switches.

[reticulum]
  # Forward packets and answer path requests for other nodes. Leave this off
  # unless this machine is meant to be a stable, always-on router.
  enable_transport = No

  # Let other programs on this machine use this instance, or use an instance
  # that is already running.
  share_instance = Yes
  instance_name = default
  # shared_instance_type = unix
  # shared_instance_port = 37428
  # instance_control_port = 37429

  panic_on_interface_error = No
  use_implicit_proof = Yes
  respond_to_probes = No

[logging]
  # 0 (critical only) to 7 (everything).
  loglevel = 4

[interfaces]
  # Finds other Reticulum peers on the local network with IPv6 multicast;
  # needs no configuration.
  [[Default Interface]]
    type = AutoInterface
    enabled = Yes

  # Connect to a remote node over TCP:
  # [[Remote Node]]
  #   type = TCPClientInterface
  #   enabled = Yes
  #   target_host = 192.0.2.10
  #   target_port = 4242

  # Accept TCP connections from other nodes:
  # [[TCP Server]]
  #   type = TCPServerInterface
  #   enabled = No
  #   listen_ip = 0.0.0.0
  #   listen_port = 4242

  # Broadcast on a LAN over UDP:
  # [[UDP Broadcast]]
  #   type = UDPInterface
  #   enabled = No
  #   listen_ip = 0.0.0.0
  #   listen_port = 4242
  #   forward_ip = 255.255.255.255
  #   forward_port = 4242
";

/// Writes the default config to `<config_dir>/config` unless a file is
/// already there; creates the directory. Returns whether it wrote one.
///
/// The file is created with `create_new`, so two processes starting at once
/// cannot overwrite each other or a config the user has just saved.
pub fn write_default_if_missing(config_dir: &Path) -> Result<bool, ConfigError> {
    let path = config_dir.join("config");
    let io = |source| ConfigError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(config_dir).map_err(io)?;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(io(e)),
    };
    file.write_all(DEFAULT_CONFIG.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(true)
}
