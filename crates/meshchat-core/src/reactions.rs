//! Message reactions: an LXMF message of its own whose only field is
//! `REACTION` = `{0: target message hash (32 bytes), 1: emoji (UTF-8
//! bytes)}`, with empty title and content, as the reference 4.10.7 sends
//! them (observed at a Python LXMF peer; docs/interop.md, "Reactions").
//! Stored as its own row with `has_reaction`, its fields JSON
//! `{"reaction": {"reaction_to": hex, "reaction_content": emoji}}`.

use data_encoding::HEXLOWER;
use lxmf::Fields;
use lxmf::fields::{id, reaction};
use rns_msgpack::Value;

/// The most characters (Unicode scalar values) of a reaction kept: the
/// reference stores and shows at most 16, enough for any emoji sequence
/// (a family emoji is 7, a flag 2).
pub const MAX_REACTION_CHARS: usize = 16;

/// A reaction carried by a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The hash of the message reacted to (64 hex digits).
    pub to: String,
    /// The emoji (trimmed, at most [`MAX_REACTION_CHARS`]).
    pub emoji: String,
}

/// Why an emoji from a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmojiError {
    /// Empty or only whitespace.
    Empty,
    /// Longer than [`MAX_REACTION_CHARS`].
    TooLong,
}

/// An emoji a user sends: trimmed; refused when nothing is left or when
/// the receiver would cut it (so what we store is what the peer shows).
pub fn checked_emoji(emoji: &str) -> Result<String, EmojiError> {
    let emoji = emoji.trim();
    if emoji.is_empty() {
        return Err(EmojiError::Empty);
    }
    if emoji.chars().count() > MAX_REACTION_CHARS {
        return Err(EmojiError::TooLong);
    }
    Ok(emoji.to_owned())
}

/// The reaction in received fields. The reference reads the emoji as bytes
/// or string, keeps it trimmed and cut to 16 characters, and treats a
/// target that is not a 32-byte hash as no reaction (observed).
pub fn from_fields(fields: &Fields) -> Option<Reaction> {
    let map = fields.get(id::REACTION)?.as_map()?;
    let entry = |key: u64| {
        map.iter()
            .find(|(k, _)| k.as_u64() == Some(key))
            .map(|(_, v)| v)
    };
    let to = entry(reaction::TO)?.as_bin().filter(|h| h.len() == 32)?;
    let emoji = match entry(reaction::CONTENT)? {
        Value::Bin(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Str(s) => s.clone(),
        _ => return None,
    };
    Some(Reaction {
        to: HEXLOWER.encode(to),
        emoji: emoji.trim().chars().take(MAX_REACTION_CHARS).collect(),
    })
}

/// The fields of a reaction we send: only `REACTION`, the emoji as bytes
/// (as the reference writes it).
pub fn fields(to: &[u8; 32], emoji: &str) -> Fields {
    let mut f = Fields::new();
    f.set(
        id::REACTION,
        Value::Map(vec![
            (Value::UInt(reaction::TO), Value::bin(to.to_vec())),
            (
                Value::UInt(reaction::CONTENT),
                Value::bin(emoji.as_bytes().to_vec()),
            ),
        ]),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_fields_read_back_as_the_same_reaction() {
        let f = fields(&[0xab; 32], "👍");
        assert_eq!(
            from_fields(&f),
            Some(Reaction {
                to: "ab".repeat(32),
                emoji: "👍".into()
            })
        );
    }

    #[test]
    fn received_emoji_as_string_is_trimmed_and_cut() {
        let mut f = Fields::new();
        f.set(
            id::REACTION,
            Value::Map(vec![
                (Value::UInt(0), Value::bin(vec![1; 32])),
                (Value::UInt(1), Value::Str(format!(" {} ", "x".repeat(40)))),
            ]),
        );
        assert_eq!(from_fields(&f).unwrap().emoji, "x".repeat(16));
    }

    #[test]
    fn a_short_target_is_no_reaction() {
        let mut f = Fields::new();
        f.set(
            id::REACTION,
            Value::Map(vec![
                (Value::UInt(0), Value::bin(vec![1; 2])),
                (Value::UInt(1), Value::bin(b"ok".to_vec())),
            ]),
        );
        assert_eq!(from_fields(&f), None);
        assert_eq!(from_fields(&Fields::new()), None);
    }

    #[test]
    fn emoji_checks_refuse_empty_and_long() {
        assert_eq!(checked_emoji(" 🔥 "), Ok("🔥".into()));
        assert_eq!(checked_emoji("👨‍👩‍👧‍👦"), Ok("👨‍👩‍👧‍👦".into()));
        assert_eq!(checked_emoji("   "), Err(EmojiError::Empty));
        assert_eq!(checked_emoji(&"x".repeat(17)), Err(EmojiError::TooLong));
    }
}
