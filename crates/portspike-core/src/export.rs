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

/// Quote a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per (port, bin) of every port that carries a series.
pub fn series_csv(r: &Report) -> String {
    let mut out = String::from(
        "proto,port,service,time_utc,ts_us,packets,bytes,attempts,failures,sources,destinations\n",
    );
    for p in &r.ports {
        let Some(s) = &p.series else { continue };
        let svc = field(p.service.as_deref().unwrap_or(""));
        for i in 0..s.packets.len() {
            let ts = s.start_ts + i as i64 * s.bin_width_us as i64;
            let v = |c: &[u64]| c.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "{},{},{svc},{},{ts},{},{},{},{},{},{}",
                p.proto,
                p.port,
                iso8601(ts),
                v(&s.packets),
                v(&s.bytes),
                v(&s.attempts),
                v(&s.failures),
                v(&s.sources),
                v(&s.destinations)
            );
        }
    }
    out
}

/// One row per spike.
pub fn spikes_csv(r: &Report) -> String {
    let mut out = String::from(
        "proto,port,kind,new_port,metric,start_utc,end_utc,start_ts,end_ts,peak_ts,score,observed,baseline,packets,attempts,failures,completed,sources,destinations,syn,synack,rst,fin,other,top_sources,wireshark_filter\n",
    );
    for s in &r.spikes {
        let top: Vec<String> = s
            .top_sources
            .iter()
            .map(|a| format!("{} ({})", a.addr, a.packets))
            .collect();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.proto,
            s.port,
            s.kind,
            s.new_port,
            s.metric,
            iso8601(s.start_ts),
            iso8601(s.end_ts),
            s.start_ts,
            s.end_ts,
            s.peak_ts,
            s.score,
            s.observed,
            s.baseline,
            s.packets,
            s.attempts,
            s.failures,
            s.completed,
            s.sources,
            s.destinations,
            s.flags.syn,
            s.flags.synack,
            s.flags.rst,
            s.flags.fin,
            s.flags.other,
            field(&top.join("; ")),
            field(&s.wireshark_filter)
        );
    }
    out
}

/// One row per scanner.
pub fn scanners_csv(r: &Report) -> String {
    let mut out = String::from(
        "source,kind,probes,method,score,targets,ports,attempts,failures,first_utc,detected_utc,last_utc,first_ts,detected_ts,last_ts,allowlisted,direction,top_ports\n",
    );
    for s in &r.scanners {
        let top: Vec<String> = s
            .top_ports
            .iter()
            .map(|p| format!("{}/{} ({})", p.proto, p.port, p.attempts))
            .collect();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.source,
            s.kind,
            field(&s.probes.join(" ")),
            s.method,
            s.score,
            s.targets,
            s.ports,
            s.attempts,
            s.failures,
            iso8601(s.first_ts),
            iso8601(s.detected_ts),
            iso8601(s.last_ts),
            s.first_ts,
            s.detected_ts,
            s.last_ts,
            s.allowlisted,
            s.direction.as_deref().unwrap_or(""),
            field(&top.join("; "))
        );
    }
    out
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
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
