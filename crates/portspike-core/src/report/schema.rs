//! Report, schema v1 (`portspike.report/1`). Serialised field names and
//! order are an interface: extend, never rename.

use super::kinds::{Metric, Probe, ScanKind, ScanMethod, SpikeKind, Tool};
use super::problems::ProblemCode;
use crate::decode::{PortKey, Proto};
use crate::params::Key;
use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "portspike.report/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub generator: Generator,
    pub params: ParamsEcho,
    pub capture: CaptureSummary,
    pub bin_width_us: u64,
    pub sketch: Sketch,
    pub ports: Vec<PortReport>,
    pub spikes: Vec<SpikeReport>,
    pub scanners: Vec<ScannerReport>,
    /// Extension: notes on the timeline — comments found in the capture
    /// (pcapng `opt_comment`, `source: "capture"`) and an analyst's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
    /// Extension: whether the findings' numbers were counted exactly by the
    /// evidence pass (see [`crate::evidence`]); absent in reports from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceState>,
}

/// Whether the evidence pass ran: every number on a finding is then the
/// count its own Wireshark filter selects, except the fields a finding
/// lists in its `estimated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceState {
    /// The pass read every finding's window again.
    pub exact: bool,
    /// Why it did not, or what it could not cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A field of a finding whose number is an estimate, not a count, with its
/// relative error bound where one is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub field: String,
    pub rel_error: Option<f64>,
}

/// Packet and bit rates of a finding's packets in its window: the mean over
/// the window, and the peak over intervals of `interval_us` from its start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub interval_us: u64,
    pub peak_ts: i64,
    pub peak_pps: f64,
    pub peak_bps: f64,
    pub mean_pps: f64,
    pub mean_bps: f64,
}

/// A note on a point or a stretch of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub start_ts: i64,
    pub end_ts: i64,
    pub text: String,
    /// `capture` (a comment in the file) or `analyst`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

