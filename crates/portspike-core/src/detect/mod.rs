//! Spike detection on per-port series, spike kinds, and scanner verdicts.
//!
//! Each port's series is scored here ([`score`], [`segments`]) and its hot
//! stretches named ([`kind`]) and judged ([`is_news`]); a port's findings
//! are assembled in `spikes`, scanner verdicts in `scanners`.

mod scanners;
mod spikes;

pub use scanners::{bursts_of_scans, sort_scanners};
pub(crate) use scanners::{scan_kind, scanners};
pub(crate) use spikes::{direction_of, port_spikes, sketched};

use crate::bins::Cell;
use crate::engine::PortState;
pub use crate::params::{Cidr, Detection};
use crate::report::{Metric, SpikeKind};

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

/// Score each bin against the median and MAD of the preceding non-hot bins
/// (the first, partial bin aside), with a Poisson floor (σ ≥ √max(median,
/// 1)) for sparse ports.
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
        // The capture's first bin is partial (the capture began inside
        // it): it never makes a baseline on its own, so a scan that runs
        // from the first packet is judged against nothing, not against
        // its own first moments.
        if !hot && i > 0 {
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
pub fn kind(w: &Cell, proto: crate::decode::Proto) -> SpikeKind {
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
    if !proto.has_ports() {
        // ICMP, another IP protocol, later fragments: no connections to
        // judge, so the shape alone: many senders at few receivers.
        return if s >= 20 && s >= 5 * d.max(1) {
            SpikeKind::Flood
        } else {
            SpikeKind::Surge
        };
    }
    // Sources are the service's clients, destinations its servers: many
    // servers answering one or a few clients is a reflection's shape, or
    // answering clients all in one prefix (carpet bombing).
    let carpet = w.victims.one_prefix(REFLECTORS_MIN as u32);
    let reflected = d >= REFLECTORS_MIN && s <= VICTIMS_MAX.max(d / 20);
    // UDP: nearly all of it sent from the service port, to clients far fewer
    // than the senders (a victim's own few lookups may share the window).
    let udp_reflected = proto == crate::decode::Proto::Udp
        && d >= REFLECTORS_MIN
        && (s * 5 <= d || carpet)
        && u64::from(w.replies) * 10 >= pk * 9;
    if synack > 0
        && u64::from(w.unsolicited) * 2 >= synack
        && syn * 5 <= synack + rst
        && (synack + rst) * 10 >= pk * 6
    {
        return if reflected {
            SpikeKind::Reflection
        } else {
            SpikeKind::Backscatter
        };
    }
    if udp_reflected {
        return SpikeKind::Reflection;
    }
    let failing = a > 0 && (f * 2 >= a || c * 5 < a);
    // Probes that open nothing (bare ACKs, FIN/ACKs: an ACK sweep): no
    // attempts, handshakes or SYN-ACKs, a packet or two to each address
    // besides the resets answering them.
    let probing = a == 0 && c == 0 && synack == 0 && pk.saturating_sub(rst) <= 3 * d;
    if d >= 20 && d >= 5 * s.max(1) && (failing || probing) {
        return SpikeKind::Sweep;
    }
    if s >= 20 && s >= 5 * d.max(1) && a > 0 && c * 2 < a {
        return SpikeKind::Flood;
    }
    SpikeKind::Surge
}

/// Victims within a prefix at least this long (a /22 or narrower: up to
/// 1,024 addresses) are one target, however many they are: carpet bombing
/// (found when three in four answers go to one /22; reported with the
/// narrowest prefix holding [`CARPET_SHARE`] of the packets).
pub const CARPET_PREFIX_MIN: u32 = 22;
/// The share of a finding's packets its `victim_prefix` holds at least.
pub const CARPET_SHARE: f64 = 0.95;
/// A reflection has at least this many reflectors…
pub const REFLECTORS_MIN: u64 = 20;
/// …and at most this many victims (or one for every 20 reflectors).
pub const VICTIMS_MAX: u64 = 4;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Proto;

    /// A window of `pk` packets, `replies` of them from the service port,
    /// `clients` receivers and `servers` senders.
    fn window(pk: u32, replies: u32, clients: u64, servers: u64) -> Cell {
        let mut w = Cell {
            packets: pk,
            other: pk,
            replies,
            ..Cell::default()
        };
        (0..clients).for_each(|c| w.sources.insert(crate::sketch::hash_u64(c)));
        (0..servers).for_each(|s| w.destinations.insert(crate::sketch::hash_u64(1 << 40 | s)));
        w
    }

    #[test]
    fn many_servers_answering_one_victim_unasked_is_a_reflection() {
        // 400 resolvers answer one victim (and a few lookups of its own).
        let w = window(18_000, 17_900, 3, 400);
        assert_eq!(kind(&w, Proto::Udp), SpikeKind::Reflection);
        // A resolver's own traffic asks as much as it is answered.
        assert_ne!(
            kind(&window(18_000, 9_000, 3, 400), Proto::Udp),
            SpikeKind::Reflection
        );
        // Answers spread over as many clients as servers are not one.
        assert_ne!(
            kind(&window(18_000, 17_900, 300, 400), Proto::Udp),
            SpikeKind::Reflection
        );
        // TCP needs its SYN-ACK signature, whatever the shares.
        assert_ne!(kind(&w, Proto::Tcp), SpikeKind::Reflection);
        // SYN-ACKs nobody asked for: from many to one is a reflection, from
        // few to many (a telescope's view) backscatter.
        let syn_acks = |clients, servers| {
            let mut w = window(1000, 1000, clients, servers);
            (w.other, w.synack, w.unsolicited) = (0, 1000, 1000);
            kind(&w, Proto::Tcp)
        };
        assert_eq!(syn_acks(1, 300), SpikeKind::Reflection);
        assert_eq!(syn_acks(700, 2), SpikeKind::Backscatter);
        assert_eq!(syn_acks(700, 3000), SpikeKind::Backscatter);
    }

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
