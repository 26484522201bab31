//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//! Built from [`OPERATIONS`], one row per route; a test holds that table
//! equal to the registered routes both ways, so a route added without a
//! row (or a row left behind) fails CI.

use axum::Json;
use serde_json::{Map, Value, json};

/// (method, path, tag, summary) of every route.
pub(crate) const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "GET",
        "/api/v1/destination/{destination_hash}/delivery-diagnostics",
        "network",
        "What bears on reaching a peer: announces, paths, propagation node",
    ),
    (
        "GET",
        "/api/v1/lxmf/conversation-pins",
        "messages",
        "Pinned conversations",
    ),
    (
        "POST",
        "/api/v1/lxmf/conversation-pins/toggle",
        "messages",
        "Pin or unpin a conversation",
    ),
    (
        "GET",
        "/api/v1/lxmf/folders",
        "messages",
        "Conversation folders",
    ),
    (
        "POST",
        "/api/v1/lxmf/folders",
        "messages",
        "Create a folder",
    ),
    (
        "PATCH",
        "/api/v1/lxmf/folders/{id}",
        "messages",
        "Rename a folder",
    ),
    (
        "DELETE",
        "/api/v1/lxmf/folders/{id}",
        "messages",
        "Delete a folder",
    ),
    (
        "POST",
        "/api/v1/lxmf/conversations/move-to-folder",
        "messages",
        "Move conversations into a folder (or out of any)",
    ),
    (
        "POST",
        "/api/v1/lxmf/conversations/bulk-mark-as-read",
        "messages",
        "Mark conversations read",
    ),
    (
        "POST",
        "/api/v1/lxmf/conversations/bulk-delete",
        "messages",
        "Delete conversations",
    ),
    (
        "GET",
        "/api/v1/self-test",
        "app",
        "Run the self-check (storage, free space, databases, network)",
    ),
    (
        "POST",
        "/api/v1/announce",
        "contacts",
        "Announce our lxmf.delivery destination",
    ),
    (
        "GET",
        "/api/v1/announces",
        "contacts",
        "Announces heard (aspect, identity_hash, destination_hash, search, limit, offset)",
    ),
    ("GET", "/api/v1/app/info", "app", "App info"),
    (
        "POST",
        "/api/v1/database/backup",
        "database",
        "Back the active identity's data up now",
    ),
    (
        "GET",
        "/api/v1/database/backups",
        "database",
        "Backups, newest first",
    ),
    (
        "DELETE",
        "/api/v1/database/backups/{filename}",
        "database",
        "Delete a backup",
    ),
    (
        "GET",
        "/api/v1/database/health",
        "database",
        "Integrity and size figures of the active identity's database",
    ),
    (
        "POST",
        "/api/v1/database/restore",
        "database",
        "Restore from a backup, a snapshot or a local file (checked first)",
    ),
    (
        "POST",
        "/api/v1/database/snapshot",
        "database",
        "Take a named snapshot",
    ),
    (
        "GET",
        "/api/v1/database/snapshots",
        "database",
        "Snapshots, newest first",
    ),
    (
        "DELETE",
        "/api/v1/database/snapshots/{filename}",
        "database",
        "Delete a snapshot",
    ),
    ("GET", "/api/v1/app/sessions", "auth", "Login sessions"),
    (
        "POST",
        "/api/v1/auth/change-password",
        "auth",
        "Change the web UI password",
    ),
    (
        "GET",
        "/api/v1/auth/csrf",
        "auth",
        "The session's CSRF token",
    ),
    ("POST", "/api/v1/auth/login", "auth", "Log in"),
    ("POST", "/api/v1/auth/logout", "auth", "Log out"),
    (
        "POST",
        "/api/v1/auth/setup",
        "auth",
        "Set the first password",
    ),
    ("GET", "/api/v1/auth/status", "auth", "Login state"),
    (
        "GET",
        "/api/v1/blocked-destinations",
        "contacts",
        "Blocked destinations",
    ),
    (
        "POST",
        "/api/v1/blocked-destinations",
        "contacts",
        "Block a destination",
    ),
    (
        "DELETE",
        "/api/v1/blocked-destinations/{destination_hash}",
        "contacts",
        "Unblock a destination",
    ),
    (
        "GET",
        "/api/v1/config",
        "app",
        "The active identity's settings",
    ),
    (
        "PATCH",
        "/api/v1/config",
        "app",
        "Change settings (display_name, auth_enabled, lxmf_preferred_propagation_node_destination_hash)",
    ),
    (
        "GET",
        "/api/v1/debug/access-attempts",
        "auth",
        "Recent login attempts",
    ),
    (
        "GET",
        "/api/v1/destination/{destination_hash}/custom-display-name",
        "contacts",
        "A destination's custom display name",
    ),
    (
        "POST",
        "/api/v1/destination/{destination_hash}/custom-display-name/update",
        "contacts",
        "Set or clear a custom display name",
    ),
    (
        "POST",
        "/api/v1/destination/{destination_hash}/drop-path",
        "network",
        "Forget the path to a destination",
    ),
    (
        "GET",
        "/api/v1/destination/{destination_hash}/path",
        "network",
        "The known path to a destination",
    ),
    (
        "POST",
        "/api/v1/destination/{destination_hash}/path",
        "network",
        "Request a path and wait for it (timeout seconds)",
    ),
    (
        "POST",
        "/api/v1/destination/{destination_hash}/request-path",
        "network",
        "Request a path without waiting",
    ),
    ("GET", "/api/v1/favourites", "contacts", "Favourites"),
    (
        "POST",
        "/api/v1/favourites/add",
        "contacts",
        "Add a favourite",
    ),
    (
        "DELETE",
        "/api/v1/favourites/{destination_hash}",
        "contacts",
        "Remove a favourite",
    ),
    (
        "POST",
        "/api/v1/favourites/{destination_hash}/rename",
        "contacts",
        "Rename a favourite",
    ),
    (
        "GET",
        "/api/v1/identities",
        "identities",
        "Identities in the storage directory",
    ),
    (
        "POST",
        "/api/v1/identities/create",
        "identities",
        "Create an identity",
    ),
    (
        "POST",
        "/api/v1/identities/export-all",
        "identities",
        "Export every identity (zip)",
    ),
    (
        "POST",
        "/api/v1/identities/import",
        "identities",
        "Import all of an identity's data from its archive as a new identity",
    ),
    (
        "POST",
        "/api/v1/identities/switch",
        "identities",
        "Switch the active identity",
    ),
    (
        "DELETE",
        "/api/v1/identities/{identity_hash}",
        "identities",
        "Delete an identity",
    ),
    (
        "PATCH",
        "/api/v1/identities/{identity_hash}",
        "identities",
        "Rename an identity (active or not)",
    ),
    (
        "POST",
        "/api/v1/identity/backup/base32",
        "identities",
        "The active identity's key as base32",
    ),
    (
        "POST",
        "/api/v1/identity/backup/download",
        "identities",
        "The active identity's key file",
    ),
    (
        "POST",
        "/api/v1/identity/export",
        "identities",
        "All of the active identity's data (key, database, metadata) as a zip",
    ),
    (
        "POST",
        "/api/v1/identity/restore",
        "identities",
        "Restore an identity from a key",
    ),
    (
        "GET",
        "/api/v1/identity/{identity_hash}/lxmf-address",
        "identities",
        "An identity's lxmf.delivery address",
    ),
    (
        "GET",
        "/api/v1/interface-stats",
        "interfaces",
        "Live interface counters",
    ),
    (
        "GET",
        "/api/v1/lxmf-messages/attachment/{message_hash}/{attachment_type}",
        "messages",
        "Download a message's image or file (?file_index=)",
    ),
    (
        "DELETE",
        "/api/v1/lxmf-messages/conversation/{destination_hash}",
        "messages",
        "Delete a conversation",
    ),
    (
        "GET",
        "/api/v1/lxmf-messages/conversation/{destination_hash}",
        "messages",
        "A conversation's messages",
    ),
    (
        "POST",
        "/api/v1/lxmf-messages/reactions",
        "messages",
        "React to a message with an emoji (sent as its own LXMF message)",
    ),
    (
        "POST",
        "/api/v1/lxmf-messages/send",
        "messages",
        "Send an LXMF message (files, image, reply-to; body up to 9 MiB)",
    ),
    (
        "DELETE",
        "/api/v1/lxmf-messages/{hash}",
        "messages",
        "Delete a message",
    ),
    (
        "POST",
        "/api/v1/lxmf-messages/{hash}/cancel",
        "messages",
        "Cancel an outbound message",
    ),
    (
        "POST",
        "/api/v1/lxmf-messages/{hash}/resend",
        "messages",
        "Resend a failed message",
    ),
    (
        "GET",
        "/api/v1/lxmf/conversations",
        "messages",
        "Conversations",
    ),
    (
        "POST",
        "/api/v1/lxmf/conversations/{destination_hash}/mark-as-read",
        "messages",
        "Mark a conversation read",
    ),
    (
        "GET",
        "/api/v1/lxmf/propagation-node/status",
        "propagation",
        "The sync's state",
    ),
    (
        "POST",
        "/api/v1/lxmf/propagation-node/stop-sync",
        "propagation",
        "Stop the sync",
    ),
    (
        "POST",
        "/api/v1/lxmf/propagation-node/sync",
        "propagation",
        "Sync with the selected propagation node",
    ),
    (
        "GET",
        "/api/v1/lxmf/propagation-nodes",
        "propagation",
        "Propagation nodes heard announce",
    ),
    (
        "GET",
        "/api/v1/notifications",
        "notifications",
        "Unread conversations (listed with unread=true)",
    ),
    (
        "POST",
        "/api/v1/notifications/mark-as-viewed",
        "notifications",
        "Mark conversations read (destination_hashes)",
    ),
    ("GET", "/api/v1/openapi.json", "app", "This document"),
    ("GET", "/api/v1/path-table", "network", "Every known path"),
    ("POST", "/api/v1/path-table", "network", "Every known path"),
    (
        "POST",
        "/api/v1/ping/{destination_hash}/lxmf.delivery",
        "network",
        "Ping a destination's lxmf.delivery",
    ),
    (
        "GET",
        "/api/v1/reticulum/interfaces",
        "interfaces",
        "Interfaces of the Reticulum config",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/add",
        "interfaces",
        "Add (or with allow_overwriting_interface, update) an interface",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/delete",
        "interfaces",
        "Delete an interface",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/disable",
        "interfaces",
        "Disable an interface",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/enable",
        "interfaces",
        "Enable an interface",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/export",
        "interfaces",
        "Export interfaces as config text",
    ),
    (
        "POST",
        "/api/v1/reticulum/interfaces/import",
        "interfaces",
        "Import interfaces from config text",
    ),
    (
        "POST",
        "/api/v1/rnprobe",
        "network",
        "Probe a destination (rnprobe)",
    ),
    (
        "GET",
        "/api/v1/rnstatus",
        "interfaces",
        "Interface status as rnstatus shows it",
    ),
    ("GET", "/api/v1/status", "app", "Start-up status"),
    ("GET", "/ws", "app", "WebSocket upgrade"),
];

