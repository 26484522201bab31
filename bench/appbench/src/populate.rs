//! Fills an identity's database with stored messages, through our store
//! (`meshchat-store` writes the reference's schema, so the reference app
//! reads the same rows).

use meshchat_store::{Message, StorageDir};

/// Adds `count` incoming messages, spread over `peers` conversations, to the
/// one identity in `storage` (the app must be stopped).
pub fn messages(storage: &std::path::Path, count: usize, peers: usize) -> Result<(), String> {
    let dir = StorageDir::new(storage);
    let identities = dir.identities().map_err(|e| e.to_string())?;
    let identity = identities
        .first()
        .ok_or_else(|| format!("no identity in {}", storage.display()))?;
    let mut store = dir.open_identity(identity).map_err(|e| e.to_string())?;
    let me = format!("{:032x}", 0xfeed_u128);
    let base = 1_760_000_000.0;
    for i in 0..count {
        let peer = format!("{:032x}", 0x000a_11ce_0000_u128 + (i % peers) as u128);
        let m = Message {
            hash: format!("{:064x}", 0xbeef_0000_0000_u128 + i as u128),
            source_hash: peer.clone(),
            destination_hash: me.clone(),
            peer_hash: peer,
            state: "delivered".into(),
            progress: 100.0,
            is_incoming: true,
            method: Some("direct".into()),
            title: String::new(),
            content: format!("stored message number {i}, a line of ordinary chat text"),
            fields: "{}".into(),
            fields_meta: "{}".into(),
            timestamp: base + i as f64,
            ..Message::default()
        };
        store.insert_inbound(&m).map_err(|e| e.to_string())?;
    }
    Ok(())
}
