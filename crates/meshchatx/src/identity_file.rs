//! The identity file: 64 raw private-key bytes, as the reference writes it, but
//! written atomically and readable by the owner only (mode 0600).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use rns_crypto::{OsRng, PrivateIdentity};

const SECRET_MODE: u32 = 0o600;

/// Loads the identity at `path`, or creates one there if the file does not exist.
pub fn load_or_create(path: &Path) -> anyhow::Result<PrivateIdentity> {
    match fs::read(path) {
        Ok(bytes) => {
            let identity = PrivateIdentity::from_private_slice(&bytes)
                .with_context(|| format!("{} is not a 64-byte identity file", path.display()))?;
            tighten_mode(path)?;
            Ok(identity)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate_to(path),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// An identity given on the command line as base64 or base32 of its 64 bytes
/// (padding optional).
pub fn from_text(text: &str, base32: bool) -> anyhow::Result<PrivateIdentity> {
    let trimmed = text.trim().trim_end_matches('=');
    let bytes = if base32 {
        data_encoding::BASE32_NOPAD.decode(trimmed.to_ascii_uppercase().as_bytes())
    } else {
        data_encoding::BASE64_NOPAD.decode(trimmed.as_bytes())
    }
    .context("the identity is not valid base64/base32")?;
    PrivateIdentity::from_private_slice(&bytes).context("the identity is not 64 bytes")
}

/// Generates a new identity and writes it to `path`, refusing to overwrite.
pub fn generate_to(path: &Path) -> anyhow::Result<PrivateIdentity> {
    if path.exists() {
        bail!(
            "{} already exists; refusing to overwrite an identity",
            path.display()
        );
    }
    let identity = PrivateIdentity::generate(&mut OsRng);
    write_secret_atomically(path, identity.to_private_bytes().as_ref())?;
    Ok(identity)
}

/// Writes `bytes` to a 0600 temporary file beside `path`, syncs it, then renames it
/// into place, so a crash leaves either no file or a whole one.
fn write_secret_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(SECRET_MODE)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    // The mode passed to open() is filtered by the umask; set it explicitly too.
    file.set_permissions(fs::Permissions::from_mode(SECRET_MODE))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Identity files written by other tools are often world-readable; make ours not.
fn tighten_mode(path: &Path) -> anyhow::Result<()> {
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(SECRET_MODE))
            .with_context(|| format!("restricting {} to mode 0600", path.display()))?;
    }
    Ok(())
}
