//! The AutoInterface: finds peers on the local links by IPv6 link-local
//! multicast and exchanges packets with each of them by unicast UDP.
//!
//! What the reference (rns 1.5.7) does, as observed on the wire between two
//! reference instances in network namespaces (docs/interop.md, "AutoInterface"):
//!
//! * Every link with a link-local IPv6 address takes part (`devices` narrows
//!   the set, `ignored_devices` removes from it; `lo` has none).
//! * Discovery: every 1.6 s each node sends its *token*, SHA-256(group_id ||
//!   its link-local address as text), 32 bytes, in one UDP datagram to the
//!   group's multicast address on `discovery_port` (29716). A token that
//!   matches its sender's address makes the sender a peer.
//! * The multicast address is `ff<t><s>:0:` followed by bytes 2..14 of
//!   SHA-256(group_id) as six 16-bit groups; `<t>` is 1 for
//!   `multicast_address_type = temporary` (the default) and 0 for
//!   `permanent`; `<s>` is the scope: link 2 (default), admin 4, site 5,
//!   organisation 8, global e.
//! * Every 8 s each node also sends its token by unicast to each peer's
//!   link-local address on `discovery_port + 1` (reverse peering, for links
//!   where multicast reaches one way only).
//! * Packets: raw, unframed, one per datagram, by unicast to the peer's
//!   link-local address on `data_port` (42671). HW_MTU 1196.
//! * A peer not heard for a while is dropped (observed 22 to 26 s after its
//!   last token; we use 22 s).
//!
//! Each peer is an interface of its own for the node (`<name>/<link>/<addr>`),
//! as in the reference, so paths lead to one peer and a packet to it goes to
//! it alone; it detaches when the peer times out. Choices where nothing was
//! observed: data from an address that is not a peer is dropped; the same
//! frame arriving again within 0.75 s (a peer on two links sends it on both)
//! is dropped; we do not wait for peers before the node starts; the links
//! are looked up once, at start (a link that comes up later is not used
//! until the node restarts).

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use rns_crypto::full_hash;
use rns_wire::framing::FrameLimits;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, interval};

use super::{IfaceCtx, IfaceEvent, InterfaceInfo};
use crate::config::AutoSettings;

/// The reference's HW_MTU for AutoInterface peers.
pub const AUTO_HW_MTU: u32 = 1196;
pub const DEFAULT_GROUP_ID: &str = "reticulum";
pub const DEFAULT_DISCOVERY_PORT: u16 = 29716;
pub const DEFAULT_DATA_PORT: u16 = 42671;
/// How often the token goes to the multicast group.
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_millis(1600);
/// How often the token goes to each peer by unicast.
pub const REVERSE_PEERING_INTERVAL: Duration = Duration::from_secs(8);
/// A peer not heard from this long is dropped.
pub const PEERING_TIMEOUT: Duration = Duration::from_secs(22);
/// Identical frames within this window are delivered once.
const DEDUP_WINDOW: Duration = Duration::from_millis(750);
const DEDUP_ENTRIES: usize = 64;
/// Datagrams from all sockets waiting for the interface task.
const RX_QUEUE: usize = 256;
/// Peers kept at most (each is an interface and a task).
const MAX_PEERS: usize = 256;
/// Link-local prefix fe80::/10.
const fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// The discovery token of the node at `addr`: SHA-256(group_id || addr as text).
pub fn discovery_token(group_id: &str, addr: &Ipv6Addr) -> [u8; 32] {
    let mut m = group_id.as_bytes().to_vec();
    m.extend_from_slice(addr.to_string().as_bytes());
    full_hash(&m)
}

/// The scope nibble of a `discovery_scope` setting.
pub fn scope_nibble(scope: &str) -> Option<u16> {
    match scope.to_ascii_lowercase().as_str() {
        "link" => Some(0x2),
        "admin" => Some(0x4),
        "site" => Some(0x5),
        "organisation" | "organization" => Some(0x8),
        "global" => Some(0xe),
        _ => None,
    }
}

/// The group's multicast address (see the module docs).
pub fn multicast_address(group_id: &str, scope: u16, temporary: bool) -> Ipv6Addr {
    let h = full_hash(group_id.as_bytes());
    let word = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    let first = 0xff00 | (u16::from(temporary) << 4) | (scope & 0xf);
    Ipv6Addr::new(
        first,
        0,
        word(2),
        word(4),
        word(6),
        word(8),
        word(10),
        word(12),
    )
}

/// One network link taking part, with the link-local address we use on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    pub index: u32,
    pub addr: Ipv6Addr,
}

