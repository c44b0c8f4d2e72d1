//! The command line: its subcommands and their arguments (clap derive),
//! and the parsers of the values they take.

use clap::{Parser, Subcommand, ValueEnum};
use portspike_core::params::bounds;
use portspike_core::{bins, Key};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "portspike",
    version,
    about = "Find the ports whose activity suddenly surges in a pcap/pcapng capture"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Analyse a capture and print the ports ranked (or the report as JSON).
    Analyze(AnalyzeArgs),
    /// Write a generated scenario capture (pcap) and its ground truth beside it
    /// (`NAME.truth.json`).
    Synth(SynthArgs),
    /// Save the packets a finding's (or a scanner's) Wireshark filter selects
    /// as a pcap, as the page's "save these packets" does: the capture's time
    /// index names the byte ranges to read again, in 1 MiB pieces. Prints the
    /// filter and the counts as JSON: `packets` written, `matched` (all the
    /// filter selects) and `notes` (why any were left out).
    Extract(ExtractArgs),
    /// Write each capture's per-port, per-bin summary as Parquet, Hive-partitioned
    /// (`DIR/ports/sensor=NAME/day=YYYY-MM-DD/…parquet`, and `DIR/scanners/…`), for
    /// DuckDB, Spark or any engine that reads Parquet (docs/fleet.md).
    Summarize(SummarizeArgs),
    /// Detect spikes on merged summaries (files or directories of `summarize` output):
    /// the same report (schema v1) as `analyze`, its `capture.files` the summaries.
    Detect(DetectArgs),
    /// What changed from a baseline capture to an incident (schema portspike.diff/1):
    /// ports new, gone, grown or shrunk (rates per minute), and sources, scanners and
    /// findings seen only in the incident. Both are analysed with the same settings.
    Diff(DiffArgs),
    /// Time the engine alone on a capture held in memory (best of `--repeat`),
    /// as JSON: bytes, packets, seconds, bytes and packets per second.
    Bench(BenchArgs),
    /// Write a generated bulk capture of a given size, for benchmarks: `scan`
    /// (64-byte SYN scan traffic) or `mixed` (conversations, ~800 B a packet),
    /// or real traffic: `--from` captures repeated, each repetition with
    /// addresses of its own.
    Bulk(BulkArgs),
}

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Capture files (pcap or pcapng, optionally gzip or zstd compressed); several files
    /// are one rotated set on one timeline; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print the full report (schema portspike.report/1) as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print a CSV table instead: the per-(port, bin) series (default), the spikes, or the scanners.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "series")]
    pub csv: Option<CsvKind>,
    /// Also write the attack findings (flood, reflection, backscatter) as a DDoS
    /// Clearing House fingerprint (the dissector's JSON) to FILE, `-` for standard
    /// output (instead of the table); nothing is written when there is no attack finding.
    #[arg(long, value_name = "FILE")]
    pub fingerprint: Option<PathBuf>,
    /// Exit with status 1 when there is an attack-kind spike (sweep, flood, backscatter)
    /// or a scanner that is not allowlisted.
    #[arg(long)]
    pub fail_on_findings: bool,
    /// No progress line on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the files' SHA-256 (computed on a thread of its own, with the CPU's
    /// SHA instructions where it has them: 1.5-1.9 GB/s on one core).
    #[arg(long)]
    pub no_hash: bool,
    /// Key the timelines by the flow's service port or the raw destination port.
    #[arg(long, value_enum, default_value_t = By::Service)]
    pub by: By,
    /// Bin width: 500ms, 1s, 5m, 1h, or a bare number of seconds (default: from the capture's span).
    #[arg(long, value_parser = parse_bin)]
    pub bin: Option<u64>,
    /// How many of the top ports carry a full series in the JSON report.
    #[arg(long, default_value_t = 100)]
    pub series_top: usize,
    /// Rows in the table.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[command(flatten)]
    pub detection: DetectionArgs,
}

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// Scenario: sample, background, sweep, vertical, slowscan, udpscan, ackscan, flood, backscatter,
    /// reflection, waves, crowds, busy, all; over `--background` also ntp, snmp, cldap,
    /// ssdp, ubnt, bacnet, memcached (in fragments), synack (TCP SYN-ACK reflection),
    /// carpet (SSDP reflection over a /24), icmpflood, protoflood, fragflood.
    #[arg(long, default_value = "sample")]
    pub scenario: String,
    /// Output capture file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Real captures to replay as the background (ten minutes of their sessions,
    /// addresses remapped per tile) instead of generated office traffic; every
    /// scenario but sample, slowscan, waves, crowds, busy and all.
    #[arg(long, num_args = 1..)]
    pub background: Vec<PathBuf>,
    /// Tiles follow each other at this period (seconds) instead of random 2–12 s gaps.
    #[arg(long)]
    pub period: Option<f64>,
    /// Seed of the background's placement and remapping.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep one direction only, as a one-way tap records it: `client` (packets towards
    /// the service port), `server` (packets from it, and ICMP) or `from=ADDRESS`.
    #[arg(long, value_parser = portspike_gen::replay::Side::parse)]
    pub one_way: Option<portspike_gen::replay::Side>,
}

