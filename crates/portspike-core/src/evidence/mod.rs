//! The evidence pass: every number on a finding counted exactly.
//!
//! Detection runs in one streaming pass on sketches: distinct counts from
//! HyperLogLog, talkers from a port's heavy hitters over the whole capture.
//! Once the findings are known, [`Evidence`] reads each finding's window
//! again (the byte ranges the capture's time index names, see
//! [`Evidence::ranges`], or the whole input where there is no index) and
//! counts, in the finding's own Wireshark filter and direction, what the
//! report then says: packets and bytes, distinct sources and destinations,
//! the top talkers with their own filters, the TCP flag mix, the packets the
//! other way, peak and mean rates; for a scanner, its probes (the packets
//! its `probe_filter` selects), the hosts and ports they tried and which
//! answered. Each table holds at most [`EXACT_UP_TO`] entries, and all of
//! them together at most the total the caller gives ([`EXACT_TOTAL`] on the
//! command line); past that a count is a sketch's, and the field is listed
//! in the finding's `estimated`.

use crate::capture::{Index, Reader};
use crate::compress::Input;
use crate::decode::{self, tcp_flags as F, Decoded, FlagMix, Packet, Proto, L4};
use crate::filter::{epoch, row_predicate, Aim, Side};
use crate::fxhash::FxHashMap as HashMap;
use crate::params::Key;
use crate::report::{
    AddrAttempts, AddrCount, Estimate, EvidenceState, Flags, OpenPort, PortAttempts, Probe,
    ProbeCount, Rates, Report, ScannerReport, SpikeReport,
};
use crate::sketch::{hash_addr, Distinct, REL_ERROR};
use crate::window::Selection;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Entries each table of a finding holds exactly (addresses of a finding's
/// talkers, a scanner's contacts): past it, counts are estimates.
pub const EXACT_UP_TO: usize = 1_000_000;

/// Entries all of a report's tables hold together on the command line
/// (about 45 bytes each): many findings share it, each table up to
/// [`EXACT_UP_TO`].
pub const EXACT_TOTAL: usize = 4_000_000;

/// Talkers listed per finding, and ports and targets per scanner.
pub const TOP: usize = 10;

/// At most this many rate intervals per finding (a window longer than
/// this many seconds gets longer intervals).
const MAX_INTERVALS: i64 = 10_000;

/// The evidence pass over one report's findings and scanners.
#[derive(Debug)]
pub struct Evidence {
    spikes: Vec<SpikeTally>,
    /// One per scanner of the report (`None`: not an address).
    scanners: Vec<Option<ScannerTally>>,
    /// Packets each of these addresses sent (anywhere in the capture).
    senders: HashMap<IpAddr, u64>,
    input: Input,
    reader: Reader,
}

impl Evidence {
    /// A pass for `report`'s findings, its tables (two per finding, one
    /// per scanner) exact up to `total` entries together, each up to
    /// [`EXACT_UP_TO`]: memory stays bounded whatever the findings.
    pub fn new(report: &Report, total: usize) -> Self {
        let key = report.params.key;
        let tables = (2 * report.spikes.len() + report.scanners.len()).max(1);
        let limit = (total / tables).min(EXACT_UP_TO);
        Evidence {
            spikes: report
                .spikes
                .iter()
                .map(|s| SpikeTally::new(s, key, limit))
                .collect(),
            scanners: report
                .scanners
                .iter()
                .map(|s| ScannerTally::new(s, limit))
                .collect(),
            senders: HashMap::default(),
            input: Input::new(),
            reader: Reader::new(),
        }
    }

    /// A pass that counts the packets each of `addrs` sent anywhere in the
    /// capture (is an address named in an incident new in its baseline?).
    /// It reads whole files: [`Evidence::ranges`] is `None`.
    pub fn senders(addrs: &[IpAddr]) -> Self {
        Evidence {
            spikes: Vec::new(),
            scanners: Vec::new(),
            senders: addrs.iter().map(|a| (*a, 0)).collect(),
            input: Input::new(),
            reader: Reader::new(),
        }
    }

    /// What [`Evidence::senders`] counted: packets sent, by address.
    pub fn sent(mut self) -> BTreeMap<String, u64> {
        self.end();
        self.senders
            .into_iter()
            .map(|(a, n)| (a.to_string(), n))
            .collect()
    }

    /// Nothing to count: the report has no finding and no scanner.
    pub fn is_empty(&self) -> bool {
        self.spikes.is_empty() && self.scanners.is_empty() && self.senders.is_empty()
    }

    /// The time windows to read, `[t0, t1)` µs.
    fn windows(&self) -> Vec<(i64, i64)> {
        self.spikes
            .iter()
            .map(|s| (s.sel.t0_us, s.sel.t1_us))
            .chain(self.scanners.iter().flatten().map(|s| (s.t0, s.t1)))
            .collect()
    }

    /// The byte ranges of one file holding every window, each with its
    /// preamble, overlapping ranges merged so no packet is read twice;
    /// `None` when the index cannot serve (read the whole file then).
    pub fn ranges<'a>(&self, index: &'a Index) -> Option<Vec<(&'a [u8], u64, u64)>> {
        if !self.senders.is_empty() {
            return None;
        }
        crate::window::ranges_for_any(index, &self.windows())
    }

    /// Start a byte range (or a whole file, with an empty preamble): a fresh
    /// reader, given the range's preamble.
    pub fn begin(&mut self, preamble: &[u8]) {
        self.end();
        self.input = Input::new();
        self.reader = Reader::new();
        self.feed(preamble);
    }

    /// The next bytes of the current range or file.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pump(Some(bytes));
    }

    /// End of the current range or file (a record cut at its end is judged
    /// as the first pass judged it).
    fn end(&mut self) {
        self.pump(None);
    }

    /// Bytes through decompression and framing into the tallies; `None`
    /// ends the input.
    fn pump(&mut self, bytes: Option<&[u8]>) {
        let Evidence {
            spikes,
            scanners,
            senders,
            input,
            reader,
        } = self;
        let mut each = |f: crate::capture::Frame<'_>| {
            count_frame(
                spikes, scanners, senders, f.ts_ns, f.orig_len, f.linktype, f.data,
            )
        };
        match bytes {
            Some(b) => input.feed(b, &mut |b| reader.feed(b, &mut each)),
            None => {
                input.finish(&mut |b| reader.feed(b, &mut each));
                reader.finish_with(&mut each);
            }
        }
    }

    /// Put the exact figures into the report the pass was made for.
    pub fn apply(mut self, report: &mut Report) {
        self.end();
        for (s, t) in report.spikes.iter_mut().zip(self.spikes) {
            t.apply(s);
        }
        for (s, t) in report.scanners.iter_mut().zip(self.scanners) {
            if let Some(t) = t {
                t.apply(s);
            }
        }
        incidents(report);
        report.evidence = Some(EvidenceState {
            exact: true,
            note: None,
        });
    }
}

