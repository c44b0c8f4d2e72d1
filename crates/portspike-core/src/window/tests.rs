use super::*;
use crate::{Analyzer, Params};
// Generated captures (bytes only) from the generator crate.
use portspike_gen::synth;

/// Index the sample as one file, fed in uneven chunks.
fn indexed(bytes: &[u8]) -> (crate::report::Report, Vec<Option<Index>>) {
    let mut a = Analyzer::new(Params::default());
    a.begin_file("sample.pcap", bytes.len() as u64, None);
    for c in bytes.chunks(77_777) {
        a.feed(c);
    }
    a.finish_with_index()
}

/// Packets read back through every range of the index, each with its preamble.
fn reread(ix: &Index, bytes: &[u8]) -> u64 {
    let mut n = 0;
    for (pre, a, b) in ranges_for(ix, i64::MIN, i64::MAX).unwrap() {
        let mut rd = Reader::new();
        rd.feed(pre, &mut |_| {});
        rd.feed(&bytes[a as usize..b as usize], &mut |_| n += 1);
    }
    n
}

#[test]
fn the_index_covers_every_record_once_in_order() {
    let bytes = synth::sample();
    let (r, ix) = indexed(&bytes);
    let ix = ix[0].as_ref().expect("an uncompressed file is indexed");
    assert!(ix.segments.len() >= 2, "{} segments", ix.segments.len());
    assert_eq!(ix.segments[0].start, 24);
    assert_eq!(ix.segments.last().unwrap().end, bytes.len() as u64);
    for w in ix.segments.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    // Reading every range again gives every packet.
    let all = ranges_for(ix, i64::MIN, i64::MAX).unwrap();
    assert_eq!(all.len(), 1, "adjacent segments merge");
    assert_eq!(reread(ix, &bytes), r.capture.packets);
}

#[test]
fn a_window_reads_only_its_segments_and_loses_none_of_its_packets() {
    let bytes = synth::sample();
    let (r, ix) = indexed(&bytes);
    let ix = ix[0].as_ref().unwrap();
    let spike = &r.spikes[0];
    let ranges = ranges_for(ix, spike.start_ts, spike.end_ts).unwrap();
    let read: u64 = ranges.iter().map(|(_, a, b)| b - a).sum();
    assert!(
        read < bytes.len() as u64 / 2,
        "read {read} of {}",
        bytes.len()
    );
    // Every packet of the window comes back, whatever the chunking was.
    let count = |sel: Selection, whole: bool| {
        let mut x = Extract::new(sel, usize::MAX);
        if whole {
            x.range(&[], &bytes);
        } else {
            for (pre, a, b) in ranges_for(ix, sel.t0_us, sel.t1_us).unwrap() {
                x.range(pre, &bytes[a as usize..b as usize]);
            }
        }
        (x.packets, x.finish())
    };
    let sel = Selection::port(
        Key::Service,
        Proto::Tcp,
        spike.port,
        spike.start_ts,
        spike.end_ts,
    );
    assert_eq!(sel.wireshark_filter(), spike.wireshark_filter);
    let (n_whole, _) = count(sel, true);
    let (n_ranges, pcap) = count(sel, false);
    assert_eq!(n_whole, n_ranges);
    // Each range read in pieces (as the worker reads a file: records cut
    // anywhere) gives them all too; a fresh reader per piece lost all
    // but the first piece's.
    let mut x = Extract::new(sel, usize::MAX);
    for (pre, a, b) in ranges_for(ix, sel.t0_us, sel.t1_us).unwrap() {
        x.begin(pre);
        for piece in bytes[a as usize..b as usize].chunks(4093) {
            x.feed(piece);
        }
    }
    assert_eq!(x.packets, n_ranges);
    assert_eq!(x.finish(), pcap);
    // Past the size limit: "N of M", and why.
    let mut x = Extract::new(sel, 64 << 10);
    x.range(&[], &bytes);
    assert!(x.packets > 0 && x.packets < n_ranges, "{}", x.packets);
    assert_eq!(x.matched(), n_ranges);
    assert_eq!(
        x.notes(),
        vec![format!(
            "{} past the 64 KiB size limit",
            n_ranges - x.packets
        )]
    );
    assert!(n_ranges >= spike.packets, "{n_ranges} < {}", spike.packets);
    // The extract is a capture of exactly those packets.
    let again = crate::analyze_bytes(&pcap, Params::default());
    assert_eq!(again.capture.packets, n_ranges);
    assert!(again.capture.first_ts.unwrap() >= spike.start_ts);
    assert!(again.capture.last_ts.unwrap() < spike.end_ts);
}

#[test]
fn a_full_index_merges_neighbours_and_still_covers_everything() {
    use crate::capture::SEGMENT_BYTES;
    use portspike_gen::bulk::{Bulk, Container, Mix};
    const LIMIT: usize = 64;
    let size = SEGMENT_BYTES * LIMIT as u64 * 5 / 2;
    let bytes = Bulk::new(Mix::Scan, Container::Pcap, size).to_vec();
    let mut rd = Reader::new();
    rd.set_index_limit(LIMIT);
    let mut n = 0u64;
    for c in bytes.chunks(1 << 20) {
        rd.feed(c, &mut |_| n += 1);
    }
    let ix = rd.take_index();
    assert!(ix.segments.len() <= LIMIT);
    assert!(ix.segment_bytes >= 4 * SEGMENT_BYTES);
    assert_eq!(ix.segments.last().unwrap().end, bytes.len() as u64);
    for w in ix.segments.windows(2) {
        assert_eq!(w[0].end, w[1].start);
        assert!(w[0].min_ts_us <= w[1].max_ts_us);
    }
    assert_eq!(reread(&ix, &bytes), n);
}

