//! The time → offset index a reader builds while framing: segments of the
//! stream with the time range of their packets, and the preambles a fresh
//! reader needs to start in each.

use super::{Reader, MAX_INDEX_PREAMBLE_BYTES, MAX_PREAMBLE};
use crate::report::ProblemCode;
use serde::Serialize;

/// A stretch of the file whose records can be read on their own, given a
/// preamble (see [`Reader::preamble`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Byte range in the (uncompressed) stream; `end` is the next segment's start.
    pub start: u64,
    pub end: u64,
    /// Timestamp range of the packets in it (µs).
    pub min_ts_us: i64,
    pub max_ts_us: i64,
    /// Index into [`Index::preambles`].
    pub preamble: usize,
    /// Records in it (a second read of its bytes must find as many).
    pub records: u64,
}

/// Records read in a range of bytes and their time span (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub records: u64,
    pub min_ts_us: i64,
    pub max_ts_us: i64,
}

impl Held {
    /// Nothing read yet.
    pub const NONE: Held = Held {
        records: 0,
        min_ts_us: i64::MAX,
        max_ts_us: i64::MIN,
    };

    /// One more record at `ts_us`.
    pub fn add(&mut self, ts_us: i64) {
        self.records += 1;
        self.min_ts_us = self.min_ts_us.min(ts_us);
        self.max_ts_us = self.max_ts_us.max(ts_us);
    }
}

/// A time → file-offset index: which byte ranges hold the packets of a time
/// window, and the header bytes that let a new reader start there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Index {
    pub preambles: Vec<Vec<u8>>,
    pub segments: Vec<Segment>,
    /// Too many sections to index: windows cannot be re-read.
    pub overflow: bool,
    /// Bytes a segment spans before the next begins: [`SEGMENT_BYTES`],
    /// doubled each time the index fills up.
    pub segment_bytes: u64,
}

/// A new segment starts after this many bytes (at first).
pub const SEGMENT_BYTES: u64 = 64 << 10;
/// Bounds on the index: past `MAX_SEGMENTS`, neighbours merge.
pub const MAX_SEGMENTS: usize = 1 << 14;
const MAX_PREAMBLES: usize = 256;

impl Index {
    /// Halve the segment count: merge neighbours that share a preamble.
    fn merge_pairs(&mut self) {
        self.segment_bytes = self.segment_bytes.max(SEGMENT_BYTES) * 2;
        let mut out: Vec<Segment> = Vec::with_capacity(self.segments.len() / 2 + 1);
        let mut pending: Option<Segment> = None;
        for sg in self.segments.drain(..) {
            match pending.take() {
                Some(mut a) if a.preamble == sg.preamble && a.end == sg.start => {
                    a.end = sg.end;
                    a.records += sg.records;
                    a.min_ts_us = a.min_ts_us.min(sg.min_ts_us);
                    a.max_ts_us = a.max_ts_us.max(sg.max_ts_us);
                    out.push(a);
                }
                Some(a) => {
                    out.push(a);
                    pending = Some(sg);
                }
                None => pending = Some(sg),
            }
        }
        out.extend(pending);
        self.segments = out;
    }

    /// What the first read found in the bytes `[start, end)` (a range
    /// [`Index::ranges_any`] gave): its records and their time span, for a
    /// second read to compare (has the file changed in between?).
    pub fn held(&self, start: u64, end: u64) -> Held {
        let mut h = Held::NONE;
        for sg in self
            .segments
            .iter()
            .filter(|sg| sg.start >= start && sg.end <= end)
        {
            h.records += sg.records;
            h.min_ts_us = h.min_ts_us.min(sg.min_ts_us);
            h.max_ts_us = h.max_ts_us.max(sg.max_ts_us);
        }
        h
    }

    /// The byte ranges (with their preamble) holding packets of `[t0, t1)`
    /// µs, adjacent segments merged; `None` if the index overflowed.
    pub fn ranges(&self, t0: i64, t1: i64) -> Option<Vec<(usize, u64, u64)>> {
        self.ranges_any(&[(t0, t1)])
    }

    /// The byte ranges holding packets of any of `windows`: each segment
    /// once, in file order, however the windows overlap.
    pub fn ranges_any(&self, windows: &[(i64, i64)]) -> Option<Vec<(usize, u64, u64)>> {
        if self.overflow {
            return None;
        }
        let mut out: Vec<(usize, u64, u64)> = Vec::new();
        for sg in &self.segments {
            if !windows
                .iter()
                .any(|&(t0, t1)| sg.max_ts_us >= t0 && sg.min_ts_us < t1)
            {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.0 == sg.preamble && last.2 == sg.start => last.2 = sg.end,
                _ => out.push((sg.preamble, sg.start, sg.end)),
            }
        }
        Some(out)
    }
}

impl Reader {
    /// Keep the index under `n` segments (default [`MAX_SEGMENTS`]).
    pub fn set_index_limit(&mut self, n: usize) {
        self.max_segments = n.max(2);
    }

    /// Keep no time index and no preamble (for input whose offsets cannot be
    /// sought, such as a decompressed stream): [`Reader::take_index`] then
    /// returns an index that has overflowed.
    pub fn no_index(&mut self) {
        if !self.no_index {
            self.no_index = true;
            self.index = Index {
                overflow: true,
                ..Index::default()
            };
            self.index_bytes = 0;
            self.preamble = Vec::new();
        }
    }

