//! What announces tell the router: delivery destinations (name, stamp cost,
//! compression) and propagation nodes.

use rns_crypto::{DestinationHash, NameHash, name_hash};
use rns_wire::lxmf_app_data::{DeliveryAppData, PropagationNodeAppData, SF_COMPRESSION};

use super::{Router, RouterEvent};

/// A recipient whose identity the network knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub display_name: Option<Vec<u8>>,
    /// The stamp cost it asks of senders (1..=254), if any.
    pub stamp_cost: Option<u8>,
    /// Whether it takes bz2-compressed resources (true unless it announced a
    /// feature list without [`SF_COMPRESSION`]).
    pub compression: bool,
    pub last_heard: f64,
}

/// A propagation node heard from.
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationNode {
    pub app_data: PropagationNodeAppData,
    /// Hops away when last heard (if the driver said).
    pub hops: Option<u8>,
    pub last_heard: f64,
}

fn delivery_name() -> NameHash {
    name_hash("lxmf.delivery")
}

fn propagation_name() -> NameHash {
    name_hash("lxmf.propagation")
}

impl Router {
    /// An announce arrived. Delivery announces update the peer and make its
    /// queued messages due at once; propagation-node announces are reported.
    /// Other names are ignored. Returns whether it was an LXMF announce.
    pub fn handle_announce(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        name: &NameHash,
        app_data: Option<&[u8]>,
    ) -> bool {
        if *name == delivery_name() {
            let parsed = app_data.and_then(|a| DeliveryAppData::decode(a).ok());
            self.learn_peer(now, destination, app_data);
            self.events.push_back(RouterEvent::PeerAnnounced {
                destination: *destination,
                app_data: parsed,
            });
            self.make_due(now, destination);
            true
        } else if *name == propagation_name() {
            if let Some(pn) = app_data.and_then(|a| PropagationNodeAppData::decode(a).ok()) {
                self.learn_node(now, destination, pn.clone());
                self.events
                    .push_back(RouterEvent::PropagationNodeAnnounced {
                        destination: *destination,
                        app_data: Box::new(pn),
                    });
            }
            self.make_due_via(now, destination);
            self.sync_path_found(now, destination);
            true
        } else {
            false
        }
    }

    /// Records a propagation node and what it announced.
    pub fn learn_node(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        app_data: PropagationNodeAppData,
    ) {
        let hops = self.nodes.get(destination).and_then(|n| n.hops);
        if !self.nodes.contains_key(destination)
            && self.nodes.len() >= self.config.max_propagation_nodes
        {
            let chosen = self.propagation_node;
            let oldest = self
                .nodes
                .iter()
                .filter(|(d, _)| Some(**d) != chosen)
                .min_by(|a, b| a.1.last_heard.total_cmp(&b.1.last_heard))
                .map(|(d, _)| *d);
            match oldest {
                Some(d) => {
                    self.nodes.remove(&d);
                }
                None => return,
            }
        }
        self.nodes.insert(
            *destination,
            PropagationNode {
                app_data,
                hops,
                last_heard: now,
            },
        );
    }

    /// How far a propagation node is (from the announce's hop count), for
    /// picking the nearest.
    pub fn set_node_hops(&mut self, destination: &DestinationHash, hops: u8) {
        if let Some(n) = self.nodes.get_mut(destination) {
            n.hops = Some(hops);
        }
    }

    pub fn propagation_nodes(&self) -> impl Iterator<Item = (&DestinationHash, &PropagationNode)> {
        self.nodes.iter()
    }

    /// Records that the network knows `destination`'s identity, with the
    /// app_data it last announced (from an announce, or recalled from the
    /// network's store). Does not make queued messages due; see
    /// [`Router::handle_path_found`].
    pub fn learn_peer(&mut self, now: f64, destination: &DestinationHash, app_data: Option<&[u8]>) {
        let parsed = app_data.and_then(|a| DeliveryAppData::decode(a).ok());
        let peer = Peer {
            display_name: parsed
                .as_ref()
                .and_then(|p| p.display_name().map(<[u8]>::to_vec)),
            stamp_cost: parsed.as_ref().and_then(DeliveryAppData::stamp_cost),
            compression: parsed
                .as_ref()
                .and_then(|p| p.supports(SF_COMPRESSION))
                .unwrap_or(true),
            last_heard: now,
        };
        if !self.peers.contains_key(destination) && self.peers.len() >= self.config.max_peers {
            // Forget the peer heard from longest ago that no message waits for.
            let busy: std::collections::HashSet<DestinationHash> = self
                .outbound
                .values()
                .map(|m| m.packed.message().destination_hash)
                .collect();
            let oldest = self
                .peers
                .iter()
                .filter(|(d, _)| !busy.contains(*d))
                .min_by(|a, b| a.1.last_heard.total_cmp(&b.1.last_heard))
                .map(|(d, _)| *d);
            match oldest {
                Some(d) => {
                    self.peers.remove(&d);
                }
                None => return,
            }
        }
        self.peers.insert(*destination, peer);
    }

    pub fn peer(&self, destination: &DestinationHash) -> Option<&Peer> {
        self.peers.get(destination)
    }
}
