//! Loopback-only configs: our node gets one TCP interface on 127.0.0.1, the
//! reference gets the same through `interop::RnsConfig`.

use rns_net::ReticulumConfig;
use rns_net::config::{
    InterfaceEntry, InterfaceKind, InterfaceModeSetting, TcpClientSettings, TcpServerSettings,
};

fn one_interface(name: &str, kind: InterfaceKind) -> ReticulumConfig {
    ReticulumConfig {
        share_instance: false,
        interfaces: vec![InterfaceEntry {
            name: name.into(),
            enabled: true,
            outgoing: true,
            mode: InterfaceModeSetting::Full,
            bitrate: None,
            announce_cap: 0.02,
            ifac: None,
            kind,
            line: 0,
        }],
        ..ReticulumConfig::default()
    }
}

/// A TCP server on 127.0.0.1 (`port` 0 picks a free one).
pub fn tcp_server(port: u16) -> ReticulumConfig {
    one_interface(
        "server",
        InterfaceKind::TcpServer(TcpServerSettings {
            listen_ip: "127.0.0.1".into(),
            listen_port: port,
            prefer_ipv6: false,
        }),
    )
}

pub fn tcp_client(port: u16) -> ReticulumConfig {
    one_interface(
        "client",
        InterfaceKind::TcpClient(TcpClientSettings {
            target_host: "127.0.0.1".into(),
            target_port: port,
            kiss_framing: false,
            fixed_mtu: None,
        }),
    )
}

/// Two of our nodes joined over loopback TCP: (server, client), started.
pub async fn tcp_pair() -> Result<(rns_net::ReticulumHandle, rns_net::ReticulumHandle), String> {
    let server = rns_net::Reticulum::new(tcp_server(0))
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let port = server
        .listen_addr("server")
        .ok_or("no listen address")?
        .port();
    let client = rns_net::Reticulum::new(tcp_client(port))
        .start()
        .await
        .map_err(|e| e.to_string())?;
    Ok((server, client))
}
