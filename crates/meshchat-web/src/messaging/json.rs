//! The JSON shapes of messages, conversations, announces, favourites and
//! blocked destinations, and of the pushes over `/ws`, as the reference
//! serves them (observed).

use meshchat_core::{
    AnnounceView, BlockedDestination, ConversationView, CoreEvent, Favourite, Message,
};
use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Value, json};

/// A message row. The reference's keys; `fields` parsed from the stored JSON.
pub(crate) fn message(m: &Message) -> Value {
    let fields = serde_json::from_str::<Value>(&m.fields)
        .ok()
        .filter(Value::is_object)
        .map(super::attachments::for_api)
        .unwrap_or_else(|| json!({}));
    let mut row = json!({
        "id": m.id,
        "hash": m.hash,
        "source_hash": m.source_hash,
        "destination_hash": m.destination_hash,
        "is_incoming": m.is_incoming,
        "state": m.state,
        "progress": m.progress,
        "method": m.method,
        "delivery_attempts": m.delivery_attempts,
        "next_delivery_attempt_at": m.next_delivery_attempt_at,
        "title": m.title,
        "content": m.content,
        "fields": fields,
        "timestamp": m.timestamp,
        "rssi": m.rssi,
        "snr": m.snr,
        "quality": m.quality,
        "is_spam": m.is_spam,
        "reply_to_hash": m.reply_to_hash,
        "attachments_stripped": m.attachments_stripped,
        "path_hops_at_send": m.path_hops_at_send,
        "path_interface_at_send": m.path_interface_at_send,
        "path_finding_measure": m.path_finding_measure,
        "path_row_hash_hex": m.path_row_hash_hex,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "is_reaction": m.has_reaction,
        "solving_stamps": false,
    });
    // A reaction row also names its target, emoji and sender at the top
    // level, as the reference serves it.
    if m.has_reaction
        && let Some(r) = reaction(&row["fields"])
    {
        row["reaction_to"] = r.0;
        row["reaction_emoji"] = r.1;
        row["reaction_sender"] = Value::String(m.source_hash.clone());
    }
    row
}

/// `(reaction_to, reaction_content)` of a message's fields JSON.
fn reaction(fields: &Value) -> Option<(Value, Value)> {
    let r = fields.get("reaction")?;
    Some((
        r.get("reaction_to")?.clone(),
        r.get("reaction_content")?.clone(),
    ))
}

/// The reference's name for a peer it has no announce from.
const ANONYMOUS: &str = "Anonymous Peer";

/// `{"conversations": [...]}`.
#[derive(Serialize)]
pub(crate) struct ConversationsJson<'a> {
    pub conversations: Vec<ConversationJson<'a>>,
}

/// One row of the conversation list. Serialized straight from the stored
/// row (no `Value` tree: the list is the page the UI polls most, and
/// building a map per row was most of its cost). Keys in the order the
/// reference's sorted output has them.
#[derive(Serialize)]
pub(crate) struct ConversationJson<'a> {
    contact_image: Option<()>,
    custom_display_name: Option<&'a str>,
    destination_hash: &'a str,
    display_name: &'a str,
    failed_messages_count: i64,
    folder_id: Option<i64>,
    has_attachments: bool,
    has_contact_image: bool,
    is_contact: bool,
    is_pinned: bool,
    is_tracking: bool,
    is_unread: bool,
    latest_message_created_at: &'a str,
    latest_message_preview: Cow<'a, str>,
    latest_message_title: &'a str,
    lxmf_user_icon: Option<()>,
    unread_count: i64,
    updated_at: &'a str,
}

pub(crate) fn conversation(v: &ConversationView) -> ConversationJson<'_> {
    let c = &v.conversation;
    let display_name = v.display_name.as_deref().unwrap_or(ANONYMOUS);
    ConversationJson {
        contact_image: None,
        custom_display_name: c.custom_display_name.as_deref(),
        destination_hash: &c.peer_hash,
        display_name,
        failed_messages_count: c.failed_count,
        folder_id: c.folder_id,
        has_attachments: c.has_attachments,
        has_contact_image: false,
        is_contact: false,
        is_pinned: c.pinned,
        is_tracking: false,
        is_unread: c.unread_count > 0,
        latest_message_created_at: &c.latest_created_at,
        latest_message_preview: preview(c, display_name),
        latest_message_title: &c.latest_title,
        lxmf_user_icon: None,
        unread_count: c.unread_count,
        updated_at: &c.latest_created_at,
    }
}

/// The list's preview of the latest message. A reaction has no content:
/// the reference shows who reacted instead (observed).
fn preview<'a>(c: &'a meshchat_core::Conversation, display_name: &str) -> Cow<'a, str> {
    if !c.latest_is_reaction {
        return Cow::Borrowed(&c.latest_preview);
    }
    let who = if c.latest_is_incoming {
        c.custom_display_name.as_deref().unwrap_or(display_name)
    } else {
        OWN_REACTION_WHO
    };
    Cow::Owned(format!("{who} reacted"))
}

/// Who reacted, in the list's preview, when it was us.
const OWN_REACTION_WHO: &str = "You";

pub(crate) fn announce(v: &AnnounceView) -> Value {
    let a = &v.announce;
    let n = &a.announce;
    json!({
        "id": a.id,
        "destination_hash": n.destination_hash,
        "aspect": n.aspect,
        "identity_hash": n.identity_hash,
        "identity_public_key": n.identity_public_key,
        "app_data": n.app_data,
        "rssi": n.rssi,
        "snr": n.snr,
        "quality": n.quality,
        "display_name": v.display_name,
        "custom_display_name": v.custom_display_name,
        "lxmf_user_icon": null,
        "announce_count": a.announce_count,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    })
}

pub(crate) fn favourite(f: &Favourite) -> Value {
    json!({
        "destination_hash": f.destination_hash,
        "display_name": f.display_name,
        "aspect": f.aspect,
        "identify_on_connect": f.identify_on_connect,
        "created_at": f.created_at,
    })
}

pub(crate) fn blocked(list: &[BlockedDestination]) -> Value {
    Value::Array(
        list.iter()
            .map(|b| json!({ "destination_hash": b.destination_hash, "created_at": b.created_at }))
            .collect(),
    )
}

/// What a bus event becomes on `/ws`; `None` for events pushed elsewhere
/// (the config is rendered by the socket, which knows the node).
pub(crate) fn push_json(event: &CoreEvent) -> Option<Value> {
    Some(match event {
        CoreEvent::MessageCreated(m) => {
            json!({ "type": "lxmf_message_created", "lxmf_message": message(m) })
        }
        CoreEvent::MessageUpdated(m) => {
            json!({ "type": "lxmf_message_state_updated", "lxmf_message": message(m) })
        }
        CoreEvent::MessageReceived(m) => json!({
            "type": "lxmf.delivery",
            // The reference names an unknown sender by its hash's first 8 digits.
            "remote_identity_name": m.source_hash.get(..8).unwrap_or(&m.source_hash),
            "lxmf_message": message(m),
            "sieve_suppress_notifications": false,
        }),
        CoreEvent::Announce(a) => json!({ "type": "announce", "announce": announce(a) }),
        // Ours: the reference shows no progress for a message on its way in.
        CoreEvent::IncomingTransfer {
            transfer,
            progress,
            state,
        } => json!({
            "type": "lxmf_incoming_transfer",
            "transfer": { "id": transfer, "progress": progress, "state": state },
        }),
        CoreEvent::BlockedDestinations(list) => {
            json!({ "type": "blocked_destinations", "blocked_destinations": blocked(list) })
        }
        _ => return None,
    })
}
