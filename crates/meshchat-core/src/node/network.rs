//! The network tools of the API, on the running stack: paths (look up,
//! request, wait for, drop, the whole table), ping and probe (a packet to a
//! destination that proves what it receives, timed until its proof), and
//! the interfaces as they run (status and byte counters, a TCP server's
//! connections folded into it).

use std::collections::BTreeMap;
use std::time::Duration;

use rns_crypto::{DestinationHash, OsRng};
use rns_net::ReticulumHandle;
use rns_net::config::{InterfaceKind, InterfaceModeSetting};
use rns_proto::node::{Event, NodeError};
use tokio::sync::broadcast;

use super::Node;
use crate::error::CoreError;

/// The longest a path wait, ping or probe may be asked to take.
pub const MAX_NETWORK_WAIT: Duration = Duration::from_secs(60);
/// The largest probe payload (fits one packet with room to spare).
pub const MAX_PROBE_SIZE: usize = 256;
/// Probes in one request, at most.
pub const MAX_PROBES: u32 = 10;

/// One known path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathInfo {
    pub destination: DestinationHash,
    pub hops: u8,
    /// The transport node next on the way (the destination itself when
    /// direct), as hex.
    pub next_hop: String,
    /// The interface the path goes through, by name.
    pub interface: String,
    pub timestamp: f64,
    pub expires: f64,
}

/// A reply to a ping or probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeReply {
    /// Round-trip time in seconds.
    pub rtt: f64,
    pub hops: u8,
    pub interface: String,
}

/// One interface as it runs, with what the config says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceRuntime {
    /// The configured name (a TCP server's connections are folded in).
    pub name: String,
    /// The config's type name (`TCPServerInterface`, ...), or
    /// `LocalInterface` for the link to a shared instance.
    pub kind: String,
    pub online: bool,
    pub mode: InterfaceModeSetting,
    pub bitrate: u64,
    pub hw_mtu: Option<u32>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
    /// Connections of a TCP server.
    pub clients: usize,
    pub dropped: u64,
}

/// What the node knows of the network as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkStatus {
    pub interfaces: Vec<InterfaceRuntime>,
    pub transport_id: String,
    pub transport_enabled: bool,
    pub paths: usize,
    pub links: usize,
}

fn net_error(e: rns_net::NetError) -> CoreError {
    CoreError::Net(e.to_string())
}

impl Node {
    fn net(&self) -> Result<ReticulumHandle, CoreError> {
        if !self.status().is_ready() {
            return Err(CoreError::NotReady);
        }
        self.stack_handles().map(|(_, net)| net)
    }

    async fn interface_names(net: &ReticulumHandle) -> Result<BTreeMap<u32, String>, CoreError> {
        Ok(net
            .interfaces()
            .await
            .map_err(net_error)?
            .into_iter()
            .map(|i| (i.id.0, i.name))
            .collect())
    }

    /// The path to `dest`, if one is known.
    pub async fn path(&self, dest: DestinationHash) -> Result<Option<PathInfo>, CoreError> {
        let table = self.path_table().await?;
        Ok(table.into_iter().find(|p| p.destination == dest))
    }

    /// Every known path, nearest first.
    pub async fn path_table(&self) -> Result<Vec<PathInfo>, CoreError> {
        let net = self.net()?;
        let names = Self::interface_names(&net).await?;
        let mut table: Vec<PathInfo> = net
            .path_table()
            .await
            .map_err(net_error)?
            .into_iter()
            .map(|p| PathInfo {
                destination: p.destination,
                hops: p.hops,
                next_hop: p.next_hop.to_string(),
                interface: names.get(&p.interface.0).cloned().unwrap_or_default(),
                timestamp: p.timestamp,
                expires: p.expires,
            })
            .collect();
        table.sort_by(|a, b| {
            a.hops
                .cmp(&b.hops)
                .then(a.destination.as_bytes().cmp(b.destination.as_bytes()))
        });
        Ok(table)
    }

    /// Asks the network for a path to `dest` (answers come as announces).
    pub async fn request_path(&self, dest: DestinationHash) -> Result<(), CoreError> {
        self.net()?.request_path(dest).await.map_err(net_error)
    }

    /// Requests a path if none is known and waits for one, up to `timeout`
    /// (capped at [`MAX_NETWORK_WAIT`]); `None` if none came.
    pub async fn await_path(
        &self,
        dest: DestinationHash,
        timeout: Duration,
    ) -> Result<Option<PathInfo>, CoreError> {
        let net = self.net()?;
        match net.await_path(dest, timeout.min(MAX_NETWORK_WAIT)).await {
            Ok(_) => self.path(dest).await,
            Err(rns_net::NetError::Timeout) => Ok(None),
            Err(e) => Err(net_error(e)),
        }
    }

    /// Forgets the path to `dest`; whether there was one.
    pub async fn drop_path(&self, dest: DestinationHash) -> Result<bool, CoreError> {
        self.net()?.drop_path(dest).await.map_err(net_error)
    }

