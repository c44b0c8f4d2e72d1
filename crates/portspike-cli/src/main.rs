//! `portspike`: the port-spike engine on the command line.

/// `eprintln!` for text that may carry a capture's or a file's strings:
/// their control characters are shown, not obeyed ([`terminal::printable`]).
macro_rules! say {
    ($($t:tt)*) => {
        eprintln!("{}", $crate::terminal::printable(&format!($($t)*)))
    };
}

mod evidence;

use portspike_cli::{files, fleet, terminal};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use portspike_core::report::Report;
use portspike_core::{bins, Analyzer, Key, Params};
use sha2::Digest;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "portspike",
    version,
    about = "Find the ports whose activity suddenly surges in a pcap/pcapng capture"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Analyse a capture and print the ports ranked (or the report as JSON).
    Analyze {
        /// Capture files (pcap or pcapng, optionally gzip or zstd compressed); several files
        /// are one rotated set on one timeline; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the full report (schema portspike.report/1) as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print a CSV table instead: the per-(port, bin) series (default), the spikes, or the scanners.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "series")]
        csv: Option<CsvKind>,
        /// Also write the attack findings (flood, reflection, backscatter) as a DDoS
        /// Clearing House fingerprint (the dissector's JSON) to FILE, `-` for standard
        /// output (instead of the table); nothing is written when there is no attack finding.
        #[arg(long, value_name = "FILE")]
        fingerprint: Option<PathBuf>,
        /// Exit with status 1 when there is an attack-kind spike (sweep, flood, backscatter)
        /// or a scanner that is not allowlisted.
        #[arg(long)]
        fail_on_findings: bool,
        /// No progress line on the terminal.
        #[arg(long, short)]
        quiet: bool,
        /// Skip the files' SHA-256 (computed on a thread of its own, with the CPU's
        /// SHA instructions where it has them: 1.5-1.9 GB/s on one core).
        #[arg(long)]
        no_hash: bool,
        /// Key the timelines by the flow's service port or the raw destination port.
        #[arg(long, value_enum, default_value_t = By::Service)]
        by: By,
        /// Bin width: 500ms, 1s, 5m, 1h, or a bare number of seconds (default: from the capture's span).
        #[arg(long, value_parser = parse_bin)]
        bin: Option<u64>,
        /// How many of the top ports carry a full series in the JSON report.
        #[arg(long, default_value_t = 100)]
        series_top: usize,
        /// Rows in the table.
        #[arg(long, default_value_t = 20)]
        top: usize,
        #[command(flatten)]
        detection: DetectionArgs,
    },
    /// Write a generated scenario capture (pcap) and its ground truth beside it
    /// (`NAME.truth.json`).
    Synth {
        /// Scenario: sample, background, sweep, vertical, slowscan, udpscan, ackscan, flood, backscatter,
        /// reflection, waves, crowds, busy, all; over `--background` also ntp, snmp, cldap,
        /// ssdp, ubnt, bacnet, memcached (in fragments), synack (TCP SYN-ACK reflection),
        /// carpet (SSDP reflection over a /24), icmpflood, protoflood, fragflood.
        #[arg(long, default_value = "sample")]
        scenario: String,
        /// Output capture file.
        #[arg(short, long)]
        output: PathBuf,
        /// Real captures to replay as the background (ten minutes of their sessions,
        /// addresses remapped per tile) instead of generated office traffic; every
        /// scenario but sample, slowscan, waves, crowds, busy and all.
        #[arg(long, num_args = 1..)]
        background: Vec<PathBuf>,
        /// Tiles follow each other at this period (seconds) instead of random 2–12 s gaps.
        #[arg(long)]
        period: Option<f64>,
        /// Seed of the background's placement and remapping.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep one direction only, as a one-way tap records it: `client` (packets towards
        /// the service port), `server` (packets from it, and ICMP) or `from=ADDRESS`.
        #[arg(long, value_parser = portspike_gen::replay::Side::parse)]
        one_way: Option<portspike_gen::replay::Side>,
    },
    /// Save the packets a finding's (or a scanner's) Wireshark filter selects
    /// as a pcap, as the page's "save these packets" does: the capture's time
    /// index names the byte ranges to read again, in 1 MiB pieces. Prints the
    /// filter and the counts as JSON: `packets` written, `matched` (all the
    /// filter selects) and `notes` (why any were left out).
    Extract {
        /// The capture files, as given to `analyze` (a compressed one is read again whole).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The finding (its place in the report's `spikes`, from 0).
        #[arg(long, conflicts_with = "scanner")]
        finding: Option<usize>,
        /// The scanner (its place in the report's `scanners`, from 0).
        #[arg(long, conflicts_with = "finding")]
        scanner: Option<usize>,
        /// A port's packets (`tcp/445`) over the whole capture.
        #[arg(long, conflicts_with_all = ["finding", "scanner"])]
        port: Option<String>,
        /// A host's packets (sent or received) over the whole capture.
        #[arg(long, conflicts_with_all = ["finding", "scanner", "port"])]
        host: Option<std::net::IpAddr>,
        /// Output capture file.
        #[arg(short, long)]
        output: PathBuf,
        /// Key the timelines by the flow's service port or the raw destination port.
        #[arg(long, value_enum, default_value_t = By::Service)]
        by: By,
        /// Most bytes the saved capture may hold (the page's limit by default).
        #[arg(long, default_value = "256M", value_parser = parse_size)]
        limit: u64,
        #[command(flatten)]
        detection: DetectionArgs,
    },
    /// Write each capture's per-port, per-bin summary as Parquet, Hive-partitioned
    /// (`DIR/ports/sensor=NAME/day=YYYY-MM-DD/…parquet`, and `DIR/scanners/…`), for
    /// DuckDB, Spark or any engine that reads Parquet (docs/fleet.md).
    Summarize {
        /// Capture files; each is summarised on its own.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The sensor the captures come from (the `sensor=` partition).
        #[arg(long, default_value = "default")]
        sensor: String,
        /// Bin width, aligned to the epoch so summaries add up (e.g. 1m, 5m, 1h).
        #[arg(long, default_value = "1m", value_parser = parse_bin)]
        bin: u64,
        /// Skip the captures' SHA-256.
        #[arg(long)]
        no_hash: bool,
        /// No progress lines.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Detect spikes on merged summaries (files or directories of `summarize` output):
    /// the same report (schema v1) as `analyze`, its `capture.files` the summaries.
    Detect {
        #[arg(required = true)]
        summaries: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print a CSV table instead: the series (default), the spikes, or the scanners.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "series")]
        csv: Option<CsvKind>,
        /// How many of the top ports carry a full series in the JSON report.
        #[arg(long, default_value_t = 100)]
        series_top: usize,
        /// Rows in the table.
        #[arg(long, default_value_t = 20)]
        top: usize,
        #[command(flatten)]
        detection: DetectionArgs,
    },
    /// What changed from a baseline capture to an incident (schema portspike.diff/1):
    /// ports new, gone, grown or shrunk (rates per minute), and sources, scanners and
    /// findings seen only in the incident. Both are analysed with the same settings.
    Diff {
        baseline: PathBuf,
        incident: PathBuf,
        /// Print the diff as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print the changed ports as CSV.
        #[arg(long)]
        csv: bool,
        /// Skip the captures' SHA-256.
        #[arg(long)]
        no_hash: bool,
        /// Key the timelines by the flow's service port or the raw destination port.
        #[arg(long, value_enum, default_value_t = By::Service)]
        by: By,
        #[command(flatten)]
        detection: DetectionArgs,
    },
    /// Time the engine alone on a capture held in memory (best of `--repeat`),
    /// as JSON: bytes, packets, seconds, bytes and packets per second.
    Bench {
        file: PathBuf,
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Write a generated bulk capture of a given size, for benchmarks: `scan`
    /// (64-byte SYN scan traffic) or `mixed` (conversations, ~800 B a packet),
    /// or real traffic: `--from` captures repeated, each repetition with
    /// addresses of its own.
    Bulk {
        /// Traffic: scan or mixed.
        #[arg(long, default_value = "mixed")]
        mix: String,
        /// Repeat these captures (in turn; each at most its first two minutes)
        /// instead of generating traffic; writes a nanosecond pcap.
        #[arg(long, num_args = 1.., conflicts_with = "mix")]
        from: Vec<PathBuf>,
        /// Size, e.g. 300M, 1G, 5G (binary units).
        #[arg(long, default_value = "100M", value_parser = parse_size)]
        size: u64,
        /// Container: pcap or pcapng.
        #[arg(long, default_value = "pcap")]
        format: String,
        /// Output capture file.
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn parse_size(s: &str) -> Result<u64, String> {
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
struct DetectionArgs {
    /// Robust z-score a bin must reach to count as hot.
    #[arg(long, default_value_t = 6.0, value_parser = parse_factor)]
    threshold: f64,
    /// Persistence as K/N: a spike needs K hot bins within N consecutive bins.
    #[arg(long, default_value = "2/3", value_parser = parse_kn)]
    persistence: (usize, usize),
    /// A single bin this many times over the threshold is a spike on its own.
    #[arg(long, default_value_t = 3.0, value_parser = parse_factor)]
    single_bin_factor: f64,
    /// Preceding (not hot) bins that form a port's baseline.
    #[arg(long, default_value_t = 60)]
    baseline_bins: usize,
    /// A hot bin must exceed its baseline by at least this many events.
    #[arg(long, default_value_t = 8.0, value_parser = parse_excess)]
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

/// A threshold or factor: a number above 0, at most a million.
fn parse_factor(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1e6 => Ok(x),
        _ => Err(format!(
            "{s:?} is not a number above 0 and at most 1,000,000"
        )),
    }
}

/// An excess in events: a number from 0 to a trillion.
fn parse_excess(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=1e12).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a number from 0 to 1,000,000,000,000")),
    }
}

fn parse_kn(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, like 2/3")?;
    let k: usize = k.trim().parse().map_err(|_| "K is not a number")?;
    let n: usize = n.trim().parse().map_err(|_| "N is not a number")?;
    if k == 0 || k > n {
        return Err("need 1 <= K <= N".into());
    }
    Ok((k, n))
}

fn parse_cidr(s: &str) -> Result<String, String> {
    portspike_core::detect::Cidr::parse(s).map(|c| c.to_string())
}

impl DetectionArgs {
    fn into_detection(self) -> portspike_core::detect::Detection {
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
enum CsvKind {
    Series,
    Spikes,
    Scanners,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum By {
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

fn parse_bin(s: &str) -> Result<u64, String> {
    bins::parse_width(s)
}

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

const CHUNK: usize = 1 << 20;

/// Hand a chunk's buffer back to the reader once nobody else holds it.
fn give_back(chunk: Arc<Vec<u8>>, empty: &std::sync::mpsc::Sender<Vec<u8>>) {
    if let Some(buf) = Arc::into_inner(chunk) {
        let _ = empty.send(buf);
    }
}

/// Read `input` in [`CHUNK`]s into buffers from `empty` (or new ones) and
/// send them, in order, to `full`; a read error is sent and ends the reading.
fn read_ahead(
    mut input: Box<dyn Read + Send>,
    full: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = empty.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let n = loop {
            match input.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        match n {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                if full.send(Ok(buf)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// A progress line on the terminal (stderr), at most four times a second.
struct Progress {
    on: bool,
    last: Option<std::time::Instant>,
    shown: bool,
}

impl Progress {
    fn new(on: bool) -> Self {
        Progress {
            on,
            last: None,
            shown: false,
        }
    }

    fn tick(&mut self, a: &Analyzer, total: u64) {
        if !self.on || self.last.is_some_and(|t| t.elapsed().as_millis() < 250) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let p = a.progress();
        let pct = if total > 0 {
            format!(" ({:.0}%)", p.bytes as f64 * 100.0 / total as f64)
        } else {
            String::new()
        };
        eprint!(
            "\r\x1b[2K{:.1} MB{pct}, {} packets",
            p.bytes as f64 / 1e6,
            p.packets
        );
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Say which files were given twice (and read once), and which read files
/// hold the same bytes under two names (their packets are counted twice).
fn duplicate_warnings(report: &mut portspike_core::report::Report, skipped: &[String]) {
    use portspike_core::report::Problem;
    let c = &mut report.capture;
    for name in skipped {
        c.warnings.push(Problem {
            code: "duplicate_file".into(),
            message: format!("{name} was given more than once: it was read once"),
            offset: None,
        });
    }
    let mut twins = Vec::new();
    for (i, a) in c.files.iter().enumerate() {
        let twin =
            c.files.iter().skip(i + 1).find(|b| {
                a.sha256.is_some() && a.sha256 == b.sha256 && a.file_bytes == b.file_bytes
            });
        if let Some(b) = twin {
            twins.push(Problem {
                code: "duplicate_file".into(),
                message: format!(
                    "{} and {} hold the same bytes (SHA-256): their packets are counted twice",
                    a.name, b.name
                ),
                offset: None,
            });
        }
    }
    c.warnings.extend(twins);
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Analyze {
            files,
            json,
            csv,
            fingerprint,
            fail_on_findings,
            quiet,
            no_hash,
            by,
            bin,
            series_top,
            top,
            detection,
        } => {
            let fingerprint_out = fingerprint.as_deref().is_some_and(|f| f.as_os_str() == "-");
            if fingerprint_out && (json || csv.is_some()) {
                anyhow::bail!(
                    "--fingerprint - and --{} would both write to standard output",
                    if json { "json" } else { "csv" }
                );
            }
            let params = Params {
                key: by.into(),
                bin_width_us: bin,
                series_top,
                detection: detection.into_detection(),
            };
            let mut a = Analyzer::new(params);
            let total: u64 = files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let mut progress = Progress::new(!quiet && std::io::stderr().is_terminal());
            let mut read_failed = false;
            // A file named twice is read once: counting its packets twice
            // would double every figure without a word.
            let mut seen = std::collections::HashSet::new();
            let mut skipped: Vec<String> = Vec::new();
            // The files read, in order, to read each finding's window again.
            let mut read: Vec<&std::path::Path> = Vec::new();
            let mut stdin = false;
            for file in &files {
                let name = file.display().to_string();
                if name != "-" {
                    if let Ok(path) = std::fs::canonicalize(file) {
                        if !seen.insert(path) {
                            skipped.push(name);
                            continue;
                        }
                    }
                }
                let input: Box<dyn Read + Send> = if name == "-" {
                    a.begin_file("-", 0, None);
                    stdin = true;
                    Box::new(std::io::stdin())
                } else {
                    if file.is_dir() {
                        anyhow::bail!("cannot read {name}: it is a directory");
                    }
                    let f = files::open(file)?;
                    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                    let base = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or(name.clone());
                    a.begin_file(&base, len, None);
                    read.push(file);
                    Box::new(f)
                };
                // Reading runs on its own thread, a few chunks ahead, into
                // buffers that come back once used (no allocation, no page
                // faults per chunk). The file's SHA-256 runs on a thread of
                // its own over the same buffers, shared rather than copied,
                // while each is still in cache: whichever of the analysis and
                // the hash is done with a chunk last gives it back.
                let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
                let digest = std::thread::scope(|scope| -> Result<Option<String>> {
                    let (full_tx, full_rx) = std::sync::mpsc::sync_channel(3);
                    scope.spawn(move || read_ahead(input, &full_tx, &empty_rx));
                    let (hash_tx, hasher) = if no_hash {
                        (None, None)
                    } else {
                        let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(4);
                        let empty = empty_tx.clone();
                        let hasher = scope.spawn(move || {
                            let mut h = sha2::Sha256::default();
                            for chunk in rx {
                                h.update(chunk.as_slice());
                                give_back(chunk, &empty);
                            }
                            portspike_core::export::hex(&h.finalize())
                        });
                        (Some(tx), Some(hasher))
                    };
                    for msg in full_rx {
                        let chunk = match msg {
                            Ok(buf) => Arc::new(buf),
                            Err(e) => {
                                // What was read stays counted; the report says where.
                                a.read_failed(&e.to_string());
                                read_failed = true;
                                break;
                            }
                        };
                        if let Some(tx) = &hash_tx {
                            // The hasher only stops early if it panicked; join reports that.
                            let _ = tx.send(chunk.clone());
                        }
                        a.feed(&chunk);
                        progress.tick(&a, total);
                        give_back(chunk, &empty_tx);
                    }
                    drop(hash_tx);
                    hasher
                        .map(|h| {
                            h.join()
                                .map_err(|_| anyhow::anyhow!("hashing {name} failed"))
                        })
                        .transpose()
                })?;
                // A file read in part has no hash of its own.
                if let (Some(digest), false) = (digest, read_failed) {
                    a.set_file_sha256(digest);
                }
                if read_failed {
                    break;
                }
            }
            let name = files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            progress.clear();
            let (mut report, index) = a.finish_with_index();
            duplicate_warnings(&mut report, &skipped);
            if read_failed {
                evidence::unavailable(
                    &mut report,
                    "the capture could not be read to its end: the findings' numbers are the first pass's estimates",
                );
            } else if stdin {
                evidence::unavailable(
                    &mut report,
                    "standard input cannot be read twice: the findings' numbers are the first pass's estimates",
                );
            } else {
                let with_index: Vec<_> = read.iter().copied().zip(index).collect();
                if let Err(e) = evidence::exact(&mut report, &with_index) {
                    evidence::unavailable(&mut report, &format!("{e:#}"));
                }
            }
            if !fingerprint_out {
                print_report(&report, json, csv, top)?;
            }
            if let Some(path) = &fingerprint {
                write_fingerprint(&report, path)?;
            }
            if let Some(e) = &report.capture.error {
                let at = e
                    .offset
                    .map(|o| format!(" at byte offset {o}"))
                    .unwrap_or_default();
                // With several files the message begins with the file it is about.
                let line = if report.capture.files.len() > 1 {
                    format!("portspike: {}{at}", e.message)
                } else {
                    format!("portspike: {name}: {}{at}", e.message)
                };
                say!("{line}");
                return Ok(ExitCode::from(if report.capture.packets == 0 {
                    2
                } else {
                    3
                }));
            }
            let attack = report.spikes.iter().any(|s| s.is_attack())
                || report.scanners.iter().any(|s| !s.allowlisted);
            if fail_on_findings && attack {
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Synth {
            scenario,
            output,
            background,
            period,
            seed,
            one_way,
        } => {
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
                    let bytes =
                        std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                    let name = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    tiles.push(Tile::load(&name, &bytes).map_err(anyhow::Error::msg)?);
                }
                let bg = Background {
                    tiles,
                    placement: period
                        .map_or(Placement::Random, |p| Placement::Periodic { period_s: p }),
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
            std::fs::write(&output, bytes)
                .with_context(|| format!("writing {}", output.display()))?;
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
        Cmd::Extract {
            files,
            finding,
            scanner,
            port,
            host,
            output,
            by,
            limit,
            detection,
        } => {
            let params = Params {
                key: by.into(),
                detection: detection.into_detection(),
                ..Params::default()
            };
            // Never write the evidence over the capture it comes from.
            if let Ok(out) = std::fs::canonicalize(&output) {
                if files
                    .iter()
                    .any(|f| std::fs::canonicalize(f).is_ok_and(|f| f == out))
                {
                    anyhow::bail!(
                        "refusing to write {} over the capture it is read from: name another file with -o",
                        output.display()
                    );
                }
            }
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
            // The whole capture, for --port and --host (packets without a
            // timestamp of their own included).
            let whole = (i64::MIN, i64::MAX);
            let sel = match (finding, scanner) {
                (None, None) if port.is_some() => {
                    let p = port.unwrap_or_default();
                    let (proto, n) = p
                        .split_once('/')
                        .and_then(|(a, b)| {
                            Some((portspike_core::decode::Proto::parse(a)?, b.parse().ok()?))
                        })
                        .with_context(|| format!("not a port: {p:?} (like tcp/445)"))?;
                    portspike_core::window::Selection::port(
                        report.params.key,
                        proto,
                        n,
                        whole.0,
                        whole.1,
                    )
                }
                (None, None) if host.is_some() => portspike_core::window::Selection::host(
                    host.context("a host")?,
                    whole.0,
                    whole.1,
                ),
                (Some(i), _) => {
                    let s = report.spikes.get(i).with_context(|| {
                        format!("no finding {i}: the report has {}", report.spikes.len())
                    })?;
                    portspike_core::window::Selection::port(
                        report.params.key,
                        s.proto,
                        s.port,
                        s.start_ts,
                        s.end_ts,
                    )
                    .aimed(portspike_core::filter::Aim::parse(
                        s.aimed_at.as_deref().unwrap_or(""),
                    ))
                }
                (None, Some(i)) => {
                    let s = report.scanners.get(i).with_context(|| {
                        format!("no scanner {i}: the report has {}", report.scanners.len())
                    })?;
                    portspike_core::window::Selection::host(
                        s.source.parse().context("a scanner without an address")?,
                        s.first_ts,
                        s.last_ts + 1,
                    )
                }
                (None, None) => {
                    anyhow::bail!("say which: --finding N, --scanner N, --port P or --host A")
                }
            };
            let mut x = portspike_core::window::Extract::new(sel, limit as usize);
            for (file, ix) in files.iter().zip(&index) {
                // A compressed file has no index: it is read again whole,
                // through its decompressor.
                let Some(ix) = ix.as_ref() else {
                    evidence::read_parts(file, &[(&[][..], 0, None)], &mut x)?;
                    continue;
                };
                let ranges = portspike_core::window::ranges_for(ix, sel.t0_us, sel.t1_us)
                    .with_context(|| {
                        format!("{} has too many sections to index", file.display())
                    })?;
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
            std::fs::write(&output, bytes)
                .with_context(|| format!("writing {}", output.display()))?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Summarize {
            files,
            out,
            sensor,
            bin,
            no_hash,
            quiet,
        } => {
            for file in &files {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "capture".into());
                // The report is read for its capture summary and scanners
                // only: no timelines (at a fine width over a long span they
                // would be most of the memory).
                let params = Params {
                    bin_width_us: Some(bin),
                    series_top: 0,
                    ..Params::default()
                };
                let (report, rows) =
                    read_file(file, &name, params, !no_hash)?.finish_with_summary();
                // Nothing read: no summary (analyze exits 2 on it too).
                if let (Some(e), 0) = (&report.capture.error, report.capture.packets) {
                    let at = e
                        .offset
                        .map(|o| format!(" at byte offset {o}"))
                        .unwrap_or_default();
                    anyhow::bail!("{name}: {}{at}: nothing to summarise", e.message);
                }
                // The width the rows have: a span past what one width may
                // hold in bins is summarised at a coarser one, and said.
                let width = report.bin_width_us;
                if width != bin {
                    say!(
                        "portspike: {name}: its span needs more bins of {bin} µs than a timeline holds: summarised at {width} µs (detect merges it only with summaries of that width)"
                    );
                }
                let written = fleet::write_summary(
                    &out,
                    &sensor,
                    &name,
                    &report.capture,
                    width,
                    &rows,
                    &report.scanners,
                )?;
                if let Some(w) = report
                    .capture
                    .warnings
                    .iter()
                    .find(|w| w.code == "series_bounded")
                {
                    say!(
                        "portspike: {name}: the summary leaves out ports without a timeline: {}",
                        w.message
                    );
                }
                if let Some(e) = &report.capture.error {
                    say!(
                        "portspike: {name}: {} (what came before is summarised)",
                        e.message
                    );
                }
                if !quiet {
                    say!(
                        "{name}: {} packets, {} rows → {}",
                        report.capture.packets,
                        rows.len(),
                        written
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Detect {
            summaries,
            json,
            csv,
            series_top,
            top,
            detection,
        } => {
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
        Cmd::Diff {
            baseline,
            incident,
            json,
            csv,
            no_hash,
            by,
            detection,
        } => {
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
                let (mut r, index) =
                    read_file(file, &name, params.clone(), !no_hash)?.finish_with_index();
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
                    "port",
                    "service",
                    "change",
                    "ratio",
                    "baseline /min (pkts)",
                    "incident /min (pkts)"
                )?;
                for p in &d.ports {
                    writeln!(
                        out,
                        "{:<10} {:<16} {:<7} {:>9}  {:>22}  {:>22}",
                        format!("{}/{}", p.proto, p.port),
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
                        "new finding  {}/{} {}  {} → {}",
                        s.proto,
                        s.port,
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
                        s.probes.join("/")
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { file, repeat } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
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
                portspike_core::evidence::over_bytes(
                    &mut r,
                    &bytes,
                    portspike_core::evidence::EXACT_TOTAL,
                );
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
        Cmd::Bulk {
            mix,
            from,
            size,
            format,
            output,
        } => {
            use portspike_gen::bulk::{Bulk, Container, Mix};
            if !from.is_empty() {
                use portspike_gen::replay::{Repeat, Tile};
                if format != "pcap" {
                    anyhow::bail!("--from writes pcap only");
                }
                let mut tiles = Vec::new();
                for f in &from {
                    let bytes =
                        std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
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
            let mix = Mix::parse(&mix)
                .with_context(|| format!("unknown mix {mix:?} (known: scan, mixed)"))?;
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
    }
}

/// Write a generated capture to `output`: `fill` appends the next part to
/// its buffer and says whether it did (false: the capture is complete).
fn write_generated(
    output: &std::path::Path,
    mut fill: impl FnMut(&mut Vec<u8>) -> bool,
) -> Result<()> {
    let file =
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(9 << 20);
    while fill(&mut buf) {
        w.write_all(&buf)
            .with_context(|| format!("writing {}", output.display()))?;
        buf.clear();
    }
    w.flush()
        .with_context(|| format!("writing {}", output.display()))
}

/// Feed one capture file to a new analyzer (streaming, in 8 MiB reads),
/// its SHA-256 computed on a thread of its own unless `hash` is false: each
/// read goes to the hasher first and is then analysed here, and the hasher
/// hands the buffer back for the next read, so neither waits on the other
/// and no buffer is allocated (or zeroed) per read.
fn read_file(file: &std::path::Path, name: &str, params: Params, hash: bool) -> Result<Analyzer> {
    const READ: usize = 8 << 20;
    let mut f = files::open(file)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut a = Analyzer::new(params);
    a.set_file(name, len, None);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Arc<Vec<u8>>>();
    let hasher = hash.then(|| {
        std::thread::spawn(move || {
            let mut h = sha2::Sha256::new();
            for chunk in rx {
                h.update(&chunk[..]);
                let _ = back_tx.send(chunk);
            }
            portspike_core::export::hex(&h.finalize())
        })
    });
    let mut spare: Option<Vec<u8>> = None;
    loop {
        // A buffer the hasher is done with, or a new one.
        let mut buf = spare
            .take()
            .or_else(|| back_rx.try_iter().find_map(|b| Arc::try_unwrap(b).ok()))
            .unwrap_or_else(|| vec![0u8; READ]);
        buf.resize(READ, 0);
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                spare = Some(buf);
                continue;
            }
            Err(e) => {
                a.read_failed(&e.to_string());
                break;
            }
        };
        buf.truncate(n);
        if hasher.is_some() {
            let chunk = Arc::new(buf);
            let _ = tx.send(chunk.clone());
            a.feed(&chunk);
        } else {
            a.feed(&buf);
            spare = Some(buf);
        }
    }
    drop(tx);
    if let Some(h) = hasher {
        if let Ok(hex) = h.join() {
            a.set_file_sha256(hex);
        }
    }
    Ok(a)
}

/// The deepest directory holding every given path (summaries are named relative to it).
fn common_root(paths: &[PathBuf]) -> PathBuf {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().map(PathBuf::from).unwrap_or_default()
            }
        })
        .collect();
    let Some(first) = dirs.first() else {
        return PathBuf::new();
    };
    let mut root = first.clone();
    while !dirs.iter().all(|d| d.starts_with(&root)) {
        if !root.pop() {
            return PathBuf::new();
        }
    }
    root
}

/// Write the report's attack findings as a DDoS Clearing House fingerprint
/// to `path` (`-`: standard output); with none, say so and write nothing.
fn write_fingerprint(report: &Report, path: &std::path::Path) -> Result<()> {
    let Some(fp) = portspike_core::fingerprint::fingerprint(report) else {
        say!("portspike: no attack finding: no fingerprint written");
        return Ok(());
    };
    let text = fp.to_json_pretty() + "\n";
    if path.as_os_str() == "-" {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    } else {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Print a report as `analyze` and `detect` do: JSON, a CSV table or the ranked table.
fn print_report(report: &Report, json: bool, csv: Option<CsvKind>, top: usize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        // Written as it is serialised: a report of 65,535 ports is tens of MB as text.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut out);
        serde_json::to_writer_pretty(&mut w, report)?;
        writeln!(w)?;
        w.flush()?;
    } else if let Some(kind) = csv {
        let text = match kind {
            CsvKind::Series => portspike_core::export::series_csv(report),
            CsvKind::Spikes => portspike_core::export::spikes_csv(report),
            CsvKind::Scanners => portspike_core::export::scanners_csv(report),
        };
        out.write_all(text.as_bytes())?;
    } else {
        // Capture-derived text (comments, names) never drives the terminal.
        write_table(&mut terminal::Printable(&mut out), report, top)?;
    }
    Ok(())
}

/// A count, or an estimate marked as one (`≈1687`).
fn count(n: u64, estimated: bool) -> String {
    if estimated {
        format!("≈{n}")
    } else {
        n.to_string()
    }
}

fn fmt_ts(us: i64) -> String {
    portspike_core::export::human(us)
}

fn write_table(out: &mut impl Write, r: &Report, top: usize) -> std::io::Result<()> {
    let c = &r.capture;
    let files: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
    writeln!(
        out,
        "capture   {}",
        if files.is_empty() {
            "(stdin)".into()
        } else {
            files.join(", ")
        }
    )?;
    writeln!(
        out,
        "format    {}",
        c.format.as_deref().unwrap_or("unknown")
    )?;
    writeln!(
        out,
        "packets   {}  ({} bytes on the wire)",
        c.packets, c.wire_bytes
    )?;
    if let (Some(a), Some(b)) = (c.first_ts, c.last_ts) {
        writeln!(
            out,
            "time      {} → {}  ({:.3} s)",
            fmt_ts(a),
            fmt_ts(b),
            (b - a) as f64 / 1e6
        )?;
    }
    let links: Vec<String> = c
        .link_types
        .iter()
        .map(|l| format!("{} ({}) ×{}", l.name, l.linktype, l.packets))
        .collect();
    writeln!(out, "links     {}", links.join(", "))?;
    writeln!(out, "bins      {} µs, key {}", r.bin_width_us, r.params.key)?;
    for w in &c.warnings {
        writeln!(out, "warning   {}", w.message)?;
    }
    if let Some(e) = &c.error {
        let at = e
            .offset
            .map(|o| format!(" (byte offset {o})"))
            .unwrap_or_default();
        writeln!(out, "error     {}{at}", e.message)?;
        // Said as the page says it: what was read, and that the rest was not.
        let upto = c
            .last_ts
            .map(|t| format!(", up to {}", fmt_ts(t)))
            .unwrap_or_default();
        let read = e
            .offset
            .map(|o| format!("{o} of {} bytes read", c.file_bytes))
            .unwrap_or_else(|| "read in part".into());
        writeln!(
            out,
            "partial   {read}{upto}: the findings cover only that part, never what came after it"
        )?;
    }
    writeln!(out)?;
    if r.spikes.is_empty() && r.scanners.is_empty() {
        if c.error.is_some() {
            writeln!(out, "findings  none in the part read")?;
        } else {
            writeln!(out, "findings  none")?;
        }
    }
    // Attack kinds first, then ordinary growth; each in the report's order.
    for s in r
        .finding_order()
        .into_iter()
        .filter_map(|i| r.spikes.get(i))
    {
        let svc = r
            .ports
            .iter()
            .find(|p| p.proto == s.proto && p.port == s.port)
            .and_then(|p| p.service.clone())
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        // An attack on victims names them (and the prefix they spread
        // over); anything else its busiest sources.
        let (src_role, dst_role) = s.kind.roles();
        let onto = dst_role == "victims";
        let talkers = if onto {
            &s.top_destinations
        } else {
            &s.top_sources
        };
        let who: Vec<&str> = talkers.iter().take(3).map(|a| a.addr.as_str()).collect();
        let who = match (&s.victim_prefix, onto) {
            (Some(p), true) => format!("onto {p} ({})", who.join(", ")),
            (None, true) => format!("onto {}", who.join(", ")),
            _ => format!("from {}", who.join(", ")),
        };
        let episodes = if s.episodes.len() > 1 {
            format!(" ({} episodes)", s.episodes.len())
        } else {
            String::new()
        };
        // Its size: peak packets and bits a second (the evidence pass's),
        // and its share of its incident's bytes.
        let mut rate = s
            .rates
            .as_ref()
            .map(|r| format!("  peak {:.0} pps, {:.0} bps", r.peak_pps, r.peak_bps))
            .unwrap_or_default();
        if let (Some(n), Some(share)) = (s.incident, s.byte_share) {
            rate.push_str(&format!(
                "  incident {n}: {:.1} % of its bytes",
                share * 100.0
            ));
        }
        writeln!(
            out,
            "spike     {}/{}{svc}  {}{}{episodes}  {} → {}  {} {} vs baseline {:.1}  score {:.1}  {} {src_role} → {} {dst_role}  {who}{rate}",
            s.proto,
            s.port,
            s.kind,
            if s.new_port { " (new port)" } else { "" },
            fmt_ts(s.start_ts),
            fmt_ts(s.end_ts),
            s.observed,
            s.metric,
            s.baseline,
            s.score,
            count(s.sources, s.estimated("sources")),
            count(s.destinations, s.estimated("destinations")),
        )?;
    }
    for s in &r.scanners {
        writeln!(
            out,
            "scanner   {}  {} ({})  {} first contacts, {} failed, {} targets, {} ports  detected {} by {}{}",
            s.source,
            s.kind,
            s.probes.join("/"),
            s.attempts,
            s.failures,
            count(s.targets, s.estimated("targets")),
            count(s.ports, s.estimated("ports")),
            fmt_ts(s.detected_ts),
            s.method,
            if s.allowlisted { "  [allowlisted]" } else { "" }
        )?;
    }
    if let Some(e) = r.evidence.as_ref().filter(|e| !e.exact) {
        // Said where the numbers are: they are not all counts.
        writeln!(
            out,
            "estimates ≈ {}",
            e.note
                .as_deref()
                .unwrap_or("the findings were not counted again")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>4}  {:<10} {:<16} {:>7} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12}",
        "rank",
        "port",
        "service",
        "score",
        "packets",
        "attempts",
        "failures",
        "sources",
        "dests",
        "bytes"
    )?;
    for (i, p) in r.ports.iter().take(top).enumerate() {
        writeln!(
            out,
            "{:>4}  {:<10} {:<16} {:>7.1} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12}",
            i + 1,
            format!("{}/{}", p.proto, p.port),
            p.service.as_deref().unwrap_or("-"),
            p.score,
            p.totals.packets,
            p.totals.attempts,
            p.totals.failures,
            p.totals.sources,
            p.totals.destinations,
            p.totals.bytes
        )?;
    }
    if r.ports.len() > top {
        writeln!(out, "      … {} more ports", r.ports.len() - top)?;
    }
    if !r.annotations.is_empty() {
        writeln!(out)?;
    }
    for a in &r.annotations {
        let when = if a.start_ts == a.end_ts {
            fmt_ts(a.start_ts)
        } else {
            format!("{} → {}", fmt_ts(a.start_ts), fmt_ts(a.end_ts))
        };
        writeln!(out, "note      {when}  {} ({})", a.text, a.source)?;
    }
    let patterns: Vec<_> = r
        .ports
        .iter()
        .filter_map(|p| p.pattern.as_ref().map(|x| (p, x)))
        .collect();
    if !patterns.is_empty() {
        writeln!(out)?;
    }
    for (p, x) in patterns {
        writeln!(
            out,
            "pattern   {}/{}  {} ordinary bursts about every {:.0} s, typically {} {} (largest {})",
            p.proto,
            p.port,
            x.bursts,
            x.period_us as f64 / 1e6,
            x.typical,
            x.metric,
            x.largest
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fmt_ts;

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(fmt_ts(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(fmt_ts(1_772_442_000_123_456), "2026-03-02 09:00:00.123 UTC");
    }
}
