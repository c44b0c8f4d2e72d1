//! Links: views and settings round-trip, hostile fragments are refused
//! value by value, results pack within bounds and unpack to the same report.

use super::result::*;
use super::*;
use portspike_core::report::Annotation;
use std::io::Read;

#[test]
fn view_round_trips() {
    let mut s = Settings::default();
    s.detection.home = vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()];
    s.bin = "5m".into();
    s.detection.threshold = 4.5;
    let v = View {
        port: Some("tcp/445".into()),
        metric: Some("attempts".into()),
        range: Some((1, 2)),
        url: Some("https://example.org/a b.pcap?x=1&y=2".into()),
        notes: Vec::new(),
    };
    let f = parse(&format!("#{}", view_fragment(&v, &s)));
    assert_eq!(f.view, v);
    assert_eq!(f.settings, s);
    assert!(view_fragment(&v, &s).contains("port=tcp%2F445"));
}

#[test]
fn hostile_view_values_are_left_out_one_by_one() {
    let f = parse("#threshold=NaN&min_excess=1e999&bin=1e300&baseline=0&persistence=5/2&key=x&t0=-9000000000000000000&t1=5&home=10.0.0.0/8,300.1.1.1/8&allow=192.0.2.1&port=tcp%2F445");
    let d = Settings::default().detection;
    assert_eq!(f.settings.detection.threshold, d.threshold);
    assert_eq!(f.settings.detection.min_excess, d.min_excess);
    assert_eq!(f.settings.detection.baseline_bins, d.baseline_bins);
    assert_eq!(f.settings.detection.persistence_k, d.persistence_k);
    assert_eq!(f.settings.bin, "");
    assert_eq!(f.settings.key, "service");
    // The valid values of the same link still apply.
    assert_eq!(f.settings.detection.home, vec!["10.0.0.0/8"]);
    assert_eq!(f.settings.detection.allow, vec!["192.0.2.1"]);
    assert_eq!(f.view.port.as_deref(), Some("tcp/445"));
    assert_eq!(f.view.range, None);
    for field in [
        "threshold:",
        "min_excess:",
        "bin:",
        "baseline:",
        "persistence:",
        "key:",
        "t0:",
        "home:",
    ] {
        assert!(
            f.problems.iter().any(|p| p.starts_with(field)),
            "{field} {:?}",
            f.problems
        );
    }
    assert!(f.settings.to_params().is_ok());
    // A link of valid values has no problems.
    let ok = parse(&view_fragment(&View::default(), &Settings::default()));
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
}

#[test]
fn a_result_link_encodes_what_a_shared_report_carries() {
    let mut s = Settings::default();
    s.detection.threshold = 7.0;
    let frag = result_fragment(
        &View::default(),
        &s,
        "1.0&threshold=99&home=0.0.0.0/0",
        "ab#cd&bin=1s",
        "AAAA",
        Some("BB&x=1"),
    );
    let f = parse(&frag);
    assert_eq!(f.settings, s);
    assert_eq!(f.result.as_deref(), Some("AAAA"));
    assert_eq!(f.diff.as_deref(), Some("BB&x=1"));
    assert!(f.problems.is_empty(), "{:?}", f.problems);
    assert!(!frag.contains("&threshold=99") && !frag.contains('#'));
}

#[test]
fn a_shared_report_out_of_range_is_refused_naming_the_field() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    assert!(check_report(&r).is_ok());
    r.capture.first_ts = Some(-9_000_000_000_000_000_000);
    let value = encode_result(&r, None).value;
    let e = decode_result(&value).unwrap_err();
    assert!(e.contains("capture.first_ts"), "{e}");
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    r.spikes[0].peak_ts = i64::MAX;
    assert!(check_report(&r).unwrap_err().contains("spikes[0].peak_ts"));
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    r.ports[0].series.as_mut().unwrap().bin_width_us = 0;
    assert!(check_report(&r).unwrap_err().contains("bin_width_us"));
    // A value of the wrong type is named by its field, not only by its type.
    let r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let mut v = serde_json::to_value(&r).unwrap();
    v["spikes"][0]["score"] = serde_json::Value::Null;
    let e = decode_result(&deflate_b64(&v)).unwrap_err();
    assert!(
        e.contains("field spikes[0].score: invalid type: null, expected f64"),
        "{e}"
    );
}

