//! IFAC masking: a fixed vector, the rules checked step by step, and rejection
//! of tampered packets and wrong keys.
//!
//! There is no reference vector for masking. The fixed vector below was computed
//! by an independent Python script written from protocol.md §6 (hashlib, hmac
//! and pyca `cryptography` only): network "testnet", passphrase "secret
//! passphrase", ifac size 8.

use rns_crypto::hkdf::hkdf;
use rns_crypto::ifac::{IFAC_FLAG, IFAC_SALT, IfacError, IfacKey};

const KEY: &str = "151c52ca28811e1ad5224ef8901cd39a79cff34692e90a29942f2d338a2c8444\
                   397bd8173ef68e6f2ede62fbb5616e306761c45fc5825e4ff5d17b804f612a21";
const RAW: &str = "0803000102030405060708090a0b0c0d0e0f0068656c6c6f2069666163";
const IFAC: &str = "e6937540f8b5ea0f";
const MASKED: &str = "d233e6937540f8b5ea0f34768535eb1e2a32b0cef346b55dd82b66695ba02714c3ef12c798";

fn key() -> IfacKey {
    match IfacKey::derive(Some("testnet"), Some("secret passphrase"), 8) {
        Ok(k) => k,
        Err(e) => unreachable!("valid configuration refused: {e}"),
    }
}

#[test]
fn fixed_vector() {
    let k = key();
    assert_eq!(hex::encode(k.key_bytes()), KEY);
    let raw = hex::decode(RAW).unwrap();
    let masked = k.mask(&raw).unwrap();
    assert_eq!(hex::encode(&masked), MASKED);
    assert_eq!(k.unmask(&masked).unwrap(), raw);
}

#[test]
fn mask_follows_the_rules() {
    let k = key();
    let raw = hex::decode(RAW).unwrap();
    let masked = k.mask(&raw).unwrap();
    let size = k.size();
    assert_eq!(masked.len(), raw.len() + size);
    assert_ne!(masked[0] & IFAC_FLAG, 0);

    // The access code sits in the clear, and is the signature's tail.
    let signature = k.identity().sign(&raw);
    assert_eq!(&masked[2..2 + size], &signature.0[64 - size..]);
    assert_eq!(hex::encode(&masked[2..2 + size]), IFAC);

    // Every other byte is XORed with HKDF(len, ikm = code, salt = key).
    let mask = hkdf(
        masked.len(),
        &masked[2..2 + size],
        Some(k.key_bytes()),
        None,
    )
    .unwrap();
    assert_eq!(masked[0], ((raw[0] | 0x80) ^ mask[0]) | 0x80);
    assert_eq!(masked[1], raw[1] ^ mask[1]);
    for (i, b) in raw[2..].iter().enumerate() {
        assert_eq!(masked[2 + size + i], b ^ mask[2 + size + i]);
    }
}

#[test]
fn derivation_follows_the_rules() {
    use rns_crypto::hash::full_hash;
    let mut origin = full_hash(b"testnet").to_vec();
    origin.extend(full_hash(b"secret passphrase"));
    let expected = hkdf(64, &full_hash(&origin), Some(&IFAC_SALT), None).unwrap();
    assert_eq!(&key().key_bytes()[..], &expected[..]);
}

#[test]
fn tampering_and_wrong_keys_are_rejected() {
    let k = key();
    let raw = hex::decode(RAW).unwrap();
    let masked = k.mask(&raw).unwrap();
    for i in 0..masked.len() {
        for bit in 0..8 {
            if i == 0 && bit == 7 {
                continue;
            }
            let mut bad = masked.clone();
            bad[i] ^= 1 << bit;
            assert!(
                k.unmask(&bad).is_err(),
                "flip of byte {i} bit {bit} accepted"
            );
        }
    }
    let mut no_flag = masked.clone();
    no_flag[0] &= !IFAC_FLAG;
    assert_eq!(k.unmask(&no_flag), Err(IfacError::FlagNotSet));

    let other_net = IfacKey::derive(Some("othernet"), Some("secret passphrase"), 8).unwrap();
    assert_eq!(other_net.unmask(&masked), Err(IfacError::Mismatch));
    let other_size = IfacKey::derive(Some("testnet"), Some("secret passphrase"), 16).unwrap();
    assert!(other_size.unmask(&masked).is_err());
    assert_eq!(k.unmask(&masked[..10]), Err(IfacError::TooShort(10)));
}

#[test]
fn large_packets_use_the_long_mask() {
    // Masks past 8160 bytes rely on HKDF continuing past RFC 5869's limit.
    let k = IfacKey::derive(Some("big"), None, 16).unwrap();
    let raw: Vec<u8> = (0..16384u32).map(|i| (i % 251) as u8).collect();
    let masked = k.mask(&raw).unwrap();
    assert_eq!(k.unmask(&masked).unwrap(), raw);
}
