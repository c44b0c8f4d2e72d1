//! Building a [`Report`] from what the analyzer counted, in steps: each
//! port's findings and rank ([`ranked_ports`]), the files' own problems
//! ([`file_problems`]), the capture-level warnings ([`capture_warnings`]),
//! the capture's comments ([`annotations`]), then the summary around them.

use super::{
    Annotation, CaptureSummary, FileEntry, Generator, LinkTypeCount, NoRow, ParamsEcho, Pattern,
    PortReport, Problem, ProblemCode, Report, SeriesReport, Sketch, SpikeReport, Totals, SCHEMA,
};
use crate::bins::Cell;
use crate::capture::{self, Format};
use crate::compress::Compression;
use crate::decode::{self, Proto};
use crate::engine::{self, Detail, Engine, PortState};
use crate::params::Params;
use crate::{detect, services, sketch};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Packets of one link type, and how many of them were decoded.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LinkCount {
    pub(crate) packets: u64,
    pub(crate) decoded: u64,
}

/// What one finished file contributed to the capture summary.
#[derive(Debug)]
pub(crate) struct FileOutcome {
    pub(crate) name: Option<String>,
    pub(crate) format: Option<Format>,
    pub(crate) compression: Option<Compression>,
    pub(crate) error: Option<Problem>,
    pub(crate) warnings: Vec<Problem>,
    pub(crate) dropped: Option<u64>,
    /// Comments in the file (time in ns, `None` for a section's), and how many past the bound.
    pub(crate) comments: Vec<(Option<i64>, String)>,
    pub(crate) comments_dropped: u64,
    /// The time → offset index, for uncompressed input.
    pub(crate) index: Option<capture::Index>,
}

/// The capture-level counts a report is built from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tally<'a> {
    pub(crate) packets: u64,
    pub(crate) wire_bytes: u64,
    pub(crate) first_ts_us: Option<i64>,
    pub(crate) last_ts_us: Option<i64>,
    pub(crate) links: &'a BTreeMap<u32, LinkCount>,
    pub(crate) decode_errors: u64,
    /// Frames nested deeper than the decoder follows.
    pub(crate) too_deep: u64,
    /// Frames in no row, and their wire bytes.
    pub(crate) no_row: (u64, u64),
    /// Packets kept off the timeline, and the first one's time (µs).
    pub(crate) outliers: u64,
    pub(crate) first_outlier_ts: Option<i64>,
}

/// Everything a report is built from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub(crate) params: &'a Params,
    pub(crate) engine: &'a Engine,
    pub(crate) tally: Tally<'a>,
    pub(crate) files: &'a [FileEntry],
    /// Bytes fed, over all files.
    pub(crate) file_bytes: u64,
    pub(crate) outcomes: &'a [FileOutcome],
}

/// The report, with at most `max_ports` ports (the highest ranked), the
/// `series_top` first with their timelines (and any with a finding).
pub(crate) fn build(i: &Inputs<'_>, max_ports: usize, series_top: usize) -> Report {
    let width = i.engine.grid.width_us;
    let (ports, spikes) = ranked_ports(i.engine, i.params, max_ports, series_top);
    let scanners = detect::scanners(i.engine, &i.params.detection);
    let (mut warnings, error) = file_problems(i.outcomes);
    warnings.extend(capture_warnings(&i.tally, i.engine));
    let (annotations, comments_bounded) = annotations(i.outcomes, &i.tally);
    warnings.extend(comments_bounded);
    let drops: Vec<u64> = i.outcomes.iter().filter_map(|o| o.dropped).collect();
    let t = &i.tally;
    let mut report = Report {
        schema: SCHEMA.to_string(),
        generator: Generator {
            name: "portspike".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        params: ParamsEcho {
            key: i.params.key,
            bin_width_us: width,
            bin_width_fixed: i.params.bin_width_us.is_some(),
            series_top: i.params.series_top,
            detection: i.params.detection.clone(),
        },
        capture: CaptureSummary {
            format: format_of(i.outcomes),
            compression: i
                .outcomes
                .iter()
                .find_map(|o| o.compression)
                .map(|c| c.as_str().to_string()),
            files: i.files.to_vec(),
            file_bytes: i.file_bytes,
            packets: t.packets,
            wire_bytes: t.wire_bytes,
            first_ts: t.first_ts_us,
            last_ts: t.last_ts_us,
            link_types: t
                .links
                .iter()
                .map(|(lt, n)| LinkTypeCount {
                    linktype: *lt,
                    name: decode::link_name(*lt),
                    packets: n.packets,
                    decoded: n.decoded,
                })
                .collect(),
            decode_errors: t.decode_errors,
            dropped_by_capture: (!drops.is_empty()).then(|| drops.iter().sum()),
            ts_outliers: t.outliers,
            no_row: Some(NoRow {
                packets: t.no_row.0,
                bytes: t.no_row.1,
            }),
            warnings,
            error,
        },
        bin_width_us: width,
        sketch: Sketch {
            distinct_exact_up_to: sketch::EXACT as u64,
            distinct_rel_error: sketch::REL_ERROR,
        },
        ports,
        spikes,
        scanners,
        annotations,
        evidence: None,
    };
    detect::bursts_of_scans(&mut report);
    report
}

/// A port with its best score.
type Scored<'a> = ((Proto, u16), &'a PortState, f64);

