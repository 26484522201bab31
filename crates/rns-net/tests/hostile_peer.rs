//! A peer that sends garbage, a frame that never ends and a flood of junk
//! packets: the node neither crashes nor grows, and honest traffic still flows.
//! One test in its own binary, so the memory check sees only this test.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rns_crypto::{OsRng, PrivateIdentity, RngCore};
use rns_net::Reticulum;
use rns_proto::node::{DestinationSpec, Event, ProofStrategy};
use rns_wire::framing::hdlc;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Resident memory of this process in KiB, where /proc exists.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peer_does_not_stop_honest_traffic() {
    let a = Reticulum::new(tcp_server_config(0)).start().await.unwrap();
    let addr = a.listen_addr("server").unwrap();
    let dest = a
        .register_destination(
            DestinationSpec::single(
                PrivateIdentity::generate(&mut OsRng),
                "rnsnet",
                &["hostile"],
            )
            .with_proof_strategy(ProofStrategy::All),
        )
        .await
        .unwrap();

    let rss_before = rss_kib();
    let mut attacker = TcpStream::connect(addr).await.unwrap();
    // Noise, then a flood of well-framed junk "packets" of every size.
    let mut bytes = b"GET / HTTP/1.1\r\n\r\n".to_vec();
    let mut junk = vec![0u8; 600];
    for i in 0..20_000usize {
        let len = 1 + i % junk.len();
        OsRng.fill_bytes(&mut junk[..len]);
        hdlc::frame_into(&junk[..len], &mut bytes);
    }
    attacker.write_all(&bytes).await.unwrap();
    // A frame that never ends: 32 MiB after an opening flag, and no closing one.
    attacker.write_all(&[hdlc::FLAG]).await.unwrap();
    let chunk = vec![0x55u8; 1 << 20];
    for _ in 0..32 {
        attacker.write_all(&chunk).await.unwrap();
    }

    // An honest client still gets a path, a packet through and its receipt.
    let port = addr.port();
    let b = Reticulum::new(tcp_client_config(port))
        .start()
        .await
        .unwrap();
    online(&b, 1).await;
    let mut events = b.subscribe();
    b.await_path(dest, WAIT).await.unwrap();
    let receipt = b.send_packet(dest, b"still here".to_vec()).await.unwrap();
    wait_event(&mut events, "receipt despite the attacker", |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        _ => None,
    })
    .await;

    // The junk was read and dropped by the node, not queued somewhere.
    let stats = a.stats().await.unwrap();
    let dropped: u64 = stats.dropped.values().sum();
    assert!(dropped > 0, "junk should be counted as dropped: {stats:?}");
    assert_eq!(a.interfaces().await.unwrap().len(), 2);
    if let (Some(before), Some(after)) = (rss_before, rss_kib()) {
        let grown = after.saturating_sub(before);
        assert!(grown < 24 * 1024, "RSS grew by {grown} KiB");
    }

    drop(attacker);
    eventually("attacker detached", || async {
        (a.interfaces().await.ok()?.len() == 1).then_some(())
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}
