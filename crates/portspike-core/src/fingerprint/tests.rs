use super::*;
use crate::fixture::{self, S, SYN, T0};

/// Web traffic to 10.0.0.1 (three clients); from minute 6:40, 2000
/// spoofed SYNs to its tcp/80 in 20 s, and 30 resolvers answering it
/// from udp/53, 20 answers each.
fn attack() -> Report {
    let mut c = fixture::quiet();
    for i in 0..2000u32 {
        let t = T0 + 400 * S + i64::from(i) * S / 100;
        let src = [172, 16, (i / 250) as u8, (i % 250) as u8 + 1];
        c.tcp(t, src, [10, 0, 0, 1], 1024 + i as u16, 80, SYN);
    }
    for r in 0..30u8 {
        for k in 0..20i64 {
            let t = T0 + 400 * S + k * S + i64::from(r) * S / 40;
            c.udp(t, [192, 0, 2, 10 + r], [10, 0, 0, 1], 53, 33000 + k as u16);
        }
    }
    crate::analyze_bytes(&c.pcap(), crate::Params::default())
}

fn spike<'a>(r: &'a mut Report, kind: &str) -> &'a mut SpikeReport {
    r.spikes.iter_mut().find(|s| s.kind == kind).unwrap()
}

fn json(fp: &Fingerprint) -> serde_json::Value {
    serde_json::to_value(fp).unwrap()
}

/// The fields of a JSON object, in the order written.
fn keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::Deserializer::deserialize_map(&mut de, Keys(&mut out)).unwrap();
    out
}

struct Keys<'a>(&'a mut Vec<String>);

impl<'de> serde::de::Visitor<'de> for Keys<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
            self.0.push(k);
        }
        Ok(())
    }
}

#[test]
fn a_flood_and_a_reflection_are_two_vectors_with_what_the_report_holds() {
    let r = attack();
    let flood = r.spikes.iter().find(|s| s.kind == "flood").unwrap();
    let dns = r.spikes.iter().find(|s| s.kind == "reflection").unwrap();
    assert_eq!(
        (flood.packets, flood.bytes, flood.sources),
        (2018, Some(108_972), 2003)
    );
    assert_eq!(
        (dns.packets, dns.bytes, dns.sources),
        (600, Some(30_000), 30)
    );
    let fp = fingerprint(&r).unwrap();
    let v = json(&fp);
    assert_eq!(
        keys(&fp.to_json_pretty()),
        [
            "attack_vectors",
            "target",
            "tags",
            "time_start",
            "time_end",
            "duration_seconds",
            "total_packets",
            "total_megabytes",
            "avg_bps",
            "avg_pps",
            "avg_Bpp"
        ]
    );
    // Fewest bytes first: the reflection, then the flood.
    let [refl, fl] = fp.attack_vectors.as_slice() else {
        panic!("{fp:?}")
    };
    assert_eq!(refl.service.as_deref(), Some("DNS"));
    assert_eq!(refl.protocol, "UDP");
    assert_eq!(refl.fraction_of_attack, Some(0.216));
    assert_eq!(refl.source_port, Some(53));
    assert_eq!(
        refl.destination_ports, None,
        "the victims' ports are not in the report"
    );
    assert_eq!(refl.tcp_flags, Some(None));
    assert_eq!((refl.nr_packets, refl.nr_megabytes), (600, Some(0)));
    assert_eq!(refl.time_start, "2026-03-02T09:06:40+00:00");
    assert_eq!(refl.duration_seconds, 20);
    assert_eq!(refl.source_ips, None, "30 sources, 10 listed");
    let refl_json = &v["attack_vectors"][0];
    assert_eq!(
        keys(&serde_json::to_string(refl).unwrap()),
        [
            "service",
            "protocol",
            "fraction_of_attack",
            "source_port",
            "tcp_flags",
            "nr_packets",
            "nr_megabytes",
            "time_start",
            "duration_seconds"
        ]
    );
    assert!(refl_json["tcp_flags"].is_null());

    assert_eq!(
        fl.service, None,
        "named from a source port the report does not hold"
    );
    assert_eq!(fl.protocol, "TCP");
    assert_eq!(fl.fraction_of_attack, Some(0.784));
    assert_eq!(fl.source_port, None);
    // 2012 of its 2018 packets to port 80 (the rest: the server's answers).
    assert_eq!(
        fl.destination_ports,
        Some(BTreeMap::from([("80".into(), 0.997)]))
    );
    assert_eq!(
        fl.tcp_flags, None,
        "the flag patterns are not in the report"
    );
    assert_eq!((fl.nr_packets, fl.nr_megabytes), (2018, Some(0)));
    assert_eq!(
        (fl.time_start.as_str(), fl.duration_seconds),
        ("2026-03-02T09:06:40+00:00", 20)
    );
    assert_eq!(fl.source_ips, None);
    assert_eq!(
        v["attack_vectors"][1]["destination_ports"],
        serde_json::json!({"80": 0.997})
    );
    assert!(v["attack_vectors"][1].get("tcp_flags").is_none());

    assert_eq!(fp.target.as_deref(), Some("10.0.0.1"));
    assert_eq!(
        fp.tags,
        [
            "Amplification attack",
            "Multi-vector attack",
            "TCP",
            "TCP flood attack",
            "UDP"
        ]
    );
    assert_eq!(fp.time_start, "2026-03-02T09:06:40+00:00");
    assert_eq!(fp.time_end, "2026-03-02T09:07:00+00:00");
    assert_eq!(fp.duration_seconds, 20);
    assert_eq!(fp.total_packets, 2618);
    assert_eq!(fp.total_megabytes, Some(0));
    // 138,972 bytes over 20 s; 2618 packets.
    assert_eq!(fp.avg_bps, Some(138_972 * 8 / 20));
    assert_eq!(fp.avg_pps, 2618 / 20);
    assert_eq!(fp.avg_bpp, Some(138_972 / 2618));
    // Distinct sources over both: neither lists all of its own.
    assert_eq!(fp.total_ips, None);
    // The flood's service is not known, nor the sources: no key.
    assert_eq!(fp.key, None);
}

