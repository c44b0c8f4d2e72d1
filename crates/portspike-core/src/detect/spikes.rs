//! A port's findings: its hot stretches that are news, grouped into
//! incidents (one finding with its episodes), and its rhythm (the
//! ordinary bursts) as a pattern.

use super::{
    is_news, kind, median, metric_of, score, segments, Detection, INCIDENT_GAP_BINS,
    INCIDENT_GAP_US, PATTERN_MIN_BURSTS,
};
use crate::bins::Cell;
use crate::decode::Proto;
use crate::engine::PortState;
use crate::filter::{epoch, row_predicate, Aim, Side};
use crate::params::Key;
use crate::report::{AddrCount, Episode, Estimate, Flags, Metric, Pattern, SpikeKind, SpikeReport};
use std::net::IpAddr;

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
    let bins = Bins { start_ts, width };
    let (news, rhythm) = stretches(&x, &s, cells, d, proto);
    // Below the threshold: the best bin's score, capped under it.
    let below =
        s.z.iter()
            .copied()
            .fold(0.0f64, f64::max)
            .min(d.threshold - 0.01)
            .max(0.0);
    let z_of = |i: usize| s.z.get(i).copied().unwrap_or(0.0);
    let best = news.iter().map(|st| z_of(st.peak)).fold(below, f64::max);
    let rhythm: Vec<(i64, f64)> = rhythm.into_iter().map(|(a, v)| (bins.ts(a), v)).collect();
    let port = Port {
        proto,
        port,
        st,
        predicate: predicate(key, proto, port),
        key,
        metric,
    };
    // Answers make no attempts: on a port judged on attempts, reflection
    // and backscatter are found on its answers' own series instead.
    let judged_on_attempts = metric == Metric::Attempts;
    let news: Vec<Stretch> = news
        .into_iter()
        .filter(|st| !(judged_on_attempts && answer_kind(st.kind)))
        .collect();
    let mut spikes: Vec<SpikeReport> = incidents(news, &bins)
        .iter()
        .filter_map(|inc| finding(&port, inc, &bins, &z_of))
        .collect();
    if judged_on_attempts {
        spikes.extend(answers_spikes(&port, cells, &bins, d, &spikes));
    }
    (
        spikes,
        (best * 100.0).round() / 100.0,
        pattern_of(&rhythm, metric),
    )
}

/// Bin `i`'s start time.
struct Bins {
    start_ts: i64,
    width: i64,
}

impl Bins {
    fn ts(&self, i: usize) -> i64 {
        self.start_ts + i as i64 * self.width
    }
}

/// The port a finding is on, as its report names it.
struct Port<'a> {
    proto: Proto,
    port: u16,
    st: &'a PortState,
    /// The Wireshark filter of its row (`tcp.port == 445`, `icmp.type#1 == 8`…).
    predicate: String,
    key: Key,
    metric: Metric,
}

fn predicate(key: Key, proto: Proto, port: u16) -> String {
    let side = match key {
        Key::Service => Side::Either,
        Key::DstPort => Side::Dst,
    };
    row_predicate(proto, port, side)
}

/// The hot stretches of a series that pass the persistence rule, split into
/// news (findings) and rhythm (each ordinary burst's first bin and size).
fn stretches(
    x: &[f64],
    s: &super::Scored,
    cells: &crate::bins::View<'_>,
    d: &Detection,
    proto: Proto,
) -> (Vec<Stretch>, Vec<(usize, f64)>) {
    // The largest bin before each one: the port's burst envelope so far.
    let mut earlier = Vec::with_capacity(x.len());
    let mut envelope = 0.0f64;
    for v in x {
        earlier.push(envelope);
        envelope = envelope.max(*v);
    }
    let mut news: Vec<Stretch> = Vec::new();
    let mut rhythm: Vec<(usize, f64)> = Vec::new();
    for (a, b) in segments(s, d) {
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
        st.kind = kind(&st.cell, proto);
        let peak = x.get(st.peak).copied().unwrap_or(0.0);
        if is_news(
            st.kind,
            &st.cell,
            peak,
            earlier.get(a).copied().unwrap_or(0.0),
            a,
        ) {
            news.push(st);
        } else {
            rhythm.push((a, st.observed));
        }
    }
    (news, rhythm)
}

