//! Our own destinations: what the application registers, and the keys to
//! decrypt and sign for them.

use rns_crypto::destination::expand_name;
use rns_crypto::{
    DestinationHash, GroupKey, NameHash, PrivateIdentity, RatchetSet, destination_hash, name_hash,
    random_hash,
};
use rns_wire::announce::{AnnounceReason, RandomHash, RatchetPublicKey, ValidatedAnnounce};
use rns_wire::packet::Packet;
use rns_wire::path_request::PathRequestTag;

use super::link_api::ProofStrategy;
use super::{Event, Node, NodeError};

/// A destination to register with [`Node::register_destination`](super::Node::register_destination).
#[derive(Debug, Clone)]
pub struct DestinationSpec {
    pub app_name: String,
    pub aspects: Vec<String>,
    pub kind: SpecKind,
}

/// The kind-specific part of a [`DestinationSpec`].
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum SpecKind {
    /// A SINGLE IN destination: encrypted to its identity, can announce.
    Single(SingleSpec),
    /// A PLAIN destination: unencrypted, never transported past one hop.
    Plain,
    /// A GROUP destination: encrypted with a shared symmetric key.
    Group(GroupKey),
}

/// A SINGLE destination's identity and policies.
#[derive(Debug, Clone)]
pub struct SingleSpec {
    pub identity: PrivateIdentity,
    pub proof_strategy: ProofStrategy,
    pub accept_links: bool,
    /// Ratchets to announce and decrypt with (persisted by the application).
    pub ratchets: Option<RatchetSet>,
    /// Drop packets encrypted to the identity key instead of a ratchet.
    pub enforce_ratchets: bool,
}

impl DestinationSpec {
    /// A SINGLE IN destination proving nothing and refusing links.
    pub fn single(identity: PrivateIdentity, app_name: &str, aspects: &[&str]) -> Self {
        Self {
            app_name: app_name.to_owned(),
            aspects: aspects.iter().map(|a| (*a).to_owned()).collect(),
            kind: SpecKind::Single(SingleSpec {
                identity,
                proof_strategy: ProofStrategy::None,
                accept_links: false,
                ratchets: None,
                enforce_ratchets: false,
            }),
        }
    }

    pub fn plain(app_name: &str, aspects: &[&str]) -> Self {
        Self {
            app_name: app_name.to_owned(),
            aspects: aspects.iter().map(|a| (*a).to_owned()).collect(),
            kind: SpecKind::Plain,
        }
    }

    pub fn group(key: GroupKey, app_name: &str, aspects: &[&str]) -> Self {
        Self {
            app_name: app_name.to_owned(),
            aspects: aspects.iter().map(|a| (*a).to_owned()).collect(),
            kind: SpecKind::Group(key),
        }
    }

    /// Sets the proof strategy (SINGLE only; ignored otherwise).
    pub fn with_proof_strategy(mut self, strategy: ProofStrategy) -> Self {
        if let SpecKind::Single(s) = &mut self.kind {
            s.proof_strategy = strategy;
        }
        self
    }

    /// Accepts incoming link requests (SINGLE only).
    pub fn accepting_links(mut self) -> Self {
        if let SpecKind::Single(s) = &mut self.kind {
            s.accept_links = true;
        }
        self
    }

    /// Announces and decrypts with ratchets (SINGLE only).
    pub fn with_ratchets(mut self, ratchets: RatchetSet, enforce: bool) -> Self {
        if let SpecKind::Single(s) = &mut self.kind {
            s.ratchets = Some(ratchets);
            s.enforce_ratchets = enforce;
        }
        self
    }
}

/// A registered destination with the keys it needs.
#[derive(Debug)]
pub(crate) struct LocalDestination {
    pub(crate) name_hash: NameHash,
    pub(crate) kind: SpecKind,
    /// The app data of the last announce, reused for path responses.
    pub(crate) app_data: Vec<u8>,
    /// Path responses already sent, per request tag, for `PR_TAG_WINDOW`.
    pub(crate) answers: Vec<(PathRequestTag, f64, Packet)>,
}

