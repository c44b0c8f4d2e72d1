//! The reader on hand-made pcap and pcapng input.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

fn pcap_le(records: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    for (s, us, d) in records {
        v.extend_from_slice(&s.to_le_bytes());
        v.extend_from_slice(&us.to_le_bytes());
        v.extend_from_slice(&(d.len() as u32).to_le_bytes());
        v.extend_from_slice(&(d.len() as u32).to_le_bytes());
        v.extend_from_slice(d);
    }
    v
}

fn collect(bytes: &[u8], chunk: usize) -> (Vec<(i64, Vec<u8>, u64)>, Reader) {
    let mut r = Reader::new();
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        r.feed(c, &mut |f| out.push((f.ts_ns, f.data.to_vec(), f.offset)));
    }
    r.finish();
    (out, r)
}

#[test]
fn pcap_records_in_any_chunking() {
    let file = pcap_le(&[(1, 2, b"abc"), (3, 999_999, b""), (4, 5, b"hello world")]);
    let (whole, r) = collect(&file, file.len());
    assert_eq!(r.error(), None);
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[0], (1_000_002_000, b"abc".to_vec(), 24));
    assert_eq!(whole[2].0, 4_000_005_000);
    for n in 1..file.len() {
        assert_eq!(collect(&file, n).0, whole, "chunk size {n}");
    }
}

#[test]
fn truncated_record_reports_its_start() {
    let file = pcap_le(&[(1, 0, b"abcd"), (2, 0, b"efgh")]);
    let cut = &file[..file.len() - 2];
    let (frames, r) = collect(cut, 7);
    assert_eq!(frames.len(), 1);
    let e = r.error().unwrap();
    assert_eq!(e.code, "truncated");
    assert_eq!(e.offset, Some(24 + 16 + 4));
}

#[test]
fn huge_length_is_an_error_not_an_allocation() {
    let mut file = pcap_le(&[]);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&1_400_000_000u32.to_le_bytes());
    file.extend_from_slice(&60u32.to_le_bytes());
    let (frames, r) = collect(&file, 5);
    assert!(frames.is_empty());
    assert_eq!(r.error().unwrap().code, "record_too_long");
    assert_eq!(r.error().unwrap().offset, Some(24));
}

#[test]
fn text_is_not_a_capture() {
    let (_, r) = collect(b"hello, this is a text file\n", 3);
    let e = r.error().unwrap();
    assert_eq!(e.code, "not_a_capture");
    assert!(e.message.contains("text"), "{}", e.message);
    assert_eq!(e.offset, Some(0));
}

