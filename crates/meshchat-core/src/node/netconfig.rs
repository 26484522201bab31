//! Editing the interfaces of the Reticulum config file safely, and applying
//! the edit to the running stack without a restart where it can be.
//!
//! Every edit: one at a time (a lock on the node); the file is read and
//! parsed, changed, and the whole result parsed again (an edit that would
//! leave a file the stack cannot start from is refused); the current file is
//! copied to `config.bak-<unix ms>` (the newest [`MAX_CONFIG_BACKUPS`] are
//! kept); the new text is written to a temporary file in the same
//! directory, synced and renamed over `config`, so a crash leaves the old
//! file or the new one, never half of either. Comments in the file are not
//! kept (the previous file, with them, is in the backup).
//!
//! Applying: the interface of that name is stopped if it runs, and started
//! again from the new entry when it is enabled and of a type this stack
//! runs. `applied_live` is false when that was not possible (the node is
//! not running, or attached to another program's shared instance, or the
//! type is not supported): the file holds the change for the next start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rns_net::config::{Document, Section};
use rns_net::{NetError, ReticulumConfig};

use super::Node;
use crate::error::CoreError;

/// Backups of the config file kept beside it.
pub const MAX_CONFIG_BACKUPS: usize = 5;
/// Keys one interface may have.
const MAX_KEYS: usize = 64;
const MAX_NAME_CHARS: usize = 64;
const MAX_VALUE_CHARS: usize = 1024;
/// Interfaces one import may bring.
const MAX_IMPORTED: usize = 64;

/// The interface types the reference knows; others are refused.
const KNOWN_TYPES: &[&str] = &[
    "AutoInterface",
    "TCPClientInterface",
    "TCPServerInterface",
    "UDPInterface",
    "BackboneInterface",
    "I2PInterface",
    "RNodeInterface",
    "RNodeMultiInterface",
    "SerialInterface",
    "KISSInterface",
    "AX25KISSInterface",
    "PipeInterface",
    "WeaveInterface",
];

/// One `[[interface]]` of the file: its name and keys as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredInterface {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

/// A change to one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceEdit {
    /// Adds an interface (`replace`: or overwrites the one of that name).
    Upsert {
        interface: ConfiguredInterface,
        replace: bool,
    },
    SetEnabled {
        name: String,
        enabled: bool,
    },
    Delete {
        name: String,
    },
}

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::InvalidInput(msg.into())
}

