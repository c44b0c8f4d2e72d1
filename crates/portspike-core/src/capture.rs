//! Capture framing: classic pcap and pcapng, sans-IO.
//!
//! [`Reader::feed`] takes bytes in chunks of any size and hands every complete
//! record to a callback as a [`Frame`] borrowing the bytes; only an incomplete
//! record at the end of a chunk is copied into an internal buffer, which never
//! grows past one record (records longer than [`MAX_RECORD`] are an error, so a
//! corrupt length field never drives an allocation).
//!
//! The framing is ours rather than pcap-file's typed parsers because those reject
//! records that tshark reads (captured length above the snaplen, timestamp
//! fractions out of range, non-UTF-8 pcapng options, the a1b2cd34 magic).

use serde::Serialize;

/// Longest record or block accepted (bytes). Larger length fields are corrupt.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;
/// How far ahead of the parser [`Reader::feed`] reads its input into cache.
const TOUCH_AHEAD: usize = 64 << 10;
/// Longest preamble kept (a pcapng section header and its interface blocks;
/// real ones are a few hundred bytes). Past it the file gets no time index.
pub const MAX_PREAMBLE: usize = 256 << 10;
/// Bytes of preambles the time index holds in all. Past it, no index.
pub const MAX_INDEX_PREAMBLE_BYTES: usize = 4 << 20;
/// Interfaces described in one pcapng section that are followed; later
/// interface blocks are skipped with a warning (and so are their packets).
pub const MAX_INTERFACES: usize = 1 << 16;

/// One captured packet, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Link type (LINKTYPE_* value, FCS bits removed).
    pub linktype: u32,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Original length on the wire.
    pub orig_len: u32,
    /// Byte offset of the record in the input stream.
    pub offset: u64,
}

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

    /// The byte ranges (with their preamble) holding packets of `[t0, t1)`
    /// µs, adjacent segments merged; `None` if the index overflowed.
    pub fn ranges(&self, t0: i64, t1: i64) -> Option<Vec<(usize, u64, u64)>> {
        if self.overflow {
            return None;
        }
        let mut out: Vec<(usize, u64, u64)> = Vec::new();
        for sg in &self.segments {
            if sg.max_ts_us < t0 || sg.min_ts_us >= t1 {
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

/// Container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap,
    Pcapng,
}

/// A fault that stops reading, with the offset of the record or block that
/// could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureError {
    pub code: &'static str,
    pub message: String,
    pub offset: Option<u64>,
}

/// A fault the reader stepped over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(s),
            Endian::Big => u16::from_be_bytes(s),
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(s),
            Endian::Big => u32::from_be_bytes(s),
        })
    }
    fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(s),
            Endian::Big => u64::from_be_bytes(s),
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug)]
enum State {
    /// Nothing read yet.
    Start,
    Pcap {
        endian: Endian,
        nanos: bool,
        /// Record header length: 16, or 24 for the "modified" a1b2cd34 format.
        rec_hdr: usize,
        linktype: u32,
    },
    Pcapng {
        endian: Endian,
        interfaces: Vec<Interface>,
        /// A valid section header has been read (resynchronising needs one).
        section_seen: bool,
        /// Scanning for the next valid block after corruption that began here.
        resync_from: Option<u64>,
    },
    Failed,
}

/// Outcome of one parsing step over the front of the available bytes.
enum Step {
    /// This many bytes were consumed.
    Consumed(usize),
    /// At least this many bytes are needed in total before progress is possible.
    Need(usize),
}

/// Sans-IO capture reader.
#[derive(Debug)]
pub struct Reader {
    state: State,
    /// Bytes carried over between chunks; those before `pos` are consumed
    /// (moved out only when the rest is no longer than them, so every byte is
    /// copied a bounded number of times however small the steps).
    buf: Vec<u8>,
    pos: usize,
    /// Bytes copied into or within `buf` so far (the cost of buffering).
    copied: u64,
    /// Stream offset of `buf[pos]` (the next unread byte).
    offset: u64,
    format: Option<Format>,
    error: Option<CaptureError>,
    warnings: Vec<Warning>,
    /// Last timestamp seen, for blocks that carry none (pcapng Simple Packet).
    last_ts_ns: i64,
    /// pcapng interface drop counters (`isb_ifdrop`), latest per (section, interface).
    drops: Vec<u64>,
    drops_seen: bool,
    drops_base: usize,
    bad_fraction_seen: bool,
    /// The header bytes that put a fresh reader in the current state: the
    /// pcap file header, or the pcapng section header and interface blocks.
    preamble: Vec<u8>,
    /// Bumped whenever `preamble` changes.
    preamble_gen: u32,
    /// The preamble outgrew [`MAX_PREAMBLE`]: it is no longer kept.
    preamble_dropped: bool,
    index: Index,
    indexed_gen: u32,
    /// Preamble bytes held by `index`.
    index_bytes: usize,
    /// No index is wanted (compressed input): keep neither it nor the preamble.
    no_index: bool,
    /// The input has ended: a block that would run past it is no block.
    at_eof: bool,
    max_segments: usize,
    /// Comments found in the capture (pcapng `opt_comment`): the packet's
    /// time, or `None` for a section's; at most [`MAX_COMMENTS`].
    comments: Vec<(Option<i64>, String)>,
    comments_dropped: u64,
}

