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

/// A minimal client of the instance's RPC control plane, as the reference's
/// programs talk to it (see `src/rpc.rs`): length-prefixed messages, a legacy
/// HMAC-MD5 challenge each way, one msgpack query.
async fn rpc_query(
    port: u16,
    key: &[u8],
    query: &rns_msgpack::Value,
) -> Option<rns_msgpack::Value> {
    use hmac::{Hmac, Mac};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn read(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).await.ok()?;
        let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut buf).await.ok()?;
        Some(buf)
    }
    async fn write(s: &mut tokio::net::TcpStream, b: &[u8]) -> Option<()> {
        s.write_all(&(b.len() as u32).to_be_bytes()).await.ok()?;
        s.write_all(b).await.ok()
    }
    let md5 = |m: &[u8]| {
        let mut mac = Hmac::<md5::Md5>::new_from_slice(key).unwrap();
        mac.update(m);
        mac.finalize().into_bytes().to_vec()
    };
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let challenge = read(&mut s).await?;
    let message = challenge.strip_prefix(b"#CHALLENGE#")?.to_vec();
    write(&mut s, &md5(&message)).await?;
    if read(&mut s).await? != b"#WELCOME#" {
        return None;
    }
    let mine = [7u8; 20];
    write(&mut s, &[&b"#CHALLENGE#"[..], &mine].concat()).await?;
    assert_eq!(
        read(&mut s).await?,
        md5(&mine),
        "the instance proves the key"
    );
    write(&mut s, b"#WELCOME#").await?;
    write(&mut s, &rns_msgpack::encode(query)).await?;
    rns_msgpack::decode(&read(&mut s).await?).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instance_serves_rpc_to_holders_of_the_key() {
    use rns_msgpack::Value;
    let (port, control) = (free_udp_port(), free_udp_port());
    let config = ReticulumConfig {
        instance_name: unique_name("rpc"),
        shared_instance_type: SharedInstanceType::Tcp,
        shared_instance_port: port,
        instance_control_port: control,
        rpc_key: Some("0123456789abcdef".into()),
        ..ReticulumConfig::default()
    };
    let instance = Reticulum::new(config).start().await.unwrap();
    assert_eq!(instance.instance_role(), InstanceRole::SharedInstance);
    let key = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    let ask = |get: &str| {
        Value::Map(vec![
            (Value::Str("get".into()), Value::Str(get.into())),
            (Value::Str("identity_hash".into()), Value::Bin(vec![0; 16])),
        ])
    };
    let answer = rpc_query(control, &key, &ask("is_blackholed")).await;
    assert_eq!(answer, Some(Value::Bool(false)));
    let table = rpc_query(control, &key, &ask("path_table")).await;
    assert_eq!(table, Some(Value::Array(vec![])));
    // The wrong key gets nothing.
    assert_eq!(
        rpc_query(control, b"wrong", &ask("is_blackholed")).await,
        None
    );
    instance.shutdown().await;
}
