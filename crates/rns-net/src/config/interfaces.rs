//! The `[[Name]]` subsections of `[interfaces]`: common keys (enabled, mode,
//! bitrate, IFAC, announce cap) and the keys of each supported interface type.

use rns_crypto::ifac::{IFAC_DEFAULT_SIZE, IFAC_MAX_SIZE, IFAC_MIN_SIZE};
use rns_crypto::{IfacError, IfacKey};

use super::value::{parse_bool, parse_f64, parse_list, parse_port, parse_u64};
use super::{ConfigError, ConfigWarning, Section};

/// The reference's default announce cap: 2 % of an interface's bitrate.
pub const DEFAULT_ANNOUNCE_CAP: f64 = 0.02;

/// Interface types the reference knows that this implementation does not run
/// (yet); they are skipped with a warning naming them.
const UNSUPPORTED_TYPES: &[&str] = &[
    "SerialInterface",
    "KISSInterface",
    "AX25KISSInterface",
    "RNodeInterface",
    "RNodeMultiInterface",
    "I2PInterface",
    "BackboneInterface",
    "BackboneClientInterface",
    "PipeInterface",
    "WeaveInterface",
];

/// How an interface takes part in path discovery and announce propagation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InterfaceModeSetting {
    #[default]
    Full,
    PointToPoint,
    AccessPoint,
    Roaming,
    Boundary,
    Gateway,
}

impl InterfaceModeSetting {
    /// The spellings the reference accepts, in any case.
    pub fn parse(v: &str) -> Option<Self> {
        Some(match v.trim().to_ascii_lowercase().as_str() {
            "full" => Self::Full,
            "gateway" | "gw" => Self::Gateway,
            "access_point" | "accesspoint" | "ap" => Self::AccessPoint,
            "roaming" => Self::Roaming,
            "boundary" => Self::Boundary,
            "pointtopoint" | "ptp" => Self::PointToPoint,
            _ => return None,
        })
    }
}

/// The access-code settings of one interface, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfacSettings {
    pub network_name: Option<String>,
    pub passphrase: Option<String>,
    /// In bytes (the file gives bits); `None` means the type's default.
    pub size: Option<usize>,
}

impl IfacSettings {
    /// Derives the key, using `default_size` bytes unless the file set a size.
    pub fn key(&self, default_size: usize) -> Result<IfacKey, IfacError> {
        IfacKey::derive(
            self.network_name.as_deref(),
            self.passphrase.as_deref(),
            self.size.unwrap_or(default_size),
        )
    }
}

/// One configured interface.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceEntry {
    pub name: String,
    /// `enabled` or `interface_enabled`; absent means off, as in the reference.
    pub enabled: bool,
    /// Whether the interface may transmit (default yes).
    pub outgoing: bool,
    pub mode: InterfaceModeSetting,
    /// A configured bitrate in bits/s, overriding the type's guess.
    pub bitrate: Option<u64>,
    /// The share of bitrate announces may use, as a fraction (the file gives a
    /// percentage; default 2 %).
    pub announce_cap: f64,
    pub ifac: Option<IfacSettings>,
    pub kind: InterfaceKind,
    /// The line of the subsection header.
    pub line: usize,
}

impl InterfaceEntry {
    /// The key for this interface's access codes, if it has them, with the
    /// type's default size.
    pub fn ifac_key(&self) -> Result<Option<IfacKey>, IfacError> {
        self.ifac
            .as_ref()
            .map(|s| s.key(IFAC_DEFAULT_SIZE))
            .transpose()
    }
}

