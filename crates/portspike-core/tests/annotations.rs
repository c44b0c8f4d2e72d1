//! Comments in a pcapng capture become annotations (`source: "capture"`):
//! each packet comment at its packet's time, a section's over the capture.

use crate::common;
use common::corpus;
use portspike_core::{analyze_bytes, Params};

#[test]
fn packet_comments_are_annotations_at_their_packets() {
    let r = analyze_bytes(
        &corpus("pcapplusplus__pcapng-example.pcapng"),
        Params::default(),
    );
    // tshark -Y frame.comment finds 100 commented packets in this file; its
    // section header carries one comment more.
    let packets: Vec<_> = r
        .annotations
        .iter()
        .filter(|a| a.start_ts == a.end_ts)
        .collect();
    assert_eq!(packets.len(), 100);
    assert_eq!(r.annotations.len(), 101);
    let (first, last) = (r.capture.first_ts.unwrap(), r.capture.last_ts.unwrap());
    for a in &r.annotations {
        assert_eq!(a.source, "capture");
        assert!(a.start_ts >= first && a.end_ts <= last, "{a:?}");
        if a.start_ts != a.end_ts {
            assert_eq!(
                (a.start_ts, a.end_ts),
                (first, last),
                "a section's comment spans the capture"
            );
        }
        assert!(!a.text.is_empty());
    }
    let json = r.to_json();
    assert!(json.contains("\"annotations\":["));
}

#[test]
fn a_section_comment_spans_the_capture_and_reports_without_comments_are_unchanged() {
    let r = analyze_bytes(
        &corpus("pcapngtestgen__output_le-test202.pcapng"),
        Params::default(),
    );
    let shb = r
        .annotations
        .iter()
        .find(|a| a.text == "test202 SHB-0")
        .expect("the first section's comment");
    assert_eq!(
        (Some(shb.start_ts), Some(shb.end_ts)),
        (r.capture.first_ts, r.capture.last_ts)
    );
    let plain = analyze_bytes(&portspike_gen::synth::sample(), Params::default());
    assert!(plain.annotations.is_empty());
    assert!(
        !plain.to_json().contains("annotations"),
        "schema v1 output unchanged where there are none"
    );
}
