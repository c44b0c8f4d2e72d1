//! The headline: what the capture holds, one plain sentence per incident,
//! ranked, with the report's own numbers (an estimate said to be one).
//! Plain functions on a report, tested natively; the page draws them as
//! buttons that open the incident's first finding.

use portspike_core::report::{Report, ScannerReport, SpikeKind, SpikeReport};

/// What a sentence opens when chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// A finding (index into `report.spikes`).
    Spike(usize),
    /// A scanner (index into `report.scanners`).
    Scanner(usize),
}

/// One sentence of the headline and what it opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub text: String,
    pub target: Pick,
}

/// Sentences shown before the rest are counted ("and 4 more below").
pub const SHOWN: usize = 3;

/// `6,012`: a count with thousands separated.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count, `about` when the report marks it as an estimate.
fn count(n: u64, estimated: bool) -> String {
    if estimated {
        format!("about {}", grouped(n))
    } else {
        grouped(n)
    }
}

/// `1 host`, `3 hosts`, `about 1,687 hosts`.
fn counted(n: u64, estimated: bool, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        count(n, estimated),
        if n == 1 { one } else { many }
    )
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The everyday name of a well-known service, where the registered one
/// says less (`microsoft-ds` is SMB).
fn everyday(port: u16) -> Option<&'static str> {
    Some(match port {
        20 | 21 => "FTP",
        22 => "SSH",
        23 => "Telnet",
        25 | 587 => "SMTP",
        53 => "DNS",
        80 | 8080 => "HTTP",
        110 => "POP3",
        123 => "NTP",
        135 => "RPC",
        137..=139 => "NetBIOS",
        143 => "IMAP",
        161 => "SNMP",
        389 => "LDAP",
        443 | 8443 => "HTTPS",
        445 => "SMB",
        1433 => "SQL Server",
        1900 => "SSDP",
        3306 => "MySQL",
        3389 => "RDP",
        5060 => "SIP",
        5432 => "PostgreSQL",
        5900 => "VNC",
        6379 => "Redis",
        11211 => "memcached",
        _ => return None,
    })
}

/// `TCP 445 (SMB)`, `UDP 9999`, `ICMP 8`.
pub fn port_words(r: &Report, proto: &str, port: u16) -> String {
    let name = everyday(port).map(str::to_string).or_else(|| {
        r.ports
            .iter()
            .find(|p| p.proto == proto && p.port == port)
            .and_then(|p| p.service.clone())
    });
    let head = format!("{} {port}", proto.to_uppercase());
    match name {
        Some(n) if matches!(proto, "tcp" | "udp") => format!("{head} ({n})"),
        _ => head,
    }
}

/// Who sent a finding's packets: its sources by address when there are
/// three or fewer, else how many with the busiest named.
fn who(sp: &SpikeReport, one: &str, many: &str) -> String {
    let est = sp.estimated("sources");
    let top: Vec<String> = sp
        .top_sources
        .iter()
        .take(3)
        .map(|a| a.addr.clone())
        .collect();
    if !est && sp.sources as usize == top.len() && !top.is_empty() {
        return and_list(&top);
    }
    let n = counted(sp.sources, est, one, many);
    if top.is_empty() {
        n
    } else {
        format!("{n} (busiest {})", and_list(&top))
    }
}

/// `; 4,351 of 4,505 attempts failed (97 %)`, or nothing without attempts.
fn failed_share(failures: u64, attempts: u64, what: &str) -> String {
    if attempts == 0 {
        return String::new();
    }
    format!(
        "; {} of {} {what} failed ({})",
        grouped(failures),
        grouped(attempts),
        percent(failures, attempts)
    )
}

/// `part` of `whole` as a percentage that never reads 0 % or 100 % unless
/// it is: 995 of 1,000 is 99.5 %, not 100 %.
fn percent(part: u64, whole: u64) -> String {
    let p = part as f64 * 100.0 / whole.max(1) as f64;
    let whole_number = p.round();
    if whole_number == 100.0 && part < whole {
        format!("{:.1} %", (p * 10.0).floor() / 10.0)
    } else if whole_number == 0.0 && part > 0 {
        format!("{:.1} %", (p * 10.0).ceil() / 10.0)
    } else {
        format!("{whole_number:.0} %")
    }
}

/// The victim of a flood or reflection: the prefix its victims share, the
/// address it is aimed at, its busiest destination, or how many.
fn victim(sp: &SpikeReport) -> String {
    if let Some(p) = &sp.victim_prefix {
        return format!(
            "{} in {p}",
            counted(
                sp.destinations,
                sp.estimated("destinations"),
                "host",
                "hosts"
            )
        );
    }
    if sp.destinations == 1 {
        if let Some(d) = sp.top_destinations.first() {
            return d.addr.clone();
        }
    }
    counted(
        sp.destinations,
        sp.estimated("destinations"),
        "host",
        "hosts",
    )
}

