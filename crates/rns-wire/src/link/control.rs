//! Plaintext payloads of link control packets: RTT report, keepalive, close and
//! identify. (All but the keepalive are Token-encrypted by the link layer.)

use rns_crypto::identity::{KEY_LEN, SIGNATURE_LEN};
use rns_crypto::{PrivateIdentity, PublicIdentity, Signature};
use rns_msgpack::Value;

use super::LinkId;
use crate::WireError;
use crate::packet::reader::Reader;

/// The LRRTT payload: the measured round-trip time in seconds, as msgpack float64.
pub fn encode_rtt(rtt_seconds: f64) -> Vec<u8> {
    rns_msgpack::encode(&Value::F64(rtt_seconds))
}

/// Parses an LRRTT payload. Any msgpack number is accepted; values that are
/// negative or not finite are refused, since the link layer computes timeouts
/// from them.
pub fn decode_rtt(payload: &[u8]) -> Result<f64, WireError> {
    let value = rns_msgpack::decode(payload).map_err(WireError::msgpack("link RTT"))?;
    let rtt = value
        .as_f64()
        .ok_or(WireError::malformed("link RTT", "not a number"))?;
    if !rtt.is_finite() || rtt < 0.0 {
        return Err(WireError::malformed("link RTT", "negative or not finite"));
    }
    Ok(rtt)
}

/// A keepalive payload (context KEEPALIVE, sent unencrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keepalive {
    /// 0xFF, sent by the initiator.
    Request,
    /// 0xFE, the responder's answer.
    Response,
}

impl Keepalive {
    const REQUEST: u8 = 0xFF;
    const RESPONSE: u8 = 0xFE;

    pub const fn encode(self) -> [u8; 1] {
        match self {
            Keepalive::Request => [Self::REQUEST],
            Keepalive::Response => [Self::RESPONSE],
        }
    }

    pub fn decode(payload: &[u8]) -> Result<Keepalive, WireError> {
        match payload {
            [Self::REQUEST] => Ok(Keepalive::Request),
            [Self::RESPONSE] => Ok(Keepalive::Response),
            [] => Err(WireError::Truncated { needed: 1, have: 0 }),
            [_] => Err(WireError::malformed("keepalive", "unknown value")),
            _ => Err(WireError::TooLong {
                max: 1,
                got: payload.len(),
            }),
        }
    }
}

/// The LINKCLOSE plaintext: the link id itself.
pub fn encode_close(link_id: &LinkId) -> [u8; LinkId::LEN] {
    link_id.0
}

/// Whether a LINKCLOSE plaintext closes the link `link_id`; the reference closes
/// only when the plaintext equals the link id.
pub fn check_close(plaintext: &[u8], link_id: &LinkId) -> Result<(), WireError> {
    if plaintext != link_id.as_bytes() {
        return Err(WireError::HashMismatch("link close"));
    }
    Ok(())
}

/// Length of a LINKIDENTIFY plaintext: public key and signature.
pub const IDENTIFY_LEN: usize = KEY_LEN + SIGNATURE_LEN;

/// The LINKIDENTIFY plaintext: the initiator reveals an identity and proves it
/// holds the key by signing link id || public key. Not yet verified when decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkIdentify {
    pub identity: PublicIdentity,
    pub signature: Signature,
}

impl LinkIdentify {
    pub fn sign(identity: &PrivateIdentity, link_id: &LinkId) -> LinkIdentify {
        let public = identity.public();
        let signature = identity.sign(&identify_signed_data(link_id, public));
        LinkIdentify {
            identity: public.clone(),
            signature,
        }
    }

    /// Parses a 128-byte plaintext.
    pub fn decode(plaintext: &[u8]) -> Result<LinkIdentify, WireError> {
        if plaintext.len() > IDENTIFY_LEN {
            return Err(WireError::TooLong {
                max: IDENTIFY_LEN,
                got: plaintext.len(),
            });
        }
        let mut r = Reader::new(plaintext);
        let key: [u8; KEY_LEN] = r.array().map_err(|_| WireError::Truncated {
            needed: IDENTIFY_LEN,
            have: plaintext.len(),
        })?;
        let signature = Signature(r.array()?);
        let identity = PublicIdentity::from_bytes(&key)
            .map_err(|_| WireError::malformed("link identify", "invalid public key"))?;
        Ok(LinkIdentify {
            identity,
            signature,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(IDENTIFY_LEN);
        out.extend_from_slice(self.identity.as_bytes());
        out.extend_from_slice(self.signature.as_bytes());
        out
    }

    /// Checks the signature for this link; yields the identity now known to be
    /// on the other end.
    pub fn verify(self, link_id: &LinkId) -> Result<PublicIdentity, WireError> {
        let signed = identify_signed_data(link_id, &self.identity);
        if !self.identity.verify(&signed, &self.signature) {
            return Err(WireError::BadSignature("link identify"));
        }
        Ok(self.identity)
    }
}

fn identify_signed_data(link_id: &LinkId, identity: &PublicIdentity) -> Vec<u8> {
    let mut out = Vec::with_capacity(LinkId::LEN + KEY_LEN);
    out.extend_from_slice(link_id.as_bytes());
    out.extend_from_slice(identity.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt() {
        assert_eq!(encode_rtt(0.5), [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode_rtt(&encode_rtt(0.25)), Ok(0.25));
        assert_eq!(decode_rtt(&[0x01]), Ok(1.0));
        assert!(decode_rtt(&encode_rtt(f64::NAN)).is_err());
        assert!(decode_rtt(&encode_rtt(-1.0)).is_err());
        assert!(decode_rtt(&[0xc0]).is_err());
        assert!(matches!(
            decode_rtt(&[0xcb, 0x3f]),
            Err(WireError::Msgpack { .. })
        ));
    }

    #[test]
    fn keepalive_and_close() {
        for k in [Keepalive::Request, Keepalive::Response] {
            assert_eq!(Keepalive::decode(&k.encode()), Ok(k));
        }
        assert!(Keepalive::decode(&[0x00]).is_err() && Keepalive::decode(&[0xff, 0]).is_err());
        let id = LinkId::new([4; 16]);
        assert_eq!(check_close(&encode_close(&id), &id), Ok(()));
        assert!(check_close(&[4; 15], &id).is_err());
    }

    #[test]
    fn identify() {
        let me = PrivateIdentity::from_private_bytes(&[8; 64]);
        let id = LinkId::new([4; 16]);
        let msg = LinkIdentify::sign(&me, &id);
        let bytes = msg.encode();
        assert_eq!(bytes.len(), IDENTIFY_LEN);
        let decoded = LinkIdentify::decode(&bytes).unwrap();
        assert_eq!(decoded.clone().verify(&id).unwrap(), *me.public());
        assert!(decoded.verify(&LinkId::new([5; 16])).is_err());
        let short = LinkIdentify::decode(&bytes[..100]);
        assert_eq!(
            short,
            Err(WireError::Truncated {
                needed: 128,
                have: 100
            })
        );
    }
}
