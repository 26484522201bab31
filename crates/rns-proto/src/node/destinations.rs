//! Our own destinations: what the application registers, and the keys to
//! decrypt and sign for them.

use rns_crypto::{GroupKey, PrivateIdentity, RatchetSet};

use super::link_api::ProofStrategy;

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
