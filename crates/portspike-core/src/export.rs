//! CSV exports of a report and UTC time formatting, shared by the CLI and the page.

use crate::report::Report;
use std::fmt::Write;

/// Civil date and time of a µs timestamp: `(year, month, day, hour, minute, second, µs)`.
///
/// The calendar is `time`'s, with its large dates (years ±999,999): every
/// µs of an `i64` (years −290,308 to 294,247) has a date, where `jiff`'s
/// range (years ±9999) would leave the far times a report can hold without
/// one. Only a given time is formatted: the core reads no clock.
fn civil(us: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => (
            i64::from(t.year()),
            i64::from(u8::from(t.month())),
            i64::from(t.day()),
            i64::from(t.hour()),
            i64::from(t.minute()),
            i64::from(t.second()),
            frac,
        ),
        // Unreachable: an i64 of µs is within ±300,000 years.
        Err(_) => (1970, 1, 1, 0, 0, 0, frac),
    }
}

/// Lowercase hexadecimal of bytes (for digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// ISO 8601 in UTC with microseconds: `2026-03-02T09:00:00.000000Z`.
pub fn iso8601(us: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:06}Z")
}

/// Human UTC time with milliseconds: `2026-03-02 09:00:00.000 UTC`.
pub fn human(us: i64) -> String {
    let (y, m, d, h, mi, s, f) = civil(us);
    format!(
        "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03} UTC",
        f / 1000
    )
}

/// One CSV cell, ready to write: every cell of every export goes through
/// here. A cell that a spreadsheet would take for a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a plain number)
/// gets a leading `'` and quotes, as OWASP recommends against CSV
/// injection; one holding a comma, a quote or a line break is quoted
/// (RFC 4180, quotes doubled). The quoting is csv-core's (the `csv` crate's
/// writer).
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    if !Quoter::new().cell(s, &mut out) {
        return s.into();
    }
    out.into()
}

/// csv-core's writers for cells: `plain` quotes only where RFC 4180 needs
/// it (a comma, a quote, CR or LF), `always` quotes every cell (the
/// neutralised formulas). A `csv::Writer` takes one quoting style for all
/// its fields, so cells are quoted one at a time here.
struct Quoter {
    plain: csv_core::Writer,
    always: csv_core::Writer,
    buf: Vec<u8>,
}

impl Quoter {
    fn new() -> Self {
        let with = |style| {
            csv_core::WriterBuilder::new()
                .quote_style(style)
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build()
        };
        Quoter {
            plain: with(csv_core::QuoteStyle::Necessary),
            always: with(csv_core::QuoteStyle::Always),
            buf: Vec::new(),
        }
    }

    /// Append the cell `s` to `out`; false (and nothing appended) when it
    /// goes as it is.
    fn cell(&mut self, s: &str, out: &mut String) -> bool {
        let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && !s.parse::<f64>().is_ok_and(f64::is_finite);
        let (w, text) = if formula {
            (&mut self.always, format!("'{s}").into())
        } else {
            (&mut self.plain, std::borrow::Cow::Borrowed(s))
        };
        if !w.should_quote(text.as_bytes()) {
            return false;
        }
        // Quoted: every byte at most doubled, and the two quotes.
        self.buf.clear();
        self.buf.resize(2 * text.len() + 2, 0);
        let (_, _, n) = w.field(text.as_bytes(), &mut self.buf);
        let (_, m) = w.finish(self.buf.get_mut(n..).unwrap_or_default());
        // Only ASCII quotes were added to UTF-8 text.
        out.push_str(&String::from_utf8_lossy(
            self.buf.get(..n + m).unwrap_or_default(),
        ));
        true
    }
}

/// A CSV text written a cell at a time through [`csv_cell`]'s quoting.
struct Csv {
    out: String,
    scratch: String,
    quoter: Quoter,
    fresh: bool,
}

impl Csv {
    fn new(header: &str) -> Self {
        Csv {
            out: format!("{header}\n"),
            scratch: String::new(),
            quoter: Quoter::new(),
            fresh: true,
        }
    }

    fn cell(&mut self, v: impl std::fmt::Display) -> &mut Self {
        self.scratch.clear();
        let _ = write!(self.scratch, "{v}");
        if !self.fresh {
            self.out.push(',');
        }
        self.fresh = false;
        if !self.quoter.cell(&self.scratch, &mut self.out) {
            self.out.push_str(&self.scratch);
        }
        self
    }