/// The links with a usable link-local address, from `/proc/net/if_inet6`
/// (Linux): the first non-tentative link-local address of each, filtered by
/// `devices` / `ignored_devices`.
pub fn links(devices: &[String], ignored: &[String]) -> std::io::Result<Vec<Link>> {
    let text = std::fs::read_to_string("/proc/net/if_inet6")?;
    Ok(parse_if_inet6(&text, devices, ignored))
}

fn parse_if_inet6(text: &str, devices: &[String], ignored: &[String]) -> Vec<Link> {
    // IFA_F_TENTATIVE | IFA_F_DADFAILED: not bindable (yet).
    const UNUSABLE: u32 = 0x40 | 0x08;
    let mut out: Vec<Link> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [hex, index, _, _, flags, name] = f[..] else {
            continue;
        };
        let (Ok(bits), Ok(index), Ok(flags)) = (
            u128::from_str_radix(hex, 16),
            u32::from_str_radix(index, 16),
            u32::from_str_radix(flags, 16),
        ) else {
            continue;
        };
        let addr = Ipv6Addr::from(bits);
        if !is_link_local(&addr)
            || flags & UNUSABLE != 0
            || (!devices.is_empty() && !devices.iter().any(|d| d == name))
            || ignored.iter().any(|d| d == name)
            || out.iter().any(|l| l.index == index)
        {
            continue;
        }
        out.push(Link {
            name: name.to_string(),
            index,
            addr,
        });
    }
    out.sort_by_key(|l| l.index);
    out
}

/// The settings with the reference's defaults filled in.
#[derive(Debug, Clone)]
pub(crate) struct AutoPlan {
    pub group_id: String,
    pub multicast: Ipv6Addr,
    pub discovery_port: u16,
    pub data_port: u16,
    pub links: Vec<Link>,
}

impl AutoPlan {
    pub(crate) fn from_settings(s: &AutoSettings) -> std::io::Result<Self> {
        let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        let group_id = s
            .group_id
            .clone()
            .unwrap_or_else(|| DEFAULT_GROUP_ID.into());
        let scope = match &s.discovery_scope {
            None => 0x2,
            Some(v) => scope_nibble(v).ok_or_else(|| invalid(format!("discovery_scope {v}")))?,
        };
        let temporary = match s.multicast_address_type.as_deref() {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("temporary") => true,
            Some(v) if v.eq_ignore_ascii_case("permanent") => false,
            Some(v) => return Err(invalid(format!("multicast_address_type {v}"))),
        };
        let links = links(&s.devices, &s.ignored_devices)?;
        if links.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no link with a link-local IPv6 address to use",
            ));
        }
        Ok(AutoPlan {
            multicast: multicast_address(&group_id, scope, temporary),
            group_id,
            discovery_port: s.discovery_port.unwrap_or(DEFAULT_DISCOVERY_PORT),
            data_port: s.data_port.unwrap_or(DEFAULT_DATA_PORT),
            links,
        })
    }
}

/// The sockets of one link.
struct LinkSockets {
    link: Link,
    /// Sends tokens and data; bound to the link-local address, ephemeral port.
    send: Arc<UdpSocket>,
    token: [u8; 32],
}

fn udp6(addr: SocketAddrV6, reuse_port: bool) -> std::io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_only_v6(true)?;
    s.set_reuse_address(true)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
    let _ = reuse_port;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::V6(addr).into())?;
    UdpSocket::from_std(s.into())
}

/// What the socket readers hand the interface task.
enum Rx {
    Token {
        link: usize,
        from: Ipv6Addr,
        data: Vec<u8>,
    },
    Data {
        link: usize,
        from: Ipv6Addr,
        data: Vec<u8>,
    },
}

/// Binds every socket now, so a bad setup is reported at start.
pub(crate) struct Bound {
    plan: AutoPlan,
    links: Vec<LinkSockets>,
    readers: Vec<(usize, bool, UdpSocket)>,
}

pub(crate) fn bind(plan: AutoPlan) -> std::io::Result<Bound> {
    let mut links = Vec::new();
    let mut readers = Vec::new();
    for (i, link) in plan.links.iter().enumerate() {
        let at = |port| SocketAddrV6::new(link.addr, port, 0, link.index);
        let data = udp6(at(plan.data_port), false)?;
        let unicast_discovery = udp6(at(plan.discovery_port.wrapping_add(1)), false)?;
        let multicast = udp6(
            SocketAddrV6::new(plan.multicast, plan.discovery_port, 0, link.index),
            true,
        )?;
        multicast.join_multicast_v6(&plan.multicast, link.index)?;
        let send = udp6(at(0), false)?;
        socket2::SockRef::from(&send).set_multicast_if_v6(link.index)?;
        readers.push((i, false, data));
        readers.push((i, true, unicast_discovery));
        readers.push((i, true, multicast));
        links.push(LinkSockets {
            token: discovery_token(&plan.group_id, &link.addr),
            link: link.clone(),
            send: Arc::new(send),
        });
    }
    Ok(Bound {
        plan,
        links,
        readers,
    })
}

