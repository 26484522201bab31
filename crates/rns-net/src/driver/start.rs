//! Bringing up the interfaces a config names, as tasks in the driver's set.

use std::collections::HashSet;
use std::net::SocketAddr;

use rns_proto::node::{InterfaceConfig, InterfaceId, InterfaceMode};
use tokio::task::JoinSet;

use crate::cancel::CancelSource;
use crate::config::{InterfaceEntry, InterfaceKind, InterfaceModeSetting, ReticulumConfig};
use crate::error::NetError;
use crate::interface::auto::{self, AUTO_HW_MTU};
use crate::interface::local::{self, LocalEndpoint};
use crate::interface::stream::Framing;
use crate::interface::tcp_client::TcpClientPlan;
use crate::interface::udp::UDP_HW_MTU;
use crate::interface::{
    IfaceCtx, InterfaceInfo, LocalRole, TCP_BITRATE_GUESS, hw_mtu_for_bitrate, tcp_client,
    tcp_server, udp,
};

/// What starting the configured interfaces produced besides tasks.
#[derive(Debug, Default)]
pub(crate) struct Started {
    /// Listening sockets by interface name, with the port actually bound.
    pub listeners: Vec<(String, SocketAddr)>,
    /// Interfaces that were skipped, and why.
    pub warnings: Vec<String>,
    /// Each started interface's own stop signal, by name.
    pub stops: Vec<(String, CancelSource)>,
}

/// How this instance relates to the machine's shared instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceRole {
    /// `share_instance = no`: on our own, with our configured interfaces.
    Standalone,
    /// We are the shared instance: local programs attach to us, and we run
    /// the configured interfaces.
    SharedInstance,
    /// Another instance was already running: we attached to it and run no
    /// interfaces of our own.
    SharedInstanceClient,
}

/// Attaches to a running shared instance, or becomes one, or stands alone, as
/// the config says; then starts the configured interfaces unless attached.
pub(crate) async fn start_instance(
    config: &ReticulumConfig,
    ctx: &IfaceCtx,
    tasks: &mut JoinSet<()>,
) -> Result<(InstanceRole, Started), NetError> {
    if !config.share_instance {
        let started = start_interfaces(config, ctx, tasks).await?;
        return Ok((InstanceRole::Standalone, started));
    }
    let endpoint = LocalEndpoint::from_config(config);
    let io_err = |source| NetError::Interface {
        name: "Shared Instance".into(),
        source,
    };
    if let Ok(stream) = endpoint.connect().await {
        tasks.spawn(local::run_client(endpoint, stream, ctx.clone()));
        return Ok((InstanceRole::SharedInstanceClient, Started::default()));
    }
    let listener = match endpoint.bind().await {
        Ok(l) => l,
        // Another instance won the race to listen between our connect and
        // bind: attach to it instead.
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let stream = endpoint.connect().await.map_err(io_err)?;
            tasks.spawn(local::run_client(endpoint, stream, ctx.clone()));
            return Ok((InstanceRole::SharedInstanceClient, Started::default()));
        }
        Err(e) => return Err(io_err(e)),
    };
    tasks.spawn(tcp_server::run(listener, local::server_info(), ctx.clone()));
    let started = start_interfaces(config, ctx, tasks).await?;
    Ok((InstanceRole::SharedInstance, started))
}

/// Starts every enabled interface. A failure is fatal only with
/// `panic_on_interface_error`; otherwise it becomes a warning.
pub(crate) async fn start_interfaces(
    config: &ReticulumConfig,
    ctx: &IfaceCtx,
    tasks: &mut JoinSet<()>,
) -> Result<Started, NetError> {
    let mut started = Started::default();
    for entry in config.enabled_interfaces() {
        match start_one(entry, ctx, tasks).await {
            Ok((addr, stop)) => {
                if let Some(addr) = addr {
                    started.listeners.push((entry.name.clone(), addr));
                }
                started.stops.push((entry.name.clone(), stop));
            }
            Err(e) if config.panic_on_interface_error => return Err(e),
            Err(e) => started.warnings.push(e.to_string()),
        }
    }
    Ok(started)
}

/// Starts one interface with its own stop signal (which the caller keeps:
/// dropping it stops the interface), and returns the bound address for
/// listening interfaces.
pub(crate) async fn start_one(
    entry: &InterfaceEntry,
    ctx: &IfaceCtx,
    tasks: &mut JoinSet<()>,
) -> Result<(Option<SocketAddr>, CancelSource), NetError> {
    let (stop, cancel) = ctx.cancel.child();
    let ctx = &IfaceCtx {
        cancel,
        ..ctx.clone()
    };
    let addr = start_with(entry, ctx, tasks).await?;
    Ok((addr, stop))
}