/// Group the attack findings aimed at one target at one time into
/// incidents (a multi-vector attack: a reflection and the flood of its
/// later fragments, DNS and NTP onto one victim): findings whose windows
/// overlap and whose busiest victim (or victims' prefix) is the same. Each
/// gets its incident's number (from 1, in the report's order) and its share
/// of the incident's bytes. Sweeps are scans, not aimed at a victim.
pub fn incidents(report: &mut Report) {
    let target = |s: &SpikeReport| {
        s.victim_prefix
            .clone()
            .or_else(|| s.top_destinations.first().map(|d| d.addr.clone()))
    };
    let attacks: Vec<usize> = (0..report.spikes.len())
        .filter(|i| {
            report
                .spikes
                .get(*i)
                .is_some_and(|s| s.kind.is_attack() && s.kind != crate::report::SpikeKind::Sweep)
        })
        .collect();
    let mut group: Vec<Option<usize>> = vec![None; report.spikes.len()];
    let mut next = 0;
    for (n, &i) in attacks.iter().enumerate() {
        let Some(a) = report.spikes.get(i) else {
            continue;
        };
        let joined = attacks.iter().take(n).find_map(|&j| {
            let b = report.spikes.get(j)?;
            let same = target(a).is_some() && target(a) == target(b);
            (same && a.start_ts < b.end_ts && b.start_ts < a.end_ts)
                .then(|| group.get(j).copied().flatten())
                .flatten()
        });
        let g = joined.unwrap_or_else(|| {
            next += 1;
            next
        });
        if let Some(slot) = group.get_mut(i) {
            *slot = Some(g);
        }
    }
    for g in 1..=next {
        let members: Vec<usize> = (0..group.len())
            .filter(|i| group.get(*i).copied().flatten() == Some(g))
            .collect();
        let total: Option<u64> = members
            .iter()
            .map(|i| report.spikes.get(*i).and_then(|s| s.bytes))
            .sum();
        for i in members {
            if let Some(s) = report.spikes.get_mut(i) {
                s.incident = Some(g as u32);
                s.byte_share = total
                    .filter(|t| *t > 0)
                    .zip(s.bytes)
                    .map(|(t, b)| round2(b as f64 * 100.0 / t as f64) / 100.0);
            }
        }
    }
}

