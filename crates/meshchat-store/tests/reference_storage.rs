//! The reference app (MeshChatX 4.10.7) creates a storage directory during
//! the test (tests/refapp/make_storage.py: loopback only, driven over its
//! HTTP API, an LXMF peer "Ref Bob" in the same script); we open it and find
//! everything it wrote. Then the other way: the reference app opens what we
//! wrote (a reference database after our writes, and a database we created)
//! and lists it through its API.
//!
//! Needs python3 (the venv is created by scripts/setup-refapp.sh on first use,
//! 31 s with an empty pip cache; the fixture itself takes ~7 s, each check
//! run ~3-5 s; the whole file ~14 s on the 2-core dev box).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    Fixture, TempDir, message, reference_fixture, run_make_storage, schema_of, tables_of,
};
use meshchat_store::migrations::{LATEST_VERSION, reference_version, user_version};
use meshchat_store::{
    AnnounceCaps, AnnounceQuery, ConversationQuery, DeliveryUpdate, InboundOutcome, StorageDir,
    Store,
};
use rusqlite::Connection;

fn open_main(f: &Fixture, copy: &TempDir) -> Store {
    StorageDir::new(copy.join("storage"))
        .open_identity(&f.s("identity_hash"))
        .unwrap()
}

#[test]
fn reference_storage_opens_without_loss() {
    let f = reference_fixture();
    let copy = f.copy("open");
    let dir = StorageDir::new(copy.join("storage"));
    let me = f.s("identity_hash");
    let second = f.expected["second_identity"]["identity"]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = f.s("bob_lxmf_address_hash");

    // Identities: the main one and the one created through the API.
    assert!(dir.identity_file().is_file());
    let mut want = vec![me.clone(), second.clone()];
    want.sort();
    assert_eq!(dir.identities().unwrap(), want);
    drop(dir.open_identity(&second).unwrap());

    // The reference's own version marker is untouched; ours is set.
    let db = dir.database_path(&me).unwrap();
    {
        let c = Connection::open(&db).unwrap();
        assert_eq!(
            user_version(&c).unwrap(),
            0,
            "the reference leaves user_version at 0"
        );
        assert_eq!(reference_version(&c).unwrap().as_deref(), Some("59"));
    }
    let store = dir.open_identity(&me).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(
        reference_version(store.connection()).unwrap().as_deref(),
        Some("59")
    );

    // Messages: Bob's (inbound, with a file attachment and an image, bytes
    // intact) and ours to Bob (outbound, delivered).
    let inbound = store
        .message(&f.s("inbound_hash"))
        .unwrap()
        .expect("inbound message");
    assert!(inbound.is_incoming);
    assert_eq!(inbound.peer_hash, bob);
    assert_eq!(inbound.source_hash, bob);
    assert_eq!(inbound.destination_hash, f.s("lxmf_address_hash"));
    assert_eq!(
        (inbound.title.as_str(), inbound.content.as_str()),
        ("greeting", "hello from Bob")
    );
    assert!(inbound.has_files && inbound.has_image && !inbound.attachments_stripped);
    let fields: serde_json::Value = serde_json::from_str(&inbound.fields).unwrap();
    assert_eq!(fields["file_attachments"][0]["file_name"], "notes.bin");
    assert_eq!(
        fields["file_attachments"][0]["file_bytes"],
        f.expected["attachment_b64"]
    );
    assert_eq!(fields["image"]["image_type"], "png");
    assert_eq!(fields["image"]["image_bytes"], f.expected["image_b64"]);

    let outbound = store
        .message(&f.s("outbound_hash"))
        .unwrap()
        .expect("outbound message");
    assert!(!outbound.is_incoming);
    assert_eq!(outbound.state, "delivered");
    assert_eq!(outbound.progress, 100.0);
    assert_eq!(outbound.content, "hi Bob, from Alice");
    assert_eq!(outbound.peer_hash, bob);

    let page = store.conversation_messages(&bob, None, 50).unwrap();
    let hashes: Vec<&str> = page.iter().map(|m| m.hash.as_str()).collect();
    assert_eq!(
        hashes,
        [f.s("outbound_hash"), f.s("inbound_hash")],
        "newest first"
    );

    // The conversation list, as the reference's summary table has it.
    let convs = store
        .conversations(&ConversationQuery {
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(convs.len(), 1);
    let c = &convs[0];
    assert_eq!(c.peer_hash, bob);
    assert_eq!(c.latest_message_hash, f.s("outbound_hash"));
    assert_eq!(c.latest_preview, "hi Bob, from Alice");
    assert!(c.pinned);
    assert_eq!(c.folder_id, f.expected["folder_id"].as_i64());
    assert_eq!(c.custom_display_name.as_deref(), Some("Bobby"));
    assert_eq!(c.unread_count, 0, "marked read through the API");
    assert_eq!(c.failed_count, 0);
    let api_conv = &f.expected["api_conversations"]["conversations"][0];
    assert_eq!(api_conv["destination_hash"], bob.as_str());
    assert_eq!(
        api_conv["latest_message_preview"],
        c.latest_preview.as_str()
    );
    assert_eq!(api_conv["is_unread"], false);
    assert_eq!(store.pins().unwrap(), std::slice::from_ref(&bob));
    let folders = store.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].name, "Work");
    let found = store
        .conversations(&ConversationQuery {
            search: Some("from bob".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "search matches the inbound message's content"
    );

    // Bob's announce.
    let anns = store
        .announces(&AnnounceQuery {
            aspect: Some("lxmf.delivery".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    let a = anns
        .iter()
        .find(|a| a.announce.destination_hash == bob)
        .expect("Bob's announce");
    assert_eq!(a.announce.identity_hash, f.s("bob_identity_hash"));
    assert!(!a.announce.identity_public_key.is_empty());
    assert!(
        a.announce
            .app_data
            .as_deref()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(a.announce_count >= 1);

    // Favourites, custom display names, blocked destinations.
    let favs = store.favourites(None).unwrap();
    let fav = |h: &str| {
        favs.iter()
            .find(|x| x.destination_hash == h)
            .map(|x| x.display_name.clone())
    };
    assert_eq!(fav(&f.s("favourite")).as_deref(), Some("Fav Two"));
    assert_eq!(fav(&bob).as_deref(), Some("Bob (fav)"));
    assert!(favs.iter().all(|x| x.aspect == "lxmf.delivery"));
    assert_eq!(
        store
            .custom_display_name(&f.s("custom_display_name"))
            .unwrap()
            .as_deref(),
        Some("Custom Three")
    );
    assert_eq!(
        store.custom_display_name(&bob).unwrap().as_deref(),
        Some("Bobby")
    );
    assert!(store.is_blocked(&f.s("blocked")).unwrap());
    assert!(!store.is_blocked(&bob).unwrap());
    assert_eq!(store.blocked().unwrap().len(), 1);

    // Settings as the reference stores them, and the propagation node.
    assert_eq!(
        store.setting("display_name").unwrap().as_deref(),
        Some("Ref Alice")
    );
    assert_eq!(store.setting("theme").unwrap().as_deref(), Some("dark"));
    assert_eq!(
        store
            .setting("block_attachments_from_strangers")
            .unwrap()
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        store.setting("database_version").unwrap().as_deref(),
        Some("59")
    );
    assert_eq!(
        store.preferred_propagation_node().unwrap(),
        Some(f.s("propagation_node"))
    );
}

#[test]
fn empty_and_reference_databases_migrate_to_the_same_schema() {
    let f = reference_fixture();
    let copy = f.copy("migrate");
    let fresh_dir = TempDir::new("fresh");
    let fresh = Store::open(fresh_dir.join("database.db")).unwrap();
    let reference = open_main(f, &copy);

    // The whole reference schema (42 tables), column for column and index for
    // index, plus our own additions on both.
    let ours = tables_of(fresh.connection());
    assert_eq!(ours.len(), 42);
    assert_eq!(ours, tables_of(reference.connection()));
    assert_eq!(
        schema_of(fresh.connection(), &ours),
        schema_of(reference.connection(), &ours)
    );
    assert_eq!(
        fresh.schema_version().unwrap(),
        reference.schema_version().unwrap()
    );
    assert_eq!(
        reference_version(fresh.connection()).unwrap().as_deref(),
        Some("59")
    );

    // Opening again is a no-op.
    drop(reference);
    let again = open_main(f, &copy);
    assert_eq!(again.schema_version().unwrap(), LATEST_VERSION);
}

#[test]
fn our_writes_keep_the_reference_reading_its_database() {
    let f = reference_fixture();
    let copy = f.copy("write-back");
    let me_lxmf = f.s("lxmf_address_hash");
    let bob = f.s("bob_lxmf_address_hash");
    let carol = "cccccccccccccccccccccccccccccccc";
    {
        let mut store = open_main(f, &copy);
        // A duplicate delivery of Bob's message changes nothing.
        let again = store.message(&f.s("inbound_hash")).unwrap().unwrap();
        assert!(matches!(
            store.insert_inbound(&again).unwrap(),
            InboundOutcome::Duplicate(_)
        ));
        // A new conversation, with a failed message.
        let out = message(
            &"ab".repeat(32),
            &me_lxmf,
            carol,
            false,
            "to Carol, written by meshchat-store",
            1.9e9,
        );
        store.insert_outbound(&out).unwrap();
        let upd = DeliveryUpdate {
            state: "failed".into(),
            progress: 0.0,
            delivery_attempts: Some(3),
            ..Default::default()
        };
        assert!(store.update_delivery(&out.hash, &upd).unwrap());
        store
            .set_custom_display_name(carol, Some("Carol (ours)"))
            .unwrap();
        store
            .add_favourite(carol, "Carol fav", "lxmf.delivery")
            .unwrap();
        store.unblock(&f.s("blocked")).unwrap();
        store.block(carol).unwrap();
        store.set_setting("display_name", "Alice via Rust").unwrap();
        store.toggle_pin(&bob).unwrap(); // unpin
    }
    run_make_storage(&["--check", copy.path().to_str().unwrap()]);
    let o: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(copy.join("observed.json")).unwrap())
            .unwrap();

    assert_eq!(o["config"]["display_name"], "Alice via Rust");
    let convs = o["conversations"]["conversations"].as_array().unwrap();
    let peers: Vec<&str> = convs
        .iter()
        .map(|c| c["destination_hash"].as_str().unwrap())
        .collect();
    assert_eq!(peers, [carol, bob.as_str()], "newest conversation first");
    assert_eq!(
        convs[0]["latest_message_preview"],
        "to Carol, written by meshchat-store"
    );
    assert_eq!(convs[0]["custom_display_name"], "Carol (ours)");
    assert_eq!(convs[0]["failed_messages_count"], 1);
    let carol_msgs = o["messages"][carol]["lxmf_messages"].as_array().unwrap();
    assert_eq!(carol_msgs.len(), 1);
    assert_eq!(carol_msgs[0]["state"], "failed");
    assert_eq!(
        o["messages"][bob.as_str()]["lxmf_messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let blocked: Vec<&str> = o["blocked"]["blocked_destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["destination_hash"].as_str().unwrap())
        .collect();
    assert_eq!(blocked, [carol]);
    let favs = o["favourites"]["favourites"].as_array().unwrap();
    assert!(
        favs.iter()
            .any(|x| x["destination_hash"] == carol && x["display_name"] == "Carol fav")
    );
    assert!(
        o["announces"]["announces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["destination_hash"] == bob.as_str())
    );
}

#[test]
fn the_reference_opens_a_database_we_created() {
    let f = reference_fixture();
    let copy = f.copy("ours");
    let me = f.s("identity_hash");
    let me_lxmf = f.s("lxmf_address_hash");
    let dave = "dddddddddddddddddddddddddddddddd";
    let db = StorageDir::new(copy.join("storage"))
        .database_path(&me)
        .unwrap();
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    {
        let mut store = Store::open(&db).unwrap();
        let inbound = message(
            &"cd".repeat(32),
            &me_lxmf,
            dave,
            true,
            "hello from Dave",
            1.8e9,
        );
        store.insert_inbound(&inbound).unwrap();
        store.add_favourite(dave, "Dave", "lxmf.delivery").unwrap();
        store
            .set_setting("display_name", "Fresh Rust Alice")
            .unwrap();
        let ann = meshchat_store::NewAnnounce {
            destination_hash: dave.into(),
            aspect: "lxmf.delivery".into(),
            identity_hash: "ee".repeat(16),
            identity_public_key: "AAAA".into(),
            app_data: None,
            ..Default::default()
        };
        store
            .upsert_announce(&ann, &AnnounceCaps::default())
            .unwrap();
    }
    run_make_storage(&["--check", copy.path().to_str().unwrap()]);
    let o: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(copy.join("observed.json")).unwrap())
            .unwrap();
    assert_eq!(o["config"]["display_name"], "Fresh Rust Alice");
    let convs = o["conversations"]["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["destination_hash"], dave);
    assert_eq!(convs[0]["latest_message_preview"], "hello from Dave");
    assert_eq!(convs[0]["is_unread"], true);
    assert!(
        o["favourites"]["favourites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["destination_hash"] == dave)
    );
    // The reference found its whole schema (nothing to add) and kept its version.
    let c = Connection::open(&db).unwrap();
    let fresh_tables = tables_of(&c);
    let reference =
        Connection::open(StorageDir::new(f.storage()).database_path(&me).unwrap()).unwrap();
    assert_eq!(fresh_tables, tables_of(&reference));
    assert_eq!(reference_version(&c).unwrap().as_deref(), Some("59"));
    assert_eq!(
        user_version(&c).unwrap(),
        LATEST_VERSION,
        "the reference leaves our version alone"
    );
}
