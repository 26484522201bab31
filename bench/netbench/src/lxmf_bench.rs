//! LXMF through the normal send path of each side: two of our routers in
//! this process (TCP server and client nodes) or two reference `LXMRouter`
//! processes. One warm-up message, 20 sent one at a time (unloaded latency),
//! then N submitted at once (throughput and latency under load). Latency runs
//! from handing the message to the router to its "delivered" state (the
//! recipient's proof came back). Also: stamp generation time at a cost, ours
//! as the driver does it (workblock, then the search on one thread), the
//! reference's `LXStamper.generate_stamp`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lxmf::driver::LxmfRouter;
use lxmf::router::{RouterConfig, RouterEvent};
use lxmf::stamp::{SearchOutcome, Workblock, random_start};
use lxmf::{Fields, Message, MessageId, Method, State};
use rns_crypto::{DestinationHash, OsRng, PrivateIdentity, RngCore};
use tokio::sync::broadcast;

use crate::configs;
use crate::reference::RefProc;

/// What one side measured.
pub struct LxmfResults {
    pub unloaded_ms: Vec<f64>,
    /// The unloaded messages again, from handing one over until the
    /// recipient's router delivered it to its application: without the way
    /// back of the proof (and the hold of proofs, see rns-proto's
    /// `response_hold.rs`).
    pub unloaded_arrival_ms: Vec<f64>,
    pub burst_ms: Vec<f64>,
    pub burst_s: f64,
}

const WAIT: Duration = Duration::from_secs(300);

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn message(to: DestinationHash, from: DestinationHash, i: usize) -> Message {
    Message {
        destination_hash: to,
        source_hash: from,
        timestamp: unix_now(),
        title: Vec::new(),
        content: format!("bench message {i}").into_bytes(),
        fields: Fields::default(),
    }
}

/// Waits until every message in `pending` is delivered; returns when each was.
async fn delivered(
    router: &LxmfRouter,
    events: &mut broadcast::Receiver<RouterEvent>,
    mut pending: HashMap<MessageId, Instant>,
) -> Result<Vec<(Instant, Instant)>, String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut done = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Err(format!("{} messages not delivered", pending.len())),
            Ok(Ok(RouterEvent::Outbound(status))) => match status.state {
                State::Delivered => {
                    if let Some(t0) = pending.remove(&status.id) {
                        done.push((t0, Instant::now()));
                    }
                }
                State::Failed | State::Rejected | State::Cancelled
                    if pending.contains_key(&status.id) =>
                {
                    return Err(format!(
                        "a message ended {:?} ({:?}, {} attempts)",
                        status.state, status.failure, status.attempts
                    ));
                }
                _ => {}
            },
            // Fell behind the event stream: ask for the states instead.
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                let ids: Vec<MessageId> = pending.keys().copied().collect();
                for id in ids {
                    let status = router.status(id).await.map_err(|e| e.to_string())?;
                    match status.map(|s| s.state) {
                        Some(State::Delivered) => {
                            if let Some(t0) = pending.remove(&id) {
                                done.push((t0, Instant::now()));
                            }
                        }
                        Some(state @ (State::Failed | State::Rejected | State::Cancelled)) => {
                            return Err(format!("a message ended {state:?}"));
                        }
                        _ => {}
                    }
                }
            }
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(_)) => {}
        }
    }
    Ok(done)
}

