//! The canonical encoder: always the smallest form, as the reference picks it.

use crate::Value;

/// Encodes a value into a new buffer.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the encoding of a value to `out`.
pub fn encode_into(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Nil => out.push(0xc0),
        Value::Bool(false) => out.push(0xc2),
        Value::Bool(true) => out.push(0xc3),
        Value::UInt(v) => encode_uint(*v, out),
        Value::Int(v) => match u64::try_from(*v) {
            Ok(u) => encode_uint(u, out),
            Err(_) => encode_negative(*v, out),
        },
        Value::F32(v) => {
            out.push(0xca);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Value::F64(v) => {
            out.push(0xcb);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Value::Bin(b) => {
            encode_len(b.len(), None, [0xc4, 0xc5, 0xc6], out);
            out.extend_from_slice(b);
        }
        Value::Str(s) => {
            encode_len(s.len(), Some((0xa0, 32)), [0xd9, 0xda, 0xdb], out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => {
            encode_len(items.len(), Some((0x90, 16)), [0, 0xdc, 0xdd], out);
            for item in items {
                encode_into(item, out);
            }
        }
        Value::Map(pairs) => {
            encode_len(pairs.len(), Some((0x80, 16)), [0, 0xde, 0xdf], out);
            for (k, v) in pairs {
                encode_into(k, out);
                encode_into(v, out);
            }
        }
        Value::Ext(kind, data) => encode_ext(*kind, data, out),
    }
}

fn encode_uint(v: u64, out: &mut Vec<u8>) {
    if let Ok(b) = u8::try_from(v) {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[0xcc, b]);
        }
    } else if let Ok(w) = u16::try_from(v) {
        out.push(0xcd);
        out.extend_from_slice(&w.to_be_bytes());
    } else if let Ok(w) = u32::try_from(v) {
        out.push(0xce);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Only called with `v < 0`.
fn encode_negative(v: i64, out: &mut Vec<u8>) {
    if v >= -32 {
        // Negative fixint: the two's complement byte is 0xe0..=0xff.
        out.extend_from_slice(&v.to_be_bytes()[7..]);
    } else if let Ok(b) = i8::try_from(v) {
        out.push(0xd0);
        out.extend_from_slice(&b.to_be_bytes());
    } else if let Ok(w) = i16::try_from(v) {
        out.push(0xd1);
        out.extend_from_slice(&w.to_be_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xd2);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Writes a length header: a fix form (`base`, `limit`) when it fits, else the
/// 8-, 16- or 32-bit form (a zero marker means "no 8-bit form", as for arrays).
fn encode_len(len: usize, fix: Option<(u8, usize)>, markers: [u8; 3], out: &mut Vec<u8>) {
    if let Some((base, limit)) = fix
        && len < limit
    {
        // len < 32 here, so the cast is exact.
        out.push(base | (len as u8));
    } else if let (true, Ok(b)) = (markers[0] != 0, u8::try_from(len)) {
        out.extend_from_slice(&[markers[0], b]);
    } else if let Ok(w) = u16::try_from(len) {
        out.push(markers[1]);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        // Lengths past u32 cannot be represented in msgpack; nothing we send comes
        // close (the largest is a resource segment of 1 MiB), so saturating keeps the
        // encoder total without a panic path.
        out.push(markers[2]);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    }
}

fn encode_ext(kind: i8, data: &[u8], out: &mut Vec<u8>) {
    let fixed = match data.len() {
        1 => Some(0xd4),
        2 => Some(0xd5),
        4 => Some(0xd6),
        8 => Some(0xd7),
        16 => Some(0xd8),
        _ => None,
    };
    match fixed {
        Some(marker) => out.push(marker),
        None => encode_len(data.len(), None, [0xc7, 0xc8, 0xc9], out),
    }
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(v: &Value) -> String {
        hex::encode(encode(v))
    }

    #[test]
    fn integers_take_the_smallest_form() {
        assert_eq!(hex(&Value::UInt(0)), "00");
        assert_eq!(hex(&Value::UInt(127)), "7f");
        assert_eq!(hex(&Value::UInt(128)), "cc80");
        assert_eq!(hex(&Value::UInt(256)), "cd0100");
        assert_eq!(hex(&Value::UInt(65536)), "ce00010000");
        assert_eq!(hex(&Value::UInt(1 << 32)), "cf0000000100000000");
        assert_eq!(hex(&Value::Int(-1)), "ff");
        assert_eq!(hex(&Value::Int(-32)), "e0");
        assert_eq!(hex(&Value::Int(-33)), "d0df");
        assert_eq!(hex(&Value::Int(-129)), "d1ff7f");
        assert_eq!(hex(&Value::Int(5)), "05");
    }

    #[test]
    fn bytes_use_bin_and_text_uses_str() {
        assert_eq!(hex(&Value::bin(vec![1, 2])), "c4020102");
        assert_eq!(hex(&Value::from("ab")), "a26162");
        assert_eq!(hex(&Value::Str("x".repeat(32))).get(..4), Some("d920"));
        assert_eq!(hex(&Value::bin(vec![0; 256])).get(..6), Some("c50100"));
    }

    #[test]
    fn floats_are_float64() {
        assert_eq!(hex(&Value::F64(1.5)), "cb3ff8000000000000");
    }

    #[test]
    fn containers_and_ext() {
        assert_eq!(
            hex(&Value::Array(vec![Value::Nil; 16])).get(..6),
            Some("dc0010")
        );
        assert_eq!(
            hex(&Value::Map(vec![(Value::UInt(1), Value::Bool(true))])),
            "8101c3"
        );
        assert_eq!(hex(&Value::Ext(5, vec![9])), "d40509");
        assert_eq!(hex(&Value::Ext(-1, vec![1, 2, 3])), "c703ff010203");
    }
}
