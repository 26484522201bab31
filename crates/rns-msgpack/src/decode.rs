//! The bounded decoder: fed by the network, so it never trusts a length field.

use crate::Value;

/// How deeply arrays and maps may nest. Nothing Reticulum or LXMF sends comes
/// near this; the cap keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a value: more bytes could complete it.
    #[error("msgpack truncated: input ended inside a value")]
    Truncated,
    /// A marker byte that msgpack reserves (0xc1).
    #[error("msgpack malformed: reserved marker byte 0x{0:02x}")]
    ReservedMarker(u8),
    /// A `str` whose bytes are not UTF-8.
    #[error("msgpack malformed: str is not valid UTF-8")]
    InvalidUtf8,
    /// Arrays or maps nested deeper than [`MAX_DEPTH`].
    #[error("msgpack malformed: nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    /// A whole value decoded but bytes were left over.
    #[error("msgpack malformed: {0} trailing bytes after the value")]
    TrailingBytes(usize),
}

/// Decodes exactly one value that fills the whole input.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let (value, used) = decode_prefix(bytes)?;
    match bytes.len() - used {
        0 => Ok(value),
        extra => Err(DecodeError::TrailingBytes(extra)),
    }
}

/// Decodes one value from the start of the input; returns it and the number of
/// bytes it took.
pub fn decode_prefix(bytes: &[u8]) -> Result<(Value, usize), DecodeError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = reader.value(0)?;
    Ok((value, reader.pos))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Reads a big-endian length of `width` bytes (1, 2 or 4).
    fn len(&mut self, width: usize) -> Result<usize, DecodeError> {
        let raw = self.take(width)?;
        Ok(raw
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)))
    }

    /// A count of items, each at least `min_item_bytes` long: a count that cannot
    /// fit in what remains is truncation, caught before any allocation.
    fn count(&mut self, width: usize, min_item_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.len(width)?;
        check_count(n, min_item_bytes, self.remaining())
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        let marker = self.u8()?;
        Ok(match marker {
            0x00..=0x7f => Value::UInt(u64::from(marker)),
            0x80..=0x8f => {
                let n = check_count(usize::from(marker & 0x0f), 2, self.remaining())?;
                self.map(n, depth)?
            }
            0x90..=0x9f => {
                let n = check_count(usize::from(marker & 0x0f), 1, self.remaining())?;
                self.items(n, depth)?
            }
            0xa0..=0xbf => self.str(usize::from(marker & 0x1f))?,
            0xc0 => Value::Nil,
            0xc1 => return Err(DecodeError::ReservedMarker(marker)),
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(width_of(marker - 0xc4))?;
                Value::Bin(self.take(n)?.to_vec())
            }
            0xc7..=0xc9 => {
                let n = self.len(width_of(marker - 0xc7))?;
                self.ext(n)?
            }
            0xca => Value::F32(f32::from_be_bytes(self.array()?)),
            0xcb => Value::F64(f64::from_be_bytes(self.array()?)),
            0xcc => Value::UInt(u64::from(self.u8()?)),
            0xcd => Value::UInt(u64::from(u16::from_be_bytes(self.array()?))),
            0xce => Value::UInt(u64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Value::UInt(u64::from_be_bytes(self.array()?)),
            0xd0 => Value::from(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Value::from(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Value::from(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Value::from(i64::from_be_bytes(self.array()?)),
            0xd4 => self.ext(1)?,
            0xd5 => self.ext(2)?,
            0xd6 => self.ext(4)?,
            0xd7 => self.ext(8)?,
            0xd8 => self.ext(16)?,
            0xd9..=0xdb => {
                let n = self.len(width_of(marker - 0xd9))?;
                self.str(n)?
            }
            0xdc | 0xdd => {
                let n = self.count(width_of(marker - 0xdc + 1), 1)?;
                self.items(n, depth)?
            }
            0xde | 0xdf => {
                let n = self.count(width_of(marker - 0xde + 1), 2)?;
                self.map(n, depth)?
            }
            0xe0..=0xff => Value::Int(i64::from(i8::from_be_bytes([marker]))),
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, DecodeError> {
        let raw = self.take(n)?;
        let text = std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8)?;
        Ok(Value::Str(text.to_owned()))
    }

    fn ext(&mut self, n: usize) -> Result<Value, DecodeError> {
        let kind = i8::from_be_bytes(self.array()?);
        Ok(Value::Ext(kind, self.take(n)?.to_vec()))
    }

    fn items(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let depth = deeper(depth)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(depth)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let depth = deeper(depth)?;
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            let key = self.value(depth)?;
            let value = self.value(depth)?;
            pairs.push((key, value));
        }
        Ok(Value::Map(pairs))
    }
}

/// The width of the 8/16/32-bit length field, from the marker's offset in its family.
fn width_of(offset: u8) -> usize {
    1 << offset
}

fn deeper(depth: usize) -> Result<usize, DecodeError> {
    if depth >= MAX_DEPTH {
        Err(DecodeError::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

fn check_count(n: usize, min_item_bytes: usize, remaining: usize) -> Result<usize, DecodeError> {
    if n.saturating_mul(min_item_bytes) > remaining {
        Err(DecodeError::Truncated)
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode;
    use proptest::prelude::*;

    #[test]
    fn decodes_what_it_encodes() {
        let v = Value::Array(vec![
            Value::F64(1_700_000_000.25),
            Value::bin(b"title".to_vec()),
            Value::Map(vec![(Value::UInt(5), Value::Array(vec![]))]),
            Value::Int(-40_000),
            Value::from("hé"),
            Value::Ext(3, vec![0; 20]),
        ]);
        assert_eq!(decode(&encode(&v)), Ok(v));
    }

    #[test]
    fn hostile_lengths_are_truncation_not_allocation() {
        // A 32-bit array count of 4 billion with nothing behind it.
        assert_eq!(
            decode(&hex::decode("ddffffffff").unwrap()),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode(&hex::decode("dfffffffff").unwrap()),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode(&hex::decode("c6ffffffff").unwrap()),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode(&hex::decode("c9ffffffff01").unwrap()),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let bytes = vec![0x91; 10_000];
        assert_eq!(decode(&bytes), Err(DecodeError::TooDeep));
    }

    #[test]
    fn reserved_marker_and_trailing_bytes() {
        assert_eq!(decode(&[0xc1]), Err(DecodeError::ReservedMarker(0xc1)));
        assert_eq!(decode(&[0xc0, 0xc0]), Err(DecodeError::TrailingBytes(1)));
        assert_eq!(decode(&[0xa2, 0xff, 0xfe]), Err(DecodeError::InvalidUtf8));
        assert_eq!(decode(&[]), Err(DecodeError::Truncated));
    }

    #[test]
    fn non_canonical_integers_decode_to_their_value() {
        assert_eq!(decode(&[0xcc, 0x05]), Ok(Value::UInt(5)));
        assert_eq!(decode(&[0xd0, 0x05]), Ok(Value::UInt(5)));
        assert_eq!(decode(&[0xd0, 0xfb]), Ok(Value::Int(-5)));
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::UInt),
            (i64::MIN..0).prop_map(Value::Int),
            any::<f64>()
                .prop_filter("NaN never equals itself", |f| !f.is_nan())
                .prop_map(Value::F64),
            any::<f32>()
                .prop_filter("NaN never equals itself", |f| !f.is_nan())
                .prop_map(Value::F32),
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::Bin),
            ".{0,40}".prop_map(Value::Str),
            (any::<i8>(), proptest::collection::vec(any::<u8>(), 0..20))
                .prop_map(|(k, d)| Value::Ext(k, d)),
        ];
        leaf.prop_recursive(4, 64, 20, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..20).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner), 0..20).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trip(v in arb_value()) {
            let bytes = encode(&v);
            prop_assert_eq!(decode(&bytes), Ok(v));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn every_strict_prefix_is_truncated(v in arb_value()) {
            let bytes = encode(&v);
            for cut in 0..bytes.len() {
                prop_assert_eq!(decode(&bytes[..cut]), Err(DecodeError::Truncated));
            }
        }
    }
}
