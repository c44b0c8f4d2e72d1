//! What the commands print and write: the ranked table, JSON and CSV, a
//! fingerprint, generated captures.

use crate::args::CsvKind;
use crate::terminal;
use anyhow::{Context, Result};
use portspike_core::report::{Report, SpikeReport};
use std::io::Write;

/// Write a generated capture to `output`: `fill` appends the next part to
/// its buffer and says whether it did (false: the capture is complete).
pub fn write_generated(
    output: &std::path::Path,
    mut fill: impl FnMut(&mut Vec<u8>) -> bool,
) -> Result<()> {
    let file =
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(9 << 20);
    while fill(&mut buf) {
        w.write_all(&buf)
            .with_context(|| format!("writing {}", output.display()))?;
        buf.clear();
    }
    w.flush()
        .with_context(|| format!("writing {}", output.display()))
}

/// Write the report's attack findings as a DDoS Clearing House fingerprint
/// to `path` (`-`: standard output); with none, say so and write nothing.
pub fn write_fingerprint(report: &Report, path: &std::path::Path) -> Result<()> {
    let Some(fp) = portspike_core::fingerprint::fingerprint(report) else {
        say!("portspike: no attack finding: no fingerprint written");
        return Ok(());
    };
    let text = fp.to_json_pretty() + "\n";
    if path.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Print a report as `analyze` and `detect` do: JSON, a CSV table or the ranked table.
pub fn print_report(report: &Report, json: bool, csv: Option<CsvKind>, top: usize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        // Written as it is serialised: a report of 65,535 ports is tens of MB as text.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut out);
        serde_json::to_writer_pretty(&mut w, report)?;
        writeln!(w)?;
        w.flush()?;
    } else if let Some(kind) = csv {
        let text = match kind {
            CsvKind::Series => portspike_core::export::series_csv(report),
            CsvKind::Spikes => portspike_core::export::spikes_csv(report),
            CsvKind::Scanners => portspike_core::export::scanners_csv(report),
        };
        out.write_all(text.as_bytes())?;
    } else {
        // Capture-derived text (comments, names) never drives the terminal.
        write_table(&mut terminal::Printable(&mut out), report, top)?;
    }
    Ok(())
}

/// A count, or an estimate marked as one (`≈1687`).
pub fn count(n: u64, estimated: bool) -> String {
    if estimated {
        format!("≈{n}")
    } else {
        n.to_string()
    }
}

/// A plural noun (`victims`, `targets`) as `n` of them reads: singular for one.
fn noun(n: u64, plural: &str) -> &str {
    if n == 1 {
        plural.strip_suffix('s').unwrap_or(plural)
    } else {
        plural
    }
}

pub fn fmt_ts(us: i64) -> String {
    portspike_core::export::human(us)
}

pub fn write_table(out: &mut impl Write, r: &Report, top: usize) -> std::io::Result<()> {
    write_capture(out, r)?;
    writeln!(out)?;
    write_findings(out, r)?;
    writeln!(out)?;
    write_ports(out, r, top)?;
    write_notes(out, r)
}

/// What was read: files, format, packets, time, link types, and any
/// warning or error.
fn write_capture(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let c = &r.capture;
    let files: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
    writeln!(
        out,
        "capture   {}",
        if files.is_empty() {
            "(stdin)".into()
        } else {
            files.join(", ")
        }
    )?;
    writeln!(
        out,
        "format    {}",
        c.format.as_deref().unwrap_or("unknown")
    )?;
    writeln!(
        out,
        "packets   {}  ({} bytes on the wire)",
        c.packets, c.wire_bytes
    )?;
    if let (Some(a), Some(b)) = (c.first_ts, c.last_ts) {
        writeln!(
            out,
            "time      {} → {}  ({:.3} s)",
            fmt_ts(a),
            fmt_ts(b),
            (b - a) as f64 / 1e6
        )?;
    }
    let links: Vec<String> = c
        .link_types
        .iter()
        .map(|l| format!("{} ({}) ×{}", l.name, l.linktype, l.packets))
        .collect();
    writeln!(out, "links     {}", links.join(", "))?;
    writeln!(out, "bins      {} µs, key {}", r.bin_width_us, r.params.key)?;
    for w in &c.warnings {
        writeln!(out, "warning   {}", w.message)?;
    }
    if let Some(e) = &c.error {
        let at = e
            .offset
            .map(|o| format!(" (byte offset {o})"))
            .unwrap_or_default();
        writeln!(out, "error     {}{at}", e.message)?;
        // Said as the page says it: what was read, and that the rest was not.
        let upto = c
            .last_ts
            .map(|t| format!(", up to {}", fmt_ts(t)))
            .unwrap_or_default();
        let read = e
            .offset
            .map(|o| format!("{o} of {} bytes read", c.file_bytes))
            .unwrap_or_else(|| "read in part".into());
        writeln!(
            out,
            "partial   {read}{upto}: the findings cover only that part, never what came after it"
        )?;
    }
    Ok(())
}

