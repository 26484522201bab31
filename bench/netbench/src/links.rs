//! Link establishment and resource throughput between two nodes over loopback
//! TCP: two of ours in this process, or two reference processes. Link time is
//! measured at the initiator from asking for the link to its "established"
//! event; resource time from handing the data over to the sender's completion
//! (the receiver's proof arrived). Data is random (incompressible) and sent
//! without compression.

use std::time::{Duration, Instant};

use rns_crypto::{OsRng, PrivateIdentity, RngCore};
use rns_net::ReticulumHandle;
use rns_proto::link::{LinkEvent, LinkId};
use rns_proto::node::{DestinationSpec, Event};
use rns_proto::resource::ResourceStatus;
use tokio::sync::broadcast;

use crate::configs;
use crate::reference::RefProc;

/// What one side measured.
pub struct LinkResults {
    pub link_ms: Vec<f64>,
    /// Per size: seconds per transfer.
    pub resource_s: Vec<(usize, Vec<f64>)>,
}

const WAIT: Duration = Duration::from_secs(120);

async fn next_matching<T>(
    events: &mut broadcast::Receiver<Event>,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> Result<T, String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err(format!("timed out waiting for {what}")),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(e)) => return Err(format!("event stream ended: {e}")),
            Ok(Ok(e)) => {
                if let Some(v) = pick(&e) {
                    return Ok(v);
                }
            }
        }
    }
}

async fn open_link(
    client: &ReticulumHandle,
    dest: rns_crypto::DestinationHash,
) -> Result<(LinkId, f64), String> {
    let mut events = client.subscribe();
    let started = Instant::now();
    let link = client.open_link(dest).await.map_err(|e| e.to_string())?;
    next_matching(&mut events, "link established", |e| match e {
        Event::Link(LinkEvent::Established { link_id, .. }) if *link_id == link => Some(()),
        _ => None,
    })
    .await?;
    Ok((link, started.elapsed().as_secs_f64() * 1000.0))
}

/// Prints resource events with their time since `t0` (NETBENCH_TRACE=1).
fn trace_events(mut events: broadcast::Receiver<Event>, t0: Instant, side: &'static str) {
    tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            match e {
                Event::Link(LinkEvent::ResourceAdvertised { size, .. }) => {
                    eprintln!("{ms:8.2} ms {side}: advertised {size}")
                }
                Event::Link(LinkEvent::ResourceProgress { done, total, .. }) => {
                    eprintln!("{ms:8.2} ms {side}: progress {done}/{total}")
                }
                Event::Link(LinkEvent::ResourceReceived { .. }) => {
                    eprintln!("{ms:8.2} ms {side}: received")
                }
                Event::Link(LinkEvent::ResourceConcluded { .. }) => {
                    eprintln!("{ms:8.2} ms {side}: concluded");
                    break;
                }
                _ => {}
            }
        }
    });
}

pub fn ours(
    rt: &tokio::runtime::Runtime,
    links: usize,
    sizes: &[usize],
    rounds: usize,
) -> Result<LinkResults, String> {
    rt.block_on(async {
        let (server, client) = configs::tcp_pair().await?;
        let spec =
            DestinationSpec::single(PrivateIdentity::generate(&mut OsRng), "bench", &["link"])
                .accepting_links();
        let dest = server
            .register_destination(spec)
            .await
            .map_err(|e| e.to_string())?;
        client
            .await_path(dest, WAIT)
            .await
            .map_err(|e| e.to_string())?;

        let mut link_ms = Vec::with_capacity(links);
        for _ in 0..links {
            let (link, ms) = open_link(&client, dest).await?;
            link_ms.push(ms);
            client.close_link(link).await.map_err(|e| e.to_string())?;
        }

        let (link, _) = open_link(&client, dest).await?;
        let mut resource_s = Vec::new();
        for &size in sizes {
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let mut data = vec![0u8; size];
                OsRng.fill_bytes(&mut data);
                let mut events = client.subscribe();
                let started = Instant::now();
                if std::env::var_os("NETBENCH_TRACE").is_some() {
                    trace_events(server.subscribe(), started, "receiver");
                    trace_events(client.subscribe(), started, "sender");
                }
                let hash = client
                    .with_node(move |n, now| n.send_resource(now, &link, data, None, false))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                let status = next_matching(&mut events, "resource concluded", |e| match e {
                    Event::Link(LinkEvent::ResourceConcluded {
                        hash: h, status, ..
                    }) if *h == hash => Some(*status),
                    _ => None,
                })
                .await?;
                if status != ResourceStatus::Complete {
                    return Err(format!("resource of {size} bytes ended {status:?}"));
                }
                times.push(started.elapsed().as_secs_f64());
            }
            resource_s.push((size, times));
        }
        client.close_link(link).await.map_err(|e| e.to_string())?;
        client.shutdown().await;
        server.shutdown().await;
        Ok(LinkResults {
            link_ms,
            resource_s,
        })
    })
}

pub fn reference(links: usize, sizes: &[usize], rounds: usize) -> Result<LinkResults, String> {
    let dir = interop::TempDir::new("netbench-links");
    let port = interop::free_port();
    let server_cfg = interop::RnsConfig::new(dir.join("server"))
        .loglevel(2)
        .tcp_server(port)
        .write();
    let client_cfg = interop::RnsConfig::new(dir.join("client"))
        .loglevel(2)
        .tcp_client(port)
        .write();
    let server = RefProc::spawn("link-server", server_cfg.dir(), &[])?;
    let ready = server.next(Duration::from_secs(60))?;
    let dest = ready["ready"]
        .as_str()
        .ok_or("server not ready")?
        .to_string();
    let size_list: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
    let client = RefProc::spawn(
        "link-client",
        client_cfg.dir(),
        &[
            "--dest".into(),
            dest,
            "--links".into(),
            links.to_string(),
            "--sizes".into(),
            size_list.join(","),
            "--rounds".into(),
            rounds.to_string(),
        ],
    )?;
    let out = client.next(Duration::from_secs(900))?;
    let link_ms = out["link_ms"]
        .as_array()
        .ok_or_else(|| format!("reference client failed: {out}"))?
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let mut resource_s = Vec::new();
    for &size in sizes {
        let times = out["resource_s"][size.to_string()]
            .as_array()
            .ok_or_else(|| format!("no times for {size} bytes: {out}"))?
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        resource_s.push((size, times));
    }
    drop(server);
    Ok(LinkResults {
        link_ms,
        resource_s,
    })
}
