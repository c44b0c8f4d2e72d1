//! The evidence pass from the command line: each finding's window read
//! again from the files (the byte ranges their time index names, or the
//! whole file where it is compressed), so every number on a finding is the
//! count its own filter selects.

use anyhow::{Context, Result};
use portspike_core::capture::Index;
use portspike_core::evidence::{self, Evidence, EXACT_TOTAL};
use portspike_core::report::Report;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const CHUNK: usize = 1 << 20;

/// A part of a file to read: the preamble a fresh reader needs first, and
/// its bytes from `start` to `end` (`None`: to the end of the file).
pub type Part<'a> = (&'a [u8], u64, Option<u64>);

/// What reads parts of a capture again: the evidence pass, an extract.
pub trait Sink {
    /// A new part, after the last: a fresh reader, given its preamble.
    fn begin(&mut self, preamble: &[u8]);
    /// The next bytes of the part.
    fn feed(&mut self, bytes: &[u8]);
}

impl Sink for Evidence {
    fn begin(&mut self, preamble: &[u8]) {
        Evidence::begin(self, preamble);
    }
    fn feed(&mut self, bytes: &[u8]) {
        Evidence::feed(self, bytes);
    }
}

impl Sink for portspike_core::window::Extract {
    fn begin(&mut self, preamble: &[u8]) {
        portspike_core::window::Extract::begin(self, preamble);
    }
    fn feed(&mut self, bytes: &[u8]) {
        portspike_core::window::Extract::feed(self, bytes);
    }
}

/// Read parts of `file` in turn into `sink`, in pieces of at most 1 MiB.
/// A bounded part the file no longer holds whole is an error.
pub fn read_parts(file: &Path, parts: &[Part<'_>], sink: &mut impl Sink) -> Result<()> {
    let name = file.display();
    let mut f =
        portspike_cli::files::open_seekable(file, "the packets are read again at their offsets")?;
    let mut buf = vec![0u8; CHUNK];
    for &(pre, start, end) in parts {
        f.seek(SeekFrom::Start(start))?;
        sink.begin(pre);
        let mut left = end.map_or(u64::MAX, |b| b - start);
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            let piece = buf.get_mut(..want).unwrap_or_default();
            let n = if end.is_some() {
                f.read_exact(piece).map(|()| want)
            } else {
                f.read(piece)
            }
            .with_context(|| format!("reading {name}"))?;
            if n == 0 {
                break;
            }
            sink.feed(piece.get(..n).unwrap_or_default());
            left -= n as u64;
        }
    }
    Ok(())
}

/// Count the findings of `report` exactly, reading `files` (the ones the
/// analysis read, in its order, each with its index) again.
pub fn exact(report: &mut Report, files: &[(&Path, Option<Index>)]) -> Result<()> {
    let mut e = Evidence::new(report, EXACT_TOTAL);
    // Nothing to count (no finding, no scanner): nothing to read.
    let files = if e.is_empty() { &[][..] } else { files };
    for (file, index) in files {
        // Compressed (or an index that overflowed): the whole file.
        let parts: Vec<Part<'_>> = match index.as_ref().and_then(|ix| e.ranges(ix)) {
            Some(r) => r.into_iter().map(|(pre, a, b)| (pre, a, Some(b))).collect(),
            None => vec![(&[], 0, None)],
        };
        read_parts(file, &parts, &mut e)?;
    }
    e.apply(report);
    Ok(())
}

/// Packets each of `addrs` sent anywhere in `file` (read whole).
pub fn sent(
    file: &Path,
    addrs: &[std::net::IpAddr],
) -> Result<std::collections::BTreeMap<String, u64>> {
    let mut e = Evidence::senders(addrs);
    read_parts(file, &[(&[], 0, None)], &mut e)?;
    Ok(e.sent())
}

/// The findings' numbers stay the sketches', and the report says why.
pub fn unavailable(report: &mut Report, why: &str) {
    evidence::unavailable(report, why);
}