#[test]
fn captures_are_fetched_over_https_or_from_the_page_itself() {
    let page = "http://127.0.0.1:8080";
    assert!(fetch_allowed("https:", "https://evil.example", page).is_ok());
    assert!(fetch_allowed("http:", "http://127.0.0.1:8080", page).is_ok());
    assert!(fetch_allowed("http:", "http://evil.example", page).is_err());
    assert!(fetch_allowed("data:", "null", "null").is_err());
    assert!(fetch_allowed("javascript:", "null", page).is_err());
}

#[test]
fn base64url_round_trips() {
    for n in 0..20 {
        let d: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
        assert_eq!(unb64url(&b64url(&d)).unwrap(), d);
    }
}

#[test]
fn anonymised_results_hide_every_address_consistently() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let before = r.to_json();
    assert!(before.contains("10.1.1.23"));
    anonymise(&mut r, 42);
    let after = r.to_json();
    for s in &r.scanners {
        assert!(s.source.starts_with("h-"), "{}", s.source);
    }
    // The sweeper that tops the spike is also a scanner: one name for both.
    let top = &r.spikes[0].top_sources[0].addr;
    assert!(r.scanners.iter().any(|s| &s.source == top));
    assert!(!after.contains("10.1.1.23") && !after.contains("10.1.1.37"));
    let mut again =
        portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    anonymise(&mut again, 43);
    assert_ne!(
        again.scanners[0].source, r.scanners[0].source,
        "salted per link"
    );
}

#[test]
fn result_round_trips_and_fits() {
    let r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let p = encode_result(&r, None);
    assert!(p.value.len() <= RESULT_LIMIT);
    assert!(p.series >= 1);
    let back = decode_result(&p.value).unwrap();
    assert_eq!(back.spikes, r.spikes);
    assert_eq!(back.ports[0], r.ports[0]);
    assert_eq!(back.ports.len(), p.ports);
}

#[test]
fn a_report_that_fits_comes_back_whole() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    r.ports.truncate(3);
    assert!(r.ports.iter().all(|p| p.series.is_some()));
    let p = encode_result(&r, None);
    assert_eq!((p.series, p.ports), (3, 3));
    assert_eq!(decode_result(&p.value).unwrap(), r);
    // Byte for byte the report's own JSON (schema order and all).
    let packed = unb64url(&p.value).unwrap();
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .read_to_string(&mut json)
        .unwrap();
    assert_eq!(json, r.to_json());
}

#[test]
fn a_link_to_every_port_busy_lists_the_top_ones() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let first = r.ports[0].clone();
    for i in 0..20_000u16 {
        let mut p = first.clone();
        p.port = 20_000 + i;
        p.series = None;
        p.totals.packets = u64::from(i) * 7 % 1000;
        r.ports.push(p);
    }
    let p = encode_result(&r, Some(7));
    assert!(p.value.len() <= RESULT_LIMIT, "{}", p.value.len());
    assert_eq!(p.series, 0);
    assert!(p.ports > 100 && p.ports < r.ports.len(), "{}", p.ports);
    let back = decode_result(&p.value).unwrap();
    assert_eq!(back.ports.len(), p.ports);
    for (a, b) in back.ports.iter().zip(&r.ports) {
        assert_eq!((&a.proto, a.port, &a.totals), (&b.proto, b.port, &b.totals));
        assert!(a.series.is_none());
    }
    let w = back.capture.warnings.last().unwrap();
    assert_eq!(w.code, "link_ports_trimmed");
    assert!(
        w.message.contains(&format!(
            "top {} of the report's {} ports",
            p.ports,
            r.ports.len()
        )),
        "{}",
        w.message
    );
    // Addresses hashed, as asked.
    assert!(!back.scanners.is_empty());
    assert!(back.scanners.iter().all(|s| s.source.starts_with("h-")));
}

