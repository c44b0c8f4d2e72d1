//! Exactness against the reference tools, live: per-port packet totals with
//! `--by dst-port` against tshark's, and packet count, first/last timestamp
//! and link types against capinfos, on every file in ../shared/captures.
//!
//! The rules where the two legitimately differ are written here:
//! - an ICMP/ICMPv6 frame counts in its type's row (a quoted header is not
//!   that packet's port), a later fragment in its protocol's, any other IP
//!   packet in its protocol's (the unnamed ones together);
//! - tshark lists pcapng custom blocks as frames; capinfos (and we) count packets only;
//! - Solaris snoop is not pcap/pcapng: we refuse it with a clear error;
//! - out-of-range timestamp fractions (timestamp_invalid_*): Wireshark shows the
//!   raw fraction, we drop it (and warn), so the last timestamp differs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const NOT_PCAP: &[&str] = &["pcapplusplus__solaris.snoop"];
/// An IPv4 header whose length runs past the frame: tshark shows its
/// fields, we count the frame as undecodable (in `no_row`).
const BAD_IP_HEADER: &[&str] = &["pcapplusplus__ip4_bad_fragment.pcap"];
const RAW_FRACTION: &[&str] = &[
    "tcpdump__timestamp_invalid_micro.pcap",
    "tcpdump__timestamp_invalid_nano.pcap",
];

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "MANIFEST.tsv"))
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn ours(p: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(["analyze", "--json", "--by", "dst-port", "--series-top", "0"])
        .arg(p)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn tool(cmd: &str, args: &[&str], p: &Path) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .arg(p)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is needed (apt-get install tshark): {e}"));
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Each frame's row as tshark shows it (first occurrences: the outer
/// layer), by the report's naming: a TCP/UDP destination port, an ICMP or
/// ICMPv6 type, a later fragment's protocol, another IP protocol.
fn tshark_ports(p: &Path) -> BTreeMap<String, u64> {
    let fields = [
        "tcp.dstport",
        "udp.dstport",
        "icmp.type",
        "icmpv6.type",
        "ip.frag_offset",
        "ip.proto",
        "ipv6.fraghdr.offset",
        "ipv6.fraghdr.nxt",
        "ipv6.nxt",
    ];
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
    ])
    .args(["-T", "fields", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .arg("-r")
        .arg(p)
        .output()
        .expect("tshark is needed (apt-get install tshark)");
    let row = |n: &str| portspike_core::services::ip_row(n.parse().unwrap_or(0));
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        // The outer layer's value, or (IP protocols, behind tunnels) the inner one's.
        let get = |i: usize| f.get(i).and_then(|v| v.split(',').next()).unwrap_or("");
        let inner = |i: usize| {
            f.get(i)
                .and_then(|v| v.split(',').next_back())
                .unwrap_or("")
        };
        let set = |i: usize| !get(i).is_empty();
        let later = |i: usize| set(i) && get(i) != "0";
        let key = if set(2) {
            format!("icmp/{}", get(2))
        } else if set(3) {
            format!("icmpv6/{}", get(3))
        } else if set(0) {
            format!("tcp/{}", get(0))
        } else if set(1) {
            format!("udp/{}", get(1))
        } else if later(4) {
            format!("fragment/{}", row(get(5)))
        } else if later(6) {
            format!("fragment/{}", row(get(7)))
        } else if set(5) {
            format!("ip/{}", row(inner(5)))
        } else if set(8) {
            format!("ip/{}", row(inner(8)))
        } else {
            continue;
        };
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

fn our_ports(r: &serde_json::Value) -> BTreeMap<String, u64> {
    r["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!("{}/{}", p["proto"].as_str().unwrap(), p["port"]),
                p["totals"]["packets"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn per_port_totals_equal_tsharks() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for p in corpus() {
        let n = name(&p);
        let r = ours(&p);
        if NOT_PCAP.contains(&n.as_str()) {
            assert_eq!(r["capture"]["error"]["code"], "not_a_capture", "{n}");
            continue;
        }
        let (a, mut b) = (our_ports(&r), tshark_ports(&p));
        if BAD_IP_HEADER.contains(&n.as_str()) {
            assert_eq!(r["capture"]["no_row"]["packets"], 1, "{n}");
            b.remove("fragment/256");
        }
        if a != b {
            let diff: Vec<String> = a
                .keys()
                .chain(b.keys())
                .filter(|k| a.get(*k) != b.get(*k))
                .map(|k| format!("{k}: ours {:?} tshark {:?}", a.get(k), b.get(k)))
                .collect();
            mismatches.push(format!("{n}: {}", diff.join(", ")));
        }
        compared += 1;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared >= 75, "compared {compared} files");
}

/// capinfos prints seconds with as many decimals as the capture's resolution
/// (2 for 2^-8 s, 6 for µs, 9 for ns); to µs, truncating, with the unit (µs)
/// of the last printed digit.
fn secs_to_us(s: &str) -> Option<(i64, i64)> {
    let (int, frac) = s.trim().split_once('.')?;
    let digits = frac.len().min(6);
    let mut frac: String = frac.chars().take(6).collect();
    while frac.len() < 6 {
        frac.push('0');
    }
    let unit = 10i64.pow(6 - digits as u32);
    let us = int.parse::<i64>().ok()?.checked_mul(1_000_000)?;
    Some((us.checked_add(frac.parse::<i64>().ok()?)?, unit))
}

/// Our µs timestamp at capinfos' printed precision.
fn at_precision(ts: &serde_json::Value, unit: i64) -> Option<i64> {
    ts.as_i64().map(|t| t.div_euclid(unit) * unit)
}

fn encap_linktypes(name: &str) -> Option<&'static [u64]> {
    Some(match name {
        "ether" => &[1],
        "null" => &[0],
        "loop" => &[108],
        "linux-sll" => &[113],
        "linux-sll2" => &[276],
        "rawip" => &[101, 12, 14],
        "rawip4" => &[228],
        "rawip6" => &[229],
        "ieee-802-11" => &[105],
        "ieee-802-11-radiotap" => &[127],
        "ppi" => &[192],
        "nflog" => &[239],
        "arcnet_linux" => &[129],
        "netlink" => &[253],
        "vsock" => &[271],
        _ => return None,
    })
}

#[test]
fn packets_times_and_link_types_equal_capinfos() {
    let mut checked = 0;
    for p in corpus() {
        let n = name(&p);
        if NOT_PCAP.contains(&n.as_str()) {
            continue;
        }
        let Some(out) = tool("capinfos", &["-T", "-r", "-c", "-a", "-e", "-S", "-E"], &p) else {
            // capinfos refuses the file: so must we, with an offset.
            let r = ours(&p);
            assert!(
                r["capture"]["error"]["offset"].is_u64(),
                "{n}: capinfos fails, we do not"
            );
            continue;
        };
        let r = ours(&p);
        let c = &r["capture"];
        let cols: Vec<&str> = out.trim_end().split('\t').collect();
        // file, encapsulation, packets, start, end
        let (encap, packets, start, end) = (cols[1], cols[2], cols[3], cols[4]);
        assert_eq!(
            c["packets"].as_u64().unwrap().to_string(),
            packets,
            "{n}: packets"
        );
        if let (Some((a, ua)), Some((b, ub))) = (secs_to_us(start), secs_to_us(end)) {
            assert_eq!(
                at_precision(&c["first_ts"], ua),
                Some(a),
                "{n}: first timestamp"
            );
            if !RAW_FRACTION.contains(&n.as_str()) {
                assert_eq!(
                    at_precision(&c["last_ts"], ub),
                    Some(b),
                    "{n}: last timestamp"
                );
            }
        }
        let ours_lt: Vec<u64> = c["link_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["linktype"].as_u64().unwrap())
            .collect();
        match encap {
            // No packets: nothing to compare.
            _ if ours_lt.is_empty() => assert_eq!(packets, "0", "{n}"),
            "per-packet" => assert!(ours_lt.len() != 1, "{n}: per-packet but {ours_lt:?}"),
            e => {
                let want =
                    encap_linktypes(e).unwrap_or_else(|| panic!("{n}: unmapped encapsulation {e}"));
                assert!(
                    ours_lt.iter().all(|l| want.contains(l)),
                    "{n}: {e} vs {ours_lt:?}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 60, "checked {checked}");
}

#[test]
fn each_spikes_wireshark_filter_selects_its_packets() {
    let dir = std::env::temp_dir().join(format!("portspike-filter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for scenario in ["sample", "flood", "backscatter"] {
        let file = dir.join(format!("{scenario}.pcap"));
        let st = Command::new(env!("CARGO_BIN_EXE_portspike"))
            .args(["synth", "--scenario", scenario, "-o"])
            .arg(&file)
            .status()
            .unwrap();
        assert!(st.success());
        let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
            .args(["analyze", "--json"])
            .arg(&file)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for s in r["spikes"].as_array().unwrap() {
            let filter = s["wireshark_filter"].as_str().unwrap();
            let out = Command::new("tshark")
                .args(["-n", "-r"])
                .arg(&file)
                .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
                .output()
                .expect("tshark");
            let n = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
            assert_eq!(Some(n), s["packets"].as_u64(), "{scenario}: {filter}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked} spikes checked");
}
