//! `portspike bulk`: a generated capture of a given size, for benchmarks.

use crate::args::*;
use crate::output::*;
use anyhow::{Context, Result};
use std::process::ExitCode;

pub fn run(args: BulkArgs) -> Result<ExitCode> {
    let BulkArgs {
        mix,
        from,
        size,
        format,
        output,
    } = args;
    use portspike_gen::bulk::{Bulk, Container, Mix};
    if !from.is_empty() {
        use portspike_gen::replay::{Repeat, Tile};
        if format != "pcap" {
            anyhow::bail!("--from writes pcap only");
        }
        portspike_cli::files::refuse_overwrite(&output, &from, "the capture")?;
        let mut tiles = Vec::new();
        for f in &from {
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            let name = f.display().to_string();
            tiles.push(Tile::load(&name, &bytes).map_err(anyhow::Error::msg)?);
        }
        let mut g = Repeat::new(tiles, size);
        write_generated(&output, |buf| g.fill(buf, 8 << 20))?;
        say!(
            "wrote {} ({} packets, {} repetitions)",
            output.display(),
            g.packets,
            g.repetitions
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mix =
        Mix::parse(&mix).with_context(|| format!("unknown mix {mix:?} (known: scan, mixed)"))?;
    let container = match format.as_str() {
        "pcap" => Container::Pcap,
        "pcapng" => Container::Pcapng,
        other => anyhow::bail!("unknown format {other:?} (known: pcap, pcapng)"),
    };
    let mut g = Bulk::new(mix, container, size);
    write_generated(&output, |buf| g.fill(buf, 8 << 20))?;
    say!("wrote {} ({} packets)", output.display(), g.packets);
    Ok(ExitCode::SUCCESS)
}
