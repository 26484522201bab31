//! Propagated delivery: pick a node, seal the message for its recipient,
//! search the node's propagation stamp, and hand the submission to the node
//! over a link (packet or resource). The node proving it is the end: the
//! message is `Sent` (nothing reports the recipient's pickup).

use rns_crypto::DestinationHash;
use rns_msgpack::Value;
use rns_proto::node::LinkId;

use super::{Action, ActionError, Failure, Router, Stage};
use crate::delivery::{Method, State, plan, transient_id};
use crate::message::MessageId;
use crate::propagation::error_code;

impl Router {
    /// Chooses the propagation node for propagated messages and syncs;
    /// `None` goes back to the nearest announced one.
    pub fn set_propagation_node(&mut self, now: f64, node: Option<DestinationHash>) {
        self.propagation_node = node;
        if let Some(node) = node {
            self.make_due_via(now, &node);
        }
    }

    /// The node propagated messages go to now: the chosen one, else the
    /// enabled announced node fewest hops away (the most recently heard on a
    /// tie).
    pub fn propagation_node(&self) -> Option<DestinationHash> {
        self.pick_node()
    }

    pub(crate) fn pick_node(&self) -> Option<DestinationHash> {
        if self.propagation_node.is_some() {
            return self.propagation_node;
        }
        self.nodes
            .iter()
            .filter(|(_, n)| n.app_data.enabled)
            .min_by(|a, b| {
                let ha = a.1.hops.unwrap_or(u8::MAX);
                let hb = b.1.hops.unwrap_or(u8::MAX);
                ha.cmp(&hb)
                    .then_with(|| b.1.last_heard.total_cmp(&a.1.last_heard))
            })
            .map(|(d, _)| *d)
    }

    /// One attempt of a propagated message, whose recipient is known.
    pub(crate) fn propagated(&mut self, now: f64, id: MessageId) {
        let node = self.pick_node();
        let path_wait = self.config.path_request_wait;
        let node_cost = node.and_then(|n| self.nodes.get(&n).map(|p| p.app_data.stamp_cost));
        let Some(m) = self.outbound.get_mut(&id) else {
            return;
        };
        let Some(node) = node else {
            m.failure = Some(Failure::NoPropagationNode);
            m.attempts += 1;
            self.retry(now, &id);
            return;
        };
        m.via = Some(node);
        let Some(tid) = m.container.as_deref().map(transient_id) else {
            m.stage = Stage::Seal;
            let action = Action::SealMessage {
                message: id,
                destination: m.packed.message().destination_hash,
                packed: m.packed.packed().to_vec(),
            };
            self.actions.push_back(action);
            return;
        };
        let Some(cost) = node_cost else {
            // Never heard from the node: its announce (answering the path
            // request) tells its stamp cost.
            m.failure = Some(Failure::PropagationNodeUnreachable);
            m.attempts += 1;
            m.next_attempt = now + path_wait;
            self.actions
                .push_back(Action::RequestPath { destination: node });
            self.emit_status(&id);
            return;
        };
        if m.pn_stamp.as_ref().is_none_or(|(n, _)| *n != node) {
            m.stage = Stage::PropagationStamp;
            m.state = State::Generating;
            self.actions.push_back(Action::GeneratePropagationStamp {
                message: id,
                transient_id: tid,
                cost: u32::from(cost),
            });
            self.emit_status(&id);
            return;
        }
        self.direct(now, id, node, true);
    }

    /// The driver sealed a propagated message (or could not).
    pub fn handle_sealed(
        &mut self,
        now: f64,
        id: &MessageId,
        result: Result<Vec<u8>, ActionError>,
    ) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        if m.stage != Stage::Seal {
            return;
        }
        match result {
            Ok(container) => {
                let content = m.packed.content_size();
                if let Ok((_, rep)) = plan(Method::Propagated, content, container.len()) {
                    m.representation = rep;
                }
                m.container = Some(container);
                m.stage = Stage::Queued;
                self.process(now, *id);
            }
            Err(e) => {
                m.stage = Stage::Queued;
                m.failure = Some(Failure::UnknownRecipient);
                m.attempts += 1;
                if e == ActionError::UnknownIdentity {
                    let dest = m.packed.message().destination_hash;
                    self.peers.remove(&dest);
                    self.actions
                        .push_back(Action::RequestPath { destination: dest });
                }
                self.retry(now, id);
            }
        }
    }

    /// A propagation stamp search ended: `Some(stamp)` found, `None` gave up.
    pub fn handle_propagation_stamp(&mut self, now: f64, id: &MessageId, stamp: Option<Vec<u8>>) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        if m.stage != Stage::PropagationStamp {
            return;
        }
        let (Some(stamp), Some(node)) = (stamp, m.via) else {
            m.failure = Some(Failure::Stamp);
            self.finish(id, State::Failed);
            return;
        };
        m.pn_stamp = Some((node, stamp));
        m.stage = Stage::Queued;
        m.state = State::Outbound;
        self.process(now, *id);
    }

    /// Data on one of our outbound links: a propagation node answers a
    /// submission it refuses with msgpack `[code]` (then closes the link).
    /// Returns whether it was taken as such.
    pub fn handle_link_data(&mut self, now: f64, link: &LinkId, data: &[u8]) -> bool {
        let code = match rns_msgpack::decode(data) {
            Ok(Value::Array(v)) => match v.as_slice() {
                [c] => c.as_u64().and_then(|c| u8::try_from(c).ok()),
                _ => None,
            },
            _ => None,
        };
        let Some(code) = code else {
            return false;
        };
        let hit: Vec<MessageId> = self
            .outbound
            .iter()
            .filter(|(_, m)| {
                m.method == Method::Propagated
                    && matches!(m.stage,
                        Stage::AwaitLinkProof(l, _) | Stage::AwaitResource(l, _) if l == *link)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &hit {
            if let Some(m) = self.outbound.get_mut(id) {
                m.failure = Some(Failure::PropagationNodeError(code));
                if code == error_code::THROTTLED {
                    self.retry(now, id);
                } else {
                    self.finish(id, State::Failed);
                }
            }
        }
        !hit.is_empty()
    }

    pub(crate) fn make_due_via(&mut self, now: f64, node: &DestinationHash) {
        let mut due: Vec<(u64, MessageId)> = self
            .outbound
            .iter()
            .filter(|(_, m)| {
                m.stage == Stage::Queued
                    && m.method == Method::Propagated
                    && m.via.is_none_or(|v| v == *node)
            })
            .map(|(id, m)| (m.seq, *id))
            .collect();
        due.sort_unstable();
        for (_, id) in due {
            if let Some(m) = self.outbound.get_mut(&id) {
                m.next_attempt = now;
            }
            self.process(now, id);
        }
    }
}

impl Router {
    /// Signs `message` with the local identity its `source_hash` names (for
    /// paper messages, which do not go through the queue).
    pub fn sign(
        &self,
        message: crate::message::Message,
    ) -> Result<crate::message::PackedMessage, super::SubmitError> {
        let local = self
            .locals
            .get(&message.source_hash)
            .ok_or(super::SubmitError::UnknownSource(message.source_hash))?;
        Ok(message.sign(&local.identity))
    }

    /// Takes in an `lxm://` URI: a container for one of our identities, not
    /// seen before, is opened and handed on as [`Action::ProcessInbound`]
    /// (method `Paper`). Returns whether it was.
    pub fn ingest_paper(&mut self, now: f64, uri: &str) -> Result<bool, crate::paper::PaperError> {
        let container = crate::paper::parse_uri(uri)?;
        Ok(self.take_container(now, &container, Method::Paper))
    }
}
