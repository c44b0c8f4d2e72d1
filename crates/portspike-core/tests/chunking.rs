//! Feeding the bytes in any chunking gives the same report.

// Test code: a panic is a failed test.

use portspike_core::{analyze_bytes, Analyzer, Key, Params};
use portspike_gen::synth::{self, Rng, Trace};
use proptest::prelude::*;

/// A small capture with a few kinds of traffic (a minute of background and a sweep).
fn small_pcap(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut t = Trace::new();
    let start = synth::SAMPLE_START_NS;
    synth::background(&mut t, &mut rng, start, start + 20_000_000_000);
    synth::sweep_445(
        &mut t,
        &mut rng,
        &[[10, 9, 9, 9]],
        start + 5_000_000_000,
        50.0,
        40,
    );
    t.into_pcap(96)
}

/// The same packets as pcapng: SHB, IDB (µs), one EPB each.
fn to_pcapng(pcap: &[u8]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0A0D_0D0A, &shb);
    block(&mut out, 1, &[1, 0, 0, 0, 0, 0, 0, 0]);
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let word = |o: usize| u32::from_le_bytes(pcap[o..o + 4].try_into().unwrap());
        let (sec, usec, cap, orig) = (word(at), word(at + 4), word(at + 8), word(at + 12));
        let ts = u64::from(sec) * 1_000_000 + u64::from(usec);
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&cap.to_le_bytes());
        epb.extend_from_slice(&orig.to_le_bytes());
        epb.extend_from_slice(&pcap[at + 16..at + 16 + cap as usize]);
        block(&mut out, 6, &epb);
        at += 16 + cap as usize;
    }
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn chunked(bytes: &[u8], cuts: &[usize], params: Params) -> portspike_core::report::Report {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut a = Analyzer::new(params);
    let mut prev = 0;
    for c in cuts.into_iter().chain(std::iter::once(bytes.len())) {
        a.feed(&bytes[prev..c]);
        prev = c;
    }
    // Complete as `analyze_bytes` makes it: the findings counted exactly.
    let mut r = a.finish();
    portspike_core::evidence::over_bytes(&mut r, bytes, portspike_core::evidence::EXACT_TOTAL);
    r
}

#[test]
fn gzip_input_gives_the_same_ports() {
    let pcap = small_pcap(2);
    let a = analyze_bytes(&pcap, Params::default());
    let b = analyze_bytes(&gzip(&pcap), Params::default());
    assert_eq!(a.ports, b.ports);
    assert_eq!(b.capture.compression.as_deref(), Some("gzip"));
    assert_eq!(a.capture.compression, None);
}

#[test]
fn zstd_corpus_file_equals_its_uncompressed_twin() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/captures/");
    let plain = std::fs::read(format!("{dir}pcapplusplus__pcapng-example.pcapng")).unwrap();
    let zst = std::fs::read(format!("{dir}pcapplusplus__pcapng-example.pcapng.zst")).unwrap();
    let a = analyze_bytes(&plain, Params::default());
    for chunk in [1usize, 7, 4096, zst.len()] {
        let mut an = Analyzer::new(Params::default());
        zst.chunks(chunk).for_each(|c| an.feed(c));
        let b = an.finish();
        assert_eq!(b.capture.compression.as_deref(), Some("zstd"));
        assert!(b.capture.error.is_none(), "{:?}", b.capture.error);
        assert_eq!((a.capture.packets, &a.ports), (b.capture.packets, &b.ports));
    }
    let cut = analyze_bytes(&zst[..zst.len() / 2], Params::default());
    // One zstd block holds the whole file here: nothing decodes before the cut.
    assert!(cut.capture.packets < a.capture.packets);
    assert!(cut.capture.error.is_some());
}

#[test]
fn a_rotated_set_in_any_order_is_one_timeline() {
    let pcap = small_pcap(3);
    // Split at a record boundary near the middle into two files.
    let mut at = 24;
    while at < pcap.len() / 2 {
        let cap = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + cap;
    }
    let first = pcap[..at].to_vec();
    let mut second = pcap[..24].to_vec();
    second.extend_from_slice(&pcap[at..]);
    let whole = analyze_bytes(&pcap, Params::default());
    for order in [[&first, &second], [&second, &first]] {
        let mut a = Analyzer::new(Params::default());
        for (i, f) in order.iter().enumerate() {
            a.begin_file(&format!("part{i}.pcap"), f.len() as u64, None);
            a.feed(f);
        }
        let r = a.finish();
        assert_eq!(r.ports, whole.ports);
        assert_eq!(r.capture.packets, whole.capture.packets);
        assert_eq!(r.capture.files.len(), 2);
        assert_eq!(
            (r.capture.first_ts, r.capture.last_ts),
            (whole.capture.first_ts, whole.capture.last_ts)
        );
    }
}

