//! Scanner verdicts: the engine's per-source evidence as reports, with
//! their kind (vertical, horizontal, mixed), direction and allowlisting.

use super::{Cidr, Detection};
use crate::engine::{Engine, SourceState};
use crate::report::{PortAttempts, ScanKind, ScanMethod, ScannerReport};
use std::net::IpAddr;

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
            let mut r = scanner(addr, s, v.ts, ScanMethod::Threshold, &home, &allow);
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

/// Each sweep's scanner (see [`crate::report::SpikeReport::scan`]): the
/// scanner that is the sweep's busiest source, where its activity runs on
/// past the sweep's window by more than the window's own length and it
/// tried more than twice the hosts the sweep holds (a scan's one burst, not
/// a host's ordinary traffic around its whole scan). Set when the report is
/// built and again once the evidence pass has counted its numbers.
pub fn bursts_of_scans(r: &mut crate::report::Report) {
    let scanners = &r.scanners;
    for s in r.spikes.iter_mut() {
        s.scan = None;
        if s.kind != crate::report::SpikeKind::Sweep {
            continue;
        }
        let Some(top) = s.top_sources.first() else {
            continue;
        };
        let Some((i, sc)) = scanners
            .iter()
            .enumerate()
            .find(|(_, sc)| sc.source == top.addr)
        else {
            continue;
        };
        let window = s.end_ts.saturating_sub(s.start_ts).max(1);
        let outside = s.start_ts.saturating_sub(sc.first_ts).max(0)
            + sc.last_ts.saturating_sub(s.end_ts).max(0);
        if outside > window && sc.targets > 2 * s.destinations {
            s.scan = u32::try_from(i).ok();
        }
    }
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

/// `vertical` (many ports of few hosts), `horizontal` (one port of many
/// hosts) or `mixed`, from the distinct targets and ports, the first
/// contacts and those of the busiest port and the busiest target.
pub(crate) fn scan_kind(
    targets: u64,
    ports: u64,
    contacts: u64,
    port_max: u64,
    target_max: u64,
) -> ScanKind {
    let n = contacts.max(1) as f64;
    let (port_share, target_share) = (port_max as f64 / n, target_max as f64 / n);
    if ports >= 5 && (targets <= 2 || target_share >= 0.8) {
        ScanKind::Vertical
    } else if targets >= 5 && (ports <= 2 || port_share >= 0.8) {
        ScanKind::Horizontal
    } else {
        ScanKind::Mixed
    }
}

fn scanner(
    addr: &IpAddr,
    s: &SourceState,
    detected_ts: i64,
    method: ScanMethod,
    home: &[Cidr],
    allow: &[Cidr],
) -> ScannerReport {
    let targets = s.targets.estimate();
    let ports = s.ports.estimate();
    let kind = scan_kind(
        targets,
        ports,
        s.first_contacts,
        s.top_ports.values().copied().max().unwrap_or(0),
        s.top_targets.values().copied().max().unwrap_or(0),
    );
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
        kind,
        probes: s.probe_kinds(),
        method,
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
                probe: p,
                contacts: n,
            })
            .collect(),
        answered: Some(s.answered),
        wireshark_filter: crate::window::Selection::host(*addr, s.first_ts, s.last_ts + 1)
            .wireshark_filter(),
        probe_filter: String::new(),
        open_ports: Vec::new(),
        tool: None,
        // Until the evidence pass counts them: distinct counts from sketches,
        // the first ports and targets a source tried.
        estimated: super::spikes::sketched(&[
            ("targets", targets, Some(crate::sketch::REL_ERROR)),
            ("ports", ports, Some(crate::sketch::REL_ERROR)),
            ("top_ports", u64::MAX, None),
            ("top_targets", u64::MAX, None),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Proto;
    use crate::fixture::{self, RSTACK, SYN};

    /// The engine after `source` tried each of `targets` on each of `ports`, refused.
    fn scanned(source: [u8; 4], targets: &[[u8; 4]], ports: &[u16]) -> Engine {
        let mut e = fixture::engine();
        let mut t = 0;
        for dst in targets {
            for &port in ports {
                e.packet(t, 60, &fixture::tcp(source, *dst, 50000, port, SYN), true);
                e.packet(
                    t + 10,
                    60,
                    &fixture::tcp(*dst, source, port, 50000, RSTACK),
                    true,
                );
                t += 1000;
            }
        }
        e
    }

    #[test]
    fn many_ports_of_one_host_is_a_vertical_scan() {
        let e = scanned([10, 9, 9, 9], &[[10, 0, 0, 1]], &[21, 22, 23, 25, 80, 443]);
        let r = scanners(&e, &Detection::default());
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].kind.as_str(), r[0].method.as_str()),
            ("vertical", "trw")
        );
        assert_eq!((r[0].targets, r[0].ports, r[0].attempts), (1, 6, 6));
        assert_eq!(r[0].top_ports[0].proto, Proto::Tcp);
        assert_eq!(r[0].direction, None, "no home networks set");
        assert!(!r[0].allowlisted);
        assert!(r[0].wireshark_filter.contains("10.9.9.9"));
    }

    #[test]
    fn one_port_on_many_hosts_is_horizontal_and_home_tells_the_direction() {
        let targets: Vec<[u8; 4]> = (1..=6).map(|i| [192, 168, 1, i]).collect();
        let e = scanned([10, 9, 9, 9], &targets, &[445]);
        let d = Detection {
            home: vec!["192.168.0.0/16".into()],
            allow: vec!["10.9.9.0/24".into()],
            ..Detection::default()
        };
        let r = scanners(&e, &d);
        assert_eq!(r[0].kind, "horizontal");
        assert_eq!(r[0].direction.as_deref(), Some("inbound"));
        assert!(r[0].allowlisted);
        assert_eq!(r[0].top_targets.len(), 6);
    }

    #[test]
    fn scanners_are_listed_by_score_then_contacts_then_address() {
        let mut v: Vec<ScannerReport> = Vec::new();
        let e = scanned([10, 9, 9, 9], &[[10, 0, 0, 1]], &[1, 2, 3, 4]);
        let base = scanners(&e, &Detection::default()).remove(0);
        for (source, score, attempts) in
            [("b", 1.0, 5), ("a", 1.0, 5), ("c", 1.0, 9), ("d", 3.0, 1)]
        {
            v.push(ScannerReport {
                source: source.into(),
                score,
                attempts,
                ..base.clone()
            });
        }
        sort_scanners(&mut v);
        let order: Vec<&str> = v.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(order, ["d", "c", "a", "b"]);
    }
}