/// The type-specific part of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceKind {
    TcpClient(TcpClientSettings),
    TcpServer(TcpServerSettings),
    Udp(UdpSettings),
    /// Parsed so the file round-trips and editors can show it; not run yet.
    Auto(AutoSettings),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpClientSettings {
    pub target_host: String,
    pub target_port: u16,
    /// KISS instead of HDLC framing on the stream.
    pub kiss_framing: bool,
    /// A fixed hardware MTU instead of the one derived from the bitrate guess.
    pub fixed_mtu: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpServerSettings {
    pub listen_ip: String,
    pub listen_port: u16,
    pub prefer_ipv6: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpSettings {
    pub listen_ip: String,
    pub listen_port: u16,
    pub forward_ip: String,
    pub forward_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoSettings {
    pub group_id: Option<String>,
    pub discovery_scope: Option<String>,
    pub discovery_port: Option<u16>,
    pub data_port: Option<u16>,
    pub devices: Vec<String>,
    pub ignored_devices: Vec<String>,
    pub multicast_address_type: Option<String>,
}

/// Reads one subsection. `Ok(None)` means it was skipped with a warning.
pub(crate) fn parse_entry(
    s: &Section,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Option<InterfaceEntry>, ConfigError> {
    let mut warn = |message: String| {
        warnings.push(ConfigWarning {
            line: s.line,
            message,
        });
    };
    let Some(kind_name) = s.get("type") else {
        warn(format!("interface \"{}\" has no type; skipped", s.name));
        return Ok(None);
    };
    let kind = match kind_name {
        "TCPClientInterface" => tcp_client(s)?.map(InterfaceKind::TcpClient),
        "TCPServerInterface" => tcp_server(s)?.map(InterfaceKind::TcpServer),
        "UDPInterface" => udp(s)?.map(InterfaceKind::Udp),
        "AutoInterface" => Some(InterfaceKind::Auto(auto(s)?)),
        t if UNSUPPORTED_TYPES.contains(&t) => {
            warn(format!(
                "interface \"{}\": type {t} is not supported yet; skipped",
                s.name
            ));
            return Ok(None);
        }
        t => {
            warn(format!(
                "interface \"{}\": unknown type {t}; skipped",
                s.name
            ));
            return Ok(None);
        }
    };
    let Some(kind) = kind else {
        warn(format!(
            "interface \"{}\" ({kind_name}) lacks an address or port it needs; skipped",
            s.name
        ));
        return Ok(None);
    };
    common(s, kind).map(Some)
}

fn common(s: &Section, kind: InterfaceKind) -> Result<InterfaceEntry, ConfigError> {
    let flag = |key: &str| {
        s.get(key)
            .map(|v| parse_bool(v, s.line_of(key), key))
            .transpose()
    };
    let enabled = flag("interface_enabled")?.unwrap_or(false) || flag("enabled")?.unwrap_or(false);
    let outgoing = flag("outgoing")?.unwrap_or(true);
    let mode_key = if s.get("interface_mode").is_some() {
        "interface_mode"
    } else {
        "mode"
    };
    let mode = match s.get(mode_key) {
        None => InterfaceModeSetting::Full,
        Some(v) => InterfaceModeSetting::parse(v).ok_or_else(|| {
            ConfigError::value(s.line_of(mode_key), mode_key, "unknown interface mode")
        })?,
    };
    let bitrate = match s.get("bitrate") {
        Some(v) => Some(parse_u64(v, s.line_of("bitrate"), "bitrate")?),
        None => None,
    };
    let announce_cap = match s.get("announce_cap") {
        Some(v) => {
            let pct = parse_f64(v, s.line_of("announce_cap"), "announce_cap")?;
            // The reference takes only (0, 100] and otherwise keeps its default.
            if pct > 0.0 && pct <= 100.0 {
                pct / 100.0
            } else {
                DEFAULT_ANNOUNCE_CAP
            }
        }
        None => DEFAULT_ANNOUNCE_CAP,
    };
    Ok(InterfaceEntry {
        name: s.name.clone(),
        enabled,
        outgoing,
        mode,
        bitrate,
        announce_cap,
        ifac: ifac(s)?,
        kind,
        line: s.line,
    })
}

fn ifac(s: &Section) -> Result<Option<IfacSettings>, ConfigError> {
    let text = |key: &str| s.get(key).filter(|v| !v.is_empty()).map(str::to_string);
    let network_name = text("network_name").or_else(|| text("networkname"));
    let passphrase = text("passphrase").or_else(|| text("pass_phrase"));
    if network_name.is_none() && passphrase.is_none() {
        return Ok(None);
    }
    let size = match s.get("ifac_size") {
        Some(v) => {
            let bits = parse_u64(v, s.line_of("ifac_size"), "ifac_size")?;
            let bytes = usize::try_from(bits / 8).unwrap_or(IFAC_MAX_SIZE);
            Some(bytes.clamp(IFAC_MIN_SIZE, IFAC_MAX_SIZE))
        }
        None => None,
    };
    Ok(Some(IfacSettings {
        network_name,
        passphrase,
        size,
    }))
}

fn port_of(s: &Section, key: &str) -> Result<Option<u16>, ConfigError> {
    s.get(key)
        .map(|v| parse_port(v, s.line_of(key), key))
        .transpose()
}

fn tcp_client(s: &Section) -> Result<Option<TcpClientSettings>, ConfigError> {
    let (Some(host), Some(port)) = (s.get("target_host"), port_of(s, "target_port")?) else {
        return Ok(None);
    };
    let kiss_framing = match s.get("kiss_framing") {
        Some(v) => parse_bool(v, s.line_of("kiss_framing"), "kiss_framing")?,
        None => false,
    };
    let fixed_mtu = match s.get("fixed_mtu") {
        None => None,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(mtu) if mtu > 0 => Some(mtu),
            // A plain "yes" pins the pre-autoconfigure HW_MTU.
            _ if parse_bool(v, 0, "fixed_mtu").unwrap_or(false) => Some(262_144),
            _ => None,
        },
    };
    Ok(Some(TcpClientSettings {
        target_host: host.to_string(),
        target_port: port,
        kiss_framing,
        fixed_mtu,
    }))
}

fn tcp_server(s: &Section) -> Result<Option<TcpServerSettings>, ConfigError> {
    // `port` is the reference's shorthand for listen_port. A `device` would need
    // the address of a network device, which this implementation does not look
    // up: such an interface needs an explicit listen_ip.
    let port = match port_of(s, "listen_port")? {
        Some(p) => Some(p),
        None => port_of(s, "port")?,
    };
    let (Some(ip), Some(port)) = (s.get("listen_ip"), port) else {
        return Ok(None);
    };
    let prefer_ipv6 = match s.get("prefer_ipv6") {
        Some(v) => parse_bool(v, s.line_of("prefer_ipv6"), "prefer_ipv6")?,
        None => false,
    };
    Ok(Some(TcpServerSettings {
        listen_ip: ip.to_string(),
        listen_port: port,
        prefer_ipv6,
    }))
}

fn udp(s: &Section) -> Result<Option<UdpSettings>, ConfigError> {
    let shared = port_of(s, "port")?;
    let listen_port = port_of(s, "listen_port")?.or(shared);
    let forward_port = port_of(s, "forward_port")?.or(shared);
    let (Some(listen_ip), Some(listen_port), Some(forward_ip), Some(forward_port)) = (
        s.get("listen_ip"),
        listen_port,
        s.get("forward_ip"),
        forward_port,
    ) else {
        return Ok(None);
    };
    Ok(Some(UdpSettings {
        listen_ip: listen_ip.to_string(),
        listen_port,
        forward_ip: forward_ip.to_string(),
        forward_port,
    }))
}

fn auto(s: &Section) -> Result<AutoSettings, ConfigError> {
    let text = |key: &str| s.get(key).map(str::to_string);
    Ok(AutoSettings {
        group_id: text("group_id"),
        discovery_scope: text("discovery_scope"),
        discovery_port: port_of(s, "discovery_port")?,
        data_port: port_of(s, "data_port")?,
        devices: s.get("devices").map(parse_list).unwrap_or_default(),
        ignored_devices: s.get("ignored_devices").map(parse_list).unwrap_or_default(),
        multicast_address_type: text("multicast_address_type"),
    })
}
