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

mod index;
mod pcap;
mod pcapng;

use crate::report::ProblemCode;
pub use index::{Held, Index, Segment, MAX_SEGMENTS, SEGMENT_BYTES};
use pcapng::{next_block, Interface};
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
    pub code: ProblemCode,
    pub message: String,
    pub offset: Option<u64>,
}

/// A fault the reader stepped over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: ProblemCode,
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

    /// Bytes copied into or within the carry-over buffer so far: at most a
    /// small multiple of the bytes fed, whatever they are.
    pub fn bytes_copied(&self) -> u64 {
        self.copied
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
            self.fail(
                ProblemCode::NotACapture,
                format!("not a pcap/pcapng file: {what}"),
            );
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
                    ProblemCode::BadBlock,
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
                ProblemCode::BadBlock,
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
                ProblemCode::Truncated,
                format!("capture ends inside a {what}: {have} bytes of it present"),
            );
        }
    }

    fn fail(&mut self, code: ProblemCode, message: String) {
        self.error = Some(CaptureError {
            code,
            message,
            offset: Some(self.offset),
        });
        self.state = State::Failed;
        self.buf = Vec::new();
        self.pos = 0;
    }

    fn warn(&mut self, code: ProblemCode, message: String, offset: u64) {
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
                self.fail(
                    ProblemCode::NotACapture,
                    format!("not a pcap/pcapng file: {what}"),
                );
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
                ProblemCode::UnsupportedVersion,
                format!("pcap file header has version {major}.{minor}; only 2.x exists"),
            );
            return None;
        }
        let network = endian.u32(b, 20)?;
        // Low 16 bits: link type; bits 16–25 reserved (must be zero); above: FCS length.
        if network & 0x03FF_0000 != 0 {
            self.fail(
                ProblemCode::BadLinkType,
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
mod tests;
