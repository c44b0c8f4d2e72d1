use super::spike::victim_prefix;
use super::*;
use crate::evidence::EXACT_TOTAL;
use crate::fixture::{self, RSTACK, S, SYN, SYNACK, T0};
use crate::report::{AddrCount, Flags};
use crate::sketch::REL_ERROR;
use crate::{Analyzer, Params};

fn sketched_and_exact(bytes: &[u8], limit: usize) -> (Report, Report) {
    let mut a = Analyzer::new(Params::default());
    a.feed(bytes);
    let first = a.finish();
    let mut exact = first.clone();
    over_bytes(&mut exact, bytes, limit);
    (first, exact)
}

fn finding<'a>(r: &'a Report, kind: &str) -> &'a SpikeReport {
    r.spikes
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", r.spikes))
}

#[test]
fn a_sweep_counts_its_sweeper_its_targets_and_the_answers_in_its_window() {
    let bytes = fixture::incident();
    let (first, r) = sketched_and_exact(&bytes, EXACT_TOTAL);
    let before = finding(&first, "sweep");
    assert!(!before.estimated.is_empty(), "sketch figures are marked");
    let s = finding(&r, "sweep");
    assert_eq!(r.evidence.as_ref().map(|e| e.exact), Some(true));
    assert!(s.estimated.is_empty(), "{:?}", s.estimated);
    assert_eq!(s.direction.as_deref(), Some("to_port"));
    // 200 SYNs from the one sweeper, 20 resets back.
    assert_eq!((s.sources, s.destinations), (1, 200));
    assert_eq!(s.top_sources.len(), 1);
    assert_eq!(s.top_sources[0].addr, "10.9.9.9");
    assert_eq!(s.top_sources[0].packets, 200);
    assert_eq!(s.top_sources[0].bytes, Some(200 * 54));
    assert!(s.top_sources[0]
        .wireshark_filter
        .starts_with("ip.src == 10.9.9.9 && tcp.dstport == 445 && !icmp && frame.time_epoch >= "));
    assert_eq!(s.top_destinations.len(), TOP);
    assert!(s.top_destinations.iter().all(|d| d.packets == 1));
    assert_eq!((s.flags.syn, s.flags.rst, s.flags.other), (200, 20, 0));
    assert_eq!((s.packets, s.answers), (220, Some(20)));
    let rates = s.rates.as_ref().unwrap();
    assert_eq!(rates.interval_us, 1_000_000);
    // 20 SYNs a second, and two resets in each second.
    assert_eq!(rates.peak_pps, 22.0);
}

#[test]
fn a_spoofed_flood_names_each_source_with_its_own_packets_in_the_window() {
    // Three busy web clients all along; then 300 spoofed sources, one SYN
    // each, to one server's tcp/80 within a minute.
    let mut c = fixture::quiet();
    for i in 0..2000u32 {
        let t = T0 + 400 * S + i64::from(i) * S / 100;
        let src = [172, 16, (i / 250) as u8, (i % 250) as u8 + 1];
        c.tcp(t, src, [10, 0, 0, 1], 1024 + i as u16, 80, SYN);
    }
    let (_, r) = sketched_and_exact(&c.pcap(), EXACT_TOTAL);
    let s = finding(&r, "flood");
    assert_eq!(s.destinations, 1);
    assert_eq!(s.sources, 2000 + 3);
    // The web clients' own handshakes in the window count once each; no
    // talker is credited with packets from outside the window.
    assert!(
        s.top_sources.iter().all(|t| t.packets <= 4),
        "{:?}",
        s.top_sources
    );
    assert_eq!(s.top_destinations[0].addr, "10.0.0.1");
    assert!(s.top_destinations[0].packets >= 2000);
    assert_eq!(s.flags.synack, s.answers.unwrap());
}

#[test]
fn a_connect_scan_is_connect_and_a_half_open_one_syn_with_its_open_ports() {
    let scan = |complete: bool| {
        let mut c = fixture::quiet();
        let (me, target) = ([10, 9, 9, 9], [10, 0, 0, 1]);
        for (i, port) in (1..=40u16).enumerate() {
            let t = T0 + 300 * S + i as i64 * S / 10;
            c.tcp(t, me, target, 40000, port, SYN);
            if port == 22 || port == 25 {
                c.tcp(t + S / 100, target, me, port, 40000, SYNACK);
                let flags = if complete { fixture::ACK } else { fixture::RST };
                c.tcp(t + S / 50, me, target, 40000, port, flags);
            } else {
                c.tcp(t + S / 100, target, me, port, 40000, RSTACK);
            }
        }
        let (_, r) = sketched_and_exact(&c.pcap(), EXACT_TOTAL);
        r.scanners
            .into_iter()
            .find(|s| s.source == "10.9.9.9")
            .expect("the scanner")
    };
    for (complete, probe) in [(true, "connect"), (false, "syn")] {
        let s = scan(complete);
        assert_eq!(s.probes, [probe], "{s:?}");
        assert_eq!((s.targets, s.ports, s.attempts), (1, 40, 40));
        assert_eq!((s.answered, s.failures), (Some(2), 38));
        let open: Vec<u16> = s.open_ports.iter().map(|p| p.port).collect();
        assert_eq!(open, [22, 25]);
        assert_eq!(s.kind, "vertical");
        assert!(s.probe_filter.starts_with("ip.src == 10.9.9.9 && (udp || "));
        assert!(s.estimated.is_empty());
    }
}

