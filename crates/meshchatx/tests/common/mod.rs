//! Runs the real binary for a test: a temp storage dir, a loopback-only
//! Reticulum config (never AutoInterface, never the user's config), port 0,
//! and a tiny HTTP/1.1 client over plain TCP or rustls.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod ws;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Start-up, shutdown and requests all get this long before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Only a TCP server on 127.0.0.1 (any free port), no shared instance.
pub const LOOPBACK_CONFIG: &str = "\
[reticulum]
  enable_transport = No
  share_instance = No
  panic_on_interface_error = No

[interfaces]
  [[Loopback TCP]]
    type = TCPServerInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = 0
";

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meshchatx-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `<dir>/rns` with the loopback config in it.
pub fn loopback_rns_dir(dir: &Path) -> PathBuf {
    let rns = dir.join("rns");
    std::fs::create_dir_all(&rns).unwrap();
    std::fs::write(rns.join("config"), LOOPBACK_CONFIG).unwrap();
    rns
}

/// A Reticulum config directory under `dir` (`rns/`) with one TCP server on
/// 127.0.0.1:`port` for a Python peer to connect to, nothing else.
pub fn tcp_server_rns_dir(dir: &Path, port: u16) -> PathBuf {
    let rns = dir.join("rns");
    std::fs::create_dir_all(&rns).unwrap();
    std::fs::write(
        rns.join("config"),
        format!(
            "[reticulum]\n  enable_transport = No\n  share_instance = No\n  \
             panic_on_interface_error = No\n\n[interfaces]\n  [[Loopback TCP]]\n    \
             type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    \
             listen_port = {port}\n"
        ),
    )
    .unwrap();
    rns
}

/// Calls `f` every 50 ms until it gives a value; fails the test after
/// [`DEADLINE`], naming `what`.
pub fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Running {
    child: Child,
    pub port: u16,
    pub https: bool,
    pub lines: Arc<Mutex<Vec<String>>>,
    /// The certificate the client trusts (HTTPS only).
    pub cert: Option<PathBuf>,
    /// The default client's session (cookie, CSRF token), fetched on the
    /// first mutating request as the UI does.
    session: Arc<Mutex<Session>>,
}

/// A browser-like session: the cookie the server set and its CSRF token.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub cookie: Option<String>,
    pub token: Option<String>,
    pub user_agent: String,
}

/// Another client of the same server, with its own session and user agent.
pub struct Client<'a> {
    running: &'a Running,
    session: Arc<Mutex<Session>>,
}

/// Starts the binary with `args` plus `--port 0` and the loopback config in
/// `dir`, and waits for its "listening on" line.
pub fn start(dir: &Path, args: &[&str]) -> Running {
    let rns = loopback_rns_dir(dir);
    start_with_rns(&rns, args)
}

/// Starts the binary with `args` plus `--port 0` and the Reticulum config
/// directory `rns` (which the caller made loopback-only).
/// The binary on plain HTTP, its storage at `storage` and its Reticulum
/// config from `rns`, once it is ready.
pub fn start_ready(rns: &Path, storage: &Path) -> Running {
    let running = start_with_rns(
        rns,
        &["--no-https", "--storage-dir", storage.to_str().unwrap()],
    );
    running.wait_ready();
    running
}

/// A conversation's messages as the API lists them (the newest 50).
pub fn conversation(app: &Running, peer: &str) -> Vec<serde_json::Value> {
    let res = app.get(&format!(
        "/api/v1/lxmf-messages/conversation/{peer}?limit=50"
    ));
    assert_eq!(res.status, 200);
    res.json()["lxmf_messages"].as_array().unwrap().clone()
}

/// A Python LXMF peer on `config` (written here), online, its router
/// started with `start` (`lxmf_start`'s arguments): the peer and its
/// delivery address.
pub fn lxmf_peer(
    config: interop::RnsConfig,
    start: serde_json::Value,
) -> (interop::PyPeer, String) {
    let peer = interop::PyPeer::spawn_config(&config.write());
    peer.wait_online(1);
    let address = peer.call("lxmf_start", start)["delivery_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    (peer, address)
}

/// Polls until the app lists the peer's announce of `address`, asking the
/// peer to announce again now and then.
pub fn wait_announce_listed(app: &Running, peer: &interop::PyPeer, address: &str) {
    poll("the peer's announce listed", || {
        peer.call("lxmf_announce", serde_json::json!({}));
        interop::wait_until(Duration::from_secs(2), || {
            let list = app.get("/api/v1/announces?aspect=lxmf.delivery").json();
            list["announces"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["destination_hash"] == address))
        })
        .then_some(())
    });
}

/// The active identity's LXMF address, from the config.
pub fn lxmf_address(app: &Running) -> String {
    app.get("/api/v1/config").json()["config"]["lxmf_address_hash"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn start_with_rns(rns: &Path, args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshchatx"))
        .arg("--port")
        .arg("0")
        .arg("--reticulum-config-dir")
        .arg(rns)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.to_string());
            }
            sink.lock().unwrap().push(line);
        }
    });
    let url = rx.recv_timeout(DEADLINE).expect("no 'listening on' line");
    let https = url.starts_with("https://");
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    Running {
        child,
        port,
        https,
        lines,
        cert: None,
        session: Arc::new(Mutex::new(Session {
            user_agent: "meshchatx-tests/1".into(),
            ..Session::default()
        })),
    }
}