pub fn ours(
    rt: &tokio::runtime::Runtime,
    count: usize,
    method: Method,
) -> Result<LxmfResults, String> {
    rt.block_on(async {
        let (server, client) = configs::tcp_pair().await?;
        let config = RouterConfig {
            max_outbound: count + 64,
            // Kept so a state asked for after the event stream lagged is
            // still known (a forgotten one would look undelivered).
            finished_capacity: count + 64,
            ..RouterConfig::default()
        };
        let recv = LxmfRouter::start(server.clone(), config.clone());
        let send = LxmfRouter::start(client.clone(), config);
        let to = recv
            .add_identity(
                PrivateIdentity::generate(&mut OsRng),
                Some("recv".into()),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        let from = send
            .add_identity(
                PrivateIdentity::generate(&mut OsRng),
                Some("send".into()),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        recv.announce(to).await.map_err(|e| e.to_string())?;
        client
            .await_path(to, Duration::from_secs(30))
            .await
            .map_err(|e| e.to_string())?;

        let mut events = send.subscribe();
        // When each message reached the recipient's application.
        let arrivals = std::sync::Arc::new(std::sync::Mutex::new(HashMap::new()));
        let mut inbound = recv.subscribe();
        let recorder = {
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                loop {
                    match inbound.recv().await {
                        Ok(RouterEvent::Received(r)) => {
                            let at = Instant::now();
                            if let Ok(mut map) = arrivals.lock() {
                                map.insert(*r.message.message_id(), at);
                            }
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            })
        };
        let one = |i: usize| {
            let (send, m) = (send.clone(), message(to, from, i));
            async move {
                let t0 = Instant::now();
                let id = send.send(m, method).await.map_err(|e| e.to_string())?;
                Ok::<_, String>((id, t0))
            }
        };
        let mut unloaded_ms = Vec::new();
        let mut unloaded_arrival_ms = Vec::new();
        for i in 0..21 {
            let (id, t0) = one(i).await?;
            let done = delivered(&send, &mut events, HashMap::from([(id, t0)]))
                .await
                .map_err(|e| format!("message {i} one by one: {e}"))?;
            if i > 0 {
                unloaded_ms.extend(done.iter().map(|(a, b)| (*b - *a).as_secs_f64() * 1000.0));
                // The recipient's event precedes its proof, so it is there.
                let arrived = arrivals.lock().ok().and_then(|m| m.get(&id).copied());
                if let Some(at) = arrived {
                    unloaded_arrival_ms.push((at - t0).as_secs_f64() * 1000.0);
                }
            }
        }
        recorder.abort();
        let started = Instant::now();
        let mut pending = HashMap::new();
        for i in 0..count {
            let (id, t0) = one(100 + i).await?;
            pending.insert(id, t0);
        }
        let done = delivered(&send, &mut events, pending)
            .await
            .map_err(|e| format!("{count} at once: {e}"))?;
        let burst_s = done
            .iter()
            .map(|(_, b)| (*b - started).as_secs_f64())
            .fold(0.0, f64::max);
        let burst_ms = done
            .iter()
            .map(|(a, b)| (*b - *a).as_secs_f64() * 1000.0)
            .collect();
        send.shutdown().await;
        recv.shutdown().await;
        client.shutdown().await;
        server.shutdown().await;
        Ok(LxmfResults {
            unloaded_ms,
            unloaded_arrival_ms,
            burst_ms,
            burst_s,
        })
    })
}

pub fn reference(count: usize, method: &str) -> Result<LxmfResults, String> {
    let dir = interop::TempDir::new("netbench-lxmf");
    let port = interop::free_port();
    let recv_cfg = interop::RnsConfig::new(dir.join("recv"))
        .loglevel(crate::reference::loglevel())
        .tcp_server(port)
        .write();
    let send_cfg = interop::RnsConfig::new(dir.join("send"))
        .loglevel(crate::reference::loglevel())
        .tcp_client(port)
        .write();
    let storage = |name: &str| dir.join(name).display().to_string();
    let recv = RefProc::spawn(
        "lxmf-recv",
        recv_cfg.dir(),
        &["--storage".into(), storage("recv-lxmf")],
    )?;
    let ready = recv.next(Duration::from_secs(60))?;
    let dest = ready["ready"]
        .as_str()
        .ok_or("receiver not ready")?
        .to_string();
    let send = RefProc::spawn(
        "lxmf-send",
        send_cfg.dir(),
        &[
            "--storage".into(),
            storage("send-lxmf"),
            "--dest".into(),
            dest,
            "--count".into(),
            count.to_string(),
            "--method".into(),
            method.into(),
        ],
    )?;
    let out = send.next(WAIT)?;
    let list = |key: &str| -> Result<Vec<f64>, String> {
        Ok(out[key]
            .as_array()
            .ok_or_else(|| format!("reference sender failed: {out}"))?
            .iter()
            .filter_map(|v| v.as_f64())
            .collect())
    };
    // The receiver reported each unloaded message's arrival (wall clock).
    let mut unloaded_arrival_ms = Vec::new();
    for _ in 0..out["unloaded_ms"].as_array().map_or(0, Vec::len) {
        let arrived = recv.next(Duration::from_secs(10))?;
        let number = arrived["arrived"].as_i64().unwrap_or_default().to_string();
        if let (Some(at), Some(sent)) = (
            arrived["at"].as_f64(),
            out["unloaded_sent_at"][number.as_str()].as_f64(),
        ) {
            unloaded_arrival_ms.push((at - sent) * 1000.0);
        }
    }
    let results = LxmfResults {
        unloaded_ms: list("unloaded_ms")?,
        unloaded_arrival_ms,
        burst_ms: list("burst_ms")?,
        burst_s: out["burst_s"].as_f64().unwrap_or(f64::NAN),
    };
    drop(recv);
    Ok(results)
}

/// Seconds to make one stamp at `cost`, as our driver does: the workblock
/// for a random message id, then the search on one thread.
pub fn ours_stamp(cost: u32, rounds: usize) -> Vec<f64> {
    (0..rounds)
        .map(|_| {
            let mut id = [0u8; 32];
            OsRng.fill_bytes(&mut id);
            let t0 = Instant::now();
            let workblock = Workblock::for_message(&MessageId(id));
            let mut never = || false;
            loop {
                let start = random_start(&mut OsRng);
                if let SearchOutcome::Found { .. } =
                    workblock.search(cost, start, 1 << 24, &mut never)
                {
                    break;
                }
            }
            t0.elapsed().as_secs_f64()
        })
        .collect()
}

pub fn reference_stamp(cost: u32, rounds: usize) -> Result<Vec<f64>, String> {
    let dir = interop::TempDir::new("netbench-stamp");
    let py = RefProc::spawn(
        "stamp",
        dir.path(),
        &[
            "--cost".into(),
            cost.to_string(),
            "--rounds".into(),
            rounds.to_string(),
        ],
    )?;
    let out = py.next(WAIT)?;
    Ok(out["stamp_s"]
        .as_array()
        .ok_or_else(|| format!("reference stamp failed: {out}"))?
        .iter()
        .filter_map(|v| v.as_f64())
        .collect())
}