/// Checks a name, key or value can be written without changing the file's
/// structure.
fn check_interface(i: &ConfiguredInterface) -> Result<(), CoreError> {
    let name = i.name.trim();
    if name.is_empty() {
        return Err(invalid("Name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS
        || name.contains(['[', ']', '\n', '\r', '#', '"', '\''])
    {
        return Err(invalid("Invalid interface name"));
    }
    if i.entries.len() > MAX_KEYS {
        return Err(invalid("Too many interface settings"));
    }
    let mut kind = None;
    for (k, v) in &i.entries {
        if k.is_empty()
            || k.len() > MAX_NAME_CHARS
            || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(invalid(format!("Invalid setting name: {k}")));
        }
        if v.chars().count() > MAX_VALUE_CHARS || v.contains(['\n', '\r', '"', '\'', '#']) {
            return Err(invalid(format!("Invalid value for {k}")));
        }
        if k == "type" {
            kind = Some(v.as_str());
        }
    }
    match kind {
        None => Err(invalid("Type is required")),
        Some(t) if !KNOWN_TYPES.contains(&t) => {
            Err(invalid(format!("Unknown interface type: {t}")))
        }
        Some(_) => Ok(()),
    }
}

fn interfaces_mut(doc: &mut Document) -> &mut Section {
    if doc.root.section("interfaces").is_none() {
        doc.root.sections.push(Section {
            name: "interfaces".into(),
            ..Section::default()
        });
    }
    let i = doc
        .root
        .sections
        .iter()
        .position(|s| s.name == "interfaces")
        .unwrap_or(0);
    &mut doc.root.sections[i]
}

fn set_key(s: &mut Section, key: &str, value: &str) {
    match s.entries.iter_mut().find(|(k, _, _)| k == key) {
        Some(e) => e.1 = value.to_string(),
        None => s.entries.push((key.to_string(), value.to_string(), 0)),
    }
}

/// Applies `edit` to the document; the name it touched.
fn edit_document(doc: &mut Document, edit: &InterfaceEdit) -> Result<String, CoreError> {
    let ifaces = interfaces_mut(doc);
    let find = |s: &Section, name: &str| s.sections.iter().position(|x| x.name == name);
    match edit {
        InterfaceEdit::Upsert { interface, replace } => {
            check_interface(interface)?;
            let name = interface.name.trim().to_string();
            let existing = find(ifaces, &name);
            if existing.is_some() && !replace {
                return Err(CoreError::Conflict(
                    "Name is already in use by another interface".into(),
                ));
            }
            let mut section = Section {
                name: name.clone(),
                ..Section::default()
            };
            for (k, v) in &interface.entries {
                set_key(&mut section, k, v);
            }
            if section.get("enabled").is_none() && section.get("interface_enabled").is_none() {
                set_key(&mut section, "interface_enabled", "true");
            }
            match existing {
                Some(i) => ifaces.sections[i] = section,
                None => ifaces.sections.push(section),
            }
            Ok(name)
        }
        InterfaceEdit::SetEnabled { name, enabled } => {
            let i = find(ifaces, name)
                .ok_or_else(|| CoreError::NotFound("Interface not found".into()))?;
            let s = &mut ifaces.sections[i];
            let v = if *enabled { "true" } else { "false" };
            // Both spellings are read; keep whichever the file uses in step.
            let mut set = false;
            for key in ["enabled", "interface_enabled"] {
                if s.get(key).is_some() {
                    set_key(s, key, v);
                    set = true;
                }
            }
            if !set {
                set_key(s, "interface_enabled", v);
            }
            Ok(name.clone())
        }
        InterfaceEdit::Delete { name } => {
            let i = find(ifaces, name)
                .ok_or_else(|| CoreError::NotFound("Interface not found".into()))?;
            ifaces.sections.remove(i);
            Ok(name.clone())
        }
    }
}

fn config_path(dir: &Path) -> PathBuf {
    dir.join("config")
}

fn read_document(dir: &Path) -> Result<Document, CoreError> {
    let parsed = ReticulumConfig::load(dir).map_err(|e| invalid(e.to_string()))?;
    Ok(parsed.document)
}

fn io(e: std::io::Error) -> CoreError {
    CoreError::Internal(format!("writing the Reticulum config: {e}"))
}

/// Copies the current file to a timestamped backup, drops the oldest
/// beyond the cap, then replaces the file atomically with `text`.
pub(crate) fn write_config(dir: &Path, text: &str) -> Result<(), CoreError> {
    let path = config_path(dir);
    if path.exists() {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut backup = dir.join(format!("config.bak-{ms}"));
        let mut n = 0;
        while backup.exists() {
            n += 1;
            backup = dir.join(format!("config.bak-{ms}-{n}"));
        }
        std::fs::copy(&path, &backup).map_err(io)?;
        prune_backups(dir).map_err(io)?;
    }
    let tmp = dir.join(format!(".config.tmp-{}", std::process::id()));
    let result = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        // The rename itself reaches the disk with the directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// The backups beside the config file, oldest first.
pub(crate) fn backups(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut list: Vec<(u128, u32, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("config.bak-") else {
            continue;
        };
        let mut parts = rest.splitn(2, '-');
        let ms = parts.next().and_then(|p| p.parse().ok());
        let n = parts.next().map_or(Some(0), |p| p.parse().ok());
        if let (Some(ms), Some(n)) = (ms, n) {
            list.push((ms, n, e.path()));
        }
    }
    list.sort();
    Ok(list.into_iter().map(|(_, _, p)| p).collect())
}

fn prune_backups(dir: &Path) -> std::io::Result<()> {
    let list = backups(dir)?;
    let extra = list.len().saturating_sub(MAX_CONFIG_BACKUPS);
    for p in list.into_iter().take(extra) {
        std::fs::remove_file(p)?;
    }
    Ok(())
}

/// `[[name]]` blocks as the reference exports them.
fn export_text(sections: &[&Section]) -> String {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("[[{}]]\n", s.name));
        for (k, v, _) in &s.entries {
            out.push_str(&format!("    {k} = {v}\n"));
        }
    }
    out
}

impl Node {
    /// The interfaces of the config file, in file order.
    pub fn configured_interfaces(&self) -> Result<Vec<ConfiguredInterface>, CoreError> {
        let doc = read_document(self.reticulum_config_dir())?;
        Ok(doc
            .section("interfaces")
            .map(|s| {
                s.sections
                    .iter()
                    .map(|i| ConfiguredInterface {
                        name: i.name.clone(),
                        entries: i
                            .entries
                            .iter()
                            .map(|(k, v, _)| (k.clone(), v.clone()))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Edits the config file safely and applies the change to the running
    /// stack where it can; returns whether it was applied live.
    pub async fn edit_interface(&self, edit: InterfaceEdit) -> Result<bool, CoreError> {
        let _one = self.inner.config_edits.lock().await;
        let dir = self.reticulum_config_dir().to_path_buf();
        let mut doc = read_document(&dir)?;
        let name = edit_document(&mut doc, &edit)?;
        let text = doc.to_text();
        let parsed = ReticulumConfig::parse(&text).map_err(|e| invalid(e.to_string()))?;
        write_config(&dir, &text)?;
        let entry = parsed
            .config
            .interfaces
            .into_iter()
            .find(|e| e.name == name);
        Ok(self.apply_interface(&name, entry).await)
    }

    /// Stops `name` if it runs and starts `entry` if it is enabled.
    async fn apply_interface(
        &self,
        name: &str,
        entry: Option<rns_net::config::InterfaceEntry>,
    ) -> bool {
        let Ok((_, net)) = self.stack_handles() else {
            return false;
        };
        if net.instance_role() == rns_net::InstanceRole::SharedInstanceClient {
            return false;
        }
        if net.remove_interface(name).await.is_err() {
            return false;
        }
        let Some(entry) = entry.filter(|e| e.enabled) else {
            // Disabled or deleted: stopping was the whole job. A type this
            // stack cannot run was never started.
            return true;
        };
        // A listener just stopped may hold its port for a moment.
        for _ in 0..20 {
            match net.add_interface(entry.clone()).await {
                Ok(_) => return true,
                Err(NetError::Interface { .. } | NetError::DuplicateInterface(_)) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// The named interfaces (all when `names` is empty) as config text.
    pub fn export_interfaces(&self, names: &[String]) -> Result<String, CoreError> {
        let doc = read_document(self.reticulum_config_dir())?;
        let Some(ifaces) = doc.section("interfaces") else {
            return Ok(String::new());
        };
        let chosen: Vec<&Section> = ifaces
            .sections
            .iter()
            .filter(|s| names.is_empty() || names.contains(&s.name))
            .collect();
        Ok(export_text(&chosen))
    }

    /// Adds the interfaces of exported config text (`[[name]]` blocks),
    /// overwriting none: a name already in use is refused. Returns the names
    /// added, whether all were applied live.
    pub async fn import_interfaces(&self, text: &str) -> Result<(Vec<String>, bool), CoreError> {
        let wrapped = format!("[interfaces]\n{text}\n");
        let doc = Document::parse(&wrapped).map_err(|e| invalid(e.to_string()))?;
        let list: Vec<ConfiguredInterface> = doc
            .section("interfaces")
            .map(|s| {
                s.sections
                    .iter()
                    .map(|i| ConfiguredInterface {
                        name: i.name.clone(),
                        entries: i
                            .entries
                            .iter()
                            .map(|(k, v, _)| (k.clone(), v.clone()))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            return Err(invalid("No interfaces found to import"));
        }
        if list.len() > MAX_IMPORTED {
            return Err(invalid("Too many interfaces to import"));
        }
        let _one = self.inner.config_edits.lock().await;
        let dir = self.reticulum_config_dir().to_path_buf();
        let mut current = read_document(&dir)?;
        let mut names = Vec::new();
        for interface in list {
            let edit = InterfaceEdit::Upsert {
                interface,
                replace: false,
            };
            names.push(edit_document(&mut current, &edit)?);
        }
        let text = current.to_text();
        let parsed = ReticulumConfig::parse(&text).map_err(|e| invalid(e.to_string()))?;
        write_config(&dir, &text)?;
        let mut live = true;
        for name in &names {
            let entry = parsed
                .config
                .interfaces
                .iter()
                .find(|e| &e.name == name)
                .cloned();
            live &= self.apply_interface(name, entry).await;
        }
        Ok((names, live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("netconfig-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn iface(name: &str, pairs: &[(&str, &str)]) -> ConfiguredInterface {
        ConfiguredInterface {
            name: name.into(),
            entries: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn edits_keep_the_file_parseable_and_refuse_bad_input() {
        let mut doc = Document::parse("[reticulum]\n  share_instance = No\n").unwrap();
        let add = InterfaceEdit::Upsert {
            interface: iface(
                "Lo",
                &[
                    ("type", "TCPClientInterface"),
                    ("target_host", "127.0.0.1"),
                    ("target_port", "4242"),
                ],
            ),
            replace: false,
        };
        assert_eq!(edit_document(&mut doc, &add).unwrap(), "Lo");
        assert!(matches!(
            edit_document(&mut doc, &add),
            Err(CoreError::Conflict(_))
        ));
        let parsed = ReticulumConfig::parse(&doc.to_text()).unwrap();
        assert!(parsed.config.interfaces[0].enabled);
        edit_document(
            &mut doc,
            &InterfaceEdit::SetEnabled {
                name: "Lo".into(),
                enabled: false,
            },
        )
        .unwrap();
        let parsed = ReticulumConfig::parse(&doc.to_text()).unwrap();
        assert!(!parsed.config.interfaces[0].enabled);
        for bad in [
            iface("", &[("type", "TCPClientInterface")]),
            iface("x]", &[("type", "TCPClientInterface")]),
            iface("x", &[("type", "Bogus")]),
            iface("x", &[]),
            iface("x", &[("type", "TCPClientInterface"), ("a b", "1")]),
            iface("x", &[("type", "TCPClientInterface"), ("k", "1\n[[evil]]")]),
        ] {
            let e = InterfaceEdit::Upsert {
                interface: bad,
                replace: true,
            };
            assert!(matches!(
                edit_document(&mut doc, &e),
                Err(CoreError::InvalidInput(_))
            ));
        }
        let del = InterfaceEdit::Delete {
            name: "nope".into(),
        };
        assert!(matches!(
            edit_document(&mut doc, &del),
            Err(CoreError::NotFound(_))
        ));
    }

    #[test]
    fn writes_are_atomic_and_keep_a_capped_set_of_backups() {
        let dir = temp("backups");
        std::fs::write(dir.join("config"), "first\n").unwrap();
        write_config(&dir, "second\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("config")).unwrap(),
            "second\n"
        );
        let b = backups(&dir).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(std::fs::read_to_string(&b[0]).unwrap(), "first\n");
        for i in 0..10 {
            write_config(&dir, &format!("v{i}\n")).unwrap();
        }
        let b = backups(&dir).unwrap();
        assert_eq!(b.len(), MAX_CONFIG_BACKUPS);
        // The newest backup is the file before the last write.
        assert_eq!(std::fs::read_to_string(b.last().unwrap()).unwrap(), "v8\n");
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".config.tmp")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
