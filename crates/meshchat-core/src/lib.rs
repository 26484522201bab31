//! MeshChatX identity contexts, domain managers and the event bus.
//!
//! Owns: the running node ([`Node`]): the Reticulum stack started from its
//! config directory and the LXMF router carrying our identity's
//! `lxmf.delivery` destination, brought up in the background while the
//! start-up [`Stage`] is published for the web layer to report; the app
//! settings the web layer shows (in memory for now).
//! Does not own: HTTP, TLS or JSON (`meshchat-web`), the runtime, logging or
//! the command line (`meshchatx`), SQL (`meshchat-store`).

mod node;
mod status;

pub use node::{IdentityInfo, NetInfo, Node, NodeSettings, Settings};
pub use status::{Stage, StartupStatus};

/// The Reticulum config directory's default config, written on first run
/// when the directory has none. Returns whether it wrote one.
pub fn ensure_reticulum_config(dir: &std::path::Path) -> Result<bool, rns_net::ConfigError> {
    rns_net::config::write_default_if_missing(dir)
}
