//! Backups, snapshots and restore of an identity's database: the round trip
//! (back up, change, restore, compare), the backup before a migration, the
//! check on open, and hostile archives (zip-slip names, zip bombs, a
//! truncated database, another identity's backup) refused with a clear
//! error while nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{TempDir, message};
use meshchat_store::archive::{ZipReader, ZipWriter};
use meshchat_store::backup::{self, BACKUPS_DIR, SNAPSHOTS_DIR};
use meshchat_store::{Error, StorageDir, Store};
use rusqlite::Connection;

const ME: &str = "00112233445566778899aabbccddeeff";
const PEER: &str = "ffeeddccbbaa99887766554433221100";

fn h(i: u32) -> String {
    format!("{i:064x}")
}

/// `dir/database.db` with `n` messages, plus an identity key and metadata.
fn seeded(dir: &TempDir, n: u32) -> Store {
    std::fs::write(dir.join("identity"), [7u8; 64]).unwrap();
    std::fs::write(dir.join("metadata.json"), br#"{"display_name":"A"}"#).unwrap();
    let mut s = Store::open(dir.join("database.db")).unwrap();
    for i in 0..n {
        s.insert_inbound(&message(
            &h(i),
            ME,
            PEER,
            true,
            &format!("m{i}"),
            f64::from(i),
        ))
        .unwrap();
    }
    s
}

fn hashes(s: &Store) -> Vec<String> {
    let mut st = s
        .connection()
        .prepare("SELECT hash FROM lxmf_messages ORDER BY hash")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Every file of the directory (except the backups) and its bytes.
fn snapshot_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn back_up_change_restore_and_compare() {
    let dir = TempDir::new("backup-rt");
    let mut s = seeded(&dir, 50);
    let before = hashes(&s);
    let b = s.backup(3).unwrap();
    assert!(
        b.name.starts_with("backup-") && b.name.ends_with(".zip"),
        "{}",
        b.name
    );
    let zip = ZipReader::open(&b.path).unwrap();
    let names: Vec<_> = zip.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "database.db",
            "identity",
            "metadata.json",
            "backup-manifest.json"
        ]
    );
    assert_eq!(backup::list(dir.path(), BACKUPS_DIR).unwrap().len(), 1);

    // Change: delete half, add others.
    for i in 0..25 {
        s.delete_message(&h(i)).unwrap();
    }
    for i in 100..110 {
        s.insert_inbound(&message(&h(i), ME, PEER, true, "new", 1.0))
            .unwrap();
    }
    assert_ne!(hashes(&s), before);

    let report = s.restore(&b.path).unwrap();
    assert_eq!(report.integrity_check, "ok");
    assert_eq!(report.restored_files, ["database.db", "metadata.json"]);
    assert_eq!(report.message_count, 50);
    assert_eq!(hashes(&s), before);
    let m = s.message(&h(3)).unwrap().unwrap();
    assert_eq!(m.content, "m3");
    // The state before the restore was kept.
    let safety = report.safety_backup.unwrap();
    assert!(safety.name.starts_with("backup-pre-restore-"));
    assert!(safety.path.is_file());
    // Still writable after the swap.
    s.insert_inbound(&message(&h(200), ME, PEER, true, "after", 1.0))
        .unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");

    // Snapshots: named, never overwritten, unsafe names refused.
    let snap = s.snapshot("before-upgrade").unwrap();
    assert_eq!(snap.name, "before-upgrade.zip");
    assert!(s.snapshot("before-upgrade").is_err());
    assert!(s.snapshot("../x").is_err());
    assert_eq!(backup::list(dir.path(), SNAPSHOTS_DIR).unwrap().len(), 1);
    let found = backup::find(dir.path(), SNAPSHOTS_DIR, "before-upgrade.zip").unwrap();
    assert_eq!(found.path, snap.path);
    assert!(backup::find(dir.path(), SNAPSHOTS_DIR, "../database.db").is_err());
}

#[test]
fn automatic_backups_are_pruned_to_the_newest() {
    let dir = TempDir::new("backup-prune");
    let s = seeded(&dir, 3);
    let backups = dir.join(BACKUPS_DIR);
    std::fs::create_dir_all(&backups).unwrap();
    for ts in ["20200101-000000", "20200102-000000", "20200103-000000"] {
        std::fs::write(backups.join(format!("backup-{ts}.zip")), b"old").unwrap();
    }
    std::fs::write(
        backups.join("backup-pre-migrate-v1-to-v2-20200101-000000.zip"),
        b"x",
    )
    .unwrap();
    let b = s.backup(2).unwrap();
    let mut left: Vec<_> = backup::list(dir.path(), BACKUPS_DIR)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "backup-20200103-000000.zip".to_string(),
            b.name,
            "backup-pre-migrate-v1-to-v2-20200101-000000.zip".into()
        ]
    );
}

