//! The reducer on the bundled sample's report: what a new capture resets,
//! what a read's progress, end, failure and cancel leave on screen, how a
//! finding, a scanner or a port is selected, and what a link brings.

use super::*;
use crate::format::port_label;
use crate::headline::Pick;
use crate::share::{Fragment, View};
use portspike_core::report::{FileEntry, Problem};
use std::sync::OnceLock;
use yew::Reducible;

/// The bundled sample's report (one sweep on tcp/445, three scanners), its
/// ports turned by one so that its finding's port is not the first.
fn sample() -> Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    let mut r = REPORT
        .get_or_init(|| {
            portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default())
        })
        .clone();
    r.ports.rotate_left(1);
    assert!(!r.spikes.is_empty() && r.scanners.len() >= 2 && r.ports.len() >= 7);
    r
}

fn index_of(s: &State, label: &str) -> usize {
    let r = s.report.as_ref().expect("a report");
    r.ports
        .iter()
        .position(|p| port_label(p) == label)
        .unwrap_or_else(|| panic!("no port {label}"))
}

fn opened(f: &Fragment) -> Rc<State> {
    Rc::new(State::new(f))
}

fn run(s: Rc<State>, actions: impl IntoIterator<Item = Action>) -> Rc<State> {
    actions.into_iter().fold(s, |s, a| s.reduce(a))
}

/// The page with the sample analysed.
fn analysed() -> Rc<State> {
    run(
        opened(&Fragment::default()),
        [
            Action::Start("sample.pcap".into()),
            Action::Done(Box::new(sample())),
        ],
    )
}

fn note(start_ts: i64, text: &str) -> Annotation {
    Annotation {
        start_ts,
        end_ts: start_ts + 1_000_000,
        text: text.into(),
        source: "analyst".into(),
    }
}

fn fine() -> Rc<Fine> {
    Rc::new(Fine {
        t0: 0,
        t1: 10,
        report: sample(),
    })
}

#[test]
fn the_report_opens_on_its_strongest_finding() {
    let s = analysed();
    assert_eq!(s.phase, Phase::Done);
    assert_eq!(s.phase.as_str(), "done");
    assert_eq!(s.selected, index_of(&s, "tcp/445"));
    assert_ne!(s.selected, 0);
    assert_eq!((s.spike, s.scanner, s.view), (None, None, None));
    assert!(!s.linked);
}

#[test]
fn a_new_capture_forgets_the_last_one() {
    let before = run(
        analysed(),
        [
            Action::SelectScanner(Some(1)),
            Action::ToggleOverlay(0),
            Action::Fine(Some(fine())),
            Action::Saved(Some("Saved 3 packets".into())),
            Action::AddNote(note(5, "here")),
            Action::Link(Rc::new(Packed {
                value: "x".into(),
                kept: 1,
                ports: 1,
                sha256: String::new(),
                anonymised: false,
                memory: 0.0,
            })),
            Action::CompareSplit(1_772_442_600_000_000),
        ],
    );
    assert!(before.scanner.is_some() && before.view.is_some() && before.fine.is_some());
    assert!(!before.overlay.is_empty() && !before.notes.is_empty() && before.link.is_some());
    assert!(before.compare.is_some() && before.saved.is_some());

    let s = before.reduce(Action::Start("next.pcap".into()));
    assert_eq!(
        s.phase,
        Phase::Loading {
            name: "next.pcap".into(),
            bytes: 0.0,
            total: 0.0,
            packets: 0.0
        }
    );
    assert_eq!(s.report, None);
    assert_eq!(
        (s.selected, s.spike, s.scanner, s.view),
        (0, None, None, None)
    );
    assert!(s.overlay.is_empty() && s.notes.is_empty());
    assert!(s.fine.is_none() && s.saved.is_none() && s.link.is_none());
    // A split belongs to the capture it split.
    assert_eq!(s.compare, None);
    assert_eq!(
        s.zoom_limit.as_deref(),
        Some("the capture is still being read")
    );
}

