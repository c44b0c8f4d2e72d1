//! The streaming analyzer: capture bytes in, a [`Report`] out.
//!
//! An [`Analyzer`] takes a capture's bytes in chunks of any size
//! ([`Analyzer::feed`]), one file after another for a rotated set
//! ([`Analyzer::begin_file`]): each file is decompressed and framed, each
//! frame decoded and held at the time gate, then counted by the [`Engine`].
//! [`Analyzer::finish`] turns the counts into the report.

use crate::capture::{self, Frame, Reader};
use crate::decode::{self, Decoded};
use crate::engine::{self, Engine};
use crate::params::Params;
use crate::report::build::{self, FileOutcome, LinkCount};
use crate::report::{FileEntry, Problem, ProblemCode, Report};
use crate::{compress, summary, timegate};
use crate::{PREVIEW_PORTS, PREVIEW_SERIES};
use std::collections::BTreeMap;

/// Progress so far, for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub packets: u64,
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
    /// Frames counted in no row (no IP in them, or not decoded), and their wire bytes.
    pub(crate) no_row: (u64, u64),
    /// Coarsen a chosen bin width past what the timelines may hold (not for
    /// summaries, whose rows keep their width).
    pub(crate) bound_grid: bool,
    pub(crate) gate: timegate::TimeGate<Rec>,
    pub(crate) engine: Engine,
    /// Only packets with times in `[.0, .1)` µs are counted (see
    /// [`Analyzer::keep_between`]).
    pub(crate) keep: Option<(i64, i64)>,
}

impl Counts {
    fn frame(&mut self, f: Frame<'_>) {
        let ts_us = f.ts_ns.div_euclid(1000);
        if self.keep.is_some_and(|(a, b)| ts_us < a || ts_us >= b) {
            return;
        }
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
            other => {
                match other {
                    Decoded::NotIp => link.decoded += 1,
                    Decoded::Malformed => self.decode_errors += 1,
                    _ => {}
                }
                self.no_row.0 += 1;
                self.no_row.1 += u64::from(f.orig_len);
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
        if let (Some(a), Some(b)) = (self.first_ts_us, self.last_ts_us) {
            self.engine.settle_width(self.packets, b - a);
        }
        if self.bound_grid {
            self.engine.bound_grid();
        }
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
                        code: ProblemCode::BadCompression,
                        message: d.message.clone(),
                        offset: Some(d.offset),
                    }),
                    (None, Some(e)) => Some(Problem {
                        code: e.code,
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
                    code: w.code,
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
            no_row: (0, 0),
            bound_grid: true,
            gate: timegate::TimeGate::default(),
            engine: Engine::new(params.key, params.bin_width_us, limits),
            keep: None,
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
                code: ProblemCode::ReadFailed,
                message: format!("the file could not be read past here: {message}"),
                offset: Some(self.file.bytes),
            });
        }
    }

    /// Count only the packets from `t0_us` (included) to `t1_us` (excluded),
    /// as if the capture held no others: the part of a capture before or
    /// after a moment, to compare the two.
    pub fn keep_between(&mut self, t0_us: i64, t1_us: i64) {
        self.counts.keep = Some((t0_us, t1_us));
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
        // Rows keep the width asked for.
        self.counts.bound_grid = false;
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
        let inputs = build::Inputs {
            params: &self.params,
            engine: &c.engine,
            tally: build::Tally {
                packets: c.packets,
                wire_bytes: c.wire_bytes,
                first_ts_us: c.first_ts_us,
                last_ts_us: c.last_ts_us,
                links: &c.links,
                decode_errors: c.decode_errors,
                too_deep: c.too_deep,
                no_row: c.no_row,
                outliers: c.gate.outliers(),
                first_outlier_ts: c.gate.first_outlier_ts(),
            },
            files: &self.files,
            file_bytes: self.bytes,
            outcomes: &self.outcomes,
        };
        build::build(&inputs, max_ports, series_top)
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
        let mut one = Analyzer::new(Params::default());
        one.feed(&bytes);
        let whole = one.finish();
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
