//! Transparent decompression of gzip and zstd input, detected by magic,
//! streamed in bounded pieces. Both decoders are pure Rust (flate2 on
//! miniz_oxide, ruzstd), so the same code runs in wasm32.
//!
//! Memory is bounded by constants whatever the input: gzip is decoded in
//! 16 KiB pieces of input (deflate expands at most ~1032×, so one step
//! yields at most ~16.5 MiB); zstd one block at a time (a block decodes to
//! at most 128 KiB whatever its kind, RLE included), its decoder holding the
//! frame's declared window (at most [`ZSTD_MAX_WINDOW`]) and one block.

use std::io::{Read, Write};

/// Compressed input is decoded in pieces of at most this many bytes, which
/// bounds the output of one step (deflate expands at most ~1032×).
const PIECE: usize = 16 * 1024;
/// Output buffer for zstd.
const ZSTD_OUT: usize = 256 * 1024;
/// Largest zstd window accepted (the default compression levels use ≤ 8 MiB).
pub const ZSTD_MAX_WINDOW: u64 = 32 * 1024 * 1024;
/// Largest zstd block (RFC 8878 §3.1.1.2.4), compressed or decoded.
const ZSTD_MAX_BLOCK: usize = 128 * 1024;
/// A zstd frame's magic, and a skippable frame's (low 4 bits free).
const ZSTD_MAGIC: u32 = 0xFD2F_B528;
const ZSTD_SKIPPABLE: u32 = 0x184D_2A50;

/// The kind of compression found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// A decompression fault: what, and how many decompressed bytes came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecompressError {
    pub message: String,
    pub offset: u64,
}

enum State {
    Detect(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    Zstd(Box<Zstd>),
    Failed,
}

/// Where a zstd stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZPhase {
    /// Between frames: the next one (zstd or skippable) starts here.
    Magic,
    /// In a skippable frame: this many bytes still to pass over.
    Skip(u64),
    /// In a frame's blocks (the frame ends with a checksum).
    Blocks { checksum: bool },
}

/// A zstd stream, framed here block by block so that each decoding step
/// yields at most one block (128 KiB) and the input held is one block.
struct Zstd {
    dec: ruzstd::decoding::FrameDecoder,
    /// Input not yet decoded; bytes before `pos` are done with.
    pending: Vec<u8>,
    pos: usize,
    out: Vec<u8>,
    phase: ZPhase,
}

impl Zstd {
    fn new() -> Self {
        let mut dec = ruzstd::decoding::FrameDecoder::new();
        dec.set_max_window_size(ZSTD_MAX_WINDOW);
        Zstd {
            dec,
            pending: Vec::new(),
            pos: 0,
            out: vec![0; ZSTD_OUT],
            phase: ZPhase::Magic,
        }
    }

    fn push(&mut self, piece: &[u8]) {
        if self.pos > 0 && self.pending.len() - self.pos <= self.pos {
            self.pending.drain(..self.pos);
            self.pos = 0;
        }
        self.pending.extend_from_slice(piece);
    }

    /// Hand over what the decoder may let go of (all of it once a frame ends).
    fn collect(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        loop {
            let n = self
                .dec
                .read(&mut self.out)
                .map_err(|e| format!("zstd data is corrupt: {e}"))?;
            if n == 0 {
                return Ok(());
            }
            sink(self.out.get(..n).unwrap_or_default());
        }
    }