#[test]
fn a_baseline_outlives_a_new_capture_and_is_compared_with_it_once_read() {
    let s = run(
        analysed(),
        [
            Action::CompareStart("base.pcap".into()),
            Action::CompareDone(Box::new(sample())),
        ],
    );
    let c = s.compare.as_ref().expect("a comparison");
    assert_eq!((c.source, c.name.as_str()), (Source::Capture, "base.pcap"));
    assert!(c.diff.is_some() && !c.reading());

    let s = s.reduce(Action::Start("next.pcap".into()));
    let c = s.compare.as_ref().expect("the baseline stays");
    assert!(c.report.is_some() && c.diff.is_none());

    let s = s.reduce(Action::Done(Box::new(sample())));
    assert!(s.compare.as_ref().is_some_and(|c| c.diff.is_some()));
    assert_eq!(s.reduce(Action::CompareClear).compare, None);
}

#[test]
fn progress_and_previews_count_only_while_a_read_is_under_way() {
    let s = run(
        opened(&Fragment::default()),
        [
            Action::Start("big.pcap".into()),
            Action::Progress {
                bytes: 400.0,
                total: 1000.0,
                packets: 12.0,
            },
        ],
    );
    assert_eq!(
        s.phase,
        Phase::Loading {
            name: "big.pcap".into(),
            bytes: 400.0,
            total: 1000.0,
            packets: 12.0
        }
    );
    let mut preview = sample();
    preview.ports.truncate(2);
    let s = s.reduce(Action::Partial(Box::new(preview.clone())));
    assert_eq!(s.report.as_deref(), Some(&preview));

    // Once done, a late message of the read changes nothing.
    let done = s.reduce(Action::Done(Box::new(sample())));
    let late = run(
        done.clone(),
        [
            Action::Progress {
                bytes: 1.0,
                total: 2.0,
                packets: 3.0,
            },
            Action::Partial(Box::new(preview)),
        ],
    );
    assert_eq!(late, done);
    assert_eq!(late.phase, Phase::Done);
}

#[test]
fn a_capture_read_in_part_is_a_result_and_one_read_not_at_all_an_error() {
    let cut: Problem = serde_json::from_value(serde_json::json!({
        "code": "truncated",
        "message": "the file ends inside a record",
        "offset": 1234,
    }))
    .expect("a problem");
    let mut part = sample();
    part.capture.error = Some(cut.clone());
    let s = run(
        opened(&Fragment::default()),
        [
            Action::Start("cut.pcap".into()),
            Action::Done(Box::new(part)),
        ],
    );
    assert_eq!(s.phase, Phase::Done);
    assert_eq!(
        s.report.as_ref().and_then(|r| r.capture.error.clone()),
        Some(cut.clone())
    );

    let mut none = sample();
    none.capture.error = Some(cut);
    none.capture.packets = 0;
    let s = s.reduce(Action::Done(Box::new(none)));
    assert_eq!(s.phase, Phase::Error);
    assert!(s.report.is_some());
}

#[test]
fn a_failure_is_shown_with_what_was_read_before_it() {
    let s = run(
        opened(&Fragment::default()),
        [
            Action::Start("x.pcap".into()),
            Action::Partial(Box::new(sample())),
            Action::Failed("the worker stopped".into()),
        ],
    );
    assert_eq!(s.phase, Phase::Error);
    assert_eq!(s.phase.as_str(), "error");
    assert_eq!(s.failure.as_deref(), Some("the worker stopped"));
    assert_eq!(s.report.as_deref(), Some(&sample()));
    // The next capture clears it.
    assert_eq!(s.reduce(Action::Start("y.pcap".into())).failure, None);
}

#[test]
fn a_cancelled_read_keeps_what_was_read_and_says_it_is_partial() {
    let s = run(
        opened(&Fragment::default()),
        [
            Action::Start("big.pcap".into()),
            Action::CompareStart("base.pcap".into()),
            Action::Progress {
                bytes: 400.0,
                total: 1000.0,
                packets: 12.0,
            },
            Action::Partial(Box::new(sample())),
            Action::Cancel,
        ],
    );
    assert_eq!(s.phase, Phase::Cancelled);
    assert_eq!(s.phase.as_str(), "cancelled");
    assert_eq!(s.cut, Some((400.0, 1000.0)));
    let r = s.report.as_ref().expect("what was read stays");
    assert_eq!(r.ports, sample().ports);
    let e = r.evidence.as_ref().expect("said to be estimates");
    assert!(!e.exact);
    assert!(e.note.as_deref().is_some_and(|n| n.contains("cancelled")));
    // Part of a baseline is no baseline.
    let c = s.compare.as_ref().expect("the comparison");
    assert_eq!(c.refused.as_deref(), Some(compare::CANCELLED));

    // Cancel with no read under way changes nothing.
    let done = analysed();
    assert_eq!(done.clone().reduce(Action::Cancel), done);
}

