//! The bundled sample capture: what the page shows first.

// Test code: a panic is a failed test.

use portspike_core::{analyze_bytes, Params};
use portspike_gen::synth;

fn bundled() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/sample.pcap");
    std::fs::read(path).expect("static/sample.pcap is present")
}

#[test]
fn bundled_sample_is_the_generators_output() {
    // Regenerate with: portspike synth --scenario sample -o static/sample.pcap
    assert!(
        bundled() == synth::sample(),
        "static/sample.pcap is stale: regenerate it"
    );
}

#[test]
fn sample_puts_the_445_sweep_on_top() {
    let r = analyze_bytes(&bundled(), Params::default());
    assert!(r.capture.error.is_none());
    let top = &r.ports[0];
    assert_eq!((top.proto.as_str(), top.port), ("tcp", 445));
    assert_eq!(top.service.as_deref(), Some("microsoft-ds"));
    // The sweep window holds most of 445's packets.
    let s = top.series.as_ref().unwrap();
    let (a, b) = synth::SAMPLE_SWEEP_S;
    let start_us = synth::SAMPLE_START_NS / 1000;
    let in_window: u64 = s
        .packets
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let t = s.start_ts + *i as i64 * s.bin_width_us as i64;
            t >= start_us + a * 1_000_000 && t < start_us + (b + 10) * 1_000_000
        })
        .map(|(_, v)| v)
        .sum();
    assert!(
        in_window * 10 > top.totals.packets * 8,
        "{in_window} of {}",
        top.totals.packets
    );
    // A 15-minute capture gets a bin width giving a few hundred to 2000 bins.
    assert!(
        (300..=2000).contains(&s.packets.len()),
        "{} bins",
        s.packets.len()
    );
    assert_eq!(s.packets.iter().sum::<u64>(), top.totals.packets);
}

#[test]
fn series_sum_to_totals_for_every_port() {
    let r = analyze_bytes(&bundled(), Params::default());
    for p in &r.ports {
        let s = p.series.as_ref().unwrap();
        assert_eq!(
            s.packets.iter().sum::<u64>(),
            p.totals.packets,
            "{}/{}",
            p.proto,
            p.port
        );
        assert_eq!(s.bytes.iter().sum::<u64>(), p.totals.bytes);
    }
    let total: u64 = r.ports.iter().map(|p| p.totals.packets).sum();
    assert_eq!(
        total, r.capture.packets,
        "every sample packet is TCP or UDP"
    );
}

#[test]
fn a_preview_while_reading_shows_what_has_been_counted() {
    let bytes = bundled();
    let whole = analyze_bytes(&bytes, Params::default());
    let mut a = portspike_core::Analyzer::new(Params::default());
    a.feed(&bytes[..bytes.len() / 2]);
    let p = a.preview();
    assert!(p.capture.packets > 0 && p.capture.packets < whole.capture.packets);
    assert_eq!(p.capture.packets, a.progress().packets);
    for port in &p.ports {
        let last = whole
            .ports
            .iter()
            .find(|q| q.proto == port.proto && q.port == port.port)
            .unwrap();
        assert!(port.totals.packets <= last.totals.packets);
    }
    a.feed(&bytes[bytes.len() / 2..]);
    let mut r = a.finish();
    portspike_core::evidence::over_bytes(&mut r, &bytes, portspike_core::evidence::EXACT_TOTAL);
    assert_eq!(r, whole, "previews do not change the final report");
}
