//! Time: what `handle_timeout` runs, the deadline the driver should wake us
//! at, the periodic cull of expired table entries, and the stats snapshot.

use super::{Node, NodeStats};

/// Seconds between culls of expired paths, relay entries and requests.
const CULL_INTERVAL: f64 = 5.0;

impl Node {
    /// Runs whatever is due at `now`: receipts timing out, rebroadcasts,
    /// queued announces, path answers, link timers, and the periodic cull.
    /// Calling it early or repeatedly is harmless.
    pub fn handle_timeout(&mut self, now: f64) {
        self.process_receipts(now);
        self.process_announce_table(now);
        self.release_queued_announces(now);
        self.process_path_answers(now);
        self.process_links(now);
        self.release_held_responses(now);
        if now >= self.next_cull {
            self.cull(now);
            self.next_cull = now + CULL_INTERVAL;
        }
    }

    /// When `handle_timeout` next has work, if ever. The culling tick only
    /// counts while some table holds entries that can expire.
    pub fn next_deadline(&self) -> Option<f64> {
        let cull = self.has_expiring_entries().then_some(self.next_cull);
        [
            self.receipts.next_due(),
            self.announce_table.next_due(),
            self.announce_queue_deadline(),
            self.path_requests.next_due(),
            self.links_deadline(),
            self.response_hold.next_due(),
            cull,
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min)
    }

    fn has_expiring_entries(&self) -> bool {
        !self.paths.is_empty()
            || !self.tables.reverse.is_empty()
            || !self.tables.links.is_empty()
            || !self.path_requests.is_empty()
    }

    fn cull(&mut self, now: f64) {
        let interfaces = &self.interfaces;
        let exists = |i| interfaces.contains_key(&i);
        self.paths.cull(now, exists);
        self.tables.cull(now, exists);
        self.path_requests.cull(now);
        self.known.expire_ratchets(now);
        self.expire_queued_announces(now);
        self.response_hold.cull(now);
    }

    pub fn stats(&self) -> NodeStats {
        NodeStats {
            interfaces: self.counters.interfaces.clone(),
            dropped: self.counters.dropped.clone(),
            paths: self.paths.len(),
            known_destinations: self.known.len(),
            packet_hashes: self.packet_hashes.len(),
            announce_table: self.announce_table.map.len(),
            queued_announces: self.queued_announce_count(),
            reverse_table: self.tables.reverse.len(),
            link_table: self.tables.links.len(),
            links: self.links.len(),
            receipts: self.receipts.len(),
            transmit_queue: self.transmits.len(),
            event_queue: self.events.len(),
            announces_verified: self.counters.announces_verified,
        }
    }
}