#[test]
fn a_finding_is_shown_in_its_metric_with_as_much_context_on_each_side() {
    let s = run(
        analysed(),
        [
            Action::Select(0),
            Action::Metric(SeriesMetric::Bytes),
            Action::SelectScanner(Some(0)),
            Action::SelectSpike(0),
        ],
    );
    let sp = &sample().spikes[0];
    assert_eq!(s.metric, SeriesMetric::Attempts);
    assert_eq!(s.metric.as_str(), sp.metric.as_str());
    assert_eq!(s.selected, index_of(&s, "tcp/445"));
    let pad = ((sp.end_ts - sp.start_ts) / 2).max(10 * sample().bin_width_us as i64);
    assert_eq!(s.view, Some((sp.start_ts - pad, sp.end_ts + pad)));
    assert_eq!((s.spike, s.scanner), (Some(0), None));
    // A finding that is not there selects nothing.
    assert_eq!(s.clone().reduce(Action::SelectSpike(99)), s);
}

#[test]
fn a_scanner_is_shown_on_its_busiest_port_over_its_activity() {
    let s = run(
        analysed(),
        [
            Action::SelectSpike(0),
            Action::Select(0),
            Action::SelectScanner(Some(1)),
        ],
    );
    let sc = &sample().scanners[1];
    assert_eq!((s.scanner, s.spike), (Some(1), None));
    let top = sc.top_ports.first().expect("a port");
    assert_eq!(
        s.selected,
        index_of(&s, &format!("{}/{}", top.proto.as_str(), top.port))
    );
    let pad = ((sc.last_ts - sc.first_ts) / 10).max(10 * sample().bin_width_us as i64);
    assert_eq!(s.view, Some((sc.first_ts - pad, sc.last_ts + pad)));
    // Closing it keeps the view.
    let closed = s.clone().reduce(Action::SelectScanner(None));
    assert_eq!((closed.scanner, closed.view), (None, s.view));
}

#[test]
fn j_and_k_walk_findings_then_scanners_in_listed_order_and_wrap() {
    let picked = |s: &State| match (s.spike, s.scanner) {
        (Some(i), _) => Some(Pick::Spike(i)),
        (None, Some(k)) => Some(Pick::Scanner(k)),
        _ => None,
    };
    let order = listing(&sample());
    assert_eq!(order.first(), Some(&Pick::Spike(0)));
    let mut s = analysed();
    for want in order.iter().chain(order.first()) {
        s = s.reduce(Action::StepSpike(1));
        assert_eq!(picked(&s).as_ref(), Some(want));
    }
    // Back from nothing selected is the last one.
    let back = analysed().reduce(Action::StepSpike(-1));
    assert_eq!(picked(&back).as_ref(), order.last());
    // Before any report there is nothing to walk.
    let none = opened(&Fragment::default()).reduce(Action::StepSpike(1));
    assert_eq!(picked(&none), None);
}

#[test]
fn a_port_named_by_the_diff_is_shown_in_the_metric_that_changed() {
    let s = run(
        analysed(),
        [
            Action::SelectSpike(0),
            Action::SelectPort(("udp/53".into(), "sources".into())),
        ],
    );
    assert_eq!(s.selected, index_of(&s, "udp/53"));
    assert_eq!(s.metric, SeriesMetric::Sources);
    assert_eq!((s.spike, s.view), (None, None));
    // A port the report does not hold changes nothing.
    let same = s
        .clone()
        .reduce(Action::SelectPort(("udp/9".into(), "bytes".into())));
    assert_eq!(same, s);
}

#[test]
fn overlays_toggle_never_hold_the_selected_port_and_stop_at_six() {
    let s = analysed();
    let sel = s.selected;
    let others: Vec<usize> = (0..8).filter(|i| *i != sel).collect();
    let s = run(s, others.iter().map(|i| Action::ToggleOverlay(*i)));
    assert_eq!(s.overlay, others[..6].to_vec());
    assert_eq!(
        s.clone().reduce(Action::ToggleOverlay(sel)).overlay,
        s.overlay
    );
    let off = s.reduce(Action::ToggleOverlay(others[2]));
    assert_eq!(off.overlay.len(), 5);
    assert!(!off.overlay.contains(&others[2]));
}

