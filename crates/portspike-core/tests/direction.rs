//! Direction: answers belong to the conversation they answer. A scanned
//! host's resets are counted on the port that was probed (never on the
//! scanner's own source port, as a "new port" with the victims as its
//! sources); a host answering a peer's conversations is never convicted on
//! those answers; a connect scan is labelled `connect`.

// Test code: a panic is a failed test.

use portspike_core::report::Report;
use portspike_core::{analyze_bytes, Params};
use portspike_gen::synth::{self, Rng, Trace, ACK, PSHACK, RST, RSTACK, SYN, SYNACK};

const S: i64 = 1_000_000_000;
const T0: i64 = 1_772_442_000 * S;

fn report(tr: Trace) -> Report {
    analyze_bytes(&tr.into_pcap(128), Params::default())
}

fn addr(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

/// Office traffic for ten minutes, so a baseline exists.
fn office(rng: &mut Rng) -> Trace {
    let mut tr = Trace::new();
    synth::background(&mut tr, rng, T0, T0 + 600 * S);
    tr
}

#[test]
fn a_scanned_hosts_resets_count_on_the_probed_ports_not_the_scanners_source_port() {
    // nmap's raw SYN scan keeps one source port (36020); three hosts answer
    // 400 closed high ports each with RST/ACK. By the service-port rule
    // alone (neither side listed: the lower port) those answers landed on
    // tcp/36020, a surge with the victims as its sources.
    let mut rng = Rng::new(7);
    let mut tr = office(&mut rng);
    let scanner = [10, 9, 9, 9];
    let mut t = T0 + 300 * S;
    for v in 1..=3u8 {
        let victim = [10, 1, 2, v];
        for port in 40_000..40_400u16 {
            t += rng.exp_ns(200.0);
            tr.tcp(t, scanner, victim, 36020, port, SYN, 0);
            tr.tcp(t + 300_000, victim, scanner, port, 36020, RSTACK, 0);
        }
    }
    let r = report(tr);
    assert!(
        !r.ports.iter().any(|p| p.proto == "tcp" && p.port == 36020),
        "the scanner's source port is no port of the capture's"
    );
    let victims: Vec<String> = (1..=3u8).map(|v| addr([10, 1, 2, v])).collect();
    for s in &r.spikes {
        assert!(
            !s.top_sources.iter().any(|a| victims.contains(&a.addr)),
            "a finding with the victims as sources: {}/{} {}",
            s.proto,
            s.port,
            s.kind
        );
    }
    // Each probed port holds its probe and its answer.
    let p = r.ports.iter().find(|p| p.port == 40_123).unwrap();
    assert_eq!(
        (p.totals.packets, p.totals.attempts, p.totals.failures),
        (6, 3, 3)
    );
    let sc: Vec<&str> = r.scanners.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(sc, [addr(scanner)], "only the scanner is one");
    assert_eq!(r.scanners[0].probes, ["syn"]);
}

#[test]
fn a_host_answering_a_peers_conversations_is_never_convicted() {
    // A peer opens conversations to a host's high service port (an RPC
    // endpoint, 49155): the host's bare ACKs in them go to the peer's
    // ports, and the peer, which has dropped them, resets each. Nor are
    // the host's name-service replies to the peer's listed source ports
    // probes of its own.
    let mut rng = Rng::new(11);
    let mut tr = office(&mut rng);
    let (host, peer) = ([10, 1, 3, 5], [10, 1, 3, 200]);
    let mut t = T0 + 200 * S;
    for i in 0..60u16 {
        t += 2 * S;
        let cp = 50_000 + i;
        tr.tcp(t, peer, host, cp, 49155, SYN, 0);
        tr.tcp(t + 1_000_000, host, peer, 49155, cp, SYNACK, 0);
        tr.tcp(t + 2_000_000, peer, host, cp, 49155, ACK, 0);
        tr.tcp(t + 3_000_000, peer, host, cp, 49155, PSHACK, 200);
        // Minutes later the host acknowledges; the peer has forgotten.
        tr.tcp(t + 30 * S, host, peer, 49155, cp, ACK, 0);
        tr.tcp(t + 30 * S + 500_000, peer, host, cp, 49155, RST, 0);
        // NBNS: the peer asks from a listed port, the host answers.
        let qp = [1433u16, 3306, 5060, 1812][usize::from(i % 4)];
        tr.udp(t + 4_000_000, peer, host, qp, 137, 50);
        tr.udp(t + 4_100_000, host, peer, 137, qp, 90);
    }
    let r = report(tr);
    assert!(
        !r.scanners.iter().any(|s| s.source == addr(host)),
        "the host convicted on its answers: {:?}",
        r.scanners
    );
}

#[test]
fn a_connect_scan_is_labelled_connect() {
    // nmap -sT: open ports complete the handshake (then the scanner
    // resets), closed ones refuse.
    let mut rng = Rng::new(5);
    let mut tr = office(&mut rng);
    let (scanner, victim) = ([10, 7, 7, 7], [10, 1, 4, 4]);
    let mut t = T0 + 300 * S;
    for port in 1..=1000u16 {
        t += rng.exp_ns(300.0);
        let sp = 40_000 + port;
        tr.tcp(t, scanner, victim, sp, port, SYN, 0);
        if port % 50 == 0 {
            tr.tcp(t + 200_000, victim, scanner, port, sp, SYNACK, 0);
            tr.tcp(t + 300_000, scanner, victim, sp, port, ACK, 0);
            tr.tcp(t + 400_000, scanner, victim, sp, port, RSTACK, 0);
        } else {
            tr.tcp(t + 200_000, victim, scanner, port, sp, RSTACK, 0);
        }
    }
    let r = report(tr);
    let s = r
        .scanners
        .iter()
        .find(|s| s.source == addr(scanner))
        .expect("the scanner is found");
    assert_eq!(s.probes, ["connect"]);
    assert_eq!(r.scanners.len(), 1, "{:?}", r.scanners);
}

#[test]
fn a_scan_in_two_bursts_shows_both_with_its_filter_targets_and_probe_mix() {
    // A SYN scan of 300 ports, then nine minutes later another of 300.
    let mut rng = Rng::new(3);
    let mut tr = Trace::new();
    synth::background(&mut tr, &mut rng, T0, T0 + 900 * S);
    let (scanner, victim) = ([10, 6, 6, 6], [10, 1, 5, 5]);
    let mut t = T0 + 60 * S;
    let mut bursts = Vec::new();
    for (from, to) in [(1u16, 300u16), (301, 600)] {
        let first = t;
        for port in from..=to {
            t += rng.exp_ns(100.0);
            tr.tcp(t, scanner, victim, 36_000, port, SYN, 0);
            tr.tcp(t + 100_000, victim, scanner, port, 36_000, RSTACK, 0);
        }
        bursts.push((first, t));
        t += 540 * S;
    }
    let r = report(tr);
    let s = r
        .scanners
        .iter()
        .find(|s| s.source == addr(scanner))
        .expect("the scanner is found");
    assert_eq!(s.bursts.len(), 2, "{:?}", s.bursts);
    for (b, (t0, t1)) in s.bursts.iter().zip(&bursts) {
        assert!(
            b.first_ts >= t0 / 1000 && b.last_ts <= t1 / 1000 + 1,
            "{b:?}"
        );
        assert_eq!(b.contacts, 300);
    }
    assert_eq!(s.first_ts, s.bursts[0].first_ts);
    assert_eq!(s.last_ts, s.bursts[1].last_ts);
    assert_eq!(s.top_targets[0].addr, addr(victim));
    assert_eq!(s.top_targets[0].attempts, 600);
    assert_eq!(s.probe_counts[0].probe, "syn");
    assert_eq!(s.probe_counts[0].contacts, 600);
    assert_eq!(s.answered, Some(0));
    assert!(s.wireshark_filter.starts_with(&format!(
        "ip.addr == {} && frame.time_epoch >= ",
        addr(scanner)
    )));
    // The CSV carries its targets and both bursts.
    let csv = portspike_core::export::scanners_csv(&r);
    let row = csv.lines().find(|l| l.starts_with(&addr(scanner))).unwrap();
    assert!(row.contains(&format!("{} (600)", addr(victim))), "{row}");
    assert_eq!(row.matches(" (300)").count(), 2, "{row}");
    // A report written before these fields still reads.
    let mut v = serde_json::to_value(&r).unwrap();
    for s in v["scanners"].as_array_mut().unwrap() {
        for k in ["bursts", "probe_counts", "answered", "wireshark_filter"] {
            s.as_object_mut().unwrap().remove(k);
        }
    }
    let old: Report = serde_json::from_value(v).unwrap();
    assert!(old.scanners[0].bursts.is_empty());
}
