//! The streaming analyzer: capture bytes in, a [`Report`] out.
//!
//! An [`Analyzer`] takes a capture's bytes in chunks of any size
//! ([`Analyzer::feed`]), one file after another for a rotated set
//! ([`Analyzer::begin_file`]): each file is decompressed and framed, each
//! frame decoded and held at the time gate, then counted by the [`Engine`].
//! [`Analyzer::finish`] turns the counts into the report.

use crate::capture::{self, Frame, Reader};
use crate::decode::{self, Decoded, Proto};
use crate::engine::{self, Engine, PortState};
use crate::params::Params;
use crate::report::{
    self, CaptureSummary, FileEntry, Generator, LinkTypeCount, ParamsEcho, PortReport, Problem,
    Report, SeriesReport, Sketch,
};
use crate::{bins, compress, detect, services, sketch, summary, timegate};
use crate::{PREVIEW_PORTS, PREVIEW_SERIES};
use std::collections::{BTreeMap, HashMap};

/// Progress so far, for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub packets: u64,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LinkCount {
    pub(crate) packets: u64,
    pub(crate) decoded: u64,
}

/// Everything counted from decoded frames (kept apart from the reader so the
/// reader's callback can borrow it mutably).
#[derive(Debug)]
pub(crate) struct Counts {
    pub(crate) packets: u64,
    pub(crate) wire_bytes: u64,
    pub(crate) first_ts_us: Option<i64>,
    pub(crate) last_ts_us: Option<i64>,
    pub(crate) links: BTreeMap<u32, LinkCount>,
    pub(crate) decode_errors: u64,
    /// Frames nested deeper than the decoder follows.
    pub(crate) too_deep: u64,
    pub(crate) gate: timegate::TimeGate<Rec>,
    pub(crate) engine: Engine,
}

impl Counts {
    fn frame(&mut self, f: Frame<'_>) {
        let ts_us = f.ts_ns.div_euclid(1000);
        self.packets += 1;
        self.wire_bytes += u64::from(f.orig_len);
        self.first_ts_us = Some(self.first_ts_us.map_or(ts_us, |t| t.min(ts_us)));
        self.last_ts_us = Some(self.last_ts_us.map_or(ts_us, |t| t.max(ts_us)));
        let link = self.links.entry(f.linktype).or_default();
        link.packets += 1;
        let (decoded, deep) = decode::decode_depth(f.linktype, f.data);
        self.too_deep += u64::from(deep);
        let packet = match decoded {
            Decoded::Ip(p) => p,
            Decoded::NotIp => {
                link.decoded += 1;
                return;
            }
            Decoded::UnsupportedLink => return,
            Decoded::Malformed => {
                self.decode_errors += 1;
                return;
            }
        };
        link.decoded += 1;
        let rec = Rec {
            len: f.orig_len,
            packet,
        };
        let Counts { gate, engine, .. } = self;
        gate.push(ts_us, rec, &mut |ts, r| {
            engine.packet(ts, r.len, &r.packet, true)
        });
    }

    fn finish(&mut self) {
        let Counts { gate, engine, .. } = self;
        let mut outliers = Vec::new();
        gate.finish(
            &mut |ts, r| engine.packet(ts, r.len, &r.packet, true),
            &mut |ts, r| outliers.push((ts, r)),
        );
        self.engine.finish();
        for (ts, r) in outliers {
            self.engine.packet(ts, r.len, &r.packet, false);
        }
    }
}

/// A decoded packet waiting at the time gate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    len: u32,
    packet: decode::Packet,
}

/// One input file: its decompressor and framer.
#[derive(Debug, Default)]
struct FileState {
    input: compress::Input,
    reader: Reader,
    bytes: u64,
    /// Reading the file itself failed here (see [`Analyzer::read_failed`]).
    read_error: Option<Problem>,
}

/// What one finished file contributed to the capture summary.
#[derive(Debug)]
struct FileOutcome {
    name: Option<String>,
    format: Option<capture::Format>,
    compression: Option<compress::Compression>,
    error: Option<Problem>,
    warnings: Vec<Problem>,
    dropped: Option<u64>,
    /// Comments in the file (time in ns, `None` for a section's), and how many past the bound.
    comments: Vec<(Option<i64>, String)>,
    comments_dropped: u64,
    /// The time → offset index, for uncompressed input.
    index: Option<capture::Index>,
}