/// `PR_TAG_WINDOW`: a destination re-sends the same answer to a repeated tag.
pub(crate) const PR_TAG_WINDOW: f64 = 30.0;
/// Cached path answers per destination.
const MAX_CACHED_ANSWERS: usize = 32;

impl LocalDestination {
    pub(crate) fn single(&self) -> Option<&SingleSpec> {
        match &self.kind {
            SpecKind::Single(s) => Some(s),
            _ => None,
        }
    }

    /// Opens a packet's data: decrypts for SINGLE and GROUP, passes PLAIN.
    pub(crate) fn open(&self, data: &[u8]) -> Option<Vec<u8>> {
        match &self.kind {
            SpecKind::Single(s) => {
                let ratchets = s.ratchets.as_ref().map_or(&[][..], RatchetSet::ratchets);
                let opened = s.identity.decrypt(data, ratchets, s.enforce_ratchets);
                opened.ok().map(|d| d.plaintext)
            }
            SpecKind::Group(key) => key.decrypt(data).ok(),
            SpecKind::Plain => Some(data.to_vec()),
        }
    }

    pub(crate) fn cached_answer(&mut self, tag: &PathRequestTag, now: f64) -> Option<Packet> {
        self.answers.retain(|(_, at, _)| now < at + PR_TAG_WINDOW);
        let found = self.answers.iter().find(|(t, _, _)| t == tag);
        found.map(|(_, _, p)| p.clone())
    }

    pub(crate) fn cache_answer(&mut self, tag: PathRequestTag, now: f64, packet: Packet) {
        if self.answers.len() >= MAX_CACHED_ANSWERS {
            self.answers.remove(0);
        }
        self.answers.push((tag, now, packet));
    }
}

impl Node {
    pub(crate) fn register(&mut self, spec: DestinationSpec) -> Result<DestinationHash, NodeError> {
        let aspects: Vec<&str> = spec.aspects.iter().map(String::as_str).collect();
        let name_hash = name_hash(&expand_name(&spec.app_name, &aspects)?);
        let identity = match &spec.kind {
            SpecKind::Single(s) => Some(s.identity.hash()),
            SpecKind::Plain | SpecKind::Group(_) => None,
        };
        let hash = destination_hash(&name_hash, identity.as_ref());
        if self.destinations.contains_key(&hash) {
            return Err(NodeError::AlreadyRegistered(hash));
        }
        let local = LocalDestination {
            name_hash,
            kind: spec.kind,
            app_data: Vec::new(),
            answers: Vec::new(),
        };
        self.destinations.insert(hash, local);
        Ok(hash)
    }

    /// Builds a fresh signed announce for a local SINGLE destination, rotating
    /// its ratchets first when due.
    pub(crate) fn build_announce(
        &mut self,
        now: f64,
        destination: &DestinationHash,
        reason: AnnounceReason,
    ) -> Result<Packet, NodeError> {
        let r = random_hash(&mut *self.rng);
        let random = [r[0], r[1], r[2], r[3], r[4]];
        let local = self
            .destinations
            .get_mut(destination)
            .ok_or(NodeError::UnknownDestination(*destination))?;
        let SpecKind::Single(single) = &mut local.kind else {
            return Err(NodeError::WrongKind(*destination));
        };
        let mut rotated = false;
        let ratchet = single.ratchets.as_mut().and_then(|set| {
            rotated = set.rotate_if_due(now, &mut *self.rng);
            set.newest_public().map(RatchetPublicKey)
        });
        let emitted = now.max(0.0) as u64;
        let announce = ValidatedAnnounce::build(
            &single.identity,
            local.name_hash,
            RandomHash::new(random, emitted),
            ratchet,
            local.app_data.clone(),
        );
        if rotated {
            self.push_event(Event::RatchetsRotated {
                destination: *destination,
            });
        }
        Ok(announce.to_packet(reason))
    }
}
