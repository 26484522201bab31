//! The LXMF message: pack and sign, unpack and verify (protocol.md §16).
//!
//! `packed = destination hash (16) || source hash (16) || signature (64) || payload`,
//! payload = msgpack `[timestamp, title, content, fields (, stamp)]`.
//! message id = H(dest || src || hashed payload); signature over
//! dest || src || hashed payload || message id.
//!
//! "Hashed payload" follows what the reference was observed to do on receipt
//! (docs/interop.md, LXMF): with exactly four payload elements it is the payload
//! bytes as received, trailing bytes included; with a stamp (five or more
//! elements) it is the first four elements re-encoded the way the reference's
//! msgpack re-encodes them. For anything our own [`Message::sign`] produces the
//! two are the same bytes.

use std::fmt;

use rns_crypto::hash::full_hash;
use rns_crypto::{DestinationHash, PrivateIdentity, PublicIdentity, Signature};
use rns_msgpack::{DecodeError, Value, decode_prefix, encode};

use crate::fields::Fields;
use crate::python;

/// Length of the destination and source hashes.
pub const DESTINATION_LENGTH: usize = 16;
/// Length of the Ed25519 signature.
pub const SIGNATURE_LENGTH: usize = 64;
/// Bytes in front of the msgpack payload.
pub const HEADER_LENGTH: usize = 2 * DESTINATION_LENGTH + SIGNATURE_LENGTH;
/// The msgpack float64 timestamp (the reference's `TIMESTAMP_SIZE`).
pub const TIMESTAMP_SIZE: usize = 8;
/// The reference's allowance for msgpack structure (`STRUCT_OVERHEAD`).
pub const STRUCT_OVERHEAD: usize = 8;
/// 2 × 16 + 64 + 8 + 8 (`LXMF_OVERHEAD`).
pub const LXMF_OVERHEAD: usize = HEADER_LENGTH + TIMESTAMP_SIZE + STRUCT_OVERHEAD;

/// A message id (the reference's `message.hash`): SHA-256 over the hashed part.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub [u8; 32]);

impl MessageId {
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.to_hex())
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The parts of a message the sender writes. `source_hash` is the sender's
/// `lxmf.delivery` destination hash; `timestamp` is seconds since the Unix epoch.
#[derive(Clone, PartialEq)]
pub struct Message {
    pub destination_hash: DestinationHash,
    pub source_hash: DestinationHash,
    pub timestamp: f64,
    pub title: Vec<u8>,
    pub content: Vec<u8>,
    pub fields: Fields,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("destination_hash", &self.destination_hash)
            .field("source_hash", &self.source_hash)
            .field("timestamp", &self.timestamp)
            .field("title_len", &self.title.len())
            .field("content_len", &self.content.len())
            .field("fields", &self.fields.len())
            .finish()
    }
}

impl Message {
    /// A message without fields.
    pub fn new(
        destination_hash: DestinationHash,
        source_hash: DestinationHash,
        timestamp: f64,
        title: impl Into<Vec<u8>>,
        content: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            destination_hash,
            source_hash,
            timestamp,
            title: title.into(),
            content: content.into(),
            fields: Fields::new(),
        }
    }

    /// The four payload elements as the reference packs them.
    fn head(&self) -> Vec<Value> {
        vec![
            Value::F64(self.timestamp),
            Value::Bin(self.title.clone()),
            Value::Bin(self.content.clone()),
            self.fields.to_value(),
        ]
    }

    /// Signs the message with the source identity and packs it, without a stamp.
    ///
    /// Field values are first put in the form the reference gives them (float32
    /// becomes float64): a receiver re-encodes them to hash a stamped message, and
    /// must get the bytes we signed.
    pub fn sign(mut self, source: &PrivateIdentity) -> PackedMessage {
        if let Value::Map(pairs) = python::reencode(&self.fields.to_value()) {
            self.fields = Fields::from_pairs(pairs);
        }
        let head = self.head();
        let hashed_payload = encode(&Value::Array(head.clone()));
        let message_id = message_id(&self.destination_hash, &self.source_hash, &hashed_payload);
        let signature = source.sign(&signed_part(
            &self.destination_hash,
            &self.source_hash,
            &hashed_payload,
            &message_id,
        ));
        let packed = assemble(&self, &signature, &hashed_payload);
        PackedMessage {
            message: self,
            message_id,
            signature,
            stamp: None,
            head,
            packed,
        }
    }
}

