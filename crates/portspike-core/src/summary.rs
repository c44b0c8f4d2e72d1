//! Per-port, per-bin summaries that add up across captures and sensors.
//!
//! [`Analyzer::finish_with_summary`](crate::Analyzer::finish_with_summary)
//! gives, beside the report, one [`Row`] per (protocol, port, bin) of every
//! port that kept a timeline: the bin's counts and its distinct sources and
//! destinations as mergeable counts. With a fixed bin width the bins are
//! aligned to the epoch, so rows of different captures (split files, other
//! sensors) for the same (protocol, port, bin) simply add up: counts add,
//! distinct counts merge (an exact set while it holds at most
//! [`sketch::EXACT`](crate::sketch::EXACT) values, else HyperLogLog registers,
//! whose union is exact). [`detect`] runs the same detection on merged rows
//! and builds a report (schema v1) whose `capture.files` are the summaries.
//!
//! What does not add up across a split: a connection that straddles it is
//! seen by both parts (an attempt answered in the next part counts as
//! unanswered in the first), and heavy hitters (a spike's `top_sources`) are
//! per capture, so a report from summaries lists none.

use crate::bins::Cell;
use crate::decode::Proto;
use crate::report::{CaptureSummary, FileEntry, Problem, Report, ScannerReport};
use crate::{Analyzer, Params};
use std::collections::BTreeMap;

/// Default width of summary bins: one minute.
pub const DEFAULT_WIDTH_US: u64 = 60_000_000;

/// One (protocol, port, bin) of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub proto: Proto,
    pub port: u16,
    /// Start of the bin, µs since the epoch (a multiple of `bin_width_us`).
    pub start_ts: i64,
    pub bin_width_us: u64,
    pub cell: Cell,
}

/// One capture's summary, as read back.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Where the summary came from (its file name), for `capture.files`.
    pub name: String,
    pub bin_width_us: u64,
    /// The capture's own summary (files, packets, times, link types, warnings).
    pub capture: CaptureSummary,
    pub rows: Vec<Row>,
    pub scanners: Vec<ScannerReport>,
}

/// Scanner verdicts of several captures, one per source: counts add, the
/// first and detection times are the earliest, the last time the latest.
fn merge_scanners(all: impl Iterator<Item = ScannerReport>) -> Vec<ScannerReport> {
    let mut by: BTreeMap<String, ScannerReport> = BTreeMap::new();
    for s in all {
        match by.get_mut(&s.source) {
            None => {
                by.insert(s.source.clone(), s);
            }
            Some(m) => {
                m.attempts += s.attempts;
                m.failures += s.failures;
                m.targets = m.targets.max(s.targets);
                m.ports = m.ports.max(s.ports);
                m.score = m.score.max(s.score);
                m.first_ts = m.first_ts.min(s.first_ts);
                m.detected_ts = m.detected_ts.min(s.detected_ts);
                m.last_ts = m.last_ts.max(s.last_ts);
                for p in s.probes {
                    if !m.probes.contains(&p) {
                        m.probes.push(p);
                    }
                }
                m.probes.sort_by_key(|p| p.as_str());
            }
        }
    }
    let mut out: Vec<ScannerReport> = by.into_values().collect();
    crate::detect::sort_scanners(&mut out);
    out
}

/// Rows further than this from 1970 (about ±1,140 years, in µs) are
/// refused: no capture holds them, and bins that far apart would not fit the
/// grid's arithmetic.
pub const MAX_ABS_TS_US: i64 = 1 << 55;

/// Detection on summaries merged as they are read: captures' summaries,
/// then their rows one at a time, so memory is bounded by the engine's
/// budgets (ports, cells), never by how many rows the summaries hold.
/// Every summary must have the same bin width.
#[derive(Debug)]
pub struct Merge {
    params: Params,
    a: Option<(Analyzer, u64)>,
    warnings: Vec<Problem>,
    error: Option<Problem>,
    formats: Vec<String>,
    dropped: Option<u64>,
    outliers: u64,
    scanners: Vec<ScannerReport>,
}

impl Merge {
    pub fn new(params: Params) -> Self {
        Merge {
            params,
            a: None,
            warnings: Vec::new(),
            error: None,
            formats: Vec::new(),
            dropped: None,
            outliers: 0,
            scanners: Vec::new(),
        }
    }

    /// The bin width of `name`'s rows: the first sets it, the others must
    /// have the same.
    pub fn width(&mut self, name: &str, width: u64) -> Result<(), String> {
        if width == 0 {
            return Err(format!("{name}: a bin width of 0 µs"));
        }
        match &self.a {
            Some((_, w)) if *w != width => Err(format!(
                "{name}: bins of {width} µs, where the first summary's are {w} µs (summaries must share one bin width)"
            )),
            Some(_) => Ok(()),
            None => {
                let mut params = self.params.clone();
                params.bin_width_us = Some(width);
                self.a = Some((Analyzer::new(params), width));
                Ok(())
            }
        }
    }

    fn analyzer(&mut self, name: &str) -> Result<&mut Analyzer, String> {
        match &mut self.a {
            Some((a, _)) => Ok(a),
            None => Err(format!("{name}: rows before its bin width")),
        }
    }

