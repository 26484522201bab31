//! What the reference's msgpack does to a value on a decode/encode round trip,
//! where that differs from carrying our `Value` through unchanged. The message id
//! of a stamped message is computed over such a round trip, so it must match.

use rns_msgpack::{Value, encode};

/// The value as the reference re-encodes it after decoding: a float32 becomes a
/// Python float and goes back out as float64. Everything else (smallest integer
/// forms, str vs bin, map order) our encoder already reproduces.
pub(crate) fn reencode(v: &Value) -> Value {
    match v {
        Value::F32(f) => Value::F64(f64::from(*f)),
        Value::Array(items) => Value::Array(items.iter().map(reencode).collect()),
        Value::Map(pairs) => Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (reencode(k), reencode(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether any map in `v` repeats a key. The reference's decoder raises on a
/// repeated key (observed); keys are compared as a Python dict compares them
/// (`1 == 1.0 == True`: inferred, as its result is a dict), so such a
/// payload is not a message there and must not be one here.
pub(crate) fn has_duplicate_keys(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(has_duplicate_keys),
        Value::Map(pairs) => {
            // Sorting the keys' encodings keeps this O(n log n) on hostile maps.
            let mut keys: Vec<Vec<u8>> = pairs.iter().filter_map(|(k, _)| python_key(k)).collect();
            keys.sort_unstable();
            keys.windows(2).any(|w| w[0] == w[1])
                || pairs
                    .iter()
                    .any(|(k, v)| has_duplicate_keys(k) || has_duplicate_keys(v))
        }
        _ => false,
    }
}

/// A byte form of a key under which keys a Python dict considers equal are
/// equal; `None` for NaN, which equals nothing, not even itself.
fn python_key(k: &Value) -> Option<Vec<u8>> {
    let normalised = match k {
        Value::Bool(b) => Value::UInt(u64::from(*b)),
        Value::F32(f) => integral(f64::from(*f)).unwrap_or(Value::F64(f64::from(*f))),
        Value::F64(f) => integral(*f).unwrap_or(Value::F64(*f)),
        other => reencode(other),
    };
    match normalised {
        Value::F64(f) if f.is_nan() => None,
        other => Some(encode(&other)),
    }
}

/// The integer a float equals, when it equals one that msgpack can hold.
fn integral(f: f64) -> Option<Value> {
    if !f.is_finite() || f.fract() != 0.0 {
        return None;
    }
    if (0.0..1.8e19).contains(&f) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let u = f as u64;
        (u as f64 == f).then_some(Value::UInt(u))
    } else if (-9.2e18..0.0).contains(&f) {
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        (i as f64 == f).then_some(Value::Int(i))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_reencodes_as_float64() {
        let v = Value::Array(vec![
            Value::F32(1.5),
            Value::Map(vec![(Value::UInt(1), Value::F32(2.0))]),
        ]);
        assert_eq!(
            reencode(&v),
            Value::Array(vec![
                Value::F64(1.5),
                Value::Map(vec![(Value::UInt(1), Value::F64(2.0))])
            ])
        );
    }

    #[test]
    fn repeated_keys_as_python_sees_them() {
        let map = |pairs: Vec<(Value, Value)>| Value::Map(pairs);
        assert!(has_duplicate_keys(&map(vec![
            (Value::UInt(1), Value::Nil),
            (Value::UInt(1), Value::Nil)
        ])));
        assert!(has_duplicate_keys(&map(vec![
            (Value::Bool(true), Value::Nil),
            (Value::F64(1.0), Value::Nil)
        ])));
        assert!(has_duplicate_keys(&Value::Array(vec![map(vec![
            (Value::from("a"), Value::Nil),
            (Value::from("a"), Value::Nil)
        ])])));
        assert!(!has_duplicate_keys(&map(vec![
            (Value::from("a"), Value::Nil),
            (Value::bin(*b"a"), Value::Nil)
        ])));
        assert!(!has_duplicate_keys(&map(vec![
            (Value::F64(f64::NAN), Value::Nil),
            (Value::F64(f64::NAN), Value::Nil)
        ])));
        assert!(!has_duplicate_keys(&map(vec![
            (Value::UInt(1), Value::Nil),
            (Value::Int(-1), Value::Nil)
        ])));
    }
}
