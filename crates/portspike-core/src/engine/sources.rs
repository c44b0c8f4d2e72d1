//! Per-source scan evidence: first contacts (a new destination and port),
//! their bursts and probe types, and the two verdicts: TRW on their
//! outcomes, Zeek-style thresholds on their spread.

use super::attempts::{FlowKey, Probe};
use super::limits::MAX_CONTACTS_PER_SOURCE;
use super::Engine;
use crate::decode::Proto;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::report::ScanMethod;
use crate::sketch::{hash_addr, hash_u64, Distinct};
use std::net::IpAddr;

/// First contacts of a source this far apart start a new burst of activity.
pub const BURST_GAP_US: i64 = 60_000_000;
/// Bursts kept per source: the first ones and, past them, the latest.
pub const MAX_BURSTS: usize = 16;
/// Ports and targets counted per source (the first ones seen).
pub const TOP_PER_SOURCE: usize = 16;
/// Zeek-style thresholds on failed attempts within a window.
pub const ZEEK_WINDOW_US: i64 = 300_000_000;
pub const ZEEK_HOSTS: usize = 25;
pub const ZEEK_PORTS: usize = 15;
/// Failed (target, port) pairs a source's Zeek window tracks before it starts over.
pub const ZEEK_MAX_PAIRS: usize = 128;

/// TRW (Jung et al. 2004) parameters.
pub const THETA0: f64 = 0.8;
pub const THETA1: f64 = 0.2;
pub const P_D: f64 = 0.99;
pub const P_F: f64 = 0.01;

/// Per-source scan evidence.
#[derive(Debug, Default)]
pub(crate) struct SourceState {
    pub(super) contacts: HashSet<u64>,
    pub targets: Distinct,
    pub ports: Distinct,
    pub first_contacts: u64,
    pub failures: u64,
    /// TRW likelihood ratio.
    pub lambda: f64,
    pub convicted: Option<(i64, ScanMethod)>,
    /// First contacts made when convicted.
    pub contacts_at_conviction: u64,
    /// Score at conviction: log10 of the likelihood ratio, or the threshold count.
    pub score: f64,
    /// The spread verdict on its own (Zeek-style thresholds), whatever TRW
    /// said: when, with how many first contacts, and the count reached. It is
    /// the only verdict a capture without answers gives (see [`Engine::one_way`]).
    pub threshold: Option<Spread>,
    pub first_ts: i64,
    pub last_ts: i64,
    pub probes: HashMap<Probe, u64>,
    pub top_ports: HashMap<(Proto, u16), u64>,
    pub top_targets: HashMap<IpAddr, u64>,
    pub(super) zeek_start: i64,
    /// Failed (target, port) pairs in the current window, and how many
    /// distinct hosts per port and ports per host they make.
    pub(super) zeek_pairs: HashSet<u64>,
    pub(super) zeek_hosts: HashMap<(Proto, u16), u16>,
    pub(super) zeek_ports: HashMap<u64, u16>,
    /// Contacts to targets that answered a SYN with SYN-ACK, then this source sent RST.
    pub(super) half_open: u64,
    /// First contacts answered.
    pub answered: u64,
    /// Bursts of first contacts: (first, last, contacts).
    pub bursts: Vec<(i64, i64, u64)>,
    pub(super) completed: u64,
}

/// A source's spread verdict: distinct hosts on one port or ports on one
/// host within [`ZEEK_WINDOW_US`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    pub ts: i64,
    pub contacts: u64,
    pub hosts: usize,
    pub ports: usize,
}