/// A signed message and its wire bytes (what the sender keeps and what the
/// receiver gets from [`unpack`]).
#[derive(Clone, PartialEq)]
pub struct PackedMessage {
    message: Message,
    message_id: MessageId,
    signature: Signature,
    stamp: Option<Vec<u8>>,
    /// The first four payload values as carried, so a re-pack reproduces them.
    head: Vec<Value>,
    packed: Vec<u8>,
}

impl fmt::Debug for PackedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackedMessage")
            .field("message_id", &self.message_id)
            .field("message", &self.message)
            .field("stamp_len", &self.stamp.as_ref().map(Vec::len))
            .field("packed_len", &self.packed.len())
            .finish()
    }
}

impl PackedMessage {
    pub fn message(&self) -> &Message {
        &self.message
    }

    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }

    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The stamp (32 bytes of proof of work, or 16 bytes derived from a ticket).
    pub fn stamp(&self) -> Option<&[u8]> {
        self.stamp.as_deref()
    }

    /// The full packed bytes (DIRECT delivery sends these).
    pub fn packed(&self) -> &[u8] {
        &self.packed
    }

    pub fn into_packed(self) -> Vec<u8> {
        self.packed
    }

    /// The msgpack payload (everything after the signature).
    pub fn payload(&self) -> &[u8] {
        self.packed.get(HEADER_LENGTH..).unwrap_or_default()
    }

    /// The size the reference compares against the method limits:
    /// payload length minus timestamp and structure overhead (may be negative
    /// for an almost empty message, as in the reference).
    pub fn content_size(&self) -> i64 {
        let payload = i64::try_from(self.payload().len()).unwrap_or(i64::MAX);
        payload - (TIMESTAMP_SIZE + STRUCT_OVERHEAD) as i64
    }

    /// The same message with `stamp` as the fifth payload element (or none).
    /// The id and signature do not change: they never cover the stamp.
    pub fn with_stamp(mut self, stamp: Option<Vec<u8>>) -> Self {
        let mut payload = self.head.iter().map(python::reencode).collect::<Vec<_>>();
        if let Some(s) = &stamp {
            payload.push(Value::Bin(s.clone()));
        }
        let payload = encode(&Value::Array(payload));
        self.packed = assemble(&self.message, &self.signature, &payload);
        self.stamp = stamp;
        self
    }
}

/// Whether the signature of an unpacked message could be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// Verified with the source identity.
    Valid,
    /// The source identity is not known yet (the reference's `SOURCE_UNKNOWN`).
    Unverified,
    /// The signature does not verify (the reference's `SIGNATURE_INVALID`).
    Invalid,
}

/// An unpacked message and the state of its signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Unpacked {
    pub message: PackedMessage,
    pub signature: SignatureState,
}

/// Why bytes are not an LXMF message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnpackError {
    #[error("LXMF message of {0} bytes is shorter than its 96-byte header plus a payload")]
    TooShort(usize),
    #[error("LXMF payload is not msgpack: {0}")]
    Payload(#[from] DecodeError),
    #[error("LXMF payload is not an array")]
    NotAnArray,
    #[error("LXMF payload has {0} elements, at least 4 are needed")]
    TooFewElements(usize),
    #[error("LXMF timestamp is not a number")]
    Timestamp,
    #[error("LXMF title is neither bin nor str")]
    Title,
    #[error("LXMF content is neither bin nor str")]
    Content,
    #[error("LXMF fields are neither a map nor nil")]
    Fields,
    /// The reference's msgpack refuses maps with repeated keys.
    #[error("LXMF payload has a map with a repeated key")]
    DuplicateKey,
}