/// The pass over a whole capture held in memory (`total` as in
/// [`Evidence::new`]).
pub fn over_bytes(report: &mut Report, bytes: &[u8], total: usize) {
    let mut e = Evidence::new(report, total);
    e.begin(&[]);
    e.feed(bytes);
    e.apply(report);
}

/// Mark a report whose findings could not be read again (input that cannot
/// be read twice, a read cut short): its numbers stay the sketches'.
pub fn unavailable(report: &mut Report, why: &str) {
    report.evidence = Some(EvidenceState {
        exact: false,
        note: Some(why.to_string()),
    });
}

fn count_frame(
    spikes: &mut [SpikeTally],
    scanners: &mut [Option<ScannerTally>],
    senders: &mut HashMap<IpAddr, u64>,
    ts_ns: i64,
    len: u32,
    linktype: u32,
    data: &[u8],
) {
    let Decoded::Ip(p) = decode::decode(linktype, data) else {
        return;
    };
    if let Some(n) = senders.get_mut(&p.src) {
        *n += 1;
    }
    for s in spikes.iter_mut() {
        s.packet(ts_ns, u64::from(len), &p);
    }
    let ts = ts_ns.div_euclid(1000);
    for s in scanners.iter_mut().flatten() {
        s.packet(ts, &p);
    }
}

/// Addresses with their packets and bytes, exact up to a bound, then a
/// sketch for the distinct count.
#[derive(Debug)]
struct Talkers {
    map: HashMap<IpAddr, (u64, u64)>,
    limit: usize,
    /// Fed once the table is full (with every address it holds).
    sketch: Option<Distinct>,
}

impl Talkers {
    fn new(limit: usize) -> Self {
        Talkers {
            map: HashMap::default(),
            limit,
            sketch: None,
        }
    }

    fn add(&mut self, a: IpAddr, bytes: u64) {
        if let Some(e) = self.map.get_mut(&a) {
            e.0 += 1;
            e.1 += bytes;
            return;
        }
        if self.map.len() < self.limit {
            self.map.insert(a, (1, bytes));
            return;
        }
        let map = &self.map;
        let sk = self.sketch.get_or_insert_with(|| {
            let mut d = Distinct::default();
            for k in map.keys() {
                d.insert(hash_addr(k));
            }
            d
        });
        sk.insert(hash_addr(&a));
    }

    /// Distinct addresses, and whether that is an estimate.
    fn count(&self) -> (u64, bool) {
        match &self.sketch {
            Some(s) => (s.estimate().max(self.map.len() as u64), true),
            None => (self.map.len() as u64, false),
        }
    }

