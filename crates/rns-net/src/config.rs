//! The Reticulum config file (`<configdir>/config`): parsing it into a typed
//! [`ReticulumConfig`], and writing a default one for first runs.
//!
//! The file is the reference's ConfigObj-style INI (see [`ini`]). Unknown keys are
//! ignored as the reference ignores them; unknown or unsupported interface types
//! are skipped with a [`ConfigWarning`] so one odd interface does not keep the
//! node from starting; a line that cannot be read at all, or a value of the wrong
//! kind, is a [`ConfigError`] carrying its line number.

pub mod default;
pub mod ini;
pub mod interfaces;
mod value;

use std::fmt;
use std::path::{Path, PathBuf};

pub use default::{default_config_text, write_default_if_missing};
pub use ini::{Document, Section};
pub use interfaces::{
    AutoSettings, IfacSettings, InterfaceEntry, InterfaceKind, InterfaceModeSetting,
    TcpClientSettings, TcpServerSettings, UdpSettings,
};

/// Config files are written by hand; anything this large is not one.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// The default TCP port of a shared instance's data plane.
pub const DEFAULT_SHARED_INSTANCE_PORT: u16 = 37428;
/// The default TCP port of a shared instance's RPC control plane.
pub const DEFAULT_INSTANCE_CONTROL_PORT: u16 = 37429;

/// Why a config file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("config line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("config line {line}: bad value for `{key}`: {message}")]
    Value {
        line: usize,
        key: String,
        message: String,
    },
    #[error("config file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge { path: PathBuf },
}

impl ConfigError {
    pub(crate) fn syntax(line: usize, message: impl Into<String>) -> Self {
        ConfigError::Syntax {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn value(line: usize, key: &str, message: impl Into<String>) -> Self {
        ConfigError::Value {
            line,
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::Value { line, .. } => Some(*line),
            ConfigError::Io { .. } | ConfigError::TooLarge { .. } => None,
        }
    }
}

/// Something in the file that was skipped rather than refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The line of the item the warning is about (a subsection header for an
    /// interface).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config line {}: {}", self.line, self.message)
    }
}

/// Where the data plane of a shared instance lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SharedInstanceType {
    /// The abstract Unix socket `\0rns/<instance_name>` (Linux's default).
    #[default]
    Unix,
    /// TCP on 127.0.0.1:`shared_instance_port`.
    Tcp,
}

/// The typed content of a config file. Defaults are the reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct ReticulumConfig {
    /// Route for others: forward packets and answer path requests.
    pub enable_transport: bool,
    /// Share this instance with local programs (or attach to a running one).
    pub share_instance: bool,
    pub instance_name: String,
    pub shared_instance_port: u16,
    pub instance_control_port: u16,
    pub shared_instance_type: SharedInstanceType,
    /// The key of the shared instance's RPC control plane, as hex; without
    /// it the key is derived from the transport identity (§15), so programs
    /// with other config directories need it set.
    pub rpc_key: Option<String>,
    pub panic_on_interface_error: bool,
    pub use_implicit_proof: bool,
    pub respond_to_probes: bool,
    pub discover_interfaces: bool,
    /// The reference's 0 (critical) ..= 7 (extreme) scale; 4 is "notice".
    pub loglevel: u8,
    /// Every `[[subsection]]` of `[interfaces]` whose type is known, enabled or
    /// not, in file order.
    pub interfaces: Vec<InterfaceEntry>,
}

impl Default for ReticulumConfig {
    fn default() -> Self {
        ReticulumConfig {
            enable_transport: false,
            share_instance: true,
            instance_name: "default".to_string(),
            shared_instance_port: DEFAULT_SHARED_INSTANCE_PORT,
            instance_control_port: DEFAULT_INSTANCE_CONTROL_PORT,
            shared_instance_type: SharedInstanceType::default(),
            rpc_key: None,
            panic_on_interface_error: false,
            use_implicit_proof: true,
            respond_to_probes: false,
            discover_interfaces: false,
            loglevel: 4,
            interfaces: Vec::new(),
        }
    }
}

