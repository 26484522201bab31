//! Transport mode: rebroadcasting other destinations' announces.
//!
//! An accepted announce waits a random moment (up to `PATHFINDER_RW`), goes
//! out as HEADER_2 with our transport id, and is retried `PATHFINDER_R` times
//! `PATHFINDER_G` later, unless we hear it rebroadcast by `LOCAL_REBROADCASTS_MAX`
//! neighbours at our level or passed on one hop further. Announces for local
//! clients (when we are their shared instance) go out at once, even without
//! transport.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rns_crypto::{CryptoRngCore, DestinationHash};
use rns_wire::announce::{Announce, RandomHash};
use rns_wire::constants::PATHFINDER_M;
use rns_wire::packet::{Context, Header, Packet, TransportType};

use super::Node;
use super::bounded::BoundedMap;
use super::config::{InterfaceId, InterfaceMode};
use super::inbound::Arrival;
use super::interfaces::QueuedAnnounce;

/// `PATHFINDER_R`: retries after the first rebroadcast.
pub(crate) const PATHFINDER_R: u8 = 1;
/// `PATHFINDER_G`: seconds between rebroadcast attempts.
pub(crate) const PATHFINDER_G: f64 = 5.0;
/// `PATHFINDER_RW`: the random window added to each attempt.
pub(crate) const PATHFINDER_RW: f64 = 0.5;
/// `LOCAL_REBROADCASTS_MAX`: stop once this many neighbours rebroadcast it.
pub(crate) const LOCAL_REBROADCASTS_MAX: u8 = 2;

#[derive(Debug, Clone)]
pub(crate) struct AnnounceEntry {
    pub(crate) due: f64,
    /// Transmissions made so far.
    pub(crate) retries: u8,
    pub(crate) local_rebroadcasts: u8,
    pub(crate) hops: u8,
    pub(crate) blob: RandomHash,
    pub(crate) packet: Packet,
    pub(crate) from: InterfaceId,
}

/// When an entry is due: a min-heap of these finds due entries without
/// scanning the table. Entries rescheduled or removed leave stale timers
/// behind, which are skipped when they come up.
#[derive(Debug, Clone, Copy)]
struct Timer {
    due: f64,
    destination: DestinationHash,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.due
            .total_cmp(&other.due)
            .then_with(|| self.destination.cmp(&other.destination))
    }
}

#[derive(Debug)]
pub(crate) struct AnnounceTable {
    pub(crate) map: BoundedMap<DestinationHash, AnnounceEntry>,
    timers: BinaryHeap<Reverse<Timer>>,
}

impl AnnounceTable {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: BoundedMap::new(cap),
            timers: BinaryHeap::new(),
        }
    }

    /// No entry is due before this (a stale timer may make it early).
    pub(crate) fn next_due(&self) -> Option<f64> {
        self.timers.peek().map(|t| t.0.due)
    }

    fn schedule(&mut self, destination: DestinationHash, due: f64) {
        self.timers.push(Reverse(Timer { due, destination }));
        // Stale timers are bounded too: rebuild once they outnumber entries.
        if self.timers.len() > 2 * self.map.len() + 64 {
            self.timers = self
                .map
                .iter()
                .map(|(d, e)| {
                    Reverse(Timer {
                        due: e.due,
                        destination: *d,
                    })
                })
                .collect();
        }
    }

    /// The next entry due by `now`, skipping stale timers.
    fn pop_due(&mut self, now: f64) -> Option<DestinationHash> {
        while let Some(Reverse(timer)) = self.timers.peek().copied() {
            if timer.due > now {
                return None;
            }
            self.timers.pop();
            let live = self
                .map
                .get(&timer.destination)
                .is_some_and(|e| e.due == timer.due);
            if live {
                return Some(timer.destination);
            }
        }
        None
    }
}

/// A uniformly random delay in `[0, window)`.
pub(crate) fn jitter(rng: &mut dyn CryptoRngCore, window: f64) -> f64 {
    (rng.next_u32() as f64 / (u32::MAX as f64 + 1.0)) * window
}

/// Whether an announce relayed from an interface of `from` mode may go out on
/// one of `to` mode: access points get none, roaming interfaces none from
/// roaming or boundary ones, boundary interfaces none from roaming ones.
pub(crate) fn relay_allowed(to: InterfaceMode, from: Option<InterfaceMode>) -> bool {
    !matches!(
        (to, from),
        (InterfaceMode::AccessPoint, _)
            | (
                InterfaceMode::Roaming,
                Some(InterfaceMode::Roaming | InterfaceMode::Boundary)
            )
            | (InterfaceMode::Boundary, Some(InterfaceMode::Roaming))
    )
}

