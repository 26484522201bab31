//! The outbound side: submit, cancel, one attempt at a time, and what the
//! driver reports about packets, links, resources and stamps.

use rns_crypto::{DestinationHash, PacketHash};
use rns_proto::node::{LinkId, ReceiptId};
use rns_proto::resource::ResourceHash;

use super::{
    Action, ActionError, OutLink, Outbound, ResourceOutcome, Router, Stage, SubmitError, status_of,
};
use crate::delivery::{Method, Representation, State, opportunistic_data, plan};
use crate::message::{Message, MessageId, PackedMessage};

impl Router {
    /// Signs `message` with the local identity its `source_hash` names and
    /// queues it. Opportunistic messages too large for one packet go direct
    /// (as the reference does). Returns the message id.
    pub fn submit(
        &mut self,
        now: f64,
        message: Message,
        method: Method,
    ) -> Result<MessageId, SubmitError> {
        let local = self
            .locals
            .get(&message.source_hash)
            .ok_or(SubmitError::UnknownSource(message.source_hash))?;
        let packed = message.sign(&local.identity);
        self.submit_packed(now, packed, method)
    }

    /// Queues a message signed elsewhere (its stamp, if any, is kept).
    pub fn submit_packed(
        &mut self,
        now: f64,
        packed: PackedMessage,
        method: Method,
    ) -> Result<MessageId, SubmitError> {
        if !matches!(
            method,
            Method::Opportunistic | Method::Direct | Method::Propagated
        ) {
            return Err(SubmitError::UnsupportedMethod(method));
        }
        if self.outbound.len() >= self.config.max_outbound {
            return Err(SubmitError::QueueFull(self.config.max_outbound));
        }
        let id = *packed.message_id();
        if self.outbound.contains_key(&id) {
            return Err(SubmitError::Duplicate(id));
        }
        let (method, representation) = plan_for(&packed, method);
        self.next_seq += 1;
        self.outbound.insert(
            id,
            Outbound {
                packed,
                method,
                representation,
                state: State::Outbound,
                stage: Stage::Queued,
                attempts: 0,
                next_attempt: now,
                progress: 0.0,
                seq: self.next_seq,
                via: None,
                container: None,
                pn_stamp: None,
                failure: None,
            },
        );
        self.emit_status(&id);
        self.process(now, id);
        Ok(id)
    }

    /// Cancels a message that has not been delivered yet. Returns false if
    /// the message is unknown or already finished.
    pub fn cancel(&mut self, now: f64, id: &MessageId) -> bool {
        let Some(m) = self.outbound.get(id) else {
            return false;
        };
        match m.stage {
            Stage::Stamp => self.actions.push_back(Action::CancelStamp { message: *id }),
            Stage::AwaitResource(link, Some(hash)) => {
                self.actions
                    .push_back(Action::CancelResource { link, hash });
            }
            _ => {}
        }
        let window = self.window_key(m);
        self.finish(id, State::Cancelled);
        if let Some(link) = window {
            self.refill_window(now, &link);
        }
        true
    }