#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// The capture files, as given to `analyze` (a compressed one is read again whole).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The finding (its place in the report's `spikes`, from 0).
    #[arg(long, conflicts_with = "scanner")]
    pub finding: Option<usize>,
    /// The scanner (its place in the report's `scanners`, from 0).
    #[arg(long, conflicts_with = "finding")]
    pub scanner: Option<usize>,
    /// A port's packets (`tcp/445`) over the whole capture.
    #[arg(long, conflicts_with_all = ["finding", "scanner"])]
    pub port: Option<String>,
    /// A host's packets (sent or received) over the whole capture.
    #[arg(long, conflicts_with_all = ["finding", "scanner", "port"])]
    pub host: Option<std::net::IpAddr>,
    /// Output capture file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Key the timelines by the flow's service port or the raw destination port.
    #[arg(long, value_enum, default_value_t = By::Service)]
    pub by: By,
    /// Most bytes the saved capture may hold (the page's limit by default).
    #[arg(long, default_value = "256M", value_parser = parse_size)]
    pub limit: u64,
    #[command(flatten)]
    pub detection: DetectionArgs,
}

#[derive(clap::Args, Debug)]
pub struct SummarizeArgs {
    /// Capture files; each is summarised on its own.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// The sensor the captures come from (the `sensor=` partition).
    #[arg(long, default_value = "default")]
    pub sensor: String,
    /// Bin width, aligned to the epoch so summaries add up (e.g. 1m, 5m, 1h).
    #[arg(long, default_value = "1m", value_parser = parse_bin)]
    pub bin: u64,
    /// Skip the captures' SHA-256.
    #[arg(long)]
    pub no_hash: bool,
    /// No progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    #[arg(required = true)]
    pub summaries: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print a CSV table instead: the series (default), the spikes, or the scanners.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "series")]
    pub csv: Option<CsvKind>,
    /// How many of the top ports carry a full series in the JSON report.
    #[arg(long, default_value_t = 100)]
    pub series_top: usize,
    /// Rows in the table.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[command(flatten)]
    pub detection: DetectionArgs,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    pub baseline: PathBuf,
    pub incident: PathBuf,
    /// Print the diff as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the changed ports as CSV.
    #[arg(long)]
    pub csv: bool,
    /// Skip the captures' SHA-256.
    #[arg(long)]
    pub no_hash: bool,
    /// Key the timelines by the flow's service port or the raw destination port.
    #[arg(long, value_enum, default_value_t = By::Service)]
    pub by: By,
    #[command(flatten)]
    pub detection: DetectionArgs,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    pub file: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

#[derive(clap::Args, Debug)]
pub struct BulkArgs {
    /// Traffic: scan or mixed.
    #[arg(long, default_value = "mixed")]
    pub mix: String,
    /// Repeat these captures (in turn; each at most its first two minutes)
    /// instead of generating traffic; writes a nanosecond pcap.
    #[arg(long, num_args = 1.., conflicts_with = "mix")]
    pub from: Vec<PathBuf>,
    /// Size, e.g. 300M, 1G, 5G (binary units).
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    pub size: u64,
    /// Container: pcap or pcapng.
    #[arg(long, default_value = "pcap")]
    pub format: String,
    /// Output capture file.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let mult = match s[i..]
                .to_ascii_uppercase()
                .trim_end_matches("IB")
                .trim_end_matches('B')
            {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
            };
            (&s[..i], mult)
        }
        None => (s, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {s:?}"))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!("not a size: {s:?}"));
    }
    Ok((n * mult as f64) as u64)
}

/// Detection settings (all echoed in the report's `params.detection`).
#[derive(clap::Args, Debug)]
pub struct DetectionArgs {
    /// Robust z-score a bin must reach to count as hot.
    #[arg(long, default_value_t = 6.0, value_parser = bounds::factor)]
    threshold: f64,
    /// Persistence as K/N: a spike needs K hot bins within N consecutive bins.
    #[arg(long, default_value = "2/3", value_parser = bounds::persistence)]
    persistence: (usize, usize),
    /// A single bin this many times over the threshold is a spike on its own.
    #[arg(long, default_value_t = 3.0, value_parser = bounds::factor)]
    single_bin_factor: f64,
    /// Preceding (not hot) bins that form a port's baseline.
    #[arg(long, default_value_t = 60, value_parser = bounds::baseline)]
    baseline_bins: usize,
    /// A hot bin must exceed its baseline by at least this many events.
    #[arg(long, default_value_t = 8.0, value_parser = bounds::excess)]
    min_excess: f64,
    /// Ports with fewer packets are not examined for spikes.
    #[arg(long, default_value_t = 20)]
    min_events: u64,
    /// Home network (CIDR), to tell inbound from outbound scanners; repeatable.
    #[arg(long, value_parser = parse_cidr)]
    home: Vec<String>,
    /// Known scanner (address or CIDR): its findings are marked allowlisted, not hidden; repeatable.
    #[arg(long, value_parser = parse_cidr)]
    allow: Vec<String>,
}

pub fn parse_cidr(s: &str) -> Result<String, String> {
    portspike_core::detect::Cidr::parse(s).map(|c| c.to_string())
}

impl DetectionArgs {
    pub fn into_detection(self) -> portspike_core::detect::Detection {
        portspike_core::detect::Detection {
            threshold: self.threshold,
            persistence_k: self.persistence.0,
            persistence_n: self.persistence.1,
            single_bin_factor: self.single_bin_factor,
            baseline_bins: self.baseline_bins,
            min_excess: self.min_excess,
            min_events: self.min_events,
            home: self.home,
            allow: self.allow,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CsvKind {
    Series,
    Spikes,
    Scanners,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum By {
    Service,
    DstPort,
}

impl From<By> for Key {
    fn from(by: By) -> Key {
        match by {
            By::Service => Key::Service,
            By::DstPort => Key::DstPort,
        }
    }
}

pub fn parse_bin(s: &str) -> Result<u64, String> {
    bins::parse_width(s)
}