    /// One capture's own summary (counted once, whatever number of its
    /// days' files carry rows).
    pub fn capture(&mut self, name: &str, c: &CaptureSummary) -> Result<(), String> {
        let a = self.analyzer(name)?;
        let counts = &mut a.counts;
        counts.packets = counts.packets.saturating_add(c.packets);
        counts.wire_bytes = counts.wire_bytes.saturating_add(c.wire_bytes);
        counts.decode_errors = counts.decode_errors.saturating_add(c.decode_errors);
        if let Some(t) = c.first_ts {
            counts.first_ts_us = Some(counts.first_ts_us.map_or(t, |x| x.min(t)));
        }
        if let Some(t) = c.last_ts {
            counts.last_ts_us = Some(counts.last_ts_us.map_or(t, |x| x.max(t)));
        }
        for l in &c.link_types {
            let e = counts.links.entry(l.linktype).or_default();
            e.packets = e.packets.saturating_add(l.packets);
            e.decoded = e.decoded.saturating_add(l.decoded);
        }
        a.files.push(FileEntry {
            name: name.to_string(),
            file_bytes: c.file_bytes,
            sha256: c.files.first().and_then(|f| f.sha256.clone()),
        });
        a.bytes = a.bytes.saturating_add(c.file_bytes);
        self.warnings.extend(c.warnings.iter().map(|w| Problem {
            message: format!("{name}: {}", w.message),
            ..w.clone()
        }));
        if let Some(e) = &c.error {
            let e = Problem {
                message: format!("{name}: {}", e.message),
                ..e.clone()
            };
            if self.error.is_none() {
                self.error = Some(e);
            } else {
                self.warnings.push(e);
            }
        }
        if let Some(f) = &c.format {
            if !self.formats.contains(f) {
                self.formats.push(f.clone());
            }
        }
        if let Some(d) = c.dropped_by_capture {
            self.dropped = Some(self.dropped.unwrap_or(0).saturating_add(d));
        }
        self.outliers = self.outliers.saturating_add(c.ts_outliers);
        Ok(())
    }

    /// One row of `name`: checked (its width, its time) and counted.
    pub fn row(&mut self, name: &str, r: &Row) -> Result<(), String> {
        let width = self.a.as_ref().map(|(_, w)| *w);
        if Some(r.bin_width_us) != width {
            return Err(format!("{name}: a row of {} µs bins", r.bin_width_us));
        }
        if r.start_ts.unsigned_abs() > MAX_ABS_TS_US.unsigned_abs() {
            return Err(format!(
                "{name}: column start_ts: {} µs is more than 1,100 years from 1970 (a time no capture holds)",
                r.start_ts
            ));
        }
        let a = self.analyzer(name)?;
        a.counts
            .engine
            .absorb((r.proto, r.port), r.start_ts, &r.cell);
        Ok(())
    }

    /// One capture's scanner verdict.
    pub fn scanner(&mut self, s: ScannerReport) {
        self.scanners.push(s);
    }

    /// An extra warning for the report (a duplicate left out…).
    pub fn warn(&mut self, p: Problem) {
        self.warnings.push(p);
    }

    pub fn finish(self) -> Result<Report, String> {
        let Some((a, _)) = self.a else {
            return Err("no summaries to detect on".into());
        };
        let series_top = a.params.series_top;
        let mut r = a.build(usize::MAX, series_top);
        r.capture.format = match self.formats.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            _ => Some("mixed".into()),
        };
        r.capture.compression = None;
        r.capture.dropped_by_capture = self.dropped;
        r.capture.ts_outliers = self.outliers;
        r.capture.warnings.extend(self.warnings);
        r.capture.error = self.error;
        r.scanners = merge_scanners(self.scanners.into_iter());
        Ok(r)
    }
}

/// Detection on merged summaries: the report (schema v1) `analyze` would
/// give on the captures together at the summaries' bin width (see [`Merge`]).
pub fn detect(params: Params, summaries: &[Summary]) -> Result<Report, String> {
    let mut m = Merge::new(params);
    for s in summaries {
        m.width(&s.name, s.bin_width_us)?;
        m.capture(&s.name, &s.capture)?;
        for r in &s.rows {
            m.row(&s.name, r)?;
        }
        for sc in &s.scanners {
            m.scanner(sc.clone());
        }
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn summarise(bytes: &[u8], name: &str) -> (Report, Summary) {
        let params = Params {
            bin_width_us: Some(DEFAULT_WIDTH_US),
            ..Params::default()
        };
        let mut a = Analyzer::new(params);
        a.feed(bytes);
        let (r, rows) = a.finish_with_summary();
        let s = Summary {
            name: name.into(),
            bin_width_us: DEFAULT_WIDTH_US,
            capture: r.capture.clone(),
            rows,
            scanners: r.scanners.clone(),
        };
        (r, s)
    }

    #[test]
    fn one_capture_summarised_detects_as_analysed() {
        let sample = crate::fixture::incident();
        let (whole, s) = summarise(&sample, "sample.parquet");
        let merged = detect(Params::default(), &[s]).unwrap();
        assert_eq!(merged.ports.len(), whole.ports.len());
        for (a, b) in merged.ports.iter().zip(&whole.ports) {
            assert_eq!((&a.proto, a.port, &a.totals), (&b.proto, b.port, &b.totals));
            assert_eq!(a.series, b.series, "{}/{}", a.proto, a.port);
        }
        let key = |r: &Report| -> Vec<(Proto, u16, crate::report::SpikeKind, i64, i64)> {
            r.spikes
                .iter()
                .map(|s| (s.proto, s.port, s.kind, s.start_ts, s.end_ts))
                .collect()
        };
        assert_eq!(key(&merged), key(&whole));
        assert_eq!(merged.scanners, whole.scanners);
        assert_eq!(merged.capture.packets, whole.capture.packets);
        assert_eq!(merged.capture.files[0].name, "sample.parquet");
    }

    #[test]
    fn summaries_must_share_their_bin_width() {
        let (_, a) = summarise(&crate::fixture::incident(), "a");
        let mut b = a.clone();
        b.name = "b".into();
        b.bin_width_us = 1_000_000;
        let e = detect(Params::default(), &[a, b]).unwrap_err();
        assert!(e.starts_with("b: "), "{e}");
    }
}