/// Comments kept from one file (more are counted, not kept)…
pub const MAX_COMMENTS: usize = 1000;
/// …each cut to this many bytes.
pub const MAX_COMMENT_BYTES: usize = 1024;

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Reader {
    pub fn new() -> Self {
        Reader {
            state: State::Start,
            buf: Vec::new(),
            pos: 0,
            copied: 0,
            offset: 0,
            format: None,
            error: None,
            warnings: Vec::new(),
            last_ts_ns: 0,
            drops: Vec::new(),
            drops_seen: false,
            comments: Vec::new(),
            comments_dropped: 0,
            drops_base: 0,
            bad_fraction_seen: false,
            preamble: Vec::new(),
            preamble_gen: 0,
            preamble_dropped: false,
            index: Index::default(),
            indexed_gen: 0,
            index_bytes: 0,
            no_index: false,
            at_eof: false,
            max_segments: MAX_SEGMENTS,
        }
    }

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

    /// Bytes copied into or within the carry-over buffer so far: at most a
    /// small multiple of the bytes fed, whatever they are.
    pub fn bytes_copied(&self) -> u64 {
        self.copied
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
    fn index_record(&mut self, ts_ns: i64) {
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
                });
            }
        }
    }

    /// The index cannot hold this file: drop it (windows cannot be re-read).
    fn index_overflow(&mut self) {
        let off = self.offset;
        self.index = Index {
            overflow: true,
            ..Index::default()
        };
        self.index_bytes = 0;
        self.preamble = Vec::new();
        self.preamble_dropped = true;
        self.warn(
            "index_bounded",
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
    fn keep_preamble(&mut self, block: &[u8], fresh: bool) {
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

    /// Bytes buffered and not yet consumed.
    fn pending(&self) -> usize {
        self.buf.len() - self.pos.min(self.buf.len())
    }

    /// Append to the carry-over buffer, first moving the unconsumed bytes to
    /// its front when they are no more than the consumed ones (so the move
    /// costs no more than what was consumed since the last one).
    fn buffer(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pending() <= self.pos {
            self.copied += self.pending() as u64;
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.copied += bytes.len() as u64;
        self.buf.extend_from_slice(bytes);
    }

    /// The header bytes that, fed to a new reader, let it read on from any
    /// record boundary after the current one (the file header, or the current
    /// pcapng section's header and interface blocks), and a number that
    /// changes whenever they do.
    pub fn preamble(&self) -> (&[u8], u32) {
        (&self.preamble, self.preamble_gen)
    }

    /// The container format, once the header has been read.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The fault that stopped reading, if any.
    pub fn error(&self) -> Option<&CaptureError> {
        self.error.as_ref()
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Comments of the capture (pcapng `opt_comment`): each with its
    /// packet's time (ns), or `None` for a section's comment; and how many
    /// more there were past [`MAX_COMMENTS`].
    pub fn comments(&self) -> (&[(Option<i64>, String)], u64) {
        (&self.comments, self.comments_dropped)
    }

    fn comment(&mut self, ts_ns: Option<i64>, raw: &[u8]) {
        if self.comments.len() >= MAX_COMMENTS {
            self.comments_dropped += 1;
            return;
        }
        let raw = raw.get(..MAX_COMMENT_BYTES).unwrap_or(raw);
        let text = String::from_utf8_lossy(raw)
            .trim_end_matches('\0')
            .trim()
            .to_string();
        if !text.is_empty() {
            self.comments.push((ts_ns, text));
        }
    }

    /// Packets the capturing interfaces reported dropping (pcapng statistics).
    pub fn dropped_by_capture(&self) -> Option<u64> {
        self.drops_seen.then(|| self.drops.iter().sum())
    }

    /// Feed the next chunk of the stream; `on_frame` is called for every
    /// complete packet record, in order.
    pub fn feed(&mut self, mut chunk: &[u8], on_frame: &mut dyn FnMut(Frame<'_>)) {
        // Complete a record split across chunks first.
        while self.pending() > 0 && !chunk.is_empty() {
            if matches!(self.state, State::Failed) {
                return;
            }
            match self.step_buffered(on_frame) {
                Some(Step::Consumed(_)) => {}
                Some(Step::Need(total)) => {
                    let want = total.saturating_sub(self.pending()).min(chunk.len());
                    if want == 0 {
                        return;
                    }
                    let (head, rest) = chunk.split_at(want);
                    self.buffer(head);
                    chunk = rest;
                }
                None => return,
            }
        }
        if matches!(self.state, State::Failed) {
            return;
        }
        if self.pending() > 0 {
            // Still incomplete and the chunk is used up; try with what we have.
            loop {
                match self.step_buffered(on_frame) {
                    Some(Step::Consumed(_)) if self.pending() > 0 => {}
                    _ => return,
                }
            }
        }
        // Fast path: parse straight from the chunk, reading the stretch ahead
        // into cache first, one byte a line in order. The hardware prefetches
        // such a walk at full speed; a walk from record to record (uneven
        // lengths) defeats it and waits on memory at every record.
        let whole = chunk;
        let (mut touched, mut sink) = (0usize, 0u8);
        while !chunk.is_empty() {
            let at = whole.len() - chunk.len();
            let ahead = (at + TOUCH_AHEAD).min(whole.len());
            while touched < ahead {
                sink ^= whole.get(touched).copied().unwrap_or(0);
                touched += 64;
            }
            match self.step(chunk, on_frame) {
                Some(Step::Consumed(n)) => {
                    chunk = chunk.get(n..).unwrap_or_default();
                    self.offset += n as u64;
                }
                Some(Step::Need(_)) => {
                    self.buffer(chunk);
                    break;
                }
                None => break,
            }
        }
        std::hint::black_box(sink);
    }

    /// One step over the buffered bytes; what it consumes is passed over
    /// (never moved: see [`Reader::buffer`]).
    fn step_buffered(&mut self, on_frame: &mut dyn FnMut(Frame<'_>)) -> Option<Step> {
        let buf = std::mem::take(&mut self.buf);
        let step = self.step(buf.get(self.pos..).unwrap_or_default(), on_frame);
        if matches!(self.state, State::Failed) {
            self.pos = 0;
            return step;
        }
        self.buf = buf;
        if let Some(Step::Consumed(n)) = step {
            let n = n.min(self.pending());
            self.pos += n;
            self.offset += n as u64;
            if self.pos >= self.buf.len() {
                self.buf.clear();
                self.pos = 0;
            }
        }
        step
    }

    /// End of input: a partial record left over is reported as truncated.
    /// Packets found in the bytes left over (see [`Reader::finish_with`]) are
    /// not delivered.
    pub fn finish(&mut self) {
        self.finish_with(&mut |_| {});
    }

    /// End of input. Inside a pcapng section, a block whose length runs past
    /// the end (a corrupt length field) is skipped when a valid block follows
    /// it, as a corrupt block anywhere else is, and the packets of the blocks
    /// after it go to `on_frame`; a partial record left over is reported as
    /// truncated.
    pub fn finish_with(&mut self, on_frame: &mut dyn FnMut(Frame<'_>)) {
        if matches!(self.state, State::Failed) {
            return;
        }
        if matches!(self.state, State::Start) {
            let what = describe_magic(self.buf.get(self.pos..).unwrap_or_default());
            self.fail("not_a_capture", format!("not a pcap/pcapng file: {what}"));
            return;
        }
        self.at_eof = true;
        if let State::Pcapng {
            endian,
            section_seen: true,
            resync_from: None,
            ..
        } = self.state
        {
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            if rest.len() >= 16 && next_block(rest, endian, 4).is_some() {
                let off = self.offset;
                let btype = endian.u32(rest, 0).unwrap_or(0);
                let blen = endian.u32(rest, 4).unwrap_or(0);
                self.warn(
                    "bad_block",
                    format!("pcapng block of type {btype:#x} claims {blen} bytes, past the end of the capture; looking for the next valid block"),
                    off,
                );
                if let State::Pcapng { resync_from, .. } = &mut self.state {
                    *resync_from = Some(off);
                }
            }
        }
        let resyncing = matches!(
            self.state,
            State::Pcapng {
                resync_from: Some(_),
                ..
            }
        );
        if resyncing {
            // Each step consumes, or stops at a block cut short by the end.
            while self.pending() > 0 {
                match self.step_buffered(on_frame) {
                    Some(Step::Consumed(_)) => {}
                    _ => break,
                }
            }
        }
        if matches!(self.state, State::Failed) {
            return;
        }
        if let State::Pcapng {
            resync_from: Some(from),
            ..
        } = self.state
        {
            self.offset = from;
            self.fail(
                "bad_block",
                "pcapng data is corrupt from here to the end; no valid block follows".into(),
            );
            return;
        }
        if self.pending() > 0 {
            let have = self.pending();
            let what = match self.state {
                State::Pcapng { .. } => "block",
                _ => "record",
            };
            self.fail(
                "truncated",
                format!("capture ends inside a {what}: {have} bytes of it present"),
            );
        }
    }

    fn fail(&mut self, code: &'static str, message: String) {
        self.error = Some(CaptureError {
            code,
            message,
            offset: Some(self.offset),
        });
        self.state = State::Failed;
        self.buf = Vec::new();
        self.pos = 0;
    }

    fn warn(&mut self, code: &'static str, message: String, offset: u64) {
        // Keep the list short: the first of each kind carries the detail.
        if self.warnings.len() < 64 {
            self.warnings.push(Warning {
                code,
                message,
                offset: Some(offset),
            });
        }
    }

    /// Parse one unit (file header, record or block) from the front of `b`.
    /// `None` means the reader failed.
    fn step(&mut self, b: &[u8], on_frame: &mut dyn FnMut(Frame<'_>)) -> Option<Step> {
        match self.state {
            State::Start => self.read_magic(b),
            State::Pcap {
                endian,
                nanos,
                rec_hdr,
                linktype,
            } => self.pcap_record(b, endian, nanos, rec_hdr, linktype, on_frame),
            State::Pcapng { .. } => self.pcapng_block(b, on_frame),
            State::Failed => None,
        }
    }

    fn read_magic(&mut self, b: &[u8]) -> Option<Step> {
        let Some(magic) = b.get(..4) else {
            return Some(Step::Need(4));
        };
        let (endian, nanos, rec_hdr) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (Endian::Little, false, 16),
            [0xa1, 0xb2, 0xc3, 0xd4] => (Endian::Big, false, 16),
            [0x4d, 0x3c, 0xb2, 0xa1] => (Endian::Little, true, 16),
            [0xa1, 0xb2, 0x3c, 0x4d] => (Endian::Big, true, 16),
            [0x34, 0xcd, 0xb2, 0xa1] => (Endian::Little, false, 24),
            [0xa1, 0xb2, 0xcd, 0x34] => (Endian::Big, false, 24),
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                self.state = State::Pcapng {
                    endian: Endian::Little,
                    interfaces: Vec::new(),
                    section_seen: false,
                    resync_from: None,
                };
                self.format = Some(Format::Pcapng);
                return Some(Step::Consumed(0));
            }
            _ if b.len() < 8 => return Some(Step::Need(8)),
            _ => {
                let what = describe_magic(b);
                self.fail("not_a_capture", format!("not a pcap/pcapng file: {what}"));
                return None;
            }
        };
        if b.len() < 24 {
            return Some(Step::Need(24));
        }
        let major = endian.u16(b, 4)?;
        if major != 2 {
            let minor = endian.u16(b, 6)?;
            self.fail(
                "unsupported_version",
                format!("pcap file header has version {major}.{minor}; only 2.x exists"),
            );
            return None;
        }
        let network = endian.u32(b, 20)?;
        // Low 16 bits: link type; bits 16–25 reserved (must be zero); above: FCS length.
        if network & 0x03FF_0000 != 0 {
            self.fail(
                "bad_link_type",
                format!("pcap file header's link-type field {network:#010x} has reserved bits set"),
            );
            return None;
        }
        self.state = State::Pcap {
            endian,
            nanos,
            rec_hdr,
            linktype: network & 0xFFFF,
        };
        self.format = Some(Format::Pcap);
        self.keep_preamble(b.get(..24).unwrap_or_default(), true);
        Some(Step::Consumed(24))
    }

    fn pcap_record(
        &mut self,
        b: &[u8],
        endian: Endian,
        nanos: bool,
        rec_hdr: usize,
        linktype: u32,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) -> Option<Step> {
        if b.len() < rec_hdr {
            return Some(Step::Need(rec_hdr));
        }
        let sec = endian.u32(b, 0)?;
        let frac = endian.u32(b, 4)?;
        let caplen = endian.u32(b, 8)? as usize;
        let orig_len = endian.u32(b, 12)?;
        if caplen > MAX_RECORD {
            self.fail(
                "record_too_long",
                format!("pcap record claims {caplen} captured bytes (limit {MAX_RECORD})"),
            );
            return None;
        }
        let total = rec_hdr + caplen;
        let Some(data) = b.get(rec_hdr..total) else {
            return Some(Step::Need(total));
        };
        let (unit, limit) = if nanos {
            (1, 1_000_000_000)
        } else {
            (1000, 1_000_000)
        };
        let frac = if frac >= limit {
            if !self.bad_fraction_seen {
                self.bad_fraction_seen = true;
                let off = self.offset;
                self.warn(
                    "bad_timestamp",
                    format!("record at offset {off} has a timestamp fraction of {frac}, past one second; the fraction was ignored (and in any later such record)"),
                    off,
                );
            }
            0
        } else {
            frac
        };
        let frac_ns = i64::from(frac) * unit;
        let ts_ns = i64::from(sec) * 1_000_000_000 + frac_ns;
        self.last_ts_ns = ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype,
            data,
            orig_len,
            offset: self.offset,
        });
        Some(Step::Consumed(total))
    }

    fn pcapng_block(&mut self, b: &[u8], on_frame: &mut dyn FnMut(Frame<'_>)) -> Option<Step> {
        if b.len() < 12 {
            return Some(Step::Need(12));
        }
        let State::Pcapng {
            endian,
            section_seen,
            resync_from,
            ..
        } = self.state
        else {
            return None;
        };
        if let Some(from) = resync_from {
            return Some(self.resync_step(b, endian, from));
        }
        let is_shb = b.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]);
        let endian = if is_shb {
            match b.get(8..12) {
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian::Little,
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian::Big,
                _ => {
                    self.fail(
                        "bad_section_header",
                        "pcapng section header has no byte-order magic".to_string(),
                    );
                    return None;
                }
            }
        } else {
            endian
        };
        let btype = endian.u32(b, 0)?;
        let blen = endian.u32(b, 4)? as usize;
        if blen < 12 || blen % 4 != 0 || blen > MAX_RECORD {
            return self.corrupt(
                section_seen,
                format!("pcapng block of type {btype:#x} has invalid length {blen}"),
            );
        }
        let Some(block) = b.get(..blen) else {
            return Some(Step::Need(blen));
        };
        let trailer = endian.u32(block, blen - 4)? as usize;
        if trailer != blen {
            return self.corrupt(
                section_seen,
                format!(
                    "pcapng block of type {btype:#x}: length {blen} at the start, {trailer} at the end"
                ),
            );
        }
        let body = block.get(8..blen - 4)?;
        match btype {
            0x0A0D_0D0A => self.keep_preamble(block, true),
            1 if self.interface_count() < MAX_INTERFACES => self.keep_preamble(block, false),
            _ => {}
        }
        match btype {
            0x0A0D_0D0A => self.pcapng_shb(body, endian),
            1 => self.pcapng_idb(body, endian),
            6 => self.pcapng_epb(body, endian, on_frame),
            3 => self.pcapng_spb(body, endian, on_frame),
            2 => self.pcapng_pb(body, endian, on_frame),
            5 => self.pcapng_isb(body, endian),
            _ => {}
        }
        if matches!(self.state, State::Failed) {
            return None;
        }
        Some(Step::Consumed(blen))
    }

    /// A block that cannot be read: fail, or (inside a valid section) start
    /// scanning for the next valid block.
    fn corrupt(&mut self, section_seen: bool, message: String) -> Option<Step> {
        if !section_seen {
            self.fail("bad_block_length", message);
            return None;
        }
        let off = self.offset;
        self.warn(
            "bad_block",
            format!("{message}; looking for the next valid block"),
            off,
        );
        if let State::Pcapng { resync_from, .. } = &mut self.state {
            *resync_from = Some(off);
        }
        Some(Step::Consumed(4))
    }

    /// While resynchronising: is a valid block at the front of `b`?
    fn resync_step(&mut self, b: &[u8], endian: Endian, from: u64) -> Step {
        let is_shb = b.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]);
        let endian = match (is_shb, b.get(8..12)) {
            (true, Some([0x4d, 0x3c, 0x2b, 0x1a])) => Endian::Little,
            (true, Some([0x1a, 0x2b, 0x3c, 0x4d])) => Endian::Big,
            _ => endian,
        };
        let (Some(btype), Some(blen)) = (endian.u32(b, 0), endian.u32(b, 4)) else {
            return Step::Need(12);
        };
        let blen = blen as usize;
        let known = matches!(btype, 0x0A0D_0D0A | 1 | 2 | 3 | 5 | 6);
        if !known || blen < 12 || blen % 4 != 0 || blen > MAX_RECORD {
            return Step::Consumed(4);
        }
        let Some(block) = b.get(..blen) else {
            return if self.at_eof {
                Step::Consumed(4)
            } else {
                Step::Need(blen)
            };
        };
        if endian.u32(block, blen - 4) != Some(blen as u32) {
            return Step::Consumed(4);
        }
        let off = self.offset;
        self.warn(
            "resynchronised",
            format!(
                "skipped {} corrupt bytes from offset {from}; reading resumed at the block at offset {off}",
                off - from
            ),
            off,
        );
        if let State::Pcapng { resync_from, .. } = &mut self.state {
            *resync_from = None;
        }
        Step::Consumed(0)
    }

    fn pcapng_shb(&mut self, body: &[u8], endian: Endian) {
        let major = endian.u16(body, 4).unwrap_or(0);
        if major != 1 {
            let minor = endian.u16(body, 6).unwrap_or(0);
            self.fail(
                "unsupported_version",
                format!("pcapng section header has version {major}.{minor}; only 1.x exists"),
            );
            return;
        }
        if let State::Pcapng {
            endian: e,
            interfaces,
            section_seen,
            ..
        } = &mut self.state
        {
            *e = endian;
            interfaces.clear();
            *section_seen = true;
        }
        self.drops_base = self.drops.len();
        for (code, value) in options(body.get(16..).unwrap_or_default(), endian) {
            if code == 1 {
                self.comment(None, value);
            }
        }
    }

    fn pcapng_idb(&mut self, body: &[u8], endian: Endian) {
        let Some(linktype) = endian.u16(body, 0) else {
            return;
        };
        if self.interface_count() >= MAX_INTERFACES {
            let off = self.offset;
            self.warn(
                "too_many_interfaces",
                format!("interface block at offset {off} describes more than {MAX_INTERFACES} interfaces in one section; it and its packets are skipped"),
                off,
            );
            return;
        }
        let snaplen = endian.u32(body, 4).unwrap_or(0);
        let mut iface = Interface {
            linktype: u32::from(linktype),
            snaplen,
            units_per_sec: 1_000_000,
            offset_s: 0,
        };
        for (code, value) in options(body.get(8..).unwrap_or_default(), endian) {
            match (code, value) {
                (9, [r, ..]) => {
                    let exp = u32::from(r & 0x7f);
                    let units = if r & 0x80 == 0 {
                        10u64.checked_pow(exp)
                    } else {
                        2u64.checked_pow(exp)
                    };
                    match units {
                        Some(u) if u > 0 => iface.units_per_sec = u,
                        _ => {
                            let off = self.offset;
                            self.warn(
                                "bad_tsresol",
                                format!("if_tsresol {r:#x} out of range; using microseconds"),
                                off,
                            );
                        }
                    }
                }
                (14, v) if v.len() >= 8 => {
                    iface.offset_s = endian.u64(v, 0).map(|x| x as i64).unwrap_or(0);
                }
                _ => {}
            }
        }
        if let State::Pcapng { interfaces, .. } = &mut self.state {
            interfaces.push(iface);
        }
        let idx = self.drops_base + self.interface_count().saturating_sub(1);
        // Drop counters are kept for the first interfaces of the file only.
        if self.drops.len() <= idx && idx < MAX_INTERFACES {
            self.drops.resize(idx + 1, 0);
        }
    }

    fn interface_count(&self) -> usize {
        match &self.state {
            State::Pcapng { interfaces, .. } => interfaces.len(),
            _ => 0,
        }
    }

    fn interface(&mut self, id: u32, kind: &str) -> Option<Interface> {
        let found = match &self.state {
            State::Pcapng { interfaces, .. } => interfaces.get(id as usize).copied(),
            _ => None,
        };
        if found.is_none() {
            let off = self.offset;
            self.warn(
                "unknown_interface",
                format!(
                    "{kind} at offset {off} names interface {id}, which was not described; skipped"
                ),
                off,
            );
        }
        found
    }

    fn emit_ng(
        &mut self,
        iface: Interface,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let units = u128::from(iface.units_per_sec.max(1));
        let ns = u128::from(ts) * 1_000_000_000 / units;
        let ts_ns = i64::try_from(ns)
            .unwrap_or(i64::MAX)
            .saturating_add(iface.offset_s.saturating_mul(1_000_000_000));
        self.last_ts_ns = ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype: iface.linktype,
            data,
            orig_len,
            offset: self.offset,
        });
    }

    fn pcapng_epb(&mut self, body: &[u8], endian: Endian, on_frame: &mut dyn FnMut(Frame<'_>)) {
        let id = endian.u32(body, 0);
        self.packet_block(body, endian, id, "enhanced packet block", on_frame);
    }

    /// The obsolete Packet Block: a 16-bit interface id and a drop count, then as the EPB.
    fn pcapng_pb(&mut self, body: &[u8], endian: Endian, on_frame: &mut dyn FnMut(Frame<'_>)) {
        let id = endian.u16(body, 0).map(u32::from);
        self.packet_block(body, endian, id, "packet block", on_frame);
    }

    /// The common layout of EPB and PB after the interface id: timestamp
    /// (high, low), captured length, original length, data.
    fn packet_block(
        &mut self,
        body: &[u8],
        endian: Endian,
        id: Option<u32>,
        what: &str,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let off = self.offset;
        let (Some(id), Some(hi), Some(lo), Some(caplen), Some(orig)) = (
            id,
            endian.u32(body, 4),
            endian.u32(body, 8),
            endian.u32(body, 12),
            endian.u32(body, 16),
        ) else {
            self.warn(
                "short_block",
                format!("{what} at offset {off} is too short; skipped"),
                off,
            );
            return;
        };
        let Some(data) = body.get(20..20 + caplen as usize) else {
            self.warn(
                "short_block",
                format!(
                    "{what} at offset {off} claims {caplen} bytes, more than it holds; skipped"
                ),
                off,
            );
            return;
        };
        let Some(iface) = self.interface(id, what) else {
            return;
        };
        let ts = (u64::from(hi) << 32) | u64::from(lo);
        self.emit_ng(iface, ts, data, orig, on_frame);
        let opts = 20 + (caplen as usize).next_multiple_of(4);
        for (code, value) in options(body.get(opts..).unwrap_or_default(), endian) {
            if code == 1 {
                let ts_ns = self.last_ts_ns;
                self.comment(Some(ts_ns), value);
            }
        }
    }

    fn pcapng_spb(&mut self, body: &[u8], endian: Endian, on_frame: &mut dyn FnMut(Frame<'_>)) {
        let Some(orig) = endian.u32(body, 0) else {
            return;
        };
        let Some(iface) = self.interface(0, "simple packet block") else {
            return;
        };
        let room = body.len().saturating_sub(4);
        let mut caplen = (orig as usize).min(room);
        if iface.snaplen > 0 {
            caplen = caplen.min(iface.snaplen as usize);
        }
        let data = body.get(4..4 + caplen).unwrap_or_default();
        let ts_ns = self.last_ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype: iface.linktype,
            data,
            orig_len: orig,
            offset: self.offset,
        });
    }

    fn pcapng_isb(&mut self, body: &[u8], endian: Endian) {
        let Some(id) = endian.u32(body, 0) else {
            return;
        };
        for (code, value) in options(body.get(12..).unwrap_or_default(), endian) {
            if code == 5 && value.len() >= 8 {
                if let Some(d) = endian.u64(value, 0) {
                    let idx = self.drops_base + id as usize;
                    if let Some(slot) = self.drops.get_mut(idx) {
                        *slot = d;
                        self.drops_seen = true;
                    }
                }
            }
        }
    }
}

