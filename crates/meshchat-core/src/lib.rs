//! MeshChatX identity contexts, domain managers and the event bus.
//!
//! Owns: the running node ([`Node`]): the Reticulum stack started from its
//! config directory and the LXMF router carrying the `lxmf.delivery`
//! destination of every identity we hold (all online at once, one active;
//! created, switched, deleted, exported and restored through the node), brought up in the background while the
//! start-up [`Stage`] is published for the web layer to report; the app
//! settings the web layer shows; per identity an [`IdentityContext`]: its
//! store (the reference's `database.db`, opened in place) and the managers
//! (messages, announces, contacts) that keep it in step with the router and
//! the network, publishing [`CoreEvent`]s on the event bus; the web UI's
//! password login minus HTTP ([`auth`]: settings, argon2id, login limits,
//! the cookie key).
//! Does not own: HTTP, TLS or JSON (`meshchat-web`), the runtime, logging or
//! the command line (`meshchatx`), SQL (`meshchat-store`).

pub mod attachments;
pub mod auth;
mod context;
mod error;
mod events;
mod fields_json;
mod node;
pub mod reactions;
mod status;

pub use context::{
    AnnounceView, AutoAnnounce, AutoAnnounceChange, ConversationView, DISPLAY_NAME_KEY,
    IdentityContext, MAX_BULK, MAX_FOLDER_NAME, MIN_AUTO_ANNOUNCE_INTERVAL, OutboundRequest,
    parse_destination_hash, parse_identity_hash, stamp_cost_of,
};
pub use context::{AutoSync, MIN_AUTO_SYNC_INTERVAL};
pub use context::{INBOUND_STAMP_COST_KEY, MAX_INBOUND_STAMP_COST, PropagationNodeView, SyncView};
pub use error::CoreError;
pub use events::{CoreEvent, EVENT_BUS_CAPACITY};
pub use node::{
    ConfiguredInterface, InterfaceEdit, InterfaceRuntime, MAX_CONFIG_BACKUPS, MAX_NETWORK_WAIT,
    MAX_PROBE_SIZE, MAX_PROBES, NetworkStatus, PathInfo, ProbeReply,
};
pub use node::{
    IdentityInfo, IdentitySummary, MAX_DISPLAY_NAME_BYTES, MAX_IDENTITIES, NetInfo, Node,
    NodeSettings, PrivateKey, Settings,
};
pub use status::{Stage, StartupStatus};

/// Backups, restore, health and the self-check (`context/maintenance.rs`,
/// `node/maintenance.rs`).
pub use context::{BACKUP_MAX_COUNT_KEY, DEFAULT_BACKUP_MAX_COUNT, RestoreSource};
pub use context::{method_name, state_name};
/// Delivery methods and states, as LXMF defines them.
pub use lxmf::{Method, State};
/// The stored rows the managers hand out, as the store defines them.
pub use meshchat_store::{
    AccessAttempt, Announce, AnnounceQuery, BlockedDestination, Conversation, ConversationQuery,
    Favourite, Folder, Message, NewAnnounce,
};
pub use meshchat_store::{BackupInfo, Health, RestoreReport};
pub use node::{CheckResult, self_check_storage};
/// Destination and identity hashes, as Reticulum defines them.
pub use rns_crypto::{DestinationHash, IdentityHash};
/// How an interface takes part in path finding, as the config names it.
pub use rns_net::config::InterfaceModeSetting;

/// The Reticulum config directory's default config, written on first run
/// when the directory has none. Returns whether it wrote one.
pub fn ensure_reticulum_config(dir: &std::path::Path) -> Result<bool, rns_net::ConfigError> {
    rns_net::config::write_default_if_missing(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rns_crypto::{OsRng, PrivateIdentity};

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("meshchat-core-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    // Writing only; nothing is started with this config here.
    #[test]
    fn the_default_reticulum_config_is_written_only_when_missing() {
        let dir = temp("default");
        assert!(ensure_reticulum_config(&dir).unwrap());
        let text = std::fs::read_to_string(dir.join("config")).unwrap();
        assert!(text.contains("[reticulum]") && text.contains("AutoInterface"));
        std::fs::write(dir.join("config"), "[reticulum]\n").unwrap();
        assert!(!ensure_reticulum_config(&dir).unwrap());
        assert_eq!(
            std::fs::read_to_string(dir.join("config")).unwrap(),
            "[reticulum]\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_start_that_cannot_happen_reports_failed_with_a_reason() {
        // The "config directory" is a file: nothing can be written or started.
        let file = temp("failed");
        std::fs::write(&file, b"not a directory").unwrap();
        let node = Node::new(NodeSettings {
            reticulum_config_dir: file.clone(),
            identity: PrivateIdentity::generate(&mut OsRng),
            display_name: None,
            storage_dir: None,
        })
        .unwrap();
        assert_eq!(node.status().stage, Stage::Starting);
        let mut rx = node.watch_status();
        node.start();
        let status = rx
            .wait_for(|s| s.stage == Stage::Failed)
            .await
            .unwrap()
            .clone();
        assert!(status.error.unwrap().contains("starting Reticulum"));
        node.shutdown().await;
        std::fs::remove_file(&file).unwrap();
    }
}