/// A reflection's victims, from its window: its port's busiest clients
/// (those who received answers) holding a tenth of the window's packets
/// and a quarter of the busiest one's each, up to four, when together they
/// hold most of them; else the /22 most of its answers went to (carpet
/// bombing).
fn aim_of(w: &Cell, clients: Vec<(IpAddr, u64)>) -> Aim {
    let packets = u64::from(w.packets);
    let busiest = clients.iter().map(|c| c.1).max().unwrap_or(0);
    let mut v = [None; 4];
    let mut held = 0;
    let big = clients
        .into_iter()
        .filter(|(_, n)| *n * 10 >= packets && *n * 4 >= busiest);
    for (slot, (a, n)) in v.iter_mut().zip(big) {
        *slot = Some(a);
        held += n;
    }
    if v[0].is_some() && held * 10 >= packets * 8 {
        return Aim::Addrs(v);
    }
    if w.victims.one_prefix(super::REFLECTORS_MIN as u32) {
        let net = std::net::Ipv4Addr::from(w.victims.pfx << (32 - crate::bins::Vote::BITS));
        return Aim::Prefix(net, crate::bins::Vote::BITS as u8);
    }
    if v[0].is_some() {
        Aim::Addrs(v)
    } else {
        Aim::Any
    }
}

/// Kinds made of answers nobody asked for, which make no attempts.
fn answer_kind(k: SpikeKind) -> bool {
    matches!(k, SpikeKind::Reflection | SpikeKind::Backscatter)
}

/// A port busy with attempts is judged on them, where a reflection or
/// backscatter makes none (SYN-ACKs, answers): those are judged on their
/// own series (for TCP its SYN-ACKs answering no SYN seen, for UDP its
/// packets), and their stretches that no other finding covers are findings
/// of their own (on the packets metric).
fn answers_spikes(
    port: &Port<'_>,
    cells: &crate::bins::View<'_>,
    bins: &Bins,
    d: &Detection,
    found: &[SpikeReport],
) -> Vec<SpikeReport> {
    // Answers nobody asked for: unsolicited SYN-ACKs, or UDP sent from the
    // port. Too few of them over the whole capture, or in every bin, and
    // there is nothing to judge (most ports: no second scoring).
    let unasked = cells.column(|c| {
        f64::from(match port.proto {
            Proto::Tcp => c.unsolicited,
            _ => c.replies,
        })
    });
    let most = unasked.iter().copied().fold(0.0, f64::max);
    if unasked.iter().sum::<f64>() < d.min_events as f64 || most < d.min_excess {
        return Vec::new();
    }
    // TCP is judged on the unsolicited SYN-ACKs themselves.
    let x = if port.proto == Proto::Tcp {
        unasked
    } else {
        cells.column(|c| f64::from(Metric::Packets.of(c)))
    };
    let s = score(&x, d);
    let (news, _) = stretches(&x, &s, cells, d, port.proto);
    let news: Vec<Stretch> = news
        .into_iter()
        .filter(|st| answer_kind(st.kind))
        .filter(|st| {
            let (t0, t1) = (bins.ts(st.a), bins.ts(st.b + 1));
            !found.iter().any(|f| f.start_ts < t1 && t0 < f.end_ts)
        })
        .collect();
    let z_of = |i: usize| s.z.get(i).copied().unwrap_or(0.0);
    let by_packets = Port {
        predicate: port.predicate.clone(),
        metric: Metric::Packets,
        ..*port
    };
    incidents(news, bins)
        .iter()
        .filter_map(|inc| finding(&by_packets, inc, bins, &z_of))
        .collect()
}

/// One finding per incident: episodes of one kind closer than
/// [`INCIDENT_GAP_US`] (or [`INCIDENT_GAP_BINS`] bins) are one.
fn incidents(news: Vec<Stretch>, bins: &Bins) -> Vec<Vec<Stretch>> {
    let gap = INCIDENT_GAP_US.max(INCIDENT_GAP_BINS * bins.width);
    let mut incidents: Vec<Vec<Stretch>> = Vec::new();
    for st in news {
        let joined = incidents.iter_mut().rev().find(|inc| {
            inc.first().is_some_and(|f| f.kind == st.kind)
                && inc
                    .last()
                    .is_some_and(|l| bins.ts(st.a) - bins.ts(l.b + 1) < gap)
        });
        match joined {
            Some(inc) => inc.push(st),
            None => incidents.push(vec![st]),
        }
    }
    incidents
}