    /// One attempt for a due message.
    pub(crate) fn process(&mut self, now: f64, id: MessageId) {
        let Some(m) = self.outbound.get(&id) else {
            return;
        };
        if m.stage != Stage::Queued {
            return;
        }
        if m.attempts >= self.config.max_attempts {
            self.retry(now, &id);
            return;
        }
        let dest = m.packed.message().destination_hash;
        let Some(peer) = self.peers.get(&dest) else {
            self.actions
                .push_back(Action::RequestPath { destination: dest });
            let wait = self.config.path_request_wait;
            if let Some(m) = self.outbound.get_mut(&id) {
                m.attempts += 1;
                m.next_attempt = now + wait;
            }
            self.emit_status(&id);
            return;
        };
        let stamp_cost = peer.stamp_cost;
        let compress = peer.compression;
        if stamp_cost.is_some()
            && m.packed.stamp().is_none()
            && let Some(ticket) = self.ticket_for(now, &dest)
        {
            // A ticket the recipient gave us stands in for the stamp.
            let stamp = ticket.stamp_for(&id).to_vec();
            if let Some(m) = self.outbound.get_mut(&id) {
                m.packed = m.packed.clone().with_stamp(Some(stamp));
                let (method, rep) = plan_for(&m.packed, m.method);
                m.method = method;
                m.representation = rep;
            }
            self.process(now, id);
            return;
        }
        if let Some(cost) = stamp_cost
            && m.packed.stamp().is_none()
        {
            if let Some(m) = self.outbound.get_mut(&id) {
                m.stage = Stage::Stamp;
                m.state = State::Generating;
            }
            self.actions.push_back(Action::GenerateStamp {
                message: id,
                cost: u32::from(cost),
            });
            self.emit_status(&id);
            return;
        }
        match m.method {
            Method::Opportunistic => {
                if self.packets_in_flight(&dest) >= self.window(&dest) {
                    self.set_stage(&id, Stage::AwaitWindow(dest));
                    return;
                }
                let data = opportunistic_data(m.packed.packed()).to_vec();
                self.start_transmission(&id, State::Sending);
                self.actions.push_back(Action::SendPacket {
                    message: id,
                    destination: dest,
                    data,
                });
            }
            Method::Propagated => self.propagated(now, id),
            _ => self.direct(now, id, dest, compress),
        }
    }

    pub(crate) fn direct(
        &mut self,
        now: f64,
        id: MessageId,
        dest: DestinationHash,
        compress: bool,
    ) {
        let link = self.links.get(&dest).map(|l| (l.link, l.established()));
        match link {
            Some((Some(link), true)) => self.send_on_link(now, id, link, compress),
            Some(_) => self.set_stage(&id, Stage::AwaitLink),
            None => {
                self.links.insert(
                    dest,
                    OutLink {
                        link: None,
                        opened_at: now,
                        last_used: now,
                        setup_time: None,
                    },
                );
                self.actions
                    .push_back(Action::OpenLink { destination: dest });
                self.set_stage(&id, Stage::AwaitLink);
            }
        }
    }

    fn send_on_link(&mut self, now: f64, id: MessageId, link: LinkId, compress: bool) {
        let Some(m) = self.outbound.get(&id) else {
            return;
        };
        let rep = m.representation;
        if rep != Representation::Resource && self.packets_in_flight(&link) >= self.window(&link) {
            self.set_stage(&id, Stage::AwaitWindow(link));
            return;
        }
        let data = match (&m.method, &m.container, &m.pn_stamp) {
            (Method::Propagated, Some(container), Some((_, stamp))) => {
                crate::propagation::submission(now, &[[&container[..], &stamp[..]].concat()])
            }
            _ => m.packed.packed().to_vec(),
        };
        let dest = m.target();
        if let Some(l) = self.links.get_mut(&dest) {
            l.last_used = now;
        }
        self.start_transmission(&id, State::Sending);
        self.actions.push_back(match rep {
            Representation::Resource => Action::SendResource {
                message: id,
                link,
                data,
                compress,
            },
            _ => Action::SendLinkPacket {
                message: id,
                link,
                data,
            },
        });
    }

    /// The window a message's single packet counts against: its link (direct
    /// or propagated), or its recipient (opportunistic). None for resources.
    fn window_key(&self, m: &Outbound) -> Option<DestinationHash> {
        match (m.method, m.representation) {
            (_, Representation::Resource) => None,
            (Method::Opportunistic, _) => Some(m.target()),
            _ => self.links.get(&m.target()).and_then(|l| l.link),
        }
    }

    /// How many packets window `key` (a link, or an opportunistic
    /// recipient) holds: the fast window on a link that came up fast.
    fn window(&self, key: &DestinationHash) -> usize {
        let fast = self.links.values().any(|l| {
            l.link.as_ref() == Some(key)
                && l.setup_time
                    .is_some_and(|t| t < self.config.fast_link_setup)
        });
        let window = if fast {
            self.config.fast_link_packet_window
        } else {
            self.config.packet_window
        };
        window.max(1)
    }