/// The offset of the first valid-looking pcapng block in `b` at or after
/// `from` (4-byte steps): a known type, a sane length that fits in `b`, and
/// the same length at its end.
fn next_block(b: &[u8], endian: Endian, from: usize) -> Option<usize> {
    (from..b.len().saturating_sub(11)).step_by(4).find(|&at| {
        let Some(h) = b.get(at..) else {
            return false;
        };
        let endian = match (h.get(..4), h.get(8..12)) {
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x4d, 0x3c, 0x2b, 0x1a])) => Endian::Little,
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x1a, 0x2b, 0x3c, 0x4d])) => Endian::Big,
            _ => endian,
        };
        let (Some(btype), Some(blen)) = (endian.u32(h, 0), endian.u32(h, 4)) else {
            return false;
        };
        let blen = blen as usize;
        matches!(btype, 0x0A0D_0D0A | 1 | 2 | 3 | 5 | 6)
            && blen >= 12
            && blen % 4 == 0
            && blen <= h.len()
            && endian.u32(h, blen - 4) == Some(blen as u32)
    })
}

/// Iterate pcapng options leniently: stop quietly at the first malformed one.
fn options(mut b: &[u8], endian: Endian) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = endian.u16(b, 0)?;
        let len = endian.u16(b, 2)? as usize;
        if code == 0 {
            return None;
        }
        let value = b.get(4..4 + len)?;
        let padded = 4 + len.div_ceil(4) * 4;
        b = b.get(padded..).unwrap_or_default();
        Some((code, value))
    })
}

