//! Restarts of our own instances over real TCP sockets on 127.0.0.1: paths,
//! peers' ratchets and our destinations' ratchet keys outlive the process,
//! and are used without any new announce.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use rns_crypto::{OsRng, PrivateIdentity, RatchetSet};
use rns_net::{Reticulum, ReticulumHandle};
use rns_proto::node::{DestinationSpec, Event, ProofStrategy};
use support::*;

fn ratcheted(id: &PrivateIdentity) -> DestinationSpec {
    DestinationSpec::single(id.clone(), "rnsnet", &["persist"])
        .with_proof_strategy(ProofStrategy::All)
        .with_ratchets(RatchetSet::new(), true)
}

async fn start(config: rns_net::ReticulumConfig, dir: &Path) -> ReticulumHandle {
    Reticulum::new(config)
        .config_dir(dir)
        .start()
        .await
        .unwrap()
}

/// Sends one packet from `from` to `dest` and waits for its proof.
async fn packet_proved(from: &ReticulumHandle, dest: rns_crypto::DestinationHash, what: &str) {
    let mut events = from.subscribe();
    let receipt = from
        .send_packet(dest, what.as_bytes().to_vec())
        .await
        .unwrap();
    wait_event(&mut events, what, |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        Event::ReceiptTimedOut { receipt: r } if *r == receipt => panic!("{what}: timed out"),
        _ => None,
    })
    .await;
}

fn no_announce_of(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    dest: rns_crypto::DestinationHash,
) {
    while let Ok(e) = events.try_recv() {
        if let Event::AnnounceReceived { destination, .. } = e {
            assert_ne!(destination, dest, "a new announce was heard");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_and_ratchets_survive_restarts() {
    let (dir_a, dir_b) = (temp_dir("persist-a"), temp_dir("persist-b"));
    let a = start(tcp_server_config(0), &dir_a).await;
    let port = a.listen_addr("server").unwrap().port();
    let b = start(tcp_client_config(port), &dir_b).await;
    online(&b, 1).await;
    online(&a, 1).await;

    // A ratcheted destination, enforcing: only packets to a ratchet open.
    let id = PrivateIdentity::generate(&mut OsRng);
    let dest = a.register_destination(ratcheted(&id)).await.unwrap();
    let mut events = b.subscribe();
    a.announce(dest, Some(b"ratcheted".to_vec())).await.unwrap();
    let ratchet = wait_event(&mut events, "announce", |e| match e {
        Event::AnnounceReceived {
            destination,
            ratchet,
            ..
        } if *destination == dest => Some(ratchet.expect("the announce carries a ratchet")),
        _ => None,
    })
    .await;
    let path_before = b.path_table().await.unwrap();
    assert_eq!(path_before.len(), 1);
    let key_file = dir_a.join("storage/rs_ratchet_keys").join(to_hex(&dest.0));
    assert!(key_file.exists(), "our ratchet keys are saved at rotation");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [
            key_file.clone(),
            dir_b.join("storage/rs_remembered_ratchets"),
        ] {
            // The remembered ratchets are written at shutdown.
            if f.exists() {
                let mode = std::fs::metadata(&f).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", f.display());
            }
        }
    }

    // (i) + (ii): b restarts; the path and a's ratchet come back from disk,
    // and a packet goes through without a new announce (a enforces ratchets,
    // so b must have encrypted to the remembered one).
    b.shutdown().await;
    for f in [
        "rs_path_table",
        "rs_remembered_ratchets",
        "rs_known_destinations",
    ] {
        let f = dir_b.join("storage").join(f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", f.display());
        }
    }
    let b = start(tcp_client_config(port), &dir_b).await;
    let mut b_events = b.subscribe();
    let restored = eventually("the path restored", || async {
        let table = b.path_table().await.ok()?;
        (table.len() == 1).then_some(table)
    })
    .await;
    assert_eq!(restored[0].destination, dest);
    assert_eq!(restored[0].hops, path_before[0].hops);
    assert_eq!(restored[0].expires, path_before[0].expires);
    let remembered = b
        .with_node(move |n, _| n.recall_ratchet(&dest))
        .await
        .unwrap()
        .expect("the ratchet is remembered");
    assert_eq!(remembered.public, ratchet);
    online(&b, 1).await;
    packet_proved(&b, dest, "after b restarted").await;
    no_announce_of(&mut b_events, dest);

    // (iii): a restarts and registers its destination again with an empty
    // set: the stored keys are loaded, and b's packet to the ratchet it
    // learned before the restart still opens (a enforces ratchets).
    a.shutdown().await;
    let a = start(tcp_server_config(port), &dir_a).await;
    let again = a.register_destination(ratcheted(&id)).await.unwrap();
    assert_eq!(again, dest);
    let newest = a
        .with_node(move |n, _| {
            n.destination_ratchets(&dest)
                .and_then(|s| s.newest_public())
        })
        .await
        .unwrap();
    assert_eq!(newest, Some(ratchet), "the ratchet keys were loaded");
    online(&a, 1).await;
    packet_proved(&b, dest, "after a restarted").await;
    no_announce_of(&mut b_events, dest);

    // A key file signed by another identity is refused, not overwritten.
    a.deregister_destination(dest).await.unwrap();
    let other = PrivateIdentity::generate(&mut OsRng);
    let forged = dir_a.join("storage/rs_ratchet_keys").join(to_hex(&{
        let spec = ratcheted(&other);
        a.register_destination(spec).await.unwrap().0
    }));
    a.shutdown().await;
    b.shutdown().await;
    std::fs::copy(&key_file, &forged).unwrap();
    let a = start(tcp_server_config(0), &dir_a).await;
    assert!(a.register_destination(ratcheted(&other)).await.is_err());
    a.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir_a);
    let _ = std::fs::remove_dir_all(&dir_b);
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
