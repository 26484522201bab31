//! The dynamic msgpack value and its convenience accessors.

/// One msgpack value.
///
/// Integers are split into [`Value::UInt`] (0 and above) and [`Value::Int`]
/// (below 0) so that the full msgpack range (`i64::MIN..=u64::MAX`) fits. The
/// decoder always produces `UInt` for non-negative integers; the encoder accepts a
/// non-negative `Int` too and encodes it exactly as the equal `UInt`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    UInt(u64),
    Int(i64),
    F32(f32),
    F64(f64),
    Bin(Vec<u8>),
    Str(String),
    Array(Vec<Value>),
    /// Key/value pairs in wire order (the reference keeps dict insertion order).
    Map(Vec<(Value, Value)>),
    /// An extension type: its type byte and its data, carried through unchanged.
    Ext(i8, Vec<u8>),
}

impl Value {
    /// A `bin` value from any byte slice.
    pub fn bin(bytes: impl Into<Vec<u8>>) -> Self {
        Value::Bin(bytes.into())
    }

    /// The integer as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt(v) => Some(v),
            Value::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The integer as `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::UInt(v) => i64::try_from(v).ok(),
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    /// A number as `f64`: floats as they are, integers converted. The reference
    /// sends timestamps as float64 but older peers may send integers.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F64(v) => Some(v),
            Value::F32(v) => Some(f64::from(v)),
            #[allow(clippy::cast_precision_loss)]
            Value::UInt(v) => Some(v as f64),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(v) => Some(v as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The bytes of a `bin` value.
    pub fn as_bin(&self) -> Option<&[u8]> {
        match self {
            Value::Bin(v) => Some(v),
            _ => None,
        }
    }

    /// The text of a `str` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Looks a key up in a map value (first match, as the reference's dicts
    /// keep one value per key).
    pub fn map_get(&self, key: &Value) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Looks a text key up in a map value.
    pub fn map_get_str(&self, key: &str) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bin(v.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bin(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::UInt(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::UInt(u64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        match u64::try_from(v) {
            Ok(u) => Value::UInt(u),
            Err(_) => Value::Int(v),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}