/// One finding in a sentence (without the closing full stop).
fn finding(r: &Report, sp: &SpikeReport, when: &str) -> String {
    let port = port_words(r, sp.proto.as_str(), sp.port);
    let dst =
        |one: &str, many: &str| counted(sp.destinations, sp.estimated("destinations"), one, many);
    match sp.kind {
        SpikeKind::Sweep => format!(
            "{} swept {port} across {}, {when}{}",
            who(sp, "host", "hosts"),
            dst("address", "addresses"),
            failed_share(sp.failures, sp.attempts, "attempts")
        ),
        SpikeKind::Flood => {
            let end = if sp.attempts > 0 {
                format!(
                    "; {} of {} connection attempts completed",
                    grouped(sp.completed),
                    grouped(sp.attempts)
                )
            } else {
                format!("; {} packets", grouped(sp.packets))
            };
            format!(
                "{} flooded {port} on {}, {when}{end}",
                who(sp, "host", "hosts"),
                victim(sp)
            )
        }
        SpikeKind::Backscatter => format!(
            "{} sent {} unasked answers from {port} to {}, {when}: replies to connections never opened from here (someone forged these addresses)",
            who(sp, "server", "servers"),
            grouped(sp.packets),
            dst("address", "addresses")
        ),
        SpikeKind::Reflection => format!(
            "{} on {port} sent {} replies nobody asked for to {}, {when}",
            counted(sp.sources, sp.estimated("sources"), "server", "servers"),
            grouped(sp.packets),
            victim(sp)
        ),
        SpikeKind::Surge => {
            let (n, what) = if sp.metric.as_str() == "attempts" {
                (sp.attempts, "connection attempts")
            } else {
                (sp.packets, "packets")
            };
            format!(
                "{port} got busier than usual: {} {what} from {}, {when}",
                grouped(n),
                who(sp, "host", "hosts")
            )
        }
    }
}

/// Findings of one incident (attack findings sharing its number) in one
/// sentence.
fn incident(r: &Report, members: &[&SpikeReport], when: &dyn Fn(i64, i64) -> String) -> String {
    match members {
        [] => String::new(),
        [one] => finding(r, one, &when(one.start_ts, one.end_ts)),
        [first, ..] => {
            let t0 = members.iter().map(|s| s.start_ts).min().unwrap_or(0);
            let t1 = members.iter().map(|s| s.end_ts).max().unwrap_or(0);
            let vectors: Vec<String> = members
                .iter()
                .map(|s| {
                    let share = s
                        .byte_share
                        .map(|b| format!(", {:.0} % of its bytes", b * 100.0))
                        .unwrap_or_default();
                    format!(
                        "a {} on {} ({} packets{share})",
                        s.kind,
                        port_words(r, s.proto.as_str(), s.port),
                        grouped(s.packets)
                    )
                })
                .collect();
            format!(
                "One attack on {} by {} ways at once, {}: {}",
                victim(first),
                members.len(),
                when(t0, t1),
                and_list(&vectors)
            )
        }
    }
}

