//! A flood of announces cannot grow the database without bound: far more
//! announces than the caps go in, the table and the file stay bounded, the
//! newest stay, favourites are never trimmed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{TempDir, open};
use meshchat_store::{AnnounceCaps, AnnounceQuery, NewAnnounce, Store};

/// Rows an aspect (or the table) may exceed its cap by between two trims.
const SLACK: i64 = 63;

fn announce(n: u32, aspect: &str) -> NewAnnounce {
    NewAnnounce {
        destination_hash: format!("{n:032x}"),
        aspect: aspect.into(),
        identity_hash: format!("f{n:031x}"),
        identity_public_key: "A".repeat(88),
        app_data: Some("k8QHUmVmIEJvYsCRAA==".into()),
        ..Default::default()
    }
}

fn flood(s: &mut Store, from: u32, n: u32, aspect: &str, caps: &AnnounceCaps) {
    for i in from..from + n {
        s.upsert_announce(&announce(i, aspect), caps).unwrap();
    }
}

fn db_bytes(dir: &TempDir, s: &Store) -> u64 {
    s.connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    std::fs::metadata(dir.join("database.db")).unwrap().len()
}

#[test]
fn per_aspect_cap_holds_under_a_flood() {
    let dir = TempDir::new("flood");
    let mut s = open(&dir);
    let caps = AnnounceCaps::default();
    assert_eq!(s.announce_cap("lxmf.delivery", &caps).unwrap(), 2_500);
    // A favourite heard first, then buried under 10,000 newer announces.
    s.add_favourite(&format!("{:032x}", 7u32), "kept", "lxmf.delivery")
        .unwrap();
    flood(&mut s, 0, 10, "lxmf.delivery", &caps);
    let mut max_seen = 0;
    for round in 0..100 {
        flood(&mut s, 1_000_000 + round * 100, 100, "lxmf.delivery", &caps);
        max_seen = max_seen.max(s.announce_count(Some("lxmf.delivery")).unwrap());
    }
    assert!(
        max_seen <= 2_501 + SLACK,
        "cap + slack + the favourite: {max_seen}"
    );
    s.trim_announces(&caps).unwrap();
    assert_eq!(
        s.announce_count(Some("lxmf.delivery")).unwrap(),
        2_501,
        "cap + the favourite"
    );
    let after_first = db_bytes(&dir, &s);
    flood(&mut s, 2_000_000, 10_000, "lxmf.delivery", &caps);
    s.trim_announces(&caps).unwrap();
    assert_eq!(s.announce_count(Some("lxmf.delivery")).unwrap(), 2_501);
    let after_second = db_bytes(&dir, &s);
    assert!(
        after_second <= after_first + after_first / 10,
        "{after_first} -> {after_second} bytes"
    );

    let newest = s
        .announces(&AnnounceQuery {
            aspect: Some("lxmf.delivery".into()),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        newest[0].announce.destination_hash,
        format!("{:032x}", 2_009_999u32)
    );
    let kept = s
        .announces(&AnnounceQuery {
            destination_hash: Some(format!("{:032x}", 7u32)),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(kept.len(), 1, "the favourite's announce survives");
    assert!(
        s.announces(&AnnounceQuery {
            destination_hash: Some(format!("{:032x}", 8u32)),
            limit: 1,
            ..Default::default()
        })
        .unwrap()
        .is_empty()
    );
}

#[test]
fn configured_caps_other_aspects_and_the_total() {
    let dir = TempDir::new("caps");
    let mut s = open(&dir);
    let caps = AnnounceCaps {
        default_per_aspect: 300,
        total: 1_000,
    };
    s.set_setting("announce_max_stored_nomadnetwork_node", "50")
        .unwrap();
    flood(&mut s, 0, 500, "nomadnetwork.node", &caps);
    assert!(s.announce_count(Some("nomadnetwork.node")).unwrap() <= 50 + SLACK);
    flood(&mut s, 10_000, 500, "lxmf.delivery", &caps);
    s.trim_announces(&caps).unwrap();
    assert_eq!(s.announce_count(Some("nomadnetwork.node")).unwrap(), 50);
    assert_eq!(s.announce_count(Some("lxmf.delivery")).unwrap(), 300);
    // Paging.
    let page = s
        .announces(&AnnounceQuery {
            aspect: Some("lxmf.delivery".into()),
            limit: 100,
            offset: 250,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(
        page[49].announce.destination_hash,
        format!("{:032x}", 10_200u32),
        "oldest kept"
    );
    // Invented aspects: each under its own cap, all under the total.
    for a in 0..20 {
        flood(
            &mut s,
            100_000 + a * 1_000,
            100,
            &format!("flood.aspect{a}"),
            &caps,
        );
        assert!(s.announce_count(None).unwrap() <= 1_000 + SLACK);
    }
    s.trim_announces(&caps).unwrap();
    assert_eq!(s.announce_count(None).unwrap(), 1_000);

    // Re-hearing an announce refreshes it in place (no new row, count + 1).
    let before = s.announce_count(None).unwrap();
    let last = announce(100_000 + 19 * 1_000 + 99, "flood.aspect19");
    s.upsert_announce(&last, &caps).unwrap();
    assert_eq!(s.announce_count(None).unwrap(), before);
    let a = s
        .announces(&AnnounceQuery {
            destination_hash: Some(last.destination_hash.clone()),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(a[0].announce_count, 2);

    // Search.
    let found = s
        .announces(&AnnounceQuery {
            search: Some(last.destination_hash[20..].into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    s.set_setting("announce_max_stored_lxmf_delivery", "0")
        .unwrap();
    assert_eq!(
        s.announce_cap("lxmf.delivery", &caps).unwrap(),
        1,
        "clamped"
    );
}