/// The report of one incident: its window spans its episodes (listed when
/// there are several), its evidence is theirs summed.
fn finding(
    port: &Port<'_>,
    inc: &[Stretch],
    bins: &Bins,
    z_of: &dyn Fn(usize) -> f64,
) -> Option<SpikeReport> {
    let (first, last) = (inc.first()?, inc.last()?);
    let (t0, t1) = (bins.ts(first.a), bins.ts(last.b + 1));
    let mut w = Cell::default();
    let (mut observed, mut base) = (0.0, 0.0);
    let mut peak = first.peak;
    for e in inc {
        w.add(&e.cell);
        observed += e.observed;
        base += e.baseline;
        if z_of(e.peak) > z_of(peak) {
            peak = e.peak;
        }
    }
    let top = |v: Vec<(IpAddr, u64)>| -> Vec<AddrCount> {
        v.into_iter()
            .map(|(addr, packets)| AddrCount {
                addr: addr.to_string(),
                packets,
                bytes: None,
                wireshark_filter: String::new(),
            })
            .collect()
    };
    let detail = port.st.detail.as_ref();
    let aim = if first.kind == SpikeKind::Reflection && port.key == Key::Service {
        aim_of(
            &w,
            detail
                .map(|d| d.top_sources.within(t0, t1, 8))
                .unwrap_or_default(),
        )
    } else {
        Aim::Any
    };
    let aimed = aim
        .predicate()
        .map(|a| format!(" && {a}"))
        .unwrap_or_default();
    Some(SpikeReport {
        proto: port.proto,
        port: port.port,
        kind: first.kind,
        new_port: first.new_port,
        metric: port.metric,
        start_ts: t0,
        end_ts: t1,
        peak_ts: bins.ts(peak),
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
        top_sources: top(detail
            .map(|d| d.top_sources.within(t0, t1, 5))
            .unwrap_or_default()),
        top_destinations: top(detail
            .map(|d| d.top_destinations.within(t0, t1, 5))
            .unwrap_or_default()),
        wireshark_filter: format!(
            "{}{aimed} && frame.time_epoch >= {} && frame.time_epoch < {}",
            port.predicate,
            epoch(t0),
            epoch(t1)
        ),
        packets: u64::from(w.packets),
        attempts: u64::from(w.attempts),
        failures: u64::from(w.failures),
        completed: u64::from(w.completed),
        episodes: episodes(inc, bins, z_of),
        bytes: None,
        direction: Some(direction_of(first.kind, port.key).into()),
        answers: None,
        rates: None,
        aimed_at: aim.text(),
        // Counted by the evidence pass.
        victim_prefix: None,
        incident: None,
        byte_share: None,
        // Until the evidence pass counts them: distinct counts from the
        // window's sketches, talkers from the port's heavy hitters.
        estimated: first_pass_estimates(&w),
        bin_width_us: None,
        scan: None,
    })
}

/// An incident's episodes, listed when there are several.
fn episodes(inc: &[Stretch], bins: &Bins, z_of: &dyn Fn(usize) -> f64) -> Vec<Episode> {
    if inc.len() < 2 {
        return Vec::new();
    }
    inc.iter()
        .map(|e| Episode {
            start_ts: bins.ts(e.a),
            end_ts: bins.ts(e.b + 1),
            peak_ts: bins.ts(e.peak),
            observed: e.observed,
            score: (z_of(e.peak) * 100.0).round() / 100.0,
        })
        .collect()
}

/// What the first pass estimates: distinct counts from the window's
/// sketches, talkers from the port's heavy hitters.
fn first_pass_estimates(w: &Cell) -> Vec<Estimate> {
    sketched(&[
        (
            "sources",
            w.sources.estimate(),
            Some(crate::sketch::REL_ERROR),
        ),
        (
            "destinations",
            w.destinations.estimate(),
            Some(crate::sketch::REL_ERROR),
        ),
        ("top_sources", u64::MAX, None),
        ("top_destinations", u64::MAX, None),
    ])
}

/// Which way a finding's talkers count: from the port for the kinds about
/// what it sends ([`SpikeKind::from_port`]) when ports are keyed by service
/// (a destination-port key counts every packet to its port), else to it.
pub(crate) fn direction_of(kind: SpikeKind, key: Key) -> &'static str {
    if key == Key::Service && kind.from_port() {
        "from_port"
    } else {
        "to_port"
    }
}

/// Fields marked as estimates: those of `(field, value, bound)` whose value
/// is past what a sketch counts exactly.
pub(crate) fn sketched(fields: &[(&str, u64, Option<f64>)]) -> Vec<crate::report::Estimate> {
    fields
        .iter()
        .filter(|(_, v, _)| *v > crate::sketch::EXACT as u64)
        .map(|(f, _, e)| crate::report::Estimate {
            field: (*f).to_string(),
            rel_error: *e,
        })
        .collect()
}

