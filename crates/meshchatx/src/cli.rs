//! Command-line flags and their `MESHCHAT_*` environment variables, named and
//! defaulted as the reference MeshChatX names them so existing scripts keep working.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "meshchatx",
    version,
    about = "MeshChatX-rs: local-first LXMF chat over Reticulum"
)]
pub struct Cli {
    /// Root folder for everything: sets --storage-dir to <dir>/storage unless that is given.
    #[arg(long, env = "MESHCHAT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where identities, databases and keys are kept (default: ./storage).
    #[arg(long, env = "MESHCHAT_STORAGE_DIR", value_name = "DIR")]
    pub storage_dir: Option<PathBuf>,

    /// Use this identity file (64 raw bytes) instead of <storage>/identity.
    #[arg(long, env = "MESHCHAT_IDENTITY_FILE", value_name = "PATH")]
    pub identity_file: Option<PathBuf>,

    /// Write a new identity file to PATH (mode 0600) and exit.
    #[arg(long, value_name = "PATH")]
    pub generate_identity_file: Option<PathBuf>,
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
}
