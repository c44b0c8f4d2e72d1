//! Every number on a finding is one tshark reproduces with the finding's own
//! filter: for each finding and scanner of every shared capture that has
//! one, and of the generated scenarios (alone and over real corpus
//! traffic), tshark reads the packets the report's filter selects and the
//! counts are made from its fields: packets, bytes, distinct sources and
//! destinations, the top talkers (each also counted with its own filter),
//! the TCP flag mix, the packets the other way; for a scanner, its probes
//! (`probe_filter`): contacts, targets, ports, the top ports and targets,
//! and the (host, port) pairs that answered. A field the report marks as
//! estimated must be within its stated bound instead.
//!
//! tshark runs with IP reassembly off (`ip.defragment:FALSE`), so a
//! fragmented datagram's ports sit on its first fragment, as ours do.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures")
}

fn portspike(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .output()
        .unwrap()
}

fn report(file: &Path) -> serde_json::Value {
    let out = portspike(&[
        "analyze",
        "-q",
        "--no-hash",
        "--json",
        file.to_str().unwrap(),
    ]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// tshark's fields (last occurrence: the innermost header) of the packets
/// `filter` selects, one map per packet.
fn fields(file: &Path, filter: &str, names: &[&str]) -> Vec<HashMap<String, String>> {
    let mut c = Command::new("tshark");
    c.args([
        "-n",
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
    ])
    .arg("-r")
    .arg(file)
    .args(["-Y", filter, "-T", "fields", "-E", "occurrence=l"]);
    for n in names {
        c.args(["-e", n]);
    }
    let out = c
        .output()
        .expect("tshark is needed (apt-get install tshark)");
    assert!(
        out.status.success(),
        "tshark -Y {filter:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            names
                .iter()
                .zip(l.split('\t'))
                .filter(|(_, v)| !v.is_empty())
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn count(file: &Path, filter: &str) -> u64 {
    fields(file, filter, &["frame.number"]).len() as u64
}

fn get<'a>(p: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    p.get(k).map(String::as_str)
}

fn addr<'a>(p: &'a HashMap<String, String>, role: &str) -> Option<&'a str> {
    get(p, &format!("ip.{role}")).or_else(|| get(p, &format!("ipv6.{role}")))
}

fn hex(v: &str) -> u64 {
    u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
}

const PACKET: &[&str] = &[
    "frame.len",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "tcp.flags",
    "icmp.type",
    "icmpv6.type",
    "frame.time_epoch",
];

/// `1772442540.123456789` as µs since the epoch.
fn epoch_us(v: &str) -> i64 {
    let (sec, frac) = v.split_once('.').unwrap_or((v, "0"));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    sec.parse::<i64>().unwrap() * 1_000_000 + frac.parse::<i64>().unwrap()
}

/// A count the report gives, against the reference: equal, or within the
/// bound where the report marks the field estimated.
fn check(label: &str, f: &serde_json::Value, field: &str, ours: u64, truth: u64) {
    let est = f["estimated"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["field"] == field);
    match est {
        None => assert_eq!(ours, truth, "{label}: {field}"),
        Some(e) => {
            let bound = e["rel_error"].as_f64().unwrap_or(1.0) * 4.0;
            let err = (ours as f64 - truth as f64).abs() / (truth.max(1) as f64);
            assert!(
                err <= bound,
                "{label}: {field} {ours} is not within ±{bound} of {truth}"
            );
        }
    }
}

fn estimated(f: &serde_json::Value, field: &str) -> bool {
    f["estimated"]
        .as_array()
        .is_some_and(|v| v.iter().any(|e| e["field"] == field))
}

/// One finding against tshark. Returns the numbers compared.
fn spike(file: &Path, label: &str, s: &serde_json::Value) -> usize {
    let filter = s["wireshark_filter"].as_str().unwrap();
    let proto = s["proto"].as_str().unwrap();
    let port = s["port"].as_u64().unwrap().to_string();
    let from_port = s["direction"] == "from_port";
    let pk = fields(file, filter, PACKET);
    let (mut flags, mut answers) = ([0u64; 5], 0u64);
    let mut srcs: BTreeMap<String, u64> = BTreeMap::new();
    let mut dsts: BTreeMap<String, u64> = BTreeMap::new();
    // A row without ports (ICMP, another protocol, fragments): every packet
    // its filter selects counts its sender and receiver.
    let ported = proto == "tcp" || proto == "udp";
    for p in &pk {
        if ported && (p.contains_key("icmp.type") || p.contains_key("icmpv6.type")) {
            continue;
        }
        let (sp, dp) = (
            get(p, &format!("{proto}.srcport")),
            get(p, &format!("{proto}.dstport")),
        );
        if ported && sp.is_none() && dp.is_none() {
            continue;
        }
        if let Some(f) = get(p, "tcp.flags").map(hex).filter(|_| proto == "tcp") {
            let (syn, ack, rst, fin) = (f & 2 != 0, f & 0x10 != 0, f & 4 != 0, f & 1 != 0);
            let i = if syn && !ack {
                0
            } else if syn {
                1
            } else if rst {
                2
            } else if fin {
                3
            } else {
                4
            };
            flags[i] += 1;
        }
        let along = if !ported {
            true
        } else if from_port {
            sp == Some(port.as_str())
        } else {
            dp == Some(port.as_str())
        };
        if along {
            *srcs.entry(addr(p, "src").unwrap().to_string()).or_default() += 1;
            *dsts.entry(addr(p, "dst").unwrap().to_string()).or_default() += 1;
        } else {
            answers += 1;
        }
    }
    let bytes: u64 = pk
        .iter()
        .map(|p| get(p, "frame.len").unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        s["packets"].as_u64(),
        Some(pk.len() as u64),
        "{label}: packets"
    );
    assert_eq!(s["bytes"].as_u64(), Some(bytes), "{label}: bytes");
    rates(label, s, &pk, bytes);
    assert_eq!(s["answers"].as_u64(), Some(answers), "{label}: answers");
    let f = &s["flags"];
    let ours = ["syn", "synack", "rst", "fin", "other"].map(|k| f[k].as_u64().unwrap());
    assert_eq!(ours, flags, "{label}: flags");
    check(
        label,
        s,
        "sources",
        s["sources"].as_u64().unwrap(),
        srcs.len() as u64,
    );
    check(
        label,
        s,
        "destinations",
        s["destinations"].as_u64().unwrap(),
        dsts.len() as u64,
    );
    9 + talkers(file, label, s, &srcs, &dsts)
}

/// A finding's peak and mean rates against its packets as tshark lists them.
fn rates(label: &str, s: &serde_json::Value, pk: &[HashMap<String, String>], bytes: u64) {
    // Rates: the busiest interval from the window's start, and the mean.
    let r = &s["rates"];
    let (t0, t1) = (
        s["start_ts"].as_i64().unwrap(),
        s["end_ts"].as_i64().unwrap(),
    );
    let iv = r["interval_us"].as_i64().unwrap();
    let mut per: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for p in pk {
        let at = (epoch_us(get(p, "frame.time_epoch").unwrap()) - t0) / iv;
        let e = per.entry(at).or_default();
        e.0 += 1;
        e.1 += get(p, "frame.len").unwrap().parse::<u64>().unwrap();
    }
    // The first interval with the most packets.
    let peak = per
        .values()
        .fold((0, 0), |best, v| if v.0 > best.0 { *v } else { best });
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let span = (t1 - t0) as f64;
    for (k, want) in [
        ("peak_pps", round2(peak.0 as f64 * 1e6 / iv as f64)),
        ("peak_bps", round2(peak.1 as f64 * 8e6 / iv as f64)),
        ("mean_pps", round2(pk.len() as f64 * 1e6 / span)),
        ("mean_bps", round2(bytes as f64 * 8e6 / span)),
    ] {
        assert_eq!(r[k].as_f64(), Some(want), "{label}: {k}");
    }
}

/// A finding's top talkers against tshark's: each listed count, none left
/// out that sent more, and the first talker's own filter. Returns the
/// numbers compared.
fn talkers(
    file: &Path,
    label: &str,
    s: &serde_json::Value,
    srcs: &BTreeMap<String, u64>,
    dsts: &BTreeMap<String, u64>,
) -> usize {
    let mut n = 0;
    for (list, truth) in [("top_sources", srcs), ("top_destinations", dsts)] {
        let top = s[list].as_array().unwrap();
        assert_eq!(top.len(), truth.len().min(10), "{label}: {list}");
        let least = top.iter().map(|t| t["packets"].as_u64().unwrap()).min();
        let listed: BTreeSet<&str> = top.iter().map(|t| t["addr"].as_str().unwrap()).collect();
        for t in top {
            let a = t["addr"].as_str().unwrap();
            assert_eq!(
                t["packets"].as_u64(),
                truth.get(a).copied(),
                "{label}: {list} {a}"
            );
            n += 1;
        }
        if !estimated(s, list) {
            // Nobody left out sent more than the least listed.
            let most_left = truth
                .iter()
                .filter(|(a, _)| !listed.contains(a.as_str()))
                .map(|(_, c)| *c)
                .max();
            assert!(most_left <= least, "{label}: {list} is the top");
        }
        if let Some(t) = top.first() {
            let own = t["wireshark_filter"].as_str().unwrap();
            assert_eq!(
                count(file, own),
                t["packets"].as_u64().unwrap(),
                "{label}: {own}"
            );
            n += 1;
        }
    }
    n
}

/// One scanner against tshark. Returns the numbers compared.
fn scanner(file: &Path, label: &str, s: &serde_json::Value) -> usize {
    let probes = s["probe_filter"].as_str().unwrap();
    let source = s["source"].as_str().unwrap();
    let mut contacts: BTreeSet<(String, String, String)> = BTreeSet::new();
    for p in fields(file, probes, PACKET) {
        let dst = addr(&p, "dst").unwrap().to_string();
        let k = match (get(&p, "tcp.dstport"), get(&p, "udp.dstport")) {
            (Some(t), _) => ("tcp", t),
            (None, Some(u)) => ("udp", u),
            _ => panic!("{label}: a probe without a port"),
        };
        contacts.insert((dst, k.0.into(), k.1.into()));
    }
    // What answered: a SYN-ACK or a UDP datagram back from a probed port.
    let window = &probes[probes.find("frame.time_epoch").unwrap()..];
    let ip = if source.contains(':') { "ipv6" } else { "ip" };
    let icmp = if source.contains(':') {
        "icmpv6"
    } else {
        "icmp"
    };
    let answers = format!(
        "{ip}.dst == {source} && ((tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.flags.reset == 0) || udp) && !{icmp} && {window}"
    );
    let mut answered: BTreeSet<(String, String, String)> = BTreeSet::new();
    for p in fields(file, &answers, PACKET) {
        let src = addr(&p, "src").unwrap().to_string();
        let k = match (get(&p, "tcp.srcport"), get(&p, "udp.srcport")) {
            (Some(t), _) => ("tcp", t),
            (None, Some(u)) => ("udp", u),
            _ => continue,
        };
        let key = (src, k.0.to_string(), k.1.to_string());
        if contacts.contains(&key) {
            answered.insert(key);
        }
    }
    let targets: BTreeSet<&String> = contacts.iter().map(|c| &c.0).collect();
    let ports: BTreeSet<(&String, &String)> = contacts.iter().map(|c| (&c.1, &c.2)).collect();
    assert!(s["estimated"].is_null(), "{label}: {}", s["estimated"]);
    assert_eq!(
        s["attempts"].as_u64(),
        Some(contacts.len() as u64),
        "{label}: attempts"
    );
    assert_eq!(
        s["targets"].as_u64(),
        Some(targets.len() as u64),
        "{label}: targets"
    );
    assert_eq!(
        s["ports"].as_u64(),
        Some(ports.len() as u64),
        "{label}: ports"
    );
    assert_eq!(
        s["answered"].as_u64(),
        Some(answered.len() as u64),
        "{label}: answered"
    );
    assert_eq!(
        s["failures"].as_u64(),
        Some((contacts.len() - answered.len()) as u64),
        "{label}: failures"
    );
    let mut n = 5;
    for t in s["top_ports"].as_array().unwrap() {
        let (proto, port) = (t["proto"].as_str().unwrap(), t["port"].to_string());
        let truth = contacts
            .iter()
            .filter(|c| c.1 == proto && c.2 == port)
            .count();
        assert_eq!(
            t["attempts"].as_u64(),
            Some(truth as u64),
            "{label}: {proto}/{port}"
        );
        n += 1;
    }
    for t in s["top_targets"].as_array().unwrap() {
        let a = t["addr"].as_str().unwrap();
        let truth = contacts.iter().filter(|c| c.0 == a).count();
        assert_eq!(t["attempts"].as_u64(), Some(truth as u64), "{label}: {a}");
        n += 1;
    }
    if !s["tool"].is_null() {
        n += tool(file, label, s);
    }
    for o in s["open_ports"].as_array().into_iter().flatten() {
        let (proto, port) = (o["proto"].as_str().unwrap(), o["port"].to_string());
        let truth = answered
            .iter()
            .filter(|c| c.1 == proto && c.2 == port)
            .count();
        assert_eq!(
            o["hosts"].as_u64(),
            Some(truth as u64),
            "{label}: open {proto}/{port}"
        );
        n += 1;
    }
    n
}

/// A scanner's tool: of its contacts (each by its first probe, as tshark
/// lists them), how many match the tool's header rule, read from tshark's
/// fields. Returns the numbers compared.
fn tool(file: &Path, label: &str, s: &serde_json::Value) -> usize {
    let names = [
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
        "udp.dstport",
        "ip.id",
        "tcp.seq_raw",
        "tcp.window_size_value",
        "tcp.options",
        "tcp.flags.syn",
    ];
    let probes = s["probe_filter"].as_str().unwrap();
    let name = s["tool"]["name"].as_str().unwrap();
    let mut seen = BTreeSet::new();
    let mut matched = 0u64;
    for p in fields(file, probes, &names) {
        let (proto, port) = match (get(&p, "tcp.dstport"), get(&p, "udp.dstport")) {
            (Some(t), _) => ("tcp", t),
            (None, Some(u)) => ("udp", u),
            _ => panic!("{label}: a probe without a port"),
        };
        let dst = addr(&p, "dst").unwrap().to_string();
        if !seen.insert((dst.clone(), proto, port.to_string())) {
            continue;
        }
        let id = get(&p, "ip.id").map(hex);
        let d = dst
            .parse::<std::net::Ipv4Addr>()
            .map(|a| u64::from(u32::from(a)))
            .ok();
        let seq = get(&p, "tcp.seq_raw").and_then(|v| v.parse::<u64>().ok());
        let window = get(&p, "tcp.window_size_value").and_then(|v| v.parse::<u64>().ok());
        let options = get(&p, "tcp.options").unwrap_or("").replace(':', "");
        let syn = get(&p, "tcp.flags.syn").is_some_and(|v| v == "1" || v == "True");
        let dport: u64 = port.parse().unwrap();
        // The rules in the report's order: a probe is the first one's it matches.
        let rules = [
            ("zmap", id == Some(54321)),
            ("mirai", seq.is_some() && seq == d),
            (
                "masscan",
                matches!((id, d, seq), (Some(i), Some(d), Some(q)) if i == (d ^ dport ^ q) & 0xffff),
            ),
            (
                "nmap",
                matches!(window, Some(1024 | 2048 | 3072 | 4096))
                    && if syn {
                        options == "020405b4"
                    } else {
                        options.is_empty()
                    },
            ),
            ("hping3", window == Some(512) && options.is_empty()),
        ];
        let first = rules.iter().find(|(_, m)| *m).map(|(t, _)| *t);
        matched += u64::from(first == Some(name));
    }
    assert_eq!(
        s["tool"]["of"].as_u64(),
        Some(seen.len() as u64),
        "{label}: tool of"
    );
    assert_eq!(
        s["tool"]["probes"].as_u64(),
        Some(matched),
        "{label}: tool probes"
    );
    2
}

/// Every finding and scanner of one capture. Returns (findings and
/// scanners, numbers compared).
fn check_file(file: &Path, label: &str) -> (usize, usize) {
    let r = report(file);
    if r["spikes"].as_array().unwrap().is_empty() && r["scanners"].as_array().unwrap().is_empty() {
        return (0, 0);
    }
    assert_eq!(r["evidence"]["exact"], true, "{label}: {}", r["evidence"]);
    let (mut found, mut numbers) = (0, 0);
    for (i, s) in r["spikes"].as_array().unwrap().iter().enumerate() {
        numbers += spike(file, &format!("{label} finding {i}"), s);
        found += 1;
    }
    for (i, s) in r["scanners"].as_array().unwrap().iter().enumerate() {
        numbers += scanner(file, &format!("{label} scanner {i}"), s);
        found += 1;
    }
    (found, numbers)
}

/// Every finding and scanner of the captures in `dir` that `keep` picks.
/// Returns (findings and scanners, numbers compared).
fn check_dir(dir: &Path, keep: impl Fn(&Path) -> bool) -> (usize, usize) {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| keep(p))
        .collect();
    v.sort();
    let (mut found, mut numbers) = (0, 0);
    for p in &v {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let (f, n) = check_file(p, &name);
        found += f;
        numbers += n;
    }
    (found, numbers)
}

