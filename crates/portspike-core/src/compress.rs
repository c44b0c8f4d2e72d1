//! Transparent decompression of gzip and zstd input, detected by magic,
//! streamed in bounded pieces. Both decoders are pure Rust (flate2 on
//! miniz_oxide, ruzstd), so the same code runs in wasm32.

use std::io::Write;

/// Compressed input is decoded in pieces of at most this many bytes, which
/// bounds the output of one step (deflate expands at most ~1032×).
const PIECE: usize = 16 * 1024;
/// Output buffer for zstd.
const ZSTD_OUT: usize = 256 * 1024;
/// Largest zstd window accepted (the default compression levels use ≤ 8 MiB).
pub const ZSTD_MAX_WINDOW: u64 = 32 * 1024 * 1024;

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
    Zstd {
        dec: Box<ruzstd::decoding::FrameDecoder>,
        pending: Vec<u8>,
        out: Vec<u8>,
    },
    Failed,
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
            [0x28, 0xb5, 0x2f, 0xfd, ..] => {
                self.kind = Some(Compression::Zstd);
                let mut dec = ruzstd::decoding::FrameDecoder::new();
                dec.set_max_window_size(ZSTD_MAX_WINDOW);
                self.state = State::Zstd {
                    dec: Box::new(dec),
                    pending: Vec::new(),
                    out: vec![0; ZSTD_OUT],
                };
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
            State::Zstd { .. } => {
                for piece in chunk.chunks(PIECE) {
                    if let State::Zstd { pending, .. } = &mut self.state {
                        pending.extend_from_slice(piece);
                    }
                    if !self.zstd_drain(false, sink) {
                        return;
                    }
                }
            }
            State::Detect(_) | State::Failed => {}
        }
    }

    /// Decode what `pending` allows. Returns false after a failure.
    fn zstd_drain(&mut self, at_end: bool, sink: &mut dyn FnMut(&[u8])) -> bool {
        loop {
            let State::Zstd { dec, pending, out } = &mut self.state else {
                return false;
            };
            // A new frame starts: make sure its header is all there.
            let fresh = dec.is_finished() && dec.can_collect() == 0;
            if fresh && pending.is_empty() {
                return true;
            }
            if fresh && pending.len() < 18 && !at_end {
                return true;
            }
            if fresh && started(dec) {
                **dec = {
                    let mut d = ruzstd::decoding::FrameDecoder::new();
                    d.set_max_window_size(ZSTD_MAX_WINDOW);
                    d
                };
            }
            let res = dec.decode_from_to(pending, out);
            match res {
                Ok((read, written)) => {
                    // ruzstd reports the 4-byte checksum as read even when fewer
                    // bytes were there: wait for more input then.
                    if read > pending.len() {
                        return true;
                    }
                    pending.drain(..read);
                    let produced = out.get(..written).unwrap_or_default().to_vec();
                    self.emit(&produced, sink);
                    if read == 0 && written == 0 {
                        return true;
                    }
                }
                Err(e) => {
                    let msg = format!("zstd data is corrupt: {e}");
                    self.fail(msg);
                    return false;
                }
            }
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
            st @ State::Zstd { .. } => {
                self.state = st;
                if self.zstd_drain(true, sink) {
                    if let State::Zstd { dec, pending, .. } = &self.state {
                        let unfinished = started(dec) && !dec.is_finished();
                        if unfinished || !pending.is_empty() {
                            self.fail("zstd stream is cut short".into());
                        }
                    }
                }
            }
            other => self.state = other,
        }
    }
}

/// Has this frame decoder been given a frame header yet?
fn started(dec: &ruzstd::decoding::FrameDecoder) -> bool {
    dec.bytes_read_from_source() > 0
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
