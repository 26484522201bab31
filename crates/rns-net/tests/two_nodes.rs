//! Two of our instances over real TCP and UDP sockets on 127.0.0.1: announces,
//! paths, packets with receipts, links with requests, reconnects, persistence.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rns_crypto::{OsRng, PrivateIdentity};
use rns_msgpack::Value;
use rns_net::{Reticulum, ReticulumHandle};
use rns_proto::node::{DestinationSpec, Event, LinkEvent, LinkState, ProofStrategy};
use support::*;

async fn server_and_client() -> (ReticulumHandle, ReticulumHandle) {
    let a = Reticulum::new(tcp_server_config(0)).start().await.unwrap();
    let port = a.listen_addr("server").unwrap().port();
    let b = Reticulum::new(tcp_client_config(port))
        .start()
        .await
        .unwrap();
    online(&a, 1).await;
    online(&b, 1).await;
    (a, b)
}

fn echo_spec() -> DestinationSpec {
    DestinationSpec::single(PrivateIdentity::generate(&mut OsRng), "rnsnet", &["echo"])
        .with_proof_strategy(ProofStrategy::All)
        .accepting_links()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announce_then_packet_with_receipt_over_tcp() {
    let (a, b) = server_and_client().await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    let mut b_events = b.subscribe();
    let mut a_events = a.subscribe();

    a.announce(dest, Some(b"hello".to_vec())).await.unwrap();
    let app_data = wait_event(&mut b_events, "announce", |e| match e {
        Event::AnnounceReceived {
            destination,
            app_data,
            ..
        } if *destination == dest => Some(app_data.clone()),
        _ => None,
    })
    .await;
    assert_eq!(app_data.as_deref(), Some(&b"hello"[..]));
    assert!(b.has_path(dest).await.unwrap());
    assert_eq!(b.hops_to(dest).await.unwrap(), Some(1));
    assert!(b.recall_identity(dest).await.unwrap().is_some());
    assert!(b.known_destination(dest).await.unwrap().is_some());

    let receipt = b.send_packet(dest, b"ping".to_vec()).await.unwrap();
    let data = wait_event(&mut a_events, "packet", |e| match e {
        Event::PacketReceived {
            destination, data, ..
        } if *destination == dest => Some(data.clone()),
        _ => None,
    })
    .await;
    assert_eq!(data, b"ping");
    wait_event(&mut b_events, "receipt", |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        _ => None,
    })
    .await;

    a.shutdown().await;
    b.shutdown().await;
    assert!(b.stats().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_request_finds_an_unannounced_destination() {
    let (a, b) = server_and_client().await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    let hops = b.await_path(dest, WAIT).await.unwrap();
    assert_eq!(hops, 1);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_request_gets_its_response_over_tcp() {
    let (a, b) = server_and_client().await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    b.await_path(dest, WAIT).await.unwrap();
    let mut a_events = a.subscribe();
    let mut b_events = b.subscribe();

    let link = b.open_link(dest).await.unwrap();
    wait_event(&mut b_events, "link established", |e| match e {
        Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(b.link_state(link).await.unwrap(), Some(LinkState::Active));
    // Over TCP the link MTU follows the interface's HW_MTU (§10).
    let mtu = b
        .with_node(move |n, _| n.link(&link).map(|l| l.mtu()))
        .await
        .unwrap();
    assert_eq!(mtu, Some(16_384));

    let request = b
        .link_request(link, "/echo".into(), Value::Str("hi".into()), Some(10.0))
        .await
        .unwrap();
    let (a_link, a_request, data) = wait_event(&mut a_events, "request", |e| match e {
        Event::Link(LinkEvent::RequestReceived {
            link_id,
            request_id,
            data,
            ..
        }) => Some((*link_id, *request_id, data.clone())),
        _ => None,
    })
    .await;
    assert_eq!(a_link, link);
    assert_eq!(a_request, request);
    assert_eq!(data, Value::Str("hi".into()));
    a.link_respond(a_link, a_request, Value::Str("hi back".into()))
        .await
        .unwrap();
    let response = wait_event(&mut b_events, "response", |e| match e {
        Event::Link(LinkEvent::ResponseReceived {
            request_id,
            response,
            ..
        }) if *request_id == request => Some(response.clone()),
        _ => None,
    })
    .await;
    assert_eq!(response, Value::Str("hi back".into()));

    b.close_link(link).await.unwrap();
    wait_event(&mut a_events, "link closed", |e| match e {
        Event::Link(LinkEvent::Closed { link_id, .. }) if *link_id == link => Some(()),
        _ => None,
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reconnects_after_the_server_restarts() {
    let server_identity = PrivateIdentity::generate(&mut OsRng);
    let a = Reticulum::new(tcp_server_config(0))
        .identity(server_identity.clone())
        .start()
        .await
        .unwrap();
    let port = a.listen_addr("server").unwrap().port();
    let b = Reticulum::new(tcp_client_config(port))
        .start()
        .await
        .unwrap();
    online(&b, 1).await;

    a.shutdown().await;
    eventually("client offline", || async {
        let ifs = b.interfaces().await.ok()?;
        ifs.iter().all(|i| !i.online).then_some(())
    })
    .await;

    let a2 = Reticulum::new(tcp_server_config(port))
        .identity(server_identity)
        .start()
        .await
        .unwrap();
    online(&b, 1).await;
    online(&a2, 1).await;
    let dest = a2.register_destination(echo_spec()).await.unwrap();
    let mut events = b.subscribe();
    a2.announce(dest, None).await.unwrap();
    wait_event(&mut events, "announce after reconnect", |e| match e {
        Event::AnnounceReceived { destination, .. } if *destination == dest => Some(()),
        _ => None,
    })
    .await;
    a2.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_pair_exchanges_announces_and_packets() {
    let (pa, pb) = (free_udp_port(), free_udp_port());
    let a = Reticulum::new(udp_config(pa, pb)).start().await.unwrap();
    let b = Reticulum::new(udp_config(pb, pa)).start().await.unwrap();
    let dest = a.register_destination(echo_spec()).await.unwrap();
    let mut b_events = b.subscribe();
    a.announce(dest, None).await.unwrap();
    wait_event(&mut b_events, "announce over udp", |e| match e {
        Event::AnnounceReceived { destination, .. } if *destination == dest => Some(()),
        _ => None,
    })
    .await;
    let receipt = b.send_packet(dest, b"over udp".to_vec()).await.unwrap();
    wait_event(&mut b_events, "receipt over udp", |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        _ => None,
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_and_known_destinations_survive_a_restart() {
    let dir = temp_dir("persist");
    let a = Reticulum::new(tcp_server_config(0)).start().await.unwrap();
    let port = a.listen_addr("server").unwrap().port();
    let b = Reticulum::new(tcp_client_config(port))
        .config_dir(&dir)
        .start()
        .await
        .unwrap();
    online(&b, 1).await;
    online(&a, 1).await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    let mut events = b.subscribe();
    a.announce(dest, Some(b"kept".to_vec())).await.unwrap();
    wait_event(&mut events, "announce", |e| match e {
        Event::AnnounceReceived { destination, .. } if *destination == dest => Some(()),
        _ => None,
    })
    .await;
    let transport_id = b.transport_id();
    b.shutdown().await;
    a.shutdown().await;
    assert!(dir.join("storage/transport_identity").exists());
    assert!(dir.join("storage/rs_known_destinations").exists());
    assert!(dir.join("storage/rs_path_table").exists());

    let again = Reticulum::new(tcp_client_config(port))
        .config_dir(&dir)
        .start()
        .await
        .unwrap();
    assert_eq!(again.transport_id(), transport_id);
    let known = again.known_destination(dest).await.unwrap().unwrap();
    assert_eq!(known.app_data.as_deref(), Some(&b"kept"[..]));
    assert!(again.recall_identity(dest).await.unwrap().is_some());
    again.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_can_be_added_while_running() {
    let bare = rns_net::ReticulumConfig {
        share_instance: false,
        ..rns_net::ReticulumConfig::default()
    };
    let a = Reticulum::new(bare).start().await.unwrap();
    assert!(a.interfaces().await.unwrap().is_empty());
    let server = tcp_server_config(0).interfaces.remove(0);
    let addr = a.add_interface(server).await.unwrap().unwrap();
    let b = Reticulum::new(tcp_client_config(addr.port()))
        .start()
        .await
        .unwrap();
    online(&a, 1).await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    b.await_path(dest, WAIT).await.unwrap();
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_can_be_removed_while_running_and_added_again() {
    // The server comes from the config; the client is added at run time.
    let a = Reticulum::new(tcp_server_config(0)).start().await.unwrap();
    let port = a.listen_addr("server").unwrap().port();
    let bare = rns_net::ReticulumConfig {
        share_instance: false,
        ..rns_net::ReticulumConfig::default()
    };
    let b = Reticulum::new(bare).start().await.unwrap();
    let client = tcp_client_config(port).interfaces.remove(0);
    let name = client.name.clone();
    b.add_interface(client.clone()).await.unwrap();
    // The same name twice is refused while it runs.
    assert!(matches!(
        b.add_interface(client.clone()).await,
        Err(rns_net::NetError::DuplicateInterface(_))
    ));
    online(&a, 1).await;
    online(&b, 1).await;

    assert!(b.remove_interface(&name).await.unwrap());
    assert!(!b.remove_interface(&name).await.unwrap());
    let deadline = tokio::time::Instant::now() + WAIT;
    while !b.interfaces().await.unwrap().is_empty() || !a.interfaces().await.unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "interface still attached"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A configured interface stops too: the server's listener closes.
    assert!(a.remove_interface("server").await.unwrap());
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server still listening"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And the client can come back under its name.
    let server = tcp_server_config(0).interfaces.remove(0);
    let addr = a.add_interface(server).await.unwrap().unwrap();
    let mut client = tcp_client_config(addr.port()).interfaces.remove(0);
    client.name = name;
    b.add_interface(client).await.unwrap();
    online(&b, 1).await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    b.await_path(dest, WAIT).await.unwrap();
    a.shutdown().await;
    b.shutdown().await;
}

fn with_ifac(mut config: rns_net::ReticulumConfig, passphrase: &str) -> rns_net::ReticulumConfig {
    for i in &mut config.interfaces {
        i.ifac = Some(rns_net::config::IfacSettings {
            network_name: Some("rnsnet-test".into()),
            passphrase: Some(passphrase.into()),
            size: None,
        });
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ifac_interfaces_talk_only_with_the_same_key() {
    let a = Reticulum::new(with_ifac(tcp_server_config(0), "right"))
        .start()
        .await
        .unwrap();
    let port = a.listen_addr("server").unwrap().port();
    let good = Reticulum::new(with_ifac(tcp_client_config(port), "right"))
        .start()
        .await
        .unwrap();
    let bad = Reticulum::new(with_ifac(tcp_client_config(port), "wrong"))
        .start()
        .await
        .unwrap();
    online(&a, 2).await;
    let dest = a.register_destination(echo_spec()).await.unwrap();
    let mut good_events = good.subscribe();
    let mut bad_events = bad.subscribe();
    a.announce(dest, None).await.unwrap();
    wait_event(
        &mut good_events,
        "announce with the right key",
        |e| match e {
            Event::AnnounceReceived { destination, .. } if *destination == dest => Some(()),
            _ => None,
        },
    )
    .await;
    // The wrong key's side saw the same bytes arrive and dropped them.
    eventually("IFAC drop counted", || async {
        let stats = bad.stats().await.ok()?;
        (stats.dropped(rns_proto::node::DropReason::Ifac) > 0).then_some(())
    })
    .await;
    assert!(bad_events.try_recv().is_err());
    assert!(!bad.has_path(dest).await.unwrap());
    for h in [a, good, bad] {
        h.shutdown().await;
    }
}
