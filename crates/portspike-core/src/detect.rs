//! Spike detection on per-port series, spike kinds, and scanner verdicts.

use crate::bins::Cell;
use crate::decode::Proto;
use crate::engine::{Engine, PortState, SourceState};
use crate::params::Key;
pub use crate::params::{Cidr, Detection};
use crate::report::{
    AddrCount, Episode, Flags, Metric, Pattern, PortAttempts, ScannerReport, SpikeKind, SpikeReport,
};
use std::net::IpAddr;

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let mid = v.get(n / 2).copied().unwrap_or(0.0);
    if n % 2 == 1 {
        mid
    } else {
        (v.get(n / 2 - 1).copied().unwrap_or(0.0) + mid) / 2.0
    }
}

/// Per-bin scores of one series.
#[derive(Debug, Clone)]
pub struct Scored {
    pub z: Vec<f64>,
    pub baseline: Vec<f64>,
    pub hot: Vec<bool>,
    /// The baseline history before this bin was empty of activity.
    pub no_history: Vec<bool>,
}

/// Score each bin against the median and MAD of the preceding non-hot bins,
/// with a Poisson floor (σ ≥ √max(median, 1)) for sparse ports.
pub fn score(x: &[f64], d: &Detection) -> Scored {
    let n = x.len();
    let mut out = Scored {
        z: vec![0.0; n],
        baseline: vec![0.0; n],
        hot: vec![false; n],
        no_history: vec![true; n],
    };
    let mut hist: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
    // Non-zero values in `hist`, and buffers reused from bin to bin.
    let mut nonzero = 0usize;
    let (mut w, mut dev): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut any_before = false;
    for (i, &v) in x.iter().enumerate() {
        let len = hist.len();
        // Values are counts (≥ 0): sorted, the history is its zeros, then the
        // rest. While the zeros reach past the 90th percentile, the median,
        // MAD and 90th percentile are all 0 (most bins of a quiet port).
        let (m, mad, p90) = if len == 0 || len * 9 / 10 < len - nonzero {
            (0.0, 0.0, 0.0)
        } else {
            w.clear();
            w.extend(hist.iter().copied());
            let m = median(&mut w);
            dev.clear();
            dev.extend(hist.iter().map(|h| (h - m).abs()));
            let mad = median(&mut dev);
            // Heavy tails (bursty ports): the spread reaches at least the 90th
            // percentile of the history (1.28 σ above the median of a normal).
            let p90 = w.get((w.len() * 9) / 10).copied().unwrap_or(m);
            (m, mad, p90)
        };
        let sigma = (1.4826 * mad).max(m.max(1.0).sqrt()).max((p90 - m) / 1.28);
        let z = (v - m) / sigma;
        let hot = z >= d.threshold && v - m >= d.min_excess;
        if let (Some(zs), Some(b), Some(h), Some(nh)) = (
            out.z.get_mut(i),
            out.baseline.get_mut(i),
            out.hot.get_mut(i),
            out.no_history.get_mut(i),
        ) {
            *zs = z;
            *b = m;
            *h = hot;
            *nh = !any_before;
        }
        if !hot {
            hist.push_back(v);
            nonzero += usize::from(v != 0.0);
            if hist.len() > d.baseline_bins {
                if let Some(old) = hist.pop_front() {
                    nonzero -= usize::from(old != 0.0);
                }
            }
        }
        any_before |= v > 0.0;
    }
    out
}

/// Hot-bin groups that pass the persistence rule, as inclusive bin ranges.
pub fn segments(s: &Scored, d: &Detection) -> Vec<(usize, usize)> {
    let hot: Vec<usize> = s
        .hot
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .map(|(i, _)| i)
        .collect();
    let max_gap = d.persistence_n.saturating_sub(d.persistence_k) + 1;
    let mut out = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let flush = |g: &mut Vec<usize>, out: &mut Vec<(usize, usize)>| {
        if let (Some(&a), Some(&b)) = (g.first(), g.last()) {
            let strong = g
                .iter()
                .any(|i| s.z.get(*i).copied().unwrap_or(0.0) >= d.threshold * d.single_bin_factor);
            if g.len() >= d.persistence_k || strong {
                out.push((a, b));
            }
        }
        g.clear();
    };
    for i in hot {
        if let Some(&last) = group.last() {
            if i - last > max_gap {
                flush(&mut group, &mut out);
            }
        }
        group.push(i);
    }
    flush(&mut group, &mut out);
    out
}

