//! A capture split at a moment: the part before it analysed with
//! `Analyzer::keep_between` is the capture cut at that moment, packet for
//! packet, and the two parts add up to the whole.

use portspike_core::{analyze_bytes, Analyzer, Params};

/// The records of a little-endian microsecond pcap from before `seconds`
/// after its first packet (as a tool that cuts captures writes them).
fn cut(pcap: &[u8], seconds: u32) -> Vec<u8> {
    let u32_at = |at: usize| u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap());
    assert_eq!(u32_at(0), 0xa1b2_c3d4, "a little-endian µs pcap");
    let mut out = pcap[..24].to_vec();
    let (mut at, mut first) = (24, None);
    while at + 16 <= pcap.len() {
        let (sec, len) = (u32_at(at), u32_at(at + 8) as usize);
        if sec - *first.get_or_insert(sec) >= seconds {
            break;
        }
        out.extend_from_slice(&pcap[at..at + 16 + len]);
        at += 16 + len;
    }
    out
}

fn part(pcap: &[u8], t0: i64, t1: i64) -> portspike_core::report::Report {
    let mut a = Analyzer::new(Params::default());
    a.keep_between(t0, t1);
    a.feed(pcap);
    a.finish()
}

#[test]
fn the_part_before_a_moment_is_the_capture_cut_there() {
    let sample = portspike_gen::synth::sample();
    let whole = analyze_bytes(&sample, Params::default());
    let start = whole.capture.first_ts.unwrap();
    // Eight minutes in: before the sweep.
    let at = start - start.rem_euclid(1_000_000) + 480 * 1_000_000;
    let before = part(&sample, i64::MIN, at);
    let cut = analyze_bytes(&cut(&sample, 480), Params::default());
    assert_eq!(before.capture.packets, cut.capture.packets);
    assert_eq!(
        (before.capture.first_ts, before.capture.last_ts),
        (cut.capture.first_ts, cut.capture.last_ts)
    );
    let totals = |r: &portspike_core::report::Report| {
        let mut v: Vec<_> = r
            .ports
            .iter()
            .map(|p| (p.proto.to_string(), p.port, p.totals.packets))
            .collect();
        v.sort();
        v
    };
    assert_eq!(totals(&before), totals(&cut));
    assert!(before.spikes.is_empty(), "no sweep before it began");

    // The part after: the sweep, and the two parts make the whole.
    let after = part(&sample, at, i64::MAX);
    assert_eq!(
        before.capture.packets + after.capture.packets,
        whole.capture.packets
    );
    assert!(after.capture.first_ts.unwrap() >= at);
    assert!(after
        .spikes
        .iter()
        .any(|s| s.port == 445 && s.kind.is_attack()));
    let d = portspike_core::diff::diff(&before, &after);
    assert_eq!(
        (d.ports[0].proto.to_string(), d.ports[0].port),
        ("tcp".to_string(), 445)
    );
}
