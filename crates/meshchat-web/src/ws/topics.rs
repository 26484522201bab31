//! What a socket hears: every push has a topic (by its type), and a client
//! narrows or widens the topics it gets with `ws.subscribe` and
//! `ws.unsubscribe` (replies shaped as the reference's, observed: the full
//! set after the change and the topics that changed; names it does not know
//! are ignored; `topics` that is not a list is an `invalid_topics` error).

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Every topic, as the reference names them (some carry nothing here yet).
pub(crate) const TOPICS: [&str; 12] = [
    "announce",
    "config",
    "control",
    "filesync",
    "lxmf",
    "nomad",
    "other",
    "plugin",
    "rns.link",
    "rrc",
    "sessions",
    "telephone",
];

/// The topic a push of this `type` belongs to.
pub(crate) fn topic_of(push_type: &str) -> &'static str {
    match push_type {
        "config" | "config.changed" => "config",
        "app.sessions.updated" => "sessions",
        "startup_status" | "identity_switched" | "health_warning" => "control",
        "announce" | "announced" => "announce",
        t if t.starts_with("lxmf") => "lxmf",
        _ => "other",
    }
}

/// One socket's topics; all of them to begin with.
#[derive(Debug, Clone)]
pub(crate) struct Subscriptions {
    on: BTreeSet<&'static str>,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions {
            on: TOPICS.into_iter().collect(),
        }
    }
}

impl Subscriptions {
    /// Whether this push goes out to the socket.
    pub(crate) fn wants(&self, push: &Value) -> bool {
        let kind = push.get("type").and_then(Value::as_str).unwrap_or_default();
        self.on.contains(topic_of(kind))
    }

    /// `ws.subscribe` (`add`) or `ws.unsubscribe`: the reply, or None when
    /// `topics` is there but not a list.
    pub(crate) fn change(&mut self, msg: &Value, add: bool) -> Option<Value> {
        let requested: Vec<&str> = match msg.get("topics") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            Some(_) => return None,
        };
        let mut changed = Vec::new();
        for topic in TOPICS.into_iter().filter(|t| requested.contains(t)) {
            let did = if add {
                self.on.insert(topic)
            } else {
                self.on.remove(topic)
            };
            if did {
                changed.push(topic);
            }
        }
        let kind = if add {
            "ws.subscribe"
        } else {
            "ws.unsubscribe"
        };
        Some(json!({
            "type": kind,
            "status": "success",
            "topics": self.on.iter().collect::<Vec<_>>(),
            "changed": changed,
            "request_id": msg.get("request_id").cloned().unwrap_or(Value::Null),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_narrow_and_widen_what_a_socket_hears() {
        let mut subs = Subscriptions::default();
        let config = json!({"type": "config"});
        let message = json!({"type": "lxmf_message_created"});
        assert!(subs.wants(&config) && subs.wants(&message));

        let r = subs
            .change(
                &json!({"type": "ws.unsubscribe", "topics": ["config", "nope"]}),
                false,
            )
            .unwrap();
        assert_eq!(r["changed"], json!(["config"]));
        assert_eq!(r["topics"].as_array().unwrap().len(), TOPICS.len() - 1);
        assert!(!subs.wants(&config) && subs.wants(&message));

        // Again: nothing changes.
        let r = subs
            .change(&json!({"topics": ["config"], "request_id": 3}), false)
            .unwrap();
        assert_eq!(
            (r["changed"].clone(), r["request_id"].clone()),
            (json!([]), json!(3))
        );

        let r = subs.change(&json!({"topics": ["config"]}), true).unwrap();
        assert_eq!(r["changed"], json!(["config"]));
        assert!(subs.wants(&config));
        assert!(subs.change(&json!({"topics": "config"}), true).is_none());
        assert_eq!(topic_of("announce"), "announce");
        assert_eq!(topic_of("lxmf.delivery"), "lxmf");
        assert_eq!(topic_of("something.new"), "other");
    }
}
