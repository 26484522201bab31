//! The driver's identities: several online on one transport, and one taken
//! offline again (router and network both forget its delivery destination)
//! while the others stay. A Reticulum instance with no interfaces: nothing
//! leaves the process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lxmf::driver::{DriverError, LxmfRouter};
use lxmf::router::RouterConfig;
use rns_crypto::{OsRng, PrivateIdentity};
use rns_net::{Reticulum, ReticulumConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_taken_offline_is_forgotten_and_the_others_stay() {
    let dir = std::env::temp_dir().join(format!("lxmf-driver-ids-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = ReticulumConfig {
        share_instance: false,
        ..ReticulumConfig::default()
    };
    let net = Reticulum::new(config)
        .config_dir(dir.clone())
        .start()
        .await
        .unwrap();
    let router = LxmfRouter::start(net.clone(), RouterConfig::default());
    let one = PrivateIdentity::generate(&mut OsRng);
    let two = PrivateIdentity::generate(&mut OsRng);
    let d1 = router
        .add_identity(one, Some("one".into()), None)
        .await
        .unwrap();
    let d2 = router
        .add_identity(two.clone(), Some("two".into()), None)
        .await
        .unwrap();
    assert_ne!(d1, d2);
    router.announce(d1).await.unwrap();
    router.announce(d2).await.unwrap();

    router.remove_identity(d2).await.unwrap();
    assert!(matches!(
        router.announce(d2).await,
        Err(DriverError::UnknownDestination(d)) if d == d2
    ));
    assert!(matches!(
        router.remove_identity(d2).await,
        Err(DriverError::UnknownDestination(_))
    ));
    // The network stack no longer holds the destination either.
    assert!(net.announce(d2, None).await.is_err());
    // The other identity is untouched.
    router.announce(d1).await.unwrap();
    // And the removed one can come back.
    assert_eq!(router.add_identity(two, None, None).await.unwrap(), d2);
    router.announce(d2).await.unwrap();

    router.shutdown().await;
    net.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
