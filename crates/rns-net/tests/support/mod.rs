//! Helpers for the driver tests: configs on 127.0.0.1, waiting on events with
//! generous deadlines (never fixed sleeps).

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use rns_net::config::{
    InterfaceEntry, InterfaceKind, InterfaceModeSetting, TcpClientSettings, TcpServerSettings,
    UdpSettings,
};
use rns_net::{ReticulumConfig, ReticulumHandle};
use rns_proto::node::Event;
use tokio::sync::broadcast;

pub const WAIT: Duration = Duration::from_secs(30);

fn entry(name: &str, kind: InterfaceKind) -> InterfaceEntry {
    InterfaceEntry {
        name: name.into(),
        enabled: true,
        outgoing: true,
        mode: InterfaceModeSetting::Full,
        bitrate: None,
        announce_cap: 0.02,
        ifac: None,
        kind,
        line: 0,
    }
}

fn base(interface: InterfaceEntry) -> ReticulumConfig {
    ReticulumConfig {
        share_instance: false,
        interfaces: vec![interface],
        ..ReticulumConfig::default()
    }
}

pub fn tcp_server_config(port: u16) -> ReticulumConfig {
    base(entry(
        "server",
        InterfaceKind::TcpServer(TcpServerSettings {
            listen_ip: "127.0.0.1".into(),
            listen_port: port,
            prefer_ipv6: false,
        }),
    ))
}

pub fn tcp_client_config(port: u16) -> ReticulumConfig {
    base(entry(
        "client",
        InterfaceKind::TcpClient(TcpClientSettings {
            target_host: "127.0.0.1".into(),
            target_port: port,
            kiss_framing: false,
            fixed_mtu: None,
        }),
    ))
}

pub fn udp_config(listen_port: u16, forward_port: u16) -> ReticulumConfig {
    base(entry(
        "udp",
        InterfaceKind::Udp(UdpSettings {
            listen_ip: "127.0.0.1".into(),
            listen_port,
            forward_ip: "127.0.0.1".into(),
            forward_port,
        }),
    ))
}

/// Polls `check` until it yields, for up to [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `handle` has `n` interfaces online.
pub async fn online(handle: &ReticulumHandle, n: usize) {
    eventually("interfaces online", || async {
        let up = handle.interfaces().await.ok()?;
        (up.iter().filter(|i| i.online).count() >= n).then_some(())
    })
    .await;
}

/// The first event `pick` accepts, within [`WAIT`].
pub async fn wait_event<T>(
    rx: &mut broadcast::Receiver<Event>,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let work = async {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if let Some(v) = pick(&ev) {
                        return v;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("driver stopped"),
            }
        }
    };
    match tokio::time::timeout(WAIT, work).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rns-net-{tag}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A UDP port free right now on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
