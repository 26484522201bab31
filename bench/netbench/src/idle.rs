//! Resident memory of an idle node: ours (this binary re-run as
//! `netbench idle-node`) and the reference, each a Reticulum stack with one
//! TCP server interface plus an LXMF router with one announced delivery
//! identity. Read once the process has been up and quiet for a
//! few seconds.

use std::process::{Command, Stdio};
use std::time::Duration;

use lxmf::driver::LxmfRouter;
use lxmf::router::RouterConfig;
use rns_crypto::{OsRng, PrivateIdentity};
use rns_net::Reticulum;

use crate::configs;
use crate::reference::{RefProc, rss_kib};

/// How long a process sits idle before its RSS is read.
const SETTLE: Duration = Duration::from_secs(3);

/// Child mode: run a node until stdin closes.
pub fn run_idle_node() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let node = Reticulum::new(configs::tcp_server(0))
            .start()
            .await
            .map_err(|e| e.to_string())?;
        // Like the reference's figure: the stack plus an LXMF router with one
        // announced delivery identity.
        let router = LxmfRouter::start(node.clone(), RouterConfig::default());
        let dest = router
            .add_identity(
                PrivateIdentity::generate(&mut OsRng),
                Some("bench".into()),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        router.announce(dest).await.map_err(|e| e.to_string())?;
        println!("ready");
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        })
        .await
        .map_err(|e| e.to_string())?;
        router.shutdown().await;
        node.shutdown().await;
        Ok(())
    })
}

/// Our idle node's RSS in MiB.
pub fn ours() -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("idle-node")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    if let Some(out) = child.stdout.as_mut() {
        use std::io::BufRead;
        let _ = std::io::BufReader::new(out).read_line(&mut line);
    }
    std::thread::sleep(SETTLE);
    let rss = rss_kib(child.id());
    drop(child.stdin.take());
    let _ = child.wait();
    if line.trim() != "ready" {
        return Err("our idle node did not start".into());
    }
    rss.map(|k| k as f64 / 1024.0)
        .ok_or("no RSS reading".into())
}

/// The reference's idle RSS in MiB.
pub fn reference() -> Result<f64, String> {
    let dir = interop::TempDir::new("netbench-idle");
    let config = interop::RnsConfig::new(dir.join("rns"))
        .loglevel(2)
        .tcp_server(interop::free_port())
        .write();
    let storage = dir.join("lxmf");
    let py = RefProc::spawn(
        "idle",
        config.dir(),
        &["--storage".into(), storage.display().to_string()],
    )?;
    py.next(Duration::from_secs(60))?;
    std::thread::sleep(SETTLE);
    rss_kib(py.pid())
        .map(|k| k as f64 / 1024.0)
        .ok_or("no RSS reading".into())
}
