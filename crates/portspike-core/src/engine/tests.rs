use super::*;
use crate::fixture::{self, SYN, US};
use crate::report::Probe;

#[test]
fn the_key_decides_which_port_a_reply_counts_on() {
    let reply = fixture::tcp([10, 0, 0, 1], [10, 0, 0, 2], 80, 50000, F::ACK);
    let mut by_service = fixture::engine();
    by_service.packet(0, 60, &reply, true);
    assert!(by_service.ports.get((Proto::Tcp, 80)).is_some());
    let mut by_dst = Engine::new(Key::DstPort, Some(US as u64), Limits::FULL);
    by_dst.packet(0, 60, &reply, true);
    assert!(by_dst.ports.get((Proto::Tcp, 80)).is_none());
    assert!(by_dst.ports.get((Proto::Tcp, 50000)).is_some());
}

#[test]
fn reflected_answers_count_on_the_port_the_reflectors_share() {
    // Ordinary clients first, then 300 reflectors answering from
    // udp/47808 to one victim's fixed port 30120 (lower, but held by one
    // host): once a dozen or so reflectors have been seen, every answer
    // counts on udp/47808, and none is a probe of its reflector.
    let mut e = fixture::engine();
    let mut ts = 0;
    for c in 0..200u16 {
        let p = fixture::udp([10, 0, 1, c as u8], [10, 0, 0, 53], 40000 + c, 53);
        e.packet(ts, 80, &p, true);
        ts += 1000;
    }
    for i in 0..3000u32 {
        let r = [198, 18, (i % 300 / 250) as u8, (i % 300 % 250) as u8];
        e.packet(ts, 500, &fixture::udp(r, [10, 0, 0, 9], 47808, 30120), true);
        ts += 1000;
    }
    let at = |port| {
        e.ports
            .get((Proto::Udp, port))
            .map_or(0, |s| s.totals.packets)
    };
    assert!(
        at(47808) >= 2950,
        "{} on 47808, {} on 30120",
        at(47808),
        at(30120)
    );
    let reflectors = e
        .sources
        .iter()
        .filter(|(a, st)| a.to_string().starts_with("198.18.") && st.first_contacts > 0)
        .count();
    assert!(
        reflectors <= 16,
        "{reflectors} reflectors made first contacts"
    );
}

#[test]
fn an_outlier_counts_in_the_totals_only() {
    let mut e = fixture::engine();
    e.packet(
        0,
        60,
        &fixture::tcp([10, 0, 0, 2], [10, 0, 0, 1], 40000, 22, SYN),
        false,
    );
    let st = e.ports.get((Proto::Tcp, 22)).unwrap();
    assert_eq!((st.totals.packets, st.totals.attempts), (1, 0));
    assert_eq!(st.cells(), 0);
    assert!(e.sources.is_empty() && e.grid.is_empty());
}

#[test]
fn a_capture_without_answers_is_one_way() {
    let mut e = fixture::engine();
    for i in 0..20u8 {
        let p = fixture::tcp([10, 9, 9, 9], [10, 0, 1, i], 50000, 445, SYN);
        e.packet(i64::from(i), 60, &p, true);
    }
    e.packet(
        ANSWER_US + 100,
        60,
        &fixture::udp([10, 0, 0, 3], [10, 0, 0, 4], 1, 2),
        true,
    );
    assert_eq!(e.stats.first_contacts, 21);
    assert_eq!(e.stats.answered_contacts, 0);
    assert!(e.one_way());
}

#[test]
fn finishing_lets_go_of_what_only_followed_the_traffic() {
    let mut e = fixture::engine();
    for i in 0..50u8 {
        let p = fixture::udp([10, 0, 0, 2], [10, 0, 1, i], 40000, 53);
        e.packet(i64::from(i), 60, &p, true);
    }
    let part = |e: &Engine, name: &str| {
        e.footprint()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b)
            .unwrap()
    };
    assert!(part(&e, "udp") > 0 && part(&e, "contacts") > 0 && part(&e, "pending") > 0);
    e.finish();
    assert_eq!(
        (part(&e, "udp"), part(&e, "contacts"), part(&e, "pending")),
        (0, 0, 0)
    );
    // What the report needs stays.
    assert_eq!(e.ports.get((Proto::Udp, 53)).unwrap().totals.attempts, 50);
    assert_eq!(e.sources.len(), 1);
}