    /// Decode every whole frame header and block in `pending`.
    fn drain(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        loop {
            let avail = self.pending.get(self.pos..).unwrap_or_default();
            match self.phase {
                ZPhase::Magic => {
                    let Some(magic) = le(avail, 0, 4) else {
                        return Ok(());
                    };
                    if magic & 0xFFFF_FFF0 == ZSTD_SKIPPABLE {
                        let Some(size) = le(avail, 4, 4) else {
                            return Ok(());
                        };
                        self.pos += 8;
                        self.phase = ZPhase::Skip(u64::from(size));
                    } else if magic == ZSTD_MAGIC {
                        let Some(fhd) = avail.get(4).copied() else {
                            return Ok(());
                        };
                        let single = fhd & 0x20 != 0;
                        let fcs = match fhd >> 6 {
                            0 => usize::from(single),
                            1 => 2,
                            2 => 4,
                            _ => 8,
                        };
                        let did = [0, 1, 2, 4].get(usize::from(fhd & 3)).copied().unwrap_or(4);
                        let len = 5 + usize::from(!single) + did + fcs;
                        let Some(header) = avail.get(..len) else {
                            return Ok(());
                        };
                        self.dec
                            .reset(header)
                            .map_err(|e| format!("zstd frame header is not valid: {e}"))?;
                        self.pos += len;
                        self.phase = ZPhase::Blocks {
                            checksum: fhd & 4 != 0,
                        };
                    } else {
                        return Err(format!(
                            "bytes that are not a zstd frame follow the last frame (first bytes {magic:08x})"
                        ));
                    }
                }
                ZPhase::Skip(left) => {
                    let k = left.min(avail.len() as u64);
                    self.pos += k as usize;
                    if k < left {
                        self.phase = ZPhase::Skip(left - k);
                        return Ok(());
                    }
                    self.phase = ZPhase::Magic;
                }
                ZPhase::Blocks { checksum } => {
                    let Some(h) = le(avail, 0, 3) else {
                        return Ok(());
                    };
                    let (last, kind, size) = (h & 1 != 0, (h >> 1) & 3, (h >> 3) as usize);
                    if kind == 3 {
                        return Err("zstd data is corrupt: a block of the reserved type".into());
                    }
                    if size > ZSTD_MAX_BLOCK {
                        return Err(format!(
                            "zstd data is corrupt: a block of {size} bytes (at most {ZSTD_MAX_BLOCK})"
                        ));
                    }
                    let body = if kind == 1 { 1 } else { size };
                    let need = 3 + body + if last && checksum { 4 } else { 0 };
                    let Some(block) = avail.get(..need) else {
                        return Ok(());
                    };
                    self.dec
                        .decode_blocks(
                            block,
                            ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1),
                        )
                        .map_err(|e| format!("zstd data is corrupt: {e}"))?;
                    self.pos += need;
                    if last {
                        self.phase = ZPhase::Magic;
                    }
                    self.collect(sink)?;
                }
            }
        }
    }

    /// End of input: a frame cut short gives up what it decoded (the blocks
    /// before the cut, as `zstd -d` does), then an error.
    fn finish(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        self.drain(sink)?;
        let rest = self.pending.len() - self.pos;
        match self.phase {
            ZPhase::Magic if rest == 0 => Ok(()),
            ZPhase::Blocks { checksum } => {
                // End the frame with an empty last block: all it decoded comes out.
                let end: &[u8] = if checksum {
                    &[1, 0, 0, 0, 0, 0, 0]
                } else {
                    &[1, 0, 0]
                };
                self.dec
                    .decode_blocks(end, ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| format!("zstd data is corrupt: {e}"))?;
                self.collect(sink)?;
                Err("zstd stream is cut short".into())
            }
            _ => Err("zstd stream is cut short".into()),
        }
    }
}

/// A little-endian number of `n` bytes at `at`.
fn le(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    Some(s.iter().rev().fold(0u32, |v, &x| v << 8 | u32::from(x)))
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Detect(_) => "Detect",
            State::Plain => "Plain",
            State::Gzip(_) => "Gzip",
            State::Zstd { .. } => "Zstd",
            State::Failed => "Failed",
        })
    }
}

/// Sans-IO decompressor: bytes in, decompressed (or passed-through) bytes out.
#[derive(Debug)]
pub struct Input {
    state: State,
    /// Decompressed bytes delivered so far.
    out_total: u64,
    kind: Option<Compression>,
    error: Option<DecompressError>,
}

impl Default for Input {
    fn default() -> Self {
        Self::new()
    }
}

impl Input {
    pub fn new() -> Self {
        Input {
            state: State::Detect(Vec::with_capacity(4)),
            out_total: 0,
            kind: None,
            error: None,
        }
    }

    pub fn compression(&self) -> Option<Compression> {
        self.kind
    }

    pub fn error(&self) -> Option<&DecompressError> {
        self.error.as_ref()
    }

    fn emit(&mut self, bytes: &[u8], sink: &mut dyn FnMut(&[u8])) {
        if !bytes.is_empty() {
            self.out_total += bytes.len() as u64;
            sink(bytes);
        }
    }

    fn fail(&mut self, message: String) {
        self.error = Some(DecompressError {
            message,
            offset: self.out_total,
        });
        self.state = State::Failed;
    }

    /// Feed compressed (or plain) bytes; `sink` receives the plain stream.
    pub fn feed(&mut self, mut chunk: &[u8], sink: &mut dyn FnMut(&[u8])) {
        if let State::Detect(head) = &mut self.state {
            let want = 4usize.saturating_sub(head.len()).min(chunk.len());
            let (a, b) = chunk.split_at(want);
            head.extend_from_slice(a);
            chunk = b;
            if head.len() < 4 {
                return;
            }
            let head = std::mem::take(head);
            self.start(&head, sink);
        }
        self.push(chunk, sink);
    }

