//! The names a report gives what was found: a spike's kind and the series
//! it was found on, a scanner's kind, probes and the test that convicted it. (A port's protocol is [`Proto`](crate::decode::Proto),
//! the timelines' key [`Key`](crate::params::Key): same treatment.)

use crate::names::named_enum;

/// What a spike looks like, from its window's evidence (see
/// [`crate::detect::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpikeKind {
    /// Many destinations from few sources, failing or never completing.
    Sweep,
    /// Many sources at few destinations, under half completing.
    Flood,
    /// Unsolicited SYN-ACKs from few senders to many addresses: answers to
    /// SYNs spoofed from them, as a telescope sees them.
    Backscatter,
    /// Many senders answering from one service port to one or a few
    /// victims who never asked: a reflection (amplification) attack, keyed
    /// on the reflected service (`udp/53`, `tcp/80`…).
    Reflection,
    /// Ordinary growth (a flash crowd, a backup job).
    Surge,
}

named_enum!(SpikeKind {
    Sweep => "sweep",
    Flood => "flood",
    Backscatter => "backscatter",
    Reflection => "reflection",
    Surge => "surge",
});

impl SpikeKind {
    /// What a finding of this kind calls its sources and its destinations:
    /// a reflection's senders are its reflectors, a flood's or reflection's
    /// receivers its victims.
    pub const fn roles(self) -> (&'static str, &'static str) {
        match self {
            SpikeKind::Reflection => ("reflectors", "victims"),
            SpikeKind::Flood => ("sources", "victims"),
            SpikeKind::Sweep | SpikeKind::Backscatter | SpikeKind::Surge => {
                ("sources", "destinations")
            }
        }
    }

    /// An attack kind (sweep, flood, backscatter), not ordinary growth:
    /// the one list of attack kinds (findings of these kinds are always
    /// news; `--fail-on-findings` and the page's ordering use it).
    pub const fn is_attack(self) -> bool {
        match self {
            SpikeKind::Sweep
            | SpikeKind::Flood
            | SpikeKind::Backscatter
            | SpikeKind::Reflection => true,
            SpikeKind::Surge => false,
        }
    }
}

impl SpikeKind {
    /// A finding of this kind is about what its port sends (answers nobody
    /// asked for: backscatter, reflection), not what is sent to it: its
    /// talkers count that way.
    pub const fn from_port(self) -> bool {
        matches!(self, SpikeKind::Backscatter | SpikeKind::Reflection)
    }

    /// What a finding of this kind means, in a sentence (the page's hover
    /// text on a kind).
    pub const fn meaning(self) -> &'static str {
        match self {
            SpikeKind::Sweep => "Sweep: few sources probing many addresses on this port, mostly failing (a worm, a scanner)",
            SpikeKind::Flood => "Flood: many sources on few targets, handshakes not completing (a SYN flood)",
            SpikeKind::Backscatter => "Backscatter: answers (SYN-ACKs, resets) to packets never sent from here: someone spoofs these addresses",
            SpikeKind::Reflection => "Reflection: many servers answering from this service port to one or a few victims who never asked (amplification); the sources are the reflectors, the destinations the victims",
            SpikeKind::Surge => "Surge: growth far beyond this port's normal with answered connections (a flash crowd, a busy job)",
        }
    }
}

/// The series a port's spikes are found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// New connections (SYNs, new UDP flows).
    Attempts,
    Packets,
}

named_enum!(Metric {
    Attempts => "attempts",
    Packets => "packets",
});

impl Metric {
    /// The metric's value in one bin.
    pub fn of(self, c: &crate::bins::Cell) -> u32 {
        match self {
            Metric::Attempts => c.attempts,
            Metric::Packets => c.packets,
        }
    }
}

/// What a scanner tried, from its distinct targets and ports (see
/// [`crate::detect::scan_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanKind {
    /// Many ports of few hosts.
    Vertical,
    /// One port (or two) of many hosts.
    Horizontal,
    /// Both.
    Mixed,
}

named_enum!(ScanKind {
    Vertical => "vertical",
    Horizontal => "horizontal",
    Mixed => "mixed",
});

/// The test that convicted a scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanMethod {
    /// Threshold random walk on its first contacts' failures and answers.
    Trw,
    /// Spread alone (Zeek's thresholds), in a capture without answers.
    Threshold,
}