#[test]
fn an_absorbed_summary_cell_counts_as_its_packets() {
    let mut e = fixture::engine();
    let mut cell = Cell {
        packets: 7,
        bytes: 700,
        attempts: 3,
        failures: 1,
        ..Default::default()
    };
    cell.sources.insert(1);
    e.absorb((Proto::Udp, 514), 5 * US, &cell);
    e.absorb((Proto::Udp, 514), 5 * US, &cell);
    let st = e.ports.get((Proto::Udp, 514)).unwrap();
    assert_eq!(
        (
            st.totals.packets,
            st.totals.bytes,
            st.totals.attempts,
            st.totals.failures
        ),
        (14, 1400, 6, 2)
    );
    assert_eq!(st.sources.estimate(), 1);
    assert_eq!(st.cells(), 1);
}

/// A TCP segment carrying `payload` bytes.
fn data(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: u16) -> Packet {
    let mut p = fixture::tcp(src, dst, sport, dport, F::ACK | F::PSH);
    if let L4::Ports { payload: n, .. } = &mut p.l4 {
        *n = payload;
    }
    p
}

#[test]
fn unanswered_ack_and_fin_ack_probes_are_failed_contacts() {
    // nmap -sA and -sM into a filtered host, seen one way: a bare ACK or
    // FIN/ACK to each of 20 ports, nothing back.
    for (flags, probe) in [(F::ACK, Probe::Ack), (F::ACK | F::FIN, Probe::Maimon)] {
        let mut e = fixture::engine();
        for (i, port) in (1..=20u16).enumerate() {
            let p = fixture::tcp([10, 9, 9, 9], [10, 0, 0, 1], 40000, port, flags);
            e.packet(i as i64 * 1000, 60, &p, true);
        }
        e.finish();
        let s = &e.sources[&fixture::ip([10, 9, 9, 9])];
        assert_eq!((s.first_contacts, s.failures), (20, 20), "{probe}");
        assert_eq!(s.probe_kinds(), [probe]);
        assert!(
            s.threshold.is_some(),
            "{probe}: 20 ports of one host convict by spread"
        );
    }
}

#[test]
fn a_conversation_joined_mid_way_makes_no_probes() {
    // A download whose start the capture missed, seen from the client's
    // side only: its first packet a bare ACK, then ACK after ACK; and
    // another client's data, then its last bare ACK.
    let mut e = fixture::engine();
    let (client, server) = ([10, 0, 0, 5], [10, 0, 0, 80]);
    for port in 0..20u16 {
        for k in 0..5i64 {
            let ack = fixture::tcp(client, server, 50000 + port, 443, F::ACK);
            e.packet(i64::from(port) * 10_000 + k * 100, 60, &ack, true);
        }
    }
    let other = [10, 0, 0, 6];
    for port in 0..20u16 {
        let t = 500_000 + i64::from(port) * 1000;
        e.packet(t, 600, &data(other, server, 51000 + port, 443, 512), true);
        e.packet(
            t + 10,
            60,
            &fixture::tcp(other, server, 51000 + port, 443, F::ACK),
            true,
        );
    }
    e.packet(
        10 * US,
        60,
        &fixture::udp([10, 0, 0, 7], server, 40000, 53),
        true,
    );
    e.finish();
    for c in [client, other] {
        let failures = e.sources.get(&fixture::ip(c)).map_or(0, |s| s.failures);
        assert_eq!(failures, 0, "{c:?}");
        assert!(
            e.sources
                .get(&fixture::ip(c))
                .is_none_or(|s| s.convicted.is_none()),
            "{c:?}"
        );
    }
}

#[test]
fn a_capture_under_a_second_judges_by_how_fast_answers_came() {
    // SYNs a millisecond apart, each answered in 20 µs but the last 20,
    // which nothing answered, in a capture of 60 ms.
    let mut e = fixture::engine();
    let (a, b) = ([10, 9, 9, 9], [10, 0, 0, 1]);
    for port in 1..=60u16 {
        let t = i64::from(port) * 1000;
        e.packet(t, 60, &fixture::tcp(a, b, 40000, port, SYN), true);
        if port <= 40 {
            e.packet(
                t + 20,
                60,
                &fixture::tcp(b, a, port, 40000, fixture::RSTACK),
                true,
            );
        }
    }
    e.finish();
    // All but the last millisecond's are judged: 40 refused, 19 unanswered.
    assert_eq!(e.sources[&fixture::ip(a)].failures, 59);
}