    fn end(&mut self) {
        self.out.push('\n');
        self.fresh = true;
    }
}

/// One row per (port, bin) of every port that carries a series.
pub fn series_csv(r: &Report) -> String {
    let mut csv = Csv::new(
        "proto,port,service,time_utc,ts_us,packets,bytes,attempts,failures,sources,destinations,sources_estimated,destinations_estimated",
    );
    // Distinct counts past the exact bound are the sketches' estimates.
    let exact = r.sketch.distinct_exact_up_to;
    for p in &r.ports {
        let Some(s) = &p.series else { continue };
        let svc = p.service.as_deref().unwrap_or("");
        for i in 0..s.packets.len() {
            let ts = s
                .start_ts
                .saturating_add((i as i64).saturating_mul(s.bin_width_us as i64));
            let v = |c: &[u64]| c.get(i).copied().unwrap_or(0);
            csv.cell(p.proto)
                .cell(p.port)
                .cell(svc)
                .cell(iso8601(ts))
                .cell(ts)
                .cell(v(&s.packets))
                .cell(v(&s.bytes))
                .cell(v(&s.attempts))
                .cell(v(&s.failures))
                .cell(v(&s.sources))
                .cell(v(&s.destinations))
                .cell(u8::from(v(&s.sources) > exact))
                .cell(u8::from(v(&s.destinations) > exact))
                .end();
        }
    }
    csv.out
}

/// One row per spike.
pub fn spikes_csv(r: &Report) -> String {
    let mut csv = Csv::new(
        "proto,port,kind,new_port,metric,start_utc,end_utc,start_ts,end_ts,peak_ts,score,observed,baseline,packets,attempts,failures,completed,sources,destinations,syn,synack,rst,fin,other,top_sources,wireshark_filter,bytes,direction,answers,peak_pps,peak_bps,mean_pps,mean_bps,estimated,victim_prefix,incident,byte_share",
    );
    for s in &r.spikes {
        let top: Vec<String> = s
            .top_sources
            .iter()
            .map(|a| format!("{} ({})", a.addr, a.packets))
            .collect();
        csv.cell(s.proto)
            .cell(s.port)
            .cell(s.kind)
            .cell(s.new_port)
            .cell(s.metric)
            .cell(iso8601(s.start_ts))
            .cell(iso8601(s.end_ts))
            .cell(s.start_ts)
            .cell(s.end_ts)
            .cell(s.peak_ts)
            .cell(s.score)
            .cell(s.observed)
            .cell(s.baseline)
            .cell(s.packets)
            .cell(s.attempts)
            .cell(s.failures)
            .cell(s.completed)
            .cell(s.sources)
            .cell(s.destinations)
            .cell(s.flags.syn)
            .cell(s.flags.synack)
            .cell(s.flags.rst)
            .cell(s.flags.fin)
            .cell(s.flags.other)
            .cell(top.join("; "))
            .cell(&s.wireshark_filter);
        // The evidence pass's figures (empty where it did not run).
        let opt = |v: Option<String>| v.unwrap_or_default();
        let rate =
            |f: fn(&crate::report::Rates) -> f64| opt(s.rates.as_ref().map(|r| f(r).to_string()));
        let estimated: Vec<&str> = s.estimated.iter().map(|e| e.field.as_str()).collect();
        csv.cell(opt(s.bytes.map(|b| b.to_string())))
            .cell(opt(s.direction.clone()))
            .cell(opt(s.answers.map(|a| a.to_string())))
            .cell(rate(|r| r.peak_pps))
            .cell(rate(|r| r.peak_bps))
            .cell(rate(|r| r.mean_pps))
            .cell(rate(|r| r.mean_bps))
            .cell(estimated.join(" "))
            .cell(opt(s.victim_prefix.clone()))
            .cell(opt(s.incident.map(|i| i.to_string())))
            .cell(opt(s.byte_share.map(|b| b.to_string())))
            .end();
    }
    csv.out
}