/// A parsed file: the typed config, what was skipped, and the raw document
/// (for editors that want to show or rewrite the file).
#[derive(Debug, Clone)]
pub struct ParsedConfig {
    pub config: ReticulumConfig,
    pub warnings: Vec<ConfigWarning>,
    pub document: Document,
}

impl ReticulumConfig {
    /// Parses config text.
    pub fn parse(text: &str) -> Result<ParsedConfig, ConfigError> {
        let document = Document::parse(text)?;
        let mut config = ReticulumConfig::default();
        let mut warnings = Vec::new();
        if let Some(s) = document.section("reticulum") {
            config.read_reticulum_section(s)?;
        }
        if let Some(s) = document.section("logging")
            && let Some(v) = s.get("loglevel")
        {
            let level = value::parse_int(v, s.line_of("loglevel"), "loglevel")?;
            config.loglevel = u8::try_from(level.clamp(0, 7)).unwrap_or(4);
        }
        if let Some(s) = document.section("interfaces") {
            for sub in &s.sections {
                if let Some(entry) = interfaces::parse_entry(sub, &mut warnings)? {
                    config.interfaces.push(entry);
                }
            }
        }
        Ok(ParsedConfig {
            config,
            warnings,
            document,
        })
    }

    /// Reads and parses `<config_dir>/config`.
    pub fn load(config_dir: &Path) -> Result<ParsedConfig, ConfigError> {
        let path = config_dir.join("config");
        let io = |source| ConfigError::Io {
            path: path.clone(),
            source,
        };
        let len = std::fs::metadata(&path).map_err(io)?.len();
        if len > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { path });
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        // Hand-edited files sometimes carry stray Latin-1; keep going rather
        // than refuse the whole file over a comment.
        Self::parse(&String::from_utf8_lossy(&bytes))
    }

    fn read_reticulum_section(&mut self, s: &Section) -> Result<(), ConfigError> {
        let flag = |key: &str, target: &mut bool| -> Result<(), ConfigError> {
            if let Some(v) = s.get(key) {
                *target = value::parse_bool(v, s.line_of(key), key)?;
            }
            Ok(())
        };
        flag("enable_transport", &mut self.enable_transport)?;
        flag("share_instance", &mut self.share_instance)?;
        flag(
            "panic_on_interface_error",
            &mut self.panic_on_interface_error,
        )?;
        flag("use_implicit_proof", &mut self.use_implicit_proof)?;
        flag("respond_to_probes", &mut self.respond_to_probes)?;
        flag("discover_interfaces", &mut self.discover_interfaces)?;
        if let Some(v) = s.get("instance_name")
            && !v.is_empty()
        {
            self.instance_name = v.to_string();
        }
        if let Some(v) = s.get("rpc_key")
            && !v.is_empty()
        {
            self.rpc_key = Some(v.to_string());
        }
        if let Some(v) = s.get("shared_instance_port") {
            self.shared_instance_port =
                value::parse_port(v, s.line_of("shared_instance_port"), "shared_instance_port")?;
        }
        if let Some(v) = s.get("instance_control_port") {
            self.instance_control_port = value::parse_port(
                v,
                s.line_of("instance_control_port"),
                "instance_control_port",
            )?;
        }
        if let Some(v) = s.get("shared_instance_type") {
            self.shared_instance_type = match v.to_ascii_lowercase().as_str() {
                "unix" => SharedInstanceType::Unix,
                "tcp" => SharedInstanceType::Tcp,
                _ => {
                    return Err(ConfigError::value(
                        s.line_of("shared_instance_type"),
                        "shared_instance_type",
                        "expected unix or tcp",
                    ));
                }
            };
        }
        Ok(())
    }

    /// The interfaces that are switched on.
    pub fn enabled_interfaces(&self) -> impl Iterator<Item = &InterfaceEntry> {
        self.interfaces.iter().filter(|i| i.enabled)
    }
}

#[cfg(test)]
mod tests;
