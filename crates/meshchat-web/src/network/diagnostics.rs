//! `GET /api/v1/destination/{destination_hash}/delivery-diagnostics`: what
//! bears on reaching a peer, in the reference's shape (observed on 4.10.7):
//! our own announcing, the peer's announce, the path to it, the chosen
//! propagation node and the path to that, and a hint at what is missing.

use axum::Json;
use axum::extract::{Path, State};
use meshchat_core::{AnnounceQuery, PathInfo, stamp_cost_of};
use serde_json::{Value, json};

use super::{core_error, destination, ready};
use crate::AppState;
use crate::error::ApiError;

fn path_facts(p: Option<&PathInfo>) -> Value {
    json!({
        "has_path": p.is_some(),
        "hops": p.map(|p| p.hops),
        "path_stale": p.is_none(),
        "path_unresponsive": false,
    })
}

pub(crate) async fn delivery_diagnostics(
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let node = ready(&state.node)?;
    let peer = destination(&hash)?;
    let ctx = node.context().map_err(core_error)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());

    let auto = ctx.auto_announce();
    let query = AnnounceQuery {
        destination_hash: Some(peer.to_string()),
        aspect: Some("lxmf.delivery".into()),
        limit: 1,
        ..AnnounceQuery::default()
    };
    let (announces, _) = ctx.announces(query).await.map_err(core_error)?;
    let announce = announces.first().map(|v| &v.announce);
    let node_hash = ctx.preferred_propagation_node().await.map_err(core_error)?;
    // One read of the table for both destinations (a lookup builds it whole).
    let table = node.path_table().await.map_err(core_error)?;
    let path = table.iter().find(|p| p.destination == peer);
    let node_path = node_hash.and_then(|h| table.iter().find(|p| p.destination == h));

    let failure_hint = if announce.is_none() {
        Some(
            "No announce heard from this peer yet: its identity is unknown, so nothing can be encrypted to it.",
        )
    } else if path.is_none() {
        Some("No path to this peer right now: a message waits and asks for one.")
    } else {
        None
    };
    let mut node_facts = path_facts(node_path);
    if let Value::Object(m) = &mut node_facts {
        m.insert("configured".into(), json!(node_hash.is_some()));
        m.insert(
            "destination_hash".into(),
            json!(node_hash.map(|h| h.to_string())),
        );
        m.insert("is_local".into(), json!(false));
    }
    Ok(Json(json!({
        "peer": {
            "input_hash": hash,
            "delivery_hash": peer.to_string(),
            "identity_hash": announce.map(|a| a.announce.identity_hash.clone()),
        },
        "self": {
            "auto_announce_enabled": auto.enabled,
            "auto_announce_interval_seconds": auto.interval_seconds,
            "last_announced_at": auto.last_announced_at.map(f64::floor),
            "seconds_since_last_announce": auto.last_announced_at.map(|at| (now - at).max(0.0).floor()),
        },
        "peer_announce": {
            "known": announce.is_some(),
            "delivery_hash": announce.map(|a| a.announce.destination_hash.clone()),
            "updated_at": announce.map(|a| a.updated_at.clone()),
            "stamp_cost": announce.and_then(|a| stamp_cost_of(a.announce.app_data.as_deref())),
            "outbound_ticket_expiry": null,
        },
        "path": path_facts(path),
        "propagation_node": node_facts,
        "recall": { "identity_known": announce.is_some() },
        "delivery_prefs": {
            "auto_resend_on_announce": true,
            "propagation_fallback": false,
        },
        "failure_hint": failure_hint,
    })))
}
