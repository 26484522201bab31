//! The store against real SQLite files in temp dirs: messages, conversations,
//! contacts, settings, the storage directory, migrations and the thread handle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TempDir, block_on, message, open};
use meshchat_store::migrations::{LATEST_VERSION, user_version};
use meshchat_store::{
    ConversationQuery, DeliveryUpdate, Error, InboundOutcome, StorageDir, Store, StoreHandle,
};
use rusqlite::Connection;

const ME: &str = "00000000000000000000000000000001";
const BOB: &str = "0000000000000000000000000000000b";
const CAROL: &str = "0000000000000000000000000000000c";

fn hash(n: u32) -> String {
    format!("{n:064x}")
}

fn q(limit: u32) -> ConversationQuery {
    ConversationQuery {
        limit,
        ..Default::default()
    }
}

#[test]
fn pragmas_wal_foreign_keys_and_version() {
    let dir = TempDir::new("pragmas");
    let store = open(&dir);
    let c = store.connection();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(
        store.setting("database_version").unwrap().as_deref(),
        Some("59")
    );
}

#[test]
fn migrations_refuse_newer_and_other_reference_versions() {
    let dir = TempDir::new("versions");
    drop(open(&dir));
    let path = dir.join("database.db");
    // Reopening applies nothing and keeps the version.
    let mut c = Connection::open(&path).unwrap();
    assert!(
        meshchat_store::migrations::migrate(&mut c)
            .unwrap()
            .is_empty()
    );
    c.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
        .unwrap();
    drop(c);
    assert!(matches!(Store::open(&path), Err(Error::NewerSchema { .. })));

    let dir = TempDir::new("refversion");
    let path = dir.join("database.db");
    let c = Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE config (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
         INSERT INTO config (key, value) VALUES ('database_version', '58');",
    )
    .unwrap();
    drop(c);
    match Store::open(&path) {
        Err(Error::UnsupportedReferenceVersion { found }) => assert_eq!(found, "58"),
        other => panic!("{other:?}"),
    }
    let c = Connection::open(&path).unwrap();
    assert_eq!(user_version(&c).unwrap(), 0, "nothing was migrated");
}