/// One row per scanner.
pub fn scanners_csv(r: &Report) -> String {
    let mut csv = Csv::new(
        "source,kind,probes,method,score,targets,ports,attempts,failures,first_utc,detected_utc,last_utc,first_ts,detected_ts,last_ts,allowlisted,direction,top_ports,top_targets,bursts",
    );
    for s in &r.scanners {
        let top: Vec<String> = s
            .top_ports
            .iter()
            .map(|p| format!("{} ({})", p.key(), p.attempts))
            .collect();
        csv.cell(&s.source)
            .cell(s.kind)
            .cell(s.probes_joined(" "))
            .cell(s.method)
            .cell(s.score)
            .cell(s.targets)
            .cell(s.ports)
            .cell(s.attempts)
            .cell(s.failures)
            .cell(iso8601(s.first_ts))
            .cell(iso8601(s.detected_ts))
            .cell(iso8601(s.last_ts))
            .cell(s.first_ts)
            .cell(s.detected_ts)
            .cell(s.last_ts)
            .cell(s.allowlisted)
            .cell(s.direction.as_deref().unwrap_or(""))
            .cell(top.join("; "))
            .cell(
                s.top_targets
                    .iter()
                    .map(|t| format!("{} ({})", t.addr, t.attempts))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .cell(
                s.bursts
                    .iter()
                    .map(|b| {
                        format!(
                            "{}/{} ({})",
                            iso8601(b.first_ts),
                            iso8601(b.last_ts),
                            b.contacts
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .end();
    }
    csv.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            iso8601(1_772_442_000_123_456),
            "2026-03-02T09:00:00.123456Z"
        );
        assert_eq!(human(-1), "1969-12-31 23:59:59.999 UTC");
    }

    /// The civil date as it was computed by hand before `time` did it
    /// (Howard Hinnant's days-to-civil algorithm).
    fn hinnant(us: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
        let secs = us.div_euclid(1_000_000);
        let frac = us.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, frac)
    }

    #[test]
    fn time_s_calendar_gives_the_hand_written_dates() {
        const S: i64 = 1_000_000;
        const DAY: i64 = 86_400 * S;
        let mut edge = vec![
            0,
            -1,
            1,
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            i64::MIN + 1,
            i64::MAX / 1000 * 1000,
            i64::MIN / 1000 * 1000,
            u32::MAX as i64 * S,       // 2106-02-07T06:28:15Z, pcap's last second
            (u32::MAX as i64 + 1) * S, // and the one after
            i64::MAX / 1000,           // i64 nanoseconds' last µs (2262)
            i64::MIN / 1000,           // and first (1677)
            951_782_400 * S,           // 2000-02-29
            951_868_800 * S - 1,       // its last µs
            -2_203_891_200 * S,        // 1900-03-01 (1900 is not a leap year)
            4_107_542_400 * S,         // 2100-03-01 (nor is 2100)
            4_107_456_000 * S - 1,     // 2100-02-28T23:59:59.999999
            253_402_300_799 * S + 999_999, // 9999-12-31T23:59:59.999999
            253_402_300_800 * S,       // 10000-01-01
            -62_167_219_200 * S,       // 0000-01-01
            -62_167_219_200 * S - 1,   // -0001-12-31T23:59:59.999999
            -62_135_596_800 * S,       // 0001-01-01
            1140 * 365 * DAY,          // the summaries' ±1,140 years
            -(1140 * 365 * DAY),
        ];
        // Every 400-year cycle's turn, and the days on either side, across i64.
        let cycle = 146_097 * DAY;
        let mut t = -719_468 * DAY; // 0000-03-01, a cycle's start
        while let Some(earlier) = t.checked_sub(cycle) {
            t = earlier;
        }
        while let Some(next) = t.checked_add(cycle) {
            edge.extend([t, t - 1, t + DAY, t - DAY]);
            t = next;
        }
        for us in edge {
            assert_eq!(civil(us), hinnant(us), "{us}");
        }
        // Every day of ±3,000 years, at a time of day that moves along.
        for d in -1_100_000..1_100_000i64 {
            let us = d * DAY + (d * 7_919_999_937).rem_euclid(DAY);
            assert_eq!(civil(us), hinnant(us), "{us}");
        }
        // The formats keep their widths and signs.
        assert_eq!(iso8601(i64::MAX), "294247-01-10T04:00:54.775807Z");
        assert_eq!(iso8601(i64::MIN), "-290308-12-21T19:59:05.224192Z");
        assert_eq!(
            human(-62_167_219_200 * S - 1),
            "-001-12-31 23:59:59.999 UTC"
        );
        assert_eq!(iso8601(253_402_300_800 * S), "10000-01-01T00:00:00.000000Z");
        assert_eq!(human(951_782_400 * S + 1500), "2000-02-29 00:00:00.001 UTC");
    }

    proptest::proptest! {
        #[test]
        fn time_s_calendar_gives_the_hand_written_dates_anywhere(us in proptest::num::i64::ANY) {
            proptest::prop_assert_eq!(civil(us), hinnant(us));
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_neutralised() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("plain"), "plain");
        for (hostile, safe) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("-inf", "\"'-inf\""),
        ] {
            assert_eq!(csv_cell(hostile), safe, "{hostile:?}");
        }
        // Numbers stay numbers.
        assert_eq!(csv_cell("-12"), "-12");
        assert_eq!(csv_cell("-1.5e3"), "-1.5e3");
    }

    /// The quoting as it was written by hand before csv-core did it.
    fn hand_quoted(s: &str) -> String {
        let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && !s.parse::<f64>().is_ok_and(f64::is_finite);
        if formula {
            format!("\"'{}\"", s.replace('"', "\"\""))
        } else if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    #[test]
    fn csv_core_quotes_as_the_hand_written_code_did() {
        let edge = [
            "",
            "\"",
            "\"\"",
            ",",
            "\n",
            "\r",
            "\r\n",
            "'",
            "=",
            "+",
            "-",
            "@",
            "\t",
            "-0",
            "+1",
            "-1e400",
            "-nan",
            "+inf",
            "-infinity",
            "=\"",
            "@,",
            "\t\"",
            "é,ü",
            "a\u{0}b",
            "1,5",
            " =1",
            "-",
            "--",
            "+-1",
            "-.5",
            "-5.",
            "-0x10",
            "日本\"語",
        ];
        for s in edge {
            assert_eq!(csv_cell(s), hand_quoted(s), "{s:?}");
        }
        // Every string of up to three characters from a set of the ones that matter.
        let chars = [
            '=', '+', '-', '@', '\t', '\r', '\n', '"', ',', '\'', '1', '.', 'e', 'a', ' ', 'é',
        ];
        let mut n = 0;
        for a in chars {
            for b in chars {
                for c in chars {
                    for s in [format!("{a}"), format!("{a}{b}"), format!("{a}{b}{c}")] {
                        assert_eq!(csv_cell(&s), hand_quoted(&s), "{s:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 10_000);
    }

    proptest::proptest! {
        #[test]
        fn csv_core_quotes_any_text_as_before(s in "[=+@\\-\t\r\n\",' a-z0-9.é]{0,12}|\\PC{0,20}") {
            proptest::prop_assert_eq!(csv_cell(&s), hand_quoted(&s));
        }
    }

    #[test]
    fn a_shared_report_s_strings_cannot_break_the_exports() {
        let mut r = crate::analyze_bytes(&crate::fixture::incident(), Default::default());
        assert!(!r.spikes.is_empty() && !r.scanners.is_empty());
        // Protocols, kinds, probes, methods and metrics are enums (a shared report naming
        // anything else does not parse); every free-text field is hostile.
        let evil = "=HYPERLINK(\"http://evil\",\"x\"),\n+cmd|calc";
        for s in &mut r.spikes {
            s.wireshark_filter = evil.into();
            for a in &mut s.top_sources {
                a.addr = "@x".into();
            }
        }
        for s in &mut r.scanners {
            s.source = evil.into();
            s.direction = Some("\tx".into());
        }
        for p in &mut r.ports {
            p.service = Some("=1,2".into());
        }
        for text in [series_csv(&r), spikes_csv(&r), scanners_csv(&r)] {
            let (mut rows, all) = (0, split_rows(&text));
            for row in &all {
                assert_eq!(row.len(), all[0].len(), "{row:?}");
                for c in row {
                    assert!(!c.starts_with(['=', '+', '@', '\t', '\r']), "{c:?}");
                    assert!(!c.starts_with('-') || c.parse::<f64>().is_ok(), "{c:?}");
                }
                rows += 1;
            }
            assert!(rows > 1);
        }
    }

    /// A minimal RFC 4180 reader: rows of unquoted cells.
    fn split_rows(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
        let (mut quoted, mut chars) = (false, text.chars().peekable());
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\n') => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => cell.push(c),
            }
        }
        rows
    }
}
