//! Property tests: round trips, and arbitrary input never panics.

mod common;

use common::SeededRng;
use proptest::prelude::*;
use rns_crypto::ifac::IfacKey;
use rns_crypto::{PrivateIdentity, Ratchet, RatchetSet, RememberedRatchet, Token, TokenMode};

fn token(mode: TokenMode, seed: u64) -> Token {
    Token::generate(mode, &mut SeededRng::new(seed))
}

fn identity() -> PrivateIdentity {
    PrivateIdentity::from_private_bytes(&[0x5a; 64])
}

proptest! {
    #[test]
    fn token_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..600),
        seed in any::<u64>(),
        aes128 in any::<bool>(),
    ) {
        let mode = if aes128 { TokenMode::Aes128Cbc } else { TokenMode::Aes256Cbc };
        let t = token(mode, seed);
        let sealed = t.encrypt(&plaintext, &mut SeededRng::new(seed ^ 0xff));
        prop_assert_eq!(sealed.len(), rns_crypto::token::token_len(plaintext.len()));
        prop_assert_eq!(t.decrypt(&sealed).unwrap(), plaintext);
    }

    #[test]
    fn token_decrypt_of_arbitrary_bytes_fails(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        aes128 in any::<bool>(),
    ) {
        let mode = if aes128 { TokenMode::Aes128Cbc } else { TokenMode::Aes256Cbc };
        prop_assert!(token(mode, 7).decrypt(&bytes).is_err());
    }

    #[test]
    fn identity_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..400),
        seed in any::<u64>(),
    ) {
        let id = identity();
        let sealed = id.public().encrypt(&plaintext, None, &mut SeededRng::new(seed)).unwrap();
        prop_assert_eq!(id.decrypt(&sealed, &[], false).unwrap().plaintext, plaintext);
    }

    #[test]
    fn identity_decrypt_of_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        enforce in any::<bool>(),
    ) {
        let ratchet = Ratchet::from_private_bytes(&[3; 32]);
        prop_assert!(identity().decrypt(&bytes, &[ratchet], enforce).is_err());
    }

    #[test]
    fn ifac_round_trip(
        raw in proptest::collection::vec(any::<u8>(), 3..600),
        size in 1usize..=64,
    ) {
        let mut raw = raw;
        // Raw packets never carry the IFAC flag; masking adds it.
        raw[0] &= 0x7f;
        let k = IfacKey::derive(Some("prop"), Some("test"), size).unwrap();
        let masked = k.mask(&raw).unwrap();
        prop_assert_eq!(masked.len(), raw.len() + size);
        prop_assert!(masked[0] & 0x80 != 0);
        prop_assert_eq!(k.unmask(&masked).unwrap(), raw);
    }

    #[test]
    fn ifac_unmask_of_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        size in 1usize..=64,
    ) {
        let k = IfacKey::derive(Some("prop"), None, size).unwrap();
        prop_assert!(k.unmask(&bytes).is_err());
    }

    #[test]
    fn ratchet_file_of_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let id = identity();
        prop_assert!(RatchetSet::from_file_bytes(&bytes, id.public()).is_err());
        let _ = RememberedRatchet::from_bytes(&bytes);
    }

    #[test]
    fn ratchet_file_round_trip(count in 0usize..20, seed in any::<u64>()) {
        let id = identity();
        let mut rng = SeededRng::new(seed);
        let mut set = RatchetSet::new();
        for t in 0..count {
            set.rotate(t as f64, &mut rng);
        }
        let back = RatchetSet::from_file_bytes(&set.to_file_bytes(&id), id.public()).unwrap();
        let publics = |s: &RatchetSet| s.ratchets().iter().map(Ratchet::public_bytes).collect::<Vec<_>>();
        prop_assert_eq!(publics(&back), publics(&set));
    }
}

/// Structured near-misses for the ratchet file: valid msgpack maps with wrong
/// field types, and a correctly signed list holding wrong-length keys.
#[test]
fn ratchet_file_near_misses() {
    use rns_msgpack::{Value, encode};
    let id = identity();
    let map = |sig: Value, list: Value| {
        encode(&Value::Map(vec![
            (Value::from("signature"), sig),
            (Value::from("ratchets"), list),
        ]))
    };
    let packed = encode(&Value::Array(vec![Value::bin(vec![1u8; 31])]));
    let signed = map(Value::bin(id.sign(&packed).0.to_vec()), Value::bin(packed));
    assert!(RatchetSet::from_file_bytes(&signed, id.public()).is_err());
    let not_list = encode(&Value::from(5u64));
    let signed = map(
        Value::bin(id.sign(&not_list).0.to_vec()),
        Value::bin(not_list),
    );
    assert!(RatchetSet::from_file_bytes(&signed, id.public()).is_err());
    assert!(RatchetSet::from_file_bytes(&map(Value::Nil, Value::Nil), id.public()).is_err());
    assert!(RatchetSet::from_file_bytes(&encode(&Value::Array(vec![])), id.public()).is_err());
}
