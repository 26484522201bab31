//! The `meshchatx` binary: command line, wiring and start-up.
//!
//! For now it loads (or creates) the node's identity and reports it; the
//! Reticulum stack, LXMF and the web service are wired in as their crates grow.

mod cli;
mod identity_file;

use anyhow::Context;
use clap::Parser;

use cli::Cli;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();

    if let Some(path) = &cli.generate_identity_file {
        let identity = identity_file::generate_to(path)?;
        println!(
            "Generated identity {} at {}",
            identity.hash(),
            path.display()
        );
        return Ok(());
    }

    let storage_dir = cli.storage_dir();
    let identity_path = cli
        .identity_file
        .clone()
        .unwrap_or_else(|| storage_dir.join("identity"));
    let identity = identity_file::load_or_create(&identity_path)
        .with_context(|| format!("loading the identity at {}", identity_path.display()))?;
    let delivery = rns_crypto::destination_hash_for("lxmf", &["delivery"], Some(&identity.hash()))?;

    println!("MeshChatX-rs {}", env!("CARGO_PKG_VERSION"));
    println!("identity:         {}", identity.hash());
    println!("lxmf.delivery:    {delivery}");
    println!("identity file:    {}", identity_path.display());
    Ok(())
}
