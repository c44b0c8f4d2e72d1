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

/// Count the findings of `report` exactly, reading `files` (the ones the
/// analysis read, in its order, each with its index) again.
pub fn exact(report: &mut Report, files: &[(&Path, Option<Index>)]) -> Result<()> {
    let mut e = Evidence::new(report, EXACT_TOTAL);
    // Nothing to count (no finding, no scanner): nothing to read.
    let files = if e.is_empty() { &[][..] } else { files };
    let mut buf = vec![0u8; CHUNK];
    for (file, index) in files {
        let name = file.display();
        let mut f = std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?;
        let ranges = index.as_ref().and_then(|ix| e.ranges(ix));
        let ranges: Vec<(Vec<u8>, u64, Option<u64>)> = match ranges {
            Some(r) => r
                .into_iter()
                .map(|(pre, a, b)| (pre.to_vec(), a, Some(b)))
                .collect(),
            // Compressed (or an index that overflowed): the whole file.
            None => vec![(Vec::new(), 0, None)],
        };
        for (pre, start, end) in ranges {
            f.seek(SeekFrom::Start(start))?;
            e.begin(&pre);
            let mut left = end.map_or(u64::MAX, |b| b - start);
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                let piece = buf.get_mut(..want).unwrap_or_default();
                let n = f
                    .read(piece)
                    .with_context(|| format!("reading {name} again"))?;
                if n == 0 {
                    break;
                }
                e.feed(piece.get(..n).unwrap_or_default());
                left -= n as u64;
            }
        }
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
    let name = file.display();
    let mut f = std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?;
    let mut buf = vec![0u8; CHUNK];
    e.begin(&[]);
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {name} again"))?;
        if n == 0 {
            break;
        }
        e.feed(buf.get(..n).unwrap_or_default());
    }
    Ok(e.sent())
}

/// The findings' numbers stay the sketches', and the report says why.
pub fn unavailable(report: &mut Report, why: &str) {
    evidence::unavailable(report, why);
}
