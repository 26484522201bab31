//! Requests and responses over a link (contexts REQUEST and RESPONSE), both
//! directions; and LINKIDENTIFY, which requests depend on for access control.
//!
//! A request is msgpack `[requested_at, path_hash, data]`; its id is the truncated
//! hash of the REQUEST packet. Requests and responses too large for one packet
//! travel as resources flagged is-request / is-response (the request's id is
//! then H16 of the packed request). A request's timer does not run while its
//! own resource is uploading (it starts when the resource is proved), nor while
//! its response resource is arriving.

use std::collections::BTreeMap;

use rns_crypto::{CryptoRngCore, PrivateIdentity};
use rns_msgpack::Value;
use rns_wire::link::LinkIdentify;
use rns_wire::packet::{Context, Packet};
use rns_wire::request::{Request, RequestId, Response, path_hash, resource_request_id};

use super::event::Discard;
use super::{Link, LinkAction, LinkError, LinkEvent, LinkState, RequestFailure};
use crate::resource::Payload;

/// Requests one link may have waiting for responses.
pub const MAX_PENDING_REQUESTS: usize = 64;
/// The default request timeout is rtt × this factor ...
const TRAFFIC_TIMEOUT_FACTOR: f64 = 6.0;
/// ... plus this grace (the reference's RESPONSE_MAX_GRACE_TIME × 1.125).
const RESPONSE_GRACE: f64 = 10.0 * 1.125;

/// Our requests that still await a response, with their deadlines.
#[derive(Debug, Default)]
pub(super) struct PendingRequests {
    /// Infinite while a resource of the request or its response is moving.
    deadlines: BTreeMap<RequestId, f64>,
    /// The timeouts of requests whose resource is still uploading.
    uploading: BTreeMap<RequestId, f64>,
}

impl PendingRequests {
    pub(super) fn next_deadline(&self) -> Option<f64> {
        self.deadlines.values().copied().reduce(f64::min)
    }
}