/// Say what the first bytes of a non-capture look like.
pub fn describe_magic(b: &[u8]) -> String {
    let head: Vec<String> = b.iter().take(8).map(|x| format!("{x:02x}")).collect();
    let kind = match b {
        [] => "the input is empty",
        [0x73, 0x6e, 0x6f, 0x6f, 0x70, 0, 0, 0, ..] => "a Solaris snoop capture",
        [0x1f, 0x8b, ..] => "gzip-compressed data",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => "zstd-compressed data",
        [0x50, 0x4b, 0x03, 0x04, ..] => "a zip archive",
        [0xd4, 0xc3, 0xb2, ..] | [0xa1, 0xb2, 0xc3, ..] => "a pcap header cut short",
        _ if b
            .iter()
            .take(64)
            .all(|c| c.is_ascii_graphic() || c.is_ascii_whitespace()) =>
        {
            "text"
        }
        _ => "unknown binary data",
    };
    if head.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} (first bytes {})", head.join(" "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn pcap_le(records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (s, us, d) in records {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&us.to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(d);
        }
        v
    }

    fn collect(bytes: &[u8], chunk: usize) -> (Vec<(i64, Vec<u8>, u64)>, Reader) {
        let mut r = Reader::new();
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            r.feed(c, &mut |f| out.push((f.ts_ns, f.data.to_vec(), f.offset)));
        }
        r.finish();
        (out, r)
    }

    #[test]
    fn pcap_records_in_any_chunking() {
        let file = pcap_le(&[(1, 2, b"abc"), (3, 999_999, b""), (4, 5, b"hello world")]);
        let (whole, r) = collect(&file, file.len());
        assert_eq!(r.error(), None);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0], (1_000_002_000, b"abc".to_vec(), 24));
        assert_eq!(whole[2].0, 4_000_005_000);
        for n in 1..file.len() {
            assert_eq!(collect(&file, n).0, whole, "chunk size {n}");
        }
    }

    #[test]
    fn truncated_record_reports_its_start() {
        let file = pcap_le(&[(1, 0, b"abcd"), (2, 0, b"efgh")]);
        let cut = &file[..file.len() - 2];
        let (frames, r) = collect(cut, 7);
        assert_eq!(frames.len(), 1);
        let e = r.error().unwrap();
        assert_eq!(e.code, "truncated");
        assert_eq!(e.offset, Some(24 + 16 + 4));
    }

    #[test]
    fn huge_length_is_an_error_not_an_allocation() {
        let mut file = pcap_le(&[]);
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&1_400_000_000u32.to_le_bytes());
        file.extend_from_slice(&60u32.to_le_bytes());
        let (frames, r) = collect(&file, 5);
        assert!(frames.is_empty());
        assert_eq!(r.error().unwrap().code, "record_too_long");
        assert_eq!(r.error().unwrap().offset, Some(24));
    }

    #[test]
    fn text_is_not_a_capture() {
        let (_, r) = collect(b"hello, this is a text file\n", 3);
        let e = r.error().unwrap();
        assert_eq!(e.code, "not_a_capture");
        assert!(e.message.contains("text"), "{}", e.message);
        assert_eq!(e.offset, Some(0));
    }

    fn ng_block(t: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        let mut b = t.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    fn ng_epb(ts: u64, data: &[u8]) -> Vec<u8> {
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        ng_block(6, &epb)
    }

    fn ng_head() -> Vec<u8> {
        let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        let mut v = ng_block(0x0A0D0D0A, &shb);
        v.extend(ng_block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
        v
    }

    #[test]
    fn pcapng_resynchronises_after_a_corrupt_block() {
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        let bad_at = v.len() as u64;
        let mut junk = ng_epb(2, b"efgh");
        let n = junk.len();
        junk[n - 4] ^= 0xff; // trailer no longer matches
        v.extend(junk);
        v.extend([0x55; 12]);
        let good_at = v.len() as u64;
        v.extend(ng_epb(3, b"ijkl"));
        for chunk in [1, 5, 64, v.len()] {
            let (frames, r) = collect(&v, chunk);
            assert_eq!(r.error(), None);
            assert_eq!(frames.len(), 2, "chunk {chunk}");
            assert_eq!(frames[1].1, b"ijkl");
            let w: Vec<_> = r.warnings().iter().map(|w| (w.code, w.offset)).collect();
            assert_eq!(
                w,
                vec![
                    ("bad_block", Some(bad_at)),
                    ("resynchronised", Some(good_at))
                ]
            );
        }
    }

    #[test]
    fn pcapng_corrupt_to_the_end_is_an_error_at_the_corrupt_block() {
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        let bad_at = v.len() as u64;
        v.extend([7u8, 0, 0, 0, 13, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        let (frames, r) = collect(&v, 3);
        assert_eq!(frames.len(), 1);
        assert_eq!(r.error().unwrap().offset, Some(bad_at));
    }

    /// Feed `bytes` in `chunk`-byte pieces, packets delivered at the end too.
    fn collect_all(bytes: &[u8], chunk: usize) -> (u64, Reader) {
        let mut r = Reader::new();
        let mut n = 0u64;
        for c in bytes.chunks(chunk) {
            r.feed(c, &mut |_| n += 1);
        }
        r.finish_with(&mut |_| n += 1);
        (n, r)
    }

    #[test]
    fn recovery_from_a_huge_corrupt_block_is_linear() {
        // A block claiming 4 MiB, then 4 MiB of bytes that are no blocks, then
        // a good packet: each byte is buffered once, never moved per step.
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        let bad_at = v.len() as u64;
        let claimed = 4usize << 20;
        v.extend(6u32.to_le_bytes());
        v.extend((claimed as u32).to_le_bytes());
        v.resize(v.len() + claimed, 0x55);
        let good_at = v.len() as u64;
        v.extend(ng_epb(2, b"efgh"));
        for chunk in [1 << 16, 1 << 20, v.len()] {
            let (n, r) = collect_all(&v, chunk);
            assert_eq!(r.error(), None, "chunk {chunk}");
            assert_eq!(n, 2);
            let w: Vec<_> = r.warnings().iter().map(|w| (w.code, w.offset)).collect();
            assert_eq!(
                w,
                vec![
                    ("bad_block", Some(bad_at)),
                    ("resynchronised", Some(good_at))
                ]
            );
            assert!(
                r.bytes_copied() <= 2 * v.len() as u64,
                "chunk {chunk}: {} bytes copied for {}",
                r.bytes_copied(),
                v.len()
            );
        }
    }

    #[test]
    fn recovery_through_fake_block_headers_is_linear() {
        // Every 16 bytes a header of a known type claiming 1 MiB whose trailer
        // never matches: each needs 1 MiB buffered ahead, and is still one
        // look. The last MiB of them run past the end, where they are no blocks.
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        let bad_at = v.len() as u64;
        let mut fake = 6u32.to_le_bytes().to_vec();
        fake.extend((1u32 << 20).to_le_bytes());
        fake.extend([9; 8]);
        for _ in 0..(3 << 20) / 16 {
            v.extend(&fake);
        }
        v.extend(ng_epb(2, b"efgh"));
        for chunk in [4096, 1 << 20, v.len()] {
            let (n, r) = collect_all(&v, chunk);
            assert_eq!(r.error(), None, "chunk {chunk}");
            assert_eq!(n, 2, "chunk {chunk}");
            assert_eq!(r.warnings()[0].offset, Some(bad_at));
            assert!(r.bytes_copied() <= 3 * v.len() as u64, "chunk {chunk}");
        }
    }

    #[test]
    fn one_flipped_length_bit_loses_one_packet() {
        let mut v = ng_head();
        let mut starts = Vec::new();
        for i in 0..2000u64 {
            starts.push(v.len());
            v.extend(ng_epb(i, &[i as u8; 60]));
        }
        for bit in [9, 16, 23] {
            let mut bad = v.clone();
            // The leading length of packet 1000: larger than the rest of the file for bit 23.
            bad[starts[1000] + 4 + bit / 8] ^= 1 << (bit % 8);
            for chunk in [4096, bad.len()] {
                let (n, r) = collect_all(&bad, chunk);
                assert_eq!(r.error(), None, "bit {bit}, chunk {chunk}");
                assert_eq!(n, 1999, "bit {bit}, chunk {chunk}");
                assert_eq!(r.warnings()[0].code, "bad_block");
                assert_eq!(r.warnings()[0].offset, Some(starts[1000] as u64));
                assert!(r.bytes_copied() <= 2 * bad.len() as u64);
            }
        }
    }

    #[test]
    fn a_capture_cut_inside_a_block_is_still_truncated() {
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        let last = v.len() as u64;
        v.extend(ng_epb(2, &[7; 100]));
        v.truncate(v.len() - 10);
        let (n, r) = collect_all(&v, 7);
        assert_eq!(n, 1);
        assert_eq!(r.error().unwrap().code, "truncated");
        assert_eq!(r.error().unwrap().offset, Some(last));
    }

    /// An interface block padded with an option to `len` bytes.
    fn ng_idb_padded(len: usize) -> Vec<u8> {
        let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
        let pad = len - 12 - 8 - 4 - 4;
        idb.extend([1, 0]); // opt_comment
        idb.extend((pad as u16).to_le_bytes());
        idb.resize(idb.len() + pad, b'x');
        idb.extend([0, 0, 0, 0]);
        ng_block(1, &idb)
    }

    #[test]
    fn interface_blocks_cannot_grow_the_preamble_or_the_index_unbounded() {
        // 64 interfaces of 60 KiB, each followed by a packet: the preamble
        // outgrows its bound, the file loses its index, every packet counts.
        let mut v = ng_head();
        for i in 0..64u64 {
            v.extend(ng_idb_padded(60 << 10));
            let mut epb = (i as u32).to_le_bytes().to_vec();
            epb.extend([0; 8]);
            epb.extend(4u32.to_le_bytes());
            epb.extend(4u32.to_le_bytes());
            epb.extend(b"wxyz");
            v.extend(ng_block(6, &epb));
        }
        let (n, mut r) = collect_all(&v, 1 << 16);
        assert_eq!(n, 64);
        assert_eq!(r.error(), None);
        assert!(r.preamble.len() <= MAX_PREAMBLE);
        let w: Vec<_> = r.warnings().iter().map(|w| w.code).collect();
        assert_eq!(w, vec!["index_bounded"]);
        let ix = r.take_index();
        assert!(ix.overflow && ix.preambles.is_empty());
    }

    #[test]
    fn big_section_headers_cannot_grow_the_index_unbounded() {
        // 40 sections whose headers are 200 KiB each: 8 MB of preambles
        // would be indexed; the index stops at its bound instead.
        let mut v = Vec::new();
        for i in 0..40u64 {
            let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
            shb.extend((-1i64).to_le_bytes());
            let pad = (200 << 10) - 12 - 16 - 4 - 4;
            shb.extend([1, 0]);
            shb.extend((pad as u16).to_le_bytes());
            shb.resize(shb.len() + pad, b'y');
            shb.extend([0, 0, 0, 0]);
            v.extend(ng_block(0x0A0D0D0A, &shb));
            v.extend(ng_block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
            v.extend(ng_epb(i, b"abcd"));
        }
        let (n, mut r) = collect_all(&v, 1 << 16);
        assert_eq!(n, 40);
        assert!(r.index_bytes <= MAX_INDEX_PREAMBLE_BYTES);
        assert_eq!(r.warnings()[0].code, "index_bounded");
        assert!(r.take_index().overflow);
        // Without an index (compressed input) nothing is kept and nothing said.
        let mut r = Reader::new();
        r.no_index();
        r.feed(&v, &mut |_| {});
        r.finish();
        assert!(r.preamble.is_empty() && r.warnings().is_empty());
    }

    #[test]
    fn offsets_past_4_gib_are_exact() {
        // 72,000 records of 60,000 bytes: 4.32 GB, fed as one 60 MB chunk 72 times.
        let rec_len = 60_000usize;
        let mut rec = Vec::with_capacity(16 + rec_len);
        rec.extend_from_slice(&1u32.to_le_bytes());
        rec.extend_from_slice(&0u32.to_le_bytes());
        rec.extend_from_slice(&(rec_len as u32).to_le_bytes());
        rec.extend_from_slice(&(rec_len as u32).to_le_bytes());
        rec.resize(16 + rec_len, 0);
        let chunk: Vec<u8> = rec.iter().copied().cycle().take(rec.len() * 1000).collect();
        let mut r = Reader::new();
        let mut frames = 0u64;
        let mut last = 0u64;
        r.feed(&pcap_le(&[]), &mut |_| {});
        for _ in 0..72 {
            r.feed(&chunk, &mut |f| {
                frames += 1;
                last = f.offset;
            });
        }
        r.feed(&rec[..26], &mut |_| frames += 1);
        r.finish();
        let end = 24 + 72_000 * rec.len() as u64;
        assert!(end > u64::from(u32::MAX));
        assert_eq!(frames, 72_000);
        assert_eq!(last, end - rec.len() as u64);
        assert_eq!(r.error().unwrap().offset, Some(end));
    }

    #[test]
    fn interface_statistics_give_capture_drops() {
        let mut v = ng_head();
        v.extend(ng_epb(1, b"abcd"));
        // ISB for interface 0: ts, then isb_ifdrop (code 5) = 42, end of options.
        let mut isb = 0u32.to_le_bytes().to_vec();
        isb.extend_from_slice(&[0; 8]);
        isb.extend_from_slice(&[5, 0, 8, 0]);
        isb.extend_from_slice(&42u64.to_le_bytes());
        isb.extend_from_slice(&[0, 0, 0, 0]);
        v.extend(ng_block(5, &isb));
        let (_, r) = collect(&v, 7);
        assert_eq!(r.dropped_by_capture(), Some(42));
        let (_, r) = collect(&ng_head(), 7);
        assert_eq!(r.dropped_by_capture(), None);
    }

    #[test]
    fn pcapng_tsresol_and_interfaces() {
        // SHB, IDB(ethernet, tsresol 10^-9), EPB
        let mut v = Vec::new();
        let block = |t: u32, body: &[u8]| {
            let len = (12 + body.len()) as u32;
            let mut b = t.to_le_bytes().to_vec();
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(body);
            b.extend_from_slice(&len.to_le_bytes());
            b
        };
        let mut shb = vec![0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0];
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        v.extend(block(0x0A0D0D0A, &shb));
        let mut idb = vec![1, 0, 0, 0, 0, 0, 0, 0];
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        v.extend(block(1, &idb));
        let ts: u64 = 1_500_000_000_123_456_789;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&4u32.to_le_bytes());
        epb.extend_from_slice(&60u32.to_le_bytes());
        epb.extend_from_slice(b"wxyz");
        v.extend(block(6, &epb));
        for n in 1..=v.len() {
            let (frames, r) = collect(&v, n);
            assert_eq!(r.error(), None);
            assert_eq!(frames.len(), 1);
            assert_eq!(frames[0].0, ts as i64);
            assert_eq!(frames[0].1, b"wxyz");
        }
    }
}
