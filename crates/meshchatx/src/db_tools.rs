//! The one-shot database tools: `--backup-db`, `--list-backups`,
//! `--restore-db` and `--self-check`. They run under the storage lock, with
//! no server and no network, and exit.

use std::path::Path;

use anyhow::Context;
use meshchat_store::StorageDir;
use meshchat_store::backup::{self, BACKUPS_DIR, SNAPSHOTS_DIR};
use rns_crypto::PrivateIdentity;

use crate::cli::Cli;

/// Runs the tool the flags ask for; `None` when no tool was asked for.
pub(crate) fn run(cli: &Cli, identity: &PrivateIdentity) -> anyhow::Result<Option<()>> {
    let storage = StorageDir::new(cli.storage_dir());
    let hash = identity.hash().to_string();
    let dir = storage.identity_dir(&hash)?;
    let db = storage.database_path(&hash)?;
    if let Some(dest) = &cli.backup_db {
        let store = storage
            .open_identity(&hash)
            .with_context(|| format!("opening {}", db.display()))?;
        let (parent, name) = split(dest)?;
        let b = store
            .backup_to(&parent, &name)
            .with_context(|| format!("writing {}", dest.display()))?;
        println!("backup written: {} ({} bytes)", b.path.display(), b.size);
        return Ok(Some(()));
    }
    if cli.list_backups {
        for (title, sub) in [("backups", BACKUPS_DIR), ("snapshots", SNAPSHOTS_DIR)] {
            let list = backup::list(&dir, sub)?;
            println!("{title} ({}):", dir.join(sub).display());
            for b in list {
                println!("  {}  {} bytes", b.name, b.size);
            }
        }
        return Ok(Some(()));
    }
    if let Some(src) = &cli.restore_db {
        // A bare name is one of the listed backups or snapshots.
        let path = if src.components().count() == 1 && !src.exists() {
            let name = src.to_string_lossy();
            backup::find(&dir, BACKUPS_DIR, &name)
                .or_else(|_| backup::find(&dir, SNAPSHOTS_DIR, &name))?
                .path
        } else {
            src.clone()
        };
        std::fs::create_dir_all(&dir)?;
        let r = backup::restore_closed(&db, &path)
            .with_context(|| format!("restoring {} from {}", db.display(), path.display()))?;
        println!(
            "restored {} from {}",
            r.restored_files.join(", "),
            path.display()
        );
        println!("integrity_check: {}", r.integrity_check);
        println!("messages: {}", r.message_count);
        if let Some(s) = r.safety_backup {
            println!("previous state kept in {}", s.path.display());
        }
        return Ok(Some(()));
    }
    Ok(None)
}

/// `--self-check`: prints one line per check; the exit code.
pub(crate) fn self_check(storage: &Path) -> i32 {
    let checks = meshchat_core::self_check_storage(storage);
    for c in &checks {
        println!(
            "{} {}: {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    let ok = checks.iter().all(|c| c.ok);
    println!("self-check {}", if ok { "passed" } else { "failed" });
    i32::from(!ok)
}

fn split(dest: &Path) -> anyhow::Result<(std::path::PathBuf, String)> {
    let name = dest
        .file_name()
        .context("--backup-db needs a file name")?
        .to_string_lossy()
        .into_owned();
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((parent, name))
}
