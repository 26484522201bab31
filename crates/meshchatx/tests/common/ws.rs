//! A `/ws` client on its own thread that keeps every message it is pushed
//! (plain HTTP only), pinging when the socket has been quiet for 20 s.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub struct Ws {
    got: Arc<Mutex<Vec<Value>>>,
}

impl Ws {
    pub fn connect(port: u16) -> Ws {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            tcp,
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\n\
             Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 101"));
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        std::thread::spawn(move || read_frames(tcp, &sink));
        Ws { got }
    }

    pub fn find(&self, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.got.lock().unwrap().iter().find(|v| pred(v)).cloned()
    }

    pub fn all(&self) -> Vec<Value> {
        self.got.lock().unwrap().clone()
    }
}

fn read_frames(mut tcp: TcpStream, sink: &Mutex<Vec<Value>>) {
    loop {
        let mut h = [0u8; 2];
        match tcp.read_exact(&mut h) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                let ping = br#"{"type":"ping"}"#;
                let mut frame = vec![0x81, 0x80 | ping.len() as u8, 0, 0, 0, 0];
                frame.extend_from_slice(ping);
                if tcp.write_all(&frame).is_err() {
                    return;
                }
                continue;
            }
            Err(_) => return,
        }
        let len = match h[1] & 0x7f {
            126 => {
                let mut l = [0u8; 2];
                tcp.read_exact(&mut l).unwrap();
                usize::from(u16::from_be_bytes(l))
            }
            127 => {
                let mut l = [0u8; 8];
                tcp.read_exact(&mut l).unwrap();
                usize::try_from(u64::from_be_bytes(l)).unwrap()
            }
            n => usize::from(n),
        };
        let mut payload = vec![0u8; len];
        tcp.read_exact(&mut payload).unwrap();
        if h[0] & 0x0f == 0x8 {
            return;
        }
        if let Ok(v) = serde_json::from_slice(&payload) {
            sink.lock().unwrap().push(v);
        }
    }
}
