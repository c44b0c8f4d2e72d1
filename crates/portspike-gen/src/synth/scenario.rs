//! The labelled scenarios on generated office traffic: a working day's
//! background with benign bursts, and one attack family (or all of them).

use super::attacks::{
    ack_scan, backscatter, sweep_445, syn_flood, udp_scan, vertical_scan, Reflect,
};
use super::office::{background_daily, backup_job, flash_crowd, flash_crowd_on};
use super::sample::sample_scenario;
use super::truth::{reflected, scanner, spike, Scenario, Truth};
use crate::clock::{HOUR_NS, MONDAY_2026_03_02_NS, SECOND_NS as S};
use crate::rng::Rng;
use crate::trace::Trace;
use portspike_core::report::Probe;

/// Scenario names for `portspike synth --scenario`.
pub const SCENARIOS: &[&str] = &[
    "sample",
    "background",
    "sweep",
    "vertical",
    "slowscan",
    "udpscan",
    "ackscan",
    "flood",
    "backscatter",
    "reflection",
    "waves",
    "crowds",
    "busy",
    "all",
];

/// An attack family: its scenario's name, whether `all` holds it, and what
/// it adds to the day.
struct Family {
    name: &'static str,
    in_all: bool,
    add: fn(&mut Day),
}

/// The attack families, in the order they are drawn (the rng's order).
const FAMILIES: &[Family] = &[
    Family {
        name: "sweep",
        in_all: true,
        add: add_sweep,
    },
    Family {
        name: "vertical",
        in_all: true,
        add: add_vertical,
    },
    Family {
        name: "slowscan",
        in_all: true,
        add: add_slowscan,
    },
    Family {
        name: "udpscan",
        in_all: true,
        add: add_udpscan,
    },
    Family {
        name: "ackscan",
        in_all: true,
        add: add_ackscan,
    },
    Family {
        name: "flood",
        in_all: true,
        add: add_flood,
    },
    Family {
        name: "backscatter",
        in_all: true,
        add: add_backscatter,
    },
    Family {
        name: "reflection",
        in_all: true,
        add: add_reflection,
    },
    Family {
        name: "waves",
        in_all: false,
        add: add_waves,
    },
    Family {
        name: "crowds",
        in_all: false,
        add: add_crowds,
    },
    Family {
        name: "busy",
        in_all: false,
        add: add_busy,
    },
];

/// Generate a named scenario: its capture (pcap) and its ground truth.
pub fn scenario(name: &str) -> Option<(Vec<u8>, Scenario)> {
    if name == "sample" {
        return Some(sample_scenario());
    }
    if !SCENARIOS.contains(&name) {
        return None;
    }
    let all = name == "all";
    let mut day = Day::new(name, name == "background" || all);
    for f in FAMILIES {
        if name == f.name || (all && f.in_all) {
            (f.add)(&mut day);
        }
    }
    Some((
        day.tr.into_pcap(128),
        Scenario {
            name: name.into(),
            description: day.description.join("; "),
            events: day.events,
        },
    ))
}

/// A scenario being built: its capture, its rng, when its attacks start,
/// and the truth and description written so far.
struct Day {
    tr: Trace,
    rng: Rng,
    start: i64,
    /// Four hours from 07:00 (`background`, `all`) rather than half an hour from 10:00.
    long: bool,
    events: Vec<Truth>,
    description: Vec<String>,
}

impl Day {
    /// Office traffic following the working day, with a backup job and a
    /// flash crowd; the rng seeded by the scenario's name.
    fn new(name: &str, long: bool) -> Day {
        let mut rng = Rng::new(
            0x5ce0
                ^ name
                    .bytes()
                    .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
        );
        let mut tr = Trace::new();
        let start = MONDAY_2026_03_02_NS + if long { 7 * HOUR_NS } else { 10 * HOUR_NS };
        let end = start + if long { 4 * HOUR_NS } else { 1800 * S };
        background_daily(&mut tr, &mut rng, start, end);
        // Benign bursts in every scenario: they may be surges, never attacks.
        backup_job(&mut tr, &mut rng, start + 600 * S, 90);
        flash_crowd(&mut tr, &mut rng, start + 1200 * S, 60);
        Day {
            tr,
            rng,
            start,
            long,
            events: Vec::new(),
            description: vec!["office traffic following the working day, a backup job (rsync burst) and a flash crowd on HTTPS".to_string()],
        }
    }

    /// `m` minutes into the attacks' part (an hour into a long scenario).
    fn at(&self, m: i64) -> i64 {
        self.start
            + if self.long {
                m * 60 * S + HOUR_NS
            } else {
                m * 60 * S
            }
    }
}

fn add_sweep(d: &mut Day) {
    let hosts = [
        [10, 1, 1, 23],
        [10, 1, 1, 37],
        [10, 1, 1, 52],
        [10, 1, 1, 44],
    ];
    let t0 = d.at(15);
    sweep_445(&mut d.tr, &mut d.rng, &hosts, t0, 20.0, 2500);
    let t1 = t0 + 140 * S;
    d.events.push(spike("sweep", 445, t0, t1));
    for h in hosts {
        d.events.push(scanner("horizontal", h, Probe::Syn, t0, t1));
    }
    d.description
        .push("a TCP 445 sweep by four hosts over 10,000 addresses".into());
}

