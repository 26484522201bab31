//! `/ws`: the JSON WebSocket. Checks the origin, greets with the start-up
//! status (and the config once ready), pushes stage changes and the core's
//! events (messages, announces, blocks, config) on the topics the client
//! subscribed to (`ws/topics.rs`), answers `ping`, `ws.subscribe`,
//! `ws.unsubscribe`, `ws.caps` and `sync.subscribe`.
//! Bounded: at most [`MAX_CLIENTS`] sockets, messages up to
//! [`MAX_MESSAGE_BYTES`], a per-socket token bucket, an idle timeout.

mod topics;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::{IntoResponse, Response};
use meshchat_core::CoreEvent;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::AppState;
use crate::api::{config_json, status_json};
use crate::auth::RequestSession;
use crate::error::{ApiError, ErrorKind};
use crate::messaging::push_json;
pub(crate) use topics::Subscriptions;

/// The reference's `max_websocket_clients`.
pub const MAX_CLIENTS: usize = 64;
/// Nothing the client may send yet needs more.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// The reference closes a socket that sent nothing for this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Token bucket per socket: the reference's 30 messages/s, burst 60; a
/// client that keeps going past it is closed after this many strikes.
const RATE_PER_SEC: f64 = 30.0;
const BURST: f64 = 60.0;
const MAX_STRIKES: u32 = 8;

/// Shared by every socket: the client cap, the sequence numbers of pushed
/// messages, and the shutdown signal.
#[derive(Debug)]
pub struct Hub {
    clients: Arc<Semaphore>,
    seq: AtomicU64,
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            clients: Arc::new(Semaphore::new(MAX_CLIENTS)),
            seq: AtomicU64::new(0),
            closing: watch::channel(false).0,
        }
    }

    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    fn stamp(&self, mut msg: Value) -> Value {
        msg["seq"] = json!(self.seq.fetch_add(1, Ordering::Relaxed) + 1);
        msg
    }

    /// The last sequence number given out.
    fn current_seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }
}

/// `GET /ws`.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<axum::Extension<RequestSession>>,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers) {
        return ApiError::new(ErrorKind::Forbidden, "Forbidden origin").into_response();
    }
    let Ok(permit) = state.hub.clients.clone().try_acquire_owned() else {
        return ApiError::new(ErrorKind::Unavailable, "Too many WebSocket clients").into_response();
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let sid = session.map(|s| s.0.sid);
            run(socket, state, sid, permit)
        })
}

/// A browser's `Origin` must name the host it connected to (no `Origin`:
/// a non-browser tool, which no page can make a browser impersonate).
pub(crate) fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(HOST).map(|h| h.to_str()))
    else {
        return false;
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

async fn run(
    mut socket: WebSocket,
    state: AppState,
    sid: Option<String>,
    _permit: OwnedSemaphorePermit,
) {
    let hub = &state.hub;
    let identity = state.node.identity().identity_hash.to_string();
    let mut revoked = state.auth.watch_revocations();
    revoked.mark_unchanged();
    let mut status_rx = state.node.watch_status();
    status_rx.mark_unchanged();
    let mut closing = hub.closing.subscribe();
    if *closing.borrow_and_update() || greet(&mut socket, &state).await.is_err() {
        return;
    }
    let mut bus = state.node.subscribe();
    let mut bus_open = true;
    let mut bucket = Bucket::new();
    let mut subs = Subscriptions::default();
    let mut status_open = true;
    loop {
        tokio::select! {
            msg = tokio::time::timeout(IDLE_TIMEOUT, socket.recv()) => {
                let text = match msg {
                    Err(_) => {
                        let _ = close(&mut socket, 1000, "idle timeout").await;
                        break;
                    }
                    Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break,
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                };
                let reply = if bucket.take() {
                    handle(text.as_str(), &mut subs, hub.current_seq())
                } else if bucket.strikes >= MAX_STRIKES {
                    let _ = close(&mut socket, 1008, "rate limited").await;
                    break;
                } else {
                    error_reply("rate_limited", "Too many messages", None)
                };
                if send(&mut socket, reply).await.is_err() {
                    break;
                }
            }
            changed = status_rx.changed(), if status_open => {
                if changed.is_err() {
                    status_open = false;
                    continue;
                }
                if push_status(&mut socket, &state, &subs).await.is_err() {
                    break;
                }
            }
            event = bus.recv(), if bus_open => {
                let event = match event {
                    Ok(event) => event,
                    // Missed pushes: the client re-reads lists on its own.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => {
                        bus_open = false;
                        continue;
                    }
                };
                if let Some(msg) = event_json(&state, &event).filter(|m| subs.wants(m))
                    && send(&mut socket, hub.stamp(msg)).await.is_err()
                {
                    break;
                }
            }
            // A logout, password change or login toggle: a socket whose
            // session ended stops receiving at once.
            _ = revoked.changed() => {
                if !state.auth.may_stay(sid.as_deref(), &identity) {
                    let _ = close(&mut socket, 1008, "logged out").await;
                    break;
                }
            }
            _ = closing.changed() => {
                let _ = close(&mut socket, 1001, "server shutting down").await;
                break;
            }
        }
    }
}

