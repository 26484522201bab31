//! Resources through the node: send, cancel, accept or reject on one of our
//! links, and the policy new links start with. Progress and outcomes arrive
//! as `Event::Link(LinkEvent::Resource*)`.

use rns_msgpack::Value;

use super::{Node, NodeError};
use crate::link::LinkId;
use crate::resource::{ResourceHash, ResourcePolicy};

impl Node {
    /// Sends `data` over `link` as a resource (see
    /// [`Link::send_resource`](crate::link::Link::send_resource)).
    pub fn send_resource(
        &mut self,
        now: f64,
        link: &LinkId,
        data: Vec<u8>,
        metadata: Option<Value>,
        compress: bool,
    ) -> Result<ResourceHash, NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.send_resource(now, data, metadata, compress, out, rng)
        })
    }

    /// Cancels a resource on `link`, either direction.
    pub fn cancel_resource(
        &mut self,
        now: f64,
        link: &LinkId,
        hash: &ResourceHash,
    ) -> Result<(), NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.cancel_resource(now, hash, out, rng)
        })
    }

    /// Takes a resource advertised on a link with `ResourceStrategy::App`.
    pub fn accept_resource(
        &mut self,
        now: f64,
        link: &LinkId,
        hash: &ResourceHash,
    ) -> Result<(), NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.accept_resource(now, hash, out, rng)
        })
    }

    /// Refuses a resource advertised on a link with `ResourceStrategy::App`.
    pub fn reject_resource(
        &mut self,
        now: f64,
        link: &LinkId,
        hash: &ResourceHash,
    ) -> Result<(), NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.reject_resource(now, hash, out, rng)
        })
    }

    /// Sends a received resource's proof held for the application
    /// (`ResourceProving::App`).
    pub fn prove_resource(
        &mut self,
        now: f64,
        link: &LinkId,
        hash: &ResourceHash,
    ) -> Result<(), NodeError> {
        self.with_link(now, link, |l, out, rng| {
            l.prove_resource(now, hash, out, rng)
        })
    }

    /// Changes one link's resource policy.
    pub fn set_link_resource_policy(
        &mut self,
        link: &LinkId,
        policy: ResourcePolicy,
    ) -> Result<(), NodeError> {
        let local = self
            .links
            .get_mut(link)
            .ok_or(NodeError::UnknownLink(*link))?;
        local.link.set_resource_policy(policy);
        Ok(())
    }

    /// The policy links made from now on start with (accept everything up to
    /// 64 MiB unless changed).
    pub fn set_default_resource_policy(&mut self, policy: ResourcePolicy) {
        self.resource_policy = policy;
    }

    pub fn default_resource_policy(&self) -> ResourcePolicy {
        self.resource_policy
    }
}
