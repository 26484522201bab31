//! The app benchmark (`bench/app.sh`): our `meshchatx` and the reference
//! MeshChatX app (4.10.7, from `.refapp/`), one after the other on the same
//! machine, each on a loopback-only Reticulum config with plain HTTP on
//! 127.0.0.1, measured by the same client (`http.rs`):
//!
//! * start-up: process spawn to the first 200 from `/api/v1/status`, on a
//!   fresh storage directory and (median of restarts) on one holding the
//!   stored messages;
//! * resident memory after 30 s idle, ready, with the messages stored;
//! * requests per second over 8 keep-alive connections on `/api/v1/status`
//!   and on `/api/v1/lxmf/conversations` with 10,000 stored messages
//!   (100 conversations);
//! * WebSocket `ping` → `pong` round trip on `/ws`.
//!
//! `--quick` shrinks every step (a smoke run); `--ours-only` skips the
//! reference. Program paths: `APPBENCH_OURS`, `APPBENCH_REFERENCE`.

mod app;
mod http;
mod load;
mod populate;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use app::{App, AppDirs, Kind};

struct Plan {
    ours_only: bool,
    messages: usize,
    peers: usize,
    restarts: usize,
    idle: Duration,
    load_time: Duration,
    pings: usize,
}

/// What one app measured.
#[derive(Default)]
struct Figures {
    fresh_start_ms: f64,
    restart_ms: f64,
    idle_rss_mib: f64,
    status: Option<load::Load>,
    conversations: Option<load::Load>,
    conversations_listed: usize,
    ping_p50_ms: f64,
    ping_p99_ms: f64,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("appbench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let plan = Plan {
        ours_only: args.iter().any(|a| a == "--ours-only"),
        messages: if quick { 1_000 } else { 10_000 },
        peers: 100,
        restarts: if quick { 1 } else { 3 },
        idle: Duration::from_secs(if quick { 2 } else { 30 }),
        load_time: Duration::from_secs(if quick { 1 } else { 5 }),
        // Both apps allow 30 messages/s with a burst of 60 per socket.
        pings: 50,
    };
    let program = |var: &str| -> Result<PathBuf, String> {
        std::env::var_os(var)
            .map(PathBuf::from)
            .ok_or_else(|| format!("{var} is not set (run bench/app.sh)"))
    };
    let root = std::env::temp_dir().join(format!("appbench-{}", std::process::id()));
    let ours = measure(Kind::Ours, &program("APPBENCH_OURS")?, &root, &plan)?;
    let reference = if plan.ours_only {
        Figures::default()
    } else {
        measure(
            Kind::Reference,
            &program("APPBENCH_REFERENCE")?,
            &root,
            &plan,
        )?
    };
    // APPBENCH_KEEP=1 keeps the storage directories for a closer look.
    if std::env::var_os("APPBENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        eprintln!("kept {}", root.display());
    }
    report(&plan, &ours, &reference);
    Ok(())
}