/// A bus event as the reference pushes it.
fn event_json(state: &AppState, event: &CoreEvent) -> Option<Value> {
    match event {
        CoreEvent::Announced { at } => Some(json!({
            "type": "announced",
            "identity_hash": state.node.identity().identity_hash.to_string(),
            // Whole seconds, as the reference sends it.
            "last_announced_at": at.floor(),
        })),
        CoreEvent::ConfigChanged => Some(json!({ "type": "config", "config": config_json(state) })),
        CoreEvent::IdentitySwitched {
            identity_hash,
            display_name,
        } => Some(json!({
            "type": "identity_switched",
            "identity_hash": identity_hash.to_string(),
            "display_name": display_name,
            // Sessions belong to the identity they logged in to.
            "requires_reauth": state.auth().settings().enabled || state.auth().forced(),
        })),
        event => push_json(event),
    }
}

/// The first messages: the start-up status, then the config once ready.
async fn greet(socket: &mut WebSocket, state: &AppState) -> Result<(), axum::Error> {
    push_status(socket, state, &Subscriptions::default()).await
}

async fn push_status(
    socket: &mut WebSocket,
    state: &AppState,
    subs: &Subscriptions,
) -> Result<(), axum::Error> {
    let mut status = json!({ "type": "startup_status" });
    if let (Some(obj), Value::Object(fields)) = (status.as_object_mut(), status_json(state)) {
        obj.extend(fields);
    }
    if subs.wants(&status) {
        send(socket, state.hub.stamp(status)).await?;
    }
    if state.node.status().is_ready() && subs.wants(&json!({ "type": "config" })) {
        let config = json!({ "type": "config", "config": config_json(state) });
        send(socket, state.hub.stamp(config)).await?;
    }
    Ok(())
}

/// One client message to its reply; `seq` is the last sequence number
/// pushed (for `sync.subscribe`).
pub(crate) fn handle(text: &str, subs: &mut Subscriptions, seq: u64) -> Value {
    let Ok(msg) = serde_json::from_str::<Value>(text) else {
        return error_reply("invalid_json", "Invalid JSON", None);
    };
    let request_id = msg.get("request_id").cloned();
    let mut reply = match msg.get("type").and_then(Value::as_str) {
        Some("ping") => json!({ "type": "pong" }),
        Some(kind @ ("ws.subscribe" | "ws.unsubscribe")) => {
            return subs
                .change(&msg, kind == "ws.subscribe")
                .unwrap_or_else(|| error_reply("invalid_topics", "Invalid message", request_id));
        }
        Some("ws.caps") => json!({
            "type": "ws.caps", "status": "success", "binary_rns_link": false,
            "request_id": request_id.clone().unwrap_or(Value::Null),
        }),
        Some("sync.subscribe") => sync_reply(&msg, seq),
        _ => return error_reply("unhandled_type", "Unhandled message type", request_id),
    };
    if let Some(id) = request_id {
        reply["request_id"] = id;
    }
    reply
}

/// `sync.subscribe {since_seq}`: pushes are not kept for replay here, so a
/// client that missed any is told to re-read (`resync`), as the reference
/// says when its ring no longer holds them.
fn sync_reply(msg: &Value, seq: u64) -> Value {
    let since = msg.get("since_seq").and_then(Value::as_u64).unwrap_or(0);
    let missed = since < seq;
    json!({
        "type": "sync.subscribe",
        "request_id": msg.get("request_id").cloned().unwrap_or(Value::Null),
        "status": if missed { "gap" } else { "ok" },
        "since_seq": since,
        "current_seq": seq,
        "buffered": 0,
        "resync": missed,
    })
}

fn error_reply(code: &str, message: &str, request_id: Option<Value>) -> Value {
    let mut v = json!({ "type": "error", "message": message, "code": code });
    if let Some(id) = request_id {
        v["request_id"] = id;
    }
    v
}

async fn send(socket: &mut WebSocket, msg: Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(msg.to_string().into())).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Result<(), axum::Error> {
    socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await
}

/// A token bucket that counts the times it was found empty.
struct Bucket {
    tokens: f64,
    last: Instant,
    strikes: u32,
}

impl Bucket {
    fn new() -> Self {
        Bucket {
            tokens: BURST,
            last: Instant::now(),
            strikes: 0,
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * RATE_PER_SEC;
        self.tokens = (self.tokens + refill).min(BURST);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.strikes += 1;
            false
        }
    }
}