/// The findings, attack kinds first, then the scanners.
fn write_findings(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    if r.spikes.is_empty() && r.scanners.is_empty() {
        if r.capture.error.is_some() {
            writeln!(out, "findings  none in the part read")?;
        } else {
            writeln!(out, "findings  none")?;
        }
    }
    // Attack kinds first, then ordinary growth; each in the report's order.
    for s in r
        .finding_order()
        .into_iter()
        .filter_map(|i| r.spikes.get(i))
    {
        write_spike(out, r, s)?;
    }
    for s in &r.scanners {
        writeln!(
            out,
            "scanner   {}  {} ({})  {} first contacts, {} failed, {} {}, {} {}  detected {} by {}{}",
            s.source,
            s.kind,
            s.probes_joined("/"),
            s.attempts,
            s.failures,
            count(s.targets, s.estimated("targets")),
            noun(s.targets, "targets"),
            count(s.ports, s.estimated("ports")),
            noun(s.ports, "ports"),
            fmt_ts(s.detected_ts),
            s.method,
            if s.allowlisted { "  [allowlisted]" } else { "" }
        )?;
        if let Some(t) = &s.tool {
            writeln!(
                out,
                "          made by {} ({} of {} probes: {})",
                t.name, t.probes, t.of, t.rule
            )?;
        }
    }
    if let Some(e) = r.evidence.as_ref().filter(|e| !e.exact) {
        // Said where the numbers are: they are not all counts.
        writeln!(
            out,
            "estimates ≈ {}",
            e.note
                .as_deref()
                .unwrap_or("the findings were not counted again")
        )?;
    }
    Ok(())
}

/// One finding in a line: its port, kind, window, size, talkers and share.
fn write_spike(out: &mut impl Write, r: &Report, s: &SpikeReport) -> std::io::Result<()> {
    let svc = r
        .ports
        .iter()
        .find(|p| p.proto == s.proto && p.port == s.port)
        .and_then(|p| p.service.clone())
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    // An attack on victims names them (and the prefix they spread
    // over); anything else its busiest sources.
    let (src_role, dst_role) = s.kind.roles();
    let onto = dst_role == "victims";
    let talkers = if onto {
        &s.top_destinations
    } else {
        &s.top_sources
    };
    let who: Vec<&str> = talkers.iter().take(3).map(|a| a.addr.as_str()).collect();
    let who = match (&s.victim_prefix, onto) {
        (Some(p), true) => format!("onto {p} ({})", who.join(", ")),
        (None, true) => format!("onto {}", who.join(", ")),
        _ => format!("from {}", who.join(", ")),
    };
    let episodes = if s.episodes.len() > 1 {
        format!(" ({} episodes)", s.episodes.len())
    } else {
        String::new()
    };
    // Its size: peak packets and bits a second (the evidence pass's),
    // and its share of its incident's bytes.
    let mut rate = s
        .rates
        .as_ref()
        .map(|r| format!("  peak {:.0} pps, {:.0} bps", r.peak_pps, r.peak_bps))
        .unwrap_or_default();
    if let (Some(n), Some(share)) = (s.incident, s.byte_share) {
        rate.push_str(&format!(
            "  incident {n}: {:.1} % of its bytes",
            share * 100.0
        ));
    }
    writeln!(
        out,
        "spike     {}{svc}  {}{}{episodes}  {} → {}  {} {} vs baseline {:.1}  score {:.1}  {} {} → {} {}  {who}{rate}",
        s.key(),
        s.kind,
        if s.new_port { " (new port)" } else { "" },
        fmt_ts(s.start_ts),
        fmt_ts(s.end_ts),
        s.observed,
        s.metric,
        s.baseline,
        s.score,
        count(s.sources, s.estimated("sources")),
        noun(s.sources, src_role),
        count(s.destinations, s.estimated("destinations")),
        noun(s.destinations, dst_role),
    )?;
    if let Some(sc) = s.scan.and_then(|i| r.scanners.get(i as usize)) {
        writeln!(
            out,
            "          a burst inside a longer scan: {} tried {} {} from {} to {}",
            sc.source,
            count(sc.targets, sc.estimated("targets")),
            noun(sc.targets, "targets"),
            fmt_ts(sc.first_ts),
            fmt_ts(sc.last_ts)
        )?;
    }
    Ok(())
}

/// The ranked ports table, `top` rows.
fn write_ports(out: &mut impl Write, r: &Report, top: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>4}  {:<10} {:<16} {:>7} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12}",
        "rank",
        "port",
        "service",
        "score",
        "packets",
        "attempts",
        "failures",
        "sources",
        "dests",
        "bytes"
    )?;
    // Distinct counts past the exact bound are the sketch's estimates.
    let exact = r.sketch.distinct_exact_up_to;
    for (i, p) in r.ports.iter().take(top).enumerate() {
        writeln!(
            out,
            "{:>4}  {:<10} {:<16} {:>7.1} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12}",
            i + 1,
            p.key(),
            p.service.as_deref().unwrap_or("-"),
            p.score,
            p.totals.packets,
            p.totals.attempts,
            p.totals.failures,
            count(p.totals.sources, p.totals.sources > exact),
            count(p.totals.destinations, p.totals.destinations > exact),
            p.totals.bytes
        )?;
    }
    if r.ports.len() > top {
        writeln!(out, "      … {} more ports", r.ports.len() - top)?;
    }
    Ok(())
}

/// The capture's own notes and the ports' ordinary burst patterns.
fn write_notes(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    if !r.annotations.is_empty() {
        writeln!(out)?;
    }
    for a in &r.annotations {
        let when = if a.start_ts == a.end_ts {
            fmt_ts(a.start_ts)
        } else {
            format!("{} → {}", fmt_ts(a.start_ts), fmt_ts(a.end_ts))
        };
        writeln!(out, "note      {when}  {} ({})", a.text, a.source)?;
    }
    let patterns: Vec<_> = r
        .ports
        .iter()
        .filter_map(|p| p.pattern.as_ref().map(|x| (p, x)))
        .collect();
    if !patterns.is_empty() {
        writeln!(out)?;
    }
    for (p, x) in patterns {
        writeln!(
            out,
            "pattern   {}  {} ordinary bursts about every {:.0} s, typically {} {} (largest {})",
            p.key(),
            x.bursts,
            x.period_us as f64 / 1e6,
            x.typical,
            x.metric,
            x.largest
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fmt_ts;

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(fmt_ts(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(fmt_ts(1_772_442_000_123_456), "2026-03-02 09:00:00.123 UTC");
    }
}
