//! Hostile input through the whole analyzer: crafted captures get a clear
//! warning or error, cost time and memory in proportion, and say which file
//! they are about.

// Test code: a panic is a failed test.

use portspike_core::{analyze_bytes, Analyzer, Params};

/// A pcap of raw IP (LINKTYPE_RAW) records.
fn raw_pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&101u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000 + i as u32).to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        v.extend_from_slice(p);
    }
    v
}

/// `n` IPv4 headers, each announcing IP-in-IP, around a UDP header to port 53.
fn nested(n: usize) -> Vec<u8> {
    let mut raw = Vec::new();
    for i in 0..n {
        let total = ((n - i) * 20 + 8) as u16;
        let mut h = [0u8; 20];
        h[0] = 0x45;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[8] = 64;
        h[9] = if i + 1 == n { 17 } else { 4 };
        h[12..16].copy_from_slice(&[10, 0, 0, i as u8]);
        h[16..20].copy_from_slice(&[10, 1, 0, 1]);
        raw.extend_from_slice(&h);
    }
    raw.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    raw
}

#[test]
fn tunnels_past_the_depth_limit_are_counted_and_said() {
    let shallow = nested(3);
    let deep = nested(40);
    let r = analyze_bytes(
        &raw_pcap(&[shallow.clone(), deep.clone(), deep]),
        Params::default(),
    );
    assert_eq!(r.capture.packets, 3);
    // The shallow packet reaches udp/53; the deep ones do not.
    let dns = r.ports.iter().find(|p| p.port == 53).unwrap();
    assert_eq!(dns.totals.packets, 1);
    let w: Vec<_> = r
        .capture
        .warnings
        .iter()
        .filter(|w| w.code == "tunnel_depth")
        .collect();
    assert_eq!(w.len(), 1, "{:?}", r.capture.warnings);
    assert!(w[0].message.starts_with("2 packets"), "{}", w[0].message);
    let clean = analyze_bytes(&raw_pcap(&[shallow]), Params::default());
    assert!(clean.capture.warnings.is_empty());
}

#[test]
fn the_error_of_one_file_of_several_names_it() {
    let good = raw_pcap(&[nested(1), nested(1)]);
    let mut bad = raw_pcap(&[nested(1)]);
    bad.truncate(bad.len() - 5);
    let mut a = Analyzer::new(Params::default());
    a.begin_file("first.pcap", bad.len() as u64, None);
    a.feed(&bad);
    a.begin_file("second.pcap", good.len() as u64, None);
    a.feed(&good);
    let r = a.finish();
    let e = r.capture.error.unwrap();
    assert!(e.message.starts_with("first.pcap: "), "{}", e.message);
    assert_eq!(r.capture.packets, 2);
}

/// A pcapng of `n` packets of UDP to port 53 (raw IP), each in an EPB.
fn pcapng(n: usize) -> (Vec<u8>, Vec<usize>) {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let len = (12 + body.len()) as u32;
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut v = Vec::new();
    let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut v, 0x0A0D_0D0A, &shb);
    block(&mut v, 1, &[101, 0, 0, 0, 0, 0, 0, 0]);
    let p = nested(1);
    let mut starts = Vec::new();
    for i in 0..n {
        starts.push(v.len());
        let ts = (1_700_000_000u64 + i as u64) * 1_000_000;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(&p);
        block(&mut v, 6, &epb);
    }
    (v, starts)
}

#[test]
fn a_flipped_length_bit_costs_one_packet_in_any_chunking() {
    let (v, starts) = pcapng(3000);
    for bit in [2, 12, 22] {
        let mut bad = v.clone();
        bad[starts[1500] + 4 + bit / 8] ^= 1 << (bit % 8);
        for chunk in [1000, 65536, bad.len()] {
            let mut a = Analyzer::new(Params::default());
            bad.chunks(chunk).for_each(|c| a.feed(c));
            let r = a.finish();
            assert!(
                r.capture.error.is_none(),
                "bit {bit}: {:?}",
                r.capture.error
            );
            assert_eq!(r.capture.packets, 2999, "bit {bit}, chunk {chunk}");
            let codes: Vec<_> = r.capture.warnings.iter().map(|w| w.code.as_str()).collect();
            assert_eq!(codes, ["bad_block", "resynchronised"], "bit {bit}");
        }
    }
}

#[test]
fn zstd_from_pzstd_and_cut_short() {
    // pzstd writes a skippable frame before each frame; zstd frames of raw
    // blocks are written by hand (the crate has no encoder).
    let (v, _) = pcapng(2000);
    let mut z = Vec::new();
    for part in v.chunks(40_000) {
        z.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
        z.extend_from_slice(&4u32.to_le_bytes());
        z.extend_from_slice(&(part.len() as u32).to_le_bytes());
        z.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
        z.extend_from_slice(&[0, 10 << 3]);
        for (i, b) in part.chunks(10_000).enumerate() {
            let last = (i + 1) * 10_000 >= part.len();
            let h = u32::from(last) | (b.len() as u32) << 3;
            z.extend_from_slice(&h.to_le_bytes()[..3]);
            z.extend_from_slice(b);
        }
    }
    let plain = analyze_bytes(&v, Params::default());
    let r = analyze_bytes(&z, Params::default());
    assert_eq!(r.capture.compression.as_deref(), Some("zstd"));
    assert!(r.capture.error.is_none(), "{:?}", r.capture.error);
    assert_eq!(
        (r.capture.packets, &r.ports),
        (plain.capture.packets, &plain.ports)
    );
    // Cut in the middle: what came before the cut is read.
    let cut = analyze_bytes(&z[..z.len() / 2], Params::default());
    assert!(
        cut.capture.packets > plain.capture.packets / 3,
        "{}",
        cut.capture.packets
    );
    assert_eq!(cut.capture.error.unwrap().code, "bad_compression");
}
