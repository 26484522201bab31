//! Announces in: validation, the identity store, the path table update rule,
//! and events. Announces out: our own destinations' announces on every
//! interface, under the bandwidth cap.

use rns_crypto::{DestinationHash, IdentityHash, RememberedRatchet};
use rns_wire::announce::{
    Announce, AnnounceReason, MIN_PAYLOAD_LEN, RATCHET_LEN, ValidatedAnnounce,
};
use rns_wire::constants::MDU;
use rns_wire::packet::{Context, DestinationKind, Packet};

use super::inbound::Arrival;
use super::interfaces::QueuedAnnounce;
use super::path_table::{Candidate, PathEntry, lifetime};
use super::stats::DropReason;
use super::{Event, Node, NodeError};

impl Node {
    /// An ANNOUNCE packet. `duplicate`: its hash is in the dedup list, so this
    /// exact announce was validated before; it only counts as a rebroadcast
    /// heard and is not verified again.
    pub(crate) fn on_announce(&mut self, now: f64, packet: Packet, at: Arrival, duplicate: bool) {
        if packet.destination_kind != DestinationKind::Single {
            return self.counters.drop(DropReason::Malformed);
        }
        if self.destinations.contains_key(&packet.destination) {
            return; // our own announce, echoed back by a neighbour
        }
        let Ok(announce) = Announce::from_packet(&packet) else {
            return self.counters.drop(DropReason::Malformed);
        };
        if duplicate {
            return self.note_rebroadcast(&packet, &announce);
        }
        let Some(announce) = self.admit_announce(now, announce, at) else {
            return;
        };
        self.counters.announces_verified += 1;
        if self.deferred_verification {
            return self.defer_verification(packet, announce, at);
        }
        let Some(valid) = self.verification_outcome(announce.validate()) else {
            return;
        };
        self.after_validation(now, packet, &valid, at);
    }

    /// What follows a good signature, in line or deferred: remember the
    /// identity, then update the path table if the announce is newer.
    pub(crate) fn after_validation(
        &mut self,
        now: f64,
        packet: Packet,
        valid: &ValidatedAnnounce,
        at: Arrival,
    ) {
        self.packet_hashes.insert(packet.truncated_hash());
        self.learn(now, valid);
        self.note_rebroadcast(&packet, valid);
        let candidate = Candidate {
            hops: packet.hops,
            blob: valid.random_hash,
            emitted: valid.emission_timebase(),
        };
        if !self
            .paths
            .should_update(&packet.destination, candidate, now)
        {
            return self.counters.drop(DropReason::AnnounceNotNewer);
        }
        self.accept_announce(now, packet, valid, candidate, at);
    }

    /// The cheap checks before the signature: key consistency and the
    /// ingress limit for unknown destinations.
    fn admit_announce(&mut self, now: f64, announce: Announce, at: Arrival) -> Option<Announce> {
        let destination = announce.destination;
        if self.known.conflicts(&destination, &announce.identity) {
            self.counters.drop(DropReason::AnnounceKeyMismatch);
            return None;
        }
        let unknown = self.known.get(&destination).is_none()
            && self.paths.get(&destination).is_none()
            && !self.path_requests.awaited(&destination, now);
        let (rate, burst) = (
            self.config.limits.new_announce_rate,
            self.config.limits.new_announce_burst,
        );
        if unknown
            && let Some(iface) = self.interfaces.get_mut(&at.interface)
            && !iface.admit_new_announce(now, rate, burst)
        {
            self.counters.drop(DropReason::AnnounceRateLimited);
            return None;
        }
        Some(announce)
    }

    /// Remembers the identity, app data and ratchet of a valid announce.
    fn learn(&mut self, now: f64, valid: &ValidatedAnnounce) {
        let ratchet = valid.ratchet.map(|r| RememberedRatchet::new(r.0, now));
        let app_data = valid.app_data().map(<[u8]>::to_vec);
        self.known.learn(
            valid.destination,
            valid.identity().clone(),
            app_data,
            ratchet,
        );
    }

    fn accept_announce(
        &mut self,
        now: f64,
        packet: Packet,
        valid: &ValidatedAnnounce,
        candidate: Candidate,
        at: Arrival,
    ) {
        let destination = packet.destination;
        let hops = packet.hops;
        // Straight from the destination, the "next hop" is the destination itself.
        let next_hop = packet
            .transport_id()
            .copied()
            .unwrap_or(IdentityHash(destination.0));
        let is_path_response = packet.context == Context::PATH_RESPONSE;
        let entry = PathEntry {
            timestamp: now,
            next_hop,
            hops,
            expires: now + lifetime(at.mode),
            interface: at.interface,
            random_blobs: Default::default(),
            emitted: candidate.emitted,
            announce: packet.clone(),
        };
        if self
            .paths
            .update(destination, entry, candidate.blob)
            .is_some()
        {
            self.counters.drop(DropReason::TableEvicted);
        }
        self.push_event(Event::AnnounceReceived {
            destination,
            identity: valid.identity().clone(),
            name_hash: valid.name_hash,
            app_data: valid.app_data().map(<[u8]>::to_vec),
            hops,
            interface: at.interface,
            ratchet: valid.ratchet.map(|r| r.0),
            is_path_response,
        });
        self.push_event(Event::PathFound { destination, hops });
        self.schedule_rebroadcast(now, &packet, valid.random_hash, at, is_path_response);
        self.relay_to_local_clients(&packet, at);
        self.answer_discovery(&destination);
    }

    /// Announces a local SINGLE destination on every outbound interface.
    pub(crate) fn announce_local(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        app_data: Option<&[u8]>,
    ) -> Result<(), NodeError> {
        let local = self
            .destinations
            .get_mut(destination)
            .ok_or(NodeError::UnknownDestination(*destination))?;
        if let Some(data) = app_data {
            let ratchet_len = match local.single() {
                Some(s) if s.ratchets.is_some() => RATCHET_LEN,
                _ => 0,
            };
            let max = MDU - MIN_PAYLOAD_LEN - ratchet_len;
            if data.len() > max {
                return Err(NodeError::TooLarge {
                    max,
                    got: data.len(),
                });
            }
            local.app_data = data.to_vec();
        }
        let packet = self.build_announce(now, destination, AnnounceReason::Unsolicited)?;
        let emitted = now.max(0.0) as u64;
        let targets: Vec<_> = self.interfaces.keys().copied().collect();
        for interface in targets {
            let item = QueuedAnnounce {
                destination: *destination,
                hops: 0,
                emitted,
                queued_at: now,
                packet: packet.clone(),
            };
            self.send_capped_announce(now, interface, item);
        }
        Ok(())
    }
}
