//! `portspike summarize` and `portspike detect`: summaries of a capture's
//! parts merge into what the whole capture gives, DuckDB reads them, a killed
//! run leaves no partial file, and several sensors merge.

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
    // No progress bar: DuckDB draws one on stdout for a query slower than
    // 2 s (a loaded machine), which is no longer JSON.
    let script = "import duckdb, json, sys\nduckdb.sql('SET enable_progress_bar = false')\nrows = duckdb.sql(sys.stdin.read()).fetchall()\nprint(json.dumps([[str(c) if not isinstance(c, (int, float)) else c for c in r] for r in rows]))";
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

/// The documented query's rows (day, proto, port, …) rank the sample's
/// sweep, tcp/445, first on its day, 2026-03-02.
fn assert_sweep_ranks_first(top: &[Vec<Value>]) {
    let first = top
        .iter()
        .find(|r| r[0].as_str().unwrap() == "2026-03-02")
        .unwrap_or_else(|| panic!("no row of 2026-03-02: {top:?}"));
    assert_eq!(
        (first[1].as_str(), first[2].as_u64()),
        (Some("tcp"), Some(445)),
        "{top:?}"
    );
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
    assert_sweep_ranks_first(&top);

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

/// The first SQL block of docs/fleet.md after `marker`, as written there.
fn documented_sql(marker: &str, summaries: &Path) -> String {
    let doc = std::fs::read_to_string(root().join("docs/fleet.md")).unwrap();
    let at = doc
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in docs/fleet.md"));
    let block = &doc[at..];
    let start = block.find("```sql\n").unwrap() + 7;
    let end = start + block[start..].find("```").unwrap();
    block[start..end].replace("SUMMARIES", s(summaries))
}

/// Java's major version, from `java -version` ("17.0.15", "1.8.0_392").
fn java_major() -> Option<u32> {
    let out = Command::new("java").arg("-version").output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let version = text.split('"').nth(1)?;
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    match parts.next()?.parse().ok()? {
        1 => parts.next()?.parse().ok(),
        major => Some(major),
    }
}

/// Why Spark cannot run here, if it cannot: Spark 4 needs Java 17 or
/// later, and the tests drive it through PySpark.
fn spark_missing() -> Option<String> {
    match java_major() {
        None => return Some("no Java (java -version); Spark 4 needs Java 17 or later".into()),
        Some(v) if v < 17 => return Some(format!("Java {v}; Spark 4 needs Java 17 or later")),
        Some(_) => {}
    }
    let pyspark = Command::new("python3")
        .args(["-c", "import pyspark"])
        .output()
        .is_ok_and(|o| o.status.success());
    (!pyspark).then(|| "no pyspark (bash scripts/setup.sh test installs it)".into())
}

/// Runs each script (statements separated by `;`) in one local Spark
/// session, in order; returns Spark's version and the rows of each
/// script's last statement.
const SPARK: &str = r#"import json, sys
from pyspark.sql import SparkSession
local = sys.argv[1]
spark = (SparkSession.builder.master("local[1]").appName("portspike-fleet-test")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.driver.memory", "512m")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "1")
    .config("spark.local.dir", local)
    .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
results = []
for script in json.load(sys.stdin):
    rows = []
    for statement in [x.strip() for x in script.split(";") if x.strip()]:
        rows = spark.sql(statement).collect()
    results.append([[c if isinstance(c, (int, float)) else str(c) for c in r] for r in rows])
print(json.dumps({"version": spark.version, "results": results}))
spark.stop()
"#;

fn spark(scripts: &[String], dir: &Path) -> (String, Vec<Vec<Vec<Value>>>) {
    let local = dir.join("spark-local");
    std::fs::create_dir_all(&local).unwrap();
    let mut child = Command::new("python3")
        .args(["-c", SPARK, s(&local)])
        .current_dir(dir)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(scripts).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "Spark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rows| {
            rows.as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_array().unwrap().clone())
                .collect()
        })
        .collect();
    (v["version"].as_str().unwrap().to_string(), results)
}