/// Every port's findings (ports with enough events and a timeline), the
/// ports ranked by their best score then packets, and the findings by score.
/// The first `max_ports` ports are listed; the first `series_top`, those
/// with a finding and the protected ones carry their timeline.
pub(crate) fn ranked_ports(
    e: &Engine,
    params: &Params,
    max_ports: usize,
    series_top: usize,
) -> (Vec<PortReport>, Vec<SpikeReport>) {
    let (mut scored, mut spikes, mut patterns) = port_findings(e, params);
    scored.sort_by(|a, b| {
        b.2.total_cmp(&a.2)
            .then(b.1.totals.packets.cmp(&a.1.totals.packets))
            .then(a.0.cmp(&b.0))
    });
    spikes.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.start_ts.cmp(&b.start_ts))
            .then(a.proto.cmp(&b.proto))
            .then(a.port.cmp(&b.port))
    });
    let with_finding: HashSet<(Proto, u16)> = spikes.iter().map(|s| (s.proto, s.port)).collect();
    let ports = scored
        .into_iter()
        .take(max_ports)
        .enumerate()
        .map(|(rank, (key, st, best))| {
            let timeline = rank < series_top || with_finding.contains(&key) || e.is_protected(key);
            let series = st
                .detail
                .as_ref()
                .filter(|_| timeline)
                .map(|d| Box::new(series_report(e, d)));
            let c = &st.totals;
            let totals = Totals {
                packets: c.packets,
                bytes: c.bytes,
                attempts: c.attempts,
                failures: c.failures,
                sources: st.sources.estimate(),
                destinations: st.destinations.estimate(),
            };
            PortReport {
                proto: key.0,
                port: key.1,
                service: services::name(key.0, key.1).map(str::to_string),
                score: best,
                totals,
                series,
                pattern: patterns.remove(&key),
            }
        })
        .collect();
    (ports, spikes)
}

/// Each port with its best score, the findings of all, and the ports' rhythms.
#[allow(clippy::type_complexity)]
fn port_findings<'a>(
    e: &'a Engine,
    params: &Params,
) -> (
    Vec<Scored<'a>>,
    Vec<SpikeReport>,
    HashMap<(Proto, u16), Pattern>,
) {
    let d = &params.detection;
    let width = e.grid.width_us;
    let grid_start = e.grid.min_bin.unwrap_or(0);
    let mut spikes = Vec::new();
    let mut scored = Vec::new();
    let mut patterns = HashMap::new();
    for (k, st) in e.ports.iter() {
        let series = st.detail.as_ref().map(|d| &d.series);
        let (mut sp, best, pattern) = if let Some(series) =
            series.filter(|s| st.totals.packets >= d.min_events && s.cells() > 0)
        {
            let cells = series.view(grid_start, e.grid.len());
            let (mut sp, best, pattern) = detect::port_spikes(
                k.0,
                k.1,
                st,
                &cells,
                grid_start.saturating_mul(width as i64),
                width as i64,
                params.key,
                d,
            );
            if !sp.iter().any(|s| s.is_attack()) {
                coarser_attacks(
                    &mut sp,
                    (k, st),
                    series,
                    (grid_start, e.grid.len()),
                    width,
                    params,
                );
            }
            (sp, best, pattern)
        } else {
            (Vec::new(), 0.0, None)
        };
        if let Some(p) = pattern {
            patterns.insert(k, p);
        }
        spikes.append(&mut sp);
        scored.push((k, st, best));
    }
    (scored, spikes, patterns)
}