    /// The `n` with the most packets (ties by address).
    fn top(&self, n: usize) -> Vec<(IpAddr, u64, u64)> {
        let mut v: Vec<(IpAddr, u64, u64)> =
            self.map.iter().map(|(a, (p, b))| (*a, *p, *b)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// What a finding's window holds, as its filter selects it.
#[derive(Debug)]
struct SpikeTally {
    sel: Selection,
    proto: Proto,
    port: u16,
    /// Talkers count packets from the port (backscatter, reflection), else to it.
    from_port: bool,
    packets: u64,
    bytes: u64,
    flags: Flags,
    answers: u64,
    sources: Talkers,
    destinations: Talkers,
    interval: i64,
    /// Packets and bytes per interval from the window's start.
    rates: Vec<(u64, u64)>,
}

impl SpikeTally {
    fn new(s: &SpikeReport, key: Key, limit: usize) -> Self {
        let span = (s.end_ts - s.start_ts).max(1);
        SpikeTally {
            sel: Selection::port(key, s.proto, s.port, s.start_ts, s.end_ts)
                .aimed(Aim::parse(s.aimed_at.as_deref().unwrap_or(""))),
            proto: s.proto,
            port: s.port,
            from_port: crate::detect::direction_of(s.kind, key) == "from_port",
            packets: 0,
            bytes: 0,
            flags: Flags::default(),
            answers: 0,
            sources: Talkers::new(limit),
            destinations: Talkers::new(limit),
            interval: span
                .min(1_000_000)
                .max((span + MAX_INTERVALS - 1) / MAX_INTERVALS)
                .max(1),
            rates: Vec::new(),
        }
    }

    fn packet(&mut self, ts_ns: i64, len: u64, p: &Packet) {
        if !self.sel.matches(ts_ns, p) {
            return;
        }
        self.packets += 1;
        self.bytes += len;
        let at =
            usize::try_from((ts_ns.div_euclid(1000) - self.sel.t0_us) / self.interval).unwrap_or(0);
        if at >= self.rates.len() {
            self.rates.resize(at + 1, (0, 0));
        }
        if let Some(r) = self.rates.get_mut(at) {
            r.0 += 1;
            r.1 += len;
        }
        if !self.proto.has_ports() {
            // A row without ports: senders and receivers, nothing answers.
            self.sources.add(p.src, len);
            self.destinations.add(p.dst, len);
            return;
        }
        // Talkers, flags and answers: the packet itself, not an ICMP error
        // quoting one.
        let L4::Ports {
            proto,
            sport,
            dport,
            flags,
            ..
        } = p.l4
        else {
            return;
        };
        if proto != self.proto {
            return;
        }
        if proto == Proto::Tcp {
            count_flags(&mut self.flags, flags);
        }
        let along = if self.from_port {
            sport == self.port
        } else {
            dport == self.port
        };
        if along {
            self.sources.add(p.src, len);
            self.destinations.add(p.dst, len);
        } else {
            self.answers += 1;
        }
    }

    fn apply(self, s: &mut SpikeReport) {
        let side = if self.from_port { Side::Src } else { Side::Dst };
        let (t0, t1) = (self.sel.t0_us, self.sel.t1_us);
        let talker = |role: &str, v: Vec<(IpAddr, u64, u64)>| -> Vec<AddrCount> {
            v.into_iter()
                .map(|(a, packets, bytes)| AddrCount {
                    addr: a.to_string(),
                    packets,
                    bytes: Some(bytes),
                    wireshark_filter: talker_filter(
                        a, role, self.proto, side, self.port, &self.sel,
                    ),
                })
                .collect()
        };
        let mut estimated = Vec::new();
        let (sources, est_s) = self.sources.count();
        let (destinations, est_d) = self.destinations.count();
        for (field, est) in [
            ("sources", est_s),
            ("destinations", est_d),
            ("top_sources", est_s),
            ("top_destinations", est_d),
        ] {
            if est {
                estimated.push(Estimate {
                    field: field.into(),
                    rel_error: (!field.starts_with("top")).then_some(REL_ERROR),
                });
            }
        }
        s.victim_prefix = victim_prefix(s.kind, &self.destinations.map);
        s.top_sources = talker("src", self.sources.top(TOP));
        s.top_destinations = talker("dst", self.destinations.top(TOP));
        s.sources = sources;
        s.destinations = destinations;
        s.packets = self.packets;
        s.bytes = Some(self.bytes);
        s.flags = self.flags;
        s.answers = Some(self.answers);
        let span = (t1 - t0).max(1) as f64;
        // The first interval with the most packets.
        let (peak_at, peak) = self
            .rates
            .iter()
            .enumerate()
            .fold((0, (0, 0)), |best, (i, r)| {
                if r.0 > best.1 .0 {
                    (i as i64, *r)
                } else {
                    best
                }
            });
        let iv = self.interval as f64;
        s.rates = Some(Rates {
            interval_us: self.interval as u64,
            peak_ts: t0 + peak_at * self.interval,
            peak_pps: round2(peak.0 as f64 * 1e6 / iv),
            peak_bps: round2(peak.1 as f64 * 8e6 / iv),
            mean_pps: round2(self.packets as f64 * 1e6 / span),
            mean_bps: round2(self.bytes as f64 * 8e6 / span),
        });
        s.estimated = estimated;
    }
}

/// The prefix of an attack's victims (its destinations, with their
/// packets): the narrowest IPv4 prefix, a /22 or narrower, around the
/// busiest victim that holds [`crate::detect::CARPET_SHARE`] of the packets
/// and more than one victim (none when the busiest alone holds that share).
pub(crate) fn victim_prefix(
    kind: crate::report::SpikeKind,
    victims: &HashMap<IpAddr, (u64, u64)>,
) -> Option<String> {
    use crate::detect::{CARPET_PREFIX_MIN, CARPET_SHARE};
    if !kind.is_attack() || kind == crate::report::SpikeKind::Sweep || victims.len() < 2 {
        return None;
    }
    let total: u64 = victims.values().map(|v| v.0).sum();
    let (top, (top_packets, _)) = victims
        .iter()
        .max_by_key(|(a, v)| (v.0, std::cmp::Reverse(**a)))?;
    if *top_packets as f64 >= CARPET_SHARE * total as f64 {
        return None; // one victim
    }
    let IpAddr::V4(top) = top else {
        return None;
    };
    let top = u32::from(*top);
    for len in (CARPET_PREFIX_MIN..32).rev() {
        let mask = u32::MAX << (32 - len);
        let (mut n, mut inside) = (0u64, 0usize);
        for (a, v) in victims {
            if let IpAddr::V4(a) = a {
                if u32::from(*a) & mask == top & mask {
                    n += v.0;
                    inside += 1;
                }
            }
        }
        if inside > 1 && n as f64 >= CARPET_SHARE * total as f64 {
            return Some(format!("{}/{len}", std::net::Ipv4Addr::from(top & mask)));
        }
    }
    None
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The flag mix: each TCP packet once (see [`FlagMix`]).
fn count_flags(c: &mut Flags, f: u8) {
    let n = match FlagMix::of(f) {
        FlagMix::Syn => &mut c.syn,
        FlagMix::SynAck => &mut c.synack,
        FlagMix::Rst => &mut c.rst,
        FlagMix::Fin => &mut c.fin,
        FlagMix::Other => &mut c.other,
    };
    *n += 1;
}

/// `ip.src == A && tcp.dstport == P && !icmp && frame.time_epoch …`: one
/// talker's packets of a finding (an ICMP error quoting one is not its),
/// in the finding's window and, for a reflection, towards its victims only
/// (`sel`'s aim).
pub fn talker_filter(
    a: IpAddr,
    role: &str,
    proto: Proto,
    side: Side,
    port: u16,
    sel: &Selection,
) -> String {
    let (ip, icmp) = match a {
        IpAddr::V4(_) => ("ip", "icmp"),
        IpAddr::V6(_) => ("ipv6", "icmpv6"),
    };
    let row = row_predicate(proto, port, side);
    let not_quoted = if proto.has_ports() {
        format!(" && !{icmp}")
    } else {
        String::new()
    };
    let aimed = sel
        .aim
        .predicate()
        .map(|a| format!(" && {a}"))
        .unwrap_or_default();
    format!(
        "{ip}.{role} == {a} && {row}{not_quoted}{aimed} && frame.time_epoch >= {} && frame.time_epoch < {}",
        epoch(sel.t0_us),
        epoch(sel.t1_us)
    )
}

/// A scanner's probe: UDP, or TCP with neither ACK nor RST (SYN, FIN,
/// NULL, Xmas), to a unicast address; for a scanner the first pass saw
/// send ACK probes, also a bare ACK without payload.
fn probe_kind(proto: Proto, flags: u8, payload: u16, acks: bool) -> Option<Probe> {
    match proto {
        Proto::Udp => Some(Probe::Udp),
        Proto::Tcp if acks && flags & (F::SYN | F::FIN | F::RST | F::ACK) == F::ACK => {
            (payload == 0).then_some(Probe::Ack)
        }
        Proto::Tcp if flags & (F::ACK | F::RST) != 0 => None,
        Proto::Tcp if flags & F::SYN != 0 => Some(Probe::Syn),
        Proto::Tcp if flags & (F::FIN | F::PSH | F::URG) == F::FIN | F::PSH | F::URG => {
            Some(Probe::Xmas)
        }
        Proto::Tcp if flags & F::FIN != 0 => Some(Probe::Fin),
        Proto::Tcp => Some(Probe::Null),
        _ => None,
    }
}

fn multicast(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => a.is_multicast() || a.is_broadcast(),
        IpAddr::V6(a) => a.is_multicast(),
    }
}

/// `ip.src == A && (udp || (tcp.flags.ack == 0 && tcp.flags.reset == 0)) …`:
/// a scanner's probes in its window (bare ACKs too for an ACK scanner).
pub fn probe_filter(a: IpAddr, acks: bool, t0: i64, t1: i64) -> String {
    let unicast = match a {
        IpAddr::V4(_) => "!(ip.dst == 224.0.0.0/4) && ip.dst != 255.255.255.255 && !icmp",
        IpAddr::V6(_) => "!(ipv6.dst == ff00::/8) && !icmpv6",
    };
    let ip = if a.is_ipv4() { "ip" } else { "ipv6" };
    let ack = if acks {
        " || (tcp.flags.ack == 1 && tcp.flags.syn == 0 && tcp.flags.fin == 0 && tcp.flags.reset == 0 && tcp.len == 0)"
    } else {
        ""
    };
    format!(
        "{ip}.src == {a} && (udp || (tcp.flags.ack == 0 && tcp.flags.reset == 0){ack}) && {unicast} && frame.time_epoch >= {} && frame.time_epoch < {}",
        epoch(t0),
        epoch(t1)
    )
}

/// Ports with their counts, the largest first (then by port and protocol).
fn busiest(v: impl Iterator<Item = ((Proto, u16), u64)>) -> Vec<((Proto, u16), u64)> {
    let mut v: Vec<_> = v.collect();
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.0 .1.cmp(&b.0 .1))
            .then(a.0 .0.as_str().cmp(b.0 .0.as_str()))
    });
    v
}