named_enum!(ScanMethod {
    Trw => "trw",
    Threshold => "threshold",
});

/// The tool a scanner's probes name by their header fields (see
/// [`crate::evidence::tool_of`]): each rule holds for every probe the tool
/// sends, and for next to none of anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    /// ZMap: IPv4 identification 54321.
    Zmap,
    /// Mirai and its descendants: TCP sequence number equal to the
    /// destination address.
    Mirai,
    /// Masscan: IPv4 identification = (destination address ^ destination
    /// port ^ sequence number) mod 2^16.
    Masscan,
    /// Nmap's own probes: window 1024, 2048, 3072 or 4096; a SYN's only
    /// option MSS 1460, other probes none.
    Nmap,
    /// hping3's defaults: window 512, no options.
    Hping3,
}

named_enum!(Tool {
    Zmap => "zmap",
    Mirai => "mirai",
    Masscan => "masscan",
    Nmap => "nmap",
    Hping3 => "hping3",
});

impl Tool {
    /// The header rule its probes match, in words.
    pub const fn rule(self) -> &'static str {
        match self {
            Tool::Zmap => "IP ID 54321",
            Tool::Mirai => "TCP sequence number = destination address",
            Tool::Masscan => "IP ID = destination ^ port ^ sequence number",
            Tool::Nmap => "window 1024–4096, only option MSS 1460",
            Tool::Hping3 => "window 512, no TCP options",
        }
    }
}

/// A scanner's kind of first contact. Ordered as the engine lists a
/// scanner's `probes`; the evidence pass and merged summaries list them by
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// A SYN left half-open (or not answered).
    Syn,
    /// A SYN of a scanner that completes its handshakes.
    Connect,
    Fin,
    /// TCP without flags.
    Null,
    /// FIN, PSH and URG.
    Xmas,
    /// A bare ACK (nmap's ACK and window scans, a stateless ACK sweep).
    Ack,
    Udp,
    /// A bare FIN/ACK (nmap's Maimon scan).
    Maimon,
}

named_enum!(Probe {
    Syn => "syn",
    Connect => "connect",
    Fin => "fin",
    Null => "null",
    Xmas => "xmas",
    Ack => "ack",
    Udp => "udp",
    Maimon => "maimon",
});

impl Probe {
    /// A probe with ACK set (a bare ACK, a FIN/ACK): answered by a reset
    /// whether the port is open or closed, by silence when filtered.
    pub const fn acks(self) -> bool {
        matches!(self, Probe::Ack | Probe::Maimon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_surges_are_not_attacks() {
        let attacks: Vec<&str> = SpikeKind::ALL
            .iter()
            .filter(|k| k.is_attack())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(attacks, ["sweep", "flood", "backscatter", "reflection"]);
        assert!(!SpikeKind::Surge.is_attack());
    }

    #[test]
    fn kinds_and_metrics_keep_their_schema_v1_names() {
        let json = serde_json::to_string(&(SpikeKind::Backscatter, Metric::Attempts)).unwrap();
        assert_eq!(json, r#"["backscatter","attempts"]"#);
        let back: (SpikeKind, Metric) = serde_json::from_str(r#"["surge","packets"]"#).unwrap();
        assert_eq!(back, (SpikeKind::Surge, Metric::Packets));
        assert!(serde_json::from_str::<SpikeKind>(r#""Sweep""#).is_err());
    }

    #[test]
    fn scanner_names_keep_their_schema_v1_names() {
        let json = serde_json::to_string(&(ScanKind::Mixed, ScanMethod::Trw, Probe::Xmas)).unwrap();
        assert_eq!(json, r#"["mixed","trw","xmas"]"#);
        let names: Vec<&str> = Probe::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names,
            ["syn", "connect", "fin", "null", "xmas", "ack", "udp", "maimon"]
        );
        assert!(serde_json::from_str::<ScanMethod>(r#""zeek""#).is_err());
    }

    #[test]
    fn a_metric_reads_its_own_column() {
        let c = crate::bins::Cell {
            packets: 9,
            attempts: 4,
            ..Default::default()
        };
        assert_eq!(Metric::Attempts.of(&c), 4);
        assert_eq!(Metric::Packets.of(&c), 9);
    }
}