impl Running {
    pub fn line(&self, prefix: &str) -> Option<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.starts_with(prefix))
            .cloned()
    }

    /// One request; returns (status, lower-cased headers, body).
    pub fn request(&self, raw: &str) -> Response {
        self.request_bytes(raw.as_bytes())
    }

    /// One request given as bytes (a binary body).
    pub fn request_bytes(&self, raw: &[u8]) -> Response {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        tcp.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut bytes = Vec::new();
        if self.https {
            let config = client_config(self.cert.as_deref().expect("set the cert to trust"));
            let name = "localhost".try_into().unwrap();
            let conn = rustls::ClientConnection::new(config, name).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            tls.write_all(raw).unwrap();
            read_all(&mut tls, &mut bytes);
        } else {
            let mut tcp = tcp;
            tcp.write_all(raw).unwrap();
            read_all(&mut tcp, &mut bytes);
        }
        Response::parse(&bytes)
    }

    /// The default session's `Cookie` and `X-CSRF-Token` header lines (the
    /// token fetched first if need be), for a request built by hand.
    pub fn csrf_headers(&self) -> String {
        let client = self.default_client();
        if client.session().token.is_none() {
            client.fetch_csrf();
        }
        let s = client.session();
        let mut lines = String::new();
        if let Some(c) = &s.cookie {
            lines.push_str(&format!("Cookie: {c}\r\n"));
        }
        if let Some(t) = &s.token {
            lines.push_str(&format!("X-CSRF-Token: {t}\r\n"));
        }
        lines
    }

    fn default_client(&self) -> Client<'_> {
        Client {
            running: self,
            session: self.session.clone(),
        }
    }

    /// A new client with its own (empty) session and this user agent.
    pub fn client(&self, user_agent: &str) -> Client<'_> {
        Client {
            running: self,
            session: Arc::new(Mutex::new(Session {
                user_agent: user_agent.into(),
                ..Session::default()
            })),
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.default_client().get(path)
    }

    /// A request with a JSON body (`method` POST, PATCH, ...), with the
    /// session's CSRF token.
    pub fn send_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Response {
        self.default_client().send_json(method, path, body)
    }

    /// A request with this body text, declared as JSON.
    pub fn send_raw(&self, method: &str, path: &str, body: &str) -> Response {
        self.default_client().send_raw(method, path, body)
    }

    pub fn delete(&self, path: &str) -> Response {
        self.default_client().delete(path)
    }

    /// Polls `/api/v1/status` until the stage is `ready`.
    pub fn wait_ready(&self) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let status = self.get("/api/v1/status").json();
            match status["stage"].as_str() {
                Some("ready") => return status,
                Some("failed") => panic!("start-up failed: {status}"),
                _ => {}
            }
            assert!(start.elapsed() < DEADLINE, "not ready in time: {status}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id (to signal it from another thread).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (after a signal sent elsewhere).
    pub fn wait_exit(mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < DEADLINE, "did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Client<'_> {
    pub fn session(&self) -> Session {
        self.session.lock().unwrap().clone()
    }

    /// Forgets the cookie and token (a new browser).
    pub fn set_session(&self, session: Session) {
        *self.session.lock().unwrap() = session;
    }

    /// One request with the session's cookie (and CSRF token when asked);
    /// a `Set-Cookie` in the answer replaces the cookie.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>, csrf: bool) -> Response {
        if csrf && self.session().token.is_none() {
            self.fetch_csrf();
        }
        let s = self.session();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nUser-Agent: {}\r\n",
            self.running.port, s.user_agent
        );
        if let Some(c) = &s.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        if csrf && let Some(t) = &s.token {
            head.push_str(&format!("X-CSRF-Token: {t}\r\n"));
        }
        if let Some(b) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body.unwrap_or(""));
        let res = self.running.request(&head);
        if let Some(set) = res.header("set-cookie") {
            let pair = set.split(';').next().unwrap().to_string();
            let mut s = self.session.lock().unwrap();
            if pair.ends_with('=') {
                s.cookie = None;
                s.token = None;
            } else if s.cookie.as_deref() != Some(pair.as_str()) {
                // A new session (a login): its token is fetched when needed.
                s.cookie = Some(pair);
                s.token = None;
            }
        }
        res
    }

    /// `GET /api/v1/auth/csrf`, keeping the cookie and token.
    pub fn fetch_csrf(&self) -> String {
        let res = self.request("GET", "/api/v1/auth/csrf", None, false);
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let token = res.json()["csrf_token"].as_str().unwrap().to_string();
        self.session.lock().unwrap().token = Some(token.clone());
        token
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, false)
    }

    pub fn send_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Response {
        self.send_raw(method, path, &body.to_string())
    }

    pub fn send_raw(&self, method: &str, path: &str, body: &str) -> Response {
        self.request(method, path, Some(body), true)
    }

    pub fn delete(&self, path: &str) -> Response {
        self.request("DELETE", path, None, true)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads until EOF; a TLS peer that closes without close_notify still ends it.
fn read_all(r: &mut impl Read, out: &mut Vec<u8>) {
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("reading the response: {e}"),
        }
    }
}

/// A client that trusts exactly the certificate at `cert`.
pub fn client_config(cert: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(bytes: &[u8]) -> Response {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("no end of headers");
        let head = String::from_utf8_lossy(&bytes[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Response {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}