/// Every setting used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamsEcho {
    /// `"service"` or `"dst-port"`.
    pub key: Key,
    pub bin_width_us: u64,
    /// The width was chosen by the user rather than from the capture's span.
    pub bin_width_fixed: bool,
    /// How many top ports carry a series.
    pub series_top: usize,
    pub detection: crate::params::Detection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub file_bytes: u64,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkTypeCount {
    pub linktype: u32,
    pub name: String,
    pub packets: u64,
    pub decoded: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureSummary {
    /// `"pcap"`, `"pcapng"` or `"mixed"`; null when nothing could be read.
    pub format: Option<String>,
    pub compression: Option<String>,
    pub files: Vec<FileEntry>,
    pub file_bytes: u64,
    pub packets: u64,
    pub wire_bytes: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub link_types: Vec<LinkTypeCount>,
    pub decode_errors: u64,
    pub dropped_by_capture: Option<u64>,
    pub ts_outliers: u64,
    /// Extension: packets counted in no row of the ports table (frames
    /// without IP such as ARP, and frames that could not be decoded), with
    /// their wire bytes. Every IP packet has a row: a TCP or UDP port, an
    /// ICMP type, an IP protocol, or later fragments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_row: Option<NoRow>,
    pub warnings: Vec<Problem>,
    pub error: Option<Problem>,
}

/// Packets in no row, and their wire bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoRow {
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    pub distinct_exact_up_to: u64,
    pub distinct_rel_error: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub packets: u64,
    pub bytes: u64,
    pub attempts: u64,
    pub failures: u64,
    pub sources: u64,
    pub destinations: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesReport {
    pub start_ts: i64,
    pub bin_width_us: u64,
    pub packets: Vec<u64>,
    pub bytes: Vec<u64>,
    pub attempts: Vec<u64>,
    pub failures: Vec<u64>,
    pub sources: Vec<u64>,
    pub destinations: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortReport {
    pub proto: Proto,
    pub port: u16,
    pub service: Option<String>,
    pub score: f64,
    pub totals: Totals,
    pub series: Option<Box<SeriesReport>>,
    /// Extension: the port's ordinary rhythm, when it has one (bursts judged
    /// ordinary, not findings: see [`crate::detect`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
}

/// Recurring bursts on a port that are its ordinary rhythm, not findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pattern {
    /// The series the bursts were found on: `attempts` or `packets`.
    pub metric: Metric,
    /// Bursts judged ordinary.
    pub bursts: u64,
    /// Median time from one burst's start to the next, µs.
    pub period_us: i64,
    /// Median burst size (the metric summed over a burst), and the largest.
    pub typical: f64,
    pub largest: f64,
    /// The first and the last burst's start.
    pub first_ts: i64,
    pub last_ts: i64,
}

/// One stretch of hot bins of a finding (a finding of several has them listed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub start_ts: i64,
    pub end_ts: i64,
    pub peak_ts: i64,
    /// The metric summed over the episode, and the peak bin's score.
    pub observed: f64,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddrCount {
    pub addr: String,
    pub packets: u64,
    /// Extension: the bytes of those packets, and the filter selecting them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wireshark_filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddrAttempts {
    pub addr: String,
    pub attempts: u64,
}

/// A port that answered a scanner, and how many of the hosts it probed there did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPort {
    pub proto: Proto,
    pub port: u16,
    pub hosts: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortAttempts {
    pub proto: Proto,
    pub port: u16,
    pub attempts: u64,
}

/// TCP flag mix of a spike's packets (`other`: every other packet, UDP included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub syn: u64,
    pub synack: u64,
    pub rst: u64,
    pub fin: u64,
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeReport {
    pub proto: Proto,
    pub port: u16,
    /// `sweep`, `flood`, `backscatter` or `surge`.
    pub kind: SpikeKind,
    pub new_port: bool,
    /// The series the spike was found on: `attempts` or `packets`.
    pub metric: Metric,
    pub start_ts: i64,
    pub end_ts: i64,
    pub peak_ts: i64,
    /// Robust z-score of the peak bin.
    pub score: f64,
    /// Sum of the metric over the window, and what the baseline expected.
    pub observed: f64,
    pub baseline: f64,
    pub sources: u64,
    pub destinations: u64,
    pub flags: Flags,
    pub top_sources: Vec<AddrCount>,
    pub top_destinations: Vec<AddrCount>,
    /// Selects the window's packets of this port in Wireshark/tshark.
    pub wireshark_filter: String,
    /// Extensions: the window's packet, attempt, failure and completed-handshake counts.
    pub packets: u64,
    pub attempts: u64,
    pub failures: u64,
    pub completed: u64,
    /// Extension: a finding made of several episodes (one incident: episodes
    /// of one kind on one port closer than [`crate::detect::INCIDENT_GAP_US`])
    /// lists them; the finding's window spans them all. Empty for one episode.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<Episode>,
    /// Extension (evidence pass): the bytes of the packets the filter selects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Extension: which way `sources`, `destinations` and the top talkers
    /// count: `to_port` (packets to the port) or `from_port` (from it, for
    /// backscatter: the answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Extension (evidence pass): packets the other way (answers to a
    /// `to_port` finding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
    /// Extension: the victims a reflection's filter and counts are
    /// restricted to (`10.1.0.30`, several separated by spaces, or a prefix
    /// such as `10.20.28.0/22` for carpet bombing), so that servers
    /// answering their own clients in the window are not counted as
    /// reflectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aimed_at: Option<String>,
    /// Extension: the prefix a flood's or reflection's victims all fall in,
    /// when there are several and it is a /22 or narrower (carpet bombing:
    /// `10.20.30.0/24`); `destinations` counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_prefix: Option<String>,
    /// Extension (evidence pass): the attack findings aimed at one target
    /// at one time share an incident number (a multi-vector attack: one
    /// finding per vector)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<u32>,
    /// …and this is the finding's share of its incident's bytes (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_share: Option<f64>,
    /// Extension: the fields above that are estimates, not counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimated: Vec<Estimate>,
    /// Extension: the bin width it was found at, where coarser than the
    /// report's `bin_width_us` (a low-rate attack stands out only over
    /// longer bins); its timeline opens at this width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_width_us: Option<u64>,
    /// Extension: for a sweep, the scanner (its index in `scanners`) that
    /// sent it, where that scanner's activity reaches past the finding's
    /// window: the finding is a burst inside a longer scan, whose whole
    /// extent the scanner has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScannerReport {
    pub source: String,
    /// `vertical`, `horizontal` or `mixed`.
    pub kind: ScanKind,
    pub probes: Vec<Probe>,
    /// `trw` or `threshold`.
    pub method: ScanMethod,
    /// log10 of the TRW likelihood ratio at the end, or the threshold count reached.
    pub score: f64,
    pub targets: u64,
    pub ports: u64,
    /// First contacts (new destination and port) made.
    pub attempts: u64,
    pub failures: u64,
    pub top_ports: Vec<PortAttempts>,
    pub top_targets: Vec<AddrAttempts>,
    pub first_ts: i64,
    pub detected_ts: i64,
    pub last_ts: i64,
    pub allowlisted: bool,
    /// Extension: `inbound`, `outbound` or `internal` when home networks are set.
    pub direction: Option<String>,
    /// Extension: first contacts the source had made when it was convicted.
    pub contacts_at_detection: u64,
    /// Extension: what the verdict rests on, where it is not the usual
    /// evidence (no answers seen: spread alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Extension: its bursts of activity (first contacts closer than
    /// [`crate::engine::BURST_GAP_US`] are one burst), oldest first; the
    /// first and the last burst are always kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<Burst>,
    /// Extension: first contacts by probe type (`syn`, `fin`, `udp`…), most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probe_counts: Vec<ProbeCount>,
    /// Extension: first contacts answered (a handshake, a reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u64>,
    /// Extension: selects its packets (sent or received) from its first to
    /// its last contact in Wireshark/tshark.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wireshark_filter: String,
    /// Extension (evidence pass): selects its probes, the packets its
    /// `attempts`, `targets`, `ports` and top lists count.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub probe_filter: String,
    /// Extension (evidence pass): the ports that answered its probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_ports: Vec<OpenPort>,
    /// Extension (evidence pass): the tool its probes' header fields name,
    /// with how many of its probes match the tool's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolMatch>,
    /// Extension: the fields that are estimates, not counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub estimated: Vec<Estimate>,
}

/// The tool a scanner's probes name (see [`Tool`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolMatch {
    pub name: Tool,
    /// Its probes (first contacts, as `attempts` counts them) whose header
    /// fields match the tool's rule…
    pub probes: u64,
    /// …of this many.
    pub of: u64,
    /// The rule, in words.
    pub rule: String,
}

