//! CSV exports of a report and UTC time formatting, shared by the CLI and the page.

use crate::report::Report;
use std::fmt::Write;

/// Civil date and time of a µs timestamp: `(year, month, day, hour, minute, second, µs)`.
fn civil(us: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    // Howard Hinnant's days-to-civil algorithm.
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
/// (RFC 4180, quotes doubled).
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && !s.parse::<f64>().is_ok_and(f64::is_finite);
    if formula {
        format!("\"'{}\"", s.replace('"', "\"\"")).into()
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// A CSV text written a cell at a time through [`csv_cell`].
struct Csv {
    out: String,
    scratch: String,
    fresh: bool,
}

impl Csv {
    fn new(header: &str) -> Self {
        Csv {
            out: format!("{header}\n"),
            scratch: String::new(),
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
        self.out.push_str(&csv_cell(&self.scratch));
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
        "proto,port,service,time_utc,ts_us,packets,bytes,attempts,failures,sources,destinations",
    );
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
            .map(|p| format!("{}/{} ({})", p.proto, p.port, p.attempts))
            .collect();
        csv.cell(&s.source)
            .cell(&s.kind)
            .cell(s.probes.join(" "))
            .cell(&s.method)
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

    #[test]
    fn a_shared_report_s_strings_cannot_break_the_exports() {
        let mut r = crate::analyze_bytes(&crate::fixture::incident(), Default::default());
        assert!(!r.spikes.is_empty() && !r.scanners.is_empty());
        // Protocols, kinds and metrics are enums (a shared report naming
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
            s.kind = "+x".into();
            s.method = "=1".into();
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