/// The metric a port's spikes are found on: new connections (attempts) where
/// there are enough of them to judge — they are far less bursty than packets,
/// which come in sessions — else packets (backscatter has no attempts).
pub(crate) fn metric_of(st: &PortState) -> Metric {
    if st.totals.attempts >= 10 {
        Metric::Attempts
    } else {
        Metric::Packets
    }
}

/// Spike kind from the window's evidence.
pub fn kind(w: &Cell) -> SpikeKind {
    let (pk, syn, synack, rst) = (
        u64::from(w.packets),
        u64::from(w.syn),
        u64::from(w.synack),
        u64::from(w.rst),
    );
    let (a, f, c) = (
        u64::from(w.attempts),
        u64::from(w.failures),
        u64::from(w.completed),
    );
    let (s, d) = (w.sources.estimate(), w.destinations.estimate());
    if synack > 0
        && u64::from(w.unsolicited) * 2 >= synack
        && syn * 5 <= synack + rst
        && (synack + rst) * 10 >= pk * 6
    {
        return SpikeKind::Backscatter;
    }
    let failing = a > 0 && (f * 2 >= a || c * 5 < a);
    if d >= 20 && d >= 5 * s.max(1) && failing {
        return SpikeKind::Sweep;
    }
    if s >= 20 && s >= 5 * d.max(1) && a > 0 && c * 2 < a {
        return SpikeKind::Flood;
    }
    SpikeKind::Surge
}

pub(crate) fn epoch(us: i64) -> String {
    format!(
        "{}.{:06}",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000)
    )
}

/// A surge (ordinary growth) is news only when its peak bin is more than
/// this many times the largest bin the port showed before it in the capture:
/// a port's normal includes its bursts.
pub const BURST_FACTOR: f64 = 2.0;
/// …and when it involves at least this many distinct sources (a flash crowd,
/// not one client opening its twenty connections of a page load)…
pub const SURGE_MIN_SOURCES: u64 = 10;
/// …or when at least half of its attempts failed (refused, unanswered,
/// unreachable): failures are what separate attacks from rhythm.
pub const SURGE_MIN_FAILED_SHARE: f64 = 0.5;
/// A surge needs this many bins of the capture before it: in its first bins
/// a capture shows what was already under way, not growth.
pub const SURGE_MIN_HISTORY_BINS: usize = 5;
/// Episodes of one kind on one port closer than this are one incident (one
/// finding with its episodes): twice Zeek's five-minute scan window, so a
/// flood that pauses for minutes between waves stays one finding.
pub const INCIDENT_GAP_US: i64 = 600_000_000;
/// …or than this many bins, where bins are wider than a minute.
pub const INCIDENT_GAP_BINS: i64 = 10;
/// Ordinary bursts that make a port's [`Pattern`](crate::report::Pattern).
pub const PATTERN_MIN_BURSTS: usize = 3;

/// Why a hot stretch of a port is or is not a finding (DESIGN: "a finding is
/// an incident"). Attack kinds (sweep, flood, backscatter) are findings on
/// their evidence. A surge is one only when it is larger than anything the
/// port showed before (more than [`BURST_FACTOR`] times its earlier peak
/// bin) *and* it has what rhythm lacks: many peers ([`SURGE_MIN_SOURCES`])
/// or failing attempts ([`SURGE_MIN_FAILED_SHARE`]), and it comes after the
/// capture's first [`SURGE_MIN_HISTORY_BINS`] bins. Anything else is the
/// port's rhythm: counted in its pattern, never a finding.
pub fn is_news(kind: SpikeKind, w: &Cell, peak: f64, earlier_peak: f64, history: usize) -> bool {
    if kind.is_attack() {
        return true;
    }
    if history < SURGE_MIN_HISTORY_BINS {
        // The capture has only begun: growth cannot be told from what was already there.
        return false;
    }
    let larger = peak > BURST_FACTOR * earlier_peak;
    let a = f64::from(w.attempts);
    let failing = a > 0.0 && f64::from(w.failures) >= SURGE_MIN_FAILED_SHARE * a;
    larger && (w.sources.estimate() >= SURGE_MIN_SOURCES || failing)
}