/// A stretch of a scanner's activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    pub first_ts: i64,
    pub last_ts: i64,
    /// First contacts made in it.
    pub contacts: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCount {
    pub probe: Probe,
    pub contacts: u64,
}

/// `key()`: the row of the ports table a value with `proto` and `port` names.
macro_rules! port_key {
    ($($t:ty),+) => {$(
        impl $t {
            /// Its `proto` and `port`, written `tcp/445`.
            pub const fn key(&self) -> PortKey {
                PortKey::new(self.proto, self.port)
            }
        }
    )+};
}

port_key!(PortReport, OpenPort, PortAttempts, SpikeReport);

impl SpikeReport {
    /// An attack kind (see [`SpikeKind::is_attack`]), not ordinary growth.
    pub fn is_attack(&self) -> bool {
        self.kind.is_attack()
    }

    /// `field` is an estimate (listed in `estimated`), not a count.
    pub fn estimated(&self, field: &str) -> bool {
        self.estimated.iter().any(|e| e.field == field)
    }
}

impl ScannerReport {
    /// Its `probes` by name, `sep` between them (`syn/udp`).
    pub fn probes_joined(&self, sep: &str) -> String {
        let names: Vec<&str> = self.probes.iter().map(|p| p.as_str()).collect();
        names.join(sep)
    }

    /// `field` is an estimate (listed in `estimated`), not a count.
    pub fn estimated(&self, field: &str) -> bool {
        self.estimated.iter().any(|e| e.field == field)
    }
}

impl Report {
    /// The order findings are listed in (indices into `spikes`): attack
    /// kinds first, then surges, each in the report's order (by score).
    pub fn finding_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.spikes.len()).collect();
        order.sort_by_key(|i| !self.spikes.get(*i).is_some_and(SpikeReport::is_attack));
        order
    }

    /// The capture could not be read at all: an error before any packet
    /// (not a capture, an empty file). One read in part is a result.
    pub fn nothing_read(&self) -> bool {
        self.capture.error.is_some() && self.capture.packets == 0
    }

    /// Every number on its findings is a count (the evidence pass ran).
    pub fn exact(&self) -> bool {
        self.evidence.as_ref().is_some_and(|e| e.exact)
    }

    /// The (first) capture file's SHA-256, once known.
    pub fn sha256(&self) -> Option<&str> {
        self.capture.files.first()?.sha256.as_deref()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        crate::analyze_bytes(&crate::fixture::incident(), crate::Params::default())
    }

    #[test]
    fn attack_findings_are_listed_first_each_in_report_order() {
        let mut r = report();
        let sweep = r.spikes.iter().position(|s| s.kind == "sweep").unwrap();
        let mut surge = r.spikes[sweep].clone();
        surge.kind = SpikeKind::Surge;
        surge.score += 100.0;
        r.spikes.insert(0, surge.clone());
        r.spikes.insert(0, surge);
        let order = r.finding_order();
        assert_eq!(order.len(), r.spikes.len());
        assert!(r.spikes[order[0]].is_attack());
        assert_eq!(order[order.len() - 2..], [0, 1]);
    }

    #[test]
    fn a_report_reads_back_as_written() {
        let mut r = report();
        assert_eq!(r.sha256(), None);
        let json = r.to_json();
        assert!(json.starts_with(r#"{"schema":"portspike.report/1","#));
        assert!(json.contains(
            r#""proto":"tcp","port":445,"kind":"sweep","new_port":true,"metric":"attempts""#
        ));
        assert!(json.contains(r#""key":"service""#));
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        r.capture.files.push(FileEntry {
            name: "a.pcap".into(),
            file_bytes: 1,
            sha256: Some("ab".into()),
        });
        assert_eq!(r.sha256(), Some("ab"));
        // A report naming a protocol schema v1 does not know is refused.
        let odd = json.replacen(r#""proto":"tcp""#, r#""proto":"sctp""#, 1);
        assert!(serde_json::from_str::<Report>(&odd).is_err());
    }
}