#[test]
fn the_key_is_the_dissectors_digest_of_its_python_text() {
    let mut r = attack();
    r.spikes.retain(|s| s.kind == "reflection");
    let fp = fingerprint(&r).unwrap();
    assert_eq!(fp.total_ips, Some(30), "one finding's own count");
    assert_eq!(fp.attack_vectors[0].fraction_of_attack, Some(1.0));
    assert_eq!(fp.tags, ["Amplification attack", "UDP"]);
    assert_eq!(
        key_text(&fp).unwrap(),
        "[[AttackVector (100.0% of traffic) UDP, service: DNS]]\
         {'time_start': '2026-03-02T09:06:40+00:00', 'time_end': '2026-03-02T09:07:00+00:00', \
         'duration_seconds': 20, 'total_packets': 600, 'total_megabytes': 0, 'total_ips': 30, \
         'avg_bps': 12000, 'avg_pps': 30, 'avg_Bpp': 50}"
    );
    // As Python's hashlib.md5 of that text gives it.
    assert_eq!(fp.key.as_deref(), Some("6f26fbc2ad591b8e402851df157fc578"));
    assert_eq!(json(&fp)["key"], "6f26fbc2ad591b8e402851df157fc578");
}

/// Two reflections (udp/53 and udp/123), each listing all its sources,
/// five of them shared.
fn two_reflections() -> Report {
    let mut r = attack();
    r.spikes.retain(|s| s.kind == "reflection");
    let dns = spike(&mut r, "reflection");
    dns.sources = dns.top_sources.len() as u64;
    dns.estimated.clear();
    let mut ntp = dns.clone();
    ntp.port = 123;
    ntp.packets = 900;
    ntp.bytes = Some(2_345_678);
    ntp.start_ts += 5_500_000;
    ntp.end_ts += 30_000_000;
    for t in ntp.top_sources.iter_mut().skip(5) {
        t.addr = t.addr.replace("192.0.2.", "198.51.100.");
    }
    r.spikes.push(ntp);
    r
}

