//! Scenarios over real traffic: ten minutes of replayed captures (see
//! [`crate::replay`]) with one attack injected at minute 4.

use super::attacks::{
    ack_scan, backscatter, portless_flood, sweep_445, syn_flood, udp_scan, vertical_scan, Reflect,
};
use super::truth::{ip, reflected, scanner, spike, Scenario, Truth};
use crate::clock::{DAY_NS, HOUR_NS, MONDAY_2026_03_02_NS, SECOND_NS as S};
use crate::replay::Background;
use crate::rng::Rng;
use crate::trace::Trace;
use portspike_core::report::Probe;

/// Scenarios that [`scenario_on`] builds over real background traffic.
pub const BACKGROUND_SCENARIOS: &[&str] = &[
    "background",
    "sweep",
    "vertical",
    "udpscan",
    "ackscan",
    "flood",
    "backscatter",
    "reflection",
    "ntp",
    "snmp",
    "cldap",
    "ssdp",
    "ubnt",
    "bacnet",
    "memcached",
    "synack",
    "carpet",
    "icmpflood",
    "protoflood",
    "fragflood",
];

/// Length of a scenario over real background: ten minutes.
pub const BACKGROUND_SCENARIO_S: i64 = 600;

/// A scenario over real background traffic: ten minutes of `bg`'s tiles
/// (see [`crate::replay`]), with the named attack injected at minute 4
/// (`background`: none). Deterministic by `seed`.
pub fn scenario_on(name: &str, bg: &Background, seed: u64) -> Option<(Vec<u8>, Scenario)> {
    if !BACKGROUND_SCENARIOS.contains(&name) {
        return None;
    }
    let mut rng = Rng::new(0xb6_5ce0 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut tr = Trace::new();
    // Tuesday 2026-03-03, 10:00 UTC.
    let start = MONDAY_2026_03_02_NS + DAY_NS + 10 * HOUR_NS;
    let end = start + BACKGROUND_SCENARIO_S * S;
    let tiles = bg.fill(&mut tr, &mut rng, start, end);
    let names: Vec<&str> = bg.tiles.iter().map(|t| t.name.as_str()).collect();
    let mut a = Attack {
        tr,
        // The attackers' own rng, so the background is the same in every scenario of a seed.
        rng: Rng::new(seed ^ 0x00a7_7ac4),
        t0: start + 240 * S,
        events: Vec::new(),
        description: vec![format!(
            "ten minutes of real sessions ({tiles} tiles of {}, addresses remapped per tile)",
            names.join(", ")
        )],
    };
    match name {
        "sweep" => a.sweep(),
        "vertical" => a.vertical(),
        "udpscan" => a.udpscan(),
        "ackscan" => a.ackscan(),
        "flood" => a.flood(),
        "backscatter" => a.backscatter(),
        "reflection" | "ntp" | "snmp" | "cldap" | "ssdp" | "ubnt" | "bacnet" | "memcached"
        | "synack" | "carpet" => a.reflection(name),
        "icmpflood" | "protoflood" | "fragflood" => a.portless(name),
        _ => {}
    }
    // Headers are all the engine reads: 256 bytes keep an ICMPv6 error's quote.
    Some((
        a.tr.into_pcap(256),
        Scenario {
            name: name.into(),
            description: a.description.join("; "),
            events: a.events,
        },
    ))
}

/// The attack being injected: the capture holding the background, the
/// attackers' rng, when they start, and the truth and description so far.
struct Attack {
    tr: Trace,
    rng: Rng,
    t0: i64,
    events: Vec<Truth>,
    description: Vec<String>,
}

impl Attack {
    fn sweep(&mut self) {
        let t0 = self.t0;
        let hosts = [[10, 1, 1, 23], [10, 1, 1, 37], [10, 1, 1, 52]];
        sweep_445(&mut self.tr, &mut self.rng, &hosts, t0, 15.0, 1500);
        self.events.push(spike("sweep", 445, t0, t0 + 110 * S));
        for h in hosts {
            self.events
                .push(scanner("horizontal", h, Probe::Syn, t0, t0 + 110 * S));
        }
        self.description
            .push("a TCP 445 sweep by three hosts".into());
    }

    fn vertical(&mut self) {
        let t0 = self.t0;
        let (src, dst) = ([203, 0, 113, 7], [10, 1, 0, 20]);
        vertical_scan(&mut self.tr, &mut self.rng, src, dst, t0, 1024, 200.0);
        self.events
            .push(scanner("vertical", src, Probe::Syn, t0, t0 + 10 * S));
        self.description
            .push("a SYN scan of 1024 ports of one host".into());
    }

    fn udpscan(&mut self) {
        let t0 = self.t0;
        let (src, dst) = ([192, 0, 2, 66], [10, 1, 0, 53]);
        udp_scan(&mut self.tr, &mut self.rng, src, dst, t0, 500, 50.0);
        self.events
            .push(scanner("vertical", src, Probe::Udp, t0, t0 + 10 * S));
        self.description
            .push("a UDP scan of 500 ports of one host".into());
    }

    fn ackscan(&mut self) {
        let t0 = self.t0;
        let (src, dst) = ([203, 0, 113, 99], [10, 1, 0, 22]);
        ack_scan(&mut self.tr, &mut self.rng, src, dst, t0, 300, 100.0);
        self.events
            .push(scanner("vertical", src, Probe::Ack, t0, t0 + 5 * S));
        self.description
            .push("an ACK scan of 300 ports of one host".into());
    }

    fn flood(&mut self) {
        let t0 = self.t0;
        syn_flood(
            &mut self.tr,
            &mut self.rng,
            [10, 1, 0, 80],
            80,
            t0,
            60,
            400.0,
        );
        self.events.push(spike("flood", 80, t0, t0 + 60 * S));
        self.description
            .push("a SYN flood on TCP 80 from spoofed sources".into());
    }

    fn backscatter(&mut self) {
        let t0 = self.t0;
        backscatter(&mut self.tr, &mut self.rng, 3389, t0, 60, 60.0);
        self.events
            .push(spike("backscatter", 3389, t0, t0 + 60 * S));
        self.description
            .push("SYN-ACK backscatter on TCP 3389".into());
    }

    /// A reflection from the service `name` names onto one victim (`carpet`:
    /// onto a /24; `synack`: TCP SYN-ACKs; `memcached`: in fragments).
    fn reflection(&mut self, name: &str) {
        let t0 = self.t0;
        let victim = [10, 1, 0, 30];
        // (service port, reflected bytes, what it is)
        let (port, payload, what) = match name {
            "ntp" => (123, 440, "an NTP monlist reflection"),
            "snmp" => (161, 1400, "an SNMP GetBulk reflection"),
            "cldap" => (389, 1400, "a CLDAP reflection"),
            "ssdp" | "carpet" => (1900, 300, "an SSDP reflection"),
            "ubnt" => (10001, 150, "a Ubiquiti discovery (udp/10001) reflection"),
            "bacnet" => (47808, 500, "a BACnet reflection onto one fixed victim port"),
            "memcached" => (11211, 2900, "a memcached reflection in fragments"),
            "synack" => (80, 0, "a TCP SYN-ACK reflection from tcp/80"),
            _ => (53, 1200, "a DNS reflection"),
        };
        let mut r = Reflect::udp(port, victim, 400, payload);
        r.tcp = name == "synack";
        if name == "bacnet" {
            r.victim_port = Some(30120);
        }
        if name == "carpet" {
            r.victims = (1..=254).map(|h| [10, 20, 30, h]).collect();
        }
        let pool = r.run(&mut self.tr, &mut self.rng, t0, 60, 300.0);
        let proto = if r.tcp { "tcp" } else { "udp" };
        let mut t = reflected(proto, port, t0, t0 + 60 * S, &r, &pool);
        if name == "carpet" {
            t.victim_prefix = Some("10.20.30.0/24".into());
            self.description
                .push(format!("{what} carpet-bombing 10.20.30.0/24"));
        } else {
            self.description.push(format!("{what} onto one victim"));
        }
        if name == "memcached" {
            // The datagrams' later fragments carry no ports: a second
            // vector, from the same reflectors onto the same victim.
            let mut f = t.clone();
            (f.kind, f.proto, f.port) = ("flood".into(), Some("fragment".into()), Some(17));
            f.reflectors = Vec::new();
            self.events.push(f);
        }
        self.events.push(t);
    }

    /// A flood without ports (`icmpflood`, `protoflood`, `fragflood`) from
    /// spoofed sources onto one host.
    fn portless(&mut self, name: &str) {
        let t0 = self.t0;
        let victim = [10, 1, 0, 80];
        let (kind, proto, port, what) = match name {
            "icmpflood" => ("icmp", "icmp", 8, "an ICMP echo flood"),
            "protoflood" => ("proto", "ip", 256, "a flood of random IP protocol numbers"),
            _ => ("fragment", "fragment", 17, "a flood of later UDP fragments"),
        };
        portless_flood(&mut self.tr, &mut self.rng, kind, victim, (t0, 60), 300.0);
        let mut t = spike("flood", port, t0, t0 + 60 * S);
        t.proto = Some(proto.into());
        t.victims = vec![ip(victim)];
        self.events.push(t);
        self.description
            .push(format!("{what} from spoofed sources onto one host"));
    }
}
