//! What changed between a baseline capture and an incident (schema
//! `portspike.diff/1`): ports new in the incident, gone from it, or whose
//! rates grew or shrank by at least [`CHANGE_FACTOR`]; sources, scanners and
//! findings seen only in the incident. Rates are per minute of each
//! capture's own span, since captures differ in length.

use crate::decode::{PortKey, Proto};
use crate::report::{
    CaptureSummary, Generator, ParamsEcho, PortReport, Report, ScannerReport, SpikeReport, Totals,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

pub const SCHEMA: &str = "portspike.diff/1";

/// A port grew (shrank) when one of its per-minute rates is at least this
/// many times (at most the inverse of) the baseline's.
pub const CHANGE_FACTOR: f64 = 2.0;
/// Rates are compared with this many events per minute added to both
/// sides, so a port going from 0.1 to 0.3 packets a minute is not news.
pub const RATE_FLOOR: f64 = 1.0;

/// How a port changed from the baseline to the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// Only in the incident.
    New,
    /// A rate at least [`CHANGE_FACTOR`] times the baseline's.
    Grew,
    /// A rate at most the inverse of [`CHANGE_FACTOR`] times the baseline's.
    Shrank,
    /// Only in the baseline.
    Gone,
}

crate::names::named_enum!(Change {
    New => "new",
    Grew => "grew",
    Shrank => "shrank",
    Gone => "gone",
});

/// A per-minute rate compared: one of [`Rates`]' fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateMetric {
    Packets,
    Attempts,
    Failures,
    Sources,
}

crate::names::named_enum!(RateMetric {
    Packets => "packets",
    Attempts => "attempts",
    Failures => "failures",
    Sources => "sources",
});

impl RateMetric {
    /// Its value among `r`.
    pub fn of(self, r: &Rates) -> f64 {
        match self {
            RateMetric::Packets => r.packets,
            RateMetric::Attempts => r.attempts,
            RateMetric::Failures => r.failures,
            RateMetric::Sources => r.sources,
        }
    }
}

/// Per-minute rates of a port in one capture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub packets: f64,
    pub attempts: f64,
    pub failures: f64,
    pub sources: f64,
}

/// A port in one of the two captures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub totals: Totals,
    pub per_minute: Rates,
}

/// One changed port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortChange {
    pub proto: Proto,
    pub port: u16,
    pub service: Option<String>,
    /// `new`, `grew`, `shrank` or `gone`.
    pub change: Change,
    /// The rate that changed most, and by how much (incident ÷ baseline,
    /// each with [`RATE_FLOOR`] added).
    pub metric: RateMetric,
    pub ratio: f64,
    pub baseline: Side,
    pub incident: Side,
}