    fn start(&mut self, head: &[u8], sink: &mut dyn FnMut(&[u8])) {
        match head {
            [0x1f, 0x8b, ..] => {
                self.kind = Some(Compression::Gzip);
                self.state = State::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
            }
            // A zstd frame, or a skippable frame (pzstd begins with one).
            [0x28, 0xb5, 0x2f, 0xfd, ..] | [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => {
                self.kind = Some(Compression::Zstd);
                self.state = State::Zstd(Box::new(Zstd::new()));
            }
            _ => self.state = State::Plain,
        }
        self.push(head, sink);
    }

    fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(&[u8])) {
        if chunk.is_empty() {
            return;
        }
        match &mut self.state {
            State::Plain => self.emit(chunk, sink),
            State::Gzip(_) => {
                for piece in chunk.chunks(PIECE) {
                    let State::Gzip(dec) = &mut self.state else {
                        return;
                    };
                    let res = dec.write_all(piece);
                    let out = std::mem::take(dec.get_mut());
                    self.emit(&out, sink);
                    if let State::Gzip(dec) = &mut self.state {
                        let mut out = out;
                        out.clear();
                        *dec.get_mut() = out;
                    }
                    if let Err(e) = res {
                        self.fail(format!("gzip data is corrupt: {e}"));
                        return;
                    }
                }
            }
            State::Zstd(z) => {
                let mut total = 0u64;
                let mut res = Ok(());
                for piece in chunk.chunks(PIECE) {
                    z.push(piece);
                    res = z.drain(&mut |b| {
                        total += b.len() as u64;
                        sink(b);
                    });
                    if res.is_err() {
                        break;
                    }
                }
                self.out_total += total;
                if let Err(e) = res {
                    self.fail(e);
                }
            }
            State::Detect(_) | State::Failed => {}
        }
    }

    /// End of input: flush, and report a stream cut short.
    pub fn finish(&mut self, sink: &mut dyn FnMut(&[u8])) {
        match std::mem::replace(&mut self.state, State::Plain) {
            State::Detect(head) => {
                self.state = State::Plain;
                self.emit(&head, sink);
            }
            State::Gzip(mut dec) => {
                let res = dec.try_finish();
                let out = std::mem::take(dec.get_mut());
                self.emit(&out, sink);
                match res {
                    Err(e) => self.fail(format!("gzip stream is cut short or corrupt: {e}")),
                    Ok(()) => self.state = State::Gzip(dec),
                }
            }
            State::Zstd(mut z) => {
                let mut total = 0u64;
                let res = z.finish(&mut |b| {
                    total += b.len() as u64;
                    sink(b);
                });
                self.out_total += total;
                self.state = State::Zstd(z);
                if let Err(e) = res {
                    self.fail(e);
                }
            }
            other => self.state = other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8], chunk: usize) -> (Vec<u8>, Input) {
        let mut i = Input::new();
        let mut out = Vec::new();
        for c in bytes.chunks(chunk) {
            i.feed(c, &mut |b| out.extend_from_slice(b));
        }
        i.finish(&mut |b| out.extend_from_slice(b));
        (out, i)
    }

    #[test]
    fn plain_passes_through() {
        let data: Vec<u8> = (0..1000u32).map(|x| x as u8).collect();
        for n in [1, 3, 7, 1000] {
            let (out, i) = run(&data, n);
            assert_eq!(out, data);
            assert_eq!(i.compression(), None);
        }
        assert_eq!(run(b"ab", 1).0, b"ab");
    }

    /// A zstd frame header: 1 MiB window, no content size, no dictionary.
    fn zstd_frame(checksum: bool) -> Vec<u8> {
        let mut v = ZSTD_MAGIC.to_le_bytes().to_vec();
        v.push(if checksum { 4 } else { 0 });
        v.push(10 << 3); // window 2^(10 + 10)
        v
    }

    fn zstd_block(v: &mut Vec<u8>, last: bool, kind: u32, size: usize, body: &[u8]) {
        let h = u32::from(last) | kind << 1 | (size as u32) << 3;
        v.extend_from_slice(&h.to_le_bytes()[..3]);
        v.extend_from_slice(body);
    }

