//! The shared instance on 127.0.0.1 / the abstract Unix namespace: the first
//! instance listens, the next attaches as a client, and the client's traffic
//! reaches the network through the instance.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use rns_crypto::{OsRng, PrivateIdentity};
use rns_net::config::SharedInstanceType;
use rns_net::{InstanceRole, Reticulum, ReticulumConfig};
use rns_proto::node::{DestinationSpec, Event, ProofStrategy};
use support::*;

fn shared(mut config: ReticulumConfig, name: &str) -> ReticulumConfig {
    config.share_instance = true;
    config.instance_name = name.to_string();
    config
}

fn unique_name(tag: &str) -> String {
    format!(
        "rns-net-test-{tag}-{}-{}",
        std::process::id(),
        rns_net::now()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_client_reaches_the_network_through_the_instance() {
    let name = unique_name("unix");
    let instance = Reticulum::new(shared(tcp_server_config(0), &name))
        .start()
        .await
        .unwrap();
    assert_eq!(instance.instance_role(), InstanceRole::SharedInstance);
    let port = instance.listen_addr("server").unwrap().port();

    let client_config = ReticulumConfig {
        instance_name: name.clone(),
        ..ReticulumConfig::default()
    };
    let client = Reticulum::new(client_config).start().await.unwrap();
    assert_eq!(client.instance_role(), InstanceRole::SharedInstanceClient);
    online(&client, 1).await;

    let remote = Reticulum::new(tcp_client_config(port))
        .start()
        .await
        .unwrap();
    online(&remote, 1).await;
    online(&instance, 2).await;

    let dest = client
        .register_destination(
            DestinationSpec::single(PrivateIdentity::generate(&mut OsRng), "rnsnet", &["local"])
                .with_proof_strategy(ProofStrategy::All),
        )
        .await
        .unwrap();
    let mut remote_events = remote.subscribe();
    let mut client_events = client.subscribe();
    client
        .announce(dest, Some(b"via instance".to_vec()))
        .await
        .unwrap();
    wait_event(
        &mut remote_events,
        "announce via the instance",
        |e| match e {
            Event::AnnounceReceived { destination, .. } if *destination == dest => Some(()),
            _ => None,
        },
    )
    .await;

    let receipt = remote
        .send_packet(dest, b"to the client".to_vec())
        .await
        .unwrap();
    let data = wait_event(&mut client_events, "packet at the client", |e| match e {
        Event::PacketReceived {
            destination, data, ..
        } if *destination == dest => Some(data.clone()),
        _ => None,
    })
    .await;
    assert_eq!(data, b"to the client");
    wait_event(&mut remote_events, "receipt from the client", |e| match e {
        Event::ReceiptDelivered { receipt: r, .. } if *r == receipt => Some(()),
        _ => None,
    })
    .await;

    client.shutdown().await;
    remote.shutdown().await;
    instance.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_shared_instance_attaches_clients() {
    let port = free_udp_port();
    let tcp = |mut c: ReticulumConfig| {
        c.shared_instance_type = SharedInstanceType::Tcp;
        c.shared_instance_port = port;
        c
    };
    let name = unique_name("tcp");
    let bare = ReticulumConfig {
        instance_name: name.clone(),
        ..ReticulumConfig::default()
    };
    let instance = Reticulum::new(tcp(bare.clone())).start().await.unwrap();
    assert_eq!(instance.instance_role(), InstanceRole::SharedInstance);
    let client = Reticulum::new(tcp(bare)).start().await.unwrap();
    assert_eq!(client.instance_role(), InstanceRole::SharedInstanceClient);
    online(&instance, 1).await;
    online(&client, 1).await;

    let dest = instance
        .register_destination(DestinationSpec::single(
            PrivateIdentity::generate(&mut OsRng),
            "rnsnet",
            &["instance"],
        ))
        .await
        .unwrap();
    let hops = client.await_path(dest, WAIT).await.unwrap();
    assert!(hops <= 1, "hops {hops}");
    client.shutdown().await;
    instance.shutdown().await;
}