fn ng_block(t: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = t.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn ng_epb(ts: u64, data: &[u8]) -> Vec<u8> {
    let mut epb = 0u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    epb.extend_from_slice(&(ts as u32).to_le_bytes());
    epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
    epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
    epb.extend_from_slice(data);
    ng_block(6, &epb)
}

fn ng_head() -> Vec<u8> {
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut v = ng_block(0x0A0D0D0A, &shb);
    v.extend(ng_block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
    v
}

#[test]
fn pcapng_resynchronises_after_a_corrupt_block() {
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    let bad_at = v.len() as u64;
    let mut junk = ng_epb(2, b"efgh");
    let n = junk.len();
    junk[n - 4] ^= 0xff; // trailer no longer matches
    v.extend(junk);
    v.extend([0x55; 12]);
    let good_at = v.len() as u64;
    v.extend(ng_epb(3, b"ijkl"));
    for chunk in [1, 5, 64, v.len()] {
        let (frames, r) = collect(&v, chunk);
        assert_eq!(r.error(), None);
        assert_eq!(frames.len(), 2, "chunk {chunk}");
        assert_eq!(frames[1].1, b"ijkl");
        let w: Vec<_> = r
            .warnings()
            .iter()
            .map(|w| (w.code.as_str(), w.offset))
            .collect();
        assert_eq!(
            w,
            vec![
                ("bad_block", Some(bad_at)),
                ("resynchronised", Some(good_at))
            ]
        );
    }
}

#[test]
fn pcapng_corrupt_to_the_end_is_an_error_at_the_corrupt_block() {
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    let bad_at = v.len() as u64;
    v.extend([7u8, 0, 0, 0, 13, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let (frames, r) = collect(&v, 3);
    assert_eq!(frames.len(), 1);
    assert_eq!(r.error().unwrap().offset, Some(bad_at));
}

/// Feed `bytes` in `chunk`-byte pieces, packets delivered at the end too.
fn collect_all(bytes: &[u8], chunk: usize) -> (u64, Reader) {
    let mut r = Reader::new();
    let mut n = 0u64;
    for c in bytes.chunks(chunk) {
        r.feed(c, &mut |_| n += 1);
    }
    r.finish_with(&mut |_| n += 1);
    (n, r)
}

#[test]
fn recovery_from_a_huge_corrupt_block_is_linear() {
    // A block claiming 4 MiB, then 4 MiB of bytes that are no blocks, then
    // a good packet: each byte is buffered once, never moved per step.
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    let bad_at = v.len() as u64;
    let claimed = 4usize << 20;
    v.extend(6u32.to_le_bytes());
    v.extend((claimed as u32).to_le_bytes());
    v.resize(v.len() + claimed, 0x55);
    let good_at = v.len() as u64;
    v.extend(ng_epb(2, b"efgh"));
    for chunk in [1 << 16, 1 << 20, v.len()] {
        let (n, r) = collect_all(&v, chunk);
        assert_eq!(r.error(), None, "chunk {chunk}");
        assert_eq!(n, 2);
        let w: Vec<_> = r
            .warnings()
            .iter()
            .map(|w| (w.code.as_str(), w.offset))
            .collect();
        assert_eq!(
            w,
            vec![
                ("bad_block", Some(bad_at)),
                ("resynchronised", Some(good_at))
            ]
        );
        assert!(
            r.bytes_copied() <= 2 * v.len() as u64,
            "chunk {chunk}: {} bytes copied for {}",
            r.bytes_copied(),
            v.len()
        );
    }
}

#[test]
fn recovery_through_fake_block_headers_is_linear() {
    // Every 16 bytes a header of a known type claiming 1 MiB whose trailer
    // never matches: each needs 1 MiB buffered ahead, and is still one
    // look. The last MiB of them run past the end, where they are no blocks.
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    let bad_at = v.len() as u64;
    let mut fake = 6u32.to_le_bytes().to_vec();
    fake.extend((1u32 << 20).to_le_bytes());
    fake.extend([9; 8]);
    for _ in 0..(3 << 20) / 16 {
        v.extend(&fake);
    }
    v.extend(ng_epb(2, b"efgh"));
    for chunk in [4096, 1 << 20, v.len()] {
        let (n, r) = collect_all(&v, chunk);
        assert_eq!(r.error(), None, "chunk {chunk}");
        assert_eq!(n, 2, "chunk {chunk}");
        assert_eq!(r.warnings()[0].offset, Some(bad_at));
        assert!(r.bytes_copied() <= 3 * v.len() as u64, "chunk {chunk}");
    }
}

#[test]
fn one_flipped_length_bit_loses_one_packet() {
    let mut v = ng_head();
    let mut starts = Vec::new();
    for i in 0..2000u64 {
        starts.push(v.len());
        v.extend(ng_epb(i, &[i as u8; 60]));
    }
    for bit in [9, 16, 23] {
        let mut bad = v.clone();
        // The leading length of packet 1000: larger than the rest of the file for bit 23.
        bad[starts[1000] + 4 + bit / 8] ^= 1 << (bit % 8);
        for chunk in [4096, bad.len()] {
            let (n, r) = collect_all(&bad, chunk);
            assert_eq!(r.error(), None, "bit {bit}, chunk {chunk}");
            assert_eq!(n, 1999, "bit {bit}, chunk {chunk}");
            assert_eq!(r.warnings()[0].code, "bad_block");
            assert_eq!(r.warnings()[0].offset, Some(starts[1000] as u64));
            assert!(r.bytes_copied() <= 2 * bad.len() as u64);
        }
    }
}

#[test]
fn a_capture_cut_inside_a_block_is_still_truncated() {
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    let last = v.len() as u64;
    v.extend(ng_epb(2, &[7; 100]));
    v.truncate(v.len() - 10);
    let (n, r) = collect_all(&v, 7);
    assert_eq!(n, 1);
    assert_eq!(r.error().unwrap().code, "truncated");
    assert_eq!(r.error().unwrap().offset, Some(last));
}

/// An interface block padded with an option to `len` bytes.
fn ng_idb_padded(len: usize) -> Vec<u8> {
    let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
    let pad = len - 12 - 8 - 4 - 4;
    idb.extend([1, 0]); // opt_comment
    idb.extend((pad as u16).to_le_bytes());
    idb.resize(idb.len() + pad, b'x');
    idb.extend([0, 0, 0, 0]);
    ng_block(1, &idb)
}

#[test]
fn interface_blocks_cannot_grow_the_preamble_or_the_index_unbounded() {
    // 64 interfaces of 60 KiB, each followed by a packet: the preamble
    // outgrows its bound, the file loses its index, every packet counts.
    let mut v = ng_head();
    for i in 0..64u64 {
        v.extend(ng_idb_padded(60 << 10));
        let mut epb = (i as u32).to_le_bytes().to_vec();
        epb.extend([0; 8]);
        epb.extend(4u32.to_le_bytes());
        epb.extend(4u32.to_le_bytes());
        epb.extend(b"wxyz");
        v.extend(ng_block(6, &epb));
    }
    let (n, mut r) = collect_all(&v, 1 << 16);
    assert_eq!(n, 64);
    assert_eq!(r.error(), None);
    assert!(r.preamble.len() <= MAX_PREAMBLE);
    let w: Vec<_> = r.warnings().iter().map(|w| w.code).collect();
    assert_eq!(w, vec!["index_bounded"]);
    let ix = r.take_index();
    assert!(ix.overflow && ix.preambles.is_empty());
}

#[test]
fn big_section_headers_cannot_grow_the_index_unbounded() {
    // 40 sections whose headers are 200 KiB each: 8 MB of preambles
    // would be indexed; the index stops at its bound instead.
    let mut v = Vec::new();
    for i in 0..40u64 {
        let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
        shb.extend((-1i64).to_le_bytes());
        let pad = (200 << 10) - 12 - 16 - 4 - 4;
        shb.extend([1, 0]);
        shb.extend((pad as u16).to_le_bytes());
        shb.resize(shb.len() + pad, b'y');
        shb.extend([0, 0, 0, 0]);
        v.extend(ng_block(0x0A0D0D0A, &shb));
        v.extend(ng_block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
        v.extend(ng_epb(i, b"abcd"));
    }
    let (n, mut r) = collect_all(&v, 1 << 16);
    assert_eq!(n, 40);
    assert!(r.index_bytes <= MAX_INDEX_PREAMBLE_BYTES);
    assert_eq!(r.warnings()[0].code, "index_bounded");
    assert!(r.take_index().overflow);
    // Without an index (compressed input) nothing is kept and nothing said.
    let mut r = Reader::new();
    r.no_index();
    r.feed(&v, &mut |_| {});
    r.finish();
    assert!(r.preamble.is_empty() && r.warnings().is_empty());
}

#[test]
fn offsets_past_4_gib_are_exact() {
    // 72,000 records of 60,000 bytes: 4.32 GB, fed as one 60 MB chunk 72 times.
    let rec_len = 60_000usize;
    let mut rec = Vec::with_capacity(16 + rec_len);
    rec.extend_from_slice(&1u32.to_le_bytes());
    rec.extend_from_slice(&0u32.to_le_bytes());
    rec.extend_from_slice(&(rec_len as u32).to_le_bytes());
    rec.extend_from_slice(&(rec_len as u32).to_le_bytes());
    rec.resize(16 + rec_len, 0);
    let chunk: Vec<u8> = rec.iter().copied().cycle().take(rec.len() * 1000).collect();
    let mut r = Reader::new();
    let mut frames = 0u64;
    let mut last = 0u64;
    r.feed(&pcap_le(&[]), &mut |_| {});
    for _ in 0..72 {
        r.feed(&chunk, &mut |f| {
            frames += 1;
            last = f.offset;
        });
    }
    r.feed(&rec[..26], &mut |_| frames += 1);
    r.finish();
    let end = 24 + 72_000 * rec.len() as u64;
    assert!(end > u64::from(u32::MAX));
    assert_eq!(frames, 72_000);
    assert_eq!(last, end - rec.len() as u64);
    assert_eq!(r.error().unwrap().offset, Some(end));
}

#[test]
fn interface_statistics_give_capture_drops() {
    let mut v = ng_head();
    v.extend(ng_epb(1, b"abcd"));
    // ISB for interface 0: ts, then isb_ifdrop (code 5) = 42, end of options.
    let mut isb = 0u32.to_le_bytes().to_vec();
    isb.extend_from_slice(&[0; 8]);
    isb.extend_from_slice(&[5, 0, 8, 0]);
    isb.extend_from_slice(&42u64.to_le_bytes());
    isb.extend_from_slice(&[0, 0, 0, 0]);
    v.extend(ng_block(5, &isb));
    let (_, r) = collect(&v, 7);
    assert_eq!(r.dropped_by_capture(), Some(42));
    let (_, r) = collect(&ng_head(), 7);
    assert_eq!(r.dropped_by_capture(), None);
}

#[test]
fn pcapng_tsresol_and_interfaces() {
    // SHB, IDB(ethernet, tsresol 10^-9), EPB
    let mut v = Vec::new();
    let block = |t: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        let mut b = t.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    };
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    v.extend(block(0x0A0D0D0A, &shb));
    let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    v.extend(block(1, &idb));
    let ts: u64 = 1_500_000_000_123_456_789;
    let mut epb = 0u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    epb.extend_from_slice(&(ts as u32).to_le_bytes());
    epb.extend_from_slice(&4u32.to_le_bytes());
    epb.extend_from_slice(&60u32.to_le_bytes());
    epb.extend_from_slice(b"wxyz");
    v.extend(block(6, &epb));
    for n in 1..=v.len() {
        let (frames, r) = collect(&v, n);
        assert_eq!(r.error(), None);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, ts as i64);
        assert_eq!(frames[0].1, b"wxyz");
    }
}

#[test]
fn a_packet_dated_past_2262_is_held_there_and_said() {
    // SHB, IDB (tsresol 10^-9), two EPBs dated 2500-01-01: past what
    // nanoseconds in an i64 hold.
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut v = ng_block(0x0A0D0D0A, &shb);
    let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    v.extend(ng_block(1, &idb));
    let ts: u64 = 16_725_225_600 * 1_000_000_000;
    for i in 0..2 {
        let t = ts + i;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(t as u32).to_le_bytes());
        epb.extend_from_slice(&4u32.to_le_bytes());
        epb.extend_from_slice(&60u32.to_le_bytes());
        epb.extend_from_slice(b"wxyz");
        v.extend(ng_block(6, &epb));
    }
    let (frames, r) = collect(&v, 64);
    assert_eq!(frames.len(), 2, "both packets are counted");
    let w: Vec<_> = r
        .warnings()
        .iter()
        .filter(|w| w.code == ProblemCode::TimeOutOfRange)
        .collect();
    assert_eq!(w.len(), 1, "said once: {:?}", r.warnings());
    assert!(w[0].message.contains("2262-04-11"), "{}", w[0].message);
    assert!(w[0].offset.is_some());
}
