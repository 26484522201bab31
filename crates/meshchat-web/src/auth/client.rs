//! Who is asking: the TCP peer's address (no `X-Forwarded-For`: there are
//! no trusted proxies, and a header anyone can set must not pick the IP the
//! lockout counts) and the user agent.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use axum::serve::IncomingStream;
use tokio::net::TcpListener;

use crate::tls::TlsListener;

/// The peer address, as `axum::serve` hands it to each connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<IncomingStream<'_, TcpListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// A client as the attempt log and trusted-client list record it.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub ip: String,
    pub user_agent: String,
    pub user_agent_hash: String,
}

/// User agents are stored; a longer one is cut.
const MAX_USER_AGENT: usize = 512;

impl Client {
    pub(crate) fn of<B>(req: &Request<B>) -> Client {
        let ip = req
            .extensions()
            .get::<ConnectInfo<ClientAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.0.ip().to_string());
        Client::from_parts(ip, req.headers())
    }

    pub(crate) fn from_parts(ip: String, headers: &HeaderMap) -> Client {
        let mut user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if user_agent.len() > MAX_USER_AGENT {
            let mut cut = MAX_USER_AGENT;
            while !user_agent.is_char_boundary(cut) {
                cut -= 1;
            }
            user_agent.truncate(cut);
        }
        let user_agent_hash = meshchat_core::auth::user_agent_hash(&user_agent);
        Client {
            ip,
            user_agent,
            user_agent_hash,
        }
    }
}