impl Node {
    pub(crate) fn schedule_rebroadcast(
        &mut self,
        now: f64,
        packet: &Packet,
        blob: RandomHash,
        at: Arrival,
        is_path_response: bool,
    ) {
        let for_client = at.from_local_client;
        // Path responses are answers, not news: only local clients' go out again.
        let wanted = if for_client {
            true
        } else {
            self.config.transport_enabled && !is_path_response
        };
        if !wanted {
            return;
        }
        if packet.hops >= PATHFINDER_M - 1 {
            return;
        }
        let due = if for_client {
            now
        } else {
            now + jitter(&mut *self.rng, PATHFINDER_RW)
        };
        let entry = AnnounceEntry {
            due,
            retries: 0,
            local_rebroadcasts: 0,
            hops: packet.hops,
            blob,
            packet: packet.clone(),
            from: at.interface,
        };
        let table = &mut self.announce_table;
        if table.map.insert(packet.destination, entry).is_some() {
            self.counters.drop(super::stats::DropReason::TableEvicted);
        }
        table.schedule(packet.destination, due);
    }

    /// Another node rebroadcast an announce we are waiting to rebroadcast.
    pub(crate) fn note_rebroadcast(&mut self, packet: &Packet, announce: &Announce) {
        let destination = packet.destination;
        let Some(entry) = self.announce_table.map.get_mut(&destination) else {
            return;
        };
        if entry.blob != announce.random_hash {
            return;
        }
        let heard = packet.hops.saturating_sub(1);
        let done = if heard == entry.hops {
            entry.local_rebroadcasts = entry.local_rebroadcasts.saturating_add(1);
            entry.retries > 0 && entry.local_rebroadcasts >= LOCAL_REBROADCASTS_MAX
        } else {
            heard == entry.hops.saturating_add(1) && entry.retries > 0
        };
        if done {
            self.announce_table.map.remove(&destination);
        }
    }

    /// Sends the rebroadcasts that are due.
    pub(crate) fn process_announce_table(&mut self, now: f64) {
        while let Some(destination) = self.announce_table.pop_due(now) {
            let retry_at = now + PATHFINDER_G + jitter(&mut *self.rng, PATHFINDER_RW);
            let Some(entry) = self.announce_table.map.get_mut(&destination) else {
                continue;
            };
            entry.retries = entry.retries.saturating_add(1);
            entry.due = retry_at;
            let (packet, hops, from) = (entry.packet.clone(), entry.hops, entry.from);
            if entry.retries > PATHFINDER_R {
                self.announce_table.map.remove(&destination);
            } else {
                self.announce_table.schedule(destination, retry_at);
            }
            self.rebroadcast(now, packet, hops, from);
        }
    }

    /// One rebroadcast on every interface the modes allow (local clients got
    /// the announce already).
    fn rebroadcast(&mut self, now: f64, packet: Packet, hops: u8, from: InterfaceId) {
        let from_mode = self.interfaces.get(&from).map(|i| i.config.mode);
        let emitted = Announce::from_packet(&packet).map_or(0, |a| a.emission_timebase());
        let packet = Packet {
            header: Header::Type2 {
                transport_id: self.transport_id,
            },
            transport_type: TransportType::Transport,
            hops,
            ..packet
        };
        let targets: Vec<InterfaceId> = self
            .interfaces
            .iter()
            .filter(|(_, i)| !i.config.is_local_client_of_ours)
            .filter(|(_, i)| relay_allowed(i.config.mode, from_mode))
            .map(|(id, _)| *id)
            .collect();
        for interface in targets {
            let item = QueuedAnnounce {
                destination: packet.destination,
                hops,
                emitted,
                queued_at: now,
                packet: packet.clone(),
            };
            self.send_capped_announce(now, interface, item);
        }
    }

    /// As a shared instance: every accepted announce goes to our local clients
    /// at once, in transport form with our id, so they route through us, and
    /// as a plain announce (context NONE) even when it answered a path request:
    /// the reference's instance relays them so (observed on the wire), and its
    /// clients' announce handlers, which skip path responses by default, see
    /// them.
    pub(crate) fn relay_to_local_clients(&mut self, packet: &Packet, at: Arrival) {
        let clients: Vec<InterfaceId> = self
            .interfaces
            .iter()
            .filter(|(id, i)| i.config.is_local_client_of_ours && **id != at.interface)
            .map(|(id, _)| *id)
            .collect();
        if clients.is_empty() {
            return;
        }
        let relayed = Packet {
            header: Header::Type2 {
                transport_id: self.transport_id,
            },
            transport_type: TransportType::Transport,
            context: Context::NONE,
            ..packet.clone()
        };
        for interface in clients {
            self.transmit(interface, &relayed);
        }
    }
}