#[test]
fn pcap_and_pcapng_give_the_same_ports() {
    let pcap = small_pcap(1);
    let ng = to_pcapng(&pcap);
    let a = analyze_bytes(&pcap, Params::default());
    let b = analyze_bytes(&ng, Params::default());
    assert!(a.capture.packets > 100);
    assert_eq!(a.capture.packets, b.capture.packets);
    assert_eq!(a.ports, b.ports);
    assert_eq!(b.capture.format.as_deref(), Some("pcapng"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_chunking_gives_the_same_report(
        seed in 0u64..4,
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
        ng in any::<bool>(),
        dst in any::<bool>(),
        gz in any::<bool>(),
    ) {
        let pcap = small_pcap(seed);
        let bytes = if ng { to_pcapng(&pcap) } else { pcap };
        let bytes = if gz { gzip(&bytes) } else { bytes };
        let params = Params { key: if dst { Key::DstPort } else { Key::Service }, ..Params::default() };
        let whole = analyze_bytes(&bytes, params.clone());
        prop_assert_eq!(chunked(&bytes, &cuts, params), whole);
    }

    #[test]
    fn byte_at_a_time_equals_whole(seed in 0u64..2) {
        let bytes = small_pcap(seed);
        let whole = analyze_bytes(&bytes, Params::default());
        let mut a = Analyzer::new(Params::default());
        for b in bytes.chunks(1) {
            a.feed(b);
        }
        // The evidence pass fed a byte at a time too.
        let mut r = a.finish();
        let mut e = portspike_core::evidence::Evidence::new(&r, portspike_core::evidence::EXACT_TOTAL);
        e.begin(&[]);
        for b in bytes.chunks(1) {
            e.feed(b);
        }
        e.apply(&mut r);
        prop_assert_eq!(r, whole);
    }

    #[test]
    fn a_cut_capture_keeps_every_packet_before_the_cut(seed in 0u64..3, frac in 0.0f64..1.0) {
        let bytes = small_pcap(seed);
        let cut = ((bytes.len() as f64) * frac) as usize;
        let r = analyze_bytes(&bytes[..cut], Params::default());
        // Count the records that end at or before the cut.
        let mut at = 24;
        let mut whole = 0;
        while at + 16 <= cut {
            let cap = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            if at + 16 + cap > cut {
                break;
            }
            whole += 1;
            at += 16 + cap;
        }
        prop_assert_eq!(r.capture.packets, whole);
        if cut < 24 || at == cut {
            // Cut on a boundary (or inside the file header): no packet is torn.
            if cut >= 24 {
                prop_assert!(r.capture.error.is_none());
            }
        } else {
            let e = r.capture.error.clone().unwrap();
            prop_assert_eq!(e.code.as_str(), "truncated");
            prop_assert_eq!(e.offset, Some(at as u64));
        }
    }
}

#[test]
fn a_read_failure_keeps_what_was_read_and_says_where() {
    let bytes = small_pcap(1);
    let whole = analyze_bytes(&bytes, Params::default());
    // The file stops being readable a third of the way in, mid-record.
    let cut = bytes.len() / 3;
    let mut a = Analyzer::new(Params::default());
    a.begin_file("capture.pcap", bytes.len() as u64, None);
    a.feed(&bytes[..cut]);
    a.read_failed("the file changed on disk");
    let r = a.finish();
    let e = r.capture.error.clone().unwrap();
    assert_eq!(e.code, "read_failed");
    assert_eq!(e.offset, Some(cut as u64));
    assert!(
        e.message.contains("the file changed on disk"),
        "{}",
        e.message
    );
    // Everything before the failure is counted, as for a capture cut there.
    let cut_report = analyze_bytes(&bytes[..cut], Params::default());
    assert_eq!(r.capture.packets, cut_report.capture.packets);
    assert!(r.capture.packets > 0 && r.capture.packets < whole.capture.packets);
}