#[test]
fn every_number_on_a_corpus_finding_is_tsharks() {
    let (found, numbers) = check_dir(&corpus(), |p| {
        p.file_name().is_some_and(|n| n != "MANIFEST.tsv")
    });
    // The scans and the SYN-ACK reflection of the corpus at least.
    assert!(found >= 5, "{found} findings and scanners");
    eprintln!("{found} findings and scanners, {numbers} numbers equal to tshark's");
}

#[test]
fn every_number_on_a_real_tool_run_finding_is_tsharks() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/real");
    let (found, numbers) = check_dir(&dir, |p| p.extension().is_some_and(|x| x == "pcap"));
    assert!(found >= 40, "{found} findings and scanners");
    eprintln!("{found} findings and scanners, {numbers} numbers equal to tshark's");
}

#[test]
fn every_number_on_a_scenario_finding_is_tsharks() {
    let dir = std::env::temp_dir().join(format!("portspike-numbers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Real background: the labeled benchmark's ordinary captures.
    let bg = [
        "tcpdump__afs.pcap",
        "tcpdump__mptcp-v0.pcap",
        "pcapplusplus__sll.pcap",
    ]
    .map(|n| corpus().join(n).to_str().unwrap().to_string());
    let mut made = Vec::new();
    // The bundled sample (a sweep, scanners, surges over office traffic).
    let sample = dir.join("sample.pcap");
    let res = portspike(&[
        "synth",
        "--scenario",
        "sample",
        "-o",
        sample.to_str().unwrap(),
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    made.push(("sample".to_string(), sample));
    // Every attack the generator injects over real traffic.
    for &scenario in portspike_gen::synth::BACKGROUND_SCENARIOS
        .iter()
        .filter(|s| **s != "background")
    {
        let out = dir.join(format!("bg-{scenario}.pcap"));
        let mut args = vec!["synth", "--scenario", scenario, "-o", out.to_str().unwrap()];
        for b in &bg {
            args.extend(["--background", b.as_str()]);
        }
        let res = portspike(&args);
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        made.push((format!("{scenario} over real traffic"), out));
    }
    let (mut found, mut numbers) = (0, 0);
    for (label, file) in &made {
        let (f, n) = check_file(file, label);
        assert!(f > 0, "{label}: nothing found");
        found += f;
        numbers += n;
    }
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("{found} findings and scanners, {numbers} numbers equal to tshark's");
}

#[test]
fn the_spikes_csv_carries_the_counted_bytes_and_rates() {
    let dir = std::env::temp_dir().join(format!("portspike-numbers-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("sample.pcap");
    let res = portspike(&["synth", "--scenario", "sample", "-o", f.to_str().unwrap()]);
    assert!(res.status.success());
    let r = report(&f);
    let csv = portspike(&[
        "analyze",
        "-q",
        "--no-hash",
        "--csv",
        "spikes",
        f.to_str().unwrap(),
    ]);
    let csv_path = dir.join("spikes.csv");
    std::fs::write(&csv_path, &csv.stdout).unwrap();
    // Read with Python's csv module, as a spreadsheet or a script would.
    let out = Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1])))))",
        ])
        .arg(&csv_path)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let spikes = r["spikes"].as_array().unwrap();
    assert_eq!(rows.as_array().unwrap().len(), spikes.len());
    for (row, s) in rows.as_array().unwrap().iter().zip(spikes) {
        assert_eq!(row["bytes"].as_str().unwrap(), s["bytes"].to_string());
        assert_eq!(
            row["direction"].as_str().unwrap(),
            s["direction"].as_str().unwrap()
        );
        for k in ["peak_pps", "peak_bps", "mean_pps", "mean_bps"] {
            let v: f64 = row[k].as_str().unwrap().parse().unwrap();
            assert_eq!(v, s["rates"][k].as_f64().unwrap(), "{k}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