#[test]
fn an_older_database_is_backed_up_before_it_is_migrated() {
    let dir = TempDir::new("backup-premigrate");
    drop(seeded(&dir, 5));
    {
        let c = Connection::open(dir.join("database.db")).unwrap();
        c.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    let s = Store::open(dir.join("database.db")).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        meshchat_store::migrations::LATEST_VERSION
    );
    let list = backup::list(dir.path(), BACKUPS_DIR).unwrap();
    assert_eq!(list.len(), 1);
    assert!(
        list[0].name.starts_with("backup-pre-migrate-v1-to-v2-"),
        "{}",
        list[0].name
    );
    // A fresh database needs no backup.
    let fresh = TempDir::new("backup-fresh");
    drop(Store::open(fresh.join("database.db")).unwrap());
    assert!(backup::list(fresh.path(), BACKUPS_DIR).unwrap().is_empty());
}

#[test]
fn a_corrupt_database_is_refused_on_open_and_restored_while_closed() {
    let dir = TempDir::new("backup-corrupt");
    let s = seeded(&dir, 200);
    let b = s.backup(5).unwrap();
    drop(s);
    // Overwrite pages in the middle of the file with garbage.
    let db = dir.join("database.db");
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 3 * 4096);
    for b in &mut bytes[4096..3 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    match Store::open(&db) {
        Err(Error::Corrupt(why)) => assert!(why.contains("--restore-db"), "{why}"),
        Err(Error::Sqlite(e)) => println!("refused by SQLite itself: {e}"),
        other => panic!("a corrupt database opened: {other:?}"),
    }
    let report = backup::restore_closed(&db, &b.path).unwrap();
    assert_eq!(report.integrity_check, "ok");
    assert_eq!(report.message_count, 200);
    let s = Store::open(&db).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

/// A stored-entry ZIP with whatever names, methods and declared sizes.
fn raw_zip(path: &Path, entries: &[(&str, u16, &[u8], Option<u32>)]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, data, declared) in entries {
        let offset = out.len() as u32;
        let size = declared.unwrap_or(data.len() as u32);
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&[0; 4]);
        common.extend_from_slice(&0u32.to_le_bytes()); // crc (wrong on purpose)
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

#[test]
fn hostile_archives_are_refused_and_change_nothing() {
    let dir = TempDir::new("backup-hostile");
    let mut s = seeded(&dir, 20);
    let good = s.backup(5).unwrap();
    let evil = TempDir::new("backup-hostile-src");
    let db = std::fs::read(dir.join("database.db")).unwrap();
    let mut cases: Vec<(&str, std::path::PathBuf, &str)> = Vec::new();

    let p = evil.join("slip.zip");
    raw_zip(
        &p,
        &[
            ("database.db", 0, b"x", None),
            ("../../evil", 0, b"pwned", None),
        ],
    );
    cases.push(("zip-slip ..", p, "unsafe entry name"));
    let p = evil.join("abs.zip");
    raw_zip(
        &p,
        &[
            ("/tmp/evil", 0, b"pwned", None),
            ("database.db", 0, b"x", None),
        ],
    );
    cases.push(("absolute path", p, "unsafe entry name"));
    let p = evil.join("bomb-deflate.zip");
    raw_zip(&p, &[("database.db", 8, &[0x03, 0x00], Some(u32::MAX - 1))]);
    cases.push(("deflate bomb", p, "compressed"));
    let p = evil.join("bomb-sizes.zip");
    raw_zip(&p, &[("database.db", 0, b"tiny", Some(4_000_000_000))]);
    cases.push(("declared size", p, "inconsistent sizes"));
    // The stored-entry bomb: many entries pointing at the same bytes.
    let p = evil.join("bomb-overlap.zip");
    {
        let data = vec![0u8; 100_000];
        raw_zip(&p, &[("database.db", 0, &data, None)]);
        let mut bytes = std::fs::read(&p).unwrap();
        let end = bytes.len() - 22;
        let cd_start = u32::from_le_bytes(bytes[end + 16..end + 20].try_into().unwrap()) as usize;
        let one = bytes[cd_start..end].to_vec();
        let mut cd = Vec::new();
        for i in 0..200 {
            let mut e = one.clone();
            let name = format!("d{i:09}.db"); // same length as database.db... padded
            e[46..46 + 11].copy_from_slice(&name.as_bytes()[..11]);
            cd.extend_from_slice(&e);
        }
        bytes.truncate(cd_start);
        bytes.extend_from_slice(&cd);
        bytes.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&200u16.to_le_bytes());
        bytes.extend_from_slice(&200u16.to_le_bytes());
        bytes.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&(cd_start as u32).to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        std::fs::write(&p, bytes).unwrap();
    }
    cases.push(("overlapping entries", p, "zip bomb"));
    let p = evil.join("truncated.zip");
    let good_bytes = std::fs::read(&good.path).unwrap();
    std::fs::write(&p, &good_bytes[..good_bytes.len() / 2]).unwrap();
    cases.push(("truncated archive", p, "truncated"));
    let p = evil.join("truncated.db");
    std::fs::write(&p, &db[..db.len() / 3]).unwrap();
    cases.push(("truncated raw database", p, "database.db"));
    let p = evil.join("notadb.zip");
    raw_zip(&p, &[("database.db", 0, b"hello, not sqlite", None)]);
    cases.push(("not a database (bad crc first)", p, "CRC"));
    let p = evil.join("foreign.zip");
    {
        let other = TempDir::new("backup-hostile-other");
        let o = seeded(&other, 1);
        std::fs::write(other.join("identity"), [9u8; 64]).unwrap();
        let b = o.backup(5).unwrap();
        std::fs::copy(&b.path, &p).unwrap();
    }
    cases.push(("another identity's backup", p, "another identity"));

    let before = snapshot_files(dir.path());
    let rows = hashes(&s);
    for (what, path, expect) in &cases {
        let err = s.restore(path).expect_err(what).to_string();
        assert!(err.contains(expect), "{what}: {err}");
        assert!(!evil.path().parent().unwrap().join("evil").exists());
        assert!(!Path::new("/tmp/evil").exists());
        assert_eq!(snapshot_files(dir.path()), before, "{what} changed files");
        assert_eq!(hashes(&s), rows, "{what} changed rows");
        println!("{what}: {err}");
    }
    // No staging leftovers, no safety backups (nothing was replaced).
    let tmp = dir.join("sqlite-tmp");
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert_eq!(backup::list(dir.path(), BACKUPS_DIR).unwrap().len(), 1);
}