/// One scanner in a sentence.
fn scanner(r: &Report, sc: &ScannerReport, when: &str) -> String {
    let targets = match (sc.targets, sc.top_targets.first()) {
        (1, Some(t)) if !sc.estimated("targets") => t.addr.clone(),
        _ => counted(sc.targets, sc.estimated("targets"), "host", "hosts"),
    };
    let ports = match (sc.ports, sc.top_ports.first()) {
        (1, Some(p)) if !sc.estimated("ports") => port_words(r, p.proto.as_str(), p.port),
        _ => counted(sc.ports, sc.estimated("ports"), "port", "ports"),
    };
    let answered = if sc.open_ports.is_empty() {
        String::new()
    } else {
        let open: Vec<String> = sc
            .open_ports
            .iter()
            .take(5)
            .map(|o| o.port.to_string())
            .collect();
        let more = sc.open_ports.len().saturating_sub(5);
        format!(
            "; answered on {} {}{}",
            if sc.open_ports.len() == 1 {
                "port"
            } else {
                "ports"
            },
            and_list(&open),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    format!(
        "{} probed {ports} on {targets}, {when}{}{answered}",
        sc.source,
        failed_share(sc.failures, sc.attempts, "probes")
    )
}

/// A scanner said already by a finding's sentence: one of the busiest
/// sources of a finding on one of its ports, at a time it was active.
fn told(r: &Report, sc: &ScannerReport, said: &[usize]) -> bool {
    said.iter().filter_map(|i| r.spikes.get(*i)).any(|sp| {
        sp.top_sources.iter().take(3).any(|a| a.addr == sc.source)
            && sp.start_ts <= sc.last_ts
            && sc.first_ts <= sp.end_ts
    })
}

/// The headline's sentences, most important first: attack incidents, then
/// scanners no finding names, then ordinary surges. `when` writes a time
/// window as the page does.
pub fn sentences(r: &Report, when: &dyn Fn(i64, i64) -> String) -> Vec<Sentence> {
    let order = r.finding_order();
    let mut out = Vec::new();
    let mut done: Vec<usize> = Vec::new();
    let mut said: Vec<usize> = Vec::new();
    let attack = |i: &usize| r.spikes.get(*i).is_some_and(SpikeReport::is_attack);
    for &i in order.iter().filter(|i| attack(i)) {
        if done.contains(&i) {
            continue;
        }
        let Some(sp) = r.spikes.get(i) else {
            continue;
        };
        let group: Vec<usize> = match sp.incident {
            Some(n) => order
                .iter()
                .copied()
                .filter(|j| r.spikes.get(*j).is_some_and(|s| s.incident == Some(n)))
                .collect(),
            None => vec![i],
        };
        let members: Vec<&SpikeReport> = group.iter().filter_map(|j| r.spikes.get(*j)).collect();
        out.push(Sentence {
            text: format!("{}.", incident(r, &members, when)),
            target: Pick::Spike(i),
        });
        done.extend(&group);
        said.extend(&group);
    }
    for (k, sc) in r.scanners.iter().enumerate() {
        if !told(r, sc, &said) {
            out.push(Sentence {
                text: format!("{}.", scanner(r, sc, &when(sc.first_ts, sc.last_ts))),
                target: Pick::Scanner(k),
            });
        }
    }
    for &i in order.iter().filter(|i| !attack(i)) {
        if let Some(sp) = r.spikes.get(i) {
            out.push(Sentence {
                text: format!("{}.", finding(r, sp, &when(sp.start_ts, sp.end_ts))),
                target: Pick::Spike(i),
            });
        }
    }
    out
}

/// How long a span is in words: `1.2 s`, `15 min`, `2 h 5 min`, `3 days 4 h`.
pub fn span_words(us: i64) -> String {
    let s = us.max(0) as f64 / 1e6;
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let m = (s / 60.0).round() as i64;
    if m < 60 {
        return format!("{m} min");
    }
    let (h, m) = (m / 60, m % 60);
    if h < 48 {
        return if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        };
    }
    let (d, h) = (h / 24, h % 24);
    if h > 0 {
        format!("{d} days {h} h")
    } else {
        format!("{d} days")
    }
}

/// The sentence for a capture with no finding and no scanner.
pub fn quiet(r: &Report, partial: bool) -> String {
    let c = &r.capture;
    let span = match (c.first_ts, c.last_ts) {
        (Some(a), Some(b)) => format!(" over {}", span_words(b - a)),
        _ => String::new(),
    };
    let packets = counted(c.packets, false, "packet", "packets");
    let ports = counted(r.ports.len() as u64, false, "port", "ports");
    if partial {
        format!("Nothing that looks like an attack in the part read: {packets} on {ports}{span}; the rest was never read.")
    } else {
        format!("Nothing that looks like an attack: {packets} on {ports}{span}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(a: i64, b: i64) -> String {
        format!("{a}–{b}")
    }

    fn sample() -> Report {
        let bytes =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/sample.pcap")).unwrap();
        portspike_core::analyze_bytes(&bytes, portspike_core::Params::default())
    }

    #[test]
    fn a_share_reads_100_or_0_percent_only_when_it_is() {
        assert_eq!(percent(4351, 4505), "97 %");
        assert_eq!(percent(995, 1000), "99.5 %");
        assert_eq!(percent(99_999, 100_000), "99.9 %");
        assert_eq!(percent(1000, 1000), "100 %");
        assert_eq!(percent(1, 1000), "0.1 %");
        assert_eq!(percent(1, 100_000), "0.1 %");
        assert_eq!(percent(0, 10), "0 %");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(6012), "6,012");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(count(1687, true), "about 1,687");
    }

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span_words(1_241_322), "1.2 s");
        assert_eq!(span_words(899_837_879), "15 min");
        assert_eq!(span_words(7_500_000_000), "2 h 5 min");
        assert_eq!(
            span_words(3 * 86_400_000_000 + 4 * 3_600_000_000),
            "3 days 4 h"
        );
    }

    #[test]
    fn the_sample_sweep_is_one_sentence_with_its_counts() {
        let r = sample();
        let s = sentences(&r, &when);
        let sp = &r.spikes[0];
        assert_eq!(s[0].target, Pick::Spike(0));
        let t = &s[0].text;
        assert!(t.contains("swept TCP 445 (SMB) across"), "{t}");
        assert!(
            t.contains(&format!("{} addresses", grouped(sp.destinations))),
            "{t}"
        );
        assert!(
            t.contains(&format!(
                "{} of {} attempts failed",
                grouped(sp.failures),
                grouped(sp.attempts)
            )),
            "{t}"
        );
        assert!(t.contains(&when(sp.start_ts, sp.end_ts)), "{t}");
        // Its scanners are its busiest sources: no sentence of their own.
        assert!(
            s.iter().all(|x| !matches!(x.target, Pick::Scanner(_))),
            "{s:?}"
        );
    }

    /// A generated scenario's report after the evidence pass (its counts exact).
    fn scenario(name: &str) -> Report {
        let (bytes, _) = portspike_gen::synth::scenario(name)
            .or_else(|| {
                // The reflection kinds are laid over real sessions: the sample's.
                use portspike_gen::replay::{Background, Placement, Tile};
                let sample =
                    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/sample.pcap"))
                        .ok()?;
                let bg = Background {
                    tiles: vec![Tile::load("sample", &sample).ok()?],
                    placement: Placement::Random,
                };
                portspike_gen::synth::scenario_on(name, &bg, 1)
            })
            .unwrap();
        portspike_core::analyze_bytes(&bytes, portspike_core::Params::default())
    }

    #[test]
    fn a_flood_a_reflection_and_a_multi_vector_attack_each_read_as_one_sentence() {
        // The sentence that opens the first finding of `kind`, and the finding.
        fn of(r: &Report, kind: SpikeKind) -> (String, &SpikeReport) {
            let i = r.spikes.iter().position(|s| s.kind == kind).unwrap();
            let s = sentences(r, &when);
            let t = s
                .iter()
                .find(|x| x.target == Pick::Spike(i))
                .map(|x| x.text.clone())
                .unwrap_or_else(|| panic!("no sentence for {kind:?}: {s:?}"));
            (t, &r.spikes[i])
        }
        // A SYN flood: its port, its victim and how many attempts completed.
        let r = scenario("flood");
        let (t, sp) = of(&r, SpikeKind::Flood);
        assert!(
            t.contains(" flooded ")
                && t.contains(&format!(
                    "{} of {} connection attempts completed",
                    grouped(sp.completed),
                    grouped(sp.attempts)
                )),
            "{t}"
        );
        // An NTP reflection: its servers, the replies and its victim.
        let r = scenario("ntp");
        let (t, sp) = of(&r, SpikeKind::Reflection);
        assert!(
            t.contains(&format!(
                "sent {} replies nobody asked for to ",
                grouped(sp.packets)
            )),
            "{t}"
        );
        assert!(t.contains("123"), "the reflected port: {t}");
        // Memcached in fragments: the reflection and the fragments' flood are
        // one incident, one sentence naming both vectors and their shares.
        let r = scenario("memcached");
        let n = r
            .spikes
            .iter()
            .find(|s| s.kind == SpikeKind::Reflection)
            .and_then(|s| s.incident)
            .unwrap();
        let members = r.spikes.iter().filter(|s| s.incident == Some(n)).count();
        assert!(members >= 2, "{members} findings in the incident");
        let (t, _) = of(&r, SpikeKind::Reflection);
        assert!(t.contains("11211") && t.contains("% of its bytes"), "{t}");
        let sentences_of_incident = sentences(&r, &when)
            .iter()
            .filter(|x| match x.target {
                Pick::Spike(i) => r.spikes[i].incident == Some(n),
                _ => false,
            })
            .count();
        assert_eq!(sentences_of_incident, 1, "one sentence for the incident");
    }

    #[test]
    fn a_quiet_capture_says_so_with_its_size() {
        let mut r = sample();
        r.spikes.clear();
        r.scanners.clear();
        assert!(sentences(&r, &when).is_empty());
        let q = quiet(&r, false);
        assert!(
            q.starts_with(
                "Nothing that looks like an attack: 16,234 packets on 7 ports over 15 min"
            ),
            "{q}"
        );
        assert!(quiet(&r, true).contains("in the part read"));
    }
}
