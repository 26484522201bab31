//! Shared helpers for the integration tests: vector loading and a fixed RNG.
// Test helpers: a panic here is a failed test, as in the tests themselves.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rns_crypto::{CryptoRng, RngCore};
use serde_json::Value;

/// Loads `tests/data/vectors/<name>.json` from the workspace root.
pub fn vectors(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/data/vectors/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The hex string at `v[key]`, decoded.
pub fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))).unwrap()
}

/// As [`hex_field`], into a fixed-size array.
pub fn hex_array<const N: usize>(v: &Value, key: &str) -> [u8; N] {
    hex_field(v, key)
        .try_into()
        .unwrap_or_else(|_| panic!("{key} is not {N} bytes"))
}

/// A cheap deterministic RNG for tests, seeded from the test input.
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
}

impl RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        // xorshift64*: plenty for varying test inputs; not a CSPRNG.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Test-only: deterministic on purpose.
impl CryptoRng for SeededRng {}
