//! Requests and responses over a link (contexts REQUEST and RESPONSE), both
//! directions, single-packet only for now; and LINKIDENTIFY, which requests
//! depend on for access control.
//!
//! A request is msgpack `[requested_at, path_hash, data]`; its id is the truncated
//! hash of the REQUEST packet. Requests and responses too large for one packet
//! travel as resources, which links cannot carry yet: sending one fails with
//! `TooLarge`, and a response advertised as a resource fails its request with
//! `RequestFailure::TooLarge` instead of letting it time out.

use std::collections::BTreeMap;

use rns_crypto::{CryptoRngCore, PrivateIdentity};
use rns_msgpack::Value;
use rns_wire::link::LinkIdentify;
use rns_wire::packet::{Context, Packet};
use rns_wire::request::{Request, RequestId, Response, path_hash};
use rns_wire::resource::Advertisement;

use super::event::Discard;
use super::{Link, LinkAction, LinkError, LinkEvent, LinkState, RequestFailure};

/// Requests one link may have waiting for responses.
pub const MAX_PENDING_REQUESTS: usize = 64;
/// The default request timeout is rtt × this factor ...
const TRAFFIC_TIMEOUT_FACTOR: f64 = 6.0;
/// ... plus this grace (the reference's RESPONSE_MAX_GRACE_TIME × 1.125).
const RESPONSE_GRACE: f64 = 10.0 * 1.125;

/// Our requests that still await a response, with their deadlines.
#[derive(Debug, Default)]
pub(super) struct PendingRequests {
    deadlines: BTreeMap<RequestId, f64>,
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
        self.require_fits(packed.len())?;
        let packet = self.seal(Context::REQUEST, &packed, rng)?;
        let request_id = RequestId(packet.truncated_hash().0);
        let default = self.timers.rtt.unwrap_or(0.0) * TRAFFIC_TIMEOUT_FACTOR + RESPONSE_GRACE;
        let timeout = timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .unwrap_or(default);
        self.requests.deadlines.insert(request_id, now + timeout);
        self.transmit(now, packet, out);
        Ok(request_id)
    }

    /// Answers a request received on this link.
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
        self.require_fits(packed.len())?;
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
        let request = Request::decode(plaintext)?;
        out.push(LinkAction::Event(LinkEvent::RequestReceived {
            link_id: self.id,
            request_id: RequestId(packet.truncated_hash().0),
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

    /// A resource advertisement. Links cannot receive resources yet, so it is
    /// rejected at once (RESOURCE_RCL) rather than left for the sender to time
    /// out; a response to one of our requests fails that request as too large.
    pub(super) fn on_resource_advertisement(
        &mut self,
        now: f64,
        plaintext: &[u8],
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let advertisement = Advertisement::decode(plaintext)?;
        if let Ok(reject) = self.seal(Context::RESOURCE_RCL, &advertisement.hash.0, rng) {
            self.transmit(now, reject, out);
        }
        let answered = advertisement
            .request_id
            .filter(|_| advertisement.flags.is_response())
            .filter(|id| self.requests.deadlines.remove(id).is_some());
        if let Some(request_id) = answered {
            self.request_failed(request_id, RequestFailure::TooLarge, out);
        }
        Err(Discard::Unsupported)
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
            self.request_failed(request_id, RequestFailure::Timeout, out);
        }
    }

    /// On close: no response can arrive any more.
    pub(super) fn fail_requests(&mut self, out: &mut Vec<LinkAction>) {
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
