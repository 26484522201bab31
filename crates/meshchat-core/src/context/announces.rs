//! The announces manager: every valid announce the network stack reports
//! for an aspect we know is stored (capped per aspect and in total by the
//! store) and pushed to listeners; the list the API serves.

use data_encoding::BASE64;
use meshchat_store::{Announce, AnnounceQuery, NewAnnounce};
use rns_crypto::{DestinationHash, NameHash, PublicIdentity, destination_hash};
use rns_proto::node::Event;
use rns_wire::lxmf_app_data::DeliveryAppData;
use tokio::sync::broadcast::{self, error::RecvError};

use super::IdentityContext;
use crate::error::CoreError;
use crate::events::CoreEvent;

/// The aspects we store announces of. An announce carries only the hash of
/// its name, so the name is found by hashing the ones we know.
const KNOWN_ASPECTS: &[&str] = &[
    "lxmf.delivery",
    "lxmf.propagation",
    "nomadnetwork.node",
    "lxst.telephony",
];

/// A stored announce with what the list shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnounceView {
    pub announce: Announce,
    /// The name in the announce's app_data, when the aspect has one.
    pub display_name: Option<String>,
    pub custom_display_name: Option<String>,
}

/// The display name an announce carries: LXMF delivery app_data (msgpack,
/// or the legacy raw name), or a NomadNet node's raw name.
pub fn display_name_of(aspect: &str, app_data_b64: Option<&str>) -> Option<String> {
    let bytes = BASE64.decode(app_data_b64?.as_bytes()).ok()?;
    let name = match aspect {
        "lxmf.delivery" => DeliveryAppData::decode(&bytes)
            .ok()?
            .display_name()
            .map(<[u8]>::to_vec)?,
        "nomadnetwork.node" => bytes,
        _ => return None,
    };
    Some(String::from_utf8_lossy(&name).into_owned())
}

/// The stamp cost an `lxmf.delivery` announce asks for, if any.
pub fn stamp_cost_of(app_data_b64: Option<&str>) -> Option<u8> {
    let bytes = BASE64.decode(app_data_b64?.as_bytes()).ok()?;
    DeliveryAppData::decode(&bytes).ok()?.stamp_cost()
}

fn aspect_of(name_hash: &NameHash) -> Option<&'static str> {
    KNOWN_ASPECTS
        .iter()
        .find(|a| rns_crypto::name_hash(a) == *name_hash)
        .copied()
}

impl IdentityContext {
    /// A page of announces, most recently heard first, and how many match.
    pub async fn announces(
        &self,
        query: AnnounceQuery,
    ) -> Result<(Vec<AnnounceView>, i64), CoreError> {
        self.store(move |s| {
            let page = s.announces(&query)?;
            let filtered = query.search.is_some()
                || query.identity_hash.is_some()
                || query.destination_hash.is_some();
            // Lists are capped at 1000 a page, so a filtered count is too.
            let total = if filtered {
                let all = AnnounceQuery {
                    limit: 1000,
                    offset: 0,
                    ..query.clone()
                };
                i64::try_from(s.announces(&all)?.len()).unwrap_or(i64::MAX)
            } else {
                s.announce_count(query.aspect.as_deref())?
            };
            let views = page
                .into_iter()
                .map(|a| {
                    let custom = s.custom_display_name(&a.announce.destination_hash)?;
                    Ok(view(a, custom))
                })
                .collect::<meshchat_store::Result<Vec<_>>>()?;
            Ok((views, total))
        })
        .await
    }

    async fn on_announce(&self, new: NewAnnounce) {
        let caps = self.inner.caps;
        let dest = new.destination_hash.clone();
        let stored = self
            .store(move |s| {
                s.upsert_announce(&new, &caps)?;
                let q = AnnounceQuery {
                    destination_hash: Some(dest.clone()),
                    limit: 1,
                    ..AnnounceQuery::default()
                };
                let a = s.announces(&q)?.into_iter().next();
                let custom = s.custom_display_name(&dest)?;
                Ok(a.map(|a| view(a, custom)))
            })
            .await;
        if let Ok(Some(v)) = stored {
            self.emit(CoreEvent::Announce(Box::new(v)));
        }
    }
}

fn view(announce: Announce, custom_display_name: Option<String>) -> AnnounceView {
    let display_name = display_name_of(
        &announce.announce.aspect,
        announce.announce.app_data.as_deref(),
    );
    AnnounceView {
        announce,
        display_name,
        custom_display_name,
    }
}

/// Announces the network stack accepted. A full store queue drops the
/// announce (the peer announces again); a lagging receiver skips ahead.
pub(super) async fn run(ctx: IdentityContext, mut rx: broadcast::Receiver<Event>) {
    loop {
        match rx.recv().await {
            Ok(Event::AnnounceReceived {
                destination,
                identity,
                name_hash,
                app_data,
                ..
            }) => {
                let Some(aspect) = aspect_of(&name_hash) else {
                    continue;
                };
                let new = NewAnnounce {
                    destination_hash: destination.to_string(),
                    aspect: aspect.into(),
                    identity_hash: identity.hash().to_string(),
                    identity_public_key: BASE64.encode(identity.as_bytes()),
                    app_data: app_data.map(|d| BASE64.encode(&d)),
                    ..NewAnnounce::default()
                };
                ctx.on_announce(new).await;
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

impl IdentityContext {
    /// The identity behind `destination`: the network stack's memory, or
    /// else the announce we stored (committed as it arrived, so it outlives
    /// a `kill -9` that took the stack's unsaved memory with it), given
    /// back to the stack so the router can use it. The stored key must hash
    /// to `destination`, or it is not used.
    pub(crate) async fn recall_identity(
        &self,
        destination: DestinationHash,
    ) -> Result<Option<PublicIdentity>, CoreError> {
        let net = &self.inner.net;
        let known = net
            .recall_identity(destination)
            .await
            .map_err(|e| CoreError::Net(e.to_string()))?;
        if known.is_some() {
            return Ok(known);
        }
        let query = AnnounceQuery {
            destination_hash: Some(destination.to_string()),
            limit: 1,
            ..AnnounceQuery::default()
        };
        let stored = self.store(move |s| s.announces(&query)).await?;
        let Some(row) = stored.into_iter().next().map(|a| a.announce) else {
            return Ok(None);
        };
        let Some(name) = KNOWN_ASPECTS
            .iter()
            .find(|a| **a == row.aspect)
            .map(|a| rns_crypto::name_hash(a))
        else {
            return Ok(None);
        };
        let key = BASE64.decode(row.identity_public_key.as_bytes()).ok();
        let identity = key
            .and_then(|k| <[u8; 64]>::try_from(k.as_slice()).ok())
            .and_then(|k| PublicIdentity::from_bytes(&k).ok());
        let Some(identity) =
            identity.filter(|i| destination_hash(&name, Some(&i.hash())) == destination)
        else {
            return Ok(None);
        };
        let app_data = row.app_data.and_then(|d| BASE64.decode(d.as_bytes()).ok());
        net.remember_identity(destination, identity.clone(), app_data)
            .await
            .map_err(|e| CoreError::Net(e.to_string()))?;
        Ok(Some(identity))
    }
}