impl FileState {
    fn finish(mut self, name: Option<String>, counts: &mut Counts) -> FileOutcome {
        let reader = &mut self.reader;
        self.input
            .finish(&mut |b| reader.feed(b, &mut |f| counts.frame(f)));
        self.reader.finish_with(&mut |f| counts.frame(f));
        // A decompression fault is where reading really stopped; a framing
        // error after it is only its consequence.
        // So is the file itself becoming unreadable.
        let error =
            self.read_error
                .take()
                .or_else(|| match (self.input.error(), self.reader.error()) {
                    (Some(d), _) => Some(Problem {
                        code: "bad_compression".into(),
                        message: d.message.clone(),
                        offset: Some(d.offset),
                    }),
                    (None, Some(e)) => Some(Problem {
                        code: e.code.to_string(),
                        message: e.message.clone(),
                        offset: e.offset,
                    }),
                    (None, None) => None,
                });
        FileOutcome {
            name,
            format: self.reader.format(),
            compression: self.input.compression(),
            error,
            warnings: self
                .reader
                .warnings()
                .iter()
                .map(|w| Problem {
                    code: w.code.to_string(),
                    message: w.message.clone(),
                    offset: w.offset,
                })
                .collect(),
            dropped: self.reader.dropped_by_capture(),
            comments: self.reader.comments().0.to_vec(),
            comments_dropped: self.reader.comments().1,
            index: match self.input.compression() {
                None => Some(self.reader.take_index()),
                Some(_) => None,
            },
        }
    }
}

/// The streaming analyzer: one per capture, or per rotated set of files
/// (see [`Analyzer::begin_file`]).
#[derive(Debug)]
pub struct Analyzer {
    pub(crate) params: Params,
    file: FileState,
    pub(crate) counts: Counts,
    pub(crate) bytes: u64,
    pub(crate) files: Vec<FileEntry>,
    outcomes: Vec<FileOutcome>,
}

impl Analyzer {
    pub fn new(params: Params) -> Self {
        Self::with_limits(params, engine::Limits::FULL)
    }