/// One hot stretch that passed the persistence rule.
struct Stretch {
    a: usize,
    b: usize,
    peak: usize,
    kind: SpikeKind,
    cell: Cell,
    observed: f64,
    baseline: f64,
    new_port: bool,
}

fn median_of(mut v: Vec<f64>) -> f64 {
    median(&mut v)
}

/// Find the findings of one port. Returns them, the port's best score, and
/// its rhythm (see [`is_news`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn port_spikes(
    proto: Proto,
    port: u16,
    st: &PortState,
    cells: &crate::bins::View<'_>,
    start_ts: i64,
    width: i64,
    key: Key,
    d: &Detection,
) -> (Vec<SpikeReport>, f64, Option<Pattern>) {
    let total = st.totals.packets;
    if total < d.min_events || cells.is_empty() {
        return (Vec::new(), 0.0, None);
    }
    let metric = metric_of(st);
    let x = cells.column(|c| f64::from(metric.of(c)));
    let s = score(&x, d);
    // Below the threshold: the best bin's score, capped under it.
    let mut best =
        s.z.iter()
            .copied()
            .fold(0.0f64, f64::max)
            .min(d.threshold - 0.01)
            .max(0.0);
    let bin_ts = |i: usize| start_ts + i as i64 * width;
    // The largest bin before each one: the port's burst envelope so far.
    let mut earlier = Vec::with_capacity(x.len());
    let mut envelope = 0.0f64;
    for v in &x {
        earlier.push(envelope);
        envelope = envelope.max(*v);
    }
    let mut news: Vec<Stretch> = Vec::new();
    let mut rhythm: Vec<(i64, f64)> = Vec::new();
    for (a, b) in segments(&s, d) {
        let mut st = Stretch {
            a,
            b,
            peak: a,
            kind: SpikeKind::Surge,
            cell: Cell::default(),
            observed: 0.0,
            baseline: 0.0,
            new_port: s.no_history.get(a).copied().unwrap_or(false),
        };
        for i in a..=b {
            if let Some(c) = cells.get(i) {
                st.cell.add(c);
            }
            st.observed += x.get(i).copied().unwrap_or(0.0);
            st.baseline += s.baseline.get(i).copied().unwrap_or(0.0);
            if s.z.get(i) > s.z.get(st.peak) {
                st.peak = i;
            }
        }
        st.kind = kind(&st.cell);
        let peak = x.get(st.peak).copied().unwrap_or(0.0);
        if is_news(
            st.kind,
            &st.cell,
            peak,
            earlier.get(a).copied().unwrap_or(0.0),
            a,
        ) {
            best = best.max(s.z.get(st.peak).copied().unwrap_or(0.0));
            news.push(st);
        } else {
            rhythm.push((bin_ts(a), st.observed));
        }
    }
    // One finding per incident: episodes of one kind, close in time.
    let gap = INCIDENT_GAP_US.max(INCIDENT_GAP_BINS * width);
    let mut incidents: Vec<Vec<Stretch>> = Vec::new();
    for st in news {
        let joined = incidents.iter_mut().rev().find(|inc| {
            inc.first().is_some_and(|f| f.kind == st.kind)
                && inc
                    .last()
                    .is_some_and(|l| bin_ts(st.a) - bin_ts(l.b + 1) < gap)
        });
        match joined {
            Some(inc) => inc.push(st),
            None => incidents.push(vec![st]),
        }
    }
    let field = match (key, proto) {
        (Key::Service, Proto::Tcp) => "tcp.port",
        (Key::Service, Proto::Udp) => "udp.port",
        (Key::DstPort, Proto::Tcp) => "tcp.dstport",
        (Key::DstPort, Proto::Udp) => "udp.dstport",
    };
    let top = |v: Vec<(IpAddr, u64)>| -> Vec<AddrCount> {
        v.into_iter()
            .map(|(addr, packets)| AddrCount {
                addr: addr.to_string(),
                packets,
            })
            .collect()
    };
    let z_of = |i: usize| s.z.get(i).copied().unwrap_or(0.0);
    let mut spikes = Vec::new();
    for inc in incidents {
        let (Some(first), Some(last)) = (inc.first(), inc.last()) else {
            continue;
        };
        let (t0, t1) = (bin_ts(first.a), bin_ts(last.b + 1));
        let mut w = Cell::default();
        let (mut observed, mut base) = (0.0, 0.0);
        let mut peak = first.peak;
        for e in &inc {
            w.add(&e.cell);
            observed += e.observed;
            base += e.baseline;
            if z_of(e.peak) > z_of(peak) {
                peak = e.peak;
            }
        }
        let episodes = if inc.len() > 1 {
            inc.iter()
                .map(|e| Episode {
                    start_ts: bin_ts(e.a),
                    end_ts: bin_ts(e.b + 1),
                    peak_ts: bin_ts(e.peak),
                    observed: e.observed,
                    score: (z_of(e.peak) * 100.0).round() / 100.0,
                })
                .collect()
        } else {
            Vec::new()
        };
        spikes.push(SpikeReport {
            proto,
            port,
            kind: first.kind,
            new_port: first.new_port,
            metric,
            start_ts: t0,
            end_ts: t1,
            peak_ts: bin_ts(peak),
            score: (z_of(peak) * 100.0).round() / 100.0,
            observed,
            baseline: (base * 100.0).round() / 100.0,
            sources: w.sources.estimate(),
            destinations: w.destinations.estimate(),
            flags: Flags {
                syn: u64::from(w.syn),
                synack: u64::from(w.synack),
                rst: u64::from(w.rst),
                fin: u64::from(w.fin),
                other: u64::from(w.other),
            },
            top_sources: top(st
                .detail
                .as_ref()
                .map(|d| d.top_sources.within(t0, t1, 5))
                .unwrap_or_default()),
            top_destinations: top(st
                .detail
                .as_ref()
                .map(|d| d.top_destinations.within(t0, t1, 5))
                .unwrap_or_default()),
            wireshark_filter: format!(
                "{field} == {port} && frame.time_epoch >= {} && frame.time_epoch < {}",
                epoch(t0),
                epoch(t1)
            ),
            packets: u64::from(w.packets),
            attempts: u64::from(w.attempts),
            failures: u64::from(w.failures),
            completed: u64::from(w.completed),
            episodes,
        });
    }
    let pattern = (rhythm.len() >= PATTERN_MIN_BURSTS).then(|| {
        let gaps: Vec<f64> = rhythm
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some((b.0 - a.0) as f64),
                _ => None,
            })
            .collect();
        Pattern {
            metric,
            bursts: rhythm.len() as u64,
            period_us: median_of(gaps).round() as i64,
            typical: median_of(rhythm.iter().map(|r| r.1).collect()),
            largest: rhythm.iter().map(|r| r.1).fold(0.0, f64::max),
            first_ts: rhythm.first().map_or(0, |r| r.0),
            last_ts: rhythm.last().map_or(0, |r| r.0),
        }
    });
    (spikes, (best * 100.0).round() / 100.0, pattern)
}

