//! The two ways a test puts our node and one Python peer on a network:
//! over a direct TCP connection, or both attached to a Python `rnsd` shared
//! instance. Tests that must hold in both run once per [`Topology`].

use crate::{PyPeer, RnsConfig, Rnsd, SharedInstance, TempDir, free_port};

/// How our node reaches the Python peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The peer serves TCP on 127.0.0.1; our node is its client.
    DirectTcp,
    /// A Python `rnsd` runs the shared instance (a Unix socket); the peer
    /// and our node are both its local clients.
    SharedRnsd,
}

/// The network of one test: the Python peer's side is running (its `rnsd`
/// too, kept alive by this value); our node starts with [`Meeting::ours`].
#[derive(Debug)]
pub struct Meeting {
    /// The Reticulum config our node starts with (not written: our node
    /// takes it as it is).
    pub ours: RnsConfig,
    /// Interfaces the peer shows once our node has connected.
    online: usize,
    _rnsd: Option<Rnsd>,
}

impl Meeting {
    /// Starts the peer's side of `topology` under `tmp` (`py/`, `ours/`,
    /// `rnsd/`).
    pub fn start(tmp: &TempDir, topology: Topology) -> (Meeting, PyPeer) {
        match topology {
            Topology::DirectTcp => {
                let port = free_port();
                let peer =
                    PyPeer::spawn_config(&RnsConfig::new(tmp.join("py")).tcp_server(port).write());
                let ours = RnsConfig::new(tmp.join("ours")).tcp_client(port);
                // The server's own interface and the one it spawns for us.
                (
                    Meeting {
                        ours,
                        online: 2,
                        _rnsd: None,
                    },
                    peer,
                )
            }
            Topology::SharedRnsd => {
                let instance = SharedInstance::unique_unix();
                let rnsd = Rnsd::spawn(&RnsConfig::new(tmp.join("rnsd")).shared(instance.clone()));
                let peer = PyPeer::spawn_config(
                    &RnsConfig::shared_client(tmp.join("py"), &instance).write(),
                );
                let ours = RnsConfig::shared_client(tmp.join("ours"), &instance);
                (
                    Meeting {
                        ours,
                        online: 1,
                        _rnsd: Some(rnsd),
                    },
                    peer,
                )
            }
        }
    }

    /// Waits until the peer's interfaces are up (with our node connected,
    /// over direct TCP).
    pub fn wait_connected(&self, peer: &PyPeer) {
        peer.wait_online(self.online);
    }
}
