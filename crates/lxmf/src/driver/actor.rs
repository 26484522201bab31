//! The router task: one loop over commands, network events, finished stamp
//! searches and the router's timer; after each input it carries out the
//! router's actions and publishes its events.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rns_crypto::{DestinationHash, PublicIdentity};
use rns_net::{NetError, ReticulumHandle, now};
use rns_proto::node::{DestinationSpec, Event, LinkEvent, LinkId, NodeError, ProofStrategy};
use rns_proto::resource::{ResourceHash, ResourceProving, ResourceStatus};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

use super::proofs::{self, HeldProof, PendingProofs, ProofTarget};
use super::{Command, DriverError};
use crate::delivery::{Method, delivery_destination};
use crate::message::{Message, MessageId};
use crate::router::{
    Action, ActionError, IncomingProgress, Received, ResourceOutcome, Router, RouterEvent,
    source_of,
};
use crate::stamp::{SearchOutcome, Workblock, random_start};

/// Candidates per blocking search call between cancel checks of the loop.
const STAMP_BUDGET: u64 = 1 << 20;
/// Stamp searches running at once (each holds a 768 kB workblock).
const MAX_STAMP_JOBS: usize = 4;

pub(super) struct Actor {
    net: ReticulumHandle,
    router: Router,
    events: broadcast::Sender<RouterEvent>,
    inbound: broadcast::Sender<Received>,
    /// Links to our delivery destinations that others opened to us.
    /// Links to our delivery destinations, and which one each goes to.
    inbound_links: HashMap<LinkId, DestinationHash>,
    stamp_jobs: HashMap<MessageId, Arc<AtomicBool>>,
    stamp_tx: mpsc::Sender<StampDone>,
    stamp_rx: mpsc::Receiver<StampDone>,
    /// Proofs waiting for the application to store their messages.
    pending_proofs: PendingProofs,
}

/// A finished stamp search: message, whether it was a propagation stamp,
/// the stamp (None: gave up).
type StampDone = (MessageId, bool, Option<Vec<u8>>);

fn action_error(e: NetError) -> ActionError {
    match e {
        NetError::Node(NodeError::UnknownIdentity(_)) => ActionError::UnknownIdentity,
        other => ActionError::Other(other.to_string()),
    }
}

