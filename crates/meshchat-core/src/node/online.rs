//! Bringing one identity online on the shared stack: its key file and
//! `metadata.json` in the storage directory, its store and context, its
//! tasks, its `lxmf.delivery` destination on the router, and an announce.

use lxmf::driver::LxmfRouter;
use meshchat_store::{StorageDir, write_private_file};
use rns_crypto::{IdentityHash, PrivateIdentity};
use rns_net::ReticulumHandle;
use serde_json::json;

use super::registry::{IdentityInfo, MAX_IDENTITIES, Online};
use crate::context::{IdentityContext, open_store};
use crate::events::EventSink;

/// What every identity shares: the stack and where its events go.
pub(crate) struct Shared<'a> {
    pub(crate) storage: &'a StorageDir,
    pub(crate) router: &'a LxmfRouter,
    pub(crate) net: &'a ReticulumHandle,
    pub(crate) sink: EventSink,
}

/// Opens the identity's store, starts its tasks and registers and announces
/// its delivery destination. The name is the stored setting, else
/// `metadata.json`'s, else `fallback`.
pub(crate) async fn bring_online(
    identity: PrivateIdentity,
    fallback: String,
    shared: Shared<'_>,
) -> Result<Online, String> {
    let info = IdentityInfo::of(&identity).map_err(|e| e.to_string())?;
    let hash = info.identity_hash;
    let store = open_store(shared.storage.clone(), hash).await?;
    let ctx = IdentityContext::new(
        identity.clone(),
        info.lxmf_delivery,
        store,
        shared.router.clone(),
        shared.net.clone(),
        EventSink {
            identity: hash,
            ..shared.sink
        },
    );
    let stored = ctx
        .stored_display_name()
        .await
        .map_err(|e| format!("reading the settings of {hash}: {e}"))?;
    let display_name = stored
        .filter(|n| !n.is_empty())
        .or_else(|| read_metadata_name(shared.storage, &hash))
        .unwrap_or(fallback);
    let stamp_cost = ctx
        .load_inbound_stamp_cost()
        .await
        .map_err(|e| format!("reading the settings of {hash}: {e}"))?;
    // Listening before the identity goes online: nothing is missed.
    let tasks = ctx.spawn_tasks();
    let online = Online {
        identity: identity.clone(),
        info,
        display_name: display_name.clone(),
        context: Some(ctx),
        tasks,
    };
    let registered = shared
        .router
        .add_identity(
            identity,
            Some(display_name),
            Some(stamp_cost).filter(|c| *c > 0),
        )
        .await;
    let mut online = online;
    if let Err(e) = registered {
        online.stop_tasks();
        return Err(format!("bringing {hash} online: {e}"));
    }
    // Best effort: a peer that misses it hears the next one.
    let _ = shared.router.announce(online.info.lxmf_delivery).await;
    Ok(online)
}

/// Writes the identity's key file (0600, atomically) and its metadata.
pub(crate) fn save_identity(
    storage: &StorageDir,
    identity: &PrivateIdentity,
    display_name: &str,
) -> Result<(), String> {
    let hash = identity.hash().to_string();
    let key = storage
        .identity_key_path(&hash)
        .map_err(|e| e.to_string())?;
    write_private_file(&key, identity.to_private_bytes().as_ref())
        .map_err(|e| format!("writing {}: {e}", key.display()))?;
    write_metadata(storage, identity, display_name)
}

/// `metadata.json` as the reference writes it, with our delivery
/// destination cached for the identity list.
pub(crate) fn write_metadata(
    storage: &StorageDir,
    identity: &PrivateIdentity,
    display_name: &str,
) -> Result<(), String> {
    let hash = identity.hash();
    let path = storage
        .metadata_path(&hash.to_string())
        .map_err(|e| e.to_string())?;
    let lxmf = IdentityInfo::of(identity)
        .map(|i| i.lxmf_delivery.to_string())
        .ok();
    let meta = json!({
        "display_name": display_name,
        "icon_name": null,
        "icon_foreground_colour": null,
        "icon_background_colour": null,
        "lxmf_address": lxmf,
        "lxst_address": null,
    });
    write_private_file(&path, meta.to_string().as_bytes())
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

fn read_metadata_name(storage: &StorageDir, hash: &IdentityHash) -> Option<String> {
    let path = storage.metadata_path(&hash.to_string()).ok()?;
    let text = std::fs::read(path).ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&text).ok()?;
    meta.get("display_name")
        .and_then(|v| v.as_str())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// The identities kept in `<storage>/identities/` other than `main`, whose
/// key file loads and matches its directory's name; at most
/// [`MAX_IDENTITIES`] - 1 (sorted by hash), so the main one always fits. A
/// directory without a usable key (the reference's leftovers, a half-made
/// one) is left alone.
pub(crate) fn stored_identities(
    storage: &StorageDir,
    main: &IdentityHash,
) -> Result<Vec<PrivateIdentity>, String> {
    let hashes = storage
        .identities()
        .map_err(|e| format!("listing {}: {e}", storage.root().display()))?;
    let mut out = Vec::new();
    for hash in hashes {
        if hash == main.to_string() {
            continue;
        }
        let Ok(path) = storage.identity_key_path(&hash) else {
            continue;
        };
        let Some(identity) = std::fs::read(&path)
            .ok()
            .and_then(|b| PrivateIdentity::from_private_slice(&b).ok())
        else {
            continue;
        };
        if identity.hash().to_string() == hash {
            out.push(identity);
        }
        if out.len() + 1 >= MAX_IDENTITIES {
            break;
        }
    }
    Ok(out)
}

/// Makes sure the main identity has its own directory with its key (the
/// reference keeps a copy there), so it is listed and can be switched back
/// to.
pub(crate) fn ensure_saved(
    storage: &StorageDir,
    identity: &PrivateIdentity,
    display_name: &str,
) -> Result<(), String> {
    let hash = identity.hash().to_string();
    let key = storage
        .identity_key_path(&hash)
        .map_err(|e| e.to_string())?;
    if !key.is_file() {
        save_identity(storage, identity, display_name)?;
    }
    Ok(())
}