#[test]
fn notes_ride_in_view_links_and_hostile_ones_are_refused() {
    let note = |a: i64, b: i64, t: &str| Annotation {
        start_ts: a,
        end_ts: b,
        text: t.into(),
        source: "analyst".into(),
    };
    let v = View {
        notes: vec![
            note(
                1_000,
                2_000,
                "first probe from 10.0.0.5 & friends ~ see ticket #42",
            ),
            note(5_000, 5_000, "ünïcode; = & % # ~"),
        ],
        ..View::default()
    };
    let f = parse(&view_fragment(&v, &Settings::default()));
    assert_eq!(f.view.notes, v.notes);
    assert!(f.problems.is_empty(), "{:?}", f.problems);

    // Out of order, out of range, too long, too many, malformed: left out and named.
    let long = "x".repeat(MAX_NOTE_TEXT + 1);
    let mut frag =
        format!("note=5~4~back&note=0~99999999999999999999~far&note=1~2~{long}&note=nope");
    for i in 0..MAX_NOTES + 3 {
        frag.push_str(&format!("&note={i}~{i}~n{i}"));
    }
    let f = parse(&frag);
    assert_eq!(f.view.notes.len(), MAX_NOTES);
    assert_eq!(f.view.notes[0].text, "n0");
    assert_eq!(f.problems.len(), 4 + 3, "{:?}", f.problems);
    assert!(f.problems.iter().all(|p| p.starts_with("note")));
}

#[test]
fn a_comparison_rides_in_a_result_link_within_its_bound() {
    let sample = portspike_gen::synth::sample();
    let r = portspike_core::analyze_bytes(&sample, Default::default());
    // A baseline with nothing on tcp/445: the sweep's port is new.
    let mut base = r.clone();
    base.ports.retain(|p| p.port != 445);
    base.spikes.clear();
    base.scanners.clear();
    let d = portspike_core::diff::diff(&base, &r);
    assert!(d.ports.iter().any(|p| p.port == 445 && p.change == "new"));
    let v = encode_diff(&d).unwrap();
    assert!(v.len() <= RESULT_LIMIT);
    assert_eq!(decode_diff(&v).unwrap(), d);
    // Too big for a link: the lowest-ranked changes go first.
    let mut big = d.clone();
    for i in 0..40_000u32 {
        let mut p = big.ports[0].clone();
        p.port = (i % 65_536) as u16;
        p.service = Some(format!("svc-{i}-{}", i.wrapping_mul(2_654_435_761)));
        big.ports.push(p);
    }
    let v = encode_diff(&big).unwrap();
    assert!(v.len() <= RESULT_LIMIT);
    let back = decode_diff(&v).unwrap();
    assert!(back.ports.len() < big.ports.len() && back.ports[0] == big.ports[0]);
    assert!(back.ports.len() <= DIFF_ROWS_MAX);
    // A link made elsewhere with more rows than any we make: refused, unread.
    let mut many = d.clone();
    many.ports = vec![d.ports[0].clone(); DIFF_ROWS_MAX + 1];
    let packed = deflate_b64(&many);
    let e = decode_diff(&packed).unwrap_err();
    assert!(e.contains("2001 changed ports"), "{e}");
    // Not a diff, or not packed at all: refused, saying so.
    let report = encode_result(&r, None).value;
    assert!(decode_diff(&report).unwrap_err().contains("comparison"));
    assert!(decode_diff("!!").unwrap_err().contains("base64url"));
}

