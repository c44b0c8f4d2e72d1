//! One module a subcommand, each a `run` taking its arguments.

pub mod analyze;
pub mod bench;
pub mod bulk;
pub mod detect;
pub mod diff;
pub mod extract;
pub mod summarize;
pub mod synth;