/// One (host, port) a scanner tried.
#[derive(Debug, Clone, Copy)]
struct Contact {
    probe: Probe,
    /// A SYN-ACK or a UDP reply came back from it.
    answered: bool,
    /// The scanner acknowledged the SYN-ACK: a full (connect) handshake.
    completed: bool,
}

/// What a scanner did in its window, as its probe filter selects it.
#[derive(Debug)]
struct ScannerTally {
    addr: IpAddr,
    t0: i64,
    t1: i64,
    contacts: HashMap<(IpAddr, Proto, u16), Contact>,
    /// The first pass saw it send ACK probes: bare ACKs are probes too.
    acks: bool,
    limit: usize,
    full: bool,
}

impl ScannerTally {
    fn new(s: &ScannerReport, limit: usize) -> Option<Self> {
        Some(ScannerTally {
            addr: s.source.parse().ok()?,
            t0: s.first_ts,
            t1: s.last_ts.saturating_add(1),
            contacts: HashMap::default(),
            acks: s.probe_counts.iter().any(|p| p.probe == Probe::Ack),
            limit,
            full: false,
        })
    }

    fn packet(&mut self, ts: i64, p: &Packet) {
        if ts < self.t0 || ts >= self.t1 {
            return;
        }
        let L4::Ports {
            proto,
            sport,
            dport,
            flags,
            payload,
        } = p.l4
        else {
            return;
        };
        let tcp = proto == Proto::Tcp;
        if p.src == self.addr {
            let k = (p.dst, proto, dport);
            if let Some(c) = self.contacts.get_mut(&k) {
                // A bare ACK after the answer completes the handshake.
                let bare_ack = tcp && flags & (F::SYN | F::RST | F::FIN | F::ACK) == F::ACK;
                c.completed |= bare_ack && c.answered;
                return;
            }
            let Some(probe) = probe_kind(proto, flags, payload, self.acks) else {
                return;
            };
            if multicast(&p.dst) {
                return;
            }
            if self.contacts.len() >= self.limit {
                self.full = true;
                return;
            }
            self.contacts.insert(
                k,
                Contact {
                    probe,
                    answered: false,
                    completed: false,
                },
            );
        } else if p.dst == self.addr {
            let answer = !tcp || flags & (F::SYN | F::ACK | F::RST) == F::SYN | F::ACK;
            if let Some(c) = self.contacts.get_mut(&(p.src, proto, sport)) {
                c.answered |= answer;
            }
        }
    }