#[test]
fn a_view_link_names_the_capture_its_notes_and_comparison_belong_to() {
    let sha = "ab".repeat(32);
    let note = Annotation {
        start_ts: 1,
        end_ts: 2,
        text: "n".into(),
        source: "analyst".into(),
    };
    let bare = View::default();
    let noted = View {
        notes: vec![note],
        ..View::default()
    };
    let s = Settings::default();
    // Nothing of the capture's own: no SHA-256 in the link.
    assert!(!view_link_fragment(&bare, &s, Some(&sha), None).contains("sha256="));
    // Notes, or a comparison: the capture's SHA-256 rides with them.
    let f = parse(&view_link_fragment(&noted, &s, Some(&sha), None));
    assert_eq!(f.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(f.view.notes, noted.notes);
    let f = parse(&view_link_fragment(&bare, &s, Some(&sha), Some("AAAA")));
    assert_eq!(
        (f.sha256.as_deref(), f.diff.as_deref()),
        (Some(sha.as_str()), Some("AAAA"))
    );
    // Not hashed yet: none to name.
    assert!(!view_link_fragment(&noted, &s, None, Some("AAAA")).contains("sha256="));
    assert!(f.problems.is_empty(), "{:?}", f.problems);
}

#[test]
fn a_link_s_notes_belong_only_to_the_capture_it_names() {
    let (a, b) = ("ab".repeat(32), "cd".repeat(32));
    assert_eq!(belongs(Some(&a), Some(&a), false), Belongs::Yes);
    assert_eq!(
        belongs(Some(&a.to_uppercase()), Some(&a), false),
        Belongs::Yes
    );
    assert_eq!(belongs(Some(&a), Some(&b), true), Belongs::No);
    // Not hashed yet: wait; never to be hashed: not this capture's.
    assert_eq!(belongs(Some(&a), None, true), Belongs::NotYet);
    assert_eq!(belongs(Some(&a), None, false), Belongs::No);
    // A link naming no capture applies to any (links made before they named one).
    assert_eq!(belongs(None, Some(&b), false), Belongs::Yes);
    assert_eq!(belongs(Some(" "), None, false), Belongs::Yes);
    // Settings differ from the defaults: said in words.
    let mut s = Settings::default();
    assert!(settings_changes(&s).is_empty());
    s.bin = "1m".into();
    s.detection.threshold = 7.0;
    assert_eq!(settings_changes(&s), vec!["bin 1m", "threshold 7"]);
}

#[test]
fn a_result_link_is_refused_unless_its_sha256_is_its_report_s() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let sha = "ab".repeat(32);
    r.capture.files = vec![portspike_core::report::FileEntry {
        name: "sample.pcap".into(),
        file_bytes: 1,
        sha256: Some(sha.clone()),
    }];
    let value = encode_result(&r, None).value;
    assert_eq!(
        decode_shared(&value, Some(&sha)).unwrap(),
        decode_result(&value).unwrap()
    );
    assert!(decode_shared(&value, Some(&sha.to_uppercase())).is_ok());
    let e = decode_shared(&value, Some(&"cd".repeat(32))).unwrap_err();
    assert!(e.contains("SHA-256") && e.contains(&sha), "{e}");
    assert!(decode_shared(&value, None).is_err());
    assert!(decode_shared(&value, Some("")).is_err());
    // A capture never hashed (read cut short): none on either side agrees.
    r.capture.files[0].sha256 = None;
    let value = encode_result(&r, None).value;
    assert!(decode_shared(&value, Some("")).is_ok());
    assert!(decode_shared(&value, None).is_ok());
    assert!(decode_shared(&value, Some(&sha)).is_err());
    // The same through a link's fragment.
    let frag = result_fragment(
        &View::default(),
        &Settings::default(),
        "1",
        &sha,
        &value,
        None,
    );
    let f = parse(&frag);
    assert!(decode_shared(f.result.as_deref().unwrap(), f.sha256.as_deref()).is_err());
}

#[test]
fn a_shared_report_holds_a_bounded_number_of_bins_in_all() {
    let mut r = portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default());
    let first = r.ports[0].clone();
    let s = first.series.as_deref().unwrap().clone();
    // Ports each under the per-series bound, together past the total's.
    let per = 25_000usize;
    let zeros = vec![0u64; per];
    let series = portspike_core::report::SeriesReport {
        packets: zeros.clone(),
        bytes: zeros.clone(),
        attempts: zeros.clone(),
        failures: zeros.clone(),
        sources: zeros.clone(),
        destinations: zeros,
        ..s
    };
    let n = (MAX_LINK_BINS as usize / per) + 1;
    r.ports = (0..n)
        .map(|i| {
            let mut p = first.clone();
            p.port = 40_000 + i as u16;
            p.series = Some(Box::new(series.clone()));
            p
        })
        .collect();
    let e = check_report(&r).unwrap_err();
    assert!(e.contains("100000 timeline bins in all"), "{e}");
    // Our own link keeps the timelines of the top ports within the bound.
    let p = encode_result(&r, None);
    assert_eq!(p.series, n - 1);
    let back = decode_result(&p.value).unwrap();
    assert_eq!(
        back.ports.iter().filter(|p| p.series.is_some()).count(),
        n - 1
    );
    // One series whose lists differ in length counts its longest.
    r.ports.truncate(1);
    if let Some(s) = r.ports[0].series.as_mut() {
        s.packets.truncate(1);
        s.bytes = vec![0; MAX_LINK_BINS as usize + 1];
    }
    assert!(check_report(&r).is_err());
}