/// A port's series scored again at coarser widths (2, 4, 8… times the
/// report's, built from its bins, while at least [`COARSE_MIN_BINS`] bins
/// span the capture), where the report's width shows no attack on it: a
/// low-rate attack (a few reflectors' bursts over minutes, a slow
/// backscatter over a day) stands out only over longer bins. The first
/// width that shows an attack gives the port's attack findings, each with
/// its `bin_width_us`; the ordinary surges of the report's width that
/// overlap one give way to it (one finding per incident).
fn coarser_attacks(
    sp: &mut Vec<SpikeReport>,
    (k, st): ((Proto, u16), &crate::engine::PortState),
    series: &crate::bins::Series,
    (grid_start, len): (i64, usize),
    width: u64,
    params: &Params,
) {
    let mut coarse = series.clone();
    let mut factor: i64 = 1;
    loop {
        factor *= 2;
        let from = grid_start.div_euclid(factor);
        let last = (grid_start + len as i64 - 1).div_euclid(factor);
        let n = usize::try_from(last - from + 1).unwrap_or(0);
        if n < COARSE_MIN_BINS {
            return;
        }
        coarse.coarsen(2);
        let w = (width as i64).saturating_mul(factor);
        let (found, _, _) = detect::port_spikes(
            k.0,
            k.1,
            st,
            &coarse.view(from, n),
            from.saturating_mul(w),
            w,
            params.key,
            &params.detection,
        );
        // Many hosts' announcements onto broadcast and multicast groups
        // (discovery, over minutes) are no flood of a victim.
        let mut attacks: Vec<SpikeReport> = found
            .into_iter()
            .filter(|s| s.is_attack() && !onto_groups(s))
            .collect();
        if attacks.is_empty() {
            continue;
        }
        for a in &mut attacks {
            a.bin_width_us = u64::try_from(w).ok();
        }
        sp.retain(|s| {
            !attacks
                .iter()
                .any(|a| s.start_ts < a.end_ts && a.start_ts < s.end_ts)
        });
        sp.append(&mut attacks);
        return;
    }
}

/// A flood whose busiest destinations are all broadcast or multicast groups.
fn onto_groups(s: &SpikeReport) -> bool {
    s.kind == crate::report::SpikeKind::Flood
        && !s.top_destinations.is_empty()
        && s.top_destinations
            .iter()
            .all(|d| d.addr.parse().is_ok_and(crate::flows::is_group))
}

/// Coarser widths are tried while at least this many bins span the
/// capture: enough for a baseline before an attack.
pub const COARSE_MIN_BINS: usize = 16;

/// A port's timeline over the whole grid.
fn series_report(e: &Engine, d: &Detail) -> SeriesReport {
    let grid_start = e.grid.min_bin.unwrap_or(0);
    let cells = d.series.dense(grid_start, e.grid.len());
    let col = |f: &dyn Fn(&Cell) -> u64| cells.iter().map(f).collect::<Vec<u64>>();
    SeriesReport {
        start_ts: grid_start.saturating_mul(e.grid.width_us as i64),
        bin_width_us: e.grid.width_us,
        packets: col(&|c| u64::from(c.packets)),
        bytes: col(&|c| c.bytes),
        attempts: col(&|c| u64::from(c.attempts)),
        failures: col(&|c| u64::from(c.failures)),
        sources: col(&|c| c.sources.estimate()),
        destinations: col(&|c| c.destinations.estimate()),
    }
}

/// The files' warnings and errors, in file order, each named by its file
/// when there are several: the first error is the capture's, the others
/// become warnings.
pub(crate) fn file_problems(outcomes: &[FileOutcome]) -> (Vec<Problem>, Option<Problem>) {
    let several = outcomes.len() > 1;
    let mut warnings: Vec<Problem> = Vec::new();
    let mut error: Option<Problem> = None;
    for o in outcomes {
        let prefix = match (&o.name, several) {
            (Some(n), true) => format!("{n}: "),
            _ => String::new(),
        };
        warnings.extend(o.warnings.iter().map(|w| Problem {
            message: format!("{prefix}{}", w.message),
            ..w.clone()
        }));
        if let Some(e) = &o.error {
            let e = Problem {
                message: format!("{prefix}{}", e.message),
                ..e.clone()
            };
            if error.is_none() {
                error = Some(e);
            } else {
                warnings.push(e);
            }
        }
    }
    (warnings, error)
}

fn warning(code: ProblemCode, message: String) -> Problem {
    Problem {
        code,
        message,
        offset: None,
    }
}