/// A port's rhythm: its ordinary bursts (start, size), when there are at
/// least [`PATTERN_MIN_BURSTS`].
fn pattern_of(rhythm: &[(i64, f64)], metric: Metric) -> Option<Pattern> {
    (rhythm.len() >= PATTERN_MIN_BURSTS).then(|| {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stretch(a: usize, b: usize, kind: SpikeKind) -> Stretch {
        Stretch {
            a,
            b,
            peak: a,
            kind,
            cell: Cell::default(),
            observed: 1.0,
            baseline: 0.0,
            new_port: false,
        }
    }

    const MINUTE: i64 = 60_000_000;

    #[test]
    fn episodes_of_one_kind_within_the_gap_are_one_incident() {
        let bins = Bins {
            start_ts: 0,
            width: MINUTE,
        };
        let news = vec![
            stretch(0, 1, SpikeKind::Flood),
            // Starts 8 minutes after the first ended: same incident.
            stretch(10, 10, SpikeKind::Flood),
            // Another kind in between is its own.
            stretch(11, 11, SpikeKind::Sweep),
            // 10 minutes after the last flood episode ended: a new incident.
            stretch(21, 22, SpikeKind::Flood),
        ];
        let inc = incidents(news, &bins);
        let shape: Vec<Vec<usize>> = inc
            .iter()
            .map(|i| i.iter().map(|e| e.a).collect())
            .collect();
        assert_eq!(shape, [vec![0, 10], vec![11], vec![21]]);
    }

    #[test]
    fn an_incident_spans_its_episodes_and_lists_them() {
        let bins = Bins {
            start_ts: 1_000,
            width: MINUTE,
        };
        let st = PortState::new();
        let port = Port {
            proto: Proto::Udp,
            port: 53,
            st: &st,
            predicate: predicate(Key::DstPort, Proto::Udp, 53),
            key: Key::DstPort,
            metric: Metric::Packets,
        };
        let mut a = stretch(2, 3, SpikeKind::Flood);
        a.cell.packets = 40;
        let mut b = stretch(6, 6, SpikeKind::Flood);
        b.peak = 6;
        b.cell.packets = 60;
        let z = |i: usize| if i == 6 { 12.345 } else { 7.0 };
        let f = finding(&port, &[a, b], &bins, &z).unwrap();
        assert_eq!(
            (f.start_ts, f.end_ts),
            (1_000 + 2 * MINUTE, 1_000 + 7 * MINUTE)
        );
        assert_eq!((f.peak_ts, f.score), (1_000 + 6 * MINUTE, 12.35));
        assert_eq!((f.packets, f.observed), (100, 2.0));
        assert_eq!(f.episodes.len(), 2);
        assert_eq!(f.episodes[0].end_ts, 1_000 + 4 * MINUTE);
        assert!(f
            .wireshark_filter
            .starts_with("udp.dstport == 53 && frame.time_epoch >= 120.001000 "));
        // A single episode is not listed.
        let one = finding(&port, &[stretch(2, 2, SpikeKind::Flood)], &bins, &z).unwrap();
        assert!(one.episodes.is_empty());
    }

    #[test]
    fn three_ordinary_bursts_make_a_pattern() {
        assert_eq!(pattern_of(&[(0, 5.0), (100, 7.0)], Metric::Attempts), None);
        let p = pattern_of(&[(0, 5.0), (100, 9.0), (300, 7.0)], Metric::Attempts).unwrap();
        assert_eq!((p.bursts, p.period_us), (3, 150));
        assert_eq!((p.typical, p.largest), (7.0, 9.0));
        assert_eq!((p.first_ts, p.last_ts), (0, 300));
    }

    #[test]
    fn a_regular_rhythm_is_a_pattern_not_a_finding() {
        use crate::bins::Series;
        // A quiet port with the same burst every ten bins, from its start.
        let mut series = Series::default();
        for i in 0..200i64 {
            let c = series.cell(i).unwrap();
            c.packets = if i % 10 == 5 { 60 } else { 1 };
        }
        let mut st = PortState::new();
        st.totals.packets = 10_000;
        let view = series.view(0, 200);
        let (spikes, best, pattern) = port_spikes(
            Proto::Tcp,
            873,
            &st,
            &view,
            0,
            1_000_000,
            Key::Service,
            &Detection::default(),
        );
        assert!(spikes.is_empty(), "{spikes:?}");
        assert!(best < Detection::default().threshold);
        let p = pattern.unwrap();
        assert_eq!(p.metric, Metric::Packets);
        assert_eq!(p.period_us, 10_000_000);
    }
}
