use super::*;
use crate::fixture::{self, US};

fn outcome(name: &str) -> FileOutcome {
    FileOutcome {
        name: Some(name.into()),
        format: Some(Format::Pcap),
        compression: None,
        error: None,
        warnings: Vec::new(),
        dropped: None,
        comments: Vec::new(),
        comments_dropped: 0,
        index: None,
    }
}

fn problem(code: &str) -> Problem {
    Problem {
        code: ProblemCode::from_name(code).unwrap(),
        message: code.into(),
        offset: Some(1),
    }
}

fn tally(links: &BTreeMap<u32, LinkCount>) -> Tally<'_> {
    Tally {
        packets: 0,
        wire_bytes: 0,
        first_ts_us: Some(10),
        last_ts_us: Some(20),
        links,
        decode_errors: 0,
        too_deep: 0,
        no_row: (0, 0),
        outliers: 0,
        first_outlier_ts: None,
    }
}

#[test]
fn the_first_file_error_is_the_capture_s_and_the_rest_are_warnings() {
    let mut a = outcome("a.pcap");
    a.warnings.push(problem("bad_timestamp"));
    a.error = Some(problem("truncated"));
    let mut b = outcome("b.pcap");
    b.error = Some(problem("not_a_capture"));
    let (w, e) = file_problems(&[a, b]);
    assert_eq!(e.unwrap().message, "a.pcap: truncated");
    let w: Vec<_> = w
        .iter()
        .map(|p| (p.code.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            ("bad_timestamp", "a.pcap: bad_timestamp"),
            ("not_a_capture", "b.pcap: not_a_capture")
        ]
    );
    // One file: no name in front.
    let mut one = outcome("a.pcap");
    one.error = Some(problem("truncated"));
    assert_eq!(file_problems(&[one]).1.unwrap().message, "truncated");
}

#[test]
fn files_of_both_formats_are_mixed() {
    let (a, mut b) = (outcome("a"), outcome("b"));
    assert_eq!(
        format_of(&[outcome("x"), outcome("y")]).as_deref(),
        Some("pcap")
    );
    b.format = Some(Format::Pcapng);
    assert_eq!(format_of(&[a, b]).as_deref(), Some("mixed"));
    let mut none = outcome("c");
    none.format = None;
    assert_eq!(format_of(&[none]), None);
}

#[test]
fn a_section_comment_spans_the_capture_and_dropped_ones_are_told() {
    let links = BTreeMap::new();
    let mut o = outcome("a");
    o.comments = vec![(None, "whole".into()), (Some(15_000), "at 15".into())];
    let (notes, bounded) = annotations(std::slice::from_ref(&o), &tally(&links));
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.start_ts, n.end_ts))
            .collect::<Vec<_>>(),
        [(10, 20), (15, 15)]
    );
    assert!(notes.iter().all(|n| n.source == "capture"));
    assert!(bounded.is_none());
    o.comments_dropped = 3;
    let (_, bounded) = annotations(&[o], &tally(&links));
    assert!(bounded.unwrap().message.starts_with("3 more comments"));
}

#[test]
fn undecoded_link_types_and_outliers_are_warned_of() {
    let mut links = BTreeMap::new();
    links.insert(
        1,
        LinkCount {
            packets: 5,
            decoded: 5,
        },
    );
    links.insert(
        147,
        LinkCount {
            packets: 2,
            decoded: 0,
        },
    );
    let mut t = tally(&links);
    t.outliers = 4;
    t.first_outlier_ts = Some(99);
    let codes: Vec<ProblemCode> = capture_warnings(&t, &fixture::engine())
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert_eq!(codes, ["unsupported_link_type", "ts_outliers"]);
}

/// Port 1000 + i with 10 × i datagrams from as many sources.
fn ports(n: u16) -> Engine {
    let mut e = fixture::engine();
    for i in 1..=n {
        for j in 0..10 * i {
            let p = fixture::udp([10, 0, 0, 2], [10, 0, 0, 1], 40000 + j, 1000 + i);
            e.packet(i64::from(j) * US, 40, &p, true);
        }
    }
    e
}

#[test]
fn ports_rank_by_score_then_packets_and_only_the_top_keep_timelines() {
    let e = ports(4);
    let (ports, spikes) = ranked_ports(&e, &Params::default(), 3, 2);
    assert!(spikes.is_empty());
    let listed: Vec<(u16, bool)> = ports.iter().map(|p| (p.port, p.series.is_some())).collect();
    assert_eq!(listed, [(1004, true), (1003, true), (1002, false)]);
    let s = ports[0].series.as_ref().unwrap();
    assert_eq!(s.packets.iter().sum::<u64>(), 40);
    assert_eq!(s.bin_width_us, 1_000_000);
    assert_eq!(ports[0].totals.sources, 1);
}

#[test]
fn a_port_with_a_finding_keeps_its_timeline_whatever_its_rank() {
    let mut e = ports(3);
    // A sweep of tcp/445 from one source: few packets, a finding.
    for i in 0..200u8 {
        let p = fixture::tcp([10, 9, 9, 9], [10, 0, 1, i], 50000, 445, fixture::SYN);
        e.packet(40 * US + i64::from(i) * US / 20, 60, &p, true);
    }
    e.packet(
        60 * US,
        40,
        &fixture::udp([10, 0, 0, 3], [10, 0, 0, 1], 1, 1001),
        true,
    );
    e.finish();
    let (ports, spikes) = ranked_ports(&e, &Params::default(), usize::MAX, 0);
    assert_eq!(spikes.len(), 1);
    assert_eq!((spikes[0].port, spikes[0].kind.as_str()), (445, "sweep"));
    let with_series: Vec<u16> = ports
        .iter()
        .filter(|p| p.series.is_some())
        .map(|p| p.port)
        .collect();
    assert_eq!(with_series, [445]);
    assert_eq!(ports[0].port, 445, "the finding ranks first");
}