    /// Packets in window `key` sent and not yet proved (or failed).
    fn packets_in_flight(&self, key: &DestinationHash) -> usize {
        self.outbound
            .values()
            .filter(|m| {
                matches!(
                    m.stage,
                    Stage::Transmitting | Stage::AwaitLinkProof(..) | Stage::AwaitReceipt(_)
                ) && self.window_key(m).as_ref() == Some(key)
            })
            .count()
    }

    /// A packet in window `key` is done (proved, failed or gone): the oldest
    /// messages waiting for the window go out.
    fn refill_window(&mut self, now: f64, key: &DestinationHash) {
        let window = self.window(key);
        let mut waiting: Vec<(u64, MessageId)> = self
            .outbound
            .iter()
            .filter(|(_, m)| m.stage == Stage::AwaitWindow(*key))
            .map(|(id, m)| (m.seq, *id))
            .collect();
        waiting.sort_unstable();
        let room = window.saturating_sub(self.packets_in_flight(key));
        for (_, id) in waiting.into_iter().take(room) {
            let Some(m) = self.outbound.get_mut(&id) else {
                continue;
            };
            if m.method == Method::Opportunistic {
                m.stage = Stage::Queued;
                m.next_attempt = now;
                self.process(now, id);
            } else {
                let compress = self.peers.get(&m.target()).is_none_or(|p| p.compression);
                self.send_on_link(now, id, *key, compress);
            }
        }
    }

    fn start_transmission(&mut self, id: &MessageId, state: State) {
        if let Some(m) = self.outbound.get_mut(id) {
            m.attempts += 1;
            m.stage = Stage::Transmitting;
            m.state = state;
        }
        self.emit_status(id);
    }

    fn set_stage(&mut self, id: &MessageId, stage: Stage) {
        if let Some(m) = self.outbound.get_mut(id) {
            m.stage = stage;
        }
    }

    /// Back to the queue after a failed attempt, or failed for good (or,
    /// with `fallback_to_propagated`, handed to a propagation node).
    pub(crate) fn retry(&mut self, now: f64, id: &MessageId) {
        let fallback = self.config.fallback_to_propagated && self.pick_node().is_some();
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        if m.attempts >= self.config.max_attempts {
            if fallback && m.method != Method::Propagated {
                // The same message (same id), now through a node.
                m.method = Method::Propagated;
                m.representation = Representation::Packet;
                m.attempts = 0;
                m.failure = None;
                m.stage = Stage::Queued;
                m.state = State::Outbound;
                m.progress = 0.0;
                m.next_attempt = now;
                self.emit_status(id);
                self.process(now, *id);
                return;
            }
            m.failure.get_or_insert(super::Failure::AttemptsExhausted);
            self.finish(id, State::Failed);
            return;
        }
        let exp = m.attempts.saturating_sub(1).min(30);
        let wait =
            (self.config.retry_wait * f64::from(1u32 << exp)).min(self.config.retry_wait_max);
        m.stage = Stage::Queued;
        m.state = State::Outbound;
        m.progress = 0.0;
        m.next_attempt = now + wait;
        self.emit_status(id);
    }

    /// Final state: report, remember briefly, forget.
    pub(crate) fn finish(&mut self, id: &MessageId, state: State) {
        let Some(mut m) = self.outbound.remove(id) else {
            return;
        };
        m.state = state;
        if state == State::Delivered {
            m.progress = 1.0;
        }
        let status = status_of(id, &m);
        self.events
            .push_back(super::RouterEvent::Outbound(status.clone()));
        if self.finished.len() >= self.config.finished_capacity {
            self.finished.pop_front();
        }
        self.finished.push_back(status);
    }

    /// Proved by the recipient, or (propagated) accepted by the node: the
    /// reference's SENT, final, since nothing reports the pickup.
    fn delivered(&mut self, now: f64, id: &MessageId) {
        let mut state = State::Delivered;
        if let Some(m) = self.outbound.get(id) {
            let dest = m.target();
            if let Some(l) = self.links.get_mut(&dest) {
                l.last_used = now;
            }
            if m.method == Method::Propagated {
                state = State::Sent;
            }
        }
        self.finish(id, state);
    }