/// Scanner verdicts from the engine's per-source evidence. In a capture
/// without answers ([`Engine::one_way`]) only spread convicts (Zeek's
/// thresholds: [`crate::engine::ZEEK_PORTS`] ports on one host or
/// [`crate::engine::ZEEK_HOSTS`] hosts on one port within five minutes),
/// with `method: "threshold"` and the evidence saying no answers were seen.
pub(crate) fn scanners(e: &Engine, d: &Detection) -> Vec<ScannerReport> {
    use crate::engine::{ZEEK_HOSTS, ZEEK_PORTS, ZEEK_WINDOW_US};
    let home: Vec<Cidr> = d.home.iter().filter_map(|c| Cidr::parse(c).ok()).collect();
    let allow: Vec<Cidr> = d.allow.iter().filter_map(|c| Cidr::parse(c).ok()).collect();
    let one_way = e.one_way();
    let mut out: Vec<ScannerReport> = e
        .sources
        .iter()
        .filter_map(|(addr, s)| {
            if !one_way {
                let (ts, method) = s.convicted?;
                return Some(scanner(addr, s, ts, method, &home, &allow));
            }
            let v = s.threshold?;
            let mut r = scanner(addr, s, v.ts, "threshold", &home, &allow);
            r.score = v.hosts.max(v.ports) as f64;
            r.contacts_at_detection = v.contacts;
            let what = if v.ports >= ZEEK_PORTS {
                format!("{} ports of one host", v.ports)
            } else {
                format!("{} hosts on one port", v.hosts)
            };
            r.evidence = Some(format!(
                "no answers seen: convicted by spread alone ({what} within {} minutes; the thresholds are {ZEEK_PORTS} ports or {ZEEK_HOSTS} hosts)",
                ZEEK_WINDOW_US / 60_000_000
            ));
            Some(r)
        })
        .collect();
    sort_scanners(&mut out);
    out
}

