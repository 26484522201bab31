//! Throughput of the hot wire paths: announce validation (decode + destination
//! check + Ed25519 verify), packet decode and packet hash. The bare Ed25519 verify
//! of the same announce is measured alongside as the floor validation can reach.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rns_crypto::{NameHash, PrivateIdentity, name_hash};
use rns_wire::announce::{Announce, AnnounceReason, RandomHash, ValidatedAnnounce};
use rns_wire::packet::{Context, DestinationKind, Packet, PacketType};
use std::hint::black_box;

/// A signed LXMF-style announce packet, as a peer would send it.
fn announce_raw() -> Vec<u8> {
    let identity = PrivateIdentity::from_private_bytes(&[0x5a; 64]);
    let name: NameHash = name_hash("lxmf.delivery");
    let random_hash = RandomHash::new([1, 2, 3, 4, 5], 1_700_000_000);
    let app_data = b"\x93\xc4\x05Alice\xc0\x91\x00".to_vec();
    let announce = ValidatedAnnounce::build(&identity, name, random_hash, None, app_data);
    announce.to_packet(AnnounceReason::Unsolicited).encode()
}

fn data_raw() -> Vec<u8> {
    let data = vec![0xab; 160];
    let dest = rns_crypto::DestinationHash([7; 16]);
    Packet::new(
        PacketType::Data,
        DestinationKind::Single,
        dest,
        Context::NONE,
        data,
    )
    .encode()
}

fn announces(c: &mut Criterion) {
    let raw = announce_raw();
    let mut group = c.benchmark_group("announce");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_validate", |b| {
        b.iter(|| {
            let packet = Packet::decode(black_box(&raw)).ok()?;
            Announce::from_packet(&packet).ok()?.validate().ok()
        })
    });
    let parsed = Packet::decode(&raw).and_then(|p| Announce::from_packet(&p));
    if let Ok(announce) = parsed {
        let signed = announce.signed_data();
        group.bench_function("ed25519_verify_floor", |b| {
            b.iter(|| {
                announce
                    .identity
                    .verify(black_box(&signed), &announce.signature)
            })
        });
    }
    group.finish();
}

fn packets(c: &mut Criterion) {
    let raw = data_raw();
    let mut group = c.benchmark_group("packet");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| b.iter(|| Packet::decode(black_box(&raw))));
    if let Ok(packet) = Packet::decode(&raw) {
        group.bench_function("hash", |b| b.iter(|| black_box(&packet).hash()));
    }
    group.finish();
}

criterion_group!(benches, announces, packets);
criterion_main!(benches);
