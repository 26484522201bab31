//! The shared instance's control plane (RPC), for the reference's local
//! programs: they query their instance over it, and some of their link code
//! fails without it (a LINKIDENTIFY is checked with `is_blackholed`; see
//! docs/interop.md, "Interop findings").
//!
//! What the reference's clients do, as observed on the wire (§15): one
//! connection per query, to the abstract socket `\0rns/<name>/rpc` or to
//! 127.0.0.1:`instance_control_port`; messages framed by a 4-byte big-endian
//! length (Python's `multiprocessing.connection`); a challenge/response in
//! both directions keyed by the RPC key; then one msgpack map such as
//! `{"get": "is_blackholed", "identity_hash": bin}` and one msgpack answer.
//!
//! The challenge: `#CHALLENGE#` + a message; the answer is HMAC(key, message),
//! MD5 and bare when the message is the 20-byte legacy form (Python up to
//! 3.11, what we send), or `{digest}` + HMAC-digest(key, message) when the
//! message starts with `{digest}` (newer Pythons challenge us so); then
//! `#WELCOME#` or `#FAILURE#`.
//!
//! Answered: `is_blackholed` (false: we keep no blackhole list),
//! `first_hop_timeout` (asked for every packet a client sends with a
//! receipt), `destination_data: used` (true), `path_table`, `link_count`;
//! everything else is answered with nil, which the reference's clients take
//! as "unknown" (`packet_rssi`, `packet_snr`, `packet_q` for instance, asked
//! for each link request a client accepts).

use std::io;
use std::time::Duration;

use hmac::{Hmac, Mac};
use rns_crypto::{OsRng, RngCore};
use rns_msgpack::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::cancel::Cancel;
use crate::driver::ReticulumHandle;
use crate::interface::tcp_server::Listener;

const CHALLENGE: &[u8] = b"#CHALLENGE#";
const WELCOME: &[u8] = b"#WELCOME#";
const FAILURE: &[u8] = b"#FAILURE#";
/// The legacy challenge message length (and what we send).
const LEGACY_MESSAGE: usize = 20;
/// Requests are a few dozen bytes; anything this large is not one.
const MAX_MESSAGE: usize = 64 * 1024;
/// A whole conversation (both challenges and one query) must fit in this.
const CONVERSATION_TIMEOUT: Duration = Duration::from_secs(10);
/// Conversations at once; more wait in the listener's backlog.
const MAX_CONVERSATIONS: usize = 16;

/// Serves RPC connections on `listener` until `cancel` fires.
pub(crate) async fn run(listener: Listener, key: Vec<u8>, handle: ReticulumHandle, cancel: Cancel) {
    let mut cancel = cancel;
    let mut conversations = JoinSet::new();
    loop {
        while conversations.len() >= MAX_CONVERSATIONS {
            if conversations.join_next().await.is_none() {
                break;
            }
        }
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            a = listener.accept() => a,
        };
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let (key, handle) = (key.clone(), handle.clone());
        conversations.spawn(async move {
            let talk = converse(&mut stream, &key, &handle);
            let _ = tokio::time::timeout(CONVERSATION_TIMEOUT, talk).await;
        });
        while conversations.try_join_next().is_some() {}
    }
    conversations.shutdown().await;
}

/// Both challenges, then one query and its answer.
async fn converse<S>(stream: &mut S, key: &[u8], handle: &ReticulumHandle) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    // Our challenge.
    let mut message = [0u8; LEGACY_MESSAGE];
    OsRng.fill_bytes(&mut message);
    write_message(stream, &[CHALLENGE, &message].concat()).await?;
    let response = read_message(stream).await?;
    if !verify(key, &message, &response) {
        write_message(stream, FAILURE).await?;
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "bad key"));
    }
    write_message(stream, WELCOME).await?;

    // Theirs.
    let challenge = read_message(stream).await?;
    let theirs = challenge
        .strip_prefix(CHALLENGE)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no challenge"))?;
    let answer = answer(key, theirs)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unknown digest"))?;
    write_message(stream, &answer).await?;
    if read_message(stream).await? != WELCOME {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "refused"));
    }

    let request = rns_msgpack::decode(&read_message(stream).await?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    let reply = query(handle, &request).await;
    write_message(stream, &rns_msgpack::encode(&reply)).await
}

/// The reference's allowance per hop for a proof or a link proof to come back.
const PER_HOP_TIMEOUT: f64 = 6.0;

/// The answer to one query.
async fn query(handle: &ReticulumHandle, request: &Value) -> Value {
    if request.map_get_str("destination_data").is_some() {
        // `{"destination_data": "used", "destination_hash": h}`: a client
        // used a path; the reference answers true.
        return Value::Bool(true);
    }
    let Some(get) = request.map_get_str("get").and_then(Value::as_str) else {
        return Value::Nil;
    };
    match get {
        "is_blackholed" => Value::Bool(false),
        "first_hop_timeout" => first_hop_timeout(handle, request).await,
        "link_count" => match handle.stats().await {
            Ok(stats) => Value::UInt(stats.links as u64),
            Err(_) => Value::Nil,
        },
        "path_table" => path_table(handle, request).await,
        _ => Value::Nil,
    }
}

