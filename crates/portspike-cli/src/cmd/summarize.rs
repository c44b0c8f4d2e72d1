//! `portspike summarize`: each capture's per-port summary written as Parquet.

use crate::args::*;
use crate::fleet;
use crate::read::*;
use anyhow::Result;
use portspike_core::Params;
use std::process::ExitCode;

pub fn run(args: SummarizeArgs) -> Result<ExitCode> {
    let SummarizeArgs {
        files,
        out,
        sensor,
        bin,
        no_hash,
        quiet,
    } = args;
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture".into());
        // The report is read for its capture summary and scanners
        // only: no timelines (at a fine width over a long span they
        // would be most of the memory).
        let params = Params {
            bin_width_us: Some(bin),
            series_top: 0,
            ..Params::default()
        };
        let (report, rows) = read_file(file, &name, params, !no_hash)?.finish_with_summary();
        // Nothing read: no summary (analyze exits 2 on it too).
        if let (Some(e), 0) = (&report.capture.error, report.capture.packets) {
            let at = e
                .offset
                .map(|o| format!(" at byte offset {o}"))
                .unwrap_or_default();
            anyhow::bail!("{name}: {}{at}: nothing to summarise", e.message);
        }
        // The width the rows have: a span past what one width may
        // hold in bins is summarised at a coarser one, and said.
        let width = report.bin_width_us;
        if width != bin {
            say!(
                "portspike: {name}: its span needs more bins of {bin} µs than a timeline holds: summarised at {width} µs (detect merges it only with summaries of that width)"
            );
        }
        let written = fleet::write_summary(
            &out,
            &sensor,
            &name,
            &report.capture,
            width,
            &rows,
            &report.scanners,
        )?;
        if let Some(w) = report
            .capture
            .warnings
            .iter()
            .find(|w| w.code == "series_bounded")
        {
            say!(
                "portspike: {name}: the summary leaves out ports without a timeline: {}",
                w.message
            );
        }
        if let Some(e) = &report.capture.error {
            say!(
                "portspike: {name}: {} (what came before is summarised)",
                e.message
            );
        }
        if !quiet {
            say!(
                "{name}: {} packets, {} rows → {}",
                report.capture.packets,
                rows.len(),
                written
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
