//! A report's attack as a DDoS Clearing House fingerprint: the JSON the
//! Clearing House's dissector (github.com/NLADC/dissector) writes for a
//! capture and DDoS-DB and MISP take in, in its `fingerprint_format.md`
//! and as its code fills each field (names, types, units, time format).
//!
//! One attack vector per attack finding (flood, reflection, backscatter):
//! a sweep is a scan, not a denial of service, and a surge is ordinary
//! growth, so neither makes a vector. A field the report cannot fill is
//! left out, never guessed: see [`fingerprint`] for which, and why.

use crate::decode::Proto;
use crate::report::{Report, SpikeReport};
use crate::services;
use md5::{Digest, Md5};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A fingerprint: the attack's vectors and its summary, the fields in the
/// dissector's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fingerprint {
    /// Fewest bytes first, as the dissector sorts them.
    pub attack_vectors: Vec<AttackVector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Sorted (the dissector's come in no particular order).
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub time_start: String,
    pub time_end: String,
    pub duration_seconds: u64,
    pub total_packets: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_megabytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_ips: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_bps: Option<u64>,
    pub avg_pps: u64,
    #[serde(rename = "avg_Bpp", skip_serializing_if = "Option::is_none")]
    pub avg_bpp: Option<u64>,
}

/// One attack vector: one finding's packets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackVector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `TCP` or `UDP`.
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction_of_attack: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_port: Option<u16>,
    /// Port (as a string) to the fraction of the vector's packets sent to
    /// it, `others` for the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_ports: Option<BTreeMap<String, f64>>,
    /// `Some(None)` (null) for UDP, as the format has it for any protocol
    /// but TCP; absent for TCP (see [`fingerprint`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_flags: Option<Option<BTreeMap<String, f64>>>,
    pub nr_packets: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr_megabytes: Option<u64>,
    pub time_start: String,
    pub duration_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ips: Option<Vec<String>>,
}

