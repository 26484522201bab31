//! Backups, snapshots, restore and integrity checks of an identity's
//! database, in the reference's layout:
//! `identities/<h>/database-backups/backup-<YYYYmmdd-HHMMSS>.zip` (automatic
//! and on demand), `backup-pre-migrate-v<from>-to-v<to>-<ts>.zip` (before a
//! migration), `backup-pre-restore-<ts>.zip` (before a restore replaces the
//! database) and `identities/<h>/snapshots/<name>.zip` (named by the user).
//!
//! An archive holds `database.db` (a consistent copy made with
//! `VACUUM INTO`, so the live database is never copied mid-write), the
//! identity directory's other files (key, `metadata.json`; never the backup
//! directories, temporary files or symlinks) and `backup-manifest.json`.
//! A restore reads the archive with the checks of [`crate::archive`], stages
//! it in `sqlite-tmp/`, checks free space, runs `PRAGMA integrity_check` and
//! the schema checks on the staged copy, and only then swaps the files (a
//! rename); anything refused changes nothing.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::archive::{ZipReader, ZipWriter};
use crate::{Error, Result, Store, migrations};

/// Where automatic and on-demand backups go, inside the identity directory.
pub const BACKUPS_DIR: &str = "database-backups";
/// Where named snapshots go.
pub const SNAPSHOTS_DIR: &str = "snapshots";
/// Staging for backups and restores.
pub const TMP_DIR: &str = "sqlite-tmp";
/// Pre-migration backups kept (the reference keeps 5).
pub const PRE_MIGRATE_KEEP: usize = 5;
/// Pre-restore backups kept.
const PRE_RESTORE_KEEP: usize = 5;
/// Backups listed at most.
const MAX_LISTED: usize = 1000;
/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// One archive in a backups or snapshots directory.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupInfo {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub created_at: f64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreReport {
    /// `PRAGMA integrity_check` of the restored database: `ok` or the problems.
    pub integrity_check: String,
    /// The files replaced in the identity directory.
    pub restored_files: Vec<String>,
    /// The backup of what was there before.
    pub safety_backup: Option<BackupInfo>,
    pub message_count: u64,
}

/// The database's health.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub integrity_check: String,
    pub quick_check: String,
    pub page_size: u64,
    pub page_count: u64,
    pub freelist_count: u64,
    pub database_bytes: u64,
    pub wal_bytes: u64,
    pub schema_version: u32,
    pub message_count: u64,
}

impl Store {
    /// `PRAGMA integrity_check` (full): `ok`, or the problems found, one a line.
    pub fn integrity_check(&self) -> Result<String> {
        check(&self.conn, "integrity_check")
    }

