//! `portspike extract`: the packets a finding's, a scanner's, a port's or a host's filter selects, saved as a capture.

use crate::args::*;
use crate::read::*;
use crate::{evidence, files};
use anyhow::{Context, Result};
use portspike_core::window::Selection;
use portspike_core::{Analyzer, Params};
use std::io::Read;
use std::process::ExitCode;

pub fn run(args: ExtractArgs) -> Result<ExitCode> {
    let ExtractArgs {
        files,
        finding,
        scanner,
        port,
        host,
        output,
        by,
        limit,
        detection,
    } = args;
    let params = Params {
        key: by.into(),
        detection: detection.into_detection(),
        ..Params::default()
    };
    // Never write the evidence over the capture it comes from.
    portspike_cli::files::refuse_overwrite(&output, &files, "the packets")?;
    let mut a = Analyzer::new(params);
    for file in &files {
        let mut f = files::open(file)?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        a.begin_file(&file.display().to_string(), len, None);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = f
                .read(&mut buf)
                .with_context(|| format!("reading {}", file.display()))?;
            if n == 0 {
                break;
            }
            a.feed(buf.get(..n).unwrap_or_default());
        }
    }
    let (report, index) = a.finish_with_index();
    let sel = selection(&report, finding, scanner, port, host)?;
    let mut x = portspike_core::window::Extract::new(sel, limit as usize);
    for (file, ix) in files.iter().zip(&index) {
        // A compressed file has no index: it is read again whole,
        // through its decompressor.
        let Some(ix) = ix.as_ref() else {
            evidence::read_parts(file, &[(&[][..], 0, None)], &mut x)?;
            continue;
        };
        let ranges = portspike_core::window::ranges_for(ix, sel.t0_us, sel.t1_us)
            .with_context(|| format!("{} has too many sections to index", file.display()))?;
        let parts: Vec<_> = ranges
            .into_iter()
            .map(|(p, a, b)| (p, a, Some(b)))
            .collect();
        evidence::read_parts(file, &parts, &mut x)?;
    }
    x.end();
    let summary = serde_json::json!({
        "filter": sel.wireshark_filter(),
        "format": x.format(),
        "packets": x.packets,
        "matched": x.matched(),
        "notes": x.notes(),
    });
    let bytes = x.finish();
    std::fs::write(&output, bytes).with_context(|| format!("writing {}", output.display()))?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// What to save: a finding's window in its own filter, a scanner's, or a
/// port's or a host's packets over the whole capture.
fn selection(
    report: &portspike_core::Report,
    finding: Option<usize>,
    scanner: Option<usize>,
    port: Option<String>,
    host: Option<std::net::IpAddr>,
) -> Result<Selection> {
    // The whole capture, for --port and --host (packets without a
    // timestamp of their own included).
    let whole = (i64::MIN, i64::MAX);
    let sel = match (finding, scanner) {
        (None, None) if port.is_some() => {
            let p = port.unwrap_or_default();
            let k: portspike_core::decode::PortKey = p
                .parse()
                .ok()
                .with_context(|| format!("not a port: {p:?} (like tcp/445)"))?;
            Selection::port(report.params.key, k.proto, k.port, whole.0, whole.1)
        }
        (None, None) if host.is_some() => {
            Selection::host(host.context("a host")?, whole.0, whole.1)
        }
        (Some(i), _) => {
            let s = report.spikes.get(i).with_context(|| {
                format!("no finding {i}: the report has {}", report.spikes.len())
            })?;
            Selection::port(report.params.key, s.proto, s.port, s.start_ts, s.end_ts).aimed(
                portspike_core::filter::Aim::parse(s.aimed_at.as_deref().unwrap_or("")),
            )
        }
        (None, Some(i)) => {
            let s = report.scanners.get(i).with_context(|| {
                format!("no scanner {i}: the report has {}", report.scanners.len())
            })?;
            Selection::host(
                s.source.parse().context("a scanner without an address")?,
                s.first_ts,
                s.last_ts + 1,
            )
        }
        (None, None) => {
            anyhow::bail!("say which: --finding N, --scanner N, --port P or --host A")
        }
    };
    Ok(sel)
}
