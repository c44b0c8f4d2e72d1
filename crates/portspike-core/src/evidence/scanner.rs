//! A scanner's tally: its probes (what its `probe_filter` selects), the hosts
//! and ports they tried, and which answered.

use super::TOP;
use crate::decode::{tcp_flags as F, Packet, Proto, L4};
use crate::filter::epoch;
use crate::fxhash::FxHashMap as HashMap;
use crate::report::{AddrAttempts, OpenPort, PortAttempts, Probe, ProbeCount, ScannerReport};
use crate::sketch::REL_ERROR;
use std::net::IpAddr;

/// A scanner's probe: UDP, or TCP with neither ACK nor RST (SYN, FIN,
/// NULL, Xmas), to a unicast address; for a scanner the first pass saw
/// send ACK-family probes, also a bare ACK or FIN/ACK without payload.
fn probe_kind(proto: Proto, flags: u8, payload: u16, acks: bool) -> Option<Probe> {
    match proto {
        Proto::Udp => Some(Probe::Udp),
        Proto::Tcp if acks && flags & (F::SYN | F::RST | F::ACK) == F::ACK => (payload == 0)
            .then_some(if flags & F::FIN != 0 {
                Probe::Maimon
            } else {
                Probe::Ack
            }),
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
        " || (tcp.flags.ack == 1 && tcp.flags.syn == 0 && tcp.flags.reset == 0 && tcp.len == 0)"
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
pub(super) struct ScannerTally {
    addr: IpAddr,
    pub(super) t0: i64,
    pub(super) t1: i64,
    contacts: HashMap<(IpAddr, Proto, u16), Contact>,
    /// The first pass saw it send ACK-family probes: bare ACKs and FIN/ACKs
    /// are probes too.
    acks: bool,
    limit: usize,
    full: bool,
    /// Its probes matching each tool's header rule.
    tools: super::tool::ToolTally,
}

impl ScannerTally {
    pub(super) fn new(s: &ScannerReport, limit: usize) -> Option<Self> {
        Some(ScannerTally {
            addr: s.source.parse().ok()?,
            t0: s.first_ts,
            t1: s.last_ts.saturating_add(1),
            contacts: HashMap::default(),
            acks: s.probe_counts.iter().any(|p| p.probe.acks()),
            limit,
            full: false,
            tools: super::tool::ToolTally::default(),
        })
    }

    /// One packet at `ts` µs, decoded as `p` from the frame `data`.
    pub(super) fn packet(&mut self, ts: i64, p: &Packet, data: &[u8]) {
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
            self.tools.probe(p, data);
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

    pub(super) fn apply(self, s: &mut ScannerReport) {
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
        let c = self.contacts();
        let attempts = self.contacts.len() as u64;
        c.fill_reach(s, attempts);
        fill_probes(s, c.probes, attempts);
        s.tool = self.tools.verdict(attempts);
        s.estimated = Vec::new();
        // Convicted by spread where almost nothing answered: say how many did.
        if c.answered > 0 {
            s.evidence = s.evidence.as_ref().map(|e| {
                e.replacen(
                    "no answers seen",
                    &format!("{} of its {attempts} contacts answered", c.answered),
                    1,
                )
            });
        }
    }

    /// Its contacts summed by port, by target and by probe.
    fn contacts(&self) -> ContactSums {
        let mut sums = ContactSums::default();
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
            let e = sums.ports.entry((*proto, *port)).or_default();
            e.0 += 1;
            e.1 += u64::from(c.answered);
            *sums.targets.entry(*dst).or_default() += 1;
            let probe = if c.probe == Probe::Syn && connects {
                Probe::Connect
            } else {
                c.probe
            };
            *sums.probes.entry(probe).or_default() += 1;
            sums.answered += u64::from(c.answered);
        }
        sums
    }
}

/// A scanner's contacts summed three ways.
#[derive(Default)]
struct ContactSums {
    /// Contacts and answers by port.
    ports: HashMap<(Proto, u16), (u64, u64)>,
    targets: HashMap<IpAddr, u64>,
    probes: HashMap<Probe, u64>,
    answered: u64,
}

impl ContactSums {
    /// Its kind, targets, ports, attempts, answers and top lists.
    fn fill_reach(&self, s: &mut ScannerReport, attempts: u64) {
        let ports = &self.ports;
        let targets = &self.targets;
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
        s.answered = Some(self.answered);
        s.failures = attempts - self.answered;
        s.top_ports = top_ports;
        s.top_targets = top_targets
            .into_iter()
            .map(|(a, n)| AddrAttempts {
                addr: a.to_string(),
                attempts: n,
            })
            .collect();
        s.open_ports = open;
    }
}

/// Its contacts by probe, busiest first, and the probes making up at least
/// 5% of them.
fn fill_probes(s: &mut ScannerReport, probes: HashMap<Probe, u64>, attempts: u64) {
    let mut counts: Vec<ProbeCount> = probes
        .into_iter()
        .map(|(probe, contacts)| ProbeCount { probe, contacts })
        .collect();
    counts.sort_by(|a, b| {
        b.contacts
            .cmp(&a.contacts)
            .then(a.probe.as_str().cmp(b.probe.as_str()))
    });
    let mut kinds: Vec<Probe> = counts
        .iter()
        .filter(|c| c.contacts * 20 >= attempts)
        .map(|c| c.probe)
        .collect();
    kinds.sort_by_key(|p| p.as_str());
    s.probes = kinds;
    s.probe_counts = counts;
}
