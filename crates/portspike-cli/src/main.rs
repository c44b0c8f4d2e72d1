//! `portspike`: the port-spike engine on the command line.

/// `eprintln!` for text that may carry a capture's or a file's strings:
/// their control characters are shown, not obeyed ([`terminal::printable`]).
macro_rules! say {
    ($($t:tt)*) => {
        eprintln!("{}", $crate::terminal::printable(&format!($($t)*)))
    };
}

mod args;
mod cmd;
mod evidence;
mod output;
mod read;

use portspike_cli::{files, fleet, terminal};

use anyhow::Result;
use args::{Cli, Cmd};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            say!("portspike: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Analyze(a) => cmd::analyze::run(a),
        Cmd::Synth(a) => cmd::synth::run(a),
        Cmd::Extract(a) => cmd::extract::run(a),
        Cmd::Summarize(a) => cmd::summarize::run(a),
        Cmd::Detect(a) => cmd::detect::run(a),
        Cmd::Diff(a) => cmd::diff::run(a),
        Cmd::Bench(a) => cmd::bench::run(a),
        Cmd::Bulk(a) => cmd::bulk::run(a),
    }
}
