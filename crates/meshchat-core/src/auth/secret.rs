//! The key that seals session cookies: `<storage>/session_secret` (32 random
//! bytes as base64url, written once, atomically, mode 0600, as the reference
//! keeps its own), stretched by HKDF into a 64-byte Token key (AES-256-CBC +
//! HMAC-SHA256, Reticulum's Fernet-like Token). Any existing file of 32
//! bytes or more is used as it is, the reference's included.

use std::io::Write;
use std::path::Path;

use data_encoding::BASE64URL_NOPAD;
use rns_crypto::{OsRng, RngCore, Token, TokenMode};

pub const SESSION_SECRET_FILE: &str = "session_secret";
const MIN_SECRET_LEN: usize = 32;
const KDF_SALT: &[u8] = b"meshchatx-rs session cookie v1";

/// Seals and opens session cookies.
pub struct SessionKey {
    token: Token,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// The storage directory's key, made on first use.
    pub fn load_or_create(storage_dir: &Path) -> std::io::Result<SessionKey> {
        let path = storage_dir.join(SESSION_SECRET_FILE);
        let secret = match std::fs::read(&path) {
            Ok(bytes) => {
                tighten_mode(&path)?;
                bytes
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = [0u8; 32];
                OsRng.fill_bytes(&mut raw);
                let text = BASE64URL_NOPAD.encode(&raw).into_bytes();
                write_atomically(&path, &text)?;
                text
            }
            Err(e) => return Err(e),
        };
        SessionKey::from_secret(&secret).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} holds fewer than {MIN_SECRET_LEN} bytes; remove it to make a new one",
                    path.display()
                ),
            )
        })
    }

    /// A random key that lives as long as the process (tests, tools).
    pub fn random() -> SessionKey {
        SessionKey {
            token: Token::generate(TokenMode::Aes256Cbc, &mut OsRng),
        }
    }

    /// A key from secret bytes (at least 32).
    pub fn from_secret(secret: &[u8]) -> Option<SessionKey> {
        if secret.len() < MIN_SECRET_LEN {
            return None;
        }
        let key = rns_crypto::hkdf(64, secret, Some(KDF_SALT), None).ok()?;
        Some(SessionKey {
            token: Token::new(&key).ok()?,
        })
    }

    /// Encrypts and authenticates `plaintext`; base64url, cookie-safe.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        BASE64URL_NOPAD.encode(&self.token.encrypt(plaintext, &mut OsRng))
    }

    /// The plaintext, if `sealed` was made by [`seal`](Self::seal) with this key.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = BASE64URL_NOPAD.decode(sealed.as_bytes()).ok()?;
        self.token.decrypt(&bytes).ok()
    }
}

/// 32 random bytes as base64url: session ids and CSRF tokens.
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    BASE64URL_NOPAD.encode(&raw)
}

/// A 0600 temporary file beside `path`, synced, renamed into place: a crash
/// leaves no file or a whole one, never a readable partial secret.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{SESSION_SECRET_FILE}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    tighten_mode(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// The umask may have widened the mode, or another tool wrote the file.
fn tighten_mode(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_made_once_private_and_seals_what_it_opens() {
        let dir = std::env::temp_dir().join(format!("meshchat-core-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = SessionKey::load_or_create(&dir).unwrap();
        let file = dir.join(SESSION_SECRET_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read(&file).unwrap();
        assert_eq!(text.len(), 43);
        let b = SessionKey::load_or_create(&dir).unwrap();
        let sealed = a.seal(b"hello");
        assert_eq!(b.open(&sealed).unwrap(), b"hello");
        // Tampering or another key: nothing.
        let mut bad = sealed.clone().into_bytes();
        bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
        assert!(b.open(std::str::from_utf8(&bad).unwrap()).is_none());
        let other = SessionKey::from_secret(&[7u8; 32]).unwrap();
        assert!(other.open(&sealed).is_none());
        assert!(SessionKey::from_secret(&[7u8; 31]).is_none());
        assert_ne!(random_token(), random_token());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
