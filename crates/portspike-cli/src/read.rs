//! Reading captures from files and standard input: in 1 MiB chunks a few
//! ahead on a thread of their own, hashed beside the analysis, with a
//! progress line; and the warnings about files given twice.

use crate::files;
use anyhow::Result;
use portspike_core::report::ProblemCode;
use portspike_core::{Analyzer, Params};
use sha2::Digest;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

pub const CHUNK: usize = 1 << 20;

/// Hand a chunk's buffer back to the reader once nobody else holds it.
pub fn give_back(chunk: Arc<Vec<u8>>, empty: &std::sync::mpsc::Sender<Vec<u8>>) {
    if let Some(buf) = Arc::into_inner(chunk) {
        let _ = empty.send(buf);
    }
}

/// Read `input` in [`CHUNK`]s into buffers from `empty` (or new ones) and
/// send them, in order, to `full`; a read error is sent and ends the reading.
pub fn read_ahead(
    mut input: Box<dyn Read + Send>,
    full: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = empty.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let n = loop {
            match input.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        match n {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                if full.send(Ok(buf)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// A progress line on the terminal (stderr), at most four times a second.
pub struct Progress {
    on: bool,
    last: Option<std::time::Instant>,
    shown: bool,
}

impl Progress {
    pub fn new(on: bool) -> Self {
        Progress {
            on,
            last: None,
            shown: false,
        }
    }

    pub fn tick(&mut self, a: &Analyzer, total: u64) {
        if !self.on || self.last.is_some_and(|t| t.elapsed().as_millis() < 250) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let p = a.progress();
        let pct = if total > 0 {
            format!(" ({:.0}%)", p.bytes as f64 * 100.0 / total as f64)
        } else {
            String::new()
        };
        eprint!(
            "\r\x1b[2K{:.1} MB{pct}, {} packets",
            p.bytes as f64 / 1e6,
            p.packets
        );
        self.shown = true;
    }

    pub fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Say which files were given twice (and read once), and which read files
/// hold the same bytes under two names (their packets are counted twice).
pub fn duplicate_warnings(report: &mut portspike_core::report::Report, skipped: &[String]) {
    use portspike_core::report::Problem;
    let c = &mut report.capture;
    for name in skipped {
        c.warnings.push(Problem {
            code: ProblemCode::DuplicateFile,
            message: format!("{name} was given more than once: it was read once"),
            offset: None,
        });
    }
    let mut twins = Vec::new();
    for (i, a) in c.files.iter().enumerate() {
        let twin =
            c.files.iter().skip(i + 1).find(|b| {
                a.sha256.is_some() && a.sha256 == b.sha256 && a.file_bytes == b.file_bytes
            });
        if let Some(b) = twin {
            twins.push(Problem {
                code: ProblemCode::DuplicateFile,
                message: format!(
                    "{} and {} hold the same bytes (SHA-256): their packets are counted twice",
                    a.name, b.name
                ),
                offset: None,
            });
        }
    }
    c.warnings.extend(twins);
}

/// Feed one capture file to a new analyzer (streaming, in 8 MiB reads),
/// its SHA-256 computed on a thread of its own unless `hash` is false: each
/// read goes to the hasher first and is then analysed here, and the hasher
/// hands the buffer back for the next read, so neither waits on the other
/// and no buffer is allocated (or zeroed) per read.
pub fn read_file(
    file: &std::path::Path,
    name: &str,
    params: Params,
    hash: bool,
) -> Result<Analyzer> {
    const READ: usize = 8 << 20;
    let mut f = files::open(file)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut a = Analyzer::new(params);
    a.set_file(name, len, None);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Arc<Vec<u8>>>();
    let hasher = hash.then(|| {
        std::thread::spawn(move || {
            let mut h = sha2::Sha256::new();
            for chunk in rx {
                h.update(&chunk[..]);
                let _ = back_tx.send(chunk);
            }
            portspike_core::export::hex(&h.finalize())
        })
    });
    let mut spare: Option<Vec<u8>> = None;
    loop {
        // A buffer the hasher is done with, or a new one.
        let mut buf = spare
            .take()
            .or_else(|| back_rx.try_iter().find_map(|b| Arc::try_unwrap(b).ok()))
            .unwrap_or_else(|| vec![0u8; READ]);
        buf.resize(READ, 0);
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                spare = Some(buf);
                continue;
            }
            Err(e) => {
                a.read_failed(&e.to_string());
                break;
            }
        };
        buf.truncate(n);
        if hasher.is_some() {
            let chunk = Arc::new(buf);
            let _ = tx.send(chunk.clone());
            a.feed(&chunk);
        } else {
            a.feed(&buf);
            spare = Some(buf);
        }
    }
    drop(tx);
    if let Some(h) = hasher {
        if let Ok(hex) = h.join() {
            a.set_file_sha256(hex);
        }
    }
    Ok(a)
}

/// The deepest directory holding every given path (summaries are named relative to it).
pub fn common_root(paths: &[PathBuf]) -> PathBuf {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().map(PathBuf::from).unwrap_or_default()
            }
        })
        .collect();
    let Some(first) = dirs.first() else {
        return PathBuf::new();
    };
    let mut root = first.clone();
    while !dirs.iter().all(|d| d.starts_with(&root)) {
        if !root.pop() {
            return PathBuf::new();
        }
    }
    root
}
