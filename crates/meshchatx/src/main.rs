//! The `meshchatx` binary: command line, logging, wiring, graceful shutdown.
//!
//! Locks the storage directory, loads (or creates) the identity, binds the web server and prepares TLS
//! before anything else, so a bad port or certificate fails at once; then
//! serves the API while the network stack starts in the background, until
//! SIGINT or SIGTERM.

mod cli;
mod db_tools;
mod identity_file;
mod log;

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use meshchat_core::auth::{AuthSettings, SessionKey, StartupAuth, prepare_auth};
use meshchat_core::{Node, NodeSettings, Stage};
use meshchat_store::StorageLock;
use meshchat_web::tls::{self, CertPaths};
use meshchat_web::{AppState, AuthConfig, ServerInfo};
use rns_crypto::PrivateIdentity;

use cli::Cli;
use log::Log;

/// After the signal, requests in flight get this long to finish.
const DRAIN: Duration = Duration::from_secs(5);
/// And the network stack this long to stop.
const STACK_STOP: Duration = Duration::from_secs(10);
/// The first automatic backup, as the reference: 5 minutes after start.
const AUTO_BACKUP_FIRST: Duration = Duration::from_secs(300);

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();

    if let Some(path) = &cli.generate_identity_file {
        let identity = identity_file::generate_to(path)?;
        println!(
            "Generated identity {} at {}",
            identity.hash(),
            path.display()
        );
        return Ok(());
    }

    let log = Log::parse(cli.rns_log_level.as_deref())?;
    // Before anything in the storage directory is read or written: a second
    // instance would share its databases and key files. Held until exit.
    let _lock = lock_storage(&cli.storage_dir())?;
    if cli.self_check {
        std::process::exit(db_tools::self_check(&cli.storage_dir()));
    }
    let (identity, identity_source) = load_identity(&cli)?;
    if let Some(done) = db_tools::run(&cli, &identity)? {
        return Ok(done);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli, identity, identity_source, log))
}

/// `<storage>/.meshchatx.lock`, unless `MESHCHAT_SKIP_STORAGE_LOCK` is set
/// (as the reference allows, for file systems without locks).
fn lock_storage(dir: &std::path::Path) -> anyhow::Result<Option<StorageLock>> {
    if std::env::var_os("MESHCHAT_SKIP_STORAGE_LOCK").is_some_and(|v| !v.is_empty() && v != "0") {
        return Ok(None);
    }
    Ok(Some(StorageLock::acquire(dir)?))
}

fn load_identity(cli: &Cli) -> anyhow::Result<(PrivateIdentity, String)> {
    if let Some(text) = &cli.identity_base64 {
        return Ok((
            identity_file::from_text(text, false)?,
            "--identity-base64".into(),
        ));
    }
    if let Some(text) = &cli.identity_base32 {
        return Ok((
            identity_file::from_text(text, true)?,
            "--identity-base32".into(),
        ));
    }
    let path = cli
        .identity_file
        .clone()
        .unwrap_or_else(|| cli.storage_dir().join("identity"));
    let identity = identity_file::load_or_create(&path)
        .with_context(|| format!("loading the identity at {}", path.display()))?;
    Ok((identity, path.display().to_string()))
}

async fn run(cli: Cli, identity: PrivateIdentity, source: String, log: Log) -> anyhow::Result<()> {
    let storage_dir = cli.storage_dir();
    let rns_dir = cli.reticulum_config_dir();

    // Before binding: a refused start never opens the port.
    let auth = prepare_login(&cli, &storage_dir, identity.hash(), log)?;
    refuse_open_network(&cli, &auth.settings)?;
    let listener = tokio::net::TcpListener::bind((cli.host.as_str(), cli.port))
        .await
        .with_context(|| format!("listening on {}:{}", cli.host, cli.port))?;
    let addr = listener.local_addr()?;
    // Handlers go in before anything is announced, so a SIGTERM sent as soon
    // as we say we listen is still a graceful stop.
    let signals = ShutdownSignals::install()?;
    let tls = if cli.no_https {
        None
    } else {
        Some(tls_config(&cli, &storage_dir, log)?)
    };

    let node = Node::new(NodeSettings {
        reticulum_config_dir: rns_dir.clone(),
        identity,
        display_name: None,
        storage_dir: Some(storage_dir.clone()),
    })?;
    let id = node.identity();
    println!("MeshChatX-rs {}", env!("CARGO_PKG_VERSION"));
    println!("identity:         {}", id.identity_hash);
    println!("lxmf.delivery:    {}", id.lxmf_delivery);
    println!("identity file:    {source}");
    println!("storage:          {}", storage_dir.display());
    println!("reticulum config: {}", rns_dir.display());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let host = if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    println!("listening on {scheme}://{host}:{}", addr.port());

    let state = AppState::with_auth(
        node.clone(),
        ServerInfo {
            listen_host: cli.host.clone(),
            listen_port: addr.port(),
            https_enabled: tls.is_some(),
            storage_path: storage_dir.display().to_string(),
        },
        auth,
    );
    node.start();
    tokio::spawn(report_stages(node.clone(), log));
    let backups = (cli.backup_interval > 0).then(|| {
        let every = Duration::from_secs(cli.backup_interval.saturating_mul(60));
        node.spawn_auto_backups(every.min(AUTO_BACKUP_FIRST), every)
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        signals.recv().await;
        let _ = stop_tx.send(true);
    });
    let graceful = stopped(stop_rx.clone());
    let serving = meshchat_web::serve(listener, tls, state, graceful);
    tokio::select! {
        served = serving => served.context("serving HTTP")?,
        () = async { stopped(stop_rx).await; tokio::time::sleep(DRAIN).await } => {
            log.log(log::WARNING, "requests still open after the drain period; closing them");
        }
    }

    log.log(log::NOTICE, "stopping the network stack");
    if let Some(task) = backups {
        task.abort();
    }
    if tokio::time::timeout(STACK_STOP, node.shutdown())
        .await
        .is_err()
    {
        log.log(log::ERROR, "the network stack did not stop in time");
    }
    // Every write is already committed; this folds the WAL into the
    // database files so a clean stop leaves no WAL behind.
    let flushed = node.flush_stores().await;
    log.log(log::NOTICE, format!("flushed {flushed} database(s)"));
    println!("stopped");
    Ok(())
}

