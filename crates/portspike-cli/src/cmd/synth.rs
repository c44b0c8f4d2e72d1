//! `portspike synth`: a generated scenario capture and its ground truth.

use crate::args::*;
use anyhow::{Context, Result};
use std::process::ExitCode;

pub fn run(args: SynthArgs) -> Result<ExitCode> {
    let SynthArgs {
        scenario,
        output,
        background,
        period,
        seed,
        one_way,
    } = args;
    use portspike_gen::replay::{Background, Placement, Tile};
    use portspike_gen::synth;
    let made = if background.is_empty() {
        synth::scenario(&scenario).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown scenario {scenario:?} (known: {})",
                synth::SCENARIOS.join(", ")
            )
        })?
    } else {
        let mut tiles = Vec::new();
        for f in &background {
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            tiles.push(Tile::load(&name, &bytes).map_err(anyhow::Error::msg)?);
        }
        let bg = Background {
            tiles,
            placement: period.map_or(Placement::Random, |p| Placement::Periodic { period_s: p }),
        };
        synth::scenario_on(&scenario, &bg, seed).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown scenario {scenario:?} over a background (known: {})",
                synth::BACKGROUND_SCENARIOS.join(", ")
            )
        })?
    };
    let (mut bytes, truth) = made;
    if let Some(side) = one_way {
        bytes = portspike_gen::replay::one_way(&bytes, side).map_err(anyhow::Error::msg)?;
    }
    std::fs::write(&output, bytes).with_context(|| format!("writing {}", output.display()))?;
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| scenario.clone());
    let truth_path = output.with_file_name(format!("{stem}.truth.json"));
    let json = serde_json::to_string_pretty(&truth)?;
    std::fs::write(&truth_path, json + "\n")
        .with_context(|| format!("writing {}", truth_path.display()))?;
    say!("wrote {} and {}", output.display(), truth_path.display());
    Ok(ExitCode::SUCCESS)
}