    fn find(&self, pred: impl Fn(&Stage) -> bool) -> Option<MessageId> {
        self.outbound
            .iter()
            .find(|(_, m)| pred(&m.stage))
            .map(|(id, _)| *id)
    }

    /// The driver sent (or could not send) an opportunistic packet.
    pub fn handle_packet_sent(
        &mut self,
        now: f64,
        id: &MessageId,
        result: Result<ReceiptId, ActionError>,
    ) {
        let Some(m) = self.outbound.get(id) else {
            return;
        };
        let window = self.window_key(m);
        match result {
            Ok(receipt) => {
                self.set_stage(id, Stage::AwaitReceipt(receipt));
                if let Some(m) = self.outbound.get_mut(id) {
                    m.state = State::Sent;
                }
                self.emit_status(id);
            }
            Err(e) => {
                self.action_failed(now, id, e);
                if let Some(key) = window {
                    self.refill_window(now, &key);
                }
            }
        }
    }

    /// A link for the message could not be opened.
    fn link_failed(&mut self, now: f64, id: &MessageId, e: ActionError) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        if let Some(node) = m.via {
            // The node's identity is unknown (or the link failed): ask for a
            // path to the node and try again later.
            m.failure = Some(super::Failure::PropagationNodeUnreachable);
            m.attempts += 1;
            if matches!(e, ActionError::UnknownIdentity | ActionError::NoPath) {
                self.actions
                    .push_back(Action::RequestPath { destination: node });
            }
            self.retry(now, id);
            return;
        }
        if e == ActionError::NoPath {
            // As for a recipient never heard: ask, and look again shortly.
            let dest = m.packed.message().destination_hash;
            m.attempts += 1;
            m.stage = Stage::Queued;
            m.state = crate::delivery::State::Outbound;
            m.next_attempt = now + self.config.path_request_wait;
            self.actions
                .push_back(Action::RequestPath { destination: dest });
            self.emit_status(id);
            return;
        }
        self.action_failed(now, id, e);
    }

    fn action_failed(&mut self, now: f64, id: &MessageId, e: ActionError) {
        if e == ActionError::UnknownIdentity
            && let Some(m) = self.outbound.get(id)
        {
            let dest = m.packed.message().destination_hash;
            self.peers.remove(&dest);
        }
        self.retry(now, id);
    }

    /// A packet receipt resolved: proved, or timed out.
    pub fn handle_receipt(&mut self, now: f64, receipt: &ReceiptId, delivered: bool) {
        let Some(id) = self.find(|s| *s == Stage::AwaitReceipt(*receipt)) else {
            return;
        };
        let window = self.outbound.get(&id).and_then(|m| self.window_key(m));
        if delivered {
            self.delivered(now, &id);
        } else {
            self.retry(now, &id);
        }
        if let Some(key) = window {
            self.refill_window(now, &key);
        }
    }

    /// The driver asked the network for a link to `destination`.
    pub fn handle_link_opening(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        result: Result<LinkId, ActionError>,
    ) {
        match result {
            Ok(link) => {
                if let Some(l) = self.links.get_mut(destination) {
                    l.link = Some(link);
                } else {
                    // Nobody waits for it any more.
                    self.actions.push_back(Action::CloseLink { link });
                }
            }
            Err(e) => {
                self.links.remove(destination);
                let waiting = self.waiting_for_link(destination);
                for id in waiting {
                    self.link_failed(now, &id, e.clone());
                }
            }
        }
    }

    fn waiting_for_link(&self, destination: &DestinationHash) -> Vec<MessageId> {
        let mut v: Vec<(u64, MessageId)> = self
            .outbound
            .iter()
            .filter(|(_, m)| m.stage == Stage::AwaitLink && m.target() == *destination)
            .map(|(id, m)| (m.seq, *id))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// A link came up. Links the router did not open are ignored.
    pub fn handle_link_established(&mut self, now: f64, link: &LinkId) {
        if self.sync_link_established(link) {
            return;
        }
        let Some((dest, l)) = self
            .links
            .iter_mut()
            .find(|(_, l)| l.link.as_ref() == Some(link))
        else {
            return;
        };
        l.last_used = now;
        l.setup_time = Some(now - l.opened_at);
        let dest = *dest;
        let compress = self.peers.get(&dest).is_none_or(|p| p.compression);
        for id in self.waiting_for_link(&dest) {
            self.send_on_link(now, id, *link, compress);
        }
    }

    /// A link closed (or failed to come up): its messages go back to the queue.
    pub fn handle_link_closed(&mut self, now: f64, link: &LinkId) {
        if self.sync_link_closed(link) {
            return;
        }
        let Some(dest) = self
            .links
            .iter()
            .find(|(_, l)| l.link.as_ref() == Some(link))
            .map(|(d, _)| *d)
        else {
            return;
        };
        self.links.remove(&dest);
        let mut hit: Vec<(u64, MessageId, bool)> = self
            .outbound
            .iter()
            .filter_map(|(id, m)| {
                let on_link = match m.stage {
                    Stage::AwaitLinkProof(l, _)
                    | Stage::AwaitResource(l, _)
                    | Stage::AwaitWindow(l) => l == *link,
                    Stage::AwaitLink => m.target() == dest,
                    _ => false,
                };
                on_link.then_some((m.seq, *id, m.stage == Stage::AwaitLink))
            })
            .collect();
        hit.sort_unstable_by_key(|h| h.0);
        for (_, id, never_sent) in hit {
            if never_sent && let Some(m) = self.outbound.get_mut(&id) {
                // The link failing is the attempt.
                m.attempts += 1;
                if m.via.is_some() {
                    m.failure = Some(super::Failure::PropagationNodeUnreachable);
                }
            }
            self.retry(now, &id);
        }
    }

    pub fn handle_link_packet_sent(
        &mut self,
        now: f64,
        id: &MessageId,
        link: &LinkId,
        result: Result<PacketHash, ActionError>,
    ) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        match result {
            Ok(hash) => {
                m.stage = Stage::AwaitLinkProof(*link, hash);
                m.state = State::Sent;
                self.emit_status(id);
            }
            Err(e) => {
                self.action_failed(now, id, e);
                self.refill_window(now, link);
            }
        }
    }

    /// A link packet was proved (or its proof never came).
    pub fn handle_link_proof(
        &mut self,
        now: f64,
        link: &LinkId,
        packet: &PacketHash,
        delivered: bool,
    ) {
        let Some(id) = self.find(|s| *s == Stage::AwaitLinkProof(*link, *packet)) else {
            return;
        };
        if delivered {
            self.delivered(now, &id);
        } else {
            self.retry(now, &id);
        }
        self.refill_window(now, link);
    }

    pub fn handle_resource_started(
        &mut self,
        now: f64,
        id: &MessageId,
        link: &LinkId,
        result: Result<ResourceHash, ActionError>,
    ) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        match result {
            Ok(hash) => {
                m.stage = Stage::AwaitResource(*link, Some(hash));
                self.emit_status(id);
            }
            Err(e) => self.action_failed(now, id, e),
        }
    }

    pub fn handle_resource_progress(
        &mut self,
        _now: f64,
        link: &LinkId,
        hash: &ResourceHash,
        done: u64,
        total: u64,
    ) {
        let Some(id) = self.find(|s| *s == Stage::AwaitResource(*link, Some(*hash))) else {
            return;
        };
        if let Some(m) = self.outbound.get_mut(&id) {
            // Precision loss is fine for a progress bar.
            #[allow(clippy::cast_precision_loss)]
            let p = if total == 0 {
                0.0
            } else {
                (done as f64 / total as f64).clamp(0.0, 1.0)
            };
            m.progress = p;
        }
        self.emit_status(&id);
    }

    /// An outgoing resource ended: proved (delivered), refused by the
    /// recipient (rejected, final: it would refuse it again, e.g. over its
    /// delivery size limit), or failed (retried).
    pub fn handle_resource_concluded(
        &mut self,
        now: f64,
        link: &LinkId,
        hash: &ResourceHash,
        outcome: ResourceOutcome,
    ) {
        let Some(id) = self.find(|s| *s == Stage::AwaitResource(*link, Some(*hash))) else {
            return;
        };
        match outcome {
            ResourceOutcome::Complete => self.delivered(now, &id),
            ResourceOutcome::Rejected => {
                if let Some(m) = self.outbound.get_mut(&id) {
                    m.failure = Some(super::Failure::Refused);
                }
                self.finish(&id, State::Rejected);
            }
            ResourceOutcome::Failed => self.retry(now, &id),
        }
    }

    /// A stamp search ended: `Some(stamp)` found, `None` gave up.
    pub fn handle_stamp(&mut self, now: f64, id: &MessageId, stamp: Option<Vec<u8>>) {
        let Some(m) = self.outbound.get_mut(id) else {
            return;
        };
        if m.stage != Stage::Stamp {
            return;
        }
        let Some(stamp) = stamp else {
            m.failure = Some(super::Failure::Stamp);
            self.finish(id, State::Failed);
            return;
        };
        m.packed = m.packed.clone().with_stamp(Some(stamp));
        let (method, rep) = plan_for(&m.packed, m.method);
        m.method = method;
        m.representation = rep;
        m.stage = Stage::Queued;
        m.state = State::Outbound;
        m.next_attempt = now;
        self.process(now, *id);
    }

    /// A path to `destination` appeared: its queued messages are due now.
    pub fn handle_path_found(&mut self, now: f64, destination: &DestinationHash) {
        self.sync_path_found(now, destination);
        if !self.peers.contains_key(destination) {
            // A path without an announce handler run (e.g. from the cache):
            // the driver learns the peer first (`learn_peer`).
            return;
        }
        self.make_due(now, destination);
    }

    pub(crate) fn make_due(&mut self, now: f64, destination: &DestinationHash) {
        let mut due: Vec<(u64, MessageId)> = self
            .outbound
            .iter()
            .filter(|(_, m)| {
                m.stage == Stage::Queued
                    && (m.packed.message().destination_hash == *destination
                        || m.via == Some(*destination))
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

    pub(crate) fn expire_links(&mut self, now: f64) {
        // A link with messages in flight is in use.
        for (dest, l) in self.links.iter_mut() {
            if l.established() && self.outbound.values().any(|m| m.target() == *dest) {
                l.last_used = l.last_used.max(now);
            }
        }
        let idle = self.config.link_idle_timeout;
        let setup = self.config.link_establishment_timeout;
        let expired: Vec<(DestinationHash, Option<LinkId>, bool)> = self
            .links
            .iter()
            .filter(|(_, l)| {
                if l.established() {
                    now >= l.last_used + idle
                } else {
                    now >= l.opened_at + setup
                }
            })
            .map(|(d, l)| (*d, l.link, l.established()))
            .collect();
        for (dest, link, established) in expired {
            if let Some(link) = link {
                self.actions.push_back(Action::CloseLink { link });
                self.handle_link_closed(now, &link);
            }
            if !established && link.is_none() {
                // Never even got an id: fail its waiters the same way.
                self.links.remove(&dest);
                for id in self.waiting_for_link(&dest) {
                    if let Some(m) = self.outbound.get_mut(&id) {
                        m.attempts += 1;
                    }
                    self.retry(now, &id);
                }
            }
            self.links.remove(&dest);
        }
    }
}

/// Method and representation for a packed message (see [`plan`]).
fn plan_for(packed: &PackedMessage, method: Method) -> (Method, Representation) {
    // Opportunistic and direct always plan; other methods are refused earlier.
    plan(method, packed.content_size(), 0).unwrap_or((Method::Direct, Representation::Resource))
}