#[test]
fn packets_of_several_link_types_are_saved_as_a_pcapng() {
    use crate::writer::PcapngWriter;
    // The same conversation on an Ethernet interface and on a raw-IP one.
    let (bytes, _) = synth::scenario("sample").unwrap();
    let mut eth = Vec::new();
    let mut rd = Reader::new();
    rd.feed(&bytes, &mut |f| {
        if eth.len() < 4000 {
            eth.push((f.ts_ns, f.data.to_vec()))
        }
    });
    let mut ng = PcapngWriter::new(65535);
    for (i, (ts, d)) in eth.iter().enumerate() {
        if i % 3 == 0 {
            ng.packet(101, *ts, &d[14..], d.len() as u32 - 14);
        } else {
            ng.packet(1, *ts, d, d.len() as u32);
        }
    }
    let input = ng.into_bytes();
    let mut all = Extract::new(
        Selection::port(Key::Service, Proto::Udp, 53, i64::MIN, i64::MAX),
        usize::MAX,
    );
    all.range(&[], &input);
    let (mut want, mut links) = (0u64, std::collections::BTreeSet::new());
    let mut rd = Reader::new();
    rd.feed(&input, &mut |f| {
        if let Decoded::Ip(p) = decode::decode(f.linktype, f.data) {
            if all.sel.matches(f.ts_ns, &p) {
                want += 1;
                links.insert(f.linktype);
            }
        }
    });
    assert_eq!(links.len(), 2, "both link types carry udp/53");
    assert_eq!(all.packets, want);
    assert_eq!(all.matched(), want);
    assert!(all.notes().is_empty());
    assert_eq!(all.format(), "pcapng");
    // Read back: the same packets, in order, each with its own link type.
    let out = all.finish();
    let (mut n, mut back) = (0u64, std::collections::BTreeSet::new());
    let mut rd = Reader::new();
    let mut last = i64::MIN;
    rd.feed(&out, &mut |f| {
        n += 1;
        back.insert(f.linktype);
        assert!(f.ts_ns >= last);
        last = f.ts_ns;
    });
    assert_eq!((n, back), (want, links));
}

#[test]
fn a_compressed_capture_read_again_whole_saves_the_same_packets() {
    use std::io::Write;
    let plain = synth::sample();
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&plain).unwrap();
    let gz = z.finish().unwrap();
    let save = |bytes: &[u8]| {
        let sel = Selection::port(Key::Service, Proto::Tcp, 445, i64::MIN, i64::MAX);
        let mut x = Extract::new(sel, 64 << 20);
        x.begin(&[]);
        // In pieces, as the page reads a file.
        for piece in bytes.chunks(4096) {
            x.feed(piece);
        }
        x.end();
        let n = x.packets;
        (n, x.finish())
    };
    let (n, from_plain) = save(&plain);
    assert!(n > 1000, "{n}");
    let (m, from_gz) = save(&gz);
    assert_eq!(m, n);
    assert!(
        from_gz == from_plain,
        "{} and {} bytes",
        from_gz.len(),
        from_plain.len()
    );
}

#[test]
fn compressed_input_has_no_index() {
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&synth::sample()).unwrap();
    let gz = z.finish().unwrap();
    let (_, ix) = indexed(&gz);
    assert!(ix[0].is_none());
}

#[test]
fn pcapng_sections_keep_their_interfaces() {
    use portspike_gen::bulk::{Bulk, Container, Mix};
    // Two sections back to back: the second range needs the second preamble.
    let mut two = Bulk::new(Mix::Mixed, Container::Pcapng, 3 << 20).to_vec();
    two.extend(Bulk::new(Mix::Scan, Container::Pcapng, 3 << 20).to_vec());
    let (r, ix) = indexed(&two);
    let ix = ix[0].as_ref().unwrap();
    assert_eq!(ix.preambles.len(), 2);
    assert_eq!(reread(ix, &two), r.capture.packets);
}

#[test]
fn times_past_2106_are_saved_as_pcapng_and_keep_their_time() {
    // The incident's packets, the second half moved past pcap's 32-bit
    // seconds (to 2200), in a pcapng (64-bit times).
    let pcap = crate::fixture::incident();
    let mut frames = Vec::new();
    Reader::new().feed(&pcap, &mut |f| {
        frames.push((f.ts_ns, f.data.to_vec()));
    });
    let late = 7_258_118_400 * 1_000_000_000i64; // 2200-01-01
    let half = frames.len() / 2;
    let mut ng = PcapngWriter::new(65535);
    for (i, (ts, data)) in frames.iter().enumerate() {
        let t = if i < half {
            *ts
        } else {
            late + ts % 1_000_000_000_000
        };
        ng.packet(1, t, data, data.len() as u32);
    }
    let bytes = ng.into_bytes();
    let sel = Selection::host("10.9.9.9".parse().unwrap(), i64::MIN, i64::MAX);
    let mut x = Extract::new(sel, 1 << 30);
    x.range(&[], &bytes);
    assert_eq!(x.format(), "pcapng");
    assert_eq!(x.notes(), Vec::<String>::new());
    let n = x.packets;
    assert!(n >= 200, "{n}");
    let saved = x.finish();
    // Read back: the same packets, the late ones still in 2200.
    let mut times = Vec::new();
    Reader::new().feed(&saved, &mut |f| times.push(f.ts_ns));
    assert_eq!(times.len() as u64, n);
    assert!(times.iter().any(|t| *t >= late), "2200 kept");
    assert!(times.iter().any(|t| *t < late), "the early ones too");
}
