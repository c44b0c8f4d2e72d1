//! `portspike diff`: the sample against its own first eight minutes (before
//! the sweep) puts tcp/445 first; a capture against itself changes nothing.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn portspike(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../static/sample.pcap")
}

/// The records of a little-endian µs pcap dated before `until_s` seconds after its first.
fn first_seconds(until_s: u32) -> PathBuf {
    let b = std::fs::read(sample()).unwrap();
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let mut out = b[..24].to_vec();
    let (mut off, first) = (24, u32_at(24));
    while off + 16 <= b.len() {
        let end = off + 16 + u32_at(off + 8) as usize;
        if u32_at(off) - first < until_s {
            out.extend_from_slice(&b[off..end]);
        }
        off = end;
    }
    let p = std::env::temp_dir().join(format!("portspike-diff-{}.pcap", std::process::id()));
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn the_sweep_is_the_first_change_against_the_quiet_minutes() {
    let baseline = first_seconds(480);
    let (b, s) = (baseline.to_str().unwrap(), sample());
    let d: Value = serde_json::from_slice(&portspike(&[
        "diff",
        "--no-hash",
        "--json",
        b,
        s.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(d["schema"], "portspike.diff/1");
    let first = &d["ports"][0];
    assert_eq!(
        (first["proto"].as_str(), first["port"].as_u64()),
        (Some("tcp"), Some(445)),
        "{}",
        d["ports"]
    );
    assert!(["grew", "new"].contains(&first["change"].as_str().unwrap()));
    assert!(
        first["incident"]["per_minute"]["attempts"]
            .as_f64()
            .unwrap()
            > 10.0
                * first["baseline"]["per_minute"]["attempts"]
                    .as_f64()
                    .unwrap()
    );
    let scanners: Vec<&str> = d["new_scanners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(scanners.len(), 3, "{scanners:?}");
    assert!(d["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["port"] == 445 && f["kind"] == "sweep"));
    let csv = String::from_utf8(portspike(&[
        "diff",
        "--no-hash",
        "--csv",
        b,
        s.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("tcp,445,"), "{csv}");
    // "Seen only now" is exact membership: every address named in the
    // incident's findings is new if and only if it sent nothing in the
    // baseline (tshark's count of its packets there).
    let incident: Value = serde_json::from_slice(&portspike(&[
        "analyze",
        "--no-hash",
        "--json",
        s.to_str().unwrap(),
    ]))
    .unwrap();
    let mut named: Vec<String> = incident["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["top_sources"].as_array().unwrap().iter())
        .chain(
            incident["scanners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| &s["source"]),
        )
        .map(|a| a.get("addr").unwrap_or(a).as_str().unwrap().to_string())
        .collect();
    named.sort();
    named.dedup();
    let new: Vec<&str> = d["new_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(named.len() >= 3, "{named:?}");
    for a in &named {
        let out = Command::new("tshark")
            .args(["-n", "-r", b, "-Y", &format!("ip.src == {a}")])
            .args(["-T", "fields", "-e", "frame.number"])
            .output()
            .expect("tshark is needed (apt-get install tshark)");
        let sent = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(
            new.contains(&a.as_str()),
            sent == 0,
            "{a} sent {sent} in the baseline"
        );
    }
    let _ = std::fs::remove_file(&baseline);
}

#[test]
fn a_capture_against_itself_changes_nothing() {
    let s = sample();
    let s = s.to_str().unwrap();
    let d: Value =
        serde_json::from_slice(&portspike(&["diff", "--no-hash", "--json", s, s])).unwrap();
    assert_eq!(d["ports"].as_array().unwrap().len(), 0, "{}", d["ports"]);
    assert_eq!(d["new_findings"].as_array().unwrap().len(), 0);
    assert_eq!(d["new_scanners"].as_array().unwrap().len(), 0);
    let table = String::from_utf8(portspike(&["diff", "--no-hash", s, s])).unwrap();
    assert!(table.contains("no port changed"), "{table}");
}

#[test]
fn a_baseline_read_only_in_part_or_not_decodable_is_not_compared() {
    let whole = std::fs::read(first_seconds(480)).unwrap();
    let dir = std::env::temp_dir().join(format!("portspike-diff-unfit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Cut mid-record; and the same records under link type 147 (private use).
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() / 2 + 5]).unwrap();
    let mut odd = whole.clone();
    odd[20..24].copy_from_slice(&147u32.to_le_bytes());
    let undecodable = dir.join("odd.pcap");
    std::fs::write(&undecodable, odd).unwrap();
    let s = sample();
    for (base, says) in [
        (&cut, "could not be read to its end"),
        (&undecodable, "could be decoded (link type"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
            .args([
                "diff",
                "--no-hash",
                "--json",
                base.to_str().unwrap(),
                s.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{base:?}: {err}");
        assert!(out.stdout.is_empty(), "{base:?}: a diff was printed");
        assert!(
            err.contains(says)
                && err.contains(base.file_name().unwrap().to_str().unwrap())
                && err.contains("not compared"),
            "{base:?}: {err}"
        );
    }
    // An incident cut short is still compared, as far as it was read.
    let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args([
            "diff",
            "--no-hash",
            "--json",
            s.to_str().unwrap(),
            cut.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