impl Link {
    /// Sends a request for `path` and returns its id. It fails with
    /// `RequestFailed { Timeout }` unless a response arrives within `timeout`
    /// seconds (default rtt × 6 + 11.25 s).
    pub fn request(
        &mut self,
        now: f64,
        path: &str,
        data: Value,
        timeout: Option<f64>,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<RequestId, LinkError> {
        self.require_usable()?;
        if self.requests.deadlines.len() >= MAX_PENDING_REQUESTS {
            return Err(LinkError::TooManyRequests(MAX_PENDING_REQUESTS));
        }
        let request = Request {
            requested_at: now,
            path_hash: path_hash(path),
            data,
        };
        let packed = request.encode();
        let default = self.timers.rtt.unwrap_or(0.0) * TRAFFIC_TIMEOUT_FACTOR + RESPONSE_GRACE;
        let timeout = timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .unwrap_or(default);
        if packed.len() > self.mdu() {
            let request_id = resource_request_id(&packed);
            let payload = Payload::Request(request_id);
            self.start_outgoing(now, packed, false, true, payload, out, rng)?;
            self.requests.deadlines.insert(request_id, f64::INFINITY);
            self.requests.uploading.insert(request_id, timeout);
            return Ok(request_id);
        }
        let packet = self.seal(Context::REQUEST, &packed, rng)?;
        let request_id = RequestId(packet.truncated_hash().0);
        self.requests.deadlines.insert(request_id, now + timeout);
        self.transmit(now, packet, out);
        Ok(request_id)
    }

    /// Answers a request received on this link; a response too large for one
    /// packet goes as a resource.
    pub fn respond(
        &mut self,
        now: f64,
        request_id: RequestId,
        response: Value,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        self.require_usable()?;
        let packed = Response {
            request_id,
            response,
        }
        .encode();
        if packed.len() > self.mdu() {
            let payload = Payload::Response(request_id);
            self.start_outgoing(now, packed, false, true, payload, out, rng)?;
            return Ok(());
        }
        let packet = self.seal(Context::RESPONSE, &packed, rng)?;
        self.transmit(now, packet, out);
        Ok(())
    }

    /// Initiator only, once Active: proves to the responder that `identity` is on
    /// this end of the link (LINKIDENTIFY).
    pub fn identify(
        &mut self,
        now: f64,
        identity: &PrivateIdentity,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        if !self.initiator {
            return Err(LinkError::NotInitiator);
        }
        if self.state != LinkState::Active {
            return Err(LinkError::NotActive(self.state));
        }
        let payload = LinkIdentify::sign(identity, &self.id).encode();
        let packet = self.seal(Context::LINKIDENTIFY, &payload, rng)?;
        self.transmit(now, packet, out);
        Ok(())
    }

    /// Requests this link is still waiting on.
    pub fn pending_requests(&self) -> usize {
        self.requests.deadlines.len()
    }

    pub(super) fn on_request(
        &mut self,
        packet: &Packet,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        self.deliver_request(RequestId(packet.truncated_hash().0), plaintext, out)
    }

    /// A request, from a packet or a resource, for the application.
    pub(super) fn deliver_request(
        &mut self,
        request_id: RequestId,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let request = Request::decode(plaintext)?;
        out.push(LinkAction::Event(LinkEvent::RequestReceived {
            link_id: self.id,
            request_id,
            path_hash: request.path_hash,
            data: request.data,
            requested_at: request.requested_at,
            remote_identity: self.remote_identity.clone(),
        }));
        Ok(())
    }

    pub(super) fn on_response(
        &mut self,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        let response = Response::decode(plaintext)?;
        let request_id = response.request_id;
        self.requests
            .deadlines
            .remove(&request_id)
            .ok_or(Discard::Unmatched)?;
        out.push(LinkAction::Event(LinkEvent::ResponseReceived {
            link_id: self.id,
            request_id,
            response: response.response,
        }));
        Ok(())
    }

    /// Responder: the initiator reveals and proves its identity.
    pub(super) fn on_identify(
        &mut self,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
    ) -> Result<(), Discard> {
        if self.initiator {
            return Err(Discard::State);
        }
        let identity = LinkIdentify::decode(plaintext)?
            .verify(&self.id)
            .map_err(|_| Discard::Unauthentic)?;
        self.remote_identity = Some(identity.clone());
        out.push(LinkAction::Event(LinkEvent::Identified {
            link_id: self.id,
            identity,
        }));
        Ok(())
    }

    /// Our request's resource was proved: its response timer starts now.
    pub(super) fn request_uploaded(&mut self, now: f64, request_id: RequestId) {
        if let Some(timeout) = self.requests.uploading.remove(&request_id)
            && let Some(deadline) = self.requests.deadlines.get_mut(&request_id)
        {
            *deadline = now + timeout;
        }
    }

    /// A response resource for `request_id` is coming: true if we wait for
    /// it, whose timer then stops until the transfer ends.
    pub(super) fn response_incoming(&mut self, request_id: RequestId) -> bool {
        match self.requests.deadlines.get_mut(&request_id) {
            Some(deadline) => {
                *deadline = f64::INFINITY;
                true
            }
            None => false,
        }
    }

    /// The resource of a request, or of its response, failed or was refused.
    pub(super) fn request_transfer_failed(
        &mut self,
        request_id: RequestId,
        reason: RequestFailure,
        out: &mut Vec<LinkAction>,
    ) {
        self.requests.uploading.remove(&request_id);
        if self.requests.deadlines.remove(&request_id).is_some() {
            self.request_failed(request_id, reason, out);
        }
    }

    pub(super) fn expire_requests(&mut self, now: f64, out: &mut Vec<LinkAction>) {
        let expired: Vec<RequestId> = self
            .requests
            .deadlines
            .iter()
            .filter(|(_, deadline)| now >= **deadline)
            .map(|(id, _)| *id)
            .collect();
        for request_id in expired {
            self.requests.deadlines.remove(&request_id);
            self.requests.uploading.remove(&request_id);
            self.request_failed(request_id, RequestFailure::Timeout, out);
        }
    }

    /// On close: no response can arrive any more.
    pub(super) fn fail_requests(&mut self, out: &mut Vec<LinkAction>) {
        self.requests.uploading.clear();
        let all = std::mem::take(&mut self.requests.deadlines);
        for request_id in all.into_keys() {
            self.request_failed(request_id, RequestFailure::LinkClosed, out);
        }
    }

    fn request_failed(
        &self,
        request_id: RequestId,
        reason: RequestFailure,
        out: &mut Vec<LinkAction>,
    ) {
        out.push(LinkAction::Event(LinkEvent::RequestFailed {
            link_id: self.id,
            request_id,
            reason,
        }));
    }
}
