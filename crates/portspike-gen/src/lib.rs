//! portspike-gen: captures made to measure for portspike's tests,
//! benchmarks and demos, kept out of the engine crate.
//!
//! - [`synth`]: labelled scenarios (office background with sweeps, floods,
//!   backscatter, slow and UDP scans…) with their ground truth, and the
//!   bundled sample;
//! - [`replay`]: real captures replayed as tiles (addresses remapped per
//!   tile) as the background of a scenario, or cut to one direction;
//! - [`bulk`]: large benchmark inputs of a given size and traffic mix.
//!
//! What they share sits in leaf modules that import none of them:
//! [`clock`] (the day generated captures are dated on), [`rng`] (the random
//! numbers) and [`trace`] (packets written by hand, sorted into a pcap).
//! Imports go one way: `synth` → `replay` → the leaves, `bulk` → the leaves.
//!
//! Everything here writes bytes (pcap or pcapng) that the core reads like
//! any capture.

pub mod bulk;
pub mod clock;
pub mod replay;
pub mod rng;
pub mod synth;
pub mod trace;
