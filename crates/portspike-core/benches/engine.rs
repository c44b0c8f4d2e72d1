//! The engine against the bare reader on generated captures:
//! `cargo bench -p portspike-core --bench engine`.
//!
//! `frames` only frames records, `decode` adds the packet decoder (what a bare
//! pcap + etherparse port counter does), `analyze` is the whole engine with
//! every metric and detection on; their difference is the engine's cost.

// Bench code: a panic is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use portspike_core::capture::Reader;
use portspike_core::{analyze_bytes, decode, synth, Params};
use std::hint::black_box;

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("mixed-office", synth::scenario("all").unwrap().0),
        ("syn-flood", synth::scenario("flood").unwrap().0),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.sample_size(10);
        g.bench_function("frames", |b| {
            b.iter(|| {
                let mut r = Reader::new();
                let mut n = 0u64;
                r.feed(black_box(&bytes), &mut |f| n += u64::from(f.orig_len));
                n
            })
        });
        g.bench_function("decode", |b| {
            b.iter(|| {
                let mut r = Reader::new();
                let mut ports = vec![0u32; 65536];
                r.feed(black_box(&bytes), &mut |f| {
                    if let decode::Decoded::Ip(p) = decode::decode(f.linktype, f.data) {
                        if let decode::L4::Ports { dport, .. } = p.l4 {
                            ports[dport as usize] += 1;
                        }
                    }
                });
                ports.iter().filter(|x| **x > 0).count()
            })
        });
        g.bench_function("analyze", |b| {
            b.iter(|| {
                analyze_bytes(black_box(&bytes), Params::default())
                    .ports
                    .len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
