//! `portspike detect`: detection on any set of Parquet summaries.

use crate::args::*;
use crate::fleet;
use crate::output::*;
use crate::read::*;
use anyhow::Result;
use portspike_core::Params;
use std::process::ExitCode;

pub fn run(args: DetectArgs) -> Result<ExitCode> {
    let DetectArgs {
        summaries,
        json,
        csv,
        series_top,
        top,
        detection,
    } = args;
    let files = fleet::parquet_files(&summaries)?;
    if files.is_empty() {
        anyhow::bail!(
            "no .parquet files in {}",
            summaries
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let root = common_root(&summaries);
    let params = Params {
        series_top,
        detection: detection.into_detection(),
        ..Params::default()
    };
    let report = fleet::detect_files(&files, &root, params)?;
    print_report(&report, json, csv, top)?;
    Ok(ExitCode::SUCCESS)
}