fn add_vertical(d: &mut Day) {
    let (src, dst) = ([203, 0, 113, 7], [10, 1, 0, 20]);
    let t0 = d.at(16);
    vertical_scan(&mut d.tr, &mut d.rng, src, dst, t0, 1024, 200.0);
    d.events
        .push(scanner("vertical", src, Probe::Syn, t0, t0 + 10 * S));
    d.description
        .push("an nmap-like SYN scan of 1024 ports of one host".into());
}

fn add_slowscan(d: &mut Day) {
    let (src, dst) = ([198, 51, 100, 9], [10, 1, 0, 25]);
    let t0 = d.at(5);
    vertical_scan(&mut d.tr, &mut d.rng, src, dst, t0, 150, 0.2);
    d.events
        .push(scanner("vertical", src, Probe::Syn, t0, t0 + 750 * S));
    d.description
        .push("a slow scan: one probe every 5 s over 150 ports".into());
}

fn add_udpscan(d: &mut Day) {
    let (src, dst) = ([192, 0, 2, 66], [10, 1, 0, 53]);
    let t0 = d.at(20);
    udp_scan(&mut d.tr, &mut d.rng, src, dst, t0, 500, 50.0);
    d.events
        .push(scanner("vertical", src, Probe::Udp, t0, t0 + 10 * S));
    d.description
        .push("a UDP scan of 500 ports of one host".into());
}

fn add_ackscan(d: &mut Day) {
    let (src, dst) = ([203, 0, 113, 99], [10, 1, 0, 22]);
    let t0 = d.at(18);
    ack_scan(&mut d.tr, &mut d.rng, src, dst, t0, 300, 100.0);
    d.events
        .push(scanner("vertical", src, Probe::Ack, t0, t0 + 5 * S));
    d.description
        .push("an ACK scan (firewall mapping) of 300 ports of one host".into());
}

fn add_flood(d: &mut Day) {
    let t0 = d.at(22);
    syn_flood(&mut d.tr, &mut d.rng, [10, 1, 0, 80], 80, t0, 60, 400.0);
    d.events.push(spike("flood", 80, t0, t0 + 60 * S));
    d.description
        .push("a distributed SYN flood on TCP 80 from spoofed sources".into());
}

fn add_backscatter(d: &mut Day) {
    let t0 = d.at(25);
    backscatter(&mut d.tr, &mut d.rng, 3389, t0, 60, 60.0);
    d.events.push(spike("backscatter", 3389, t0, t0 + 60 * S));
    d.description
        .push("SYN-ACK backscatter from servers on TCP 3389".into());
}

fn add_reflection(d: &mut Day) {
    let t0 = d.at(28);
    let r = Reflect::udp(53, [10, 1, 0, 30], 400, 1200);
    let pool = r.run(&mut d.tr, &mut d.rng, t0, 60, 300.0);
    d.events
        .push(reflected("udp", 53, t0, t0 + 60 * S, &r, &pool));
    d.description
        .push("a DNS reflection: 400 resolvers answer one victim who never asked".into());
}

/// One incident: three waves two minutes apart are one finding.
fn add_waves(d: &mut Day) {
    let t0 = d.at(10);
    for w in 0..3 {
        syn_flood(
            &mut d.tr,
            &mut d.rng,
            [10, 1, 0, 80],
            80,
            t0 + w * 120 * S,
            40,
            300.0,
        );
    }
    d.events.push(spike("flood", 80, t0, t0 + 280 * S));
    d.description
        .push("a SYN flood on TCP 80 in three waves two minutes apart".into());
}

fn add_crowds(d: &mut Day) {
    for (i, port) in [8443u16, 993, 995, 5223].into_iter().enumerate() {
        let t0 = d.at(4 + 5 * i as i64);
        flash_crowd_on(&mut d.tr, &mut d.rng, t0, 60, port);
    }
    d.description
        .push("four more flash crowds, each on a port of its own".into());
}

/// Many findings on many ports: a page must hold them.
fn add_busy(d: &mut Day) {
    for i in 0..42u16 {
        let t0 = d.at(2) + i64::from(i) * 40 * S;
        syn_flood(
            &mut d.tr,
            &mut d.rng,
            [10, 1, 0, 80],
            2000 + i,
            t0,
            20,
            100.0,
        );
        d.events.push(spike("flood", 2000 + i, t0, t0 + 20 * S));
    }
    let (src, dst) = ([203, 0, 113, 50], [10, 1, 0, 21]);
    let t0 = d.at(1);
    vertical_scan(&mut d.tr, &mut d.rng, src, dst, t0, 1500, 300.0);
    d.events
        .push(scanner("vertical", src, Probe::Syn, t0, t0 + 10 * S));
    d.description
        .push("42 SYN floods, one port each, and a SYN scan of 1500 ports".into());
}

#[cfg(test)]
mod tests {
    use super::{FAMILIES, SCENARIOS};

    #[test]
    fn every_family_is_a_scenario_by_its_name() {
        for f in FAMILIES {
            assert!(
                SCENARIOS.contains(&f.name),
                "{} is not in SCENARIOS",
                f.name
            );
        }
        // Besides the families: the sample, the background alone, and all.
        assert_eq!(SCENARIOS.len(), FAMILIES.len() + 3);
    }
}