    /// Sizes and checks for `GET /api/v1/database/health`.
    pub fn health(&self) -> Result<Health> {
        let pragma = |p: &str| -> Result<u64> {
            let v: i64 = self
                .conn
                .query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        let len = |suffix: &str| {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        };
        Ok(Health {
            integrity_check: self.integrity_check()?,
            quick_check: check(&self.conn, "quick_check")?,
            page_size: pragma("page_size")?,
            page_count: pragma("page_count")?,
            freelist_count: pragma("freelist_count")?,
            database_bytes: len(""),
            wal_bytes: len("-wal"),
            schema_version: self.schema_version()?,
            message_count: self.message_count()?,
        })
    }

    /// Folds the WAL into the database file and truncates it
    /// (`wal_checkpoint(TRUNCATE)`): for a clean stop. Committed data is
    /// durable without it.
    pub fn checkpoint(&self) -> Result<()> {
        let _: (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(())
    }

    /// The identity directory this database lives in.
    pub fn identity_dir(&self) -> PathBuf {
        identity_dir_of(&self.path)
    }

    /// Writes `database-backups/backup-<ts>.zip` and prunes the automatic
    /// backups to the newest `keep`.
    pub fn backup(&self, keep: usize) -> Result<BackupInfo> {
        let dir = self.identity_dir();
        let name = format!("backup-{}.zip", timestamp()?);
        let info = self.backup_to(&dir.join(BACKUPS_DIR), &name)?;
        prune(&dir.join(BACKUPS_DIR), is_auto_backup, keep.max(1))?;
        Ok(info)
    }

    /// Writes `snapshots/<name>.zip` (`name`: letters, digits, `-`, `_`, `.`;
    /// a timestamp when empty). An existing snapshot is not overwritten.
    pub fn snapshot(&self, name: &str) -> Result<BackupInfo> {
        let name = if name.is_empty() {
            format!("snapshot-{}", timestamp()?)
        } else {
            check_snapshot_name(name)?;
            name.to_owned()
        };
        let dir = self.identity_dir().join(SNAPSHOTS_DIR);
        if dir.join(format!("{name}.zip")).exists() {
            return Err(Error::BadArchive(format!(
                "snapshot {name:?} already exists"
            )));
        }
        self.backup_to(&dir, &format!("{name}.zip"))
    }

    /// A consistent archive of the database and the identity's files at
    /// `dir/name`, written to a temporary name, synced, then renamed.
    pub fn backup_to(&self, dir: &Path, name: &str) -> Result<BackupInfo> {
        let identity_dir = self.identity_dir();
        let tmp = identity_dir.join(TMP_DIR);
        create_dir(&tmp)?;
        create_dir(dir)?;
        let copy = tmp.join(format!("backup-{}.db", std::process::id()));
        remove_if_exists(&copy)?;
        let path = copy.to_string_lossy().into_owned();
        self.conn.execute("VACUUM INTO ?1", [&path])?;
        let result = write_archive(&identity_dir, &copy, dir, name);
        remove_if_exists(&copy)?;
        result
    }

    /// Restores the archive (a backup ZIP or a raw `.db`) over this
    /// database: everything is checked first; the current state is backed up
    /// to `backup-pre-restore-<ts>.zip`; then the files are swapped and the
    /// database reopened (and migrated if the backup is older).
    pub fn restore(&mut self, archive: &Path) -> Result<RestoreReport> {
        let staged = stage(archive, &self.path)?;
        // Closing the connection checkpoints the WAL into database.db.
        let _old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        drop(_old);
        let result = swap(staged, &self.path);
        let reopened = Store::open(&self.path)?;
        *self = reopened;
        let mut report = result?;
        report.message_count = self.message_count()?;
        Ok(report)
    }
}

/// Restores into a database that is not open (the CLI's `--restore-db`,
/// under the storage lock). Works when the current database is corrupt.
pub fn restore_closed(db_path: &Path, archive: &Path) -> Result<RestoreReport> {
    let staged = stage(archive, db_path)?;
    let mut report = swap(staged, db_path)?;
    let store = Store::open(db_path)?;
    report.message_count = store.message_count()?;
    Ok(report)
}

/// The archives in `identity_dir/sub` (`database-backups` or `snapshots`),
/// newest first.
pub fn list(identity_dir: &Path, sub: &str) -> Result<Vec<BackupInfo>> {
    let dir = identity_dir.join(sub);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in entries.take(10 * MAX_LISTED) {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let meta = entry.metadata()?;
        if !meta.is_file() || !name.ends_with(".zip") {
            continue;
        }
        let created_at = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        out.push(BackupInfo {
            path: entry.path(),
            name,
            size: meta.len(),
            created_at,
        });
    }
    out.sort_by(|a, b| {
        b.created_at
            .total_cmp(&a.created_at)
            .then_with(|| b.name.cmp(&a.name))
    });
    out.truncate(MAX_LISTED);
    Ok(out)
}

/// Resolves a backup or snapshot by its file name (no paths: a name that is
/// not exactly one listed archive is refused).
pub fn find(identity_dir: &Path, sub: &str, name: &str) -> Result<BackupInfo> {
    list(identity_dir, sub)?
        .into_iter()
        .find(|b| b.name == name)
        .ok_or_else(|| Error::NotFound(format!("no archive named {name:?} in {sub}")))
}

/// The backup taken by [`Store::open`] before a migration.
pub(crate) fn pre_migrate_backup(store: &Store, from: u32, to: u32) -> Result<BackupInfo> {
    let dir = store.identity_dir().join(BACKUPS_DIR);
    let name = format!("backup-pre-migrate-v{from}-to-v{to}-{}.zip", timestamp()?);
    let info = store.backup_to(&dir, &name)?;
    prune(
        &dir,
        |n| n.starts_with("backup-pre-migrate-"),
        PRE_MIGRATE_KEEP,
    )?;
    Ok(info)
}

fn is_auto_backup(name: &str) -> bool {
    name.strip_prefix("backup-")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

fn check_snapshot_name(name: &str) -> Result<()> {
    let ok = name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadArchive(format!(
            "snapshot name {name:?}: use at most 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// `PRAGMA <which>` rows joined: `ok` when healthy.
fn check(conn: &Connection, which: &str) -> Result<String> {
    let mut stmt = conn.prepare(&format!("PRAGMA {which}"))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .take(100)
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows.join("\n"))
}

/// Runs `PRAGMA quick_check` on open: a database that fails it is refused.
pub(crate) fn check_on_open(conn: &Connection, path: &Path) -> Result<()> {
    let result = check(conn, "quick_check")?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Corrupt(format!(
            "{}: {result} (restore a backup with --restore-db)",
            path.display()
        )))
    }
}

fn identity_dir_of(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// `YYYYmmdd-HHMMSS` in UTC, as the reference names its backups.
fn timestamp() -> Result<String> {
    let conn = Connection::open_in_memory()?;
    Ok(conn.query_row("SELECT strftime('%Y%m%d-%H%M%S', 'now')", [], |r| r.get(0))?)
}

/// Files of the identity directory that go into an archive besides the
/// database (relative names, sorted), recursing at most 4 levels.
fn identity_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    walk(dir, "", 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, depth: u32, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type()?; // not followed: symlinks are skipped
        let skipped = name.starts_with('.')
            || (depth == 0
                && matches!(
                    name.as_str(),
                    "database.db"
                        | "database.db-wal"
                        | "database.db-shm"
                        | "database.db-journal"
                        | BACKUPS_DIR
                        | SNAPSHOTS_DIR
                        | TMP_DIR
                ));
        if skipped {
            continue;
        }
        if kind.is_file() {
            out.push((rel, entry.path()));
        } else if kind.is_dir() && depth < 4 {
            walk(&entry.path(), &format!("{rel}/"), depth + 1, out)?;
        }
        if out.len() > crate::archive::MAX_ENTRIES - 2 {
            return Err(Error::BadArchive("too many files to back up".into()));
        }
    }
    Ok(())
}

fn write_archive(
    identity_dir: &Path,
    db_copy: &Path,
    dir: &Path,
    name: &str,
) -> Result<BackupInfo> {
    let files = identity_files(identity_dir)?;
    let final_path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut zip = ZipWriter::create(&tmp)?;
    zip.add_file("database.db", db_copy)?;
    for (rel, path) in &files {
        zip.add_file(rel, path)?;
    }
    let mut names: Vec<String> = vec!["database.db".into()];
    names.extend(files.iter().map(|(r, _)| r.clone()));
    let manifest = format!(
        "{{\"version\":1,\"created_at\":\"{}\",\"includes_identity_storage\":true,\"files\":[{}]}}",
        iso_now()?,
        names
            .iter()
            .map(|n| format!("\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",")
    );
    zip.add_bytes("backup-manifest.json", manifest.as_bytes())?;
    zip.finish()?;
    std::fs::rename(&tmp, &final_path)?;
    sync_dir(dir)?;
    let size = std::fs::metadata(&final_path)?.len();
    Ok(BackupInfo {
        name: name.to_owned(),
        path: final_path,
        size,
        created_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    })
}

fn iso_now() -> Result<String> {
    let conn = Connection::open_in_memory()?;
    Ok(conn.query_row(
        "SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')",
        [],
        |r| r.get(0),
    )?)
}

/// Keeps the newest `keep` archives whose names `select` picks.
fn prune(dir: &Path, select: impl Fn(&str) -> bool, keep: usize) -> Result<()> {
    let mut matching: Vec<BackupInfo> = list(dir.parent().unwrap_or(dir), &dir_name(dir))?
        .into_iter()
        .filter(|b| select(&b.name))
        .collect();
    // Names carry the timestamp: sort by it, newest first.
    matching.sort_by(|a, b| b.name.cmp(&a.name));
    for old in matching.iter().skip(keep) {
        remove_if_exists(&old.path)?;
    }
    Ok(())
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A checked, staged restore: the files to move into place.
#[derive(Debug)]
struct Staged {
    dir: PathBuf,
    files: Vec<String>,
    integrity_check: String,
}

/// Reads and checks the archive, extracts it to `sqlite-tmp/restore-<pid>/`
/// and checks the staged database. Nothing outside the staging directory
/// is touched; on any refusal the staging directory is removed.
fn stage(archive: &Path, db_path: &Path) -> Result<Staged> {
    let identity_dir = identity_dir_of(db_path);
    let tmp = identity_dir.join(TMP_DIR);
    create_dir(&tmp)?;
    let dir = tmp.join(format!("restore-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    create_dir(&dir)?;
    let result = stage_into(archive, &identity_dir, &dir);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn stage_into(archive: &Path, identity_dir: &Path, dir: &Path) -> Result<Staged> {
    let mut head = [0u8; 16];
    let is_raw = {
        use std::io::Read;
        let mut f = std::fs::File::open(archive)?;
        f.read(&mut head)? == 16 && &head == SQLITE_MAGIC
    };
    let files = if is_raw {
        let size = std::fs::metadata(archive)?.len();
        check_space(dir, size)?;
        std::fs::copy(archive, dir.join("database.db"))?;
        vec!["database.db".to_owned()]
    } else {
        extract_archive(archive, identity_dir, dir)?
    };
    let integrity_check = check_staged_database(&dir.join("database.db"))?;
    Ok(Staged {
        dir: dir.to_path_buf(),
        files,
        integrity_check,
    })
}

/// Files of an archive that a restore puts back (the key is only compared).
const RESTORED: &[&str] = &["database.db", "metadata.json"];

fn extract_archive(archive: &Path, identity_dir: &Path, dir: &Path) -> Result<Vec<String>> {
    let mut zip = ZipReader::open(archive)?;
    if zip.find("database.db").is_none() {
        return Err(Error::BadArchive("the archive has no database.db".into()));
    }
    check_space(dir, zip.total_size())?;
    // A backup of another identity must not replace this one's messages.
    if let Some(key) = zip.find("identity").cloned() {
        let theirs = zip.read_small(&key, 4096)?;
        if let Ok(ours) = std::fs::read(identity_dir.join("identity"))
            && ours != theirs
        {
            return Err(Error::BadArchive(
                "the archive belongs to another identity".into(),
            ));
        }
    }
    let mut files = Vec::new();
    for name in RESTORED {
        if let Some(entry) = zip.find(name).cloned() {
            zip.extract(&entry, &dir.join(name))?;
            files.push((*name).to_owned());
        }
    }
    Ok(files)
}

/// Refuses when `size` plus a margin (10 %, at least 64 MiB) exceeds the
/// free space where it would be written.
pub(crate) fn check_space(dir: &Path, size: u64) -> Result<()> {
    let need = size.saturating_add((size / 10).max(64 << 20));
    let free = free_bytes(dir)?;
    if need > free {
        return Err(Error::NoSpace { need, free });
    }
    Ok(())
}

/// Bytes available to us on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Result<u64> {
    let st = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// `integrity_check` of a database file through a read-only connection of
/// its own (the CLI's `--self-check`; safe beside the store's connection).
pub fn check_database_file(path: &Path) -> Result<String> {
    check_staged_database(path)
}

/// Opens the staged database read-only: it must be SQLite, pass
/// `integrity_check`, be a MeshChatX database and not newer than this build.
pub(crate) fn check_staged_database(path: &Path) -> Result<String> {
    let refused = |why: String| Error::BadArchive(format!("the backup's database.db {why}"));
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| refused(format!("does not open: {e}")))?;
    let result =
        check(&conn, "integrity_check").map_err(|e| refused(format!("is unreadable: {e}")))?;
    if result != "ok" {
        return Err(refused(format!("fails its integrity check: {result}")));
    }
    let has_messages: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lxmf_messages')",
        [],
        |r| r.get(0),
    )?;
    if !has_messages {
        return Err(refused("is not a MeshChatX database".into()));
    }
    let version = migrations::user_version(&conn)?;
    if version > migrations::LATEST_VERSION {
        return Err(Error::NewerSchema {
            found: version,
            known: migrations::LATEST_VERSION,
        });
    }
    match migrations::reference_version(&conn)? {
        Some(v) if v.trim() != migrations::REFERENCE_DATABASE_VERSION.to_string() => {
            Err(Error::UnsupportedReferenceVersion { found: v })
        }
        _ => Ok(result),
    }
}

/// Backs up what is there (raw files, as they are), then moves the staged
/// files into place. The database must not be open.
fn swap(staged: Staged, db_path: &Path) -> Result<RestoreReport> {
    let identity_dir = identity_dir_of(db_path);
    let safety = safety_backup(&identity_dir, db_path)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        remove_if_exists(Path::new(&p))?;
    }
    for name in &staged.files {
        std::fs::rename(staged.dir.join(name), identity_dir.join(name))?;
    }
    sync_dir(&identity_dir)?;
    let _ = std::fs::remove_dir_all(&staged.dir);
    Ok(RestoreReport {
        integrity_check: staged.integrity_check,
        restored_files: staged.files,
        safety_backup: safety,
        message_count: 0,
    })
}

/// `backup-pre-restore-<ts>.zip` of the current files as they are (the
/// database may be corrupt, so no SQL is used).
fn safety_backup(identity_dir: &Path, db_path: &Path) -> Result<Option<BackupInfo>> {
    if !db_path.exists() {
        return Ok(None);
    }
    let dir = identity_dir.join(BACKUPS_DIR);
    create_dir(&dir)?;
    let name = format!("backup-pre-restore-{}.zip", timestamp()?);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut zip = ZipWriter::create(&tmp)?;
    zip.add_file("database.db", db_path)?;
    for suffix in ["-wal", "-shm"] {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        if Path::new(&p).is_file() {
            zip.add_file(&format!("database.db{suffix}"), Path::new(&p))?;
        }
    }
    for (rel, path) in identity_files(identity_dir)? {
        zip.add_file(&rel, &path)?;
    }
    zip.finish()?;
    let path = dir.join(&name);
    std::fs::rename(&tmp, &path)?;
    prune(
        &dir,
        |n| n.starts_with("backup-pre-restore-"),
        PRE_RESTORE_KEEP,
    )?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Some(BackupInfo {
        name,
        path,
        size,
        created_at: 0.0,
    }))
}

fn create_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    Ok(b.create(dir)?)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}
