//! The engine against bare readers on generated captures:
//! `cargo bench -p portspike-core --bench engine`.
//!
//! Inputs (64 MiB each, in memory): small-packet scan traffic (64-byte SYNs
//! and their answers) and mixed traffic (~800 B a packet), each as pcap and
//! pcapng, plus the scenario with every kind of event.
//!
//! - `bare-pcapfile-etherparse`: the reference loop: pcap-file's reader and
//!   etherparse's slicer, counting destination ports and nothing else;
//! - `frames`: our framing only; `decode`: framing and our decoder (the same
//!   port count as the reference);
//! - `analyze`: the whole engine, every metric and detection on.

// Bench code: a panic is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use etherparse::{SlicedPacket, TransportSlice};
use portspike_core::capture::Reader;
use portspike_core::{analyze_bytes, decode, Params};
use portspike_gen::bulk::{Bulk, Container, Mix};
use portspike_gen::synth;
use std::hint::black_box;

const SIZE: u64 = 64 << 20;

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "scan64-pcap",
            Bulk::new(Mix::Scan, Container::Pcap, SIZE).to_vec(),
        ),
        (
            "scan64-pcapng",
            Bulk::new(Mix::Scan, Container::Pcapng, SIZE).to_vec(),
        ),
        (
            "mixed-pcap",
            Bulk::new(Mix::Mixed, Container::Pcap, SIZE).to_vec(),
        ),
        (
            "mixed-pcapng",
            Bulk::new(Mix::Mixed, Container::Pcapng, SIZE).to_vec(),
        ),
        ("scenario-all", synth::scenario("all").unwrap().0),
    ]
}

fn count_port(ports: &mut [u32], data: &[u8]) {
    if let Ok(p) = SlicedPacket::from_ethernet(data) {
        let port = match p.transport {
            Some(TransportSlice::Tcp(t)) => t.destination_port(),
            Some(TransportSlice::Udp(u)) => u.destination_port(),
            _ => return,
        };
        ports[port as usize] += 1;
    }
}

fn bare(bytes: &[u8]) -> usize {
    let mut ports = vec![0u32; 65536];
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = pcap_file::pcapng::PcapNgReader::new(bytes).unwrap();
        while let Some(b) = r.next_block() {
            if let Ok(pcap_file::pcapng::Block::EnhancedPacket(p)) = b {
                count_port(&mut ports, &p.data);
            }
        }
    } else {
        let mut r = pcap_file::pcap::PcapReader::new(bytes).unwrap();
        while let Some(p) = r.next_packet() {
            if let Ok(p) = p {
                count_port(&mut ports, &p.data);
            }
        }
    }
    ports.iter().filter(|x| **x > 0).count()
}

fn packets(bytes: &[u8]) -> u64 {
    let mut n = 0;
    Reader::new().feed(bytes, &mut |_| n += 1);
    n
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in inputs() {
        let n = packets(&bytes);
        eprintln!(
            "{name}: {} bytes, {n} packets, {} B/packet",
            bytes.len(),
            bytes.len() as u64 / n.max(1)
        );
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        for (unit, t) in [
            ("bytes", Throughput::Bytes(bytes.len() as u64)),
            ("packets", Throughput::Elements(n)),
        ] {
            g.throughput(t);
            g.bench_function(format!("bare-pcapfile-etherparse/{unit}"), |b| {
                b.iter(|| bare(black_box(&bytes)))
            });
            g.bench_function(format!("frames/{unit}"), |b| {
                b.iter(|| {
                    let mut r = Reader::new();
                    let mut n = 0u64;
                    r.feed(black_box(&bytes), &mut |f| n += u64::from(f.orig_len));
                    n
                })
            });
            g.bench_function(format!("decode/{unit}"), |b| {
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
            g.bench_function(format!("analyze/{unit}"), |b| {
                b.iter(|| {
                    analyze_bytes(black_box(&bytes), Params::default())
                        .ports
                        .len()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