/// `{"get": "first_hop_timeout", "destination_hash": h}`: 6 s plus the
/// airtime of an MTU-sized packet on the path's first interface (the
/// reference answers 6.000004 for a local client, 6.0004 over 10 Mbit/s TCP).
/// Clients add it to their receipt timeouts, so it must be a number.
async fn first_hop_timeout(handle: &ReticulumHandle, request: &Value) -> Value {
    let destination = request
        .map_get_str("destination_hash")
        .and_then(Value::as_bin)
        .and_then(rns_crypto::DestinationHash::from_slice);
    let mut airtime = 0.0;
    if let (Some(d), Ok(paths), Ok(interfaces)) = (
        destination,
        handle.path_table().await,
        handle.interfaces().await,
    ) && let Some(bitrate) = paths
        .iter()
        .find(|p| p.destination == d)
        .and_then(|p| interfaces.iter().find(|i| i.id == p.interface))
        .map(|i| i.bitrate)
        .filter(|b| *b > 0)
    {
        airtime = rns_wire::constants::MTU as f64 * 8.0 / bitrate as f64;
    }
    Value::F64(PER_HOP_TIMEOUT + airtime)
}

/// `{"get": "path_table", "max_hops": int | nil}`: one map per path.
async fn path_table(handle: &ReticulumHandle, request: &Value) -> Value {
    let max_hops = request.map_get_str("max_hops").and_then(Value::as_u64);
    let (Ok(paths), Ok(interfaces)) = (handle.path_table().await, handle.interfaces().await) else {
        return Value::Nil;
    };
    let name = |id| {
        interfaces
            .iter()
            .find(|i| i.id == id)
            .map_or_else(String::new, |i| i.name.clone())
    };
    let s = |k: &str| Value::Str(k.to_string());
    let rows = paths
        .iter()
        .filter(|p| max_hops.is_none_or(|m| u64::from(p.hops) <= m))
        .map(|p| {
            Value::Map(vec![
                (s("hash"), Value::bin(p.destination.0.to_vec())),
                (s("timestamp"), Value::F64(p.timestamp)),
                (s("via"), Value::bin(p.next_hop.0.to_vec())),
                (s("hops"), Value::UInt(u64::from(p.hops))),
                (s("expires"), Value::F64(p.expires)),
                (s("interface"), Value::Str(name(p.interface))),
            ])
        })
        .collect();
    Value::Array(rows)
}

fn hmac_md5(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<md5::Md5>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

/// Our answer to a client's challenge message (what follows `#CHALLENGE#`).
fn answer(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    if message.len() == LEGACY_MESSAGE {
        return hmac_md5(key, message);
    }
    for (tag, mac) in [
        (
            &b"{sha256}"[..],
            hmac_sha256 as fn(&[u8], &[u8]) -> Option<Vec<u8>>,
        ),
        (&b"{md5}"[..], hmac_md5),
    ] {
        if message.starts_with(tag) {
            return Some([tag, &mac(key, message)?].concat());
        }
    }
    None
}

/// Whether `response` answers our legacy challenge `message`.
fn verify(key: &[u8], message: &[u8], response: &[u8]) -> bool {
    let check = |bare: &[u8], mac: Option<Hmac<md5::Md5>>| {
        mac.is_some_and(|mut m| {
            m.update(message);
            m.verify_slice(bare).is_ok()
        })
    };
    if let Some(rest) = response.strip_prefix(b"{sha256}") {
        return Hmac::<sha2::Sha256>::new_from_slice(key).is_ok_and(|mut m| {
            m.update(message);
            m.verify_slice(rest).is_ok()
        });
    }
    let bare = response.strip_prefix(b"{md5}").unwrap_or(response);
    check(bare, Hmac::<md5::Md5>::new_from_slice(key).ok())
}

/// One message: a 4-byte big-endian length (-1: an 8-byte length follows),
/// then the bytes.
async fn read_message<S>(stream: &mut S) -> io::Result<Vec<u8>>
where
    S: AsyncRead + Unpin + ?Sized,
{
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let len = i32::from_be_bytes(len);
    let len = if len == -1 {
        let mut long = [0u8; 8];
        stream.read_exact(&mut long).await?;
        usize::try_from(u64::from_be_bytes(long)).unwrap_or(usize::MAX)
    } else {
        usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?
    };
    if len > MAX_MESSAGE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "too large"));
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_message<S>(stream: &mut S, bytes: &[u8]) -> io::Result<()>
where
    S: AsyncWrite + Unpin + ?Sized,
{
    let len =
        i32::try_from(bytes.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    stream.write_all(&len.to_be_bytes()).await?;
    stream.write_all(bytes).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_tagged_challenges() {
        let key = b"key";
        let legacy = [7u8; LEGACY_MESSAGE];
        let md5 = hmac_md5(key, &legacy).unwrap_or_default();
        assert_eq!(md5.len(), 16);
        assert_eq!(answer(key, &legacy), Some(md5.clone()));
        assert!(verify(key, &legacy, &md5));
        assert!(!verify(b"other", &legacy, &md5));
        let tagged = [&b"{sha256}"[..], &[9u8; 40]].concat();
        let got = answer(key, &tagged).unwrap_or_default();
        assert!(got.starts_with(b"{sha256}"));
        assert_eq!(got.len(), 8 + 32);
        assert_eq!(
            &got[8..],
            &hmac_sha256(key, &tagged).unwrap_or_default()[..]
        );
        assert_eq!(answer(key, b"{whirlpool}xxxxxxxxxxxxxxxxxxxx"), None);
        let sha = [
            &b"{sha256}"[..],
            &hmac_sha256(key, &legacy).unwrap_or_default(),
        ]
        .concat();
        assert!(verify(key, &legacy, &sha));
    }

    #[test]
    fn md5_hmac_matches_rfc_2202() {
        // RFC 2202 test case 2.
        let mac = hmac_md5(b"Jefe", b"what do ya want for nothing?").unwrap_or_default();
        assert_eq!(
            mac,
            [
                0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31, 0x0a, 0x5d,
                0xb7, 0x38
            ]
        );
    }
}
