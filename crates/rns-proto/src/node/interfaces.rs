//! Attached interfaces: access codes on the way in and out, the transmit queue,
//! the announce bandwidth cap with its per-interface queue, and the ingress
//! limit on announces for destinations we have never heard of.

use std::collections::HashMap;

use rns_crypto::DestinationHash;
use rns_crypto::ifac::has_ifac_flag;
use rns_wire::packet::Packet;

use super::config::{InterfaceConfig, InterfaceId};
use super::stats::DropReason;
use super::{Node, Transmit};

/// `QUEUED_ANNOUNCE_LIFE`: queued announces older than 3 hours are dropped.
pub(crate) const QUEUED_ANNOUNCE_LIFE: f64 = 3.0 * 3600.0;

/// An announce held back by the bandwidth cap.
#[derive(Debug, Clone)]
pub(crate) struct QueuedAnnounce {
    pub(crate) destination: DestinationHash,
    pub(crate) hops: u8,
    pub(crate) emitted: u64,
    pub(crate) queued_at: f64,
    pub(crate) packet: Packet,
}

#[derive(Debug)]
pub(crate) struct Interface {
    pub(crate) config: InterfaceConfig,
    /// When the bandwidth cap lets the next announce out.
    pub(crate) announce_allowed_at: f64,
    /// One entry per destination.
    pub(crate) announce_queue: HashMap<DestinationHash, QueuedAnnounce>,
    /// Token bucket for announces of unknown destinations.
    ingress_tokens: f64,
    ingress_updated: f64,
}

impl Interface {
    pub(crate) fn new(config: InterfaceConfig, burst: f64) -> Self {
        Self {
            config,
            announce_allowed_at: 0.0,
            announce_queue: HashMap::new(),
            ingress_tokens: burst,
            ingress_updated: f64::NEG_INFINITY,
        }
    }

    /// Local links (to or from a shared instance) skip hop counting, ingress
    /// limits and the announce cap.
    pub(crate) fn is_local(&self) -> bool {
        self.config.is_local_client_of_ours || self.config.is_local_shared_instance_client
    }

    /// Takes one token for an announce of an unknown destination.
    pub(crate) fn admit_new_announce(&mut self, now: f64, rate: Option<f64>, burst: f64) -> bool {
        let Some(rate) = rate else { return true };
        if self.is_local() {
            return true;
        }
        let elapsed = (now - self.ingress_updated).max(0.0);
        self.ingress_tokens = (self.ingress_tokens + elapsed * rate).min(burst);
        self.ingress_updated = now;
        if self.ingress_tokens >= 1.0 {
            self.ingress_tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Seconds the cap charges for sending `len` bytes of announce.
    fn announce_wait(&self, len: usize) -> f64 {
        let cap = self.config.announce_cap;
        if self.config.bitrate == 0 || cap <= 0.0 || self.is_local() {
            return 0.0;
        }
        (len as f64 * 8.0 / self.config.bitrate as f64) / cap
    }
}

impl Node {
    /// Unmasks (or checks the absence of) the access code of a received frame.
    pub(crate) fn unmask(&mut self, interface: InterfaceId, raw: &[u8]) -> Option<Vec<u8>> {
        let iface = self.interfaces.get(&interface)?;
        let result = match &iface.config.ifac {
            Some(key) => key.unmask(raw).ok(),
            None => (!has_ifac_flag(raw)).then(|| raw.to_vec()),
        };
        if result.is_none() {
            self.counters.drop(DropReason::Ifac);
        }
        result
    }

    /// Encodes, masks and queues `packet` for `interface` (if it may send).
    pub(crate) fn transmit(&mut self, interface: InterfaceId, packet: &Packet) {
        let Some(iface) = self.interfaces.get(&interface) else {
            return;
        };
        if !iface.config.outbound {
            return;
        }
        let raw = packet.encode();
        let raw = match &iface.config.ifac {
            Some(key) => match key.mask(&raw) {
                Ok(masked) => masked,
                Err(_) => return self.counters.drop(DropReason::Ifac),
            },
            None => raw,
        };
        if self.transmits.len() >= self.config.limits.max_transmit_queue {
            return self.counters.drop(DropReason::TransmitQueueFull);
        }
        self.counters.tx(interface, raw.len());
        self.transmits.push_back(Transmit { interface, raw });
    }

    /// Sends an announce on `interface` now if the bandwidth cap allows,
    /// otherwise queues it (one entry per destination: a newer emission
    /// replaces an older one).
    pub(crate) fn send_capped_announce(
        &mut self,
        now: f64,
        interface: InterfaceId,
        item: QueuedAnnounce,
    ) {
        let max = self.config.limits.max_queued_announces;
        let Some(iface) = self.interfaces.get_mut(&interface) else {
            return;
        };
        if now >= iface.announce_allowed_at {
            iface.announce_allowed_at = now + iface.announce_wait(item.packet.encoded_len());
            return self.transmit(interface, &item.packet);
        }
        let queue = &mut iface.announce_queue;
        if let Some(old) = queue.get_mut(&item.destination) {
            if item.emitted > old.emitted {
                *old = item;
            }
        } else if queue.len() < max {
            queue.insert(item.destination, item);
        } else {
            self.counters.drop(DropReason::AnnounceQueueFull);
        }
    }

    /// Releases queued announces whose turn has come: the closest destination
    /// first, then the longest waiting.
    pub(crate) fn release_queued_announces(&mut self, now: f64) {
        let ids: Vec<InterfaceId> = self.interfaces.keys().copied().collect();
        for id in ids {
            let Some(iface) = self.interfaces.get_mut(&id) else {
                continue;
            };
            if iface.announce_queue.is_empty() || now < iface.announce_allowed_at {
                continue;
            }
            let best = iface
                .announce_queue
                .values()
                .min_by(|a, b| {
                    a.hops
                        .cmp(&b.hops)
                        .then(a.queued_at.total_cmp(&b.queued_at))
                })
                .map(|q| q.destination);
            if let Some(item) = best.and_then(|d| iface.announce_queue.remove(&d)) {
                iface.announce_allowed_at = now + iface.announce_wait(item.packet.encoded_len());
                self.transmit(id, &item.packet);
            }
        }
    }

    /// Drops queued announces older than `QUEUED_ANNOUNCE_LIFE`.
    pub(crate) fn expire_queued_announces(&mut self, now: f64) {
        for iface in self.interfaces.values_mut() {
            iface
                .announce_queue
                .retain(|_, q| now < q.queued_at + QUEUED_ANNOUNCE_LIFE);
        }
    }

    /// The earliest time a queued announce can go out.
    pub(crate) fn announce_queue_deadline(&self) -> Option<f64> {
        self.interfaces
            .values()
            .filter(|i| !i.announce_queue.is_empty())
            .map(|i| i.announce_allowed_at)
            .reduce(f64::min)
    }

    pub(crate) fn queued_announce_count(&self) -> usize {
        self.interfaces
            .values()
            .map(|i| i.announce_queue.len())
            .sum()
    }
}