#[test]
fn notes_stay_in_time_order_and_bounded() {
    let s = run(
        analysed(),
        [
            Action::AddNote(note(5, "later")),
            Action::AddNote(note(1, "first")),
            Action::RemoveNote(9),
        ],
    );
    let texts: Vec<&str> = s.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["first", "later"]);
    let s = s.reduce(Action::RemoveNote(0));
    assert_eq!(s.notes, vec![note(5, "later")]);
    let full = run(s, (0..200).map(|i| Action::AddNote(note(i, "n"))));
    assert_eq!(full.notes.len(), share::MAX_NOTES);
}

#[test]
fn zooming_out_drops_the_finer_window_and_zooming_keeps_it() {
    let s = run(
        analysed(),
        [Action::Fine(Some(fine())), Action::View(Some((1, 2)))],
    );
    assert_eq!(s.view, Some((1, 2)));
    assert!(s.fine.is_some());
    let s = s.reduce(Action::View(None));
    assert_eq!((s.view, s.fine.is_none()), (None, true));
}

#[test]
fn a_view_link_applies_once_its_capture_is_analysed() {
    let f = Fragment {
        view: View {
            port: Some("udp/53".into()),
            metric: Some("bytes".into()),
            range: Some((10, 20)),
            ..View::default()
        },
        ..Fragment::default()
    };
    let s = opened(&f);
    assert!(s.pending.is_some());
    let s = run(
        s,
        [
            Action::Start("sample.pcap".into()),
            Action::Done(Box::new(sample())),
        ],
    );
    assert_eq!(s.selected, index_of(&s, "udp/53"));
    assert_eq!(s.metric, SeriesMetric::Bytes);
    assert_eq!(s.view, Some((10, 20)));
    assert_eq!(s.pending, None);
}

/// A view link made for the capture with SHA-256 `sha`, carrying a note.
fn link_for(sha: &str) -> Fragment {
    Fragment {
        view: View {
            notes: vec![note(7, "from the link")],
            ..View::default()
        },
        sha256: Some(sha.into()),
        ..Fragment::default()
    }
}

/// The sample as one file, not yet hashed.
fn one_file() -> Report {
    let mut r = sample();
    r.capture.files = vec![FileEntry {
        name: "sample.pcap".into(),
        file_bytes: 1,
        sha256: None,
    }];
    r
}

#[test]
fn a_link_s_notes_wait_for_its_capture_s_hash() {
    let s = run(
        opened(&link_for("ABC")),
        [
            Action::Start("sample.pcap".into()),
            Action::Done(Box::new(one_file())),
        ],
    );
    assert!(s.notes.is_empty());
    assert!(s.held.as_ref().is_some_and(|h| !h.differs));

    let same = s.clone().reduce(Action::Hashed(0, "abc".into()));
    assert_eq!(same.notes, vec![note(7, "from the link")]);
    assert_eq!(same.held, None);
    assert_eq!(same.report.as_ref().and_then(|r| r.sha256()), Some("abc"));

    let other = s.reduce(Action::Hashed(0, "def".into()));
    assert!(other.notes.is_empty());
    let h = other.held.as_ref().expect("still held");
    assert!(h.differs);
    assert_eq!(h.capture_sha256.as_deref(), Some("def"));
    // The user may attach them anyway, or let them go.
    let attached = other.clone().reduce(Action::LinkHeld(true));
    assert_eq!(attached.notes, vec![note(7, "from the link")]);
    assert_eq!(other.reduce(Action::LinkHeld(false)).held, None);
}

#[test]
fn exact_counts_replace_the_findings_only_when_they_are_the_same_findings() {
    let s = analysed();
    let mut spikes = sample().spikes;
    spikes[0].sources = 4242;
    let exact = protocol::Exact {
        spikes: spikes.clone(),
        scanners: sample().scanners,
        evidence: Some(portspike_core::report::EvidenceState {
            exact: true,
            note: None,
        }),
    };
    let s2 = s.clone().reduce(Action::Evidence(Box::new(exact.clone())));
    let r = s2.report.as_ref().expect("a report");
    assert_eq!(r.spikes, spikes);
    assert!(r.exact());

    let mut fewer = exact;
    fewer.scanners.pop();
    let s3 = s.clone().reduce(Action::Evidence(Box::new(fewer)));
    assert_eq!(s3.report, s.report);
}
