//! A propagation node's announce app_data: msgpack `[False, timebase, enabled,
//! per_transfer_limit_kB, per_sync_limit_kB, [stamp_cost, stamp_flex,
//! peering_cost], metadata]`.

use rns_msgpack::Value;

use crate::WireError;

const WHAT: &str = "lxmf propagation node app_data";

/// Default stamp cost a node asks of propagated messages.
pub const PROPAGATION_COST: u8 = 16;
/// Default amount by which a stamp may fall short of the node's cost.
pub const PROPAGATION_COST_FLEX: u8 = 3;
/// Lowest stamp cost a node may ask.
pub const PROPAGATION_COST_MIN: u8 = 13;
/// Default cost of the peering key other nodes must present.
pub const PEERING_COST: u8 = 18;
/// Default largest message a node accepts, in kB.
pub const PROPAGATION_LIMIT: u64 = 256;
/// Default largest sync transfer between nodes, in kB.
pub const SYNC_LIMIT: u64 = 10240;
/// Default largest batch a client retrieves, in kB.
pub const DELIVERY_LIMIT: u64 = 1000;

/// Metadata key: software version.
pub const META_VERSION: u64 = 0x00;
/// Metadata key: node name (bytes).
pub const META_NAME: u64 = 0x01;
/// Metadata key: sync stratum.
pub const META_SYNC_STRATUM: u64 = 0x02;
/// Metadata key: sync throttle.
pub const META_SYNC_THROTTLE: u64 = 0x03;
/// Metadata key: authentication band.
pub const META_AUTH_BAND: u64 = 0x04;
/// Metadata key: utilisation pressure.
pub const META_UTIL_PRESSURE: u64 = 0x05;
/// Metadata key: implementation name (the reference daemon says "lxmd").
pub const META_IMPL_NAME: u64 = 0xFE;
/// Metadata key: operator-defined data.
pub const META_CUSTOM: u64 = 0xFF;

/// A size limit in kB. The reference may send either an int or a float, and the
/// form is kept so the value re-encodes as received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeLimit {
    Int(u64),
    Float(f64),
}

impl SizeLimit {
    pub fn kilobytes(self) -> f64 {
        match self {
            #[allow(clippy::cast_precision_loss)]
            SizeLimit::Int(v) => v as f64,
            SizeLimit::Float(v) => v,
        }
    }

    fn to_value(self) -> Value {
        match self {
            SizeLimit::Int(v) => Value::UInt(v),
            SizeLimit::Float(v) => Value::F64(v),
        }
    }

    fn from_value(value: &Value, field: &'static str) -> Result<Self, WireError> {
        match value {
            Value::F64(v) => Ok(SizeLimit::Float(*v)),
            Value::F32(v) => Ok(SizeLimit::Float(f64::from(*v))),
            v => v
                .as_u64()
                .map(SizeLimit::Int)
                .ok_or(WireError::invalid_field(
                    WHAT,
                    field,
                    "is not a non-negative number",
                )),
        }
    }
}

/// The metadata map, entries in wire order. Unknown keys are kept as they came.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PropagationMetadata {
    entries: Vec<(Value, Value)>,
}

impl PropagationMetadata {
    pub fn entries(&self) -> &[(Value, Value)] {
        &self.entries
    }

    /// The value under integer key `key`.
    pub fn get(&self, key: u64) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_u64() == Some(key))
            .map(|(_, v)| v)
    }

    /// Sets `key` to `value`, in place if present, else appended.
    pub fn set(&mut self, key: u64, value: Value) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.as_u64() == Some(key))
        {
            Some(entry) => entry.1 = value,
            None => self.entries.push((Value::UInt(key), value)),
        }
    }

    /// The node's name (sent as bytes; a str is accepted too).
    pub fn name(&self) -> Option<&[u8]> {
        self.get(META_NAME).and_then(bytes_of)
    }

    /// The implementation's name, e.g. `lxmd`.
    pub fn impl_name(&self) -> Option<&[u8]> {
        self.get(META_IMPL_NAME).and_then(bytes_of)
    }
}