impl Engine {
    /// Record a contact of `k.src` with (`k.dst`, port); true if it is the first.
    pub(super) fn contact(&mut self, k: FlowKey, ts: i64, probe: Probe) -> bool {
        // Multicast and broadcast get no unicast answer: not a contact to judge.
        if crate::flows::is_group(k.dst) {
            return false;
        }
        if !self.sources.contains_key(&k.src) && self.sources.len() >= self.limits.sources {
            // Sources with a verdict are kept: when they fill the table,
            // shedding frees nothing, and is tried again only after a
            // quarter of the table's worth of new sources went untracked.
            if self.shed_backoff == 0 {
                self.shed_sources();
                if self.sources.len() > self.limits.sources * 3 / 4 {
                    self.shed_backoff = self.limits.sources / 4;
                }
            } else {
                self.shed_backoff -= 1;
            }
            if self.sources.len() >= self.limits.sources {
                self.stats.untracked_sources += 1;
                return false;
            }
        }
        let pool = &mut self.source_pool;
        let s = self
            .sources
            .entry(k.src)
            .or_insert_with(|| SourceState::fresh(pool.pop(), ts));
        // Files of a rotated set may come in any order: the span is the
        // earliest and the latest contact, whatever the order they were read.
        s.first_ts = s.first_ts.min(ts);
        s.last_ts = s.last_ts.max(ts);
        let h = hash_addr(&k.dst) ^ (u64::from(k.dport) << 1 | u64::from(k.proto == Proto::Udp));
        if s.contacts.contains(&h) {
            return false;
        }
        if s.contacts.len() < MAX_CONTACTS_PER_SOURCE && self.contacts < self.limits.contacts {
            s.contacts.insert(h);
            self.contacts += 1;
        } else {
            self.stats.unremembered_contacts += 1;
        }
        s.first_contacts += 1;
        s.burst(ts);
        s.targets.insert(hash_addr(&k.dst));
        s.ports.insert(hash_u64(
            u64::from(k.dport) | (u64::from(k.proto == Proto::Udp) << 16),
        ));
        *s.probes.entry(probe).or_insert(0) += 1;
        bump(&mut s.top_ports, (k.proto, k.dport));
        bump(&mut s.top_targets, k.dst);
        self.stats.first_contacts += 1;
        true
    }

    /// Make room among the tracked sources: forget those with a single
    /// contact and no verdict (a spoofed flood's sources), then, if still
    /// more than half full, the least recently active unconvicted ones down
    /// to half the table.
    pub(super) fn shed_sources(&mut self) {
        let before = self.sources.len();
        let half = self.limits.sources / 2;
        let pool = &mut self.source_pool;
        self.sources.retain(|_, s| {
            let keep = s.convicted.is_some() || s.first_contacts > 1;
            if !keep && pool.len() < half {
                pool.push(std::mem::take(s));
            }
            keep
        });
        if self.sources.len() > half {
            let mut last = std::mem::take(&mut self.shed_scratch);
            last.clear();
            last.extend(
                self.sources
                    .values()
                    .filter(|s| s.convicted.is_none())
                    .map(|s| s.last_ts),
            );
            // Keep the most recent, down to half the table (so shedding is rare).
            let keep = half.saturating_sub(self.sources.len() - last.len());
            let at = last.len().saturating_sub(keep);
            let cut = if at < last.len() {
                *last.select_nth_unstable(at).1
            } else {
                i64::MIN
            };
            self.shed_scratch = last;
            self.sources
                .retain(|_, s| s.convicted.is_some() || s.last_ts > cut);
        }
        self.stats.evicted_sources += (before - self.sources.len()) as u64;
        self.contacts = self.sources.values().map(|s| s.contacts.len()).sum();
    }

    pub(super) fn trw(&mut self, src: IpAddr, success: bool, ts: i64) {
        let Some(s) = self.sources.get_mut(&src) else {
            return;
        };
        if success {
            s.answered += 1;
        }
        let eta1 = P_D / P_F;
        let eta0 = (1.0 - P_D) / (1.0 - P_F);
        if success {
            s.lambda *= THETA1 / THETA0;
        } else {
            s.lambda *= (1.0 - THETA1) / (1.0 - THETA0);
        }
        if s.convicted.is_none() && s.lambda >= eta1 {
            s.convicted = Some((ts, ScanMethod::Trw));
            s.contacts_at_conviction = s.first_contacts;
            s.score = s.lambda.log10();
        } else if s.lambda <= eta0 {
            // Benign so far: restart the walk so later scanning is still caught.
            s.lambda = 1.0;
        }
    }