impl Actor {
    pub(super) fn new(
        net: ReticulumHandle,
        router: Router,
        events: broadcast::Sender<RouterEvent>,
        inbound: broadcast::Sender<Received>,
    ) -> Actor {
        let (stamp_tx, stamp_rx) = mpsc::channel(16);
        Actor {
            net,
            router,
            events,
            inbound,
            inbound_links: HashMap::new(),
            stamp_jobs: HashMap::new(),
            stamp_tx,
            stamp_rx,
            pending_proofs: PendingProofs::default(),
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut net_events = self.net.subscribe();
        loop {
            let sleep = self.router.poll_timeout().map(|at| {
                let secs = (at - now()).clamp(0.0, 3600.0);
                Duration::from_secs_f64(secs)
            });
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    None => break,
                    Some(Command::Shutdown(reply)) => {
                        self.stop().await;
                        let _ = reply.send(());
                        break;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                ev = net_events.recv() => match ev {
                    Ok(ev) => self.net_event(ev).await,
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                Some((id, propagation, stamp)) = self.stamp_rx.recv() => {
                    self.stamp_jobs.remove(&id);
                    if propagation {
                        self.router.handle_propagation_stamp(now(), &id, stamp);
                    } else {
                        self.router.handle_stamp(now(), &id, stamp);
                    }
                }
                () = tokio::time::sleep(sleep.unwrap_or(Duration::from_secs(3600))), if sleep.is_some() => {
                    self.router.handle_timeout(now());
                }
            }
            self.drain().await;
        }
        self.stop().await;
    }

    async fn stop(&mut self) {
        for flag in self.stamp_jobs.values() {
            flag.store(true, Ordering::Relaxed);
        }
        let locals: Vec<DestinationHash> = self.router.local_destinations().copied().collect();
        for d in locals {
            let _ = self.net.deregister_destination(d).await;
        }
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::AddIdentity {
                identity,
                display_name,
                stamp_cost,
                reply,
            } => {
                // Proved by hand once stored (`proofs.rs`), or on arrival.
                let strategy = if self.router.config().prove_when_stored {
                    ProofStrategy::App
                } else {
                    ProofStrategy::All
                };
                let mut spec = DestinationSpec::single((*identity).clone(), "lxmf", &["delivery"])
                    .with_proof_strategy(strategy)
                    .accepting_links();
                if self.router.config().ratchets {
                    let enforce = self.router.config().enforce_ratchets;
                    spec = spec.with_ratchets(rns_crypto::RatchetSet::new(), enforce);
                }
                let dest = delivery_destination(&identity.hash());
                let result = if self.router.is_local(&dest) {
                    Ok(dest)
                } else {
                    self.net.register_destination(spec).await
                };
                if result.is_ok() {
                    self.router
                        .add_identity(*identity, display_name, stamp_cost);
                    self.refresh_ratchets(dest).await;
                }
                let _ = reply.send(result.map_err(DriverError::from));
            }
            Command::RemoveIdentity(dest, reply) => {
                let r = if self.router.remove_identity(&dest) {
                    self.net
                        .deregister_destination(dest)
                        .await
                        .map_err(DriverError::from)
                } else {
                    Err(DriverError::UnknownDestination(dest))
                };
                let _ = reply.send(r);
            }
            Command::Announce(dest, reply) => {
                let r = match self.router.announce_app_data(&dest) {
                    Some(app) => self
                        .net
                        .announce(dest, Some(app))
                        .await
                        .map_err(DriverError::from),
                    None => Err(DriverError::UnknownDestination(dest)),
                };
                let _ = reply.send(r);
            }
            Command::Send(mut message, method, include_ticket, reply) => {
                let dest = message.destination_hash;
                if self.router.peer(&dest).is_none() {
                    self.recall_peer(dest).await;
                }
                if include_ticket {
                    let ticket = self
                        .router
                        .issue_ticket(now(), dest, &mut rns_crypto::OsRng);
                    message
                        .fields
                        .set(crate::fields::id::TICKET, ticket.to_field());
                }
                let r = self.router.submit(now(), *message, method);
                let _ = reply.send(r.map_err(DriverError::from));
            }
            Command::Stored(id) => {
                if let Some(target) = self.pending_proofs.take(&id) {
                    proofs::prove(&self.net, target).await;
                }
            }
            Command::Cancel(id, reply) => {
                let _ = reply.send(self.router.cancel(now(), &id));
            }
            Command::Status(id, reply) => {
                let _ = reply.send(self.router.status(&id));
            }
            Command::SetPropagationNode(node, reply) => {
                if let Some(node) = node {
                    self.recall_node(node).await;
                }
                self.router.set_propagation_node(now(), node);
                let _ = reply.send(());
            }
            Command::PropagationNodes(reply) => {
                let nodes = self
                    .router
                    .propagation_nodes()
                    .map(|(d, n)| (*d, n.clone()))
                    .collect();
                let _ = reply.send(nodes);
            }
            Command::Sync(local, node, reply) => {
                if let Some(node) = node {
                    self.recall_node(node).await;
                }
                let r = self.router.start_sync(now(), local, node);
                let _ = reply.send(r.map_err(DriverError::from));
            }
            Command::PaperUri(message, reply) => {
                let _ = reply.send(self.paper_uri(*message).await);
            }
            Command::IngestUri(uri, reply) => {
                let r = self
                    .router
                    .ingest_paper(now(), &uri)
                    .map_err(|e| DriverError::Paper(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Shutdown(reply) => {
                let _ = reply.send(());
            }
        }
    }

    async fn paper_uri(&mut self, message: Message) -> Result<(MessageId, String), DriverError> {
        let dest = message.destination_hash;
        let packed = self.router.sign(message)?;
        let container = self
            .seal(dest, packed.packed().to_vec())
            .await
            .map_err(|_| DriverError::UnknownRecipient(dest))?;
        let uri = crate::paper::uri(&container).map_err(|e| DriverError::Paper(e.to_string()))?;
        Ok((*packed.message_id(), uri))
    }

    /// Encrypts packed bytes for `dest` (to its ratchet if the network
    /// knows one) into a propagation / paper container.
    async fn seal(&self, dest: DestinationHash, packed: Vec<u8>) -> Result<Vec<u8>, ActionError> {
        let known = self
            .net
            .with_node(move |n, _| {
                n.recall_identity(&dest)
                    .cloned()
                    .map(|i| (i, n.recall_ratchet(&dest).map(|r| r.public)))
            })
            .await
            .map_err(action_error)?;
        let (identity, ratchet) = known.ok_or(ActionError::UnknownIdentity)?;
        crate::delivery::seal(&packed, &identity, ratchet.as_ref(), &mut rns_crypto::OsRng)
            .map_err(|e| ActionError::Other(e.to_string()))
    }

    /// Copies our destination's current ratchets (restored from disk, or
    /// rotated) into the router, which opens containers with them.
    async fn refresh_ratchets(&mut self, dest: DestinationHash) {
        let ratchets = self
            .net
            .with_node(move |n, _| {
                n.destination_ratchets(&dest)
                    .map(|s| s.ratchets().to_vec())
                    .unwrap_or_default()
            })
            .await
            .unwrap_or_default();
        self.router.set_ratchets(&dest, ratchets);
    }

    /// Tells the router what the network remembers of a propagation node's
    /// announce (maybe from an earlier run).
    async fn recall_node(&mut self, node: DestinationHash) {
        let app = self
            .net
            .with_node(move |n, _| {
                let app = n.recall_app_data(&node).map(<[u8]>::to_vec);
                (app, n.hops_to(&node))
            })
            .await;
        if let Ok((Some(app), hops)) = app
            && let Ok(pn) = rns_wire::lxmf_app_data::PropagationNodeAppData::decode(&app)
        {
            self.router.learn_node(now(), &node, pn);
            if let Some(h) = hops {
                self.router.set_node_hops(&node, h);
            }
        }
    }

    /// Tells the router about a destination the network already knows (from
    /// an earlier announce, maybe from a previous run). Returns whether known.
    async fn recall_peer(&mut self, dest: DestinationHash) -> bool {
        let known = self
            .net
            .with_node(move |n, _| {
                n.recall_identity(&dest)
                    .is_some()
                    .then(|| n.recall_app_data(&dest).map(<[u8]>::to_vec))
            })
            .await;
        match known {
            Ok(Some(app)) => {
                self.router.learn_peer(now(), &dest, app.as_deref());
                true
            }
            _ => false,
        }
    }

    /// The sender's identity: known to the network, or (direct delivery) the
    /// identity the sender proved on the link, if it is the source's.
    async fn source_identity(
        &self,
        packed_source: Option<DestinationHash>,
        link: Option<LinkId>,
    ) -> Option<PublicIdentity> {
        let src = packed_source?;
        self.net
            .with_node(move |n, _| {
                n.recall_identity(&src).cloned().or_else(|| {
                    let l = n.link(&link?)?;
                    let id = l.remote_identity()?;
                    (delivery_destination(&id.hash()) == src).then(|| id.clone())
                })
            })
            .await
            .ok()
            .flatten()
    }

    async fn net_event(&mut self, ev: Event) {
        let t = now();
        match ev {
            Event::AnnounceReceived {
                destination,
                name_hash,
                app_data,
                hops,
                ..
            } => {
                self.router
                    .handle_announce(t, &destination, &name_hash, app_data.as_deref());
                self.router.set_node_hops(&destination, hops);
            }
            Event::PathFound { destination, .. } => self.path_found(t, destination).await,
            Event::PacketReceived {
                destination,
                data,
                packet_hash,
                interface,
            } if self.router.is_local(&destination) => {
                let src = data.get(..16).and_then(DestinationHash::from_slice);
                let source = self.source_identity(src, None).await;
                let accepted =
                    self.router
                        .handle_inbound_packet(t, &destination, &data, source.as_ref());
                let target = ProofTarget::Packet {
                    destination,
                    packet_hash,
                    interface,
                };
                self.settle_proof(accepted, HeldProof { target, arrived: t })
                    .await;
            }
            Event::RatchetsRotated { destination } if self.router.is_local(&destination) => {
                self.refresh_ratchets(destination).await;
            }
            Event::ReceiptDelivered { receipt, .. } => {
                self.router.handle_receipt(t, &receipt, true);
            }
            Event::ReceiptTimedOut { receipt } => {
                self.router.handle_receipt(t, &receipt, false);
            }
            Event::Link(link_event) => self.link_event(t, link_event).await,
            _ => {}
        }
    }

    /// A path appeared: if a queued message waits for it and the router has
    /// not heard the announce (a path answer from a cache), tell it what the
    /// network knows.
    async fn path_found(&mut self, t: f64, destination: DestinationHash) {
        self.router.sync_path_found(t, &destination);
        if self.router.has_outbound_to(&destination)
            && self.router.peer(&destination).is_none()
            && self.recall_peer(destination).await
        {
            self.router.handle_path_found(t, &destination);
        }
    }

    async fn link_event(&mut self, t: f64, ev: LinkEvent) {
        match ev {
            LinkEvent::Established { link_id, .. } => {
                // Links to our delivery destinations take resources up to the
                // delivery limit (set in the same call, before anything else
                // the link receives is handled where possible).
                let locals: HashSet<DestinationHash> =
                    self.router.local_destinations().copied().collect();
                let limit = self.router.config().delivery_limit_kb.saturating_mul(1000);
                // A message carried as a resource is proved once stored too.
                let proving = if self.router.config().prove_when_stored {
                    ResourceProving::App
                } else {
                    ResourceProving::OnArrival
                };
                let info = self
                    .net
                    .with_node(move |n, _| {
                        let info = n
                            .link(&link_id)
                            .map(|l| (l.destination(), l.is_initiator()));
                        if let Some((dest, false)) = info
                            && locals.contains(&dest)
                        {
                            let mut policy = n.default_resource_policy();
                            policy.limits.max_incoming_size =
                                policy.limits.max_incoming_size.min(limit);
                            policy.proving = proving;
                            let _ = n.set_link_resource_policy(&link_id, policy);
                        }
                        info
                    })
                    .await
                    .ok()
                    .flatten();
                match info {
                    Some((dest, false)) if self.router.is_local(&dest) => {
                        self.inbound_links.insert(link_id, dest);
                    }
                    _ => self.router.handle_link_established(t, &link_id),
                }
            }
            LinkEvent::Closed { link_id, .. } => {
                self.inbound_links.remove(&link_id);
                self.router.handle_link_closed(t, &link_id);
            }
            LinkEvent::Data {
                link_id,
                data,
                packet_hash,
            } if self.inbound_links.contains_key(&link_id) => {
                let source = self.source_identity(source_of(&data), Some(link_id)).await;
                let accepted =
                    self.router
                        .handle_inbound(t, &data, Method::Direct, source.as_ref());
                let target = ProofTarget::Link {
                    link: link_id,
                    packet_hash,
                };
                self.settle_proof(accepted, HeldProof { target, arrived: t })
                    .await;
            }
            LinkEvent::ResourceReceived {
                link_id,
                hash,
                data,
                ..
            } if self.inbound_links.contains_key(&link_id) => {
                let source = self.source_identity(source_of(&data), Some(link_id)).await;
                let accepted =
                    self.router
                        .handle_inbound(t, &data, Method::Direct, source.as_ref());
                let target = ProofTarget::Resource {
                    link: link_id,
                    hash,
                };
                self.settle_proof(accepted, HeldProof { target, arrived: t })
                    .await;
            }
            LinkEvent::Data { link_id, data, .. } => {
                self.router.handle_link_data(t, &link_id, &data);
            }
            LinkEvent::ResponseReceived {
                link_id,
                request_id,
                response,
            } => {
                self.router
                    .handle_sync_response(t, &link_id, &request_id, &response);
            }
            LinkEvent::RequestFailed {
                link_id,
                request_id,
                ..
            } => {
                self.router
                    .handle_sync_request_failed(&link_id, &request_id);
            }
            LinkEvent::ResourceProgress {
                link_id,
                hash,
                done,
                total,
                incoming: true,
            } => {
                if let Some(&local) = self.inbound_links.get(&link_id) {
                    let progress = IncomingProgress::Receiving { done, total };
                    self.incoming(local, hash, progress);
                } else {
                    self.router.handle_sync_progress(&link_id, done, total);
                }
            }
            LinkEvent::ResourceConcluded {
                link_id,
                hash,
                status,
                incoming: true,
            } => {
                if let Some(&local) = self.inbound_links.get(&link_id) {
                    let progress = match status {
                        ResourceStatus::Complete => IncomingProgress::Complete,
                        _ => IncomingProgress::Failed,
                    };
                    self.incoming(local, hash, progress);
                }
            }
            LinkEvent::Delivered {
                link_id,
                packet_hash,
                ..
            } => self
                .router
                .handle_link_proof(t, &link_id, &packet_hash, true),
            LinkEvent::DeliveryFailed {
                link_id,
                packet_hash,
            } => self
                .router
                .handle_link_proof(t, &link_id, &packet_hash, false),
            LinkEvent::ResourceProgress {
                link_id,
                hash,
                done,
                total,
                incoming: false,
            } => self
                .router
                .handle_resource_progress(t, &link_id, &hash, done, total),
            LinkEvent::ResourceConcluded {
                link_id,
                hash,
                status,
                incoming: false,
            } => {
                let outcome = match status {
                    ResourceStatus::Complete => ResourceOutcome::Complete,
                    ResourceStatus::Rejected => ResourceOutcome::Rejected,
                    _ => ResourceOutcome::Failed,
                };
                self.router
                    .handle_resource_concluded(t, &link_id, &hash, outcome);
            }
            _ => {}
        }
    }

    /// Reports an incoming transfer to the application (not through the
    /// router: nothing in it changes).
    fn incoming(&self, local: DestinationHash, transfer: ResourceHash, progress: IncomingProgress) {
        let _ = self.events.send(RouterEvent::Incoming {
            local,
            transfer,
            progress,
        });
    }

    /// With proofs held until stored: an accepted message's proof waits for
    /// the application; anything else is proved now. Otherwise the node has
    /// proved the packet already.
    async fn settle_proof(&mut self, accepted: Option<MessageId>, target: HeldProof) {
        if !self.router.config().prove_when_stored {
            return;
        }
        match accepted {
            Some(id) => self.pending_proofs.hold(id, target),
            None => proofs::prove(&self.net, target).await,
        }
    }

    /// Carries out the router's actions (which may queue more) and publishes
    /// its events.
    async fn drain(&mut self) {
        while let Some(action) = self.router.poll_action() {
            self.act(action).await;
        }
        while let Some(ev) = self.router.poll_event() {
            if let RouterEvent::Received(r) = &ev {
                let _ = self.inbound.send((**r).clone());
            }
            let _ = self.events.send(ev);
        }
    }

    async fn act(&mut self, action: Action) {
        let net = &self.net;
        match action {
            Action::RequestPath { destination } => {
                let _ = net.request_path(destination).await;
            }
            Action::SendPacket {
                message,
                destination,
                data,
            } => {
                let r = net.send_packet(destination, data).await;
                self.router
                    .handle_packet_sent(now(), &message, r.map_err(action_error));
            }
            Action::OpenLink { destination } => {
                // One visit to the node: no link request goes out without a path.
                let r = net
                    .with_node(move |n, now| match n.has_path(&destination) {
                        true => n
                            .open_link(now, &destination)
                            .map_err(|e| action_error(e.into())),
                        false => Err(ActionError::NoPath),
                    })
                    .await
                    .map_err(action_error)
                    .and_then(|r| r);
                self.router.handle_link_opening(now(), &destination, r);
            }
            Action::SendLinkPacket {
                message,
                link,
                data,
            } => {
                let r = net.link_send(link, data).await;
                self.router.handle_link_packet_sent(
                    now(),
                    &message,
                    &link,
                    r.map_err(action_error),
                );
            }
            Action::SendResource {
                message,
                link,
                data,
                compress,
            } => {
                let r = net
                    .with_node(move |n, t| n.send_resource(t, &link, data, None, compress))
                    .await
                    .and_then(|r| r.map_err(NetError::from));
                self.router.handle_resource_started(
                    now(),
                    &message,
                    &link,
                    r.map_err(action_error),
                );
            }
            Action::CancelResource { link, hash } => {
                let _ = net
                    .with_node(move |n, t| n.cancel_resource(t, &link, &hash))
                    .await;
            }
            Action::CloseLink { link } => {
                let _ = net.close_link(link).await;
            }
            Action::GenerateStamp { message, cost } => {
                self.generate_stamp(message, Workblock::for_message(&message), cost, false);
            }
            Action::GeneratePropagationStamp {
                message,
                transient_id,
                cost,
            } => {
                let wb = Workblock::for_propagation(&transient_id);
                self.generate_stamp(message, wb, cost, true);
            }
            Action::SealMessage {
                message,
                destination,
                packed,
            } => {
                let r = self.seal(destination, packed).await;
                self.router.handle_sealed(now(), &message, r);
            }
            Action::OpenSyncLink { node } => {
                let r = self.net.open_link(node).await;
                self.router
                    .handle_sync_link_opening(now(), r.map_err(action_error));
            }
            Action::IdentifyLink { link, local } => {
                if let Some(identity) = self.router.local_identity(&local).cloned() {
                    let _ = self.net.link_identify(link, identity).await;
                }
            }
            Action::SyncRequest { link, path, data } => {
                let r = self.net.link_request(link, path, data, None).await;
                self.router
                    .handle_sync_request_sent(now(), r.map_err(action_error));
            }
            Action::ProcessInbound { packed, method } => {
                let source = self.source_identity(source_of(&packed), None).await;
                self.router
                    .handle_inbound(now(), &packed, method, source.as_ref());
            }
            Action::CancelStamp { message } => {
                if let Some(flag) = self.stamp_jobs.remove(&message) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// Searches a stamp on the blocking pool; the answer comes back through
    /// `stamp_rx`. Too many searches at once fail the newest (it retries).
    fn generate_stamp(
        &mut self,
        message: MessageId,
        workblock: Workblock,
        cost: u32,
        propagation: bool,
    ) {
        if self.stamp_jobs.len() >= MAX_STAMP_JOBS {
            if propagation {
                self.router.handle_propagation_stamp(now(), &message, None);
            } else {
                self.router.handle_stamp(now(), &message, None);
            }
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.stamp_jobs.insert(message, Arc::clone(&cancel));
        let tx = self.stamp_tx.clone();
        tokio::task::spawn_blocking(move || {
            let mut start = random_start(&mut rns_crypto::OsRng);
            let mut cancelled = || cancel.load(Ordering::Relaxed);
            let stamp = loop {
                match workblock.search(cost, start, STAMP_BUDGET, &mut cancelled) {
                    SearchOutcome::Found { stamp, .. } => break Some(stamp.to_vec()),
                    SearchOutcome::Exhausted { .. } => {
                        start = random_start(&mut rns_crypto::OsRng);
                    }
                    _ => break None,
                }
            };
            if !cancel.load(Ordering::Relaxed) {
                let _ = tx.blocking_send((message, propagation, stamp));
            }
        });
    }
}
