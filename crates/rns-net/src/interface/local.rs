//! The shared instance's data plane: programs on one machine share one
//! Reticulum instance over a local socket with HDLC framing (§15).
//!
//! The first instance to start with `share_instance` listens; later ones
//! attach to it as clients instead of bringing up interfaces of their own. On
//! Linux the socket is the abstract Unix socket `\0rns/<instance_name>` (no file
//! to clean up, gone with the process); elsewhere, or with
//! `shared_instance_type = tcp`, it is TCP on 127.0.0.1:`shared_instance_port`.

use std::io;

use tokio::net::TcpStream;

use super::stream::Framing;
use super::tcp_client::run_reconnecting;
use super::tcp_server::{ByteStream, Listener};
use super::{IfaceCtx, InterfaceInfo, LocalRole};
use crate::config::{InterfaceModeSetting, ReticulumConfig, SharedInstanceType};

/// The reference's HW_MTU for local interfaces.
pub const LOCAL_HW_MTU: u32 = 262_144;
/// Local sockets are treated as 1 Gbit/s.
pub const LOCAL_BITRATE: u64 = 1_000_000_000;

/// Where the shared instance listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalEndpoint {
    /// An abstract Unix socket name, without the leading NUL.
    Abstract(String),
    /// TCP on 127.0.0.1.
    Tcp(u16),
}

impl LocalEndpoint {
    /// The endpoint a config names.
    pub fn from_config(config: &ReticulumConfig) -> Self {
        let abstract_supported = cfg!(any(target_os = "linux", target_os = "android"));
        match config.shared_instance_type {
            SharedInstanceType::Unix if abstract_supported => {
                LocalEndpoint::Abstract(format!("rns/{}", config.instance_name))
            }
            _ => LocalEndpoint::Tcp(config.shared_instance_port),
        }
    }

    /// Where the instance's RPC control plane listens: `rns/<name>/rpc` in
    /// the abstract namespace, or TCP `instance_control_port`.
    pub fn rpc_from_config(config: &ReticulumConfig) -> Self {
        match Self::from_config(config) {
            LocalEndpoint::Abstract(name) => LocalEndpoint::Abstract(format!("{name}/rpc")),
            LocalEndpoint::Tcp(_) => LocalEndpoint::Tcp(config.instance_control_port),
        }
    }

    /// Connects to a running instance.
    pub(crate) async fn connect(&self) -> io::Result<Box<dyn ByteStream>> {
        match self {
            LocalEndpoint::Tcp(port) => {
                let sock = TcpStream::connect(("127.0.0.1", *port)).await?;
                let _ = sock.set_nodelay(true);
                Ok(Box::new(sock))
            }
            LocalEndpoint::Abstract(name) => abstract_socket::connect(name.clone()).await,
        }
    }

    /// Listens as the instance. Must run inside the runtime.
    pub(crate) async fn bind(&self) -> io::Result<Listener> {
        match self {
            LocalEndpoint::Tcp(port) => Ok(Listener::Tcp(
                tokio::net::TcpListener::bind(("127.0.0.1", *port)).await?,
            )),
            LocalEndpoint::Abstract(name) => abstract_socket::bind(name),
        }
    }
}

fn info(name: &str, role: LocalRole) -> InterfaceInfo {
    InterfaceInfo {
        name: name.to_string(),
        mode: InterfaceModeSetting::Full,
        hw_mtu: Some(LOCAL_HW_MTU),
        bitrate: LOCAL_BITRATE,
        announce_cap: crate::config::interfaces::DEFAULT_ANNOUNCE_CAP,
        ifac: None,
        outbound: true,
        role,
    }
}

/// The interface to the instance we attach to.
pub(crate) fn client_info() -> InterfaceInfo {
    info("Shared Instance", LocalRole::SharedInstanceClient)
}

/// The template for local programs attached to us.
pub(crate) fn server_info() -> InterfaceInfo {
    info("Local Client", LocalRole::ClientOfOurs)
}

/// Stays attached to the instance at `endpoint`, reconnecting if it restarts.
pub(crate) async fn run_client(endpoint: LocalEndpoint, first: Box<dyn ByteStream>, ctx: IfaceCtx) {
    let connect = move || {
        let endpoint = endpoint.clone();
        async move { endpoint.connect().await }
    };
    run_reconnecting(client_info(), Framing::Hdlc, Some(first), connect, ctx).await;
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod abstract_socket {
    //! Abstract-namespace Unix sockets through std (no libc), handed to tokio.

    use std::io;
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

    use super::{ByteStream, Listener};

    pub(super) async fn connect(name: String) -> io::Result<Box<dyn ByteStream>> {
        // connect(2) on a local socket can block while the listener's backlog
        // is full; keep that off the async threads.
        let std_sock = tokio::task::spawn_blocking(move || {
            let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
            let s = UnixStream::connect_addr(&addr)?;
            s.set_nonblocking(true)?;
            Ok::<_, io::Error>(s)
        })
        .await
        .map_err(io::Error::other)??;
        Ok(Box::new(tokio::net::UnixStream::from_std(std_sock)?))
    }

    pub(super) fn bind(name: &str) -> io::Result<Listener> {
        let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
        let l = UnixListener::bind_addr(&addr)?;
        l.set_nonblocking(true)?;
        Ok(Listener::Unix(tokio::net::UnixListener::from_std(l)?))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod abstract_socket {
    //! No abstract namespace here: `from_config` never picks it.

    use std::io;

    use super::{ByteStream, Listener};

    pub(super) async fn connect(_name: String) -> io::Result<Box<dyn ByteStream>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no abstract sockets",
        ))
    }

    pub(super) fn bind(_name: &str) -> io::Result<Listener> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no abstract sockets",
        ))
    }
}