/// The frames delivered lately, to drop the copies a peer on several links
/// sends on each.
#[derive(Debug, Default)]
pub(crate) struct RecentFrames {
    entries: VecDeque<([u8; 32], std::time::Instant)>,
}

impl RecentFrames {
    /// Whether `frame` was delivered within [`DEDUP_WINDOW`]; remembers it
    /// if not. Holds at most [`DEDUP_ENTRIES`] frames.
    pub(crate) fn seen(&mut self, frame: &[u8], now: std::time::Instant) -> bool {
        while self
            .entries
            .front()
            .is_some_and(|(_, t)| now.saturating_duration_since(*t) > DEDUP_WINDOW)
        {
            self.entries.pop_front();
        }
        let hash = full_hash(frame);
        if self.entries.iter().any(|(h, _)| *h == hash) {
            return true;
        }
        if self.entries.len() >= DEDUP_ENTRIES {
            self.entries.pop_front();
        }
        self.entries.push_back((hash, now));
        false
    }
}

struct Peer {
    id: u32,
    last_heard: Instant,
    writer: tokio::task::AbortHandle,
}

/// Runs the interface until cancelled (or the driver goes away).
pub(crate) async fn run(bound: Bound, template: InterfaceInfo, ctx: IfaceCtx) {
    let Bound {
        plan,
        links,
        readers,
    } = bound;
    let limits = FrameLimits::for_mtu(template.max_payload(), 0);
    let (rx_tx, mut rx) = mpsc::channel(RX_QUEUE);
    let mut tasks = JoinSet::new();
    for (link, is_token, sock) in readers {
        tasks.spawn(read_loop(link, is_token, sock, limits, rx_tx.clone()));
    }
    drop(rx_tx);
    let mut peers: HashMap<(usize, Ipv6Addr), Peer> = HashMap::new();
    let mut recent = RecentFrames::default();
    let mut announce = interval(ANNOUNCE_INTERVAL);
    let mut reverse = interval(REVERSE_PEERING_INTERVAL);
    let mut check = interval(Duration::from_secs(1));
    let mut cancel = ctx.cancel.clone();
    let own: Vec<Ipv6Addr> = links.iter().map(|l| l.link.addr).collect();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            // Writers of peers that timed out end here (readers never do), so
            // the set does not keep them.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = announce.tick() => {
                for l in &links {
                    let to = SocketAddrV6::new(plan.multicast, plan.discovery_port, 0, l.link.index);
                    let _ = l.send.send_to(&l.token, to).await;
                }
            }
            _ = reverse.tick() => {
                for (link, addr) in peers.keys() {
                    let Some(l) = links.get(*link) else { continue };
                    let port = plan.discovery_port.wrapping_add(1);
                    let to = SocketAddrV6::new(*addr, port, 0, l.link.index);
                    let _ = l.send.send_to(&l.token, to).await;
                }
            }
            _ = check.tick() => {
                let stale: Vec<_> = peers
                    .iter()
                    .filter(|(_, p)| p.last_heard.elapsed() > PEERING_TIMEOUT)
                    .map(|(k, _)| *k)
                    .collect();
                for key in stale {
                    if let Some(p) = peers.remove(&key) {
                        p.writer.abort();
                        ctx.notify(IfaceEvent::Detached { id: p.id }).await;
                    }
                }
            }
            got = rx.recv() => match got {
                None => break,
                Some(Rx::Token { link, from, data }) => {
                    if own.contains(&from) || data.len() != 32 {
                        continue;
                    }
                    if data[..] != discovery_token(&plan.group_id, &from)[..] {
                        continue;
                    }
                    if let Some(p) = peers.get_mut(&(link, from)) {
                        p.last_heard = Instant::now();
                        continue;
                    }
                    let Some(l) = links.get(link) else { continue };
                    if peers.len() >= MAX_PEERS {
                        continue;
                    }
                    let Some(peer) = add_peer(&ctx, &template, l, from, plan.data_port, &mut tasks).await else {
                        return;
                    };
                    peers.insert((link, from), peer);
                }
                Some(Rx::Data { link, from, data }) => {
                    let Some(peer) = peers.get(&(link, from)) else { continue };
                    if recent.seen(&data, std::time::Instant::now()) {
                        continue;
                    }
                    let id = peer.id;
                    if ctx.events.send(IfaceEvent::Inbound { id, raw: data }).await.is_err() {
                        return;
                    }
                }
            },
        }
    }
    for (_, p) in peers.drain() {
        p.writer.abort();
        ctx.notify(IfaceEvent::Detached { id: p.id }).await;
    }
    tasks.shutdown().await;
}