/// docs/fleet.md's Spark SQL, as written there, over the summaries of
/// the DuckDB test's captures: the same rows as DuckDB's query, per-port
/// sums equal to `detect`'s totals, and per sensor to `analyze`'s.
#[test]
fn spark_runs_the_documented_query_and_its_sums_equal_the_report() {
    if let Some(why) = spark_missing() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tmp("spark");
    let out = dir.join("summaries");
    let sample = root().join("static/sample.pcap");
    let afs = corpus("tcpdump__afs.pcap");
    for (sensor, file) in [("office", &sample), ("lab", &afs)] {
        run(&[
            "summarize",
            "-q",
            "--sensor",
            sensor,
            "--out",
            s(&out),
            s(file),
        ]);
    }
    let started = std::time::Instant::now();
    let (version, results) = spark(
        &[
            documented_sql("Spark SQL (tested with Spark 4.3", &out),
            // The view the documented SQL made, per sensor.
            "SELECT sensor, proto, port, sum(packets), sum(bytes), sum(attempts) FROM ports \
             GROUP BY sensor, proto, port ORDER BY sensor, proto, port"
                .to_string(),
        ],
        &dir,
    );
    eprintln!("Spark {version}: {:.1} s", started.elapsed().as_secs_f64());
    let (top, per_sensor) = (&results[0], &results[1]);

    // The same rows, in the same order, as the DuckDB query of the doc.
    assert!(!top.is_empty());
    assert_eq!(top, &duckdb(&documented_query(&out)), "Spark vs DuckDB");
    assert_sweep_ranks_first(top);

    // Per port, over the days: attempts and packets are detect's totals.
    let merged = json(&["detect", "--json", s(&out)]);
    let mut want: Vec<(String, u64, u64, u64)> = merged["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["proto"].as_str().unwrap().to_string(),
                p["port"].as_u64().unwrap(),
                p["totals"]["attempts"].as_u64().unwrap(),
                p["totals"]["packets"].as_u64().unwrap(),
            )
        })
        .collect();
    want.sort();
    let mut got: std::collections::BTreeMap<(String, u64), (u64, u64)> = Default::default();
    for r in top {
        assert!(r[5].as_u64().unwrap() >= 1, "{r:?}");
        let e = got
            .entry((r[1].as_str().unwrap().to_string(), r[2].as_u64().unwrap()))
            .or_default();
        e.0 += r[3].as_u64().unwrap();
        e.1 += r[4].as_u64().unwrap();
    }
    let got: Vec<(String, u64, u64, u64)> = got
        .into_iter()
        .map(|((proto, port), (attempts, packets))| (proto, port, attempts, packets))
        .collect();
    assert_eq!(got, want, "Spark vs detect");

    // Per sensor (Spark found `sensor` in the directory names): packets,
    // bytes and attempts are analyze's totals of that sensor's capture.
    for (sensor, file) in [("office", &sample), ("lab", &afs)] {
        let report = json(&["analyze", "-q", "--bin", "1m", "--json", s(file)]);
        let mut want: Vec<Vec<Value>> = report["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let t = &p["totals"];
                vec![
                    sensor.into(),
                    p["proto"].clone(),
                    p["port"].clone(),
                    t["packets"].clone(),
                    t["bytes"].clone(),
                    t["attempts"].clone(),
                ]
            })
            .collect();
        want.sort_by_key(|r| (r[1].as_str().unwrap().to_string(), r[2].as_u64().unwrap()));
        let got: Vec<Vec<Value>> = per_sensor
            .iter()
            .filter(|r| r[0] == sensor)
            .cloned()
            .collect();
        assert_eq!(got, want, "{sensor}");
    }
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