/// Unpacks a full LXMF message (`dest || src || signature || payload`) and checks
/// its signature with `source` if the caller knows the source's identity.
///
/// Never panics; every length is checked against the bytes present.
pub fn unpack(packed: &[u8], source: Option<&PublicIdentity>) -> Result<Unpacked, UnpackError> {
    if packed.len() <= HEADER_LENGTH {
        return Err(UnpackError::TooShort(packed.len()));
    }
    let (header, payload_bytes) = packed.split_at(HEADER_LENGTH);
    let (hashes, sig) = header.split_at(2 * DESTINATION_LENGTH);
    let (dest, src) = hashes.split_at(DESTINATION_LENGTH);
    let (destination_hash, source_hash, signature) = match (
        DestinationHash::from_slice(dest),
        DestinationHash::from_slice(src),
        Signature::from_slice(sig),
    ) {
        (Some(d), Some(s), Some(g)) => (d, s, g),
        _ => return Err(UnpackError::TooShort(packed.len())),
    };

    let (payload, _) = decode_prefix(payload_bytes)?;
    let Value::Array(elements) = payload else {
        return Err(UnpackError::NotAnArray);
    };
    if elements.len() < 4 {
        return Err(UnpackError::TooFewElements(elements.len()));
    }
    if elements.iter().any(python::has_duplicate_keys) {
        return Err(UnpackError::DuplicateKey);
    }
    let has_fifth = elements.len() > 4;
    let mut elements = elements.into_iter();
    let head: Vec<Value> = elements.by_ref().take(4).collect();
    // A stamp that is not `bin` cannot validate; we treat it as absent.
    let stamp = elements.next().and_then(|v| v.as_bin().map(<[u8]>::to_vec));

    let hashed_payload = if has_fifth {
        encode(&Value::Array(head.iter().map(python::reencode).collect()))
    } else {
        payload_bytes.to_vec()
    };

    let message = typed(destination_hash, source_hash, &head)?;
    let message_id = message_id(&destination_hash, &source_hash, &hashed_payload);
    let state = match source {
        None => SignatureState::Unverified,
        Some(identity) => {
            let signed = signed_part(
                &destination_hash,
                &source_hash,
                &hashed_payload,
                &message_id,
            );
            if identity.verify(&signed, &signature) {
                SignatureState::Valid
            } else {
                SignatureState::Invalid
            }
        }
    };
    Ok(Unpacked {
        message: PackedMessage {
            message,
            message_id,
            signature,
            stamp,
            head,
            packed: packed.to_vec(),
        },
        signature: state,
    })
}

/// The typed view of the four head elements. Title and content may be `str`
/// (the reference accepts either); fields may be nil (= empty).
fn typed(
    destination_hash: DestinationHash,
    source_hash: DestinationHash,
    head: &[Value],
) -> Result<Message, UnpackError> {
    let [timestamp, title, content, fields] = head else {
        return Err(UnpackError::TooFewElements(head.len()));
    };
    let bytes = |v: &Value| match v {
        Value::Bin(b) => Some(b.clone()),
        Value::Str(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    };
    let fields = match fields {
        Value::Map(pairs) => Fields::from_pairs(pairs.clone()),
        Value::Nil => Fields::new(),
        _ => return Err(UnpackError::Fields),
    };
    Ok(Message {
        destination_hash,
        source_hash,
        timestamp: timestamp.as_f64().ok_or(UnpackError::Timestamp)?,
        title: bytes(title).ok_or(UnpackError::Title)?,
        content: bytes(content).ok_or(UnpackError::Content)?,
        fields,
    })
}

fn message_id(dest: &DestinationHash, src: &DestinationHash, hashed_payload: &[u8]) -> MessageId {
    let mut part = Vec::with_capacity(2 * DESTINATION_LENGTH + hashed_payload.len());
    part.extend_from_slice(dest.as_bytes());
    part.extend_from_slice(src.as_bytes());
    part.extend_from_slice(hashed_payload);
    MessageId(full_hash(&part))
}

fn signed_part(
    dest: &DestinationHash,
    src: &DestinationHash,
    hashed_payload: &[u8],
    id: &MessageId,
) -> Vec<u8> {
    let mut part = Vec::with_capacity(2 * DESTINATION_LENGTH + hashed_payload.len() + 32);
    part.extend_from_slice(dest.as_bytes());
    part.extend_from_slice(src.as_bytes());
    part.extend_from_slice(hashed_payload);
    part.extend_from_slice(id.as_bytes());
    part
}

fn assemble(message: &Message, signature: &Signature, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LENGTH + payload.len());
    out.extend_from_slice(message.destination_hash.as_bytes());
    out.extend_from_slice(message.source_hash.as_bytes());
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(payload);
    out
}
