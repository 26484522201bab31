//! Request and response payloads sent over a link (contexts REQUEST and RESPONSE,
//! or inside a resource when they do not fit one packet).

use rns_crypto::truncated_hash;
use rns_msgpack::Value;

use crate::WireError;
use crate::resource::hashes::bytes_newtype;

bytes_newtype!(
    /// H16 of a request path's UTF-8 bytes: handlers are keyed by it.
    PathHash,
    16
);
bytes_newtype!(
    /// Names a request: the truncated hash of the REQUEST packet, or H16 of the
    /// packed request when it travelled as a resource.
    RequestId,
    16
);

/// The path hash of `path`, e.g. `"/page/index.mu"`.
pub fn path_hash(path: &str) -> PathHash {
    PathHash(truncated_hash(path.as_bytes()))
}

/// The id of a request that is sent as a resource: H16 of its packed bytes.
///
/// A request sent as one packet is named by that packet's truncated hash instead,
/// which only the packet layer can compute.
pub fn resource_request_id(packed_request: &[u8]) -> RequestId {
    RequestId(truncated_hash(packed_request))
}

/// A request: msgpack `[requested_at, path_hash, data]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Seconds since the Unix epoch, as the requester's clock had it.
    pub requested_at: f64,
    pub path_hash: PathHash,
    /// Any msgpack value; nil when the request carries no data.
    pub data: Value,
}

const REQUEST: &str = "request";
const RESPONSE: &str = "response";

impl Request {
    /// The packed request. `requested_at` is always a float64, as the reference sends it.
    pub fn encode(&self) -> Vec<u8> {
        rns_msgpack::encode(&Value::Array(vec![
            Value::F64(self.requested_at),
            Value::bin(self.path_hash.0),
            self.data.clone(),
        ]))
    }

    /// Parses a packed request. An integer timestamp is accepted as well.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = rns_msgpack::decode(bytes).map_err(WireError::msgpack(REQUEST))?;
        let [requested_at, path_hash, data] = fixed_array::<3>(value, REQUEST)?;
        let requested_at = requested_at
            .as_f64()
            .ok_or_else(|| WireError::invalid_field(REQUEST, "requested_at", "is not a number"))?;
        let path_hash = path_hash
            .as_bin()
            .and_then(PathHash::from_slice)
            .ok_or_else(|| WireError::invalid_field(REQUEST, "path_hash", "is not bin(16)"))?;
        Ok(Request {
            requested_at,
            path_hash,
            data,
        })
    }
}

/// A response: msgpack `[request_id, response]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub request_id: RequestId,
    /// Any msgpack value the handler returned.
    pub response: Value,
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        rns_msgpack::encode(&Value::Array(vec![
            Value::bin(self.request_id.0),
            self.response.clone(),
        ]))
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let value = rns_msgpack::decode(bytes).map_err(WireError::msgpack(RESPONSE))?;
        let [request_id, response] = fixed_array::<2>(value, RESPONSE)?;
        let request_id = request_id
            .as_bin()
            .and_then(RequestId::from_slice)
            .ok_or_else(|| WireError::invalid_field(RESPONSE, "request_id", "is not bin(16)"))?;
        Ok(Response {
            request_id,
            response,
        })
    }
}

/// The elements of a msgpack array that must have exactly `N` of them.
fn fixed_array<const N: usize>(value: Value, what: &'static str) -> Result<[Value; N], WireError> {
    match value {
        Value::Array(items) => <[Value; N]>::try_from(items)
            .map_err(|_| WireError::malformed(what, "array has the wrong number of elements")),
        _ => Err(WireError::malformed(what, "not a msgpack array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hash_of_a_page() {
        assert_eq!(
            path_hash("/page/index.mu").to_hex(),
            "fb40abf359b3f25fa0086107c5eee516"
        );
    }

    #[test]
    fn rejects_wrong_shapes() {
        let two = rns_msgpack::encode(&Value::Array(vec![Value::F64(1.0), Value::Nil]));
        assert!(matches!(
            Request::decode(&two),
            Err(WireError::Malformed { .. })
        ));
        let bad_hash = rns_msgpack::encode(&Value::Array(vec![
            Value::F64(1.0),
            Value::bin([0u8; 15]),
            Value::Nil,
        ]));
        assert!(matches!(
            Request::decode(&bad_hash),
            Err(WireError::InvalidField {
                field: "path_hash",
                ..
            })
        ));
        assert!(matches!(
            Response::decode(&[0x92]),
            Err(WireError::Msgpack { .. })
        ));
        assert!(matches!(
            Response::decode(&[0x01]),
            Err(WireError::Malformed { .. })
        ));
    }
}
