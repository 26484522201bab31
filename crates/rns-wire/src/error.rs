//! The one error type of this crate's decoders.

/// Why bytes did not decode.
///
/// `Truncated` means more bytes could still make a valid value (a stream reader
/// should wait); every other variant means these bytes are malformed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error("truncated: need at least {needed} bytes, have {have}")]
    Truncated { needed: usize, have: usize },
    #[error("too long: at most {max} bytes, got {got}")]
    TooLong { max: usize, got: usize },
    #[error("malformed {what}: {why}")]
    Malformed {
        what: &'static str,
        why: &'static str,
    },
    #[error("invalid msgpack in {what}: {source}")]
    Msgpack {
        what: &'static str,
        #[source]
        source: rns_msgpack::DecodeError,
    },
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
    /// A hash or id carried in the bytes does not match the one it must equal
    /// (an announce's destination hash, an explicit proof's packet hash, ...).
    #[error("hash mismatch on {0}")]
    HashMismatch(&'static str),
    /// The packet has travelled `PATHFINDER_M` hops or more and must be dropped.
    #[error("hop limit reached: {hops} hops")]
    HopLimit { hops: u8 },
    #[error("malformed {what}: missing field {field}")]
    MissingField {
        what: &'static str,
        field: &'static str,
    },
    #[error("malformed {what}: field {field} {why}")]
    InvalidField {
        what: &'static str,
        field: &'static str,
        why: &'static str,
    },
}

impl WireError {
    pub(crate) fn malformed(what: &'static str, why: &'static str) -> Self {
        WireError::Malformed { what, why }
    }

    pub(crate) fn invalid_field(
        what: &'static str,
        field: &'static str,
        why: &'static str,
    ) -> Self {
        WireError::InvalidField { what, field, why }
    }

    pub(crate) fn msgpack(what: &'static str) -> impl FnOnce(rns_msgpack::DecodeError) -> Self {
        move |source| WireError::Msgpack { what, source }
    }
}
