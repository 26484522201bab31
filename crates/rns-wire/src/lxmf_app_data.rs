//! The app_data LXMF puts in announces: the delivery destination's (display name,
//! stamp cost, features) and, in `propagation`, a propagation node's.
//!
//! It lives here rather than in `lxmf` because transport-level code (announce
//! tables, the web UI's announce list) reads it without needing the LXMF router.

pub mod propagation;

use rns_msgpack::Value;

pub use propagation::{PropagationMetadata, PropagationNodeAppData, SizeLimit};

use crate::WireError;

const WHAT: &str = "lxmf delivery app_data";

/// Supported-feature id: the peer accepts bz2-compressed resources.
pub const SF_COMPRESSION: u64 = 0;

/// A delivery destination's announce app_data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryAppData {
    /// msgpack `[display_name bin|nil, stamp_cost int|nil, [features]]`.
    Modern {
        /// UTF-8 as sent, not checked: the name is shown, never parsed.
        display_name: Option<Vec<u8>>,
        /// Encoded only when 1..=254; any other value goes out as nil.
        stamp_cost: Option<u8>,
        /// `None` when the peer sent no feature list (LXMF before features
        /// existed sent only two elements).
        features: Option<Vec<u64>>,
    },
    /// The whole app_data is the display name (old LXMF).
    Legacy { display_name: Vec<u8> },
}

impl DeliveryAppData {
    /// What this implementation announces: the name, the cost (dropped unless
    /// 1..=254, as it would be on the wire) and compression support.
    pub fn modern(display_name: Option<&str>, stamp_cost: Option<u8>) -> Self {
        DeliveryAppData::Modern {
            display_name: display_name.map(|n| n.as_bytes().to_vec()),
            stamp_cost: stamp_cost.filter(|c| (1..=254).contains(c)),
            features: Some(vec![SF_COMPRESSION]),
        }
    }

    pub fn display_name(&self) -> Option<&[u8]> {
        match self {
            DeliveryAppData::Modern { display_name, .. } => display_name.as_deref(),
            DeliveryAppData::Legacy { display_name } => Some(display_name),
        }
    }

    /// The stamp cost senders must meet, if the peer asks for one.
    pub fn stamp_cost(&self) -> Option<u8> {
        match self {
            DeliveryAppData::Modern { stamp_cost, .. } => {
                stamp_cost.filter(|c| (1..=254).contains(c))
            }
            DeliveryAppData::Legacy { .. } => None,
        }
    }

    /// Whether the peer listed `feature`; `None` if it sent no feature list.
    pub fn supports(&self, feature: u64) -> Option<bool> {
        match self {
            DeliveryAppData::Modern {
                features: Some(f), ..
            } => Some(f.contains(&feature)),
            _ => None,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            DeliveryAppData::Legacy { display_name } => display_name.clone(),
            DeliveryAppData::Modern {
                display_name,
                features,
                ..
            } => {
                let mut items = vec![
                    display_name.as_deref().map_or(Value::Nil, Value::bin),
                    self.stamp_cost()
                        .map_or(Value::Nil, |c| Value::UInt(u64::from(c))),
                ];
                if let Some(features) = features {
                    items.push(Value::Array(
                        features.iter().map(|&f| Value::UInt(f)).collect(),
                    ));
                }
                rns_msgpack::encode(&Value::Array(items))
            }
        }
    }

    /// Recognises the modern form by its first byte (a fixarray or array16 marker,
    /// as the reference does); anything else is a legacy display name.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        match bytes.first() {
            None => Err(WireError::Truncated { needed: 1, have: 0 }),
            Some(0x90..=0x9f | 0xdc) => decode_modern(bytes),
            Some(_) => Ok(DeliveryAppData::Legacy {
                display_name: bytes.to_vec(),
            }),
        }
    }
}