#[test]
fn past_the_bound_a_count_is_marked_estimated() {
    // One finding (two tables) and one scanner share 150: 50 each.
    let (_, r) = sketched_and_exact(&fixture::incident(), 150);
    let s = finding(&r, "sweep");
    let fields: Vec<&str> = s.estimated.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["destinations", "top_destinations"]);
    assert_eq!(s.estimated[0].rel_error, Some(REL_ERROR));
    let err = (s.destinations as f64 - 200.0).abs() / 200.0;
    assert!(err < 3.0 * REL_ERROR, "{}", s.destinations);
    assert_eq!(s.sources, 1, "the sources stayed within the bound");
}

#[test]
fn the_index_ranges_give_what_the_whole_capture_gives() {
    let bytes = fixture::incident();
    let mut a = Analyzer::new(Params::default());
    a.begin_file("x.pcap", bytes.len() as u64, None);
    for c in bytes.chunks(1000) {
        a.feed(c);
    }
    let (first, index) = a.finish_with_index();
    let ix = index[0].as_ref().unwrap();
    let mut e = Evidence::new(&first, EXACT_TOTAL);
    let ranges = e.ranges(ix).unwrap();
    // Windows of the finding and the scanner overlap: read once.
    for w in ranges.windows(2) {
        assert!(w[0].2 <= w[1].1);
    }
    for (pre, a, b) in ranges {
        e.begin(pre);
        for piece in bytes[a as usize..b as usize].chunks(333) {
            e.feed(piece);
        }
    }
    let mut by_ranges = first.clone();
    e.apply(&mut by_ranges);
    let mut whole = first;
    over_bytes(&mut whole, &bytes, EXACT_TOTAL);
    assert_eq!(by_ranges, whole);
}

#[test]
fn a_udp_finding_has_no_tcp_flags() {
    let mut c = fixture::quiet();
    for i in 0..200u8 {
        let t = T0 + 360 * S + i64::from(i) * S / 20;
        c.udp(t, [10, 9, 9, 9], [10, 0, 1, i], 50000, 161);
    }
    let (_, r) = sketched_and_exact(&c.pcap(), EXACT_TOTAL);
    let s = r
        .spikes
        .iter()
        .find(|s| s.port == 161)
        .expect("the udp/161 sweep");
    assert_eq!(s.flags, Flags::default());
    assert_eq!(s.packets, 200);
    assert_eq!(s.destinations, 200);
}

#[test]
fn carpet_bombing_names_the_prefix_and_one_victim_does_not() {
    use crate::report::SpikeKind;
    let mut m: HashMap<IpAddr, (u64, u64)> = HashMap::default();
    for h in 1..=254u8 {
        m.insert(IpAddr::from([10, 20, 30, h]), (10 + u64::from(h % 3), 0));
    }
    // A stray receiver elsewhere: under 5 % of the packets.
    m.insert(IpAddr::from([192, 0, 2, 1]), (5, 0));
    assert_eq!(
        victim_prefix(SpikeKind::Reflection, &m).as_deref(),
        Some("10.20.30.0/24")
    );
    assert_eq!(victim_prefix(SpikeKind::Sweep, &m), None);
    // One victim with nearly all packets, a neighbour with a few: one victim.
    let mut one: HashMap<IpAddr, (u64, u64)> = HashMap::default();
    one.insert(IpAddr::from([10, 1, 0, 30]), (1000, 0));
    one.insert(IpAddr::from([10, 1, 0, 53]), (3, 0));
    assert_eq!(victim_prefix(SpikeKind::Flood, &one), None);
}

#[test]
fn vectors_onto_one_victim_at_one_time_are_one_incident_with_their_shares() {
    let bytes = fixture::incident();
    let (_, mut r) = sketched_and_exact(&bytes, EXACT_TOTAL);
    let mut a = r.spikes[0].clone();
    a.kind = crate::report::SpikeKind::Reflection;
    a.top_destinations = vec![AddrCount {
        addr: "10.1.0.30".into(),
        packets: 1,
        bytes: None,
        wireshark_filter: String::new(),
    }];
    let (mut b, mut c) = (a.clone(), a.clone());
    (a.bytes, b.bytes, c.bytes) = (Some(300), Some(100), Some(50));
    // Later and elsewhere: its own incident.
    c.start_ts = a.end_ts + 1;
    c.end_ts = a.end_ts + 10;
    r.spikes = vec![a, b, c];
    incidents(&mut r);
    let got: Vec<_> = r
        .spikes
        .iter()
        .map(|s| (s.incident, s.byte_share))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), Some(0.75)),
            (Some(1), Some(0.25)),
            (Some(2), Some(1.0))
        ]
    );
}
