//! Destination names and the hashes derived from them.
//!
//! A destination is named by an app name and aspects joined with dots. The name
//! hash covers only that dotted name (never the identity suffix shown to users);
//! the destination hash then binds the name hash to an identity, except for PLAIN
//! destinations, which have none.

use crate::hash::{NAME_HASH_LEN, full_hash, truncated_hash, truncated_hash_of};
use crate::{DestinationHash, IdentityHash, NameHash};

/// The four destination kinds, with their 2-bit wire values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DestinationKind {
    Single = 0,
    Group = 1,
    Plain = 2,
    Link = 3,
}

impl DestinationKind {
    /// From the two low bits of a value (higher bits are ignored).
    pub fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::Single,
            1 => Self::Group,
            2 => Self::Plain,
            _ => Self::Link,
        }
    }
}

/// A name component contained a dot, or the app name was empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("destination name components may not contain '.': {0:?}")]
    DotInComponent(String),
    #[error("destination app name may not be empty")]
    EmptyAppName,
}

/// Joins the app name and aspects with dots, refusing dots inside a component.
pub fn expand_name(app_name: &str, aspects: &[&str]) -> Result<String, NameError> {
    if app_name.is_empty() {
        return Err(NameError::EmptyAppName);
    }
    let mut name = String::from(app_name);
    for part in std::iter::once(&app_name).chain(aspects) {
        if part.contains('.') {
            return Err(NameError::DotInComponent((*part).to_owned()));
        }
    }
    for aspect in aspects {
        name.push('.');
        name.push_str(aspect);
    }
    Ok(name)
}

/// The name hash of a dotted destination name (first 10 bytes of SHA-256).
pub fn name_hash(dotted_name: &str) -> NameHash {
    let mut out = [0u8; NAME_HASH_LEN];
    out.copy_from_slice(&full_hash(dotted_name.as_bytes())[..NAME_HASH_LEN]);
    NameHash(out)
}

/// The destination hash: H16(name_hash || identity_hash), or H16(name_hash) when
/// there is no identity (PLAIN destinations).
pub fn destination_hash(name_hash: &NameHash, identity: Option<&IdentityHash>) -> DestinationHash {
    DestinationHash(match identity {
        Some(id) => truncated_hash_of(&[name_hash.as_bytes(), id.as_bytes()]),
        None => truncated_hash(name_hash.as_bytes()),
    })
}

/// Convenience: the destination hash for an app name and aspects.
pub fn destination_hash_for(
    app_name: &str,
    aspects: &[&str],
    identity: Option<&IdentityHash>,
) -> Result<DestinationHash, NameError> {
    Ok(destination_hash(
        &name_hash(&expand_name(app_name, aspects)?),
        identity,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_inside_components_are_refused() {
        assert_eq!(expand_name("lxmf", &["delivery"]).unwrap(), "lxmf.delivery");
        assert!(matches!(
            expand_name("a.b", &[]),
            Err(NameError::DotInComponent(_))
        ));
        assert!(matches!(
            expand_name("a", &["b.c"]),
            Err(NameError::DotInComponent(_))
        ));
        assert_eq!(expand_name("", &[]), Err(NameError::EmptyAppName));
    }
}
