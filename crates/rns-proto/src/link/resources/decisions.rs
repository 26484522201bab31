//! The application's say over incoming resources: the strategy applied to a
//! plain resource's advertisement, and `accept_resource` / `reject_resource`
//! for advertisements held under `ResourceStrategy::App`.

use rns_crypto::CryptoRngCore;
use rns_wire::resource::Advertisement;

use super::super::event::Discard;
use super::super::{Link, LinkAction, LinkError, LinkEvent};
use super::Pending;
use crate::resource::{
    MAX_ADV_RETRIES, ResourceError, ResourceHash, ResourceStatus, ResourceStrategy,
    SENDER_GRACE_TIME,
};

impl Link {
    /// A plain resource: the policy decides.
    pub(super) fn offer(
        &mut self,
        now: f64,
        adv: Advertisement,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), Discard> {
        let strategy = self.resources.policy.strategy;
        if strategy == ResourceStrategy::None {
            self.refuse(now, &adv.hash, out, rng);
            return Ok(());
        }
        self.event(
            out,
            LinkEvent::ResourceAdvertised {
                link_id: self.id,
                hash: adv.original_hash,
                size: adv.data_size,
            },
        );
        if strategy == ResourceStrategy::All {
            return self.start_transfer(now, &adv, out, rng);
        }
        // Kept for as long as the sender would keep advertising it.
        let params = self.resource_params();
        let wait = (params.rtt * 6.0 + SENDER_GRACE_TIME) * f64::from(MAX_ADV_RETRIES);
        self.resources.pending.push(Pending {
            advertisement: adv,
            deadline: now + wait,
        });
        Ok(())
    }

    /// Application: take a resource advertised under `ResourceStrategy::App`.
    pub fn accept_resource(
        &mut self,
        now: f64,
        hash: &ResourceHash,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        self.require_usable()?;
        let pending = self.take_pending(hash)?;
        let _ = self.start_transfer(now, &pending.advertisement, out, rng);
        Ok(())
    }

    /// Application: refuse a resource advertised under `ResourceStrategy::App`.
    pub fn reject_resource(
        &mut self,
        now: f64,
        hash: &ResourceHash,
        out: &mut Vec<LinkAction>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<(), LinkError> {
        let pending = self.take_pending(hash)?;
        self.refuse(now, &pending.advertisement.hash, out, rng);
        self.event(
            out,
            LinkEvent::ResourceConcluded {
                link_id: self.id,
                hash: *hash,
                status: ResourceStatus::Rejected,
                incoming: true,
            },
        );
        Ok(())
    }

    fn take_pending(&mut self, hash: &ResourceHash) -> Result<Pending, LinkError> {
        let pending = &mut self.resources.pending;
        let i = pending
            .iter()
            .position(|p| {
                let adv = &p.advertisement;
                adv.hash == *hash || adv.original_hash == *hash
            })
            .ok_or(ResourceError::Unknown(*hash))?;
        Ok(pending.swap_remove(i))
    }
}
