//! `portspike summarize` and `portspike detect`: summaries of a capture's
//! parts merge into what the whole capture gives, DuckDB reads them, a killed
//! run leaves no partial file, and several sensors merge.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_portspike")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus(name: &str) -> PathBuf {
    root().join("../shared/captures").join(name)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("portspike-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Vec<u8> {
    let out = Command::new(bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "portspike {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(args: &[&str]) -> Value {
    serde_json::from_slice(&run(args)).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Split a classic pcap into `n` files of consecutive records.
fn split(file: &Path, n: usize, dir: &Path) -> Vec<PathBuf> {
    let b = std::fs::read(file).unwrap();
    let le = matches!(&b[..4], [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]);
    let u32_at = |o: usize| {
        let x: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        }
    };
    let mut recs = Vec::new();
    let mut off = 24;
    while off + 16 <= b.len() {
        let end = off + 16 + u32_at(off + 8) as usize;
        recs.push(&b[off..end.min(b.len())]);
        off = end;
    }
    (0..n)
        .map(|i| {
            let p = dir.join(format!("part{i}.pcap"));
            let mut out = b[..24].to_vec();
            for r in &recs[i * recs.len() / n..(i + 1) * recs.len() / n] {
                out.extend_from_slice(r);
            }
            std::fs::write(&p, out).unwrap();
            p
        })
        .collect()
}

#[test]
fn summaries_of_a_captures_parts_merge_into_the_whole() {
    for file in [
        root().join("static/sample.pcap"),
        corpus("pcapplusplus__example.pcap"),
        corpus("tcpdump__afs.pcap"),
    ] {
        let dir = tmp(file.file_name().unwrap().to_str().unwrap());
        let parts = split(&file, 3, &dir);
        let out = dir.join("summaries");
        let mut args = vec!["summarize", "-q", "--out", s(&out)];
        args.extend(parts.iter().map(|p| s(p)));
        run(&args);
        let merged = json(&["detect", "--json", s(&out)]);
        let whole = json(&["analyze", "-q", "--bin", "1m", "--json", s(&file)]);
        let name = file.display();
        assert_eq!(merged["schema"], "portspike.report/1");
        assert_eq!(merged["bin_width_us"], 60_000_000);
        assert_eq!(
            merged["capture"]["files"].as_array().unwrap().len(),
            3,
            "{name}"
        );
        assert_eq!(
            merged["capture"]["packets"], whole["capture"]["packets"],
            "{name}"
        );
        let ports = |r: &Value| {
            let mut v: Vec<(String, u64)> = r["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["proto"].as_str().unwrap().to_string(),
                        p["port"].as_u64().unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(ports(&merged), ports(&whole), "{name}: the same ports");
        for w in whole["ports"].as_array().unwrap() {
            let m = merged["ports"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["proto"] == w["proto"] && m["port"] == w["port"])
                .unwrap();
            let label = format!("{name} {}/{}", w["proto"], w["port"]);
            // Exact: per packet, and the distinct sets (their union is exact).
            for k in ["packets", "bytes", "sources", "destinations"] {
                assert_eq!(m["totals"][k], w["totals"][k], "{label} {k}");
                assert_eq!(m["series"][k], w["series"][k], "{label} series {k}");
            }
            // Connections open at a split are seen by both parts.
            for k in ["attempts", "failures"] {
                let (a, b) = (
                    m["totals"][k].as_i64().unwrap(),
                    w["totals"][k].as_i64().unwrap(),
                );
                assert!((a - b).abs() <= 3 + b / 100, "{label} {k}: {a} vs {b}");
            }
        }
        let spikes = |r: &Value| -> Vec<String> {
            r["spikes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    format!(
                        "{}/{} {} {}-{}",
                        x["proto"], x["port"], x["kind"], x["start_ts"], x["end_ts"]
                    )
                })
                .collect()
        };
        assert_eq!(spikes(&merged), spikes(&whole), "{name}: the same findings");
        let scanners = |r: &Value| {
            let mut v: Vec<String> = r["scanners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["source"].as_str().unwrap().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            scanners(&merged),
            scanners(&whole),
            "{name}: the same scanners"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The DuckDB query of docs/fleet.md, as written there.
fn documented_query(summaries: &Path) -> String {
    let doc = std::fs::read_to_string(root().join("docs/fleet.md")).unwrap();
    let at = doc.find("DuckDB (tested").unwrap();
    let block = &doc[at..];
    let start = block.find("```sql\n").unwrap() + 7;
    let end = start + block[start..].find("```").unwrap();
    block[start..end].replace("SUMMARIES", s(summaries))
}

fn duckdb(sql: &str) -> Vec<Vec<Value>> {
    let script = "import duckdb, json, sys\nrows = duckdb.sql(sys.stdin.read()).fetchall()\nprint(json.dumps([[str(c) if not isinstance(c, (int, float)) else c for c in r] for r in rows]))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (bash scripts/setup.sh installs DuckDB for it)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "DuckDB (bash scripts/setup.sh installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn duckdb_reads_the_summaries_and_its_sums_equal_the_report_and_sensors_merge() {
    let dir = tmp("duckdb");
    let out = dir.join("summaries");
    let sample = root().join("static/sample.pcap");
    let afs = corpus("tcpdump__afs.pcap");
    run(&[
        "summarize",
        "-q",
        "--sensor",
        "office",
        "--out",
        s(&out),
        s(&sample),
    ]);
    run(&[
        "summarize",
        "-q",
        "--sensor",
        "lab",
        "--out",
        s(&out),
        s(&afs),
    ]);

    // Per port: DuckDB's sum of packets equals the CLI's totals for that capture.
    for (sensor, file) in [("office", &sample), ("lab", &afs)] {
        let report = json(&["analyze", "-q", "--bin", "1m", "--json", s(file)]);
        let rows = duckdb(&format!(
            "SELECT proto, port, sum(packets) FROM read_parquet('{}/ports/**/*.parquet', hive_partitioning = true) WHERE sensor = '{sensor}' GROUP BY ALL ORDER BY ALL",
            s(&out)
        ));
        let mut want: Vec<(String, u64, u64)> = report["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["proto"].as_str().unwrap().to_string(),
                    p["port"].as_u64().unwrap(),
                    p["totals"]["packets"].as_u64().unwrap(),
                )
            })
            .collect();
        want.sort();
        let got: Vec<(String, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_string(),
                    r[1].as_u64().unwrap(),
                    r[2].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{sensor}");
    }

    // The documented query runs and ranks the sample's sweep first on its day.
    let top = duckdb(&documented_query(&out));
    assert!(!top.is_empty());
    let first = top
        .iter()
        .find(|r| r[0].as_str().unwrap().starts_with("2026-03-02"))
        .unwrap();
    assert_eq!(
        (first[1].as_str(), first[2].as_u64()),
        (Some("tcp"), Some(445)),
        "{top:?}"
    );

    // Detection over both sensors names every summary it merged.
    let merged = json(&["detect", "--json", s(&out)]);
    let names: Vec<&str> = merged["capture"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("sensor=office")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.contains("sensor=lab")), "{names:?}");
    let sample_report = json(&["analyze", "-q", "--bin", "1m", "--json", s(&sample)]);
    let afs_report = json(&["analyze", "-q", "--bin", "1m", "--json", s(&afs)]);
    assert_eq!(
        merged["capture"]["packets"].as_u64().unwrap(),
        sample_report["capture"]["packets"].as_u64().unwrap()
            + afs_report["capture"]["packets"].as_u64().unwrap()
    );
    assert!(merged["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["port"] == 445 && x["kind"] == "sweep"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_summarize_leaves_no_partial_parquet_file() {
    let dir = tmp("killed");
    let big = dir.join("big.pcap");
    run(&["bulk", "--mix", "mixed", "--size", "64M", "-o", s(&big)]);
    let out = dir.join("summaries");
    for wait_ms in [50u64, 400, 1500] {
        let mut child = Command::new(bin())
            .args(["summarize", "-q", "--out", s(&out), s(&big)])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever is there under a .parquet name is a whole, readable summary.
        let mut files = Vec::new();
        let mut todo = vec![out.clone()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    todo.push(p);
                } else if p.extension().is_some_and(|x| x == "parquet") {
                    files.push(p);
                }
            }
        }
        if !files.is_empty() {
            run(&["detect", "--json", s(&out)]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_capture_summarised_for_two_sensors_counts_twice() {
    let dir = tmp("twice");
    let out = dir.join("summaries");
    let sample = root().join("static/sample.pcap");
    for sensor in ["a", "b"] {
        run(&[
            "summarize",
            "-q",
            "--no-hash",
            "--sensor",
            sensor,
            "--out",
            s(&out),
            s(&sample),
        ]);
    }
    let merged = json(&["detect", "--json", s(&out)]);
    let one = json(&["analyze", "-q", "--bin", "1m", "--json", s(&sample)]);
    assert_eq!(
        merged["capture"]["packets"].as_u64().unwrap(),
        2 * one["capture"]["packets"].as_u64().unwrap()
    );
    assert_eq!(merged["capture"]["files"].as_array().unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
