//! Announce ingest: the same N distinct, validly signed announces (one
//! HDLC-framed byte stream) are written over loopback TCP into our node and
//! into the reference; the clock runs from the first byte written until the
//! node's path table holds all N. Both sides run with their per-interface
//! ingress limits for unknown destinations turned off (the reference's
//! `ingress_control = No`, our `Limits::new_announce_rate = None`), since
//! with stock limits both admit only a trickle by design.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rns_crypto::{OsRng, PrivateIdentity, name_hash};
use rns_net::Reticulum;
use rns_proto::node::Limits;
use rns_wire::announce::{AnnounceReason, RandomHash, ValidatedAnnounce};
use rns_wire::framing::hdlc;

use crate::configs;
use crate::reference::RefProc;

/// `count` announces of `count` distinct identities, framed. Distinct keys,
/// so neither side can reuse a decoded public key from one to the next.
pub fn flood_bytes(count: usize) -> Vec<u8> {
    let emitted = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = Vec::with_capacity(count * 180);
    for i in 0..count {
        let b = (i as u64).to_be_bytes();
        let random = RandomHash::new([b[3], b[4], b[5], b[6], b[7]], emitted);
        let identity = PrivateIdentity::generate(&mut OsRng);
        let nh = name_hash("netbench.flood");
        let announce = ValidatedAnnounce::build(&identity, nh, random, None, b"bench".to_vec());
        hdlc::frame_into(
            &announce.to_packet(AnnounceReason::Unsolicited).encode(),
            &mut out,
        );
    }
    out
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A writer thread: `started` is the unix time of its first byte; joining it
/// hands back the connection, which the caller keeps open until the node has
/// read everything.
struct Blast {
    started: f64,
    writer: std::thread::JoinHandle<TcpStream>,
}

/// Connects (retrying while the listener comes up) and writes everything from
/// a thread of its own.
fn blast(addr: SocketAddr, bytes: Vec<u8>) -> Result<Blast, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => return Err(format!("connect {addr}: {e}")),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let started = unix_now();
    let writer = std::thread::spawn(move || {
        let _ = stream.write_all(&bytes);
        stream
    });
    Ok(Blast { started, writer })
}

/// Announces per second our node ingested and validated.
pub fn ours(rt: &tokio::runtime::Runtime, bytes: &[u8], count: usize) -> Result<f64, String> {
    rt.block_on(async {
        let limits = Limits {
            max_paths: count + 1024,
            max_known_destinations: count + 1024,
            new_announce_rate: None,
            ..Limits::default()
        };
        let node = Reticulum::new(configs::tcp_server(0))
            .limits(limits)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let addr = node.listen_addr("server").ok_or("no listen address")?;
        let baseline = node.stats().await.map_err(|e| e.to_string())?.paths;
        let blast = blast(addr, bytes.to_vec())?;
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let stats = node.stats().await.map_err(|e| e.to_string())?;
            if stats.paths >= baseline + count {
                let secs = unix_now() - blast.started;
                drop(blast.writer.join());
                node.shutdown().await;
                return Ok(count as f64 / secs);
            }
            if Instant::now() > deadline {
                return Err(format!("only {} of {count} paths", stats.paths - baseline));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}

/// Announces per second the reference ingested and validated.
pub fn reference(bytes: &[u8], count: usize) -> Result<f64, String> {
    let dir = interop::TempDir::new("netbench-announce");
    let port = interop::free_port();
    let config = interop::RnsConfig::new(dir.path())
        .loglevel(crate::reference::loglevel())
        .tcp_server(port)
        .ingress_control(false)
        .write();
    let py = RefProc::spawn(
        "announce-sink",
        config.dir(),
        &["--count".into(), count.to_string()],
    )?;
    py.next(Duration::from_secs(60))?;
    let blast = blast(SocketAddr::from(([127, 0, 0, 1], port)), bytes.to_vec())?;
    let done = py.next(Duration::from_secs(600))?;
    drop(blast.writer.join());
    let finished = done["done"]
        .as_f64()
        .ok_or_else(|| format!("reference did not finish: {done}"))?;
    let paths = done["paths"].as_u64().unwrap_or(0) as usize;
    if paths < count {
        eprintln!("announces: the reference's path table took {paths} of {count}");
    }
    Ok(paths as f64 / (finished - blast.started))
}