async fn start_with(
    entry: &InterfaceEntry,
    ctx: &IfaceCtx,
    tasks: &mut JoinSet<()>,
) -> Result<Option<SocketAddr>, NetError> {
    let ifac = entry.ifac_key().map_err(|source| NetError::Ifac {
        name: entry.name.clone(),
        source,
    })?;
    let bitrate = entry.bitrate.unwrap_or(TCP_BITRATE_GUESS);
    let mut info = InterfaceInfo {
        name: entry.name.clone(),
        mode: entry.mode,
        hw_mtu: hw_mtu_for_bitrate(bitrate),
        bitrate,
        announce_cap: entry.announce_cap,
        ifac,
        outbound: entry.outgoing,
        role: LocalRole::None,
    };
    let io_err = |source| NetError::Interface {
        name: entry.name.clone(),
        source,
    };
    match &entry.kind {
        InterfaceKind::TcpClient(c) => {
            if let Some(mtu) = c.fixed_mtu {
                info.hw_mtu = Some(mtu);
            }
            let plan = TcpClientPlan {
                host: c.target_host.clone(),
                port: c.target_port,
                framing: if c.kiss_framing {
                    Framing::Kiss
                } else {
                    Framing::Hdlc
                },
                info,
            };
            tasks.spawn(tcp_client::run(plan, ctx.clone()));
            Ok(None)
        }
        InterfaceKind::TcpServer(s) => {
            let listener = tcp_server::bind(&s.listen_ip, s.listen_port)
                .await
                .map_err(io_err)?;
            let addr = listener.local_addr().map_err(io_err)?;
            tasks.spawn(tcp_server::run(
                tcp_server::Listener::Tcp(listener),
                info,
                ctx.clone(),
            ));
            Ok(Some(addr))
        }
        InterfaceKind::Udp(u) => {
            info.hw_mtu = Some(UDP_HW_MTU);
            let (sock, forward) =
                udp::bind(&u.listen_ip, u.listen_port, &u.forward_ip, u.forward_port)
                    .await
                    .map_err(io_err)?;
            let addr = sock.local_addr().map_err(io_err)?;
            tasks.spawn(udp::run(sock, forward, info, ctx.clone()));
            Ok(Some(addr))
        }
        InterfaceKind::Auto(a) => {
            info.hw_mtu = Some(AUTO_HW_MTU);
            let plan = auto::AutoPlan::from_settings(a).map_err(io_err)?;
            let bound = auto::bind(plan).map_err(io_err)?;
            tasks.spawn(auto::run(bound, info, ctx.clone()));
            Ok(None)
        }
    }
}

/// The names under which interfaces attach again after a restart: the
/// configured TCP clients and UDP interfaces (a TCP server attaches only its
/// connections, named after the peer), or the link to the shared instance.
pub(crate) fn persistent_interface_names(
    config: &ReticulumConfig,
    role: InstanceRole,
) -> HashSet<String> {
    if role == InstanceRole::SharedInstanceClient {
        return HashSet::from([local::client_info().name]);
    }
    config
        .enabled_interfaces()
        .filter(|e| matches!(e.kind, InterfaceKind::TcpClient(_) | InterfaceKind::Udp(_)))
        .map(|e| e.name.clone())
        .collect()
}

/// The node's view of an interface.
pub(crate) fn node_config(info: &InterfaceInfo) -> InterfaceConfig {
    let mut c = InterfaceConfig::new(info.name.clone());
    c.mode = match info.mode {
        InterfaceModeSetting::Full => InterfaceMode::Full,
        InterfaceModeSetting::PointToPoint => InterfaceMode::PointToPoint,
        InterfaceModeSetting::AccessPoint => InterfaceMode::AccessPoint,
        InterfaceModeSetting::Roaming => InterfaceMode::Roaming,
        InterfaceModeSetting::Boundary => InterfaceMode::Boundary,
        InterfaceModeSetting::Gateway => InterfaceMode::Gateway,
    };
    c.hw_mtu = info.hw_mtu;
    c.bitrate = info.bitrate;
    c.announce_cap = info.announce_cap;
    c.ifac = info.ifac.clone();
    c.outbound = info.outbound;
    c.is_local_shared_instance_client = info.role == LocalRole::SharedInstanceClient;
    c.is_local_client_of_ours = info.role == LocalRole::ClientOfOurs;
    c
}

/// Interface ids as the node knows them.
pub(crate) fn node_id(id: u32) -> InterfaceId {
    InterfaceId(id)
}