/// Warnings about the capture as a whole: what was not decoded, kept off
/// the timeline, or could not be judged, and every memory bound hit.
pub(crate) fn capture_warnings(t: &Tally<'_>, e: &Engine) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for (lt, n) in t.links {
        if !decode::link_supported(*lt) {
            warnings.push(warning(
                ProblemCode::UnsupportedLinkType,
                format!(
                    "{} packets of link type {} ({}) were counted but not decoded",
                    n.packets,
                    lt,
                    decode::link_name(*lt)
                ),
            ));
        }
    }
    if let Some((from, to)) = e.stats.coarsened {
        warnings.push(warning(
            ProblemCode::BinsCoarsened,
            format!(
                "bins of {from} µs would have made more than {} timeline cells; the bins are {to} µs wide instead",
                crate::engine::GRID_CELLS_MAX
            ),
        ));
    }
    if t.too_deep > 0 {
        warnings.push(warning(
            ProblemCode::TunnelDepth,
            format!(
                "{} packets nest deeper than the decoder follows (more than {} tunnel layers, or more VLAN tags than it reads): they are counted by an outer layer, without the ports of the packet inside",
                t.too_deep,
                decode::MAX_DEPTH
            ),
        ));
    }
    if let Some(ts) = t.first_outlier_ts {
        warnings.push(warning(
            ProblemCode::TsOutliers,
            format!(
                "{} packets are dated far from the rest of the capture (the first at {} µs since the epoch); they are counted in the totals but kept off the timeline",
                t.outliers, ts
            ),
        ));
    }
    if e.one_way() {
        warnings.push(warning(
            ProblemCode::OneDirection,
            format!(
                "{} of the {} first contacts of all sources in the capture got an answer: the capture seems to hold one direction only (or every target was silent), so failures cannot be judged; scanners are convicted by spread alone ({} ports of one host or {} hosts on one port within 5 minutes)",
                e.stats.answered_contacts,
                e.stats.first_contacts,
                engine::ZEEK_PORTS,
                engine::ZEEK_HOSTS,
            ),
        ));
    }
    warnings.extend(bound_warnings(e));
    warnings
}

/// The memory bounds the engine hit.
fn bound_warnings(e: &Engine) -> Vec<Problem> {
    let mut warnings = Vec::new();
    let st = e.stats;
    if st.evicted_pending + st.evicted_udp + st.untracked_sources + st.evicted_sources > 0 {
        warnings.push(warning(
            ProblemCode::StateBounded,
            format!(
                "connection state hit its memory bound: {} pending attempts judged early, {} UDP flows forgotten, {} sources forgotten, {} sources not tracked",
                st.evicted_pending, st.evicted_udp, st.evicted_sources, st.untracked_sources
            ),
        ));
    }
    if st.trimmed_series > 0 {
        let kept = e.ports.values().filter(|p| !p.series_off()).count();
        let off = e.ports.len() - kept;
        warnings.push(warning(
            ProblemCode::SeriesBounded,
            format!(
                "time series are kept for the {kept} busiest ports only: {off} quieter ports have totals but no timeline, and their distinct sources and destinations are counted to within {:.0}% (the memory bounds are {} cells and {} ports with a timeline)",
                sketch::REL_ERROR_SMALL * 100.0,
                e.limits().cells,
                e.limits().details,
            ),
        ));
    }
    if st.unremembered_contacts > 0 {
        warnings.push(warning(
            ProblemCode::ContactsBounded,
            format!(
                "{} contacts were not remembered (memory bound): sources past it may count a target more than once",
                st.unremembered_contacts
            ),
        ));
    }
    warnings
}

/// `pcap`, `pcapng`, or `mixed` for files of both; `None` when no file
/// could be read.
pub(crate) fn format_of(outcomes: &[FileOutcome]) -> Option<String> {
    let mut formats: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.format)
        .map(|f| match f {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        })
        .collect();
    formats.dedup();
    match formats.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        _ => Some("mixed".to_string()),
    }
}

/// The comments found in the files as annotations (a section's comment
/// spans the whole capture), and a warning if some were not kept.
pub(crate) fn annotations(
    outcomes: &[FileOutcome],
    t: &Tally<'_>,
) -> (Vec<Annotation>, Option<Problem>) {
    let mut annotations = Vec::new();
    let mut dropped = 0;
    for o in outcomes {
        dropped += o.comments_dropped;
        for (ts, text) in &o.comments {
            let (start_ts, end_ts) = match ts {
                Some(t) => (t.div_euclid(1000), t.div_euclid(1000)),
                // A section's comment is about the whole capture.
                None => (t.first_ts_us.unwrap_or(0), t.last_ts_us.unwrap_or(0)),
            };
            annotations.push(Annotation {
                start_ts,
                end_ts,
                text: text.clone(),
                source: "capture".into(),
            });
        }
    }
    let bounded = (dropped > 0).then(|| {
        warning(
            ProblemCode::CommentsBounded,
            format!(
                "{dropped} more comments in the capture were not kept (at most {} a file)",
                capture::MAX_COMMENTS
            ),
        )
    });
    (annotations, bounded)
}

#[cfg(test)]
mod tests;