/// Applies `--auth` / `--reset-password` to the identity's stored login
/// settings and loads the cookie key, before anything is served.
fn prepare_login(
    cli: &Cli,
    storage_dir: &std::path::Path,
    identity: rns_crypto::IdentityHash,
    log: Log,
) -> anyhow::Result<AuthConfig> {
    let startup = StartupAuth {
        enable: cli.auth,
        reset_password: cli.reset_password,
    };
    let settings =
        prepare_auth(storage_dir, identity, &startup).context("reading the login settings")?;
    if cli.reset_password {
        log.log(log::NOTICE, "password reset: set a new one in the browser");
    }
    if settings.password_is_bcrypt() {
        log.log(
            log::WARNING,
            "the stored password is bcrypt (set by MeshChatX), which this build cannot check; \
             restart with --reset-password to set a new one",
        );
    }
    let key = SessionKey::load_or_create(storage_dir).context("loading the session key")?;
    Ok(AuthConfig {
        key,
        settings,
        forced: cli.auth,
    })
}

/// Anyone who reaches the port can read and send messages unless a
/// password stands in the way: refuse a non-loopback address without one,
/// unless the user said, with a flag that says so, that they mean it.
fn refuse_open_network(cli: &Cli, settings: &AuthSettings) -> anyhow::Result<()> {
    let protected = settings.enabled && settings.password_set();
    if is_loopback_host(&cli.host) || protected || cli.insecure_listen_without_password {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to listen on {} without a password: anyone who can reach it could read and \
         send your messages. Set a password first (start with --auth on 127.0.0.1 and set it in \
         the browser), or pass --insecure-listen-without-password if you really want this.",
        cli.host
    )
}

/// `localhost` or a loopback address; any other name counts as the network
/// (it may resolve anywhere).
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The custom pair when given, else the storage directory's self-signed
/// pair, made on first use.
fn tls_config(
    cli: &Cli,
    storage_dir: &std::path::Path,
    log: Log,
) -> anyhow::Result<std::sync::Arc<tls::ServerConfig>> {
    let paths = match (&cli.ssl_cert, &cli.ssl_key) {
        (Some(cert), Some(key)) => CertPaths {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ => {
            let paths = CertPaths::in_storage(storage_dir);
            if tls::ensure_self_signed(&paths).context("making the self-signed certificate")? {
                log.log(
                    log::NOTICE,
                    format!("made a self-signed certificate at {}", paths.cert.display()),
                );
            }
            paths
        }
    };
    tls::server_config(&paths).with_context(|| {
        format!(
            "loading the certificate {} and key {}",
            paths.cert.display(),
            paths.key.display()
        )
    })
}

async fn report_stages(node: Node, log: Log) {
    let mut rx = node.watch_status();
    loop {
        let status = rx.borrow_and_update().clone();
        match status.stage {
            Stage::Failed => {
                let reason = status.error.unwrap_or_default();
                log.log(log::ERROR, format!("start-up failed: {reason}"));
            }
            stage => log.log(log::NOTICE, format!("start-up stage: {stage}")),
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// SIGINT and SIGTERM, caught from the moment they are installed.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    /// Resolves on the first SIGINT or SIGTERM.
    async fn recv(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("meshchatx").chain(args.iter().copied()))
    }

    #[test]
    fn a_network_address_needs_a_password_or_the_explicit_opt_out() {
        let none = AuthSettings::default();
        let on_no_password = AuthSettings {
            enabled: true,
            ..AuthSettings::default()
        };
        let password_off = AuthSettings {
            enabled: false,
            password_hash: Some("$argon2id$x".into()),
            session_epoch: 1,
        };
        let protected = AuthSettings {
            enabled: true,
            ..password_off.clone()
        };
        for host in ["127.0.0.1", "::1", "[::1]", "localhost", "127.3.4.5"] {
            assert!(
                refuse_open_network(&cli(&["--host", host]), &none).is_ok(),
                "{host}"
            );
        }
        for host in ["0.0.0.0", "::", "192.168.1.2", "myhost.example"] {
            let c = cli(&["--host", host]);
            for s in [&none, &on_no_password, &password_off] {
                let err = refuse_open_network(&c, s).unwrap_err().to_string();
                assert!(err.contains("--insecure-listen-without-password"), "{err}");
            }
            assert!(refuse_open_network(&c, &protected).is_ok());
            let opted = cli(&["--host", host, "--insecure-listen-without-password"]);
            assert!(refuse_open_network(&opted, &none).is_ok());
        }
    }
}