#[test]
fn complete_source_lists_give_the_addresses_and_their_union() {
    let fp = fingerprint(&two_reflections()).unwrap();
    let [dns, ntp] = fp.attack_vectors.as_slice() else {
        panic!("{fp:?}")
    };
    assert_eq!(dns.source_ips.as_ref().map(Vec::len), Some(10));
    assert_eq!(
        ntp.source_ips.as_ref().unwrap()[..6],
        [
            "192.0.2.10",
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.13",
            "192.0.2.14",
            "198.51.100.15"
        ]
    );
    assert_eq!(fp.total_ips, Some(15));
    assert_eq!(
        (dns.service.as_deref(), ntp.service.as_deref()),
        (Some("DNS"), Some("NTP"))
    );
    // 30,000 and 2,345,678 bytes.
    assert_eq!(
        (dns.fraction_of_attack, ntp.fraction_of_attack),
        (Some(0.013), Some(0.987))
    );
    assert_eq!((dns.nr_megabytes, ntp.nr_megabytes), (Some(0), Some(2)));
    assert_eq!(ntp.time_start, "2026-03-02T09:06:45.500000+00:00");
    assert_eq!(ntp.duration_seconds, 44);
    assert_eq!(fp.time_end, "2026-03-02T09:07:30+00:00");
    assert_eq!(fp.duration_seconds, 50);
    assert_eq!(fp.total_megabytes, Some(2));
    assert_eq!(fp.avg_bps, Some(2_375_678 * 8 / 50));
    assert_eq!(
        fp.tags,
        ["Amplification attack", "Multi-vector attack", "UDP"]
    );
    assert_eq!(
        key_text(&fp).unwrap(),
        "[[AttackVector (1.3% of traffic) UDP, service: DNS], \
         [AttackVector (98.7% of traffic) UDP, service: NTP]]\
         {'time_start': '2026-03-02T09:06:40+00:00', 'time_end': '2026-03-02T09:07:30+00:00', \
         'duration_seconds': 50, 'total_packets': 1500, 'total_megabytes': 2, 'total_ips': 15, \
         'avg_bps': 380108, 'avg_pps': 30, 'avg_Bpp': 1583}"
    );
    assert_eq!(fp.key.as_deref(), Some("c8367e5df8e60776cf4e2e5a63f708e4"));
}

#[test]
fn bytes_not_counted_leave_out_what_rests_on_them() {
    let mut r = two_reflections();
    r.spikes[1].bytes = None;
    let fp = fingerprint(&r).unwrap();
    // The report's order stays: no bytes to sort by.
    let [a, b] = fp.attack_vectors.as_slice() else {
        panic!("{fp:?}")
    };
    assert_eq!((a.source_port, b.source_port), (Some(53), Some(123)));
    assert_eq!((a.nr_megabytes, b.nr_megabytes), (Some(0), None));
    assert!(fp
        .attack_vectors
        .iter()
        .all(|v| v.fraction_of_attack.is_none()));
    assert_eq!(
        (fp.total_megabytes, fp.avg_bps, fp.avg_bpp),
        (None, None, None)
    );
    assert_eq!((fp.total_packets, fp.avg_pps), (1500, 30));
    assert_eq!(fp.key, None);
    let v = json(&fp);
    for k in ["total_megabytes", "avg_bps", "avg_Bpp", "key"] {
        assert!(v.get(k).is_none(), "{k}");
    }
    assert!(v["attack_vectors"][1].get("nr_megabytes").is_none());
    assert!(v["attack_vectors"][1].get("fraction_of_attack").is_none());
}