impl Fingerprint {
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The UDP services the dissector names from its own table before asking
/// the system (its `AMPLIFICATION_SERVICES`): a vector from one of these
/// ports is tagged an amplification.
const AMPLIFICATION: &[(u16, &str)] = &[
    (17, "Quote of the Day"),
    (19, "Chargen"),
    (53, "DNS"),
    (69, "TFTP"),
    (111, "TPC"),
    (123, "NTP"),
    (137, "NetBios"),
    (161, "SNMP"),
    (177, "XDMCP"),
    (389, "LDAP"),
    (500, "ISAKMP"),
    (520, "RIPv1"),
    (623, "IPMI"),
    (1434, "MS SQL"),
    (1900, "SSDP"),
    (3283, "Apple Remote Desktop"),
    (3389, "Windows Remote Desktop"),
    (3702, "WS-Discovery"),
    (5093, "Sentinel"),
    (5351, "NAT-PMP"),
    (5353, "mDNS"),
    (5683, "CoAP"),
    (10074, "Mitel MiColab"),
    (11211, "MEMCACHED"),
    (27015, "Steam"),
    (32414, "Plex Media"),
    (33848, "Jenkins"),
    (37810, "DHDiscover"),
];

/// Ports outside [`AMPLIFICATION`] that [`services::name`] names otherwise
/// than the system's service database the dissector asks (Python's
/// `socket.getservbyport`) in its Docker image (Debian 12: netbase 6.4's
/// `/etc/services`), which names some differently and most of these not
/// at all: their service is left out.
const NOT_AS_THE_DISSECTOR: &[(Proto, u16)] = &[
    (Proto::Tcp, 143),
    (Proto::Tcp, 1521),
    (Proto::Tcp, 1723),
    (Proto::Tcp, 1883),
    (Proto::Tcp, 2375),
    (Proto::Tcp, 2376),
    (Proto::Tcp, 3128),
    (Proto::Tcp, 3478),
    (Proto::Udp, 3478),
    (Proto::Tcp, 5061),
    (Proto::Udp, 5355),
    (Proto::Tcp, 5900),
    (Proto::Tcp, 5985),
    (Proto::Tcp, 5986),
    (Proto::Tcp, 6443),
    (Proto::Tcp, 8000),
    (Proto::Tcp, 8443),
    (Proto::Tcp, 8883),
    (Proto::Tcp, 9000),
    (Proto::Tcp, 9092),
    (Proto::Tcp, 9100),
    (Proto::Tcp, 9200),
    (Proto::Tcp, 11211),
    (Proto::Tcp, 27017),
];

/// The service the dissector names a vector from `port` by: its own name
/// for an amplified UDP service, else the system's name in capitals.
fn service(proto: Proto, port: u16) -> Option<String> {
    if proto == Proto::Udp {
        if let Some((_, name)) = AMPLIFICATION.iter().find(|(p, _)| *p == port) {
            return Some((*name).to_string());
        }
    }
    if NOT_AS_THE_DISSECTOR.contains(&(proto, port)) {
        return None;
    }
    services::name(proto, port).map(str::to_uppercase)
}

/// The protocol as tshark's protocol column names it: later fragments
/// show as "IPv4" there, another IP protocol by its name.
fn protocol(proto: Proto, port: u16) -> String {
    match proto {
        Proto::Tcp => "TCP".into(),
        Proto::Udp => "UDP".into(),
        Proto::Icmp => "ICMP".into(),
        Proto::Icmpv6 => "ICMPv6".into(),
        Proto::Fragment => "IPv4".into(),
        Proto::Ip => match services::name(proto, port) {
            Some(n) if port != services::OTHER_IP => n.to_uppercase(),
            _ => "IP".into(),
        },
    }
}

/// Bytes to megabytes as the dissector counts them: 10^6, rounded down.
fn megabytes(bytes: u64) -> u64 {
    bytes / 1_000_000
}

/// Whole seconds from `t0` to `t1` (µs), rounded down.
fn seconds(t0: i64, t1: i64) -> u64 {
    u64::try_from((t1 - t0).max(0) / 1_000_000).unwrap_or(0)
}

/// A time as the dissector writes it (Python's `isoformat()` of a UTC
/// time): `2026-03-02T10:28:00+00:00`, the microseconds only when not zero.
fn isoformat(us: i64) -> String {
    let iso = crate::export::iso8601(us);
    let t = iso.strip_suffix('Z').unwrap_or(&iso);
    let t = t.strip_suffix(".000000").unwrap_or(t);
    format!("{t}+00:00")
}

/// Python's `round(x, digits)`: the decimal nearest to `x`'s exact value,
/// ties to even (as Rust's formatting rounds), read back.
fn py_round(x: f64, digits: usize) -> f64 {
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// Python's `repr` of a float between 1e-4 and 1e16 (or 0): the shortest
/// decimal that reads back, a whole number with `.0`.
fn py_repr(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// A finding's talkers counted from its port (what the port sends):
/// `direction` as the report gives it, else as it would be counted.
fn from_port(report: &Report, s: &SpikeReport) -> bool {
    match s.direction.as_deref() {
        Some(d) => d == "from_port",
        None => crate::detect::direction_of(s.kind, report.params.key) == "from_port",
    }
}

/// The finding's sources, all of them, when its list holds them all.
fn all_sources(s: &SpikeReport) -> Option<Vec<String>> {
    let complete = !s.estimated("sources")
        && !s.estimated("top_sources")
        && usize::try_from(s.sources).is_ok_and(|n| n <= s.top_sources.len());
    complete.then(|| s.top_sources.iter().map(|t| t.addr.clone()).collect())
}

/// Packets the finding's talkers sent the way it counts them (to its port,
/// or from it), exactly: the sum over a list of talkers that holds them all.
fn along(s: &SpikeReport) -> Option<u64> {
    let complete = |n: u64, list: &[crate::report::AddrCount], fields: [&str; 2]| {
        (!fields.iter().any(|f| s.estimated(f))
            && usize::try_from(n).is_ok_and(|n| n <= list.len()))
        .then(|| list.iter().map(|t| t.packets).sum())
    };
    complete(
        s.destinations,
        &s.top_destinations,
        ["destinations", "top_destinations"],
    )
    .or_else(|| complete(s.sources, &s.top_sources, ["sources", "top_sources"]))
}

/// The address that received more than half of the finding's packets (the
/// dissector's rule for a target), when its talkers' counts are exact.
fn majority(s: &SpikeReport) -> Option<&str> {
    if s.estimated("top_destinations") {
        return None;
    }
    s.top_destinations
        .iter()
        .find(|d| d.packets.saturating_mul(2) > s.packets)
        .map(|d| d.addr.as_str())
}

/// The fingerprint of `report`'s attack findings (flood, reflection,
/// backscatter), one attack vector each; `None` when it has none. Sweeps
/// are scans, not denials of service, and are left out.
///
/// A vector:
/// - `protocol`: `TCP` or `UDP`; `nr_packets`: the finding's packets (its
///   filter's, so its `answers` the other way too); `time_start` and
///   `duration_seconds`: its window (whole bins, so up to a bin earlier
///   and longer than its first and last packet), in whole seconds rounded
///   down. Times are UTC (`+00:00`), as the dissector writes them.
/// - For a finding counted from its port (reflection, backscatter):
///   `source_port` is the port and `service` its name as the dissector
///   gives it (its own name for an amplified UDP service, else the
///   system's in capitals). `destination_ports` (the victims' ports) is
///   left out: the report does not hold them.
/// - For one counted to its port (flood): `destination_ports` is the port
///   with the share of the vector's packets sent to it (and `others`),
///   when its talkers are all listed; `source_port` (the sources' ports)
///   and `service` (named from the source port) are left out.
/// - `nr_megabytes` (10^6 bytes, rounded down) when the finding's bytes
///   are counted (the evidence pass); `fraction_of_attack` (its bytes over
///   all vectors', to three decimals) when every vector's are.
/// - `source_ips` when the finding lists all its sources.
/// - `tcp_flags`: null for UDP, as the format has it; left out for TCP:
///   the dissector lists each exact flag combination (`......S.`, the
///   converter's `CEUAPRSF` order) and the report counts SYN, SYN-ACK,
///   RST and FIN by their main flag only, which does not give them.
///
/// The attack: `time_start`, `time_end` and `duration_seconds` span the
/// vectors' windows; `total_packets` and `avg_pps` add their packets;
/// `total_megabytes`, `avg_bps` and `avg_Bpp` their bytes, when all are
/// counted; `total_ips` is the number of distinct sources when every
/// finding lists all of its own, or one finding's count of them. `target`
/// is the address that received more than half of each vector's packets
/// (the dissector's rule), when it is the same for all; a carpet bombing's
/// several targets are left out. `tags` are those the dissector would give
/// that the report supports: the protocols, `Multi-vector attack`,
/// `Amplification attack` (a reflected UDP service of its list), `<PROTO>
/// flood attack` (a flood, whose service is not known) — not its TCP
/// flag tags. `key` is the dissector's MD5 of the vectors' and the
/// summary's Python text, when all of its parts are known. Other fields of
/// the format (`ttl`, `frame_len`, `dns_query_name`…) are not in a report.
pub fn fingerprint(report: &Report) -> Option<Fingerprint> {
    let attacks: Vec<&SpikeReport> = report
        .spikes
        .iter()
        .filter(|s| s.is_attack() && s.kind != crate::report::SpikeKind::Sweep)
        .collect();
    if attacks.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u64>> = attacks.iter().map(|s| s.bytes).collect();
    let total_bytes: Option<u64> = bytes.as_ref().map(|b| b.iter().sum());
    let mut vectors: Vec<(u64, AttackVector)> = attacks
        .iter()
        .map(|s| {
            let outward = from_port(report, s);
            let fraction = total_bytes
                .filter(|t| *t > 0)
                .zip(s.bytes)
                .map(|(t, b)| py_round(b as f64 / t as f64, 3));
            // A row without ports (ICMP, another protocol, fragments) has
            // neither source nor destination port.
            let ported = s.proto.has_ports();
            let destination_ports = (!outward && ported)
                .then(|| along(s))
                .flatten()
                .filter(|_| s.packets > 0)
                .map(|n| n as f64 / s.packets as f64)
                // The dissector lists a port with more than a tenth of the packets.
                .filter(|f| *f > 0.1)
                .map(|f| {
                    let f = py_round(f, 3);
                    let mut m = BTreeMap::from([(s.port.to_string(), f)]);
                    if f < 0.99 {
                        m.insert("others".into(), py_round(1.0 - f, 3));
                    }
                    m
                });
            let v = AttackVector {
                service: (outward && ported)
                    .then(|| service(s.proto, s.port))
                    .flatten(),
                protocol: protocol(s.proto, s.port),
                fraction_of_attack: fraction,
                source_port: (outward && ported).then_some(s.port),
                destination_ports,
                tcp_flags: (s.proto != Proto::Tcp).then_some(None),
                nr_packets: s.packets,
                nr_megabytes: s.bytes.map(megabytes),
                time_start: isoformat(s.start_ts),
                duration_seconds: seconds(s.start_ts, s.end_ts),
                source_ips: all_sources(s),
            };
            (s.bytes.unwrap_or(0), v)
        })
        .collect();
    let t0 = attacks.iter().map(|s| s.start_ts).min().unwrap_or(0);
    let t1 = attacks.iter().map(|s| s.end_ts).max().unwrap_or(t0);
    let duration = seconds(t0, t1);
    let packets: u64 = attacks.iter().map(|s| s.packets).sum();
    // Rates over the span itself, not its whole seconds: an attack over in
    // under a second still has one.
    let span_us = u128::from(u64::try_from((t1 - t0).max(1)).unwrap_or(1));
    let per_second =
        |n: u64| u64::try_from(u128::from(n) * 1_000_000 / span_us).unwrap_or(u64::MAX);
    let lists: Option<Vec<Vec<String>>> = attacks.iter().map(|s| all_sources(s)).collect();
    let total_ips = match (lists, attacks.as_slice()) {
        (Some(lists), _) => Some(lists.into_iter().flatten().collect::<BTreeSet<_>>().len() as u64),
        (None, [one]) => (!one.estimated("sources")).then_some(one.sources),
        _ => None,
    };
    let target = {
        let each: Option<BTreeSet<&str>> = attacks.iter().map(|s| majority(s)).collect();
        each.filter(|t| t.len() == 1)
            .and_then(|t| t.first().map(|a| (*a).to_string()))
    };
    // The dissector's order: fewest bytes first (a stable sort).
    if bytes.is_some() {
        vectors.sort_by_key(|(b, _)| *b);
    }
    let attack_vectors: Vec<AttackVector> = vectors.into_iter().map(|(_, v)| v).collect();
    let mut fp = Fingerprint {
        tags: tags(&attacks, &attack_vectors),
        attack_vectors,
        target,
        key: None,
        time_start: isoformat(t0),
        time_end: isoformat(t1),
        duration_seconds: duration,
        total_packets: packets,
        total_megabytes: total_bytes.map(megabytes),
        total_ips,
        avg_bps: total_bytes.map(|b| per_second(b.saturating_mul(8))),
        avg_pps: per_second(packets),
        avg_bpp: total_bytes.and_then(|b| b.checked_div(packets)),
    };
    fp.key = key_text(&fp).map(|text| crate::export::hex(&Md5::digest(text.as_bytes())));
    Some(fp)
}

/// The tags the dissector would give that the findings support.
fn tags(attacks: &[&SpikeReport], vectors: &[AttackVector]) -> Vec<String> {
    let mut tags = BTreeSet::new();
    if vectors.len() > 1 {
        tags.insert("Multi-vector attack".to_string());
    }
    for v in vectors {
        tags.insert(v.protocol.clone());
        let amplified = v.protocol == "UDP"
            && v.source_port
                .is_some_and(|p| AMPLIFICATION.iter().any(|(a, _)| *a == p));
        if amplified {
            tags.insert("Amplification attack".into());
        }
    }
    for s in attacks {
        if s.kind == crate::report::SpikeKind::Flood {
            tags.insert(format!("{} flood attack", protocol(s.proto, s.port)));
        }
    }
    tags.into_iter().collect()
}

/// What the dissector's key digests: `str(attack_vectors) + str(summary)`
/// in Python, each vector as `[AttackVector (95.5% of traffic) UDP,
/// service: DNS]` and the summary as a dict; `None` when a part of it is
/// left out of the fingerprint.
fn key_text(fp: &Fingerprint) -> Option<String> {
    let vectors: Option<Vec<String>> = fp
        .attack_vectors
        .iter()
        .map(|v| {
            let percent = py_round(v.fraction_of_attack? * 100.0, 1);
            Some(format!(
                "[AttackVector ({}% of traffic) {}, service: {}]",
                py_repr(percent),
                v.protocol,
                v.service.as_deref()?
            ))
        })
        .collect();
    Some(format!(
        "[{}]{{'time_start': '{}', 'time_end': '{}', 'duration_seconds': {}, \
         'total_packets': {}, 'total_megabytes': {}, 'total_ips': {}, 'avg_bps': {}, \
         'avg_pps': {}, 'avg_Bpp': {}}}",
        vectors?.join(", "),
        fp.time_start,
        fp.time_end,
        fp.duration_seconds,
        fp.total_packets,
        fp.total_megabytes?,
        fp.total_ips?,
        fp.avg_bps?,
        fp.avg_pps,
        fp.avg_bpp?,
    ))
}

#[cfg(test)]
mod tests;
