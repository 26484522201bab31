//! Command-line flags and their `MESHCHAT_*` environment variables, named and
//! defaulted as the reference MeshChatX names them so existing scripts keep working.

use std::path::{Path, PathBuf};

use clap::Parser;
use clap::builder::FalseyValueParser;

#[derive(Debug, Parser)]
#[command(
    name = "meshchatx",
    version,
    about = "MeshChatX-rs: local-first LXMF chat over Reticulum",
    long_about = "MeshChatX-rs: local-first LXMF chat over Reticulum.\n\n\
        Starts the Reticulum stack and serves the web API (HTTPS by default) at \
        https://HOST:PORT. Every flag can also be set by the environment variable \
        shown with it."
)]
pub struct Cli {
    /// Address the web server listens on.
    #[arg(long, env = "MESHCHAT_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port the web server listens on (0: any free port, printed at start).
    #[arg(long, env = "MESHCHAT_PORT", default_value_t = 8000)]
    pub port: u16,

    /// Don't open a browser. This build never opens one; the flag is accepted
    /// so the reference's scripts keep working.
    #[arg(long, env = "MESHCHAT_HEADLESS", value_parser = FalseyValueParser::new())]
    pub headless: bool,

    /// Serve plain HTTP instead of HTTPS.
    #[arg(long, env = "MESHCHAT_NO_HTTPS", value_parser = FalseyValueParser::new())]
    pub no_https: bool,

    /// PEM certificate to serve HTTPS with (needs --ssl-key); default: a
    /// self-signed one made once at <storage>/ssl/cert.pem.
    #[arg(
        long,
        env = "MESHCHAT_SSL_CERT",
        value_name = "PATH",
        requires = "ssl_key"
    )]
    pub ssl_cert: Option<PathBuf>,

    /// PEM private key for --ssl-cert.
    #[arg(
        long,
        env = "MESHCHAT_SSL_KEY",
        value_name = "PATH",
        requires = "ssl_cert"
    )]
    pub ssl_key: Option<PathBuf>,

    /// Root folder for everything: --storage-dir defaults to <DIR>/storage and
    /// --reticulum-config-dir to <DIR>/.reticulum.
    #[arg(long, env = "MESHCHAT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where identities, keys and certificates are kept (default: ./storage).
    #[arg(long, env = "MESHCHAT_STORAGE_DIR", value_name = "DIR")]
    pub storage_dir: Option<PathBuf>,

    /// Reticulum config directory; a default config is written there if it has
    /// none (default: /etc/reticulum or ~/.config/reticulum if they hold a
    /// config, else ~/.reticulum).
    #[arg(long, env = "MESHCHAT_RETICULUM_CONFIG_DIR", value_name = "DIR")]
    pub reticulum_config_dir: Option<PathBuf>,

    /// Use this identity file (64 raw bytes) instead of <storage>/identity.
    #[arg(long, env = "MESHCHAT_IDENTITY_FILE", value_name = "PATH",
          conflicts_with_all = ["identity_base64", "identity_base32"])]
    pub identity_file: Option<PathBuf>,

    /// Use this identity, given as the base64 of its 64 bytes.
    #[arg(
        long,
        env = "MESHCHAT_IDENTITY_BASE64",
        value_name = "B64",
        conflicts_with = "identity_base32"
    )]
    pub identity_base64: Option<String>,

    /// Use this identity, given as the base32 of its 64 bytes.
    #[arg(long, env = "MESHCHAT_IDENTITY_BASE32", value_name = "B32")]
    pub identity_base32: Option<String>,

    /// Write a new identity file to PATH (mode 0600) and exit.
    #[arg(long, value_name = "PATH")]
    pub generate_identity_file: Option<PathBuf>,

    /// Require a password for the web UI and API, and keep it required (the
    /// setting is stored; without this flag the stored setting decides). The
    /// password is set on first use, in the browser.
    #[arg(long, env = "MESHCHAT_AUTH", value_parser = FalseyValueParser::new())]
    pub auth: bool,

    /// Forget the stored password (it is set again on first use; everyone
    /// is logged out).
    #[arg(long, env = "MESHCHAT_RESET_PASSWORD", value_parser = FalseyValueParser::new())]
    pub reset_password: bool,

    /// Listen on a non-loopback address even though no password protects
    /// the UI: anyone who can reach the port can read and send your messages.
    /// Without this flag such a start is refused.
    #[arg(
        long,
        env = "MESHCHAT_INSECURE_LISTEN_WITHOUT_PASSWORD",
        value_parser = FalseyValueParser::new()
    )]
    pub insecure_listen_without_password: bool,

    /// How much the network stack logs to stderr: none, critical, error,
    /// warning, notice, info, verbose, debug, extreme, or 0-7 (default: info).
    #[arg(long, env = "MESHCHAT_RNS_LOG_LEVEL", value_name = "LEVEL")]
    pub rns_log_level: Option<String>,

    /// Write a backup of the identity's database and files to PATH (a ZIP)
    /// and exit.
    #[arg(long, value_name = "PATH")]
    pub backup_db: Option<PathBuf>,

    /// List the identity's backups and snapshots and exit.
    #[arg(long)]
    pub list_backups: bool,

    /// Restore the identity's database from PATH (a backup ZIP, a file name
    /// listed by --list-backups, or a raw .db) and exit. Checked before it
    /// replaces anything; the current database is backed up first.
    #[arg(long, value_name = "PATH")]
    pub restore_db: Option<PathBuf>,

    /// Check the storage directory and every identity's database, print
    /// the results and exit 0 (all good) or 1.
    #[arg(long, env = "MESHCHAT_SELF_CHECK", value_parser = FalseyValueParser::new())]
    pub self_check: bool,

    /// Back every identity up every MINUTES (first after 5 minutes, or
    /// MINUTES if shorter; 0: never). Backups are kept up to the setting
    /// `backup_max_count` (default 5).
    #[arg(
        long,
        env = "MESHCHAT_BACKUP_INTERVAL_MINUTES",
        value_name = "MINUTES",
        default_value_t = 720
    )]
    pub backup_interval: u64,
}

impl Cli {
    /// The storage folder: --storage-dir, else <data-dir>/storage, else ./storage.
    pub fn storage_dir(&self) -> PathBuf {
        match (&self.storage_dir, &self.data_dir) {
            (Some(dir), _) => dir.clone(),
            (None, Some(data)) => data.join("storage"),
            (None, None) => PathBuf::from("storage"),
        }
    }

    /// The Reticulum config folder: the flag, else <data-dir>/.reticulum, else
    /// the first of Reticulum's own places that holds a config.
    pub fn reticulum_config_dir(&self) -> PathBuf {
        if let Some(dir) = &self.reticulum_config_dir {
            return dir.clone();
        }
        if let Some(data) = &self.data_dir {
            return data.join(".reticulum");
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        let system = PathBuf::from("/etc/reticulum");
        let user = home.join(".config").join("reticulum");
        [system, user]
            .into_iter()
            .find(|d| has_config(d))
            .unwrap_or_else(|| home.join(".reticulum"))
    }
}

fn has_config(dir: &Path) -> bool {
    dir.join("config").is_file()
}
