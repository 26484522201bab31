//! Interface tasks against real sockets on 127.0.0.1, without a node: what the
//! driver would receive, and what a peer sees on the wire.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rns_wire::framing::hdlc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::*;
use crate::cancel::CancelSource;

const WAIT: Duration = Duration::from_secs(20);

fn ctx(capacity: usize) -> (IfaceCtx, mpsc::Receiver<IfaceEvent>, CancelSource) {
    let (source, cancel) = CancelSource::new();
    let (tx, rx) = mpsc::channel(capacity);
    let ctx = IfaceCtx {
        events: tx,
        ids: Arc::new(AtomicU32::new(1)),
        cancel,
    };
    (ctx, rx, source)
}

fn tcp_info() -> InterfaceInfo {
    InterfaceInfo {
        name: "test".into(),
        mode: InterfaceModeSetting::Full,
        hw_mtu: hw_mtu_for_bitrate(TCP_BITRATE_GUESS),
        bitrate: TCP_BITRATE_GUESS,
        announce_cap: 0.02,
        ifac: None,
        outbound: true,
        role: LocalRole::None,
    }
}

async fn next(rx: &mut mpsc::Receiver<IfaceEvent>) -> IfaceEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("event in time")
        .expect("channel open")
}

/// The next inbound packet, skipping status events.
async fn next_packet(rx: &mut mpsc::Receiver<IfaceEvent>) -> Vec<u8> {
    loop {
        if let IfaceEvent::Inbound { raw, .. } = next(rx).await {
            return raw;
        }
    }
}

#[tokio::test]
async fn server_connection_survives_garbage_endless_frames_and_floods() {
    let (ctx, mut rx, source) = ctx(8);
    let listener = tcp_server::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(tcp_server::run(
        tcp_server::Listener::Tcp(listener),
        tcp_info(),
        ctx.clone(),
    ));
    let mut peer = TcpStream::connect(addr).await.unwrap();

    // The writer is kept: a dropped writer means the driver is gone.
    let IfaceEvent::Attached { id, info, writer } = next(&mut rx).await else {
        panic!("attach first")
    };
    assert!(info.name.starts_with("test/127.0.0.1:"));
    assert!(matches!(
        next(&mut rx).await,
        IfaceEvent::Online { online: true, .. }
    ));

    // Line noise before any flag, a runt, then a real packet.
    peer.write_all(b"noise without flags").await.unwrap();
    peer.write_all(&hdlc::frame(&[1; 5])).await.unwrap();
    peer.write_all(&hdlc::frame(&[2; 40])).await.unwrap();
    assert_eq!(next_packet(&mut rx).await, vec![2; 40]);

    // A frame that never ends (1 MiB without a closing flag), then a packet:
    // the packet's opening flag ends the monster, which is dropped.
    let mut monster = vec![hdlc::FLAG];
    monster.extend(std::iter::repeat_n(0x11, 1 << 20));
    peer.write_all(&monster).await.unwrap();
    peer.write_all(&hdlc::frame(&[3; 40])).await.unwrap();
    assert_eq!(next_packet(&mut rx).await, vec![3; 40]);

    // The largest packet a TCP interface carries (HW_MTU 16384) gets through;
    // one byte more does not.
    peer.write_all(&hdlc::frame(&[4; 16_385])).await.unwrap();
    peer.write_all(&hdlc::frame(&[5; 16_384])).await.unwrap();
    assert_eq!(next_packet(&mut rx).await, vec![5; 16_384]);

    // A flood through a channel of 8: the writer is pushed back on, nothing
    // is lost, nothing grows.
    let flood = tokio::spawn(async move {
        let mut bytes = Vec::new();
        for i in 0..5_000u32 {
            let mut p = vec![0xAB; 60];
            p[..4].copy_from_slice(&i.to_be_bytes());
            hdlc::frame_into(&p, &mut bytes);
        }
        peer.write_all(&bytes).await.unwrap();
        peer
    });
    for i in 0..5_000u32 {
        let p = next_packet(&mut rx).await;
        assert_eq!(p[..4], i.to_be_bytes());
        assert!(ctx.events.capacity() <= 8);
    }
    let peer = flood.await.unwrap();

    drop(peer);
    drop(writer);
    loop {
        if let IfaceEvent::Detached { id: gone } = next(&mut rx).await {
            assert_eq!(gone, id);
            break;
        }
    }
    source.cancel();
    tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
}