    fn apply(self, s: &mut ScannerReport) {
        s.probe_filter = probe_filter(self.addr, self.acks, self.t0, self.t1);
        if self.full {
            // Past the bound: the first pass's figures stay, marked as such.
            let engine = |f: &'static str| (f, u64::MAX, None);
            let mut fields = vec![
                ("targets", u64::MAX, Some(REL_ERROR)),
                ("ports", u64::MAX, Some(REL_ERROR)),
            ];
            fields.extend(
                [
                    "attempts",
                    "failures",
                    "answered",
                    "top_ports",
                    "top_targets",
                ]
                .map(engine),
            );
            s.estimated = crate::detect::sketched(&fields);
            return;
        }
        let mut ports: HashMap<(Proto, u16), (u64, u64)> = HashMap::default();
        let mut targets: HashMap<IpAddr, u64> = HashMap::default();
        let mut probes: HashMap<Probe, u64> = HashMap::default();
        let mut answered = 0u64;
        // A scanner that completes handshakes and never leaves one half-open
        // connects (every SYN of it, refused ones included); one that resets
        // after the SYN-ACK is a half-open (SYN) scanner.
        let completed = self.contacts.values().filter(|c| c.completed).count();
        let half_open = self
            .contacts
            .values()
            .filter(|c| c.probe == Probe::Syn && c.answered && !c.completed)
            .count();
        let connects = completed > 0 && half_open < 2;
        for ((dst, proto, port), c) in &self.contacts {
            let e = ports.entry((*proto, *port)).or_default();
            e.0 += 1;
            e.1 += u64::from(c.answered);
            *targets.entry(*dst).or_default() += 1;
            let probe = if c.probe == Probe::Syn && connects {
                Probe::Connect
            } else {
                c.probe
            };
            *probes.entry(probe).or_default() += 1;
            answered += u64::from(c.answered);
        }
        let attempts = self.contacts.len() as u64;
        // Ports by contacts, and those that answered by hosts answering.
        let tried = busiest(ports.iter().map(|(p, (n, _))| (*p, *n)));
        let answering = busiest(ports.iter().map(|(p, (_, a))| (*p, *a)));
        let mut top_ports: Vec<PortAttempts> = tried
            .into_iter()
            .map(|((proto, port), attempts)| PortAttempts {
                proto,
                port,
                attempts,
            })
            .collect();
        let open: Vec<OpenPort> = answering
            .into_iter()
            .filter(|(_, hosts)| *hosts > 0)
            .take(TOP * 2)
            .map(|((proto, port), hosts)| OpenPort { proto, port, hosts })
            .collect();
        let mut top_targets: Vec<(IpAddr, u64)> = targets.iter().map(|(a, n)| (*a, *n)).collect();
        top_targets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let port_max = top_ports.first().map_or(0, |p| p.attempts);
        let target_max = top_targets.first().map_or(0, |t| t.1);
        s.kind = crate::detect::scan_kind(
            targets.len() as u64,
            ports.len() as u64,
            attempts,
            port_max,
            target_max,
        );
        top_ports.truncate(TOP);
        top_targets.truncate(TOP);
        s.targets = targets.len() as u64;
        s.ports = ports.len() as u64;
        s.attempts = attempts;
        s.answered = Some(answered);
        s.failures = attempts - answered;
        s.top_ports = top_ports;
        s.top_targets = top_targets
            .into_iter()
            .map(|(a, n)| AddrAttempts {
                addr: a.to_string(),
                attempts: n,
            })
            .collect();
        s.open_ports = open;
        let mut counts: Vec<ProbeCount> = probes
            .into_iter()
            .map(|(probe, contacts)| ProbeCount { probe, contacts })
            .collect();
        counts.sort_by(|a, b| {
            b.contacts
                .cmp(&a.contacts)
                .then(a.probe.as_str().cmp(b.probe.as_str()))
        });
        // Probe types making up at least 5% of its contacts, by name.
        let mut kinds: Vec<Probe> = counts
            .iter()
            .filter(|c| c.contacts * 20 >= attempts)
            .map(|c| c.probe)
            .collect();
        kinds.sort_by_key(|p| p.as_str());
        s.probes = kinds;
        s.probe_counts = counts;
        s.estimated = Vec::new();
        // Convicted by spread where almost nothing answered: say how many did.
        if answered > 0 {
            s.evidence = s.evidence.as_ref().map(|e| {
                e.replacen(
                    "no answers seen",
                    &format!("{answered} of its {attempts} contacts answered"),
                    1,
                )
            });
        }
    }
}

#[cfg(test)]
mod tests;