impl PortChange {
    /// Its `proto` and `port`, written `tcp/445`.
    pub const fn key(&self) -> PortKey {
        PortKey::new(self.proto, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub schema: String,
    pub generator: Generator,
    pub params: ParamsEcho,
    pub baseline: CaptureSummary,
    pub incident: CaptureSummary,
    /// Changed ports, the largest change first.
    pub ports: Vec<PortChange>,
    /// Addresses named in the incident's findings and scanners, not in the baseline's.
    pub new_sources: Vec<String>,
    pub new_scanners: Vec<ScannerReport>,
    /// Incident findings with no finding of that kind on that port in the baseline.
    pub new_findings: Vec<SpikeReport>,
}

fn minutes(c: &CaptureSummary) -> f64 {
    match (c.first_ts, c.last_ts) {
        (Some(a), Some(b)) => ((b - a) as f64 / 60e6).max(1.0 / 60.0),
        _ => 1.0 / 60.0,
    }
}

fn side(p: Option<&PortReport>, mins: f64) -> Side {
    let t = p.map(|p| p.totals.clone()).unwrap_or_default();
    let r = |v: u64| ((v as f64 / mins) * 1000.0).round() / 1000.0;
    Side {
        per_minute: Rates {
            packets: r(t.packets),
            attempts: r(t.attempts),
            failures: r(t.failures),
            sources: r(t.sources),
        },
        totals: t,
    }
}

/// Named addresses of a report: its findings' top sources and its scanners.
fn named(r: &Report) -> BTreeSet<String> {
    r.spikes
        .iter()
        .flat_map(|s| s.top_sources.iter().map(|a| a.addr.clone()))
        .chain(r.scanners.iter().map(|s| s.source.clone()))
        .collect()
}

/// Addresses named in the incident are new only if they sent nothing in
/// the baseline: `sent` counts, for the candidates, the packets each sent
/// anywhere in the baseline capture (see [`crate::evidence::Evidence::senders`]).
pub fn seen_in_baseline(d: &mut Diff, sent: &std::collections::BTreeMap<String, u64>) {
    d.new_sources
        .retain(|a| sent.get(a).is_none_or(|n| *n == 0));
}

/// Why `baseline` cannot stand for ordinary traffic, or `None` when it can:
/// a capture that could not be read to its end (a truncated file, a corrupt
/// block), one with no packets, or one none of whose packets could be
/// decoded (a link type not read here). Compared against such a baseline,
/// everything in the incident past what was read would show as new or
/// grown, so the CLI and the page refuse the comparison and say this.
pub fn unfit_baseline(c: &CaptureSummary) -> Option<String> {
    if let Some(e) = &c.error {
        let at = e
            .offset
            .map(|o| format!(" at byte {o}"))
            .unwrap_or_default();
        return Some(format!(
            "the baseline could not be read to its end ({}{at}): against part of a capture, everything after that part would show as new",
            e.message
        ));
    }
    if c.packets == 0 {
        return Some("the baseline holds no packets: everything would show as new".into());
    }
    let decoded: u64 = c.link_types.iter().map(|l| l.decoded).sum();
    if decoded == 0 {
        let links: Vec<String> = c
            .link_types
            .iter()
            .map(|l| format!("{} ({})", l.name, l.linktype))
            .collect();
        return Some(format!(
            "none of the baseline's {} packets could be decoded (link type {}): everything would show as new",
            c.packets,
            if links.is_empty() { "unknown".to_string() } else { links.join(", ") }
        ));
    }
    None
}

/// The changes from `baseline` to `incident` (analysed with the same settings).
pub fn diff(baseline: &Report, incident: &Report) -> Diff {
    let (mb, mi) = (minutes(&baseline.capture), minutes(&incident.capture));
    let key = |p: &PortReport| (p.proto, p.port);
    let base: HashMap<(Proto, u16), &PortReport> =
        baseline.ports.iter().map(|p| (key(p), p)).collect();
    let inc: HashMap<(Proto, u16), &PortReport> =
        incident.ports.iter().map(|p| (key(p), p)).collect();
    let mut keys: Vec<(Proto, u16)> = base.keys().chain(inc.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut ports = Vec::new();
    for k in keys {
        let (b, i) = (base.get(&k).copied(), inc.get(&k).copied());
        let (sb, si) = (side(b, mb), side(i, mi));
        // The rate that moved most (in either direction).
        let (metric, ratio) = RateMetric::ALL
            .iter()
            .map(|m| {
                let (x, y) = (m.of(&sb.per_minute), m.of(&si.per_minute));
                (*m, (y + RATE_FLOOR) / (x + RATE_FLOOR))
            })
            .max_by(|a, b| a.1.ln().abs().total_cmp(&b.1.ln().abs()))
            .unwrap_or((RateMetric::Packets, 1.0));
        let change = match (b, i) {
            (None, Some(_)) => Change::New,
            (Some(_), None) => Change::Gone,
            _ if ratio >= CHANGE_FACTOR => Change::Grew,
            _ if ratio <= 1.0 / CHANGE_FACTOR => Change::Shrank,
            _ => continue,
        };
        let service = i.or(b).and_then(|p| p.service.clone());
        ports.push(PortChange {
            proto: k.0,
            port: k.1,
            service,
            change,
            metric,
            ratio: (ratio * 1000.0).round() / 1000.0,
            baseline: sb,
            incident: si,
        });
    }
    // The largest change first; then the busier port in the incident.
    ports.sort_by(|a, b| {
        b.ratio
            .ln()
            .abs()
            .total_cmp(&a.ratio.ln().abs())
            .then(b.incident.totals.packets.cmp(&a.incident.totals.packets))
            .then(a.proto.cmp(&b.proto))
            .then(a.port.cmp(&b.port))
    });
    let known = named(baseline);
    let new_sources = named(incident).difference(&known).cloned().collect();
    let base_scanners: BTreeSet<&str> = baseline
        .scanners
        .iter()
        .map(|s| s.source.as_str())
        .collect();
    let new_scanners = incident
        .scanners
        .iter()
        .filter(|s| !base_scanners.contains(s.source.as_str()))
        .cloned()
        .collect();
    let base_findings: BTreeSet<(&str, u16, &str)> = baseline
        .spikes
        .iter()
        .map(|s| (s.proto.as_str(), s.port, s.kind.as_str()))
        .collect();
    let new_findings = incident
        .spikes
        .iter()
        .filter(|s| !base_findings.contains(&(s.proto.as_str(), s.port, s.kind.as_str())))
        .cloned()
        .collect();
    Diff {
        schema: SCHEMA.to_string(),
        generator: incident.generator.clone(),
        params: incident.params.clone(),
        baseline: baseline.capture.clone(),
        incident: incident.capture.clone(),
        ports,
        new_sources,
        new_scanners,
        new_findings,
    }
}

/// The changed ports as CSV (cells through [`crate::export::csv_cell`]).
pub fn csv(d: &Diff) -> String {
    let mut out = String::from(
        "proto,port,service,change,metric,ratio,baseline_packets_per_min,incident_packets_per_min,baseline_attempts_per_min,incident_attempts_per_min,baseline_failures_per_min,incident_failures_per_min,baseline_sources_per_min,incident_sources_per_min\n",
    );
    for p in &d.ports {
        let cells = [
            p.proto.to_string(),
            p.port.to_string(),
            p.service.clone().unwrap_or_default(),
            p.change.to_string(),
            p.metric.to_string(),
            p.ratio.to_string(),
            p.baseline.per_minute.packets.to_string(),
            p.incident.per_minute.packets.to_string(),
            p.baseline.per_minute.attempts.to_string(),
            p.incident.per_minute.attempts.to_string(),
            p.baseline.per_minute.failures.to_string(),
            p.incident.per_minute.failures.to_string(),
            p.baseline.per_minute.sources.to_string(),
            p.incident.per_minute.sources.to_string(),
        ];
        let row: Vec<String> = cells
            .iter()
            .map(|c| crate::export::csv_cell(c).into_owned())
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::{analyze_bytes, Params};

    #[test]
    fn a_cut_empty_or_undecodable_baseline_is_unfit_and_a_whole_one_fit() {
        let whole = crate::fixture::quiet().pcap();
        let r = analyze_bytes(&whole, Params::default());
        assert_eq!(unfit_baseline(&r.capture), None);
        let cut = analyze_bytes(&whole[..whole.len() - 7], Params::default());
        let why = unfit_baseline(&cut.capture).unwrap();
        assert!(
            why.contains("could not be read to its end") && why.contains("at byte"),
            "{why}"
        );
        let empty = analyze_bytes(&whole[..24], Params::default());
        assert!(unfit_baseline(&empty.capture)
            .unwrap()
            .contains("no packets"));
        // The same packets under a link type not read here (LINKTYPE 147, user 0).
        let mut odd = whole.clone();
        odd[20..24].copy_from_slice(&147u32.to_le_bytes());
        let odd = analyze_bytes(&odd, Params::default());
        let why = unfit_baseline(&odd.capture).unwrap();
        assert!(
            why.contains("could be decoded") && why.contains("147"),
            "{why}"
        );
    }

    #[test]
    fn a_capture_against_itself_has_no_changes() {
        let r = analyze_bytes(&crate::fixture::incident(), Params::default());
        let d = diff(&r, &r);
        assert!(d.ports.is_empty(), "{:?}", d.ports);
        assert!(d.new_sources.is_empty() && d.new_scanners.is_empty() && d.new_findings.is_empty());
        assert_eq!(d.schema, SCHEMA);
    }

    #[test]
    fn ordinary_traffic_against_the_sweep_puts_445_first() {
        let baseline = analyze_bytes(&crate::fixture::quiet().pcap(), Params::default());
        let incident = analyze_bytes(&crate::fixture::incident(), Params::default());
        let d = diff(&baseline, &incident);
        let first = &d.ports[0];
        assert_eq!(
            (first.proto.as_str(), first.port),
            ("tcp", 445),
            "{:?}",
            d.ports
        );
        assert_eq!(first.change, "new");
        assert_eq!(d.new_scanners.len(), 1);
        assert_eq!(d.new_sources, ["10.9.9.9"]);
        assert!(d
            .new_findings
            .iter()
            .any(|f| f.port == 445 && f.kind == "sweep"));
        let csv = csv(&d);
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("tcp,445,microsoft-ds,"),
            "{csv}"
        );
    }
}
