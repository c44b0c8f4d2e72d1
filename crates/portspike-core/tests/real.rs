//! The labeled benchmark on real tool output: captures of nmap, hping3,
//! masscan and zmap recorded on the loopback interface, both ways and as a
//! one-way tap would see them; real servers (dnsmasq, a web server) under
//! a low-rate reflection and a slow spoofed SYN flood, and a telescope's view
//! of its backscatter; and ordinary traffic that starts mid-connection
//! (`tests/real/`, labeled by hand in `LABELS.tsv`). Every
//! labeled event must be found with its kind, port, probe and tool, and
//! nothing else found.

use portspike_core::report::Report;
use portspike_core::{analyze_bytes, Params};
use std::collections::BTreeMap;

fn dir() -> String {
    format!("{}/../../tests/real", env!("CARGO_MANIFEST_DIR"))
}

/// One row of `LABELS.tsv`: what an analyst should be told.
#[derive(Debug, Clone)]
struct Label {
    finding: String,
    kind: String,
    source: String,
    probe: String,
    proto: String,
    port: String,
    victim: String,
    fingerprint: String,
}

/// The labels by file, in the file's order.
fn labels() -> BTreeMap<String, Vec<Label>> {
    let text = std::fs::read_to_string(format!("{}/LABELS.tsv", dir())).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let mut out: BTreeMap<String, Vec<Label>> = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let get = |name: &str| f[col(name)].to_string();
        out.entry(get("file")).or_default().push(Label {
            finding: get("finding"),
            kind: get("kind"),
            source: get("source"),
            probe: get("probe"),
            proto: get("proto"),
            port: get("port"),
            victim: get("victim"),
            fingerprint: get("fingerprint"),
        });
    }
    out
}

