//! Throughput of the hot cryptographic paths: Token (link traffic and
//! resources), Ed25519 verification (announces, proofs) and encryption to an
//! identity (single packets).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rns_crypto::{OsRng, PrivateIdentity, Token, TokenMode};

fn token_round_trip(c: &mut Criterion) {
    let token = Token::generate(TokenMode::Aes256Cbc, &mut OsRng);
    let mut group = c.benchmark_group("token_aes256_encrypt_decrypt");
    for size in [1024usize, 64 * 1024] {
        let payload = vec![0x5au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &payload, |b, payload| {
            b.iter(|| {
                let sealed = token.encrypt(black_box(payload), &mut OsRng);
                token.decrypt(black_box(&sealed)).map(|p| p.len())
            });
        });
    }
    group.finish();
}

fn ed25519_verify(c: &mut Criterion) {
    let id = PrivateIdentity::generate(&mut OsRng);
    let message = [0x42u8; 200];
    let signature = id.sign(&message);
    let public = id.public().clone();
    let mut group = c.benchmark_group("ed25519");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_200B", |b| {
        b.iter(|| public.verify(black_box(&message), black_box(&signature)));
    });
    group.finish();
}

fn encrypt_to_identity(c: &mut Criterion) {
    let id = PrivateIdentity::generate(&mut OsRng);
    let public = id.public().clone();
    let payload = [0x17u8; 100];
    let mut group = c.benchmark_group("identity");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encrypt_100B", |b| {
        b.iter(|| {
            public
                .encrypt(black_box(&payload), None, &mut OsRng)
                .map(|c| c.len())
        });
    });
    let sealed = public.encrypt(&payload, None, &mut OsRng);
    if let Ok(sealed) = sealed {
        group.bench_function("decrypt_100B", |b| {
            b.iter(|| {
                id.decrypt(black_box(&sealed), &[], false)
                    .map(|d| d.plaintext.len())
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    token_round_trip,
    ed25519_verify,
    encrypt_to_identity
);
criterion_main!(benches);
