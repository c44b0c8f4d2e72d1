//! `portspike bench`: the engine timed alone on a capture held in memory.

use crate::args::*;
use anyhow::{Context, Result};
use portspike_core::{Analyzer, Params};
use std::process::ExitCode;

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let BenchArgs { file, repeat } = args;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    // The detection pass, and apart from it the evidence pass (each
    // finding's window counted again, here from memory).
    let (mut best, mut evidence) = (f64::INFINITY, f64::INFINITY);
    let (mut packets, mut findings) = (0, 0);
    for _ in 0..repeat.max(1) {
        let t = std::time::Instant::now();
        let mut a = Analyzer::new(Params::default());
        a.feed(&bytes);
        let mut r = a.finish();
        best = best.min(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        portspike_core::evidence::over_bytes(&mut r, &bytes, portspike_core::evidence::EXACT_TOTAL);
        evidence = evidence.min(t.elapsed().as_secs_f64());
        packets = r.capture.packets;
        findings = r.spikes.len() + r.scanners.len();
    }
    println!(
        "{}",
        serde_json::json!({
            "bytes": bytes.len(),
            "packets": packets,
            "seconds": best,
            "bytes_per_s": bytes.len() as f64 / best,
            "packets_per_s": packets as f64 / best,
            "findings": findings,
            "evidence_seconds": evidence,
        })
    );
    Ok(ExitCode::SUCCESS)
}
