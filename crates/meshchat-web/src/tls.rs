//! HTTPS: the self-signed certificate kept per storage directory (made once,
//! ECDSA P-256, for localhost, 127.0.0.1, ::1 and this host's name), or the
//! user's own PEM pair; the rustls server config; and a listener that hands
//! `axum::serve` finished TLS streams ([`TlsListener`]).

mod listener;

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    PKCS_ECDSA_P256_SHA256, SanType,
};
pub use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub use listener::TlsListener;

/// How long a generated certificate is valid, as the reference's.
const VALID_DAYS: i64 = 365;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("generating the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: not a usable PEM {what}")]
    Pem { path: PathBuf, what: &'static str },
    #[error("the certificate and key do not form a usable pair: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate and key files to serve with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertPaths {
    /// `<storage>/ssl/cert.pem` and `key.pem`, where the reference keeps them.
    pub fn in_storage(storage_dir: &Path) -> Self {
        let dir = storage_dir.join("ssl");
        CertPaths {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// Makes a self-signed pair at `paths` unless both files exist. Returns
/// whether it made one. The key is written first, 0600, atomically; the
/// certificate last, so a crash in between leaves no certificate and the
/// next start makes a fresh pair.
pub fn ensure_self_signed(paths: &CertPaths) -> Result<bool, TlsError> {
    if paths.cert.exists() && paths.key.exists() {
        return Ok(false);
    }
    let (cert_pem, key_pem) = generate_self_signed()?;
    write_atomically(&paths.key, key_pem.as_bytes(), 0o600)?;
    write_atomically(&paths.cert, cert_pem.as_bytes(), 0o644)?;
    Ok(true)
}

/// A fresh certificate and key, both PEM.
pub fn generate_self_signed() -> Result<(String, String), TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    dn.push(DnType::OrganizationName, "MeshChatX-rs");
    params.distinguished_name = dn;
    params.subject_alt_names = subject_alt_names()?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let today = days_since_epoch(SystemTime::now());
    let (y, m, d) = civil_from_days(today - 1);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = civil_from_days(today + VALID_DAYS);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn subject_alt_names() -> Result<Vec<SanType>, rcgen::Error> {
    let mut names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    if let Some(host) = hostname() {
        for name in [host.clone(), format!("{host}.local")] {
            if let Ok(dns) = name.as_str().try_into() {
                names.push(SanType::DnsName(dns));
            }
        }
    }
    Ok(names)
}

/// This machine's name, when it is a plain DNS label (Linux).
fn hostname() -> Option<String> {
    let name = fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_ascii_lowercase();
    let plain = !name.is_empty()
        && name != "localhost"
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    plain.then_some(name)
}

fn days_since_epoch(t: SystemTime) -> i64 {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(2000),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

/// Writes `bytes` to a temporary file with `mode` beside `path`, syncs it and
/// renames it into place.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let io = |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io)?;
    // open()'s mode is filtered by the umask; set it exactly.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// A rustls server config for the PEM pair at `paths`: TLS 1.3 and 1.2 with
/// rustls's safe defaults, HTTP/1.1 by ALPN.
pub fn server_config(paths: &CertPaths) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(&paths.cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|_| TlsError::Pem {
            path: paths.cert.clone(),
            what: "certificate",
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: paths.cert.clone(),
            what: "certificate",
        });
    }
    let key = PrivateKeyDer::from_pem_file(&paths.key).map_err(|_| TlsError::Pem {
        path: paths.key.clone(),
        what: "private key",
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        let d = civil_from_days;
        assert_eq!(d(0), (1970, 1, 1));
        assert_eq!(d(19_782), (2024, 2, 29));
        assert_eq!(d(20_000), (2024, 10, 4));
    }

    #[test]
    fn self_signed_pair_is_made_once_with_a_private_key() {
        let dir = std::env::temp_dir().join(format!("meshchat-web-tls-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let paths = CertPaths::in_storage(&dir);
        assert!(ensure_self_signed(&paths).unwrap());
        let first = fs::read(&paths.cert).unwrap();
        assert!(!ensure_self_signed(&paths).unwrap());
        assert_eq!(fs::read(&paths.cert).unwrap(), first);
        let mode = fs::metadata(&paths.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        server_config(&paths).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