#[test]
fn estimated_talkers_leave_out_the_sources_target_and_ports() {
    let mut r = attack();
    let est = |f: &str| crate::report::Estimate {
        field: f.into(),
        rel_error: None,
    };
    let dns = spike(&mut r, "reflection");
    dns.sources = 3;
    dns.top_sources.truncate(3);
    let alone = {
        let mut r = r.clone();
        r.spikes.retain(|s| s.kind == "reflection");
        r
    };
    let fp = fingerprint(&alone).unwrap();
    assert_eq!(
        fp.attack_vectors[0].source_ips.as_ref().map(Vec::len),
        Some(3)
    );
    assert_eq!(fp.total_ips, Some(3));
    spike(&mut r, "reflection").estimated.push(est("sources"));
    let flood = spike(&mut r, "flood");
    flood.estimated = vec![est("destinations"), est("top_destinations")];
    let fp = fingerprint(&r).unwrap();
    assert!(fp.attack_vectors.iter().all(|v| v.source_ips.is_none()));
    assert_eq!(fp.total_ips, None);
    // The flood's destinations are estimates: no target, and its
    // sources (2003, ten listed) do not give its port's share either.
    assert_eq!(fp.target, None);
    assert_eq!(fp.attack_vectors[1].destination_ports, None);
}

#[test]
fn several_victims_leave_the_target_out() {
    let mut r = attack();
    let dns = spike(&mut r, "reflection");
    let mut other = dns.top_destinations[0].clone();
    other.addr = "10.0.0.2".into();
    other.packets = 300;
    dns.top_destinations[0].packets = 300;
    dns.top_destinations.push(other);
    dns.destinations = 2;
    assert_eq!(fingerprint(&r).unwrap().target, None);
    // One victim each, but not the same one.
    spike(&mut r, "reflection").top_destinations[1].packets = 301;
    assert_eq!(fingerprint(&r).unwrap().target, None);
    r.spikes.retain(|s| s.kind == "reflection");
    assert_eq!(fingerprint(&r).unwrap().target.as_deref(), Some("10.0.0.2"));
}

#[test]
fn no_attack_finding_no_fingerprint() {
    // A sweep is a scan.
    let mut r = crate::analyze_bytes(&fixture::incident(), crate::Params::default());
    assert!(r.spikes.iter().any(|s| s.kind == "sweep"));
    assert_eq!(fingerprint(&r), None);
    for s in &mut r.spikes {
        s.kind = crate::report::SpikeKind::Surge;
    }
    assert_eq!(fingerprint(&r), None);
    r.spikes.clear();
    assert_eq!(fingerprint(&r), None);
}

#[test]
fn services_are_named_as_the_dissector_names_them() {
    assert_eq!(service(Proto::Udp, 53).as_deref(), Some("DNS"));
    assert_eq!(service(Proto::Udp, 11211).as_deref(), Some("MEMCACHED"));
    assert_eq!(service(Proto::Udp, 1900).as_deref(), Some("SSDP"));
    assert_eq!(service(Proto::Udp, 5060).as_deref(), Some("SIP"));
    assert_eq!(service(Proto::Tcp, 53).as_deref(), Some("DOMAIN"));
    assert_eq!(service(Proto::Tcp, 80).as_deref(), Some("HTTP"));
    assert_eq!(service(Proto::Tcp, 443).as_deref(), Some("HTTPS"));
    // Named otherwise (imap2) or not at all by the dissector's system.
    assert_eq!(service(Proto::Tcp, 143), None);
    assert_eq!(service(Proto::Tcp, 8443), None);
    // Not in our table: unknown, not "no service".
    assert_eq!(service(Proto::Udp, 9), None);
}

#[test]
fn numbers_and_times_are_written_as_python_writes_them() {
    assert_eq!(
        isoformat(1_772_442_400_000_000),
        "2026-03-02T09:06:40+00:00"
    );
    assert_eq!(
        isoformat(1_772_442_400_000_123),
        "2026-03-02T09:06:40.000123+00:00"
    );
    // Ties to even, on the exact binary value.
    assert_eq!(py_round(0.25, 1), 0.2);
    assert_eq!(py_round(2.675, 2), 2.67);
    assert_eq!(py_round(2.0 / 3.0, 3), 0.667);
    assert_eq!(py_repr(py_round(0.667 * 100.0, 1)), "66.7");
    assert_eq!(py_repr(100.0), "100.0");
    assert_eq!(py_repr(0.0), "0.0");
    assert_eq!((megabytes(1_999_999), seconds(0, 1_999_999)), (1, 1));
}