    pub(super) fn zeek(&mut self, k: FlowKey, ts: i64) {
        let Some(s) = self.sources.get_mut(&k.src) else {
            return;
        };
        if s.threshold.is_some() {
            // The verdict is kept; the windows have nothing more to say.
            return;
        }
        if ts - s.zeek_start > ZEEK_WINDOW_US || s.zeek_pairs.len() >= ZEEK_MAX_PAIRS {
            s.zeek_pairs.clear();
            s.zeek_hosts.clear();
            s.zeek_ports.clear();
            s.zeek_start = ts;
        }
        let hd = hash_addr(&k.dst);
        let port = (k.proto, k.dport);
        let pair = hd ^ hash_u64(u64::from(k.dport) | (u64::from(k.proto == Proto::Udp) << 16));
        let (n_hosts, n_ports) = if s.zeek_pairs.insert(pair) {
            let h = s.zeek_hosts.entry(port).or_insert(0);
            *h += 1;
            let n_hosts = usize::from(*h);
            let p = s.zeek_ports.entry(hd).or_insert(0);
            *p += 1;
            (n_hosts, usize::from(*p))
        } else {
            (0, 0)
        };
        if n_hosts >= ZEEK_HOSTS || n_ports >= ZEEK_PORTS {
            s.threshold = Some(Spread {
                ts,
                contacts: s.first_contacts,
                hosts: n_hosts,
                ports: n_ports,
            });
            if s.convicted.is_none() {
                s.convicted = Some((ts, ScanMethod::Threshold));
                s.contacts_at_conviction = s.first_contacts;
                s.score = n_hosts.max(n_ports) as f64;
            }
        }
    }
}

impl SourceState {
    /// The state of a new source first seen at `ts`, reusing the tables of
    /// `old` (a shed source with a single contact: each table holds at most
    /// one entry, in the room a new table takes for its first, so the tables
    /// behave exactly as new ones, iteration order included).
    pub(super) fn fresh(old: Option<SourceState>, ts: i64) -> SourceState {
        let new = SourceState {
            lambda: 1.0,
            first_ts: ts,
            last_ts: ts,
            zeek_start: ts,
            ..SourceState::default()
        };
        let Some(old) = old else {
            return new;
        };
        let SourceState {
            mut contacts,
            mut probes,
            mut top_ports,
            mut top_targets,
            mut zeek_pairs,
            mut zeek_hosts,
            mut zeek_ports,
            mut bursts,
            targets,
            ports,
            ..
        } = old;
        contacts.clear();
        probes.clear();
        top_ports.clear();
        top_targets.clear();
        zeek_pairs.clear();
        zeek_hosts.clear();
        zeek_ports.clear();
        bursts.clear();
        SourceState {
            contacts,
            probes,
            top_ports,
            top_targets,
            zeek_pairs,
            zeek_hosts,
            zeek_ports,
            bursts,
            targets: targets.emptied(),
            ports: ports.emptied(),
            ..new
        }
    }

    /// A first contact at `ts`: it extends the burst it falls in (or next
    /// to), or starts one; past [`MAX_BURSTS`] the two closest of the later
    /// bursts merge, so the first and the latest stay as they were.
    pub(super) fn burst(&mut self, ts: i64) {
        let b = &mut self.bursts;
        if let Some(x) = b
            .iter_mut()
            .find(|x| ts >= x.0 - BURST_GAP_US && ts <= x.1 + BURST_GAP_US)
        {
            x.0 = x.0.min(ts);
            x.1 = x.1.max(ts);
            x.2 += 1;
            return;
        }
        let at = b.iter().position(|x| x.0 > ts).unwrap_or(b.len());
        b.insert(at, (ts, ts, 1));
        if b.len() > MAX_BURSTS {
            // Merge the pair with the smallest gap (not touching the first burst).
            let i = (1..b.len() - 1)
                .min_by_key(|&i| {
                    b.get(i + 1).map_or(i64::MAX, |n| n.0) - b.get(i).map_or(0, |x| x.1)
                })
                .unwrap_or(1);
            if let Some(next) = b.get(i + 1).copied() {
                if let Some(x) = b.get_mut(i) {
                    x.1 = x.1.max(next.1);
                    x.2 += next.2;
                }
                b.remove(i + 1);
            }
        }
    }

