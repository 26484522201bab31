//! Config files as users and the reference write them, and hostile ones.

use super::*;

/// The shape of the reference's stock config, written from its documented keys.
const STOCK_STYLE: &str = r#"
# This is the default Reticulum config file.
[reticulum]
  enable_transport = False
  share_instance = Yes
  shared_instance_port = 37428
  instance_control_port = 37429
  panic_on_interface_error = No

[logging]
  loglevel = 4

[interfaces]
  [[Default Interface]]
    type = AutoInterface
    enabled = Yes
"#;

/// The config MeshChatX's test runner writes (meshchatx.md §11).
const MESHCHATX_RUNNER: &str = "[reticulum]
  enable_transport = False
  share_instance = No
  panic_on_interface_error = No
  discover_interfaces = No
[logging]
  loglevel = 2
[interfaces]
  [[Default Interface]]
    type = AutoInterface
    enabled = no
";

const MANY_TYPES: &str = r#"
[reticulum]
  enable_transport = yes
  instance_name = lab
  shared_instance_type = TCP
  use_implicit_proof = off

[interfaces]
  [[RNS Testnet Dublin]]
    type = TCPClientInterface
    interface_enabled = true
    target_host = dublin.example.org
    target_port = 4965
    mode = gw
    network_name = testnet
    passphrase = "secret # with hash"
    ifac_size = 64

  [[KISS over TCP]]
    type = TCPClientInterface
    enabled = yes
    target_host = 127.0.0.1
    target_port = 8001
    kiss_framing = True
    fixed_mtu = 4096
    outgoing = no

  [[TCP Server]]
    type = TCPServerInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = 4242
    mode = access_point
    announce_cap = 5
    bitrate = 1000000

  [[UDP]]
    type = UDPInterface
    enabled = yes
    listen_ip = 0.0.0.0
    port = 4242
    forward_ip = 255.255.255.255
    ifac_size = 3

  [[RNode LoRa]]
    type = RNodeInterface
    enabled = yes
    port = /dev/ttyUSB0

  [[Mystery]]
    type = QuantumEntanglementInterface

  [[Server Without Address]]
    type = TCPServerInterface
    enabled = yes
    device = eth0
"#;

#[test]
fn stock_style_config() {
    let p = ReticulumConfig::parse(STOCK_STYLE).unwrap();
    let c = &p.config;
    assert!(!c.enable_transport);
    assert!(c.share_instance);
    assert_eq!(c.instance_name, "default");
    assert_eq!(c.shared_instance_port, 37428);
    assert_eq!(c.loglevel, 4);
    assert!(c.use_implicit_proof);
    assert_eq!(c.rpc_key, None);
    assert_eq!(c.interfaces.len(), 1);
    assert!(c.interfaces[0].enabled);
    assert!(matches!(c.interfaces[0].kind, InterfaceKind::Auto(_)));
    assert!(p.warnings.is_empty());
}

#[test]
fn rpc_key_is_read() {
    let c = ReticulumConfig::parse("[reticulum]\n  rpc_key = 00ff\n")
        .unwrap()
        .config;
    assert_eq!(c.rpc_key.as_deref(), Some("00ff"));
}

#[test]
fn meshchatx_runner_config() {
    let c = ReticulumConfig::parse(MESHCHATX_RUNNER).unwrap().config;
    assert!(!c.share_instance);
    assert!(!c.discover_interfaces);
    assert_eq!(c.loglevel, 2);
    assert_eq!(c.interfaces.len(), 1);
    assert_eq!(c.enabled_interfaces().count(), 0);
}

#[test]
fn every_supported_type_and_the_skipped_ones() {
    let p = ReticulumConfig::parse(MANY_TYPES).unwrap();
    let c = &p.config;
    assert!(c.enable_transport);
    assert!(!c.use_implicit_proof);
    assert_eq!(c.instance_name, "lab");
    assert_eq!(c.shared_instance_type, SharedInstanceType::Tcp);
    assert_eq!(c.interfaces.len(), 4);

    let dublin = &c.interfaces[0];
    assert_eq!(dublin.name, "RNS Testnet Dublin");
    assert!(dublin.enabled && dublin.outgoing);
    assert_eq!(dublin.mode, InterfaceModeSetting::Gateway);
    let ifac = dublin.ifac.as_ref().unwrap();
    assert_eq!(ifac.passphrase.as_deref(), Some("secret # with hash"));
    assert_eq!(ifac.size, Some(8));
    assert_eq!(dublin.ifac_key().unwrap().unwrap().size(), 8);
    assert_eq!(
        dublin.kind,
        InterfaceKind::TcpClient(TcpClientSettings {
            target_host: "dublin.example.org".into(),
            target_port: 4965,
            kiss_framing: false,
            fixed_mtu: None,
        })
    );

    let kiss = &c.interfaces[1];
    assert!(!kiss.outgoing);
    let InterfaceKind::TcpClient(k) = &kiss.kind else {
        panic!()
    };
    assert!(k.kiss_framing);
    assert_eq!(k.fixed_mtu, Some(4096));

    let server = &c.interfaces[2];
    assert_eq!(server.mode, InterfaceModeSetting::AccessPoint);
    assert!((server.announce_cap - 0.05).abs() < 1e-12);
    assert_eq!(server.bitrate, Some(1_000_000));
    assert!(server.ifac.is_none());

    let udp = &c.interfaces[3];
    let InterfaceKind::Udp(u) = &udp.kind else {
        panic!()
    };
    assert_eq!((u.listen_port, u.forward_port), (4242, 4242));
    // 3 bits is below one byte: the minimum applies. No name or passphrase: no IFAC.
    assert!(udp.ifac.is_none());

    let msgs: Vec<String> = p.warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[0].contains("RNodeInterface"));
    assert!(msgs[1].contains("unknown type"));
    assert!(msgs[2].contains("Server Without Address"));
}