    /// An analyzer whose engine works within `limits` (a browser tab uses
    /// [`engine::Limits::COMPACT`]).
    pub fn with_limits(params: Params, limits: engine::Limits) -> Self {
        let counts = Counts {
            packets: 0,
            wire_bytes: 0,
            first_ts_us: None,
            last_ts_us: None,
            links: BTreeMap::new(),
            decode_errors: 0,
            too_deep: 0,
            gate: timegate::TimeGate::default(),
            engine: Engine::new(params.key, params.bin_width_us, limits),
        };
        Analyzer {
            params,
            file: FileState::default(),
            counts,
            bytes: 0,
            files: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// Start the next file of a capture set (the first call names the first
    /// file). Files may come in any order: they share one timeline.
    pub fn begin_file(&mut self, name: &str, file_bytes: u64, sha256: Option<String>) {
        if !self.files.is_empty() || self.file.bytes > 0 {
            self.close_file();
        }
        self.files.push(FileEntry {
            name: name.to_string(),
            file_bytes,
            sha256,
        });
    }

    /// Record the SHA-256 (hex) of the current file once it has been read.
    pub fn set_file_sha256(&mut self, hex: String) {
        if let Some(f) = self.files.last_mut() {
            f.sha256 = Some(hex);
        }
    }

    /// Name the (single) file being read, for `capture.files`.
    pub fn set_file(&mut self, name: &str, file_bytes: u64, sha256: Option<String>) {
        self.begin_file(name, file_bytes, sha256);
    }

    fn close_file(&mut self) {
        let name = self.files.get(self.outcomes.len()).map(|f| f.name.clone());
        let file = std::mem::take(&mut self.file);
        let outcome = file.finish(name, &mut self.counts);
        self.outcomes.push(outcome);
    }

    /// Feed the next chunk of the current file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        self.file.bytes += chunk.len() as u64;
        let counts = &mut self.counts;
        let reader = &mut self.file.reader;
        self.file
            .input
            .feed(chunk, &mut |b| reader.feed(b, &mut |f| counts.frame(f)));
        if self.file.input.compression().is_some() {
            // Offsets in a decompressed stream cannot be sought: no index.
            self.file.reader.no_index();
        }
    }

    /// Reading the current file failed (an I/O error, a file changed while
    /// being read): what was fed so far stays counted, and the report's
    /// error says where reading stopped (the byte offset in the file).
    pub fn read_failed(&mut self, message: &str) {
        if self.file.read_error.is_none() {
            self.file.read_error = Some(Problem {
                code: "read_failed".into(),
                message: format!("the file could not be read past here: {message}"),
                offset: Some(self.file.bytes),
            });
        }
    }

    /// Keep the timelines of `ports` whatever the memory bounds, and put
    /// them in the report whatever their rank (a window re-read for them).
    pub fn protect(&mut self, ports: &[(decode::Proto, u16)]) {
        self.counts.engine.protect(ports);
    }

    /// Cells held by the series so far (for the memory checks).
    pub fn cells_held(&self) -> usize {
        self.counts.engine.cells_held()
    }

    /// The engine's heap bytes by part (for the memory checks).
    pub fn footprint(&self) -> Vec<(&'static str, usize)> {
        self.counts.engine.footprint()
    }

    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.bytes,
            packets: self.counts.packets,
        }
    }

    /// End of input: build the report.
    pub fn finish(self) -> Report {
        self.finish_with_index().0
    }

    /// End of input: the report, and for each file its time → offset index
    /// (`None` for compressed input, which cannot be read from the middle).
    pub fn finish_with_index(mut self) -> (Report, Vec<Option<capture::Index>>) {
        self.close_file();
        self.counts.finish();
        let report = self.build(usize::MAX, self.params.series_top);
        let index = self.outcomes.iter_mut().map(|o| o.index.take()).collect();
        (report, index)
    }

    /// End of input: the report, and the per-port per-bin rows of every
    /// port that kept a timeline (see [`summary`]; give the analyzer a fixed
    /// bin width so the rows of other captures line up with them).
    pub fn finish_with_summary(mut self) -> (Report, Vec<summary::Row>) {
        self.close_file();
        self.counts.finish();
        let report = self.build(usize::MAX, self.params.series_top);
        let width = self.counts.engine.grid.width_us;
        let mut rows = Vec::new();
        for ((proto, port), st) in self.counts.engine.ports.iter() {
            if let Some(d) = &st.detail {
                d.series.each(|bin, cell| {
                    if cell.packets > 0 {
                        rows.push(summary::Row {
                            proto,
                            port,
                            start_ts: bin.saturating_mul(width as i64),
                            bin_width_us: width,
                            cell: cell.clone(),
                        });
                    }
                });
            }
        }
        (report, rows)
    }

    /// The report so far, for charts while parsing: everything counted up to
    /// now (the first packets are held back until the capture's time range is
    /// known, see [`timegate`]); attempts still awaiting an answer are not
    /// judged yet, and the file being read has no outcome yet. It lists the
    /// [`PREVIEW_PORTS`] highest-ranked ports (the final report has them all),
    /// with timelines for the [`PREVIEW_SERIES`] first and any with a finding.
    pub fn preview(&self) -> Report {
        self.build(PREVIEW_PORTS, PREVIEW_SERIES.min(self.params.series_top))
    }

    /// The report, with at most `max_ports` ports (the highest ranked), the
    /// `series_top` first with their timelines (and any with a finding).
    pub(crate) fn build(&self, max_ports: usize, series_top: usize) -> Report {
        let c = &self.counts;
        let width = c.engine.grid.width_us;
        let grid_start = c.engine.grid.min_bin.unwrap_or(0);
        let grid_len = c.engine.grid.len();

        // Spikes per port (ports with enough events), then rank by score.
        let d = &self.params.detection;
        let mut spikes = Vec::new();
        let mut scored: Vec<((Proto, u16), &PortState, f64)> = Vec::new();
        let mut patterns: HashMap<(Proto, u16), report::Pattern> = HashMap::new();
        for (k, st) in c.engine.ports.iter() {
            let series = st.detail.as_ref().map(|d| &d.series);
            let (mut sp, best, pattern) = if let Some(series) =
                series.filter(|s| st.totals.packets >= d.min_events && s.cells() > 0)
            {
                let cells = series.view(grid_start, grid_len);
                detect::port_spikes(
                    k.0,
                    k.1,
                    st,
                    &cells,
                    grid_start.saturating_mul(width as i64),
                    width as i64,
                    self.params.key,
                    d,
                )
            } else {
                (Vec::new(), 0.0, None)
            };
            if let Some(p) = pattern {
                patterns.insert(k, p);
            }
            spikes.append(&mut sp);
            scored.push((k, st, best));
        }
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
        let with_finding: std::collections::HashSet<(Proto, u16)> =
            spikes.iter().map(|s| (s.proto, s.port)).collect();
        let ports: Vec<PortReport> = scored
            .into_iter()
            .take(max_ports)
            .enumerate()
            .map(|(rank, ((proto, port), st, best))| {
                let finding = with_finding.contains(&(proto, port));
                let series = st
                    .detail
                    .as_ref()
                    .filter(|_| {
                        rank < series_top || finding || c.engine.is_protected((proto, port))
                    })
                    .map(|d| {
                        let cells = d.series.dense(grid_start, grid_len);
                        let col = |f: &dyn Fn(&bins::Cell) -> u64| {
                            cells.iter().map(f).collect::<Vec<u64>>()
                        };
                        Box::new(SeriesReport {
                            start_ts: grid_start.saturating_mul(width as i64),
                            bin_width_us: width,
                            packets: col(&|c| u64::from(c.packets)),
                            bytes: col(&|c| c.bytes),
                            attempts: col(&|c| u64::from(c.attempts)),
                            failures: col(&|c| u64::from(c.failures)),
                            sources: col(&|c| c.sources.estimate()),
                            destinations: col(&|c| c.destinations.estimate()),
                        })
                    });
                let mut totals = st.totals.clone();
                totals.sources = st.sources.estimate();
                totals.destinations = st.destinations.estimate();
                PortReport {
                    proto,
                    port,
                    service: services::name(proto, port).map(str::to_string),
                    score: best,
                    totals,
                    series,
                    pattern: patterns.remove(&(proto, port)),
                }
            })
            .collect();
        let one_way = c.engine.one_way();
        let scanners = detect::scanners(&c.engine, d);

        let several = self.outcomes.len() > 1;
        let mut warnings: Vec<Problem> = Vec::new();
        let mut error: Option<Problem> = None;
        for o in &self.outcomes {
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
        for (lt, n) in &c.links {
            if !decode::link_supported(*lt) {
                warnings.push(Problem {
                    code: "unsupported_link_type".into(),
                    message: format!(
                        "{} packets of link type {} ({}) were counted but not decoded",
                        n.packets,
                        lt,
                        decode::link_name(*lt)
                    ),
                    offset: None,
                });
            }
        }
        if c.too_deep > 0 {
            warnings.push(Problem {
                code: "tunnel_depth".into(),
                message: format!(
                    "{} packets nest deeper than the decoder follows (more than {} tunnel layers, or more VLAN tags than it reads): they are counted by an outer layer, without the ports of the packet inside",
                    c.too_deep,
                    decode::MAX_DEPTH
                ),
                offset: None,
            });
        }
        if let Some(t) = c.gate.first_outlier_ts() {
            warnings.push(Problem {
                code: "ts_outliers".into(),
                message: format!(
                    "{} packets are dated far from the rest of the capture (the first at {} µs since the epoch); they are counted in the totals but kept off the timeline",
                    c.gate.outliers(),
                    t
                ),
                offset: None,
            });
        }
        if one_way {
            warnings.push(Problem {
                code: "one_direction".into(),
                message: format!(
                    "{} of {} first contacts got an answer: the capture seems to hold one direction only (or every target was silent), so failures cannot be judged; scanners are convicted by spread alone ({} ports of one host or {} hosts on one port within 5 minutes)",
                    c.engine.stats.answered_contacts,
                    c.engine.stats.first_contacts,
                    engine::ZEEK_PORTS,
                    engine::ZEEK_HOSTS,
                ),
                offset: None,
            });
        }
        let st = c.engine.stats;
        if st.evicted_pending + st.evicted_udp + st.untracked_sources + st.evicted_sources > 0 {
            warnings.push(Problem {
                code: "state_bounded".into(),
                message: format!(
                    "connection state hit its memory bound: {} pending attempts judged early, {} UDP flows forgotten, {} sources forgotten, {} sources not tracked",
                    st.evicted_pending, st.evicted_udp, st.evicted_sources, st.untracked_sources
                ),
                offset: None,
            });
        }
        if st.trimmed_series > 0 {
            let kept = c.engine.ports.values().filter(|p| !p.series_off()).count();
            let off = c.engine.ports.len() - kept;
            warnings.push(Problem {
                code: "series_bounded".into(),
                message: format!(
                    "time series are kept for the {kept} busiest ports only: {off} quieter ports have totals but no timeline, and their distinct sources and destinations are counted to within {:.0}% (the memory bounds are {} cells and {} ports with a timeline)",
                    sketch::REL_ERROR_SMALL * 100.0,
                    c.engine.limits().cells,
                    c.engine.limits().details,
                ),
                offset: None,
            });
        }
        if st.unremembered_contacts > 0 {
            warnings.push(Problem {
                code: "contacts_bounded".into(),
                message: format!(
                    "{} contacts were not remembered (memory bound): sources past it may count a target more than once",
                    st.unremembered_contacts
                ),
                offset: None,
            });
        }
        let mut formats: Vec<&str> = self
            .outcomes
            .iter()
            .filter_map(|o| o.format)
            .map(|f| match f {
                capture::Format::Pcap => "pcap",
                capture::Format::Pcapng => "pcapng",
            })
            .collect();
        formats.dedup();
        let format = match formats.as_slice() {
            [] => None,
            [one] => Some(one.to_string()),
            _ => Some("mixed".to_string()),
        };
        let compression = self
            .outcomes
            .iter()
            .find_map(|o| o.compression)
            .map(|c| c.as_str().to_string());
        let mut annotations = Vec::new();
        let mut comments_dropped = 0;
        for o in &self.outcomes {
            comments_dropped += o.comments_dropped;
            for (ts, text) in &o.comments {
                let (start_ts, end_ts) = match ts {
                    Some(t) => (t.div_euclid(1000), t.div_euclid(1000)),
                    // A section's comment is about the whole capture.
                    None => (c.first_ts_us.unwrap_or(0), c.last_ts_us.unwrap_or(0)),
                };
                annotations.push(report::Annotation {
                    start_ts,
                    end_ts,
                    text: text.clone(),
                    source: "capture".into(),
                });
            }
        }
        if comments_dropped > 0 {
            warnings.push(Problem {
                code: "comments_bounded".into(),
                message: format!(
                    "{comments_dropped} more comments in the capture were not kept (at most {} a file)",
                    capture::MAX_COMMENTS
                ),
                offset: None,
            });
        }
        let drops: Vec<u64> = self.outcomes.iter().filter_map(|o| o.dropped).collect();
        let dropped_by_capture = (!drops.is_empty()).then(|| drops.iter().sum());

        Report {
            schema: report::SCHEMA.to_string(),
            generator: Generator {
                name: "portspike".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            params: ParamsEcho {
                key: self.params.key,
                bin_width_us: width,
                bin_width_fixed: self.params.bin_width_us.is_some(),
                series_top: self.params.series_top,
                detection: self.params.detection.clone(),
            },
            capture: CaptureSummary {
                format,
                compression,
                files: self.files.clone(),
                file_bytes: self.bytes,
                packets: c.packets,
                wire_bytes: c.wire_bytes,
                first_ts: c.first_ts_us,
                last_ts: c.last_ts_us,
                link_types: c
                    .links
                    .iter()
                    .map(|(lt, n)| LinkTypeCount {
                        linktype: *lt,
                        name: decode::link_name(*lt),
                        packets: n.packets,
                        decoded: n.decoded,
                    })
                    .collect(),
                decode_errors: c.decode_errors,
                dropped_by_capture,
                ts_outliers: c.gate.outliers(),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, Cap, S, T0};

    #[test]
    fn the_incident_is_one_sweep_and_one_scanner() {
        let r = crate::analyze_bytes(&fixture::incident(), Params::default());
        assert_eq!(r.capture.packets, 60 * 3 * 3 + 200 + 20);
        let sweeps: Vec<_> = r.spikes.iter().filter(|s| s.port == 445).collect();
        assert_eq!(sweeps.len(), 1, "{}", r.to_json_pretty());
        assert_eq!(sweeps[0].kind, "sweep");
        assert!(sweeps[0].new_port);
        assert_eq!(r.ports[0].port, 445, "the finding ranks first");
        assert_eq!(r.scanners.len(), 1);
        assert_eq!(r.scanners[0].source, "10.9.9.9");
        assert_eq!(r.scanners[0].kind, "horizontal");
    }

    #[test]
    fn chunk_sizes_do_not_change_the_report() {
        let bytes = fixture::incident();
        let whole = crate::analyze_bytes(&bytes, Params::default());
        for size in [1, 7, 4096] {
            let mut a = Analyzer::new(Params::default());
            for c in bytes.chunks(size) {
                a.feed(c);
            }
            assert_eq!(a.progress().bytes, bytes.len() as u64);
            assert_eq!(a.finish(), whole, "chunks of {size}");
        }
    }

    #[test]
    fn files_of_a_set_share_one_timeline_in_any_order() {
        let mut early = Cap::default();
        let mut late = Cap::default();
        early.handshake(T0, [10, 0, 0, 2], [10, 0, 0, 1], 40000, 80);
        late.handshake(T0 + 60 * S, [10, 0, 0, 2], [10, 0, 0, 1], 40001, 80);
        let (early, late) = (early.pcap(), late.pcap());
        let mut a = Analyzer::new(Params::default());
        a.begin_file("late.pcap", late.len() as u64, None);
        a.feed(&late);
        a.begin_file("early.pcap", early.len() as u64, None);
        a.feed(&early);
        let r = a.finish();
        assert_eq!(r.capture.files.len(), 2);
        assert_eq!(r.capture.files[1].name, "early.pcap");
        assert_eq!(r.capture.packets, 6);
        assert_eq!(r.capture.first_ts, Some(T0 / 1000));
        assert_eq!(r.capture.last_ts, Some((T0 + 60 * S + S / 50) / 1000));
        assert_eq!(r.ports[0].totals.attempts, 2);
    }

    #[test]
    fn a_read_failure_keeps_what_came_before_and_says_where() {
        let bytes = fixture::incident();
        let mut a = Analyzer::new(Params::default());
        a.feed(&bytes[..1000]);
        a.read_failed("disk gone");
        a.read_failed("again");
        let r = a.finish();
        let e = r.capture.error.unwrap();
        assert_eq!(e.code, "read_failed");
        assert_eq!(e.offset, Some(1000));
        assert!(e.message.ends_with("disk gone"));
        assert!(r.capture.packets > 0);
    }

    #[test]
    fn a_preview_lists_at_most_its_ports_and_timelines() {
        let mut c = Cap::default();
        for p in 0..30u16 {
            for i in 0..200 {
                c.udp(
                    T0 + i * S / 10,
                    [10, 0, 0, 2],
                    [10, 0, 0, 1],
                    40000 + p,
                    1000 + p,
                );
            }
        }
        let mut a = Analyzer::new(Params::default());
        a.feed(&c.pcap());
        let p = a.preview();
        assert_eq!(p.ports.len(), 30);
        let timelines = p.ports.iter().filter(|p| p.series.is_some()).count();
        assert_eq!(timelines, PREVIEW_SERIES);
        assert_eq!(a.progress().packets, 6000);
        assert_eq!(
            a.finish()
                .ports
                .iter()
                .filter(|p| p.series.is_some())
                .count(),
            30
        );
    }

    #[test]
    fn an_uncompressed_file_gets_its_time_index() {
        let (r, index) = Analyzer::new(Params::default()).finish_with_index();
        assert_eq!(r.capture.packets, 0);
        assert_eq!(index.len(), 1);
        let bytes = fixture::incident();
        let mut a = Analyzer::new(Params::default());
        a.feed(&bytes);
        let (_, index) = a.finish_with_index();
        assert!(index[0].is_some());
    }
}