fn measure(
    kind: Kind,
    program: &std::path::Path,
    root: &std::path::Path,
    plan: &Plan,
) -> Result<Figures, String> {
    let name = kind.name();
    let dirs = AppDirs::create(&root.join(name))?;
    let mut f = Figures::default();
    let fail = |e: String| format!("{name}: {e} (log: {})", dirs.log.display());

    eprintln!("{name}: fresh start ...");
    let mut app = App::start(kind, program, &dirs)?;
    f.fresh_start_ms = ms(app.first_status().map_err(fail)?);
    app.ready().map_err(fail)?;
    app.stop();

    eprintln!("{name}: storing {} messages ...", plan.messages);
    let t = Instant::now();
    populate::messages(&dirs.storage, plan.messages, plan.peers)?;
    eprintln!("{name}: stored in {:.1} s", t.elapsed().as_secs_f64());

    let mut restarts = Vec::new();
    let mut app = None;
    for round in 0..plan.restarts {
        eprintln!("{name}: restart {} ...", round + 1);
        let mut a = App::start(kind, program, &dirs)?;
        restarts.push(ms(a.first_status().map_err(fail)?));
        a.ready().map_err(fail)?;
        if round + 1 < plan.restarts {
            a.stop();
        } else {
            app = Some(a);
        }
    }
    restarts.sort_by(f64::total_cmp);
    f.restart_ms = load::percentile(&restarts, 0.5);
    let app = app.ok_or("no restart")?;

    eprintln!("{name}: idle for {} s ...", plan.idle.as_secs());
    std::thread::sleep(plan.idle);
    f.idle_rss_mib = app.rss_kib().map_or(f64::NAN, |k| k as f64 / 1024.0);

    let mut conn = http::Conn::open(app.port).map_err(|e| e.to_string())?;
    let (code, body) = conn
        .get("/api/v1/lxmf/conversations")
        .map_err(|e| e.to_string())?;
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    f.conversations_listed = listed["conversations"].as_array().map_or(0, Vec::len);
    if code != 200 || f.conversations_listed != plan.peers {
        eprintln!(
            "{name}: warning: conversations answered {code} with {} of {} conversations",
            f.conversations_listed, plan.peers
        );
    }

    eprintln!("{name}: load on /api/v1/status ...");
    f.status = Some(load::run(app.port, "/api/v1/status", 8, plan.load_time)?);
    eprintln!("{name}: load on /api/v1/lxmf/conversations ...");
    f.conversations = Some(load::run(
        app.port,
        "/api/v1/lxmf/conversations",
        8,
        plan.load_time,
    )?);

    eprintln!("{name}: WebSocket pings ...");
    let mut ws = http::Conn::open(app.port)
        .and_then(|c| c.websocket("/ws"))
        .map_err(|e| format!("{name}: /ws: {e}"))?;
    let mut rtts = Vec::with_capacity(plan.pings);
    for _ in 0..plan.pings {
        let t = Instant::now();
        ws.send_text(r#"{"type":"ping"}"#)
            .map_err(|e| e.to_string())?;
        loop {
            let text = ws.next_text().map_err(|e| e.to_string())?;
            if text.contains("\"pong\"") {
                break;
            }
        }
        rtts.push(ms(t.elapsed()));
    }
    rtts.sort_by(f64::total_cmp);
    f.ping_p50_ms = load::percentile(&rtts, 0.5);
    f.ping_p99_ms = load::percentile(&rtts, 0.99);
    app.stop();
    Ok(f)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(plan: &Plan, ours: &Figures, reference: &Figures) {
    let load =
        |l: &Option<load::Load>, pick: fn(&load::Load) -> f64| l.as_ref().map_or(f64::NAN, pick);
    let n = plan.messages;
    let rows: Vec<(String, f64, f64, &str, bool)> = vec![
        (
            "start to first 200 on /api/v1/status, fresh storage".into(),
            ours.fresh_start_ms,
            reference.fresh_start_ms,
            "ms",
            false,
        ),
        (
            format!("start to first 200, storage with {n} messages (median)"),
            ours.restart_ms,
            reference.restart_ms,
            "ms",
            false,
        ),
        (
            format!("RSS after {} s idle", plan.idle.as_secs()),
            ours.idle_rss_mib,
            reference.idle_rss_mib,
            "MiB",
            false,
        ),
        (
            "GET /api/v1/status, 8 connections".into(),
            load(&ours.status, |l| l.per_second),
            load(&reference.status, |l| l.per_second),
            "req/s",
            true,
        ),
        (
            "  p50 latency".into(),
            load(&ours.status, |l| l.p50_ms),
            load(&reference.status, |l| l.p50_ms),
            "ms",
            false,
        ),
        (
            "  p99 latency".into(),
            load(&ours.status, |l| l.p99_ms),
            load(&reference.status, |l| l.p99_ms),
            "ms",
            false,
        ),
        (
            format!("GET /api/v1/lxmf/conversations ({n} messages), 8 conn."),
            load(&ours.conversations, |l| l.per_second),
            load(&reference.conversations, |l| l.per_second),
            "req/s",
            true,
        ),
        (
            "  p50 latency".into(),
            load(&ours.conversations, |l| l.p50_ms),
            load(&reference.conversations, |l| l.p50_ms),
            "ms",
            false,
        ),
        (
            "  p99 latency".into(),
            load(&ours.conversations, |l| l.p99_ms),
            load(&reference.conversations, |l| l.p99_ms),
            "ms",
            false,
        ),
        (
            "WebSocket ping -> pong p50".into(),
            ours.ping_p50_ms,
            reference.ping_p50_ms,
            "ms",
            false,
        ),
        (
            "WebSocket ping -> pong p99".into(),
            ours.ping_p99_ms,
            reference.ping_p99_ms,
            "ms",
            false,
        ),
    ];
    println!();
    println!(
        "{:<58} {:>10} {:>10}  {:<6} {:>8}",
        "measurement", "ours", "reference", "unit", "ratio"
    );
    for (what, o, r, unit, higher_is_better) in rows {
        let ratio = if higher_is_better { o / r } else { r / o };
        println!("{what:<58} {o:>10.2} {r:>10.2}  {unit:<6} {ratio:>7.1}x");
    }
    let errors = |f: &Figures| {
        f.status.as_ref().map_or(0, |l| l.errors) + f.conversations.as_ref().map_or(0, |l| l.errors)
    };
    println!(
        "(ratio > 1: ours is better; same machine, one after the other; non-200 answers: ours {}, reference {}; conversations listed: ours {}, reference {})",
        errors(ours),
        errors(reference),
        ours.conversations_listed,
        reference.conversations_listed
    );
}