/// One capture summarised for two sensors: with its SHA-256 it is known
/// to be one and counts once, with a warning; without (`--no-hash`) it
/// cannot be told apart and counts twice.
#[test]
fn one_capture_summarised_for_two_sensors() {
    let sample = root().join("static/sample.pcap");
    let one = json(&["analyze", "-q", "--bin", "1m", "--json", s(&sample)]);
    let packets = one["capture"]["packets"].as_u64().unwrap();
    for (hash, times) in [(false, 2), (true, 1)] {
        let dir = tmp(if hash { "twice-hashed" } else { "twice" });
        let out = dir.join("summaries");
        for sensor in ["a", "b"] {
            let mut args = vec![
                "summarize",
                "-q",
                "--sensor",
                sensor,
                "--out",
                s(&out),
                s(&sample),
            ];
            if !hash {
                args.push("--no-hash");
            }
            run(&args);
        }
        let merged = json(&["detect", "--json", s(&out)]);
        assert_eq!(
            merged["capture"]["packets"].as_u64().unwrap(),
            times * packets
        );
        let w = merged["capture"]["warnings"].as_array().unwrap();
        let said = w.iter().any(|w| {
            w["code"] == "duplicate_capture"
                && w["message"].as_str().unwrap().contains("counted once")
        });
        assert_eq!(said, hash, "{w:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A value of a crafted summary's column.
enum V {
    I32(i32),
    I64(i64),
    Bytes(&'static [u8]),
}

/// Write a one-row Parquet file of `schema` with the key-value metadata
/// given: each column gets its value from `values`, or zeros of its type.
fn craft(path: &Path, schema: &str, kv: &[(&str, String)], values: &[(&str, V)]) {
    use parquet::data_type::{
        ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
    };
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_key_value_metadata(Some(
            kv.iter()
                .map(|(k, v)| KeyValue::new(k.to_string(), v.clone()))
                .collect(),
        ))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema.clone(), Arc::new(props)).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for field in schema.get_fields() {
        let mut col = rg.next_column().unwrap().unwrap();
        let v = values
            .iter()
            .find(|(n, _)| *n == field.name())
            .map(|(_, v)| v);
        let def: Option<&[i16]> = field.is_optional().then_some(&[1]);
        match field.get_physical_type() {
            parquet::basic::Type::INT32 => {
                let x = match v {
                    Some(V::I32(x)) => *x,
                    _ => 0,
                };
                col.typed::<Int32Type>()
                    .write_batch(&[x], def, None)
                    .unwrap();
            }
            parquet::basic::Type::INT64 => {
                let x = match v {
                    Some(V::I64(x)) => *x,
                    _ => 0,
                };
                col.typed::<Int64Type>()
                    .write_batch(&[x], def, None)
                    .unwrap();
            }
            parquet::basic::Type::DOUBLE => {
                col.typed::<parquet::data_type::DoubleType>()
                    .write_batch(&[0.0], def, None)
                    .unwrap();
            }
            parquet::basic::Type::BOOLEAN => {
                col.typed::<parquet::data_type::BoolType>()
                    .write_batch(&[false], def, None)
                    .unwrap();
            }
            parquet::basic::Type::FIXED_LEN_BYTE_ARRAY => {
                let b: FixedLenByteArray = ByteArray::from(vec![0u8; 256]).into();
                col.typed::<FixedLenByteArrayType>()
                    .write_batch(&[b], def, None)
                    .unwrap();
            }
            _ => {
                let x = match v {
                    Some(V::Bytes(b)) => b.to_vec(),
                    _ => b"tcp".to_vec(),
                };
                col.typed::<ByteArrayType>()
                    .write_batch(&[ByteArray::from(x)], def, None)
                    .unwrap();
            }
        }
        col.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

/// The capture summary crafted summaries carry: tcpdump__afs.pcap's.
fn afs_capture() -> String {
    json(&[
        "analyze",
        "--json",
        "--no-hash",
        s(&corpus("tcpdump__afs.pcap")),
    ])["capture"]
        .to_string()
}

/// A one-row ports summary at `path`, carrying `capture`, at one-minute bins.
fn craft_ports(path: &Path, capture: String) {
    craft(
        path,
        &ports_schema(|l| l.to_string()),
        &[
            ("portspike.table", "ports".to_string()),
            ("portspike.capture", capture),
            ("portspike.bin_width_us", "60000000".to_string()),
        ],
        &[
            ("start_ts", V::I64(1_772_409_600_000_000)),
            ("bin_width_us", V::I64(60_000_000)),
        ],
    );
}

/// The ports table's schema as summaries write it, with `edit` applied.
fn ports_schema(edit: impl Fn(&str) -> String) -> String {
    let lines = [
        "required binary proto (STRING);",
        "required int32 port;",
        "required int64 start_ts (TIMESTAMP(MICROS,true));",
        "required int64 bin_width_us;",
        "required int64 packets;",
        "required int64 bytes;",
        "required int64 attempts;",
        "required int64 failures;",
        "required int64 completed;",
        "required int64 syn;",
        "required int64 synack;",
        "required int64 rst;",
        "required int64 fin;",
        "required int64 other;",
        "required int64 unsolicited;",
        "required int64 sources;",
        "required int64 destinations;",
        "required fixed_len_byte_array(256) sources_hll;",
        "required fixed_len_byte_array(256) destinations_hll;",
    ];
    let body: Vec<String> = lines
        .iter()
        .map(|l| edit(l))
        .filter(|l| !l.is_empty())
        .collect();
    format!("message port_bins {{ {} }}", body.join(" "))
}

/// A crafted summary: what it is, its schema, metadata and values, and what
/// the error must say.
type Case = (
    &'static str,
    String,
    Vec<(&'static str, String)>,
    Vec<(&'static str, V)>,
    &'static str,
);

#[test]
fn detect_refuses_hostile_summaries_naming_the_file_and_column() {
    let dir = tmp("hostile");
    let capture = afs_capture();
    let kv = |table: &str| {
        vec![
            ("portspike.table", table.to_string()),
            ("portspike.capture", capture.clone()),
            ("portspike.bin_width_us", "60000000".to_string()),
        ]
    };
    let same = |l: &str| l.to_string();
    let minute = 1_772_409_600_000_000i64;
    let mut cases: Vec<Case> = vec![
        (
            "a port past 65535",
            ports_schema(same),
            kv("ports"),
            vec![
                ("port", V::I32(70_000)),
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
            ],
            "row 0, column port: 70000 is outside 0–65535",
        ),
        (
            "a column of the wrong type",
            ports_schema(|l| l.replace("required int64 packets;", "required binary packets;")),
            kv("ports"),
            vec![
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
                ("packets", V::Bytes(b"9")),
            ],
            "column packets: BYTE_ARRAY values, where a summary has INT64",
        ),
        (
            "a missing column",
            ports_schema(|l| {
                if l.contains(" failures;") {
                    String::new()
                } else {
                    l.to_string()
                }
            }),
            kv("ports"),
            vec![
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
            ],
            "column failures: missing",
        ),
    ];
    cases.extend(value_cases(&kv, &capture, minute));
    for (what, schema, kv, values, says) in cases {
        let f = dir.join("x.parquet");
        craft(&f, &schema, &kv, &values);
        let out = Command::new(bin())
            .args(["detect", "--json", s(&f)])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(
            err.contains(says) && err.contains("x.parquet"),
            "{what}: {err}"
        );
    }
}

/// Summaries whose schema is right and whose values or metadata are not.
fn value_cases(
    kv: &dyn Fn(&str) -> Vec<(&'static str, String)>,
    capture: &str,
    minute: i64,
) -> Vec<Case> {
    let same = |l: &str| l.to_string();
    vec![
        (
            "a time at the end of i64",
            ports_schema(same),
            kv("ports"),
            vec![
                ("start_ts", V::I64(i64::MAX)),
                ("bin_width_us", V::I64(60_000_000)),
            ],
            "column start_ts: 9223372036854775807 µs is more than 1,100 years from 1970",
        ),
        (
            "a negative count",
            ports_schema(same),
            kv("ports"),
            vec![
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
                ("packets", V::I64(-5)),
            ],
            "row 0, column packets: -5 is outside",
        ),
        (
            "an unknown protocol",
            ports_schema(same),
            kv("ports"),
            vec![
                ("proto", V::Bytes(b"sctp")),
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
            ],
            "column proto: \"sctp\" is not a protocol",
        ),
        (
            "another table",
            ports_schema(same),
            kv("flows"),
            vec![],
            "not a portspike summary",
        ),
        (
            "a capture summary with a null count",
            ports_schema(same),
            {
                let mut c: Value = serde_json::from_str(capture).unwrap();
                c["packets"] = Value::Null;
                let mut k = kv("ports");
                k[1].1 = c.to_string();
                k
            },
            vec![
                ("start_ts", V::I64(minute)),
                ("bin_width_us", V::I64(60_000_000)),
            ],
            "metadata portspike.capture: not a capture summary: field packets: invalid type: null, expected u64",
        ),
    ]
}

#[test]
fn summaries_given_twice_count_once_with_a_warning() {
    let dir = tmp("twice-given");
    let out = dir.join("summaries");
    run(&[
        "summarize",
        "-q",
        "--out",
        s(&out),
        s(&corpus("tcpdump__afs.pcap")),
    ]);
    let once = json(&["detect", "--json", s(&out)]);
    let link = dir.join("again");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    for args in [vec![s(&out), s(&out)], vec![s(&out), s(&link)]] {
        let mut a = vec!["detect", "--json"];
        a.extend(args);
        let twice = json(&a);
        assert_eq!(twice["capture"]["packets"], once["capture"]["packets"]);
        assert_eq!(twice["ports"], once["ports"]);
        let warned = twice["capture"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "duplicate_file");
        assert!(warned, "{}", twice["capture"]["warnings"]);
    }
}

#[test]
fn summarize_refuses_a_non_capture_and_never_overwrites_another_capture() {
    let dir = tmp("refuse");
    let out = dir.join("summaries");
    // Random bytes: no capture, no summary, exit 2 as analyze.
    let junk = dir.join("junk.pcap");
    std::fs::write(
        &junk,
        (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let r = Command::new(bin())
        .args(["summarize", "-q", "--out", s(&out), s(&junk)])
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("nothing to summarise"));
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    // Two captures of one name from two places, without their hashes: the
    // second would land on the first's file, and is refused.
    for (sub, src) in [("a", "tcpdump__afs.pcap"), ("b", "tcpdump__mptcp-v0.pcap")] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::copy(corpus(src), dir.join(sub).join("cap.pcap")).unwrap();
    }
    run(&[
        "summarize",
        "-q",
        "--no-hash",
        "--out",
        s(&out),
        s(&dir.join("a/cap.pcap")),
    ]);
    let first = json(&["detect", "--json", s(&out)]);
    let r = Command::new(bin())
        .args([
            "summarize",
            "-q",
            "--no-hash",
            "--out",
            s(&out),
            s(&dir.join("b/cap.pcap")),
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("another capture"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(
        json(&["detect", "--json", s(&out)])["capture"],
        first["capture"]
    );
    // The same capture again replaces its own summary.
    run(&[
        "summarize",
        "-q",
        "--no-hash",
        "--out",
        s(&out),
        s(&dir.join("a/cap.pcap")),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_page_claiming_more_than_it_holds_is_refused_before_it_is_read() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tmp("page-claims");
    let day = |table: &str| dir.join(table).join("sensor=s").join("day=2026-03-02");
    std::fs::create_dir_all(day("ports")).unwrap();
    std::fs::create_dir_all(day("scanners")).unwrap();
    let capture = afs_capture();
    craft_ports(&day("ports").join("c.parquet"), capture);
    let f = day("scanners").join("c.parquet");
    // One scanner whose source is 1.5 MB of one letter: a page of over
    // 1 MiB (its size a 4-byte varint) stored in some 70 KB.
    let big: &'static [u8] = Box::leak(vec![b'a'; 1_500_000].into_boxed_slice());
    let schema = "message scanners { required binary source (STRING); required binary kind (STRING); \
        required binary probes (STRING); required binary method (STRING); required double score; \
        required int64 targets; required int64 ports; required int64 attempts; required int64 failures; \
        required int64 first_ts (TIMESTAMP(MICROS,true)); required int64 detected_ts (TIMESTAMP(MICROS,true)); \
        required int64 last_ts (TIMESTAMP(MICROS,true)); required boolean allowlisted; }";
    craft(
        &f,
        schema,
        &[("portspike.table", "scanners".to_string())],
        &[
            ("source", V::Bytes(big)),
            ("kind", V::Bytes(b"horizontal")),
            ("method", V::Bytes(b"trw")),
            ("probes", V::Bytes(b"syn")),
        ],
    );
    let honest = Command::new(bin())
        .args(["detect", "--json", s(&dir)])
        .output()
        .unwrap();
    assert!(
        honest.status.success(),
        "{}",
        String::from_utf8_lossy(&honest.stderr)
    );
    // Its first page now claims 128 MiB, in the same four bytes.
    let (start, _) = {
        let r = SerializedFileReader::new(std::fs::File::open(&f).unwrap()).unwrap();
        r.metadata().row_group(0).column(0).byte_range()
    };
    let mut bytes = std::fs::read(&f).unwrap();
    let at = start as usize;
    assert_eq!(bytes[at], 0x15, "a page header starts with its type");
    assert_eq!(bytes[at + 2], 0x15, "then its uncompressed size");
    assert!(bytes[at + 3..at + 6].iter().all(|b| b & 0x80 != 0) && bytes[at + 6] & 0x80 == 0);
    bytes[at + 3..at + 7].copy_from_slice(&[0xfe, 0xff, 0xff, 0x7f]);
    std::fs::write(&f, &bytes).unwrap();
    // Refused under a memory limit the claim alone would pass twice over.
    let out = Command::new("bash")
        .args([
            "-c",
            "ulimit -v 400000; exec \"$0\" detect --json \"$1\"",
            bin(),
            s(&f),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("c.parquet: column \"source\" of row group 0: page 0 at byte")
            && err.contains("claims 134217727 bytes decompressed from"),
        "{err}"
    );
}

/// A pcap of one TCP SYN to port 80 at the start of each of `days` days.
fn days_pcap(path: &Path, days: u32) {
    let mut b = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        if v == 0x0004_0002 {
            b.extend_from_slice(&2u16.to_le_bytes());
            b.extend_from_slice(&4u16.to_le_bytes());
        } else {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    for d in 0..days {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let ip = [
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        f.extend_from_slice(&ip);
        let tcp = [
            0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
        ];
        f.extend_from_slice(&tcp);
        let ts = 1_772_409_600u32 + d * 86_400 + 60;
        for v in [ts, 0, f.len() as u32, f.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&f);
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_capture_whose_days_are_not_all_there_is_refused_naming_them() {
    let dir = tmp("days");
    let cap = dir.join("three.pcap");
    days_pcap(&cap, 3);
    let out = dir.join("summaries");
    run(&[
        "summarize",
        "-q",
        "--out",
        s(&out),
        "--sensor",
        "s",
        s(&cap),
    ]);
    let whole = json(&["detect", "--json", s(&out)]);
    assert_eq!(whole["capture"]["packets"], 3);
    let middle = out.join("ports/sensor=s/day=2026-03-03");
    assert!(middle.is_dir(), "a ports file for each of the three days");
    std::fs::rename(&middle, dir.join("away")).unwrap();
    let o = Command::new(bin())
        .args(["detect", "--json", s(&out)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ports summaries for 3 days (2026-03-02, 2026-03-03, 2026-03-04), and 1 of them are not here: 2026-03-03"),
        "{err}"
    );
}

/// `detect` streams: a million rows (1,000 ports × 1,000 one-second bins,
/// written by DuckDB) are read within 256 MiB of address space, where
/// holding them took 2.5 GB for four million.
#[test]
fn a_million_rows_are_detected_within_256_mib() {
    let dir = tmp("million");
    let day = dir.join("ports/sensor=a/day=2026-03-02");
    std::fs::create_dir_all(&day).unwrap();
    let capture = afs_capture();
    let rows = 1_000_000u64;
    let file = day.join("x.parquet");
    let zeros = "CAST(repeat(chr(0), 256) AS BLOB)";
    let sql = format!(
        "COPY (SELECT 'tcp' AS proto, CAST(i % 1000 AS INTEGER) AS port,
           make_timestamp(1772409600000000 + (i // 1000) * 1000000) AS start_ts,
           CAST(1000000 AS BIGINT) AS bin_width_us, CAST(1 + i % 7 AS BIGINT) AS packets,
           CAST(60 AS BIGINT) AS bytes, CAST(1 AS BIGINT) AS attempts, CAST(0 AS BIGINT) AS failures,
           CAST(0 AS BIGINT) AS completed, CAST(1 AS BIGINT) AS syn, CAST(0 AS BIGINT) AS synack,
           CAST(0 AS BIGINT) AS rst, CAST(0 AS BIGINT) AS fin, CAST(0 AS BIGINT) AS other,
           CAST(0 AS BIGINT) AS unsolicited, CAST(1 AS BIGINT) AS sources, CAST(1 AS BIGINT) AS destinations,
           {zeros} AS sources_hll, {zeros} AS destinations_hll FROM range({rows}) t(i))
         TO '{}' (FORMAT parquet, KV_METADATA {{'portspike.table': 'ports',
           'portspike.bin_width_us': '1000000', 'portspike.capture': '{}'}});
         SELECT 1",
        s(&file),
        capture.replace('\'', "''")
    );
    duckdb(&sql);
    let out = Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 262144 && exec \"$0\" detect --json \"$1\"")
        .arg(bin())
        .arg(s(&dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ports = r["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 1000);
    let counted: u64 = ports
        .iter()
        .map(|p| p["totals"]["packets"].as_u64().unwrap())
        .sum();
    let written: u64 = (0..rows).map(|i| 1 + i % 7).sum();
    assert_eq!(counted, written);
}

/// A summary's footer rewritten to claim what its data does not hold: a row
/// group of 2³¹ rows, a column chunk of 2 GiB decompressed. Each is refused
/// from the footer alone, within 256 MiB of address space (the first once
/// climbed to 3.9 GB, the second to 6 GB).
#[test]
fn a_footer_claiming_rows_or_bytes_its_file_cannot_hold_is_refused_unread() {
    use parquet::file::metadata::ParquetMetaDataWriter;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tmp("footer-claims");
    let capture = afs_capture();
    let day = dir.join("ports/sensor=s/day=2026-03-02");
    std::fs::create_dir_all(&day).unwrap();
    let f = day.join("c.parquet");
    craft_ports(&f, capture);
    let honest = std::fs::read(&f).unwrap();
    let meta = SerializedFileReader::new(std::fs::File::open(&f).unwrap())
        .unwrap()
        .metadata()
        .clone();
    let n = honest.len();
    let footer = u32::from_le_bytes(honest[n - 8..n - 4].try_into().unwrap()) as usize;
    let data = &honest[..n - 8 - footer];
    let rg = meta.row_group(0).clone();
    let mut columns = rg.columns().to_vec();
    columns[4] = columns[4]
        .clone()
        .into_builder()
        .set_total_uncompressed_size(2 << 30)
        .build()
        .unwrap();
    let lies = [
        (
            rg.clone()
                .into_builder()
                .set_num_rows(1 << 31)
                .build()
                .unwrap(),
            "row group 0 claims 2147483648 rows in a file of",
        ),
        (
            rg.into_builder()
                .set_column_metadata(columns)
                .build()
                .unwrap(),
            "column \"packets\" of row group 0 claims 2147483648 bytes from",
        ),
    ];
    for (group, says) in lies {
        let lying = meta
            .clone()
            .into_builder()
            .set_row_groups(vec![group])
            .build();
        let mut bytes = data.to_vec();
        ParquetMetaDataWriter::new(&mut bytes, &lying)
            .finish()
            .unwrap();
        std::fs::write(&f, &bytes).unwrap();
        let out = Command::new("bash")
            .arg("-c")
            .arg("ulimit -v 262144 && exec \"$0\" detect --json \"$1\"")
            .arg(bin())
            .arg(s(&dir))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{says}: {err}");
        assert!(
            err.contains("c.parquet: ") && err.contains(says) && err.contains("refused unread"),
            "{err}"
        );
    }
    // The honest footer, written back the same way, is read.
    let mut bytes = data.to_vec();
    ParquetMetaDataWriter::new(&mut bytes, &meta)
        .finish()
        .unwrap();
    std::fs::write(&f, &bytes).unwrap();
    run(&["detect", "--json", s(&dir)]);
}