    /// Sends `size` random bytes to `dest` (which must prove what it
    /// receives, as `lxmf.delivery` does) and waits for the proof. A path is
    /// requested first if none is known. Fails with
    /// [`CoreError::Unreachable`] when there is no path or no reply in time.
    pub async fn probe(
        &self,
        dest: DestinationHash,
        size: usize,
        timeout: Duration,
    ) -> Result<ProbeReply, CoreError> {
        let net = self.net()?;
        let timeout = timeout.min(MAX_NETWORK_WAIT);
        let hops = match net.await_path(dest, timeout).await {
            Ok(h) => h,
            Err(rns_net::NetError::Timeout) => {
                return Err(CoreError::Unreachable(
                    "Could not find path to destination.".into(),
                ));
            }
            Err(e) => return Err(net_error(e)),
        };
        let mut payload = Vec::with_capacity(size.min(MAX_PROBE_SIZE));
        while payload.len() < size.min(MAX_PROBE_SIZE) {
            payload.extend_from_slice(&rns_crypto::random_hash(&mut OsRng));
        }
        payload.truncate(size.min(MAX_PROBE_SIZE));
        let mut events = net.subscribe();
        let receipt = match net.send_packet(dest, payload).await {
            Ok(r) => r,
            Err(rns_net::NetError::Node(NodeError::UnknownIdentity(_))) => {
                return Err(CoreError::Unreachable(
                    "Could not recall the destination's identity.".into(),
                ));
            }
            Err(e) => return Err(net_error(e)),
        };
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(Event::ReceiptDelivered { receipt: r, rtt }) if r == receipt => {
                        return Ok(Some(rtt));
                    }
                    Ok(Event::ReceiptTimedOut { receipt: r }) if r == receipt => return Ok(None),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        return Err(CoreError::Net("the network stack has stopped".into()));
                    }
                }
            }
        };
        let rtt = match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(Some(rtt))) => rtt,
            Ok(Err(e)) => return Err(e),
            Ok(Ok(None)) | Err(_) => {
                return Err(CoreError::Unreachable(
                    "Timed out waiting for a reply.".into(),
                ));
            }
        };
        let interface = self
            .path(dest)
            .await?
            .map(|p| p.interface)
            .unwrap_or_default();
        Ok(ProbeReply {
            rtt,
            hops,
            interface,
        })
    }

    /// The interfaces as they run, in config order, with their counters.
    pub async fn network_status(&self) -> Result<NetworkStatus, CoreError> {
        let net = self.net()?;
        let running = net.interfaces().await.map_err(net_error)?;
        let stats = net.stats().await.map_err(net_error)?;
        let configured = rns_net::ReticulumConfig::load(self.reticulum_config_dir())
            .map(|p| p.config.interfaces)
            .unwrap_or_default();
        let mut out: Vec<InterfaceRuntime> = Vec::new();
        for entry in configured.iter().filter(|e| e.enabled) {
            let (kind, bitrate) = match &entry.kind {
                InterfaceKind::TcpClient(_) => ("TCPClientInterface", None),
                InterfaceKind::TcpServer(_) => ("TCPServerInterface", None),
                InterfaceKind::Udp(_) => ("UDPInterface", None),
                InterfaceKind::Auto(_) => ("AutoInterface", None::<u64>),
            };
            let is_server = matches!(entry.kind, InterfaceKind::TcpServer(_));
            out.push(InterfaceRuntime {
                name: entry.name.clone(),
                kind: kind.to_string(),
                // A server listens whether or not anyone is connected.
                online: is_server,
                mode: entry.mode,
                bitrate: entry.bitrate.or(bitrate).unwrap_or(10_000_000),
                hw_mtu: None,
                rx_bytes: 0,
                tx_bytes: 0,
                rx_packets: 0,
                tx_packets: 0,
                clients: 0,
                dropped: 0,
            });
        }
        for r in running {
            let s = stats.interfaces.get(&r.id).cloned().unwrap_or_default();
            let base = r.name.split('/').next().unwrap_or(&r.name).to_string();
            let slot = match out.iter().position(|o| o.name == r.name) {
                Some(i) => i,
                None => match out
                    .iter()
                    .position(|o| o.name == base && o.kind == "TCPServerInterface")
                {
                    Some(i) => {
                        out[i].clients += 1;
                        i
                    }
                    None => {
                        out.push(InterfaceRuntime {
                            name: r.name.clone(),
                            kind: "LocalInterface".into(),
                            online: false,
                            mode: InterfaceModeSetting::Full,
                            bitrate: r.bitrate,
                            hw_mtu: r.hw_mtu,
                            rx_bytes: 0,
                            tx_bytes: 0,
                            rx_packets: 0,
                            tx_packets: 0,
                            clients: 0,
                            dropped: 0,
                        });
                        out.len() - 1
                    }
                },
            };
            let o = &mut out[slot];
            o.online |= r.online;
            o.bitrate = r.bitrate;
            o.hw_mtu = o.hw_mtu.or(r.hw_mtu);
            o.rx_bytes += s.rx_bytes;
            o.tx_bytes += s.tx_bytes;
            o.rx_packets += s.rx_packets;
            o.tx_packets += s.tx_packets;
            o.dropped += r.dropped_outbound;
        }
        let info = self.net_info();
        Ok(NetworkStatus {
            interfaces: out,
            transport_id: net.transport_id().to_string(),
            transport_enabled: info.is_some_and(|i| i.transport_enabled),
            paths: stats.paths,
            links: stats.links,
        })
    }
}