/// A backup archive made with the crate's own writer from `(name, bytes)`.
fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut zip = ZipWriter::create(path).unwrap();
    for (name, data) in entries {
        zip.add_bytes(name, data).unwrap();
    }
    zip.finish().unwrap();
}

/// What `identities/` holds besides identity directories: a refused or
/// abandoned import must leave nothing.
fn leftovers(storage: &StorageDir) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(storage.root().join("identities")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// All of an identity's data moves to another storage directory as a new
/// identity: its key (0600), metadata and every message; importing it
/// twice, or a broken archive, is refused and leaves nothing behind.
#[test]
fn a_backup_imports_as_a_new_identity_elsewhere() {
    use std::os::unix::fs::PermissionsExt;
    let src = TempDir::new("import-src");
    let s = seeded(&src, 20);
    let b = s.backup(3).unwrap();
    let before = hashes(&s);
    let dst = TempDir::new("import-dst");
    let storage = StorageDir::new(dst.path());

    let staged = storage.stage_identity_import(&b.path).unwrap();
    assert_eq!(staged.key, vec![7u8; 64]);
    assert_eq!(staged.integrity_check, "ok");
    let dir = storage.install_identity_import(staged, ME).unwrap();
    assert_eq!(dir, storage.identity_dir(ME).unwrap());
    let mode = std::fs::metadata(dir.join("identity"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::read(dir.join("metadata.json")).unwrap(),
        br#"{"display_name":"A"}"#
    );
    assert_eq!(
        hashes(&Store::open(dir.join("database.db")).unwrap()),
        before
    );
    assert_eq!(storage.identities().unwrap(), vec![ME.to_owned()]);

    // The same identity again: staged, then refused when installing.
    let again = storage.stage_identity_import(&b.path).unwrap();
    let refused = storage.install_identity_import(again, ME).unwrap_err();
    assert!(refused.to_string().contains("already"), "{refused}");
    assert_eq!(leftovers(&storage), Vec::<String>::new());

    let bad = TempDir::new("import-bad");
    let db = std::fs::read(src.join("database.db")).unwrap();
    let key = [7u8; 64];
    type Entries<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(&str, Entries, &str)> = vec![
        (
            "no key",
            vec![("database.db", &db)],
            "not a MeshChatX backup",
        ),
        (
            "no database",
            vec![("identity", &key)],
            "not a MeshChatX backup",
        ),
        (
            "short key",
            vec![("identity", &key[..10]), ("database.db", &db)],
            "10 bytes",
        ),
        (
            "not a database",
            vec![
                ("identity", &key),
                ("database.db", b"SQLite format 3\0garbage"),
            ],
            "database.db",
        ),
    ];
    for (what, entries, expected) in cases {
        let p = bad.join(format!("{}.zip", what.replace(' ', "-")));
        zip_of(&p, &entries);
        let e = storage.stage_identity_import(&p).unwrap_err();
        assert!(matches!(e, Error::BadArchive(_)), "{what}: {e}");
        assert!(e.to_string().contains(expected), "{what}: {e}");
        assert_eq!(leftovers(&storage), Vec::<String>::new(), "{what}");
    }
    let p = bad.join("not-a-zip.zip");
    std::fs::write(&p, b"hello, not a zip at all").unwrap();
    let e = storage.stage_identity_import(&p).unwrap_err();
    assert!(e.to_string().contains("not a backup archive"), "{e}");
    assert_eq!(leftovers(&storage), Vec::<String>::new());
    // Nothing of the imported identity changed meanwhile.
    assert_eq!(
        hashes(&Store::open(dir.join("database.db")).unwrap()),
        before
    );
}
