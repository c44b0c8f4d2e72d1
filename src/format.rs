//! How the page writes numbers, sizes, widths and names: one formatter of
//! each, shared by every component (and tested natively).

use portspike_core::export::{csv_cell, iso8601};
use portspike_core::report::{Annotation, PortReport};

/// How many labels of `chars` characters an axis `width` CSS pixels long
/// holds without their boxes touching (11 px sans-serif: at most 6.5 px a
/// character, 14 px between labels, and one spare since the chart rounds
/// its steps), from 2 to `most`.
pub fn axis_labels(width: f64, chars: usize, most: usize) -> usize {
    let each = chars as f64 * 6.5 + 14.0;
    let fit = (width / each).floor() as usize;
    fit.saturating_sub(1).clamp(2, most.max(2))
}

/// Human bin width: `1 s`, `500 ms`, `5 min`.
pub fn fmt_width(us: u64) -> String {
    match us {
        u if u % 3_600_000_000 == 0 => format!("{} h", u / 3_600_000_000),
        u if u % 60_000_000 == 0 => format!("{} min", u / 60_000_000),
        u if u % 1_000_000 == 0 => format!("{} s", u / 1_000_000),
        u if u % 1_000 == 0 => format!("{} ms", u / 1_000),
        u => format!("{u} µs"),
    }
}

/// Human size in decimal units: `532 B`, `1.5 kB`, `12.30 MB`, `1.02 GB`.
pub fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

/// A count, or an estimate marked as one: `1500`, `≈1687`.
pub fn fmt_count(n: u64, estimated: bool) -> String {
    if estimated {
        format!("≈{n}")
    } else {
        n.to_string()
    }
}

/// A rate of packets or bits per second: `22/s`, `9.5 k/s`, `1.20 M/s`.
pub fn fmt_rate(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2} G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else if x >= 10.0 || x == x.trunc() {
        format!("{x:.0} ")
    } else {
        format!("{x:.1} ")
    }
}

/// `tcp/445`: how the page names a port (table rows, links, chart labels).
pub fn port_label(p: &PortReport) -> String {
    p.key().to_string()
}

/// What the page says once an extract is saved: every packet the filter
/// selects, or "N of M" and why the rest were left out.
pub fn saved_text(packets: u64, matched: u64, name: &str, note: &str) -> String {
    if packets >= matched {
        format!("Saved {packets} packets as {name}: every packet the filter selects")
    } else {
        format!(
            "Saved {packets} of {matched} packets as {name}: the filter selects {matched}; left out: {}",
            if note.is_empty() { "(no reason given)" } else { note }
        )
    }
}

/// The link's problems as one short banner: the first few, each cut to a
/// line, then how many more (20,000 bad notes once made a 3 MB banner).
pub fn problems_text(problems: &[String]) -> String {
    format!(
        "Some values of this link were left out: {}.",
        problems_list(problems)
    )
}

/// Problems as one short run of text: the first five, each cut to its first
/// line and at most 200 characters, then how many more.
pub fn problems_list(problems: &[String]) -> String {
    const SHOWN: usize = 5;
    const LINE: usize = 200;
    let cut = |p: &String| {
        let line: String = p
            .chars()
            .take_while(|c| *c != '\n' && *c != '\r')
            .take(LINE)
            .collect();
        if line.len() < p.len() {
            format!("{line}…")
        } else {
            line
        }
    };
    let first: Vec<String> = problems.iter().take(SHOWN).map(cut).collect();
    let more = problems.len().saturating_sub(SHOWN);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!("{}{tail}", first.join("; "))
}

/// A file name for saved packets: `portspike-<what>-<start>.pcap`, with the
/// start as compact ISO 8601 (`20240102T030405.000000Z`) and no character a
/// file system refuses.
pub fn pcap_name(what: &str, start_us: i64) -> String {
    format!(
        "portspike-{}-{}.pcap",
        what.replace([':', '.', '/'], "_"),
        portspike_core::export::iso8601(start_us).replace([':', '-'], "")
    )
}

