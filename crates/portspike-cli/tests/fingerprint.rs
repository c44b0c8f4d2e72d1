//! `analyze --fingerprint`: a generated DNS reflection written as a DDoS
//! Clearing House fingerprint, its vector the finding `--json` reports; a
//! capture without an attack finding writes none.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn portspike(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .output()
        .unwrap()
}

fn synth(dir: &Path, scenario: &str) -> PathBuf {
    let f = dir.join(format!("{scenario}.pcap"));
    let out = portspike(&["synth", "--scenario", scenario, "-o", f.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "portspike-fingerprint-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_reflection_is_one_udp_vector_from_port_53_with_the_findings_packets() {
    let d = dir("reflection");
    let pcap = synth(&d, "reflection");
    let pcap = pcap.to_str().unwrap();
    let out = portspike(&["analyze", "-q", "--no-hash", "--json", pcap]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "reflection")
        .expect("the reflection finding");
    assert_eq!(
        (&finding["proto"], &finding["port"]),
        (&"udp".into(), &53.into())
    );

    let file = d.join("fingerprint.json");
    let out = portspike(&[
        "analyze",
        "-q",
        "--no-hash",
        "--fingerprint",
        file.to_str().unwrap(),
        pcap,
    ]);
    assert!(out.status.success());
    // The table is still printed; the fingerprint goes to its file.
    assert!(String::from_utf8_lossy(&out.stdout).contains("capture"));
    let fp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let vectors = fp["attack_vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 1, "{fp:#}");
    let v = &vectors[0];
    assert_eq!(v["protocol"], "UDP");
    assert_eq!(v["source_port"], 53);
    assert_eq!(v["service"], "DNS");
    assert_eq!(v["nr_packets"], finding["packets"]);
    assert_eq!(
        v["nr_megabytes"].as_u64(),
        finding["bytes"].as_u64().map(|b| b / 1_000_000)
    );
    assert_eq!(v["fraction_of_attack"], 1.0);
    assert!(v["tcp_flags"].is_null());
    // The victims' ports are not in the report, nor all 400 reflectors.
    assert!(v.get("destination_ports").is_none());
    assert!(v.get("source_ips").is_none());
    assert_eq!(fp["total_packets"], finding["packets"]);
    assert_eq!(fp["total_ips"], finding["sources"]);
    assert!(fp["tags"]
        .as_array()
        .unwrap()
        .contains(&"Amplification attack".into()));
    assert_eq!(fp["key"].as_str().map(str::len), Some(32));

    // `-`: the same fingerprint on standard output, instead of the table.
    let out = portspike(&["analyze", "-q", "--no-hash", "--fingerprint", "-", pcap]);
    assert!(out.status.success());
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again, fp);
    // Not with another report on standard output.
    let out = portspike(&["analyze", "-q", "--json", "--fingerprint", "-", pcap]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn without_an_attack_finding_nothing_is_written() {
    // A sweep is a scan, not a denial of service.
    let d = dir("sweep");
    let pcap = synth(&d, "sweep");
    let file = d.join("fingerprint.json");
    let out = portspike(&[
        "analyze",
        "-q",
        "--no-hash",
        "--fingerprint",
        file.to_str().unwrap(),
        pcap.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(!file.exists());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no attack finding: no fingerprint written")
    );
    let out = portspike(&[
        "analyze",
        "-q",
        "--no-hash",
        "--fingerprint",
        "-",
        pcap.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(&d).ok();
}