/// Whether a method changes state (and so needs the CSRF header).
fn mutating(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD")
}

fn operation(method: &str, path: &str, tag: &str, summary: &str) -> Value {
    let params: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": { "type": "string" },
            })
        })
        .collect();
    let error = json!({
        "description": "Error",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    let mut op = json!({
        "tags": [tag],
        "summary": summary,
        "operationId": format!("{} {}", method.to_lowercase(), path),
        "responses": {
            "200": { "description": "OK" },
            "4XX": error.clone(),
            "503": error,
        },
    });
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if mutating(method) {
        op["security"] = json!([{ "csrf": [] }]);
        op["requestBody"] = json!({
            "required": false,
            "content": { "application/json": { "schema": { "type": "object" } } },
        });
    }
    op
}

/// The document.
pub(crate) fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, tag, summary) in OPERATIONS {
        let entry = paths
            .entry((*path).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(method.to_lowercase(), operation(method, path, tag, summary));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "MeshChatX-rs API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The reference MeshChatX's paths and JSON field names. \
                Mutating requests need the X-CSRF-Token header from GET /api/v1/auth/csrf.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token" },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "code", "message"],
                    "properties": {
                        "error": { "type": "string" },
                        "code": { "type": "string" },
                        "message": { "type": "string" },
                    },
                },
            },
        },
    })
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_document_names_exactly_the_registered_routes() {
        let registered: BTreeSet<(String, String)> = crate::route_list()
            .into_iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let doc = build();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let missing: Vec<_> = registered.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&registered).collect();
        assert!(
            missing.is_empty(),
            "routes without a document entry: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "documented routes that do not exist: {stale:?}"
        );
        assert_eq!(OPERATIONS.len(), registered.len(), "a row is listed twice");
    }

    #[test]
    fn path_parameters_and_csrf_are_described() {
        let doc = build();
        let op = &doc["paths"]["/api/v1/destination/{destination_hash}/drop-path"]["post"];
        assert_eq!(op["parameters"][0]["name"], "destination_hash");
        assert_eq!(op["security"][0]["csrf"], json!([]));
        assert!(
            doc["paths"]["/api/v1/status"]["get"]
                .get("security")
                .is_none()
        );
    }
}
