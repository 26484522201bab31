//! The tokio driver that pumps `rns-proto`, the interfaces and the Reticulum
//! config file.
//!
//! Owns: the one task per instance that owns the sans-IO [`rns_proto::node::Node`]
//! ([`Reticulum`] starts it, [`ReticulumHandle`] talks to it); the interfaces
//! (TCP client and server, UDP, the shared instance's local socket) as tasks
//! that move framed bytes; as the shared instance, the RPC control plane the
//! reference's local programs query; the config file ([`config`]); the clock
//! ([`now`]); and what is kept on disk under `<configdir>/storage/`
//! ([`storage`]).
//! Does not own: protocol logic (all in `rns-proto`), framing codecs
//! (`rns-wire`), the runtime (the binary picks it) or logging.
//!
//! Every queue is bounded: interfaces wait when the driver is busy (pushing back
//! on their peers), the driver drops and counts packets for an interface whose
//! writer is full, and event subscribers that lag lose the oldest events.
//!
//! # Example
//!
//! ```no_run
//! use rns_crypto::{OsRng, PrivateIdentity};
//! use rns_net::{Reticulum, ReticulumConfig};
//! use rns_proto::node::{DestinationSpec, Event, ProofStrategy};
//!
//! # async fn demo() -> Result<(), rns_net::NetError> {
//! let config = ReticulumConfig::parse(
//!     "[reticulum]\n share_instance = no\n\
//!      [interfaces]\n [[Hub]]\n type = TCPClientInterface\n enabled = yes\n\
//!      target_host = 127.0.0.1\n target_port = 4242\n",
//! )?
//! .config;
//! let rns = Reticulum::new(config).start().await?;
//!
//! let me = PrivateIdentity::generate(&mut OsRng);
//! let dest = rns
//!     .register_destination(
//!         DestinationSpec::single(me, "example", &["echo"])
//!             .with_proof_strategy(ProofStrategy::All),
//!     )
//!     .await?;
//! let mut events = rns.subscribe();
//! rns.announce(dest, Some(b"hello".to_vec())).await?;
//! while let Ok(event) = events.recv().await {
//!     if let Event::PacketReceived { data, .. } = event {
//!         println!("got {} bytes", data.len());
//!         break;
//!     }
//! }
//! rns.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! With a config directory, [`Reticulum::start_from_dir`] writes a default
//! config on first run, loads it, and keeps the transport identity, known
//! destinations, the path table and ratchets across restarts ([`storage`]).

mod cancel;
pub mod config;
pub mod driver;
mod error;
pub mod interface;
mod rpc;
pub mod storage;

pub use config::{ConfigError, ConfigWarning, ParsedConfig, ReticulumConfig};
pub use driver::{InstanceRole, InterfaceStatus, Reticulum, ReticulumHandle, now};
pub use error::NetError;
