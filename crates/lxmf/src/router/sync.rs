//! Retrieval from a propagation node (protocol.md §17): link to the node,
//! identify as one of our delivery identities, request `/get` with
//! `[nil, nil]` for the list of waiting transient ids, then `/get` with
//! `[wants, haves, delivery_limit_kB]` for the messages (the node deletes the
//! haves). Downloaded containers are opened with our identity and go through
//! the normal inbound path (duplicates dropped by transient id and message id).
//!
//! Choices: one sync at a time; after a download the list is asked for again,
//! so what was just taken in is reported as "have" (and deleted by the node)
//! and anything left over by the size limit is fetched next; a list with no
//! wants but some haves gets one last request that only deletes; at most
//! [`MAX_SYNC_ROUNDS`] requests per sync; the sync link is closed at the end.

use rns_crypto::DestinationHash;
use rns_msgpack::Value;
use rns_proto::node::{LinkId, RequestId};

use super::{Action, ActionError, Router, RouterEvent};
use crate::delivery::{Method, container_destination, open, transient_id};

/// Requests one sync may make before it stops (and reports `Complete`).
pub const MAX_SYNC_ROUNDS: u32 = 32;
/// Transient ids in one list we look at (a hostile node could send more).
pub const MAX_LISTED: usize = 65_536;

/// Where a sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// The node's identity is unknown; a path was requested.
    PathRequested,
    LinkEstablishing,
    /// Asked for the list of waiting messages.
    Listing,
    /// Asked for messages; the response (maybe a resource) is coming.
    Downloading,
    Complete,
    Failed,
}

/// Why a sync failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncFailure {
    /// None chosen and none announced.
    NoPropagationNode,
    /// No path to the node came in time.
    NoPath,
    /// The link did not come up, or closed during the sync.
    LinkFailed,
    /// A request timed out or its transfer failed.
    RequestFailed,
    /// The node answered with an error code ([`crate::propagation::error_code`]).
    NodeError(u8),
    /// The node's answer was not a list.
    Malformed,
}

/// Progress and outcome of a sync, reported as [`RouterEvent::Sync`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStatus {
    /// Our delivery destination the sync is for.
    pub local: DestinationHash,
    pub node: Option<DestinationHash>,
    pub state: SyncState,
    /// 0.0 ..= 1.0 of the current download.
    pub progress: f64,
    /// Containers downloaded and handed to inbound processing.
    pub downloaded: usize,
    /// Containers skipped: already taken in before, or not openable by us.
    pub skipped: usize,
    pub failure: Option<SyncFailure>,
}

/// Why a sync did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("{0} is not one of our delivery destinations")]
    UnknownLocal(DestinationHash),
    #[error("a sync is already running")]
    Busy,
}

#[derive(Debug, Clone)]
pub(crate) struct SyncJob {
    pub(crate) local: DestinationHash,
    pub(crate) node: DestinationHash,
    pub(crate) link: Option<LinkId>,
    pub(crate) state: SyncState,
    pub(crate) request: Option<RequestId>,
    pub(crate) deadline: Option<f64>,
    path_requested: bool,
    /// The outstanding request only deletes haves.
    last_round: bool,
    rounds: u32,
    progress: f64,
    downloaded: usize,
    skipped: usize,
}

impl SyncJob {
    fn status(&self, failure: Option<SyncFailure>) -> SyncStatus {
        SyncStatus {
            local: self.local,
            node: Some(self.node),
            state: self.state,
            progress: self.progress,
            downloaded: self.downloaded,
            skipped: self.skipped,
            failure,
        }
    }
}

impl Router {
    /// Starts a sync of our delivery destination `local` with `node` (or the
    /// node [`Router::propagation_node`] picks). Progress and the outcome
    /// come as [`RouterEvent::Sync`]; the returned status is the first.
    pub fn start_sync(
        &mut self,
        now: f64,
        local: DestinationHash,
        node: Option<DestinationHash>,
    ) -> Result<SyncStatus, SyncError> {
        if !self.locals.contains_key(&local) {
            return Err(SyncError::UnknownLocal(local));
        }
        if self.sync.is_some() {
            return Err(SyncError::Busy);
        }
        let Some(node) = node.or_else(|| self.pick_node()) else {
            let status = SyncStatus {
                local,
                node: None,
                state: SyncState::Failed,
                progress: 0.0,
                downloaded: 0,
                skipped: 0,
                failure: Some(SyncFailure::NoPropagationNode),
            };
            self.events.push_back(RouterEvent::Sync(status.clone()));
            return Ok(status);
        };
        let job = SyncJob {
            local,
            node,
            link: None,
            state: SyncState::LinkEstablishing,
            request: None,
            deadline: Some(now + self.config.link_establishment_timeout),
            path_requested: false,
            last_round: false,
            rounds: 0,
            progress: 0.0,
            downloaded: 0,
            skipped: 0,
        };
        let status = job.status(None);
        self.sync = Some(job);
        self.actions.push_back(Action::OpenSyncLink { node });
        self.events.push_back(RouterEvent::Sync(status.clone()));
        Ok(status)
    }

