//! Node-wide maintenance: automatic backups of every identity on an
//! interval, and the self-check behind `--self-check` and
//! `GET /api/v1/self-test`.

use std::path::Path;
use std::time::Duration;

use meshchat_store::StorageDir;
use tokio::task::JoinHandle;

use super::{Node, read};
use crate::status::Stage;

/// Free space below which the self-check fails.
const MIN_FREE_BYTES: u64 = 64 << 20;

/// One line of the self-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Node {
    /// Backs every online identity up after `first`, then every `every`
    /// (the reference: 5 min, then 12 h). A failure is logged to stderr
    /// and retried at the next tick. Abort the handle to stop.
    pub fn spawn_auto_backups(&self, first: Duration, every: Duration) -> JoinHandle<()> {
        let node = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(first).await;
            loop {
                let contexts: Vec<_> = read(&node.inner.registry)
                    .online
                    .values()
                    .filter_map(|o| o.context.clone())
                    .collect();
                for ctx in contexts {
                    match ctx.backup().await {
                        Ok(b) => eprintln!("auto-backup {}: {}", ctx.identity_hash(), b.name),
                        Err(e) => eprintln!("auto-backup {} failed: {e}", ctx.identity_hash()),
                    }
                }
                tokio::time::sleep(every.max(Duration::from_secs(1))).await;
            }
        })
    }

    /// Checkpoints every online identity's database (after
    /// [`shutdown`](Self::shutdown), for a clean stop); how many succeeded.
    pub async fn flush_stores(&self) -> usize {
        let contexts: Vec<_> = read(&self.inner.registry)
            .online
            .values()
            .filter_map(|o| o.context.clone())
            .collect();
        let mut done = 0;
        for ctx in contexts {
            if ctx.checkpoint().await.is_ok() {
                done += 1;
            }
        }
        done
    }

    /// The self-check of a running node: the storage checks of
    /// [`self_check_storage`] plus the network stack's stage.
    pub async fn self_test(&self) -> Vec<CheckResult> {
        let storage = self.inner.storage_dir.clone();
        let mut out = match storage {
            Some(dir) => tokio::task::spawn_blocking(move || self_check_storage(&dir))
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let status = self.status();
        out.push(CheckResult {
            name: "network".into(),
            ok: status.stage == Stage::Ready,
            detail: format!("{:?}", status.stage).to_lowercase(),
        });
        out
    }
}

/// Checks a storage directory without the node: it is writable (a probe
/// file is written, synced and removed), has at least 64 MiB free, and
/// every identity's `database.db` passes `PRAGMA integrity_check` (read
/// through a connection of its own).
pub fn self_check_storage(root: &Path) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let probe = root.join(".meshchatx-selfcheck");
    let written = std::fs::create_dir_all(root)
        .and_then(|()| std::fs::write(&probe, b"probe"))
        .and_then(|()| std::fs::File::open(&probe)?.sync_all())
        .and_then(|()| std::fs::remove_file(&probe));
    out.push(CheckResult {
        name: "storage_writable".into(),
        ok: written.is_ok(),
        detail: match written {
            Ok(()) => root.display().to_string(),
            Err(e) => format!("{}: {e}", root.display()),
        },
    });
    let free = meshchat_store::backup::free_bytes(root);
    out.push(CheckResult {
        name: "disk_space".into(),
        ok: free.as_ref().is_ok_and(|f| *f >= MIN_FREE_BYTES),
        detail: match free {
            Ok(f) => format!("{} MiB free", f >> 20),
            Err(e) => e.to_string(),
        },
    });
    let storage = StorageDir::new(root);
    let identities = storage.identities().unwrap_or_default();
    for hash in identities {
        let Ok(db) = storage.database_path(&hash) else {
            continue;
        };
        if !db.is_file() {
            continue;
        }
        let r = meshchat_store::backup::check_database_file(&db);
        out.push(CheckResult {
            name: format!("database {hash}"),
            ok: r.as_deref().is_ok_and(|v| v == "ok"),
            detail: match r {
                Ok(v) => format!("integrity_check: {v}"),
                Err(e) => e.to_string(),
            },
        });
    }
    out
}