    /// First contacts by probe type, most first.
    pub fn probe_counts(&self) -> Vec<(Probe, u64)> {
        let mut v: Vec<(Probe, u64)> = self.probes.iter().map(|(p, n)| (*p, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        v
    }

    /// The probe types of this source: those making up at least 5% of its
    /// first contacts, SYN reported as connect when it never left a handshake half-open.
    pub fn probe_kinds(&self) -> Vec<Probe> {
        let s = self;
        // Probes making up at least 5% of the source's first contacts.
        let mut v: Vec<Probe> = s
            .probes
            .iter()
            .filter(|(_, n)| **n * 20 >= s.first_contacts)
            .map(|(p, _)| *p)
            .collect();
        // Resetting right after a SYN-ACK is the half-open (SYN) scan's
        // signature; a scanner that never does and completes handshakes connects.
        if v.contains(&Probe::Syn) && s.half_open < 2 && s.completed > 0 {
            v.retain(|p| *p != Probe::Syn);
            v.push(Probe::Connect);
        }
        v.sort();
        v.dedup();
        v
    }
}

fn bump<K: std::hash::Hash + Eq>(m: &mut HashMap<K, u64>, k: K) {
    if let Some(v) = m.get_mut(&k) {
        *v += 1;
    } else if m.len() < TOP_PER_SOURCE {
        m.insert(k, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags;
    use crate::engine::{Limits, ANSWER_US};
    use crate::fixture::{self, ip, RSTACK, SYN, SYNACK, US};
    use crate::params::Key;

    const SCANNER: [u8; 4] = [10, 9, 9, 9];

    /// `n` SYNs from the scanner to hosts 10.0.1.x on `port`, each answered
    /// with `answer` flags.
    fn contacts(e: &mut Engine, n: u8, port: u16, answer: u8) {
        for i in 0..n {
            let t = i64::from(i) * 1000;
            let target = [10, 0, 1, i];
            e.packet(
                t,
                60,
                &fixture::tcp(SCANNER, target, 50000, port, SYN),
                true,
            );
            e.packet(
                t + 10,
                60,
                &fixture::tcp(target, SCANNER, port, 50000, answer),
                true,
            );
        }
    }

    #[test]
    fn four_straight_failures_convict_by_trw() {
        let mut e = fixture::engine();
        contacts(&mut e, 3, 445, RSTACK);
        assert_eq!(e.sources[&ip(SCANNER)].convicted, None);
        contacts(&mut e, 4, 445, RSTACK);
        let s = &e.sources[&ip(SCANNER)];
        assert_eq!(s.convicted.map(|c| c.1), Some(ScanMethod::Trw));
        assert_eq!(s.contacts_at_conviction, 4);
        assert_eq!(
            (s.first_contacts, s.failures),
            (4, 4),
            "the same hosts again are no news"
        );
        assert!((s.score - 256f64.log10()).abs() < 1e-9);
    }

    #[test]
    fn answered_contacts_are_benign_and_restart_the_walk() {
        let mut e = fixture::engine();
        contacts(&mut e, 20, 80, SYNACK);
        let s = &e.sources[&ip(SCANNER)];
        assert_eq!(s.convicted, None);
        assert_eq!(s.answered, 20);
        assert!(s.lambda >= THETA1 / THETA0 * 0.99, "{}", s.lambda);
    }

    #[test]
    fn spread_alone_convicts_at_the_zeek_threshold() {
        let mut e = fixture::engine();
        // Unanswered datagrams never move TRW; they count towards spread.
        for port in 0..ZEEK_PORTS as u16 {
            let p = fixture::udp(SCANNER, [10, 0, 1, 1], 50000, 2000 + port);
            e.packet(i64::from(port), 60, &p, true);
        }
        e.packet(
            5 * US,
            60,
            &fixture::udp([10, 0, 0, 3], [10, 0, 0, 4], 1, 2),
            true,
        );
        let s = &e.sources[&ip(SCANNER)];
        let v = s.threshold.unwrap();
        assert_eq!(
            (v.ports, v.hosts, v.contacts),
            (ZEEK_PORTS, 1, ZEEK_PORTS as u64)
        );
        assert_eq!(s.convicted.map(|c| c.1), Some(ScanMethod::Threshold));
        assert!(!e.one_way(), "fewer than 20 first contacts");
    }

    #[test]
    fn group_destinations_are_no_contacts() {
        let mut e = fixture::engine();
        e.packet(
            0,
            60,
            &fixture::udp([10, 0, 0, 2], [224, 0, 0, 251], 5353, 5353),
            true,
        );
        e.packet(
            0,
            60,
            &fixture::udp([10, 0, 0, 2], [10, 0, 0, 255], 137, 137),
            true,
        );
        assert!(e.sources.is_empty());
        assert_eq!(e.stats.first_contacts, 0);
    }

    #[test]
    fn contacts_close_in_time_are_one_burst() {
        let mut s = SourceState::default();
        for t in [0, 30, 200, 90] {
            s.burst(t * US);
        }
        assert_eq!(s.bursts, [(0, 90 * US, 3), (200 * US, 200 * US, 1)]);
    }

    #[test]
    fn past_the_bound_the_closest_later_bursts_merge() {
        let mut s = SourceState::default();
        // Gaps grow, so the closest pair is always the second and third.
        let mut t = 0;
        for i in 0..(MAX_BURSTS as i64 + 4) {
            s.burst(t);
            t += BURST_GAP_US * (2 + i);
        }
        assert_eq!(s.bursts.len(), MAX_BURSTS);
        assert_eq!(s.bursts[0], (0, 0, 1), "the first burst is kept as it was");
        assert_eq!(
            s.bursts.iter().map(|b| b.2).sum::<u64>(),
            MAX_BURSTS as u64 + 4
        );
        assert_eq!(s.bursts.last().unwrap().2, 1, "so is the latest");
    }

    #[test]
    fn probe_kinds_name_the_common_probes_and_connect_scans() {
        let mut s = SourceState {
            first_contacts: 31,
            ..SourceState::default()
        };
        s.probes.insert(Probe::Syn, 30);
        s.probes.insert(Probe::Fin, 1);
        assert_eq!(s.probe_kinds(), [Probe::Syn], "under 5% is noise");
        assert_eq!(s.probe_counts(), [(Probe::Syn, 30), (Probe::Fin, 1)]);
        s.completed = 1;
        assert_eq!(s.probe_kinds(), [Probe::Connect]);
        s.half_open = 2;
        assert_eq!(s.probe_kinds(), [Probe::Syn]);
    }

    #[test]
    fn only_the_first_ports_and_targets_are_counted() {
        let mut m: HashMap<u16, u64> = HashMap::default();
        for k in 0..(TOP_PER_SOURCE as u16 + 5) {
            bump(&mut m, k);
        }
        bump(&mut m, 0);
        bump(&mut m, 999);
        assert_eq!(m.len(), TOP_PER_SOURCE);
        assert_eq!(m[&0], 2);
        assert!(!m.contains_key(&999));
    }

    /// What a source's state shows: its probes in their order, its top
    /// ports and targets in table order, bursts, spread and counts.
    fn seen(s: &SourceState) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {} {}",
            s.probe_counts(),
            s.probe_kinds(),
            s.top_ports.iter().collect::<Vec<_>>(),
            s.top_targets.iter().collect::<Vec<_>>(),
            s.bursts,
            s.targets,
            s.ports,
            s.contacts.len(),
            s.first_contacts,
            s.failures,
            s.zeek_pairs.len(),
        )
    }

    /// A scanner's mixed probes: SYN, FIN, NULL and UDP to several hosts and ports.
    fn probes(e: &mut Engine, t0: i64) {
        let flags = [SYN, tcp_flags::FIN, 0, SYN, SYN];
        for (i, f) in flags.iter().enumerate() {
            let n = i as u8;
            let t = t0 + i64::from(n) * 1000;
            e.packet(
                t,
                60,
                &fixture::tcp(SCANNER, [10, 0, 2, n], 50000, 20 + u16::from(n), *f),
                true,
            );
        }
        e.packet(
            t0 + 9000,
            60,
            &fixture::udp(SCANNER, [10, 0, 2, 9], 50001, 161),
            true,
        );
        e.packet(
            t0 + 4 * ANSWER_US,
            60,
            &fixture::udp([10, 0, 0, 1], [10, 0, 0, 2], 1, 2),
            true,
        );
    }

    #[test]
    fn a_new_source_on_reused_tables_is_counted_as_on_new_ones() {
        let small = Limits {
            sources: 8,
            ..Limits::FULL
        };
        // A spoofed flood: one contact per source, one source more than
        // the table holds, so the single-contact sources are shed and their
        // tables kept for reuse.
        let mut reused = Engine::new(Key::Service, Some(US as u64), small);
        for i in 0..9u8 {
            let p = fixture::udp([172, 16, 0, i], [10, 0, 0, 1], 40000, 53);
            reused.packet(i64::from(i), 60, &p, true);
        }
        assert_eq!(reused.stats.evicted_sources, 8);
        assert!(!reused.source_pool.is_empty());
        let mut fresh = Engine::new(Key::Service, Some(US as u64), small);
        probes(&mut reused, 100);
        probes(&mut fresh, 100);
        let (a, b) = (&reused.sources[&ip(SCANNER)], &fresh.sources[&ip(SCANNER)]);
        assert_eq!(seen(a), seen(b));
        assert_eq!(a.probe_kinds().len(), 4, "{:?}", a.probe_kinds());
    }
}
