//! `portspike diff`: what changed from a baseline capture to an incident.

use crate::args::*;
use crate::evidence;
use crate::output::*;
use crate::read::*;
use anyhow::Result;
use portspike_core::Params;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let DiffArgs {
        baseline,
        incident,
        json,
        csv,
        no_hash,
        by,
        detection,
    } = args;
    let params = Params {
        key: by.into(),
        detection: detection.into_detection(),
        ..Params::default()
    };
    let mut reports = Vec::new();
    for file in [&baseline, &incident] {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (mut r, index) = read_file(file, &name, params.clone(), !no_hash)?.finish_with_index();
        if let Err(e) = evidence::exact(
            &mut r,
            &[(file.as_path(), index.into_iter().next().flatten())],
        ) {
            evidence::unavailable(&mut r, &format!("{e:#}"));
        }
        if let (Some(e), true) = (&r.capture.error, file == &incident) {
            say!(
                "portspike: {name}: {} (what came before is compared)",
                e.message
            );
        }
        reports.push(r);
    }
    let (Some(b), Some(i)) = (reports.first(), reports.get(1)) else {
        anyhow::bail!("two captures are needed");
    };
    if let Some(why) = portspike_core::diff::unfit_baseline(&b.capture) {
        anyhow::bail!("{}: {why}; not compared", baseline.display());
    }
    for w in &b.capture.warnings {
        say!("portspike: baseline {}: {}", baseline.display(), w.message);
    }
    let mut d = portspike_core::diff::diff(b, i);
    // An address is new only if it sent nothing in the baseline.
    let named: Vec<std::net::IpAddr> = d
        .new_sources
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    if !named.is_empty() {
        let sent = evidence::sent(&baseline, &named)?;
        portspike_core::diff::seen_in_baseline(&mut d, &sent);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &d)?;
        writeln!(out)?;
    } else if csv {
        out.write_all(portspike_core::diff::csv(&d).as_bytes())?;
    } else {
        writeln!(
            out,
            "{:<10} {:<16} {:<7} {:>9}  {:>22}  {:>22}",
            "port", "service", "change", "ratio", "baseline /min (pkts)", "incident /min (pkts)"
        )?;
        for p in &d.ports {
            writeln!(
                out,
                "{:<10} {:<16} {:<7} {:>9}  {:>22}  {:>22}",
                p.key(),
                p.service.as_deref().unwrap_or("-"),
                p.change,
                format!("{:.1}× {}", p.ratio, p.metric),
                p.baseline.per_minute.packets,
                p.incident.per_minute.packets
            )?;
        }
        if d.ports.is_empty() {
            writeln!(
                out,
                "no port changed by {}× or more",
                portspike_core::diff::CHANGE_FACTOR
            )?;
        }
        for s in &d.new_findings {
            writeln!(
                out,
                "new finding  {} {}  {} → {}",
                s.key(),
                s.kind,
                fmt_ts(s.start_ts),
                fmt_ts(s.end_ts)
            )?;
        }
        for s in &d.new_scanners {
            writeln!(
                out,
                "new scanner  {}  {} ({})",
                s.source,
                s.kind,
                s.probes_joined("/")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