/// Attaches a new peer as an interface and starts its writer.
async fn add_peer(
    ctx: &IfaceCtx,
    template: &InterfaceInfo,
    l: &LinkSockets,
    addr: Ipv6Addr,
    data_port: u16,
    tasks: &mut JoinSet<()>,
) -> Option<Peer> {
    let id = ctx.next_id();
    let mut info = template.clone();
    info.name = format!("{}/{}/{addr}", template.name, l.link.name);
    let mut outbound = ctx.attach(id, info).await?;
    ctx.notify(IfaceEvent::Online { id, online: true }).await;
    let send = Arc::clone(&l.send);
    let to = SocketAddrV6::new(addr, data_port, 0, l.link.index);
    let writer = tasks.spawn(async move {
        while let Some(packet) = outbound.recv().await {
            // A failed send (no route, buffer full) loses this datagram only.
            let _ = send.send_to(&packet, to).await;
        }
    });
    Some(Peer {
        id,
        last_heard: Instant::now(),
        writer,
    })
}

async fn read_loop(
    link: usize,
    is_token: bool,
    sock: UdpSocket,
    limits: FrameLimits,
    out: mpsc::Sender<Rx>,
) {
    let mut buf = vec![0u8; limits.max_payload.saturating_add(1)];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            // The link may be going away; do not spin on a failing socket.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let SocketAddr::V6(from) = from else { continue };
        let from = *from.ip();
        let data = buf[..n].to_vec();
        let msg = if is_token {
            Rx::Token { link, from, data }
        } else {
            if !limits.accepts(n) {
                continue;
            }
            Rx::Data { link, from, data }
        };
        if out.send(msg).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_addresses_match_the_reference() {
        // Observed between two rns 1.5.7 instances (docs/interop.md).
        let addr: Ipv6Addr = "fe80::7cc3:5bff:fef5:c731".parse().unwrap();
        assert_eq!(
            hex(&discovery_token("reticulum", &addr)),
            "b40e60eadc9feb4b03deb1a1407de8740fa65e14465a554d6d013061e8830d05"
        );
        let cases = [
            (
                "reticulum",
                "link",
                true,
                "ff12:0:d70b:fb1c:16e4:5e39:485e:31e1",
            ),
            (
                "reticulum",
                "link",
                false,
                "ff02:0:d70b:fb1c:16e4:5e39:485e:31e1",
            ),
            (
                "testgroup",
                "admin",
                false,
                "ff04:0:aa67:38a6:434:4ae8:6ee3:36ad",
            ),
            (
                "testgroup",
                "site",
                true,
                "ff15:0:aa67:38a6:434:4ae8:6ee3:36ad",
            ),
            (
                "abc",
                "organisation",
                true,
                "ff18:0:16bf:8f01:cfea:4141:40de:5dae",
            ),
            (
                "abc",
                "global",
                false,
                "ff0e:0:16bf:8f01:cfea:4141:40de:5dae",
            ),
        ];
        for (group, scope, temporary, want) in cases {
            let got = multicast_address(group, scope_nibble(scope).unwrap(), temporary);
            assert_eq!(got.to_string(), want, "{group} {scope} {temporary}");
        }
    }

    #[test]
    fn links_come_from_if_inet6() {
        let text = "\
00000000000000000000000000000001 01 80 10 80       lo
fe807cc35bfffef5c7310000000000ff 02 40 20 80    mcxva
fe800000000000007cc35bfffef5c731 02 40 20 80    mcxva
fe800000000000000000000000000001 03 40 20 40    eth1
fe800000000000000000000000000002 04 40 20 80    wlan0
20010db8000000000000000000000001 04 40 00 80    wlan0
";
        let all = parse_if_inet6(text, &[], &[]);
        let names: Vec<_> = all.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["mcxva", "wlan0"]);
        assert_eq!(all[0].index, 2);
        assert_eq!(
            parse_if_inet6(text, &["wlan0".into()], &[])[0].addr,
            "fe80::2".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(parse_if_inet6(text, &[], &["wlan0".into()]).len(), 1);
    }

    #[test]
    fn copies_within_the_window_are_dropped() {
        let t0 = std::time::Instant::now();
        let mut r = RecentFrames::default();
        assert!(!r.seen(b"frame", t0));
        assert!(r.seen(b"frame", t0 + Duration::from_millis(500)));
        assert!(!r.seen(b"other", t0 + Duration::from_millis(500)));
        assert!(!r.seen(b"frame", t0 + Duration::from_millis(1300)));
        for i in 0..(DEDUP_ENTRIES as u32 * 2) {
            assert!(!r.seen(&i.to_be_bytes(), t0 + Duration::from_millis(1400)));
        }
        assert!(r.entries.len() <= DEDUP_ENTRIES);
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