#[test]
fn outbound_lifecycle_updates_the_same_row_and_the_summary() {
    let dir = TempDir::new("outbound");
    let mut s = open(&dir);
    let m = message(&hash(1), ME, BOB, false, "hello Bob", 1000.0);
    let id = s.insert_outbound(&m).unwrap();
    assert!(matches!(
        s.insert_outbound(&m),
        Err(Error::DuplicateMessage(_))
    ));
    let stored = s.message(&m.hash).unwrap().unwrap();
    assert_eq!((stored.id, stored.state.as_str()), (id, "outbound"));
    assert!(stored.created_at.contains('T') && stored.created_at.ends_with("+00:00"));

    for (state, progress) in [("sending", 40.0), ("delivered", 100.0)] {
        let u = DeliveryUpdate {
            state: state.into(),
            progress,
            delivery_attempts: Some(1),
            ..Default::default()
        };
        assert!(s.update_delivery(&m.hash, &u).unwrap());
        let c = &s.conversations(&q(10)).unwrap()[0];
        assert_eq!(c.latest_state, state);
    }
    let stored = s.message(&m.hash).unwrap().unwrap();
    assert_eq!(
        (stored.id, stored.progress, stored.delivery_attempts),
        (id, 100.0, 1)
    );
    assert!(
        !s.update_delivery(&hash(99), &DeliveryUpdate::default())
            .unwrap()
    );

    let failed = message(&hash(2), ME, BOB, false, "will fail", 1001.0);
    s.insert_outbound(&failed).unwrap();
    s.update_delivery(
        &failed.hash,
        &DeliveryUpdate {
            state: "failed".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.conversations(&q(10)).unwrap()[0].failed_count, 1);
    assert_eq!(s.outbound_in_state("failed", 10).unwrap().len(), 1);
    assert!(s.delete_message(&failed.hash).unwrap());
    let c = &s.conversations(&q(10)).unwrap()[0];
    assert_eq!(
        (c.failed_count, c.latest_message_hash.as_str()),
        (0, m.hash.as_str())
    );
    assert!(matches!(
        s.insert_outbound(&message(&hash(3), ME, "not-a-hash", false, "", 0.0)),
        Err(Error::InvalidHash(_))
    ));
}

#[test]
fn inbound_dedup_fields_lossless_and_paging() {
    let dir = TempDir::new("inbound");
    let mut s = open(&dir);
    let mut m = message(&hash(1), ME, BOB, true, "with a file", 10.0);
    m.fields =
        r#"{"file_attachments": [{"file_name": "a.bin", "file_size": 3, "file_bytes": "AAEC"}]}"#
            .into();
    m.has_files = true;
    let InboundOutcome::Inserted(id) = s.insert_inbound(&m).unwrap() else {
        panic!()
    };
    let mut again = m.clone();
    again.content = "changed".into();
    assert_eq!(
        s.insert_inbound(&again).unwrap(),
        InboundOutcome::Duplicate(id)
    );
    let stored = s.message(&m.hash).unwrap().unwrap();
    assert_eq!(stored.content, "with a file");
    assert_eq!(stored.fields, m.fields, "fields byte for byte");
    assert!(stored.has_files && stored.is_incoming);

    for i in 2..=25 {
        s.insert_inbound(&message(
            &hash(i),
            ME,
            BOB,
            true,
            &format!("m{i}"),
            10.0 + f64::from(i),
        ))
        .unwrap();
    }
    let p1 = s.conversation_messages(BOB, None, 10).unwrap();
    assert_eq!(p1.len(), 10);
    assert_eq!(p1[0].content, "m25");
    let p2 = s.conversation_messages(BOB, Some(p1[9].id), 10).unwrap();
    assert_eq!(p2[0].content, "m15");
    let p3 = s.conversation_messages(BOB, Some(p2[9].id), 10).unwrap();
    assert_eq!(p3.len(), 5);
    assert_eq!(p3[4].content, "with a file");
    assert_eq!(s.delete_conversation(BOB).unwrap(), 25);
    assert!(s.conversations(&q(10)).unwrap().is_empty());
}

#[test]
fn conversations_order_unread_search_pins_and_folders() {
    let dir = TempDir::new("conversations");
    let mut s = open(&dir);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    s.insert_inbound(&message(
        &hash(1),
        ME,
        BOB,
        true,
        "old from Bob",
        now - 100.0,
    ))
    .unwrap();
    s.insert_inbound(&message(
        &hash(2),
        ME,
        BOB,
        true,
        "second from Bob",
        now - 90.0,
    ))
    .unwrap();
    s.insert_outbound(&message(
        &hash(3),
        ME,
        CAROL,
        false,
        "to Carol 100% sure",
        now - 50.0,
    ))
    .unwrap();
    let list = s.conversations(&q(10)).unwrap();
    let peers: Vec<&str> = list.iter().map(|c| c.peer_hash.as_str()).collect();
    assert_eq!(peers, [CAROL, BOB], "latest message first");
    assert_eq!((list[1].unread_count, list[0].unread_count), (2, 0));
    assert_eq!(list[1].latest_preview, "second from Bob");
    assert_eq!(
        s.conversations(&ConversationQuery {
            unread_only: true,
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .len(),
        1
    );

    s.mark_read(BOB).unwrap();
    assert_eq!(s.conversations(&q(10)).unwrap()[1].unread_count, 0);
    s.insert_inbound(&message(
        &hash(4),
        ME,
        BOB,
        true,
        "new from Bob",
        now + 10.0,
    ))
    .unwrap();
    let list = s.conversations(&q(10)).unwrap();
    assert_eq!((list[0].peer_hash.as_str(), list[0].unread_count), (BOB, 1));

    let search = |s: &Store, text: &str| {
        s.conversations(&ConversationQuery {
            search: Some(text.into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|c| c.peer_hash)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        search(&s, "OLD from"),
        [BOB],
        "any message, case-insensitive"
    );
    assert_eq!(search(&s, "100%"), [CAROL]);
    assert!(search(&s, "1_0").is_empty(), "LIKE wildcards are escaped");
    s.set_custom_display_name(CAROL, Some("Caroline")).unwrap();
    assert_eq!(search(&s, "carol"), [CAROL]);
    assert_eq!(search(&s, &BOB[20..]), [BOB]);

    assert!(s.toggle_pin(CAROL).unwrap());
    assert_eq!(s.pins().unwrap(), [CAROL]);
    let pinned: Vec<bool> = s
        .conversations(&q(10))
        .unwrap()
        .iter()
        .map(|c| c.pinned)
        .collect();
    assert_eq!(pinned, [false, true]);
    assert!(!s.toggle_pin(CAROL).unwrap());
    assert!(s.pins().unwrap().is_empty());

    let work = s.create_folder("Work").unwrap();
    assert!(s.create_folder("Work").is_err(), "folder names are unique");
    s.move_to_folder(&[BOB], Some(work)).unwrap();
    let in_work = s
        .conversations(&ConversationQuery {
            folder_id: Some(work),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(in_work.len(), 1);
    assert_eq!(in_work[0].folder_id, Some(work));
    assert!(s.rename_folder(work, "Job").unwrap());
    assert_eq!(s.folders().unwrap()[0].name, "Job");
    assert!(
        s.move_to_folder(&[CAROL], Some(work + 100)).is_err(),
        "foreign key: no such folder"
    );
    assert!(s.delete_folder(work).unwrap());
    assert_eq!(
        s.folder_of(BOB).unwrap(),
        None,
        "deleting a folder empties it (cascade)"
    );

    // Page limits.
    assert_eq!(
        s.conversations(&ConversationQuery {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .unwrap()[0]
            .peer_hash,
        CAROL
    );
}

#[test]
fn favourites_names_blocked_settings_propagation() {
    let dir = TempDir::new("contacts");
    let mut s = open(&dir);
    s.add_favourite(BOB, "Bob", "lxmf.delivery").unwrap();
    s.add_favourite(CAROL, "carol node", "nomadnetwork.node")
        .unwrap();
    s.add_favourite(BOB, "Bobby", "lxmf.delivery").unwrap();
    assert_eq!(s.favourites(None).unwrap().len(), 2);
    let lxmf = s.favourites(Some("lxmf.delivery")).unwrap();
    assert_eq!((lxmf.len(), lxmf[0].display_name.as_str()), (1, "Bobby"));
    assert!(s.rename_favourite(CAROL, "Carol's node").unwrap());
    assert!(s.set_identify_on_connect(CAROL, true).unwrap());
    assert!(s.favourites(Some("nomadnetwork.node")).unwrap()[0].identify_on_connect);
    assert!(s.remove_favourite(BOB).unwrap());
    assert!(!s.remove_favourite(BOB).unwrap());

    s.set_custom_display_name(BOB, Some("B")).unwrap();
    s.set_custom_display_name(BOB, Some("Bob B")).unwrap();
    assert_eq!(
        s.custom_display_name(BOB).unwrap().as_deref(),
        Some("Bob B")
    );
    assert_eq!(s.custom_display_names().unwrap().len(), 1);
    s.set_custom_display_name(BOB, None).unwrap();
    assert_eq!(s.custom_display_name(BOB).unwrap(), None);

    s.block(BOB).unwrap();
    s.block(BOB).unwrap();
    assert!(s.is_blocked(BOB).unwrap());
    assert_eq!(s.blocked().unwrap().len(), 1);
    assert!(s.unblock(BOB).unwrap());
    assert!(!s.is_blocked(BOB).unwrap());

    s.set_setting("theme", "dark").unwrap();
    s.set_setting("theme", "light").unwrap();
    assert_eq!(s.setting("theme").unwrap().as_deref(), Some("light"));
    assert!(s.remove_setting("theme").unwrap());
    assert_eq!(s.setting("theme").unwrap(), None);
    assert_eq!(s.preferred_propagation_node().unwrap(), None);
    s.set_preferred_propagation_node(Some(CAROL)).unwrap();
    assert_eq!(
        s.preferred_propagation_node().unwrap().as_deref(),
        Some(CAROL)
    );
    s.set_preferred_propagation_node(None).unwrap();
    assert_eq!(s.preferred_propagation_node().unwrap(), None);
    assert!(
        s.settings()
            .unwrap()
            .iter()
            .any(|(k, v)| k == "database_version" && v == "59")
    );

    // Everything survives a reopen.
    s.block(CAROL).unwrap();
    drop(s);
    let s = open(&dir);
    assert!(s.is_blocked(CAROL).unwrap());
    assert_eq!(s.favourites(None).unwrap().len(), 1);
}

#[test]
fn storage_dir_layout_and_identities() {
    let dir = TempDir::new("storage");
    let sd = StorageDir::new(dir.join("storage"));
    assert!(sd.identities().unwrap().is_empty());
    assert_eq!(sd.identity_file(), dir.join("storage/identity"));
    assert!(matches!(
        sd.identity_dir("../../etc"),
        Err(Error::InvalidHash(_))
    ));
    assert!(matches!(
        sd.identity_dir(&BOB.to_uppercase()),
        Err(Error::InvalidHash(_))
    ));
    drop(sd.open_identity(BOB).unwrap());
    drop(sd.open_identity(ME).unwrap());
    std::fs::create_dir_all(dir.join("storage/identities/not-a-hash")).unwrap();
    std::fs::create_dir_all(dir.join(format!("storage/identities/{CAROL}"))).unwrap(); // empty: not an identity
    assert_eq!(sd.identities().unwrap(), [ME, BOB]);
    assert!(sd.database_path(BOB).unwrap().is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sd.identity_dir(BOB).unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[test]
fn handle_serves_commands_from_async_and_blocking_callers() {
    let dir = TempDir::new("handle");
    let h = StoreHandle::spawn(open(&dir), 4).unwrap();
    let id = h
        .call_blocking(|s| s.insert_outbound(&message(&hash(1), ME, BOB, false, "via handle", 1.0)))
        .unwrap();
    let h2 = h.clone();
    let got = block_on(async move { h2.call(|s| s.message(&hash(1))).await })
        .unwrap()
        .unwrap();
    assert_eq!(got.id, id);
    // Errors come back as values; the thread keeps serving.
    assert!(matches!(
        h.call(|s| s.insert_outbound(&message(&hash(1), ME, BOB, false, "dup", 1.0)))
            .wait(),
        Err(Error::DuplicateMessage(_))
    ));
    // A panicking command fails alone.
    assert!(matches!(
        h.call(|_| -> meshchat_store::Result<()> { panic!("boom") })
            .wait(),
        Err(Error::Closed)
    ));
    assert_eq!(h.call(|s| s.conversations(&q(10))).wait().unwrap().len(), 1);

    // A full queue answers Busy at once instead of blocking an async caller.
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let blocker = h.call(move |_| {
        release_rx.recv().ok();
        Ok(())
    });
    std::thread::sleep(std::time::Duration::from_millis(50)); // the thread is now inside `blocker`
    let queued: Vec<_> = (0..4).map(|_| h.call(|s| s.schema_version())).collect();
    assert!(matches!(
        h.call(|s| s.schema_version()).wait(),
        Err(Error::Busy)
    ));
    release_tx.send(()).unwrap();
    blocker.wait().unwrap();
    for r in queued {
        assert_eq!(r.wait().unwrap(), LATEST_VERSION);
    }
}

/// The conversation list is served from a cache between writes; every kind
/// of change shows at once, also one made through another connection.
#[test]
fn cached_conversation_lists_follow_every_change() {
    let dir = TempDir::new("store-conv-cache");
    let mut s = open(&dir);
    s.insert_inbound(&message(&hash(1), ME, BOB, true, "hello", 1.0))
        .unwrap();
    let list = s.conversations(&q(10)).unwrap();
    assert_eq!((list.len(), list[0].unread_count), (1, 1));
    // Asked again with nothing changed: the same answer.
    assert_eq!(s.conversations(&q(10)).unwrap(), list);

    s.insert_inbound(&message(&hash(2), ME, CAROL, true, "hi", 2.0))
        .unwrap();
    let list = s.conversations(&q(10)).unwrap();
    assert_eq!(list[0].peer_hash, CAROL);
    assert_eq!(list.len(), 2);

    s.mark_read(CAROL).unwrap();
    assert_eq!(s.conversations(&q(10)).unwrap()[0].unread_count, 0);
    assert!(s.toggle_pin(BOB).unwrap());
    let bob = s.conversations(&q(10)).unwrap();
    assert!(bob.iter().any(|c| c.peer_hash == BOB && c.pinned));

    // A write by another connection (a tool, a restore) is seen too.
    let other = Connection::open(dir.join("database.db")).unwrap();
    other
        .execute(
            "UPDATE lxmf_conversation_summaries SET content_preview = 'edited' WHERE peer_hash = ?1",
            [BOB],
        )
        .unwrap();
    let list = s.conversations(&q(10)).unwrap();
    let bob = list.iter().find(|c| c.peer_hash == BOB).unwrap();
    assert_eq!(bob.latest_preview, "edited");
}