fn decode_modern(bytes: &[u8]) -> Result<DeliveryAppData, WireError> {
    let value = rns_msgpack::decode(bytes).map_err(WireError::msgpack(WHAT))?;
    let items = value.as_array().unwrap_or_default();
    let display_name = match items.first() {
        None | Some(Value::Nil) => None,
        Some(Value::Bin(b)) => Some(b.clone()),
        // Not what the reference sends, but a name is a name.
        Some(Value::Str(s)) => Some(s.as_bytes().to_vec()),
        Some(_) => {
            return Err(WireError::invalid_field(
                WHAT,
                "display_name",
                "is not bin, str or nil",
            ));
        }
    };
    let stamp_cost = match items.get(1) {
        None | Some(Value::Nil) => None,
        // Costs outside 1..=254 mean "no stamp required", as if nil was sent.
        Some(v @ (Value::UInt(_) | Value::Int(_))) => v
            .as_u64()
            .and_then(|c| u8::try_from(c).ok())
            .filter(|c| (1..=254).contains(c)),
        Some(_) => {
            return Err(WireError::invalid_field(
                WHAT,
                "stamp_cost",
                "is not an integer or nil",
            ));
        }
    };
    let features = match items.get(2) {
        None | Some(Value::Nil) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(Value::as_u64)
                .collect::<Option<Vec<u64>>>()
                .ok_or(WireError::invalid_field(
                    WHAT,
                    "features",
                    "holds a non-integer",
                ))?,
        ),
        Some(_) => {
            return Err(WireError::invalid_field(
                WHAT,
                "features",
                "is not an array",
            ));
        }
    };
    Ok(DeliveryAppData::Modern {
        display_name,
        stamp_cost,
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_cost_bounds() {
        let with_cost = |c| DeliveryAppData::modern(None, Some(c)).encode();
        assert_eq!(with_cost(0), [0x93, 0xc0, 0xc0, 0x91, 0x00]);
        assert_eq!(with_cost(255), [0x93, 0xc0, 0xc0, 0x91, 0x00]);
        assert_eq!(with_cost(8), [0x93, 0xc0, 0x08, 0x91, 0x00]);
        assert_eq!(
            DeliveryAppData::decode(&with_cost(8)).unwrap().stamp_cost(),
            Some(8)
        );
        // A 255 that a peer did send anyway reads as "no cost".
        let raw = [0x93, 0xc0, 0xcc, 0xff, 0x90];
        assert_eq!(DeliveryAppData::decode(&raw).unwrap().stamp_cost(), None);
    }

    #[test]
    fn legacy_and_two_element_forms() {
        let legacy = DeliveryAppData::decode(b"Bob").unwrap();
        assert_eq!(
            legacy,
            DeliveryAppData::Legacy {
                display_name: b"Bob".to_vec()
            }
        );
        assert_eq!(legacy.encode(), b"Bob");
        assert_eq!(legacy.supports(SF_COMPRESSION), None);
        let old = DeliveryAppData::decode(&[0x92, 0xc4, 0x01, b'x', 0x05]).unwrap();
        assert_eq!(old.display_name(), Some(&b"x"[..]));
        assert_eq!(old.stamp_cost(), Some(5));
        assert_eq!(old.supports(SF_COMPRESSION), None);
        assert_eq!(old.encode(), [0x92, 0xc4, 0x01, b'x', 0x05]);
    }

    #[test]
    fn refuses_ill_typed_elements() {
        assert!(DeliveryAppData::decode(&[]).is_err());
        assert!(matches!(
            DeliveryAppData::decode(&[0x93, 0x01]),
            Err(WireError::Msgpack { .. })
        ));
        assert!(matches!(
            DeliveryAppData::decode(&[0x93, 0x01, 0xc0, 0x90]),
            Err(WireError::InvalidField {
                field: "display_name",
                ..
            })
        ));
        assert!(matches!(
            DeliveryAppData::decode(&[0x93, 0xc0, 0xc3, 0x90]),
            Err(WireError::InvalidField {
                field: "stamp_cost",
                ..
            })
        ));
        assert!(matches!(
            DeliveryAppData::decode(&[0x93, 0xc0, 0xc0, 0x91, 0xc0]),
            Err(WireError::InvalidField {
                field: "features",
                ..
            })
        ));
    }
}