    /// The running sync, if any.
    pub fn sync_status(&self) -> Option<SyncStatus> {
        self.sync.as_ref().map(|j| j.status(None))
    }

    fn sync_emit(&mut self) {
        if let Some(j) = &self.sync {
            self.events.push_back(RouterEvent::Sync(j.status(None)));
        }
    }

    fn sync_end(&mut self, failure: Option<SyncFailure>) {
        let Some(mut job) = self.sync.take() else {
            return;
        };
        job.state = if failure.is_some() {
            SyncState::Failed
        } else {
            job.progress = 1.0;
            SyncState::Complete
        };
        if let Some(link) = job.link {
            self.actions.push_back(Action::CloseLink { link });
        }
        self.events
            .push_back(RouterEvent::Sync(job.status(failure)));
    }

    /// The driver asked for the sync link (or could not: the node's identity
    /// is unknown, so a path is requested first).
    pub fn handle_sync_link_opening(&mut self, now: f64, result: Result<LinkId, ActionError>) {
        let wait = self.config.path_request_wait;
        let Some(job) = self.sync.as_mut() else {
            if let Ok(link) = result {
                self.actions.push_back(Action::CloseLink { link });
            }
            return;
        };
        match result {
            Ok(link) => job.link = Some(link),
            Err(ActionError::UnknownIdentity | ActionError::NoPath) if !job.path_requested => {
                job.path_requested = true;
                job.state = SyncState::PathRequested;
                job.deadline = Some(now + wait);
                let node = job.node;
                self.actions
                    .push_back(Action::RequestPath { destination: node });
                self.sync_emit();
            }
            Err(ActionError::UnknownIdentity | ActionError::NoPath) => {
                self.sync_end(Some(SyncFailure::NoPath))
            }
            Err(ActionError::Other(_)) => self.sync_end(Some(SyncFailure::LinkFailed)),
        }
    }

    /// A path to (or an announce of) `destination` came: a sync waiting for
    /// it opens its link.
    pub fn sync_path_found(&mut self, now: f64, destination: &DestinationHash) {
        let timeout = self.config.link_establishment_timeout;
        let Some(job) = self.sync.as_mut() else {
            return;
        };
        if job.node == *destination && job.state == SyncState::PathRequested {
            job.state = SyncState::LinkEstablishing;
            job.deadline = Some(now + timeout);
            self.actions
                .push_back(Action::OpenSyncLink { node: *destination });
            self.sync_emit();
        }
    }

    /// Called for every established link; true if it is the sync's.
    pub(crate) fn sync_link_established(&mut self, link: &LinkId) -> bool {
        let Some(job) = self.sync.as_mut() else {
            return false;
        };
        if job.link != Some(*link) {
            return false;
        }
        let local = job.local;
        self.actions
            .push_back(Action::IdentifyLink { link: *link, local });
        self.sync_request(
            Value::Array(vec![Value::Nil, Value::Nil]),
            SyncState::Listing,
        );
        true
    }

    fn sync_request(&mut self, data: Value, state: SyncState) {
        let Some(job) = self.sync.as_mut() else {
            return;
        };
        let Some(link) = job.link else {
            return;
        };
        job.rounds += 1;
        job.state = state;
        job.deadline = None;
        job.request = None;
        job.progress = 0.0;
        self.actions.push_back(Action::SyncRequest {
            link,
            path: "/get".into(),
            data,
        });
        self.sync_emit();
    }

    /// Called for every closed link; true if it was the sync's.
    pub(crate) fn sync_link_closed(&mut self, link: &LinkId) -> bool {
        if self.sync.as_ref().is_some_and(|j| j.link == Some(*link)) {
            if let Some(j) = self.sync.as_mut() {
                // Already closed: nothing to close at the end.
                j.link = None;
            }
            self.sync_end(Some(SyncFailure::LinkFailed));
            return true;
        }
        false
    }

    /// The driver sent a sync request (or could not).
    pub fn handle_sync_request_sent(&mut self, _now: f64, result: Result<RequestId, ActionError>) {
        match result {
            Ok(id) => {
                if let Some(j) = self.sync.as_mut() {
                    j.request = Some(id);
                }
            }
            Err(_) => self.sync_end(Some(SyncFailure::RequestFailed)),
        }
    }

    fn is_sync_request(&self, link: &LinkId, request: &RequestId) -> bool {
        self.sync
            .as_ref()
            .is_some_and(|j| j.link == Some(*link) && j.request == Some(*request))
    }

    /// A sync request failed (timeout, transfer, link). False if it was not
    /// the sync's.
    pub fn handle_sync_request_failed(&mut self, link: &LinkId, request: &RequestId) -> bool {
        if !self.is_sync_request(link, request) {
            return false;
        }
        self.sync_end(Some(SyncFailure::RequestFailed));
        true
    }