fn bytes_of(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Bin(b) => Some(b),
        Value::Str(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// A propagation node's announce app_data.
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationNodeAppData {
    /// The node's clock when it announced, in whole seconds since the epoch.
    pub timebase: u64,
    /// Whether the node currently accepts messages for propagation.
    pub enabled: bool,
    pub per_transfer_limit_kb: SizeLimit,
    pub per_sync_limit_kb: SizeLimit,
    /// The stamp cost propagated messages must meet.
    pub stamp_cost: u8,
    /// How far below `stamp_cost` a stamp may fall.
    pub stamp_flex: u8,
    /// The cost of the peering key a peer node must present.
    pub peering_cost: u8,
    pub metadata: PropagationMetadata,
}

impl PropagationNodeAppData {
    /// The packed app_data; the first element is always False (not the legacy form).
    pub fn encode(&self) -> Vec<u8> {
        rns_msgpack::encode(&Value::Array(vec![
            Value::Bool(false),
            Value::UInt(self.timebase),
            Value::Bool(self.enabled),
            self.per_transfer_limit_kb.to_value(),
            self.per_sync_limit_kb.to_value(),
            Value::Array(vec![
                Value::UInt(u64::from(self.stamp_cost)),
                Value::UInt(u64::from(self.stamp_flex)),
                Value::UInt(u64::from(self.peering_cost)),
            ]),
            Value::Map(self.metadata.entries.clone()),
        ]))
    }

    /// Parses the app_data; elements beyond the seventh (and costs beyond the
    /// third) are ignored so newer nodes stay readable.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = rns_msgpack::decode(bytes).map_err(WireError::msgpack(WHAT))?;
        let Some(
            [
                legacy,
                timebase,
                enabled,
                transfer,
                sync,
                costs,
                metadata,
                ..,
            ],
        ) = value.as_array()
        else {
            return Err(WireError::malformed(
                WHAT,
                "not a msgpack array of at least 7 elements",
            ));
        };
        if legacy.as_bool().is_none() {
            return Err(WireError::invalid_field(
                WHAT,
                "legacy flag",
                "is not a bool",
            ));
        }
        let Some([stamp_cost, stamp_flex, peering_cost, ..]) = costs.as_array() else {
            return Err(WireError::invalid_field(
                WHAT,
                "costs",
                "is not an array of 3 costs",
            ));
        };
        let Some(metadata) = metadata.as_map() else {
            return Err(WireError::invalid_field(WHAT, "metadata", "is not a map"));
        };
        Ok(PropagationNodeAppData {
            timebase: timebase.as_u64().ok_or(WireError::invalid_field(
                WHAT,
                "timebase",
                "is not a non-negative integer",
            ))?,
            enabled: enabled.as_bool().ok_or(WireError::invalid_field(
                WHAT,
                "node_enabled",
                "is not a bool",
            ))?,
            per_transfer_limit_kb: SizeLimit::from_value(transfer, "per_transfer_limit")?,
            per_sync_limit_kb: SizeLimit::from_value(sync, "per_sync_limit")?,
            stamp_cost: cost(stamp_cost, "stamp_cost")?,
            stamp_flex: cost(stamp_flex, "stamp_flex")?,
            peering_cost: cost(peering_cost, "peering_cost")?,
            metadata: PropagationMetadata {
                entries: metadata.to_vec(),
            },
        })
    }
}

fn cost(value: &Value, field: &'static str) -> Result<u8, WireError> {
    value
        .as_u64()
        .and_then(|c| u8::try_from(c).ok())
        .ok_or(WireError::invalid_field(
            WHAT,
            field,
            "is not an integer in 0..=255",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PropagationNodeAppData {
        let mut metadata = PropagationMetadata::default();
        metadata.set(META_NAME, Value::bin(*b"node"));
        PropagationNodeAppData {
            timebase: 1_700_000_000,
            enabled: true,
            per_transfer_limit_kb: SizeLimit::Int(PROPAGATION_LIMIT),
            per_sync_limit_kb: SizeLimit::Float(10240.0),
            stamp_cost: PROPAGATION_COST,
            stamp_flex: PROPAGATION_COST_FLEX,
            peering_cost: PEERING_COST,
            metadata,
        }
    }

    #[test]
    fn layout_and_round_trip() {
        let a = sample();
        let bytes = a.encode();
        let expected_start = [
            0x97, 0xc2, 0xce, 0x65, 0x53, 0xf1, 0x00, 0xc3, 0xcd, 0x01, 0x00, 0xcb,
        ];
        assert_eq!(&bytes[..expected_start.len()], &expected_start);
        assert!(bytes.ends_with(&[0x93, 16, 3, 18, 0x81, 0x01, 0xc4, 4, b'n', b'o', b'd', b'e']));
        assert_eq!(PropagationNodeAppData::decode(&bytes).unwrap(), a);
        assert_eq!(a.metadata.name(), Some(&b"node"[..]));
        assert_eq!(a.metadata.impl_name(), None);
    }

    #[test]
    fn tolerates_trailing_elements_and_keeps_unknown_keys() {
        let mut v = rns_msgpack::decode(&sample().encode()).unwrap();
        if let Value::Array(items) = &mut v {
            items.push(Value::from("future"));
            if let Value::Map(m) = &mut items[6] {
                m.push((Value::from("x"), Value::UInt(1)));
            }
        }
        let back = PropagationNodeAppData::decode(&rns_msgpack::encode(&v)).unwrap();
        assert_eq!(back.metadata.entries().len(), 2);
        assert_eq!(back.per_sync_limit_kb.kilobytes(), 10240.0);
    }

    #[test]
    fn refuses_short_or_ill_typed() {
        let mut v = rns_msgpack::decode(&sample().encode()).unwrap();
        if let Value::Array(items) = &mut v {
            items[2] = Value::UInt(1);
        }
        let err = PropagationNodeAppData::decode(&rns_msgpack::encode(&v)).unwrap_err();
        assert!(matches!(
            err,
            WireError::InvalidField {
                field: "node_enabled",
                ..
            }
        ));
        assert!(PropagationNodeAppData::decode(&[0x96, 0xc2, 0, 0xc3, 0, 0, 0x90]).is_err());
        assert!(
            PropagationNodeAppData::decode(&[0x97, 0xc2, 0, 0xc3, 0, 0, 0x92, 1, 2, 0x80]).is_err()
        );
    }
}
