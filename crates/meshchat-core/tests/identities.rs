//! Several identities on one node: create, list, switch, delete, export,
//! restore; each with its own database; only the active one's events on the
//! bus; all of it again after a restart. The node runs a Reticulum config
//! with no interfaces at all (nothing leaves the process).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use meshchat_core::{CoreError, CoreEvent, DestinationHash, Node, NodeSettings, Stage};
use rns_crypto::{OsRng, PrivateIdentity};

const NO_INTERFACES: &str =
    "[reticulum]\n  enable_transport = No\n  share_instance = No\n\n[interfaces]\n";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meshchat-core-ids-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rns")).unwrap();
    std::fs::write(dir.join("rns/config"), NO_INTERFACES).unwrap();
    dir
}

async fn start(dir: &Path, identity: PrivateIdentity) -> Node {
    let node = Node::new(NodeSettings {
        reticulum_config_dir: dir.join("rns"),
        identity,
        display_name: None,
        storage_dir: Some(dir.join("storage")),
    })
    .unwrap();
    node.start();
    let mut rx = node.watch_status();
    let status = tokio::time::timeout(
        Duration::from_secs(60),
        rx.wait_for(|s| matches!(s.stage, Stage::Ready | Stage::Failed)),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    assert_eq!(status.stage, Stage::Ready, "{status:?}");
    node
}

fn peer(n: u8) -> DestinationHash {
    DestinationHash::new([n; 16])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_are_created_switched_deleted_and_kept_apart() {
    let dir = temp("lifecycle");
    let main = PrivateIdentity::generate(&mut OsRng);
    let node = start(&dir, main.clone()).await;
    let a = main.hash();

    let b = node.create_identity(Some("Bob side".into())).await.unwrap();
    assert!(!b.is_active);
    let list = node.identities().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].identity_hash, a);
    assert!(list[0].is_active);
    assert_eq!(list[1].display_name, "Bob side");
    // Every identity has its own key file (0600) and database.
    use std::os::unix::fs::PermissionsExt;
    for h in [a, b.identity_hash] {
        let d = dir.join("storage/identities").join(h.to_string());
        let mode = std::fs::metadata(d.join("identity"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(d.join("database.db").is_file() && d.join("metadata.json").is_file());
    }

    // A's data stays A's: a favourite and a block, then switch to B.
    let ctx_a = node.context().unwrap();
    ctx_a
        .add_favourite(peer(1), "fav of A".into(), "lxmf.delivery".into())
        .await
        .unwrap();
    let mut bus = node.subscribe();
    let switched = node.switch_identity(b.identity_hash).await.unwrap();
    assert_eq!(switched.display_name, "Bob side");
    match bus.recv().await.unwrap() {
        CoreEvent::IdentitySwitched {
            identity_hash,
            display_name,
        } => {
            assert_eq!(identity_hash, b.identity_hash);
            assert_eq!(display_name, "Bob side");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(bus.recv().await.unwrap(), CoreEvent::ConfigChanged);
    assert_eq!(node.identity().identity_hash, b.identity_hash);
    assert_eq!(node.settings().display_name, "Bob side");
    let ctx_b = node.context().unwrap();
    assert!(ctx_b.favourites(None).await.unwrap().is_empty());
    // The switch is persisted as the main identity file.
    let stored = std::fs::read(dir.join("storage/identity")).unwrap();
    assert_eq!(
        PrivateIdentity::from_private_slice(&stored).unwrap().hash(),
        b.identity_hash
    );

    // Only the active identity's events reach the bus.
    ctx_a.block(peer(2)).await.unwrap();
    ctx_b.block(peer(3)).await.unwrap();
    match bus.recv().await.unwrap() {
        CoreEvent::BlockedDestinations(list) => {
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].destination_hash, peer(3).to_string());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(bus.try_recv().is_err());

    // The active identity cannot be deleted; unknown ones are not found.
    assert!(matches!(
        node.delete_identity(b.identity_hash).await,
        Err(CoreError::Conflict(_))
    ));
    let unknown = PrivateIdentity::generate(&mut OsRng).hash();
    assert!(matches!(
        node.switch_identity(unknown).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        node.delete_identity(unknown).await,
        Err(CoreError::NotFound(_))
    ));

    // Export and restore: the same key comes back as the same identity.
    let key = node.export_identity().unwrap();
    assert_eq!(
        PrivateIdentity::from_private_slice(key.as_ref())
            .unwrap()
            .hash(),
        b.identity_hash
    );
    let c = PrivateIdentity::generate(&mut OsRng);
    let restored = node
        .restore_identity(&c.to_private_bytes()[..])
        .await
        .unwrap();
    assert_eq!(restored.identity_hash, c.hash());
    assert_eq!(restored.display_name, "Restored Identity");
    let again = node
        .restore_identity(&c.to_private_bytes()[..])
        .await
        .unwrap();
    assert_eq!(again.identity_hash, c.hash());
    assert!(matches!(
        node.restore_identity(b"short").await,
        Err(CoreError::InvalidInput(_))
    ));
    assert_eq!(node.export_all_identities().unwrap().len(), 3);
    assert_eq!(
        node.lxmf_address(c.hash()).await.unwrap(),
        rns_crypto::destination_hash_for("lxmf", &["delivery"], Some(&c.hash())).unwrap()
    );
    assert!(matches!(
        node.lxmf_address(unknown).await,
        Err(CoreError::NotFound(_))
    ));

    // Delete A (not active): its directory goes.
    node.delete_identity(a).await.unwrap();
    assert!(!dir.join("storage/identities").join(a.to_string()).exists());
    assert_eq!(node.identities().await.unwrap().len(), 2);
    node.shutdown().await;

    // A restart with the persisted main identity brings every identity back,
    // each with its own data.
    let main =
        PrivateIdentity::from_private_slice(&std::fs::read(dir.join("storage/identity")).unwrap())
            .unwrap();
    let node = start(&dir, main).await;
    let list = node.identities().await.unwrap();
    let hashes: Vec<_> = list.iter().map(|s| s.identity_hash).collect();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0], b.identity_hash);
    assert!(hashes.contains(&c.hash()));
    assert_eq!(list[0].display_name, "Bob side");
    let blocked = node.context().unwrap().blocked().await.unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0].destination_hash, peer(3).to_string());
    node.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