#[tokio::test]
async fn server_writes_framed_packets() {
    let (ctx, mut rx, source) = ctx(8);
    let listener = tcp_server::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tcp_server::run(
        tcp_server::Listener::Tcp(listener),
        tcp_info(),
        ctx.clone(),
    ));
    let mut peer = TcpStream::connect(addr).await.unwrap();
    let IfaceEvent::Attached { writer, .. } = next(&mut rx).await else {
        panic!()
    };
    writer.send(vec![0x7E; 30]).await.unwrap();
    let expected = hdlc::frame(&[0x7E; 30]);
    let mut got = vec![0; expected.len()];
    tokio::time::timeout(WAIT, peer.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, expected);
    source.cancel();
}

#[tokio::test]
async fn client_reconnects_after_the_server_restarts() {
    let (ctx, mut rx, source) = ctx(8);
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = first.local_addr().unwrap();
    let plan = tcp_client::TcpClientPlan {
        host: "127.0.0.1".into(),
        port: addr.port(),
        framing: stream::Framing::Hdlc,
        info: tcp_info(),
    };
    let client = tokio::spawn(tcp_client::run(plan, ctx.clone()));
    let IfaceEvent::Attached { id, writer, .. } = next(&mut rx).await else {
        panic!()
    };
    let (sock, _) = first.accept().await.unwrap();
    assert!(matches!(
        next(&mut rx).await,
        IfaceEvent::Online { online: true, .. }
    ));

    drop(sock);
    drop(first);
    assert!(matches!(
        next(&mut rx).await,
        IfaceEvent::Online { online: false, .. }
    ));

    let second = TcpListener::bind(addr).await.unwrap();
    let (mut sock, _) = tokio::time::timeout(WAIT, second.accept())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(next(&mut rx).await, IfaceEvent::Online { online: true, id: i } if i == id));

    // Both directions work on the new connection.
    writer.send(vec![9; 25]).await.unwrap();
    let mut got = vec![0; 27];
    sock.read_exact(&mut got).await.unwrap();
    assert_eq!(got, hdlc::frame(&[9; 25]));
    sock.write_all(&hdlc::frame(&[8; 25])).await.unwrap();
    assert_eq!(next_packet(&mut rx).await, vec![8; 25]);

    source.cancel();
    tokio::time::timeout(WAIT, client).await.unwrap().unwrap();
}

#[tokio::test]
async fn udp_pair_exchanges_datagrams() {
    let (ctx, mut rx, source) = ctx(8);
    let (a, _) = udp::bind("127.0.0.1", 0, "127.0.0.1", 9).await.unwrap();
    let (b, _) = udp::bind("127.0.0.1", 0, "127.0.0.1", 9).await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let mut info = tcp_info();
    info.hw_mtu = Some(udp::UDP_HW_MTU);
    tokio::spawn(udp::run(a, b_addr, info.clone(), ctx.clone()));
    tokio::spawn(udp::run(b, a_addr, info, ctx.clone()));
    let mut writers = Vec::new();
    while writers.len() < 2 {
        if let IfaceEvent::Attached { id, writer, .. } = next(&mut rx).await {
            writers.push((id, writer));
        }
    }
    let (first_id, first) = &writers[0];
    first.send(vec![6; 100]).await.unwrap();
    // Oversized for UDP's HW_MTU: dropped at the receiver.
    first.send(vec![7; 2000]).await.unwrap();
    first.send(vec![5; 1064]).await.unwrap();
    for expected in [vec![6; 100], vec![5; 1064]] {
        loop {
            if let IfaceEvent::Inbound { id, raw } = next(&mut rx).await {
                assert_ne!(id, *first_id);
                assert_eq!(raw, expected);
                break;
            }
        }
    }
    source.cancel();
}

#[tokio::test]
async fn kiss_framing_on_a_tcp_client() {
    use rns_wire::framing::kiss;
    let (ctx, mut rx, source) = ctx(8);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plan = tcp_client::TcpClientPlan {
        host: "127.0.0.1".into(),
        port: listener.local_addr().unwrap().port(),
        framing: stream::Framing::Kiss,
        info: tcp_info(),
    };
    tokio::spawn(tcp_client::run(plan, ctx.clone()));
    let IfaceEvent::Attached { writer, .. } = next(&mut rx).await else {
        panic!()
    };
    let (mut sock, _) = listener.accept().await.unwrap();
    writer.send(vec![0xC0; 24]).await.unwrap();
    let expected = kiss::frame(&[0xC0; 24]);
    let mut got = vec![0; expected.len()];
    sock.read_exact(&mut got).await.unwrap();
    assert_eq!(got, expected);
    sock.write_all(&kiss::frame(&[0xDB; 30])).await.unwrap();
    assert_eq!(next_packet(&mut rx).await, vec![0xDB; 30]);
    source.cancel();
}
