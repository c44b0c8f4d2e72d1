use super::*;
use crate::fixture::{self, SYN, US};

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
