//! A spike finding's tally: its packets, bytes, talkers both ways, flag mix
//! and rates, counted in its own filter and window.

use super::{MAX_INTERVALS, TOP};
use crate::decode::{FlagMix, Packet, Proto, L4};
use crate::filter::{epoch, row_predicate, Aim, Side};
use crate::fxhash::FxHashMap as HashMap;
use crate::params::Key;
use crate::report::{AddrCount, Estimate, Flags, Rates, SpikeReport};
use crate::sketch::{hash_addr, Distinct, REL_ERROR};
use crate::window::Selection;
use std::net::IpAddr;

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
pub(super) struct SpikeTally {
    pub(super) sel: Selection,
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
    pub(super) fn new(s: &SpikeReport, key: Key, limit: usize) -> Self {
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

    pub(super) fn packet(&mut self, ts_ns: i64, len: u64, p: &Packet) {
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

    pub(super) fn apply(self, s: &mut SpikeReport) {
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

pub(super) fn round2(x: f64) -> f64 {
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
