//! The evidence pass from the command line: each finding's window read
//! again from the files (the byte ranges their time index names, or the
//! whole file where it is compressed), so every number on a finding is the
//! count its own filter selects.

use anyhow::{Context, Result};
use portspike_core::capture::{Held, Index};
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
    read_parts_then(file, parts, sink, |_, _| Ok(()))
}

/// [`read_parts`], with `after` called once each part is read (it may end
/// the part and check what it held).
fn read_parts_then<S: Sink>(
    file: &Path,
    parts: &[Part<'_>],
    sink: &mut S,
    mut after: impl FnMut(&mut S, &Part<'_>) -> Result<()>,
) -> Result<()> {
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
        after(sink, &(pre, start, end))?;
    }
    Ok(())
}

/// Count the findings of `report` exactly, reading `files` (the ones the
/// analysis read, in its order, each with its index) again. A file that
/// changed since it was analysed (another size, or a range that no longer
/// holds the records the first read found there) is an error that says
/// where: its numbers would count other packets.
pub fn exact(report: &mut Report, files: &[(&Path, Option<Index>)]) -> Result<()> {
    let mut e = Evidence::new(report, EXACT_TOTAL);
    // Nothing to count (no finding, no scanner): nothing to read.
    let files = if e.is_empty() { &[][..] } else { files };
    // Each file's size when analysed (the report lists them in the order read).
    let sizes: Vec<u64> = if report.capture.files.len() == files.len() {
        report.capture.files.iter().map(|f| f.file_bytes).collect()
    } else {
        Vec::new()
    };
    for (k, (file, index)) in files.iter().enumerate() {
        let size = sizes.get(k).copied();
        unchanged_size(file, size)?;
        // Compressed (or an index that overflowed): the whole file.
        match (index.as_ref(), index.as_ref().and_then(|ix| e.ranges(ix))) {
            (Some(ix), Some(r)) => {
                let parts: Vec<Part<'_>> = r.into_iter().map(|(p, a, b)| (p, a, Some(b))).collect();
                read_parts_then(file, &parts, &mut e, |e, &(_, a, b)| {
                    let b = b.unwrap_or(a);
                    same_records(file, ix.held(a, b), e.end_part(), a, b)
                })?;
            }
            _ => read_parts(file, &[(&[], 0, None)], &mut e)?,
        }
        unchanged_size(file, size)?;
    }
    e.apply(report);
    Ok(())
}

/// The file is still the size it had when analysed.
fn unchanged_size(file: &Path, analysed: Option<u64>) -> Result<()> {
    let now = std::fs::metadata(file)
        .with_context(|| format!("reading {} again", file.display()))?
        .len();
    match analysed {
        Some(was) if was != now => anyhow::bail!(
            "{} changed between its two reads: it is now {now} bytes, it was {was} when analysed{}",
            file.display(),
            if now < was {
                format!(" (cut at byte offset {now})")
            } else {
                String::new()
            }
        ),
        _ => Ok(()),
    }
}

/// The bytes `[a, b)` read again hold the records the first read found there.
fn same_records(file: &Path, first: Held, again: Held, a: u64, b: u64) -> Result<()> {
    if first == again {
        return Ok(());
    }
    anyhow::bail!(
        "{} changed between its two reads: its bytes {a}–{b} held {} records from {} to {} µs, and now hold {}{}",
        file.display(),
        first.records,
        first.min_ts_us,
        first.max_ts_us,
        again.records,
        if again.records > 0 {
            format!(" from {} to {} µs", again.min_ts_us, again.max_ts_us)
        } else {
            String::new()
        }
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use portspike_core::{Analyzer, Params};

    /// A copy of a real tool run at `path`, analysed: its report and index.
    fn analysed(path: &Path) -> (Report, Vec<Option<Index>>) {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/real/masscan-sweep80-probes-only.pcap");
        std::fs::copy(src, path).unwrap();
        let bytes = std::fs::read(path).unwrap();
        let mut a = Analyzer::new(Params::default());
        a.begin_file("capture.pcap", bytes.len() as u64, None);
        a.feed(&bytes);
        a.finish_with_index()
    }

    fn again(path: &Path, report: &mut Report, index: Vec<Option<Index>>) -> Result<()> {
        let files: Vec<(&Path, Option<Index>)> = vec![(path, index.into_iter().next().flatten())];
        exact(report, &files)
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("portspike-changed-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn an_unchanged_file_is_counted_exactly() {
        let p = scratch("same.pcap");
        let (mut r, ix) = analysed(&p);
        again(&p, &mut r, ix).unwrap();
        assert_eq!(r.evidence.as_ref().map(|e| e.exact), Some(true));
        assert_eq!(r.scanners[0].attempts, 8192);
    }

    #[test]
    fn a_file_that_changed_between_the_reads_is_noticed_and_says_where() {
        // The same packets appended: another size.
        let p = scratch("appended.pcap");
        let (mut r, ix) = analysed(&p);
        let bytes = std::fs::read(&p).unwrap();
        let mut more = bytes.clone();
        more.extend_from_slice(&bytes[24..]);
        std::fs::write(&p, &more).unwrap();
        let e = again(&p, &mut r, ix).unwrap_err().to_string();
        assert!(e.contains("changed between its two reads"), "{e}");
        assert!(e.contains(&format!("it was {}", bytes.len())), "{e}");
        // Cut short: the offset it now ends at.
        let p = scratch("cut.pcap");
        let (mut r, ix) = analysed(&p);
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = again(&p, &mut r, ix).unwrap_err().to_string();
        assert!(
            e.contains(&format!("cut at byte offset {}", bytes.len() / 2)),
            "{e}"
        );
        // A third zeroed, the size unchanged: the ranges hold other records.
        let p = scratch("zeroed.pcap");
        let (mut r, ix) = analysed(&p);
        let mut zeroed = bytes.clone();
        let third = zeroed.len() / 3;
        zeroed[third..2 * third].fill(0);
        std::fs::write(&p, &zeroed).unwrap();
        let e = again(&p, &mut r, ix).unwrap_err().to_string();
        assert!(e.contains("its bytes"), "{e}");
        // Replaced by another capture of the same size.
        let p = scratch("replaced.pcap");
        let (mut r, ix) = analysed(&p);
        let other = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/real/nmap-sA-sweep80-probes-only.pcap");
        let mut o = std::fs::read(other).unwrap();
        o.resize(bytes.len(), 0);
        std::fs::write(&p, &o).unwrap();
        let e = again(&p, &mut r, ix).unwrap_err().to_string();
        assert!(e.contains("changed between its two reads"), "{e}");
    }
}