    #[test]
    fn zstd_rle_blocks_decode_in_bounded_steps() {
        // 400 RLE blocks of 128 KiB: 1.6 KB of input, 50 MiB of output, given
        // out as it is decoded, never more than one output buffer at a time.
        let mut z = zstd_frame(false);
        for i in 0..400 {
            zstd_block(&mut z, i == 399, 1, ZSTD_MAX_BLOCK, b"a");
        }
        let mut i = Input::new();
        let (mut total, mut largest, mut at_half) = (0usize, 0usize, 0usize);
        for (n, c) in z.chunks(64).enumerate() {
            i.feed(c, &mut |b| {
                assert!(b.iter().all(|&x| x == b'a'));
                total += b.len();
                largest = largest.max(b.len());
            });
            if n == z.len() / 64 / 2 {
                at_half = total;
            }
        }
        i.finish(&mut |b| total += b.len());
        assert!(i.error().is_none(), "{:?}", i.error());
        assert_eq!(total, 400 * ZSTD_MAX_BLOCK);
        assert!(largest <= ZSTD_OUT);
        // Half the input gave out all but a window (1 MiB) of its half.
        assert!(at_half >= 190 * ZSTD_MAX_BLOCK - (1 << 20), "{at_half}");
    }

    #[test]
    fn zstd_after_a_skippable_frame_and_in_any_chunking() {
        // pzstd output begins with a skippable frame; one may come between frames too.
        let mut z = (ZSTD_SKIPPABLE | 0xf).to_le_bytes().to_vec();
        z.extend_from_slice(&5u32.to_le_bytes());
        z.extend_from_slice(b"12345");
        z.extend(zstd_frame(true));
        zstd_block(&mut z, false, 0, 5, b"hello");
        zstd_block(&mut z, true, 1, 3, b"!");
        z.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]); // checksum (not verified)
        z.extend_from_slice(&ZSTD_SKIPPABLE.to_le_bytes());
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend(zstd_frame(false));
        zstd_block(&mut z, true, 0, 6, b" world");
        for n in 1..=z.len() {
            let (out, i) = run(&z, n);
            assert_eq!(out, b"hello!!! world", "chunk {n}");
            assert_eq!(i.compression(), Some(Compression::Zstd));
            assert!(i.error().is_none(), "chunk {n}: {:?}", i.error());
        }
    }

    #[test]
    fn a_cut_zstd_stream_gives_what_was_decoded() {
        let mut z = zstd_frame(true);
        let a = vec![b'x'; 100_000];
        zstd_block(&mut z, false, 0, a.len(), &a);
        zstd_block(&mut z, false, 1, 50_000, b"y");
        let cut = z.len();
        zstd_block(&mut z, true, 0, a.len(), &a);
        for at in [cut, cut + 2, cut + 500] {
            for n in [7, 4096, at] {
                let (out, i) = run(&z[..at], n);
                assert_eq!(out.len(), 150_000, "cut {at}, chunk {n}");
                assert!(out.starts_with(&a) && out.ends_with(&[b'y'; 50_000]));
                let e = i.error().unwrap();
                assert!(e.message.contains("cut short"), "{}", e.message);
                assert_eq!(e.offset, 150_000);
            }
        }
        // A frame header cut short, and bytes that are no frame after one.
        assert!(run(&z[..6], 1).1.error().is_some());
        let mut junk = z.clone();
        junk.extend_from_slice(b"not zstd");
        let (out, i) = run(&junk, 1000);
        assert_eq!(out.len(), 250_000);
        assert!(i.error().unwrap().message.contains("not a zstd frame"));
    }

    #[test]
    fn zstd_windows_past_the_bound_are_refused() {
        let mut z = ZSTD_MAGIC.to_le_bytes().to_vec();
        z.push(0);
        z.push(16 << 3); // 64 MiB
        zstd_block(&mut z, true, 1, 10, b"a");
        let (out, i) = run(&z, 3);
        assert!(out.is_empty());
        assert!(i.error().is_some());
    }

    #[test]
    fn gzip_round_trip_and_truncation() {
        let data: Vec<u8> = (0..200_000u32).map(|x| (x % 251) as u8).collect();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&data).unwrap();
        let gz = enc.finish().unwrap();
        for n in [1, 100, 5000, gz.len()] {
            let (out, i) = run(&gz, n);
            assert_eq!(out, data, "chunk {n}");
            assert_eq!(i.compression(), Some(Compression::Gzip));
            assert!(i.error().is_none());
        }
        let (out, i) = run(&gz[..gz.len() / 2], 4096);
        assert!(out.len() < data.len() && data.starts_with(&out));
        assert!(i.error().is_some());
    }
}