/// Whether the report holds the labeled event, and why not.
fn found(r: &Report, l: &Label) -> Result<(), String> {
    match l.finding.as_str() {
        "scanner" => {
            let s = r
                .scanners
                .iter()
                .find(|s| s.source == l.source)
                .ok_or("no scanner")?;
            if s.kind != l.kind.as_str() {
                return Err(format!("scanner kind {}", s.kind));
            }
            if !s.probes.iter().any(|p| *p == l.probe.as_str()) {
                return Err(format!("probes {:?}", s.probes));
            }
            let tool = s.tool.as_ref().map(|t| t.name.as_str()).unwrap_or("-");
            if tool != l.fingerprint {
                return Err(format!("tool {tool}"));
            }
            Ok(())
        }
        "spike" => {
            let s = r
                .spikes
                .iter()
                .find(|s| s.proto == l.proto.as_str() && s.port.to_string() == l.port)
                .ok_or("no spike")?;
            if s.kind != l.kind.as_str() {
                return Err(format!("spike kind {}", s.kind));
            }
            // A sweep's busiest source is its scanner, a backscatter's the
            // server answering; a flood's or reflection's busiest destination
            // is its victim.
            let first = |v: &[portspike_core::report::AddrCount]| v.first().map(|t| t.addr.clone());
            if l.source != "-" && first(&s.top_sources).as_deref() != Some(l.source.as_str()) {
                return Err(format!("top sources {:?}", s.top_sources));
            }
            if l.victim != "-" && first(&s.top_destinations).as_deref() != Some(l.victim.as_str()) {
                return Err(format!("top destinations {:?}", s.top_destinations));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Findings no label explains: attack spikes on other ports, scanners from
/// other sources.
fn extra(r: &Report, ls: &[Label]) -> Vec<String> {
    let mut out: Vec<String> = r
        .spikes
        .iter()
        .filter(|s| s.is_attack())
        .filter(|s| {
            !ls.iter().any(|l| {
                l.finding == "spike" && s.proto == l.proto.as_str() && s.port.to_string() == l.port
            })
        })
        .map(|s| format!("{} {}/{}", s.kind, s.proto, s.port))
        .collect();
    out.extend(
        r.scanners
            .iter()
            .filter(|s| {
                !ls.iter()
                    .any(|l| l.finding == "scanner" && l.source == s.source)
            })
            .map(|s| format!("scanner {}", s.source)),
    );
    out
}

#[test]
fn real_tool_runs_give_exactly_their_labeled_findings() {
    let labels = labels();
    let (mut events, mut hits, mut extras) = (0, 0, 0);
    let mut problems = Vec::new();
    eprintln!("| capture | expected | found | extra | missed or extra |");
    eprintln!("|---|---:|---:|---:|---|");
    for (file, ls) in &labels {
        let bytes = std::fs::read(format!("{}/{file}", dir())).unwrap();
        assert!(bytes.len() <= 1 << 20, "{file}: over 1 MB");
        let r = analyze_bytes(&bytes, Params::default());
        assert!(r.capture.error.is_none(), "{file}: {:?}", r.capture.error);
        let mut notes = Vec::new();
        let want: Vec<&Label> = ls.iter().filter(|l| l.finding != "none").collect();
        let mut got = 0;
        for l in &want {
            match found(&r, l) {
                Ok(()) => got += 1,
                Err(why) => notes.push(format!("{} {} {}: {why}", l.finding, l.kind, l.probe)),
            }
        }
        let x = extra(&r, ls);
        notes.extend(x.iter().map(|e| format!("extra {e}")));
        events += want.len();
        hits += got;
        extras += x.len();
        if !notes.is_empty() {
            problems.push(format!("{file}: {}", notes.join("; ")));
        }
        eprintln!(
            "| {file} | {} | {got} | {} | {} |",
            want.len(),
            x.len(),
            notes.join("; ")
        );
    }
    eprintln!(
        "{} real captures: recall {hits}/{events}, {extras} findings no label explains",
        labels.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(labels.len() >= 30 && events >= 40, "{} files", labels.len());
}

#[test]
fn every_real_capture_is_labeled() {
    let labels = labels();
    for e in std::fs::read_dir(dir()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".pcap") {
            assert!(labels.contains_key(&name), "{name} has no label");
        }
    }
}

/// A pcap of Ethernet frames, one IPv4 TCP SYN each: (destination, port,
/// sequence number), a microsecond apart.
fn syns(probes: &[([u8; 4], u16, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend([2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    for (i, (dst, port, seq)) in probes.iter().enumerate() {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00, 0x45, 0, 0, 40, 0x12, 0x34, 0, 0, 64, 6, 0, 0]);
        f.extend([10, 9, 9, 9]);
        f.extend(dst);
        f.extend(40000u16.to_be_bytes());
        f.extend(port.to_be_bytes());
        f.extend(seq.to_be_bytes());
        f.extend([0, 0, 0, 0, 0x50, 0x02, 0x3a, 0x98, 0, 0, 0, 0]);
        out.extend(1_800_000_000u32.to_le_bytes());
        out.extend((i as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
    }
    out
}

#[test]
fn a_mirai_scan_is_named_by_its_sequence_numbers() {
    // Mirai's scanner (scanner.c: `tcph->seq = iph->daddr`) sends SYNs to
    // telnet whose sequence number is the destination address.
    let probes: Vec<([u8; 4], u16, u32)> = (0..200u32)
        .map(|i| {
            let dst = [10, 1, (i / 250) as u8, (i % 250) as u8 + 1];
            let port = if i % 10 == 0 { 2323 } else { 23 };
            (dst, port, u32::from_be_bytes(dst))
        })
        .collect();
    let r = analyze_bytes(&syns(&probes), Params::default());
    let s = r.scanners.first().expect("a scanner");
    let t = s.tool.as_ref().expect("a tool");
    assert_eq!((t.name.as_str(), t.probes, t.of), ("mirai", 200, 200));
    // The same scan with other sequence numbers names no tool.
    let plain: Vec<([u8; 4], u16, u32)> = probes
        .iter()
        .map(|(d, p, s)| (*d, *p, s.wrapping_mul(2_654_435_761)))
        .collect();
    let r = analyze_bytes(&syns(&plain), Params::default());
    assert_eq!(r.scanners.len(), 1);
    assert_eq!(r.scanners[0].tool, None);
}

#[test]
fn a_sweep_inside_a_longer_scan_points_to_its_scanner() {
    let bytes = std::fs::read(format!("{}/zmap-sweep80-probes-only.pcap", dir())).unwrap();
    let mut r = analyze_bytes(&bytes, Params::default());
    let sweep = r.spikes.iter().position(|s| s.kind == "sweep").unwrap();
    // The sweep is the whole scan: nothing to point to.
    assert_eq!(r.spikes[sweep].scan, None);
    // The same scanner seen for an hour either side, trying more hosts: the
    // sweep is one burst of it.
    let hour = 3_600_000_000;
    r.scanners[0].first_ts -= hour;
    r.scanners[0].last_ts += hour;
    portspike_core::detect::bursts_of_scans(&mut r);
    assert_eq!(r.spikes[sweep].scan, None, "as many hosts as the sweep");
    r.scanners[0].targets = 3 * r.spikes[sweep].destinations;
    portspike_core::detect::bursts_of_scans(&mut r);
    assert_eq!(r.spikes[sweep].scan, Some(0));
}
