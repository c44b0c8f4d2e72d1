//! The CLI over every capture in ../shared/captures: a report or a clear error, never a panic.

use std::path::PathBuf;
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .output()
        .expect("run portspike");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_corpus_file_gives_a_report_or_a_clear_error() {
    let dir = corpus();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the shared captures at {} are needed: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "MANIFEST.tsv"))
        .collect();
    files.sort();
    assert!(files.len() >= 70, "found {} captures", files.len());
    let mut read_fully = 0;
    for f in &files {
        let name = f.display().to_string();
        for by in ["service", "dst-port"] {
            let (code, stdout, stderr) = run(&["analyze", &name, "--json", "--by", by]);
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            assert!(matches!(code, 0 | 2 | 3), "{name}: exit {code}: {stderr}");
            let r: serde_json::Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("{name}: report is not JSON: {e}"));
            assert_eq!(r["schema"], "portspike.report/1");
            let err = &r["capture"]["error"];
            if code == 0 {
                assert!(err.is_null(), "{name}: exit 0 with an error");
                read_fully += usize::from(by == "service");
            } else {
                // A clear error: a message, and where it happened.
                assert!(
                    err["message"].as_str().is_some_and(|m| m.len() > 10),
                    "{name}: {err}"
                );
                assert!(
                    err["offset"].is_u64(),
                    "{name}: error without an offset: {err}"
                );
                assert!(stderr.contains("byte offset"), "{name}: {stderr}");
                let packets = r["capture"]["packets"].as_u64().unwrap();
                assert_eq!(
                    code == 3,
                    packets > 0,
                    "{name}: exit {code} with {packets} packets"
                );
            }
            let port_sum: u64 = r["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["totals"]["packets"].as_u64().unwrap())
                .sum();
            assert!(
                port_sum <= r["capture"]["packets"].as_u64().unwrap(),
                "{name}"
            );
        }
    }
    assert!(read_fully >= 55, "only {read_fully} captures read fully");
}

