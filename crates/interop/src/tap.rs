//! `FrameTap`: a test-only TCP relay on 127.0.0.1 that records the HDLC frames
//! (§15: 0x7E-delimited, 0x7D escapes, no CRC) passing each way, so a test can
//! look at what the reference actually puts on the wire.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which way a frame went through the tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the side that connected to the tap towards the target.
    ToTarget,
    /// From the target back to the side that connected.
    FromTarget,
}

/// One deframed (unescaped) frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub direction: Direction,
    /// Seconds since the tap started.
    pub at: f64,
    /// The connection it travelled on (0, 1, ... in accept order).
    pub connection: usize,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
struct Shared {
    frames: Mutex<Vec<Frame>>,
    start: Instant,
    stop: AtomicBool,
}

/// A relay from `127.0.0.1:port()` to `127.0.0.1:target`. Stops accepting on
/// drop (connections in flight end when either side closes).
#[derive(Debug)]
pub struct FrameTap {
    port: u16,
    shared: Arc<Shared>,
}

impl FrameTap {
    /// Listens on a free port and relays every connection to `target`.
    pub fn new(target: u16) -> FrameTap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind tap");
        let port = listener.local_addr().expect("tap addr").port();
        let shared = Arc::new(Shared {
            frames: Mutex::new(Vec::new()),
            start: Instant::now(),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("frame-tap".into())
            .spawn(move || {
                for (n, conn) in listener.incoming().enumerate() {
                    if accept_shared.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(client) = conn else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    for (from, to, dir) in [
                        (&client, &server, Direction::ToTarget),
                        (&server, &client, Direction::FromTarget),
                    ] {
                        let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                            continue;
                        };
                        let s = Arc::clone(&accept_shared);
                        let _ = std::thread::Builder::new()
                            .name("frame-tap-pump".into())
                            .spawn(move || pump(from, to, dir, n, &s));
                    }
                }
            })
            .expect("spawn tap thread");
        FrameTap { port, shared }
    }

    /// The port to connect to instead of the target.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every frame seen so far, in arrival order.
    pub fn frames(&self) -> Vec<Frame> {
        self.shared
            .frames
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The frames as text lines: `t dir conn len hex`.
    pub fn dump(&self) -> String {
        self.frames()
            .iter()
            .map(|f| {
                let dir = match f.direction {
                    Direction::ToTarget => "->",
                    Direction::FromTarget => "<-",
                };
                format!(
                    "{:8.4} {dir} c{} {:4}B {}",
                    f.at,
                    f.connection,
                    f.bytes.len(),
                    crate::to_hex(&f.bytes)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FrameTap {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, dir: Direction, conn: usize, shared: &Shared) {
    let mut buf = [0u8; 16384];
    let mut frame: Option<Vec<u8>> = None;
    let mut escape = false;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        for &b in &buf[..n] {
            match b {
                0x7E => {
                    if let Some(f) = frame.take()
                        && !f.is_empty()
                    {
                        let at = shared.start.elapsed().as_secs_f64();
                        shared
                            .frames
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Frame {
                                direction: dir,
                                at,
                                connection: conn,
                                bytes: f,
                            });
                    }
                    frame = Some(Vec::new());
                    escape = false;
                }
                0x7D => escape = true,
                _ => {
                    if let Some(f) = frame.as_mut() {
                        f.push(if escape { b ^ 0x20 } else { b });
                    }
                    escape = false;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_unescaped_frames_both_ways() {
        let target = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = target.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = target.accept().expect("accept");
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).expect("read");
            // Echo it back as one frame.
            s.write_all(&buf[..n]).expect("write");
        });
        let tap = FrameTap::new(port);
        let mut c = TcpStream::connect(("127.0.0.1", tap.port())).expect("connect");
        // Payload 01 7e 7d 02, escaped: 01 7d5e 7d5d 02.
        c.write_all(&[0x7e, 0x01, 0x7d, 0x5e, 0x7d, 0x5d, 0x02, 0x7e])
            .expect("send");
        let mut back = [0u8; 8];
        c.read_exact(&mut back).expect("echo");
        server.join().expect("server");
        let ok = crate::wait_until(std::time::Duration::from_secs(5), || {
            tap.frames().len() == 2
        });
        assert!(ok, "{}", tap.dump());
        let frames = tap.frames();
        // The two directions are recorded by two threads: in either order.
        for dir in [Direction::ToTarget, Direction::FromTarget] {
            let f = frames.iter().find(|f| f.direction == dir).expect("frame");
            assert_eq!(f.bytes, vec![0x01, 0x7e, 0x7d, 0x02]);
            assert_eq!(f.connection, 0);
        }
        assert!(tap.dump().contains("017e7d02"));
    }
}