#[test]
fn ifac_sizes_are_bits_with_a_one_byte_floor() {
    let text = "[interfaces]\n[[a]]\ntype = UDPInterface\nlisten_ip = 127.0.0.1\n\
                listen_port = 1\nforward_ip = 127.0.0.1\nforward_port = 2\n\
                network_name = n\nifac_size = 3\n";
    let c = ReticulumConfig::parse(text).unwrap().config;
    assert_eq!(c.interfaces[0].ifac.as_ref().unwrap().size, Some(1));
    let c = ReticulumConfig::parse(&text.replace("= 3", "= 100000"))
        .unwrap()
        .config;
    assert_eq!(c.interfaces[0].ifac.as_ref().unwrap().size, Some(64));
    let c = ReticulumConfig::parse(&text.replace("ifac_size = 3\n", ""))
        .unwrap()
        .config;
    assert_eq!(c.interfaces[0].ifac_key().unwrap().unwrap().size(), 16);
}

#[test]
fn mode_spellings() {
    for (s, m) in [
        ("ptp", InterfaceModeSetting::PointToPoint),
        ("PointToPoint", InterfaceModeSetting::PointToPoint),
        ("accesspoint", InterfaceModeSetting::AccessPoint),
        ("AP", InterfaceModeSetting::AccessPoint),
        ("roaming", InterfaceModeSetting::Roaming),
        ("boundary", InterfaceModeSetting::Boundary),
        ("gateway", InterfaceModeSetting::Gateway),
        ("full", InterfaceModeSetting::Full),
    ] {
        assert_eq!(InterfaceModeSetting::parse(s), Some(m), "{s}");
    }
    assert_eq!(InterfaceModeSetting::parse("sideways"), None);
}

#[test]
fn bad_values_name_their_line() {
    let e = ReticulumConfig::parse("[reticulum]\n\n  share_instance = perhaps\n").unwrap_err();
    assert_eq!(e.line(), Some(3));
    let e = ReticulumConfig::parse(
        "[interfaces]\n[[x]]\ntype = TCPClientInterface\ntarget_host = h\ntarget_port = 99999\n",
    )
    .unwrap_err();
    assert_eq!(e.line(), Some(5));
    let e = ReticulumConfig::parse("[interfaces]\n[[x]]\ntype = AutoInterface\nmode = odd\n")
        .unwrap_err();
    assert_eq!(e.line(), Some(4));
    let e = ReticulumConfig::parse("[reticulum]\nshared_instance_type = pipe\n").unwrap_err();
    assert_eq!(e.line(), Some(2));
}

#[test]
fn hostile_files_fail_cleanly() {
    for text in [
        "[interfaces]\n[[a]]\n[[[b]]]\ntype = UDPInterface\n",
        "[interfaces]\n[[no type]]\nenabled = yes\n",
        "[interfaces]\nstray = key\n",
        "[logging]\nloglevel = 99999999999999999999999\n",
        "[logging]\nloglevel = -5\n",
        "\u{feff}[reticulum]\n",
    ] {
        let _ = ReticulumConfig::parse(text);
    }
    let c = ReticulumConfig::parse("[logging]\nloglevel = 40\n")
        .unwrap()
        .config;
    assert_eq!(c.loglevel, 7);
    let p = ReticulumConfig::parse("[interfaces]\n[[no type]]\nenabled = yes\n").unwrap();
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn default_config_parses_and_is_written_once() {
    let p = ReticulumConfig::parse(&default_config_text()).unwrap();
    assert!(p.warnings.is_empty());
    assert!(p.config.share_instance);
    assert_eq!(p.config.enabled_interfaces().count(), 1);

    let dir = std::env::temp_dir().join(format!("rns-net-cfg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(write_default_if_missing(&dir).unwrap());
    std::fs::write(dir.join("config"), MESHCHATX_RUNNER).unwrap();
    assert!(!write_default_if_missing(&dir).unwrap());
    let loaded = ReticulumConfig::load(&dir).unwrap();
    assert!(!loaded.config.share_instance);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ReticulumConfig::load(&dir).is_err());
}