    /// Incoming transfer progress on a link; true if it was the sync's.
    pub fn handle_sync_progress(&mut self, link: &LinkId, done: u64, total: u64) -> bool {
        let Some(job) = self.sync.as_mut() else {
            return false;
        };
        if job.link != Some(*link) {
            return false;
        }
        // Precision loss is fine for a progress bar.
        #[allow(clippy::cast_precision_loss)]
        let p = if total == 0 {
            0.0
        } else {
            (done as f64 / total as f64).clamp(0.0, 1.0)
        };
        job.progress = p;
        self.sync_emit();
        true
    }

    /// The node answered a sync request. False if it was not the sync's.
    pub fn handle_sync_response(
        &mut self,
        now: f64,
        link: &LinkId,
        request: &RequestId,
        response: &Value,
    ) -> bool {
        if !self.is_sync_request(link, request) {
            return false;
        }
        if let Some(code) = response.as_u64() {
            let code = u8::try_from(code).unwrap_or(u8::MAX);
            self.sync_end(Some(SyncFailure::NodeError(code)));
            return true;
        }
        let Some(items) = response.as_array() else {
            self.sync_end(Some(SyncFailure::Malformed));
            return true;
        };
        let Some(job) = self.sync.as_ref() else {
            return true;
        };
        let (state, last_round, rounds) = (job.state, job.last_round, job.rounds);
        if state == SyncState::Listing {
            let mut wants = Vec::new();
            let mut haves = Vec::new();
            for id in items.iter().take(MAX_LISTED).filter_map(Value::as_bin) {
                let Ok(tid) = <[u8; 32]>::try_from(id) else {
                    continue;
                };
                let v = Value::Bin(tid.to_vec());
                if self.transient_set.contains(&tid) {
                    haves.push(v);
                } else {
                    wants.push(v);
                }
            }
            if (wants.is_empty() && haves.is_empty()) || rounds >= MAX_SYNC_ROUNDS {
                self.sync_end(None);
                return true;
            }
            if let Some(j) = self.sync.as_mut() {
                j.last_round = wants.is_empty();
            }
            let limit = Value::UInt(self.config.delivery_limit_kb);
            self.sync_request(
                Value::Array(vec![Value::Array(wants), Value::Array(haves), limit]),
                SyncState::Downloading,
            );
            return true;
        }
        // Downloading: the messages, stamps stripped.
        let mut got = 0usize;
        for container in items.iter().filter_map(Value::as_bin) {
            got += 1;
            self.take_container(now, container, Method::Propagated);
        }
        if last_round || got == 0 || rounds >= MAX_SYNC_ROUNDS {
            self.sync_end(None);
        } else {
            // Again: what we took is now "have", and the rest may follow.
            self.sync_request(
                Value::Array(vec![Value::Nil, Value::Nil]),
                SyncState::Listing,
            );
        }
        true
    }

    /// A container (`dest || encrypted`) from a propagation node or paper:
    /// dropped if taken in before (by transient id) or not for us; otherwise
    /// opened and handed to the driver for inbound processing. Returns
    /// whether it was handed on.
    pub(crate) fn take_container(&mut self, _now: f64, container: &[u8], method: Method) -> bool {
        let tid = transient_id(container);
        let opened = container_destination(container)
            .and_then(|d| self.locals.get(&d))
            .and_then(|l| {
                let enforce = self.config.enforce_ratchets && method != Method::Paper;
                open(container, &l.identity, &l.ratchets, enforce).ok()
            });
        let fresh = !self.transient_set.contains(&tid);
        let counted = match (fresh, opened) {
            (true, Some(packed)) => {
                self.remember_transient(tid);
                self.actions
                    .push_back(Action::ProcessInbound { packed, method });
                true
            }
            _ => false,
        };
        if let Some(j) = self.sync.as_mut()
            && method == Method::Propagated
        {
            if counted {
                j.downloaded += 1;
            } else {
                j.skipped += 1;
            }
        }
        counted
    }

    fn remember_transient(&mut self, tid: [u8; 32]) {
        let cap = self.config.dedup_capacity.max(1);
        while self.transient_seen.len() >= cap {
            if let Some(old) = self.transient_seen.pop_front() {
                self.transient_set.remove(&old);
            }
        }
        self.transient_seen.push_back(tid);
        self.transient_set.insert(tid);
    }

    /// Deadlines of a sync waiting for a path or a link.
    pub(crate) fn sync_timeout(&mut self, now: f64) {
        let Some(job) = self.sync.as_ref() else {
            return;
        };
        if job.deadline.is_some_and(|d| now >= d) {
            let failure = if job.state == SyncState::PathRequested {
                SyncFailure::NoPath
            } else {
                SyncFailure::LinkFailed
            };
            self.sync_end(Some(failure));
        }
    }
}