/// Scanners in report order: by score, then first contacts, then address.
pub fn sort_scanners(v: &mut [ScannerReport]) {
    v.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.attempts.cmp(&a.attempts))
            .then(a.source.cmp(&b.source))
    });
}

fn scanner(
    addr: &IpAddr,
    s: &SourceState,
    detected_ts: i64,
    method: &str,
    home: &[Cidr],
    allow: &[Cidr],
) -> ScannerReport {
    let targets = s.targets.estimate();
    let ports = s.ports.estimate();
    // Shares of the busiest port and target among the first contacts.
    let n = s.first_contacts.max(1) as f64;
    let port_share = s.top_ports.values().copied().max().unwrap_or(0) as f64 / n;
    let target_share = s.top_targets.values().copied().max().unwrap_or(0) as f64 / n;
    let kind = if ports >= 5 && (targets <= 2 || target_share >= 0.8) {
        "vertical"
    } else if targets >= 5 && (ports <= 2 || port_share >= 0.8) {
        "horizontal"
    } else {
        "mixed"
    };
    let mut top_ports: Vec<PortAttempts> = s
        .top_ports
        .iter()
        .map(|((p, n), c)| PortAttempts {
            proto: *p,
            port: *n,
            attempts: *c,
        })
        .collect();
    top_ports.sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.port.cmp(&b.port)));
    top_ports.truncate(10);
    let mut top_targets: Vec<(IpAddr, u64)> = s.top_targets.iter().map(|(a, c)| (*a, *c)).collect();
    top_targets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top_targets.truncate(10);
    let direction = (!home.is_empty()).then(|| {
        let inside = home.iter().any(|h| h.contains(addr));
        let target_inside = top_targets
            .first()
            .is_some_and(|(t, _)| home.iter().any(|h| h.contains(t)));
        match (inside, target_inside) {
            (true, true) => "internal",
            (true, false) => "outbound",
            (false, _) => "inbound",
        }
        .to_string()
    });
    ScannerReport {
        source: addr.to_string(),
        kind: kind.to_string(),
        probes: s.probe_kinds().into_iter().map(str::to_string).collect(),
        method: method.to_string(),
        score: (s.score * 100.0).round() / 100.0,
        targets,
        ports,
        attempts: s.first_contacts,
        failures: s.failures,
        top_ports,
        top_targets: top_targets
            .into_iter()
            .map(|(a, c)| crate::report::AddrAttempts {
                addr: a.to_string(),
                attempts: c,
            })
            .collect(),
        first_ts: s.first_ts,
        detected_ts,
        last_ts: s.last_ts,
        allowlisted: allow.iter().any(|c| c.contains(addr)),
        direction,
        contacts_at_detection: s.contacts_at_conviction,
        evidence: None,
        bursts: s
            .bursts
            .iter()
            .map(|&(first_ts, last_ts, contacts)| crate::report::Burst {
                first_ts,
                last_ts,
                contacts,
            })
            .collect(),
        probe_counts: s
            .probe_counts()
            .into_iter()
            .map(|(p, n)| crate::report::ProbeCount {
                probe: p.to_string(),
                contacts: n,
            })
            .collect(),
        answered: Some(s.answered),
        wireshark_filter: crate::window::Selection::host(*addr, s.first_ts, s.last_ts + 1)
            .wireshark_filter(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_a_flat_baseline_is_one_spike_single_bins_are_not() {
        let d = Detection::default();
        let mut x = vec![2.0; 100];
        for v in x.iter_mut().skip(50).take(10) {
            *v = 40.0;
        }
        x[80] = 25.0; // one moderately hot bin: noise
        let s = score(&x, &d);
        assert_eq!(segments(&s, &d), vec![(50, 59)]);
    }

    #[test]
    fn growth_that_persists_does_not_fade_into_its_own_baseline() {
        let d = Detection::default();
        let mut x = vec![1.0; 40];
        x.extend(vec![60.0; 60]);
        let s = score(&x, &d);
        assert_eq!(segments(&s, &d), vec![(40, 99)]);
    }
}