/// Notes as CSV (the capture's comments and the analyst's), one a row:
/// times in µs and ISO 8601, source, text; every cell through `csv_cell`.
pub fn notes_csv(notes: &[Annotation]) -> String {
    let mut out = String::from("start_ts,end_ts,start,end,source,text\n");
    for n in notes {
        let cells = [
            n.start_ts.to_string(),
            n.end_ts.to_string(),
            iso8601(n.start_ts),
            iso8601(n.end_ts),
            n.source.clone(),
            n.text.clone(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c).into_owned()).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// `HH:MM:SS` at a zone `offset_min` minutes east of UTC.
pub fn hms_at(us: i64, offset_min: i32) -> String {
    let s = (us.div_euclid(1_000_000) + i64::from(offset_min) * 60).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `HH:MM:SS`, with milliseconds (`.mmm`) or microseconds (`.uuuuuu`) when
/// times `step_us` apart would otherwise read the same.
pub fn hms_prec(us: i64, offset_min: i32, step_us: i64) -> String {
    let base = hms_at(us, offset_min);
    let frac = us.rem_euclid(1_000_000);
    if step_us >= 1_000_000 {
        base
    } else if step_us >= 1000 {
        format!("{base}.{:03}", frac / 1000)
    } else {
        format!("{base}.{frac:06}")
    }
}

/// `UTC` or `UTC+01:00`.
pub fn zone_name(offset_min: i32) -> String {
    if offset_min == 0 {
        "UTC".into()
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        let m = offset_min.unsigned_abs();
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

/// Axis numbers: `950`, `12k`, `3.4M`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_axis_gets_fewer_labels_and_a_wide_one_at_most_its_share() {
        // A phone's plot (390 px page) and a desktop's, with HH:MM:SS labels.
        assert_eq!(axis_labels(300.0, 8, 8), 3);
        assert_eq!(axis_labels(1100.0, 8, 8), 8);
        // Millisecond labels take more room.
        assert!(axis_labels(700.0, 12, 8) < axis_labels(700.0, 8, 8));
        assert_eq!(axis_labels(10.0, 8, 8), 2);
    }

    #[test]
    fn estimates_say_so_and_rates_read_in_units() {
        assert_eq!(fmt_count(1500, false), "1500");
        assert_eq!(fmt_count(1687, true), "≈1687");
        assert_eq!(fmt_rate(22.0), "22 ");
        assert_eq!(fmt_rate(2.5), "2.5 ");
        assert_eq!(fmt_rate(9504.0), "9.5 k");
        assert_eq!(fmt_rate(1_200_000.0), "1.20 M");
    }

    #[test]
    fn clock_times_read_in_the_zone_asked_and_as_finely_as_their_step() {
        // 2023-11-14 22:13:20.123456 UTC.
        let t = 1_700_000_000_123_456;
        assert_eq!(hms_at(t, 0), "22:13:20");
        assert_eq!(hms_at(t, 60), "23:13:20");
        assert_eq!(hms_at(t, 120), "00:13:20");
        assert_eq!(hms_at(t, -330), "16:43:20");
        // Before 1970 the clock still reads forward within the day.
        assert_eq!(hms_at(-1, 0), "23:59:59");
        assert_eq!(hms_prec(t, 0, 1_000_000), "22:13:20");
        assert_eq!(hms_prec(t, 0, 1_000), "22:13:20.123");
        assert_eq!(hms_prec(t, 0, 999), "22:13:20.123456");
        assert_eq!(zone_name(0), "UTC");
        assert_eq!(zone_name(60), "UTC+01:00");
        assert_eq!(zone_name(-570), "UTC-09:30");
    }

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_345.0), "12k");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(2_500_000_000.0), "2.5G");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(3.0), "3");
    }

    #[test]
    fn widths_and_sizes_read_as_a_person_would_write_them() {
        assert_eq!(fmt_width(1_000_000), "1 s");
        assert_eq!(fmt_width(300_000_000), "5 min");
        assert_eq!(fmt_width(500_000), "500 ms");
        assert_eq!(fmt_width(7_200_000_000), "2 h");
        assert_eq!(fmt_width(1_500), "1500 µs");
        assert_eq!(fmt_bytes(532), "532 B");
        assert_eq!(fmt_bytes(1_500), "1.5 kB");
        assert_eq!(fmt_bytes(12_300_000), "12.30 MB");
        assert_eq!(fmt_bytes(1_020_000_000), "1.02 GB");
    }

    #[test]
    fn a_saved_extract_says_when_packets_were_left_out() {
        let all = saved_text(10, 10, "x.pcap", "");
        assert!(all.contains("Saved 10 packets") && all.contains("every packet"));
        let some = saved_text(4, 10, "x.pcap", "the 256 MiB limit");
        assert!(some.contains("Saved 4 of 10") && some.ends_with("the 256 MiB limit"));
        assert!(saved_text(4, 10, "x.pcap", "").ends_with("(no reason given)"));
    }

    #[test]
    fn a_link_s_problems_fit_a_short_banner() {
        let many: Vec<String> = (0..20_000)
            .map(|i| format!("note {i}: {}", "x".repeat(900)))
            .collect();
        let t = problems_text(&many);
        assert!(t.len() < 2_000, "{} bytes", t.len());
        assert!(t.ends_with("; and 19995 more."), "{t}");
        assert_eq!(
            problems_text(&["t0: bad".to_string()]),
            "Some values of this link were left out: t0: bad."
        );
        // Each cut to its first line.
        assert_eq!(
            problems_list(&["one\ntwo".to_string(), "three".to_string()]),
            "one…; three"
        );
    }

    #[test]
    fn pcap_names_are_safe_file_names() {
        let n = pcap_name("scanner-2001:db8::1", 1_700_000_000_000_000);
        assert!(n.starts_with("portspike-scanner-2001_db8__1-"), "{n}");
        assert!(n.ends_with(".pcap") && !n.contains([':', '/']), "{n}");
        assert_eq!(
            pcap_name("tcp445", 0),
            "portspike-tcp445-19700101T000000.000000Z.pcap"
        );
    }

    #[test]
    fn notes_export_as_csv_that_a_spreadsheet_cannot_run() {
        let n = |t: &str, source: &str| Annotation {
            start_ts: 0,
            end_ts: 1_000_000,
            text: t.into(),
            source: source.into(),
        };
        let csv = notes_csv(&[
            n("sweep, then \"quiet\"", "analyst"),
            n("=HYPERLINK(1)", "capture"),
        ]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "start_ts,end_ts,start,end,source,text");
        assert_eq!(
            lines[1],
            "0,1000000,1970-01-01T00:00:00.000000Z,1970-01-01T00:00:01.000000Z,analyst,\"sweep, then \"\"quiet\"\"\""
        );
        assert!(
            lines[2].ends_with(",capture,\"'=HYPERLINK(1)\""),
            "{}",
            lines[2]
        );
        assert_eq!(lines.len(), 3);
    }
}
