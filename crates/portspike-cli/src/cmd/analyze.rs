//! `portspike analyze`: a capture (or a rotated set, or standard input) analysed, printed ranked, as JSON or CSV.

use crate::args::*;
use crate::output::*;
use crate::read::*;
use crate::{evidence, files};
use anyhow::Result;
use portspike_core::{Analyzer, Params};
use sha2::Digest;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let AnalyzeArgs {
        files,
        json,
        csv,
        fingerprint,
        fail_on_findings,
        quiet,
        no_hash,
        by,
        bin,
        series_top,
        top,
        detection,
    } = args;
    let fingerprint_out = fingerprint.as_deref().is_some_and(|f| f.as_os_str() == "-");
    if let Some(path) = fingerprint.as_deref().filter(|_| !fingerprint_out) {
        files::refuse_overwrite(path, &files, "the fingerprint")?;
    }
    if fingerprint_out && (json || csv.is_some()) {
        anyhow::bail!(
            "--fingerprint - and --{} would both write to standard output",
            if json { "json" } else { "csv" }
        );
    }
    let params = Params {
        key: by.into(),
        bin_width_us: bin,
        series_top,
        detection: detection.into_detection(),
    };
    let mut a = Analyzer::new(params);
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut progress = Progress::new(!quiet && std::io::stderr().is_terminal());
    let mut read_failed = false;
    // A file named twice is read once: counting its packets twice
    // would double every figure without a word.
    let mut seen = std::collections::HashSet::new();
    let mut skipped: Vec<String> = Vec::new();
    // The files read, in order, to read each finding's window again.
    let mut read: Vec<&std::path::Path> = Vec::new();
    let mut stdin = false;
    for file in &files {
        let name = file.display().to_string();
        if name != "-" {
            if let Ok(path) = std::fs::canonicalize(file) {
                if !seen.insert(path) {
                    skipped.push(name);
                    continue;
                }
            }
        }
        let input: Box<dyn Read + Send> = if name == "-" {
            a.begin_file("-", 0, None);
            stdin = true;
            Box::new(std::io::stdin())
        } else {
            if file.is_dir() {
                anyhow::bail!("cannot read {name}: it is a directory");
            }
            let f = files::open(file)?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let base = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(name.clone());
            a.begin_file(&base, len, None);
            read.push(file);
            Box::new(f)
        };
        let (digest, failed) = read_one(&mut a, input, &name, no_hash, &mut progress, total)?;
        read_failed = failed;
        // A file read in part has no hash of its own.
        if let (Some(digest), false) = (digest, read_failed) {
            a.set_file_sha256(digest);
        }
        if read_failed {
            break;
        }
    }
    let name = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    progress.clear();
    let (mut report, index) = a.finish_with_index();
    duplicate_warnings(&mut report, &skipped);
    count_again(&mut report, read_failed, stdin, &read, index);
    if !fingerprint_out {
        print_report(&report, json, csv, top)?;
    }
    if let Some(path) = &fingerprint {
        write_fingerprint(&report, path)?;
    }
    if let Some(line) = error_line(&report, &name) {
        say!("{line}");
    }
    Ok(exit_code(&report, fail_on_findings))
}

/// One file read through the analyser: a reading thread a few chunks ahead
/// and, unless `no_hash`, a hashing thread. Its SHA-256, and whether the
/// read failed part way (what was read stays counted).
fn read_one(
    a: &mut Analyzer,
    input: Box<dyn Read + Send>,
    name: &str,
    no_hash: bool,
    progress: &mut Progress,
    total: u64,
) -> Result<(Option<String>, bool)> {
    // Reading runs on its own thread, a few chunks ahead, into
    // buffers that come back once used (no allocation, no page
    // faults per chunk). The file's SHA-256 runs on a thread of
    // its own over the same buffers, shared rather than copied,
    // while each is still in cache: whichever of the analysis and
    // the hash is done with a chunk last gives it back.
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let mut read_failed = false;
    let digest = std::thread::scope(|scope| -> Result<Option<String>> {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel(3);
        scope.spawn(move || read_ahead(input, &full_tx, &empty_rx));
        let (hash_tx, hasher) = if no_hash {
            (None, None)
        } else {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(4);
            let empty = empty_tx.clone();
            let hasher = scope.spawn(move || {
                let mut h = sha2::Sha256::default();
                for chunk in rx {
                    h.update(chunk.as_slice());
                    give_back(chunk, &empty);
                }
                portspike_core::export::hex(&h.finalize())
            });
            (Some(tx), Some(hasher))
        };
        for msg in full_rx {
            let chunk = match msg {
                Ok(buf) => Arc::new(buf),
                Err(e) => {
                    // What was read stays counted; the report says where.
                    a.read_failed(&e.to_string());
                    read_failed = true;
                    break;
                }
            };
            if let Some(tx) = &hash_tx {
                // The hasher only stops early if it panicked; join reports that.
                let _ = tx.send(chunk.clone());
            }
            a.feed(&chunk);
            progress.tick(a, total);
            give_back(chunk, &empty_tx);
        }
        drop(hash_tx);
        hasher
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("hashing {name} failed"))
            })
            .transpose()
    })?;
    Ok((digest, read_failed))
}

/// The findings counted again from the files (exact numbers), or marked as
/// the first pass's estimates where the input cannot be read twice.
fn count_again(
    report: &mut portspike_core::Report,
    read_failed: bool,
    stdin: bool,
    read: &[&std::path::Path],
    index: Vec<Option<portspike_core::capture::Index>>,
) {
    if read_failed {
        evidence::unavailable(
            report,
            "the capture could not be read to its end: the findings' numbers are the first pass's estimates",
        );
    } else if stdin {
        evidence::unavailable(
            report,
            "standard input cannot be read twice: the findings' numbers are the first pass's estimates",
        );
    } else {
        let with_index: Vec<_> = read.iter().copied().zip(index).collect();
        if let Err(e) = evidence::exact(report, &with_index) {
            evidence::unavailable(
                report,
                &format!("{e:#}: the findings' numbers are the first pass's estimates"),
            );
        }
    }
}

/// The line stderr gets when the capture could not be read to its end.
fn error_line(report: &portspike_core::Report, name: &str) -> Option<String> {
    let e = report.capture.error.as_ref()?;
    let at = e
        .offset
        .map(|o| format!(" at byte offset {o}"))
        .unwrap_or_default();
    // With several files the message begins with the file it is about.
    Some(if report.capture.files.len() > 1 {
        format!("portspike: {}{at}", e.message)
    } else {
        format!("portspike: {name}: {}{at}", e.message)
    })
}

/// 2 when nothing could be read, 3 when the capture broke off, 1 for an
/// attack finding with `--fail-on-findings`.
fn exit_code(report: &portspike_core::Report, fail_on_findings: bool) -> ExitCode {
    if report.capture.error.is_some() {
        return ExitCode::from(if report.capture.packets == 0 { 2 } else { 3 });
    }
    let attack = report.spikes.iter().any(|s| s.is_attack())
        || report.scanners.iter().any(|s| !s.allowlisted);
    if fail_on_findings && attack {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
