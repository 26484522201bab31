//! Password hashing: argon2id with the `argon2` crate's defaults (19 MiB,
//! 2 passes, 1 lane: OWASP's recommended minimum), stored as a PHC string
//! with its own salt and parameters, so stronger parameters later still
//! verify old hashes. The reference's bcrypt hashes are recognised and
//! refused with a clear error instead of being misread as wrong passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2};

use crate::error::CoreError;

/// The reference's minimum.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Bounds the work a request can ask for (argon2 reads the whole password).
pub const MAX_PASSWORD_LEN: usize = 1024;

pub(crate) fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| hash.starts_with(p))
}

/// Hashes a password (CPU and ~19 MiB for some tens of milliseconds: run it
/// off the async threads).
pub fn hash_password(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Password(format!("hashing the password: {e}")))
}

/// Whether `password` matches `hash`. Only argon2id hashes are accepted; a
/// bcrypt hash is [`CoreError::UnsupportedPasswordHash`].
pub fn verify_password(password: &str, hash: &str) -> Result<bool, CoreError> {
    if is_bcrypt(hash) {
        return Err(CoreError::UnsupportedPasswordHash);
    }
    let parsed = PasswordHash::new(hash)
        .map_err(|e| CoreError::Password(format!("the stored password hash is unreadable: {e}")))?;
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return Err(CoreError::UnsupportedPasswordHash);
    }
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(CoreError::Password(format!("checking the password: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_are_salted() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify_password("correct horse", &a).unwrap());
        assert!(!verify_password("correct horsf", &a).unwrap());
    }

    #[test]
    fn a_reference_bcrypt_hash_is_refused_clearly() {
        let bcrypt = "$2b$12$7bHKI0f9mKyVMH7qBl.SpOEqanGu0mPm.TqEXjlmcpnJOy6Wuprn6";
        assert!(matches!(
            verify_password("whatever", bcrypt),
            Err(CoreError::UnsupportedPasswordHash)
        ));
        assert!(matches!(
            verify_password("x", "garbage"),
            Err(CoreError::Password(_))
        ));
    }
}