    /// Close and hand over the time → offset index (offsets in the stream
    /// fed, so only meaningful for uncompressed input).
    pub fn take_index(&mut self) -> Index {
        let end = self.offset + self.pending() as u64;
        if let Some(last) = self.index.segments.last_mut() {
            last.end = end;
        }
        std::mem::take(&mut self.index)
    }

    /// Note a record at the current offset in the index.
    pub(super) fn index_record(&mut self, ts_ns: i64) {
        if self.index.overflow {
            return;
        }
        if self.indexed_gen != self.preamble_gen || self.index.preambles.is_empty() {
            let bytes = self.index_bytes + self.preamble.len();
            if self.preamble_dropped
                || self.index.preambles.len() >= MAX_PREAMBLES
                || bytes > MAX_INDEX_PREAMBLE_BYTES
            {
                self.index_overflow();
                return;
            }
            self.index.preambles.push(self.preamble.clone());
            self.index_bytes = bytes;
            self.indexed_gen = self.preamble_gen;
        }
        let ix = &mut self.index;
        let ts = ts_ns.div_euclid(1000);
        let p = ix.preambles.len() - 1;
        let off = self.offset;
        match ix.segments.last_mut() {
            Some(sg)
                if sg.preamble == p && off - sg.start < ix.segment_bytes.max(SEGMENT_BYTES) =>
            {
                sg.min_ts_us = sg.min_ts_us.min(ts);
                sg.max_ts_us = sg.max_ts_us.max(ts);
                sg.records += 1;
                sg.end = off;
            }
            _ => {
                if ix.segments.len() >= self.max_segments {
                    ix.merge_pairs();
                }
                if let Some(last) = ix.segments.last_mut() {
                    last.end = off;
                }
                ix.segments.push(Segment {
                    start: off,
                    end: off,
                    min_ts_us: ts,
                    max_ts_us: ts,
                    preamble: p,
                    records: 1,
                });
            }
        }
    }

    /// The index cannot hold this file: drop it (windows cannot be re-read).
    pub(super) fn index_overflow(&mut self) {
        let off = self.offset;
        self.index = Index {
            overflow: true,
            ..Index::default()
        };
        self.index_bytes = 0;
        self.preamble = Vec::new();
        self.preamble_dropped = true;
        self.warn(
            ProblemCode::IndexBounded,
            format!(
                "the headers before offset {off} (pcapng sections and interfaces) pass the time index's bounds ({MAX_PREAMBLES} preambles, {} KiB each, {} MiB in all): this file has no index, so a time window cannot be read again at a finer width",
                MAX_PREAMBLE >> 10,
                MAX_INDEX_PREAMBLE_BYTES >> 20
            ),
            off,
        );
    }

    /// Keep `block` as the preamble (a section header: `fresh`) or add it
    /// (an interface block), within [`MAX_PREAMBLE`].
    pub(super) fn keep_preamble(&mut self, block: &[u8], fresh: bool) {
        self.preamble_gen += 1;
        if self.no_index || self.preamble_dropped {
            return;
        }
        let len = if fresh { 0 } else { self.preamble.len() };
        if len + block.len() > MAX_PREAMBLE {
            self.index_overflow();
            return;
        }
        if fresh {
            self.preamble.clear();
        }
        self.preamble.extend_from_slice(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: u64, end: u64, ts: (i64, i64), preamble: usize) -> Segment {
        Segment {
            start,
            end,
            min_ts_us: ts.0,
            max_ts_us: ts.1,
            preamble,
            records: 1,
        }
    }

    fn index() -> Index {
        Index {
            preambles: vec![vec![1], vec![2]],
            segments: vec![
                seg(0, 10, (0, 5), 0),
                seg(10, 20, (6, 9), 0),
                seg(20, 30, (100, 200), 0),
                seg(30, 40, (201, 300), 1),
                seg(40, 50, (301, 400), 1),
            ],
            overflow: false,
            segment_bytes: SEGMENT_BYTES,
        }
    }

    #[test]
    fn a_window_gets_its_segments_adjacent_ones_of_a_preamble_merged() {
        let ix = index();
        assert_eq!(ix.ranges(0, 10), Some(vec![(0, 0, 20)]));
        assert_eq!(ix.ranges(150, 250), Some(vec![(0, 20, 30), (1, 30, 40)]));
        // Half-open: a segment starting at t1 is out, one ending before t0 too.
        assert_eq!(ix.ranges(10, 100), Some(vec![]));
        let mut full = ix;
        full.overflow = true;
        assert_eq!(full.ranges(0, 10), None);
    }

    #[test]
    fn merging_pairs_halves_the_segments_within_a_preamble() {
        let mut ix = index();
        ix.merge_pairs();
        assert_eq!(
            ix.segments,
            [
                Segment {
                    records: 2,
                    ..seg(0, 20, (0, 9), 0)
                },
                // No partner left in its preamble: kept as it was.
                seg(20, 30, (100, 200), 0),
                Segment {
                    records: 2,
                    ..seg(30, 50, (201, 400), 1)
                },
            ]
        );
        // What the merged segments held, for a second read to compare.
        assert_eq!(
            ix.held(0, 30),
            Held {
                records: 3,
                min_ts_us: 0,
                max_ts_us: 200
            }
        );
        assert_eq!(ix.segment_bytes, 2 * SEGMENT_BYTES);
    }
}