#[test]
fn stdin_gives_the_same_report_as_the_file() {
    let f = corpus().join("markofu-pcaps__portscan.pcap");
    let (_, from_file, _) = run(&["analyze", f.to_str().unwrap(), "--json"]);
    let out = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(["analyze", "-", "--json"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    let a: serde_json::Value = serde_json::from_str(&from_file).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["ports"], b["ports"]);
    assert_eq!(a["capture"]["packets"], b["capture"]["packets"]);
    // Standard input cannot be read twice: its findings keep the first
    // pass's estimates, marked, and the report says why.
    assert_eq!(a["evidence"]["exact"], true);
    assert_eq!(b["evidence"]["exact"], false);
    assert!(b["evidence"]["note"]
        .as_str()
        .unwrap()
        .starts_with("standard input cannot be read twice"));
    let scanner = &b["scanners"][0];
    assert!(scanner["estimated"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    let table = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(["analyze", "-"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("estimates ≈ standard input"));
}

#[test]
fn table_lists_ports_ranked() {
    let dir = tempdir();
    let sample = dir.join("sample.pcap");
    let (code, _, err) = run(&[
        "synth",
        "--scenario",
        "sample",
        "-o",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["analyze", sample.to_str().unwrap(), "--bin", "10s"]);
    assert_eq!(code, 0);
    let first_row = out
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert!(
        first_row.contains("tcp/445") && first_row.contains("microsoft-ds"),
        "{out}"
    );
    assert!(out.contains("10000000 µs"), "{out}");
    let (code, _, err) = run(&["analyze", sample.to_str().unwrap(), "--bin", "fast"]);
    assert_eq!(code, 2);
    assert!(err.contains("bin width"), "{err}");
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("portspike-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs Python's standard csv module over the CLI's CSV and returns per-port sums.
fn python_csv_sums(csv_path: &std::path::Path) -> serde_json::Value {
    let script = r#"
import csv, json, sys
sums = {}
with open(sys.argv[1], newline='') as f:
    for row in csv.DictReader(f):
        k = row['proto'] + '/' + row['port']
        s = sums.setdefault(k, {'packets': 0, 'bytes': 0, 'attempts': 0, 'failures': 0, 'rows': 0})
        for m in ('packets', 'bytes', 'attempts', 'failures'):
            s[m] += int(row[m])
        s['rows'] += 1
        assert row['time_utc'].endswith('Z') and 'T' in row['time_utc']
        # A distinct count past the exact bound (8) is flagged as the sketch's.
        for m in ('sources', 'destinations'):
            assert (int(row[m]) > 8) == (row[m + '_estimated'] == '1'), row
print(json.dumps(sums))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(csv_path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn csv_parses_with_a_standard_reader_and_sums_to_the_report() {
    let dir = tempdir();
    let sample = dir.join("csv-sample.pcap");
    let (code, _, _) = run(&[
        "synth",
        "--scenario",
        "sample",
        "-o",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let s = sample.to_str().unwrap();
    let (_, json, _) = run(&["analyze", s, "--json"]);
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (code, csv, _) = run(&["analyze", s, "--csv"]);
    assert_eq!(code, 0);
    let csv_path = dir.join("series.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let sums = python_csv_sums(&csv_path);
    let ports = r["ports"].as_array().unwrap();
    assert_eq!(sums.as_object().unwrap().len(), ports.len());
    for p in ports {
        let k = format!("{}/{}", p["proto"].as_str().unwrap(), p["port"]);
        for m in ["packets", "bytes", "attempts", "failures"] {
            assert_eq!(sums[&k][m], p["totals"][m], "{k} {m}");
        }
        assert_eq!(
            sums[&k]["rows"].as_u64().unwrap() as usize,
            p["series"]["packets"].as_array().unwrap().len()
        );
    }
    let (_, spikes, _) = run(&["analyze", s, "--csv", "spikes"]);
    assert_eq!(
        spikes.lines().count(),
        1 + r["spikes"].as_array().unwrap().len()
    );
    let (_, scanners, _) = run(&["analyze", s, "--csv", "scanners"]);
    assert_eq!(
        scanners.lines().count(),
        1 + r["scanners"].as_array().unwrap().len()
    );
}

#[test]
fn exit_codes_say_how_far_reading_got() {
    let dir = tempdir();
    let sample = dir.join("exit-sample.pcap");
    run(&["synth", "-o", sample.to_str().unwrap()]);
    let s = sample.to_str().unwrap();
    assert_eq!(run(&["analyze", s]).0, 0);
    assert_eq!(run(&["analyze", s, "--fail-on-findings"]).0, 1);
    let bytes = std::fs::read(&sample).unwrap();
    let cut = dir.join("exit-cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let (code, out, err) = run(&["analyze", cut.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("error") && err.contains("byte offset"),
        "{err}"
    );
    // It says how much was read, up to when, and never that the rest is clean.
    let partial = out.lines().find(|l| l.starts_with("partial ")).unwrap();
    assert!(
        partial.contains(&format!("of {} bytes read, up to 2026-", bytes.len() / 3)),
        "{partial}"
    );
    assert!(partial.ends_with("the findings cover only that part, never what came after it"));
    assert!(!out.contains("findings  none\n"));
    let text = dir.join("exit-text.pcap");
    std::fs::write(&text, "not a capture").unwrap();
    assert_eq!(run(&["analyze", text.to_str().unwrap()]).0, 2);
    let clean = corpus().join("tcpdump__afs.pcap");
    assert_eq!(
        run(&["analyze", clean.to_str().unwrap(), "--fail-on-findings"]).0,
        0
    );
}

#[test]
fn the_table_names_a_scanner_s_tool_and_marks_estimated_counts() {
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/real");
    let zmap = real.join("zmap-sweep80-probes-only.pcap");
    let (code, out, err) = run(&["analyze", zmap.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("made by zmap (5000 of 5000 probes: IP ID 54321)"),
        "{out}"
    );
    assert!(out.contains("1 source → 5000 destinations"), "{out}");
    // The port table's 5,000 destinations come from a sketch: marked.
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("1  tcp/80 "))
        .unwrap();
    assert!(row.contains('≈'), "{row}");
    // The kernel's own SYNs (nmap -sT) carry no tool's mark.
    let connect = real.join("nmap-sT-both.pcap");
    let (_, out, _) = run(&["analyze", connect.to_str().unwrap()]);
    assert!(out.contains("scanner   127.0.0.1"), "{out}");
    assert!(!out.contains("made by"), "{out}");
}

#[test]
fn no_output_is_written_over_the_capture_it_is_made_from() {
    let dir = tempdir();
    let cap = dir.join("capture.pcap");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/real/nmap-sS-both.pcap"),
        &cap,
    )
    .unwrap();
    let before = std::fs::read(&cap).unwrap();
    let c = cap.to_str().unwrap();
    // By another name for the same file, too.
    let other = dir.join(".").join("capture.pcap");
    let o = other.to_str().unwrap();
    for args in [
        vec!["analyze", c, "--fingerprint", o],
        vec!["bulk", "--from", c, "--size", "1M", "-o", o],
        vec!["extract", c, "--scanner", "0", "-o", o],
    ] {
        let (code, _, err) = run(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("refusing to write"), "{args:?}: {err}");
        assert_eq!(std::fs::read(&cap).unwrap(), before, "{args:?}");
    }
}
