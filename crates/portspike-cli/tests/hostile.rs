//! The CLI on inputs that would mislead it: a file named twice, a bad file
//! among several, hostile strings in the CSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Command;

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

/// [`run`] under a limit on the process's address space (`ulimit -v`, KiB):
/// past it an allocation fails and the process aborts, so the limit is
/// the bound the test asserts.
fn run_within(kib: u64, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .output()
        .expect("run portspike under bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The address space the dense-grid commands get: 512 MiB, where they once
/// took 4.7 GB (summarize) and wrote 8 GB (analyze).
const GRID_LIMIT_KIB: u64 = 512 << 10;

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("portspike-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap()
}

#[test]
fn a_file_given_twice_is_read_once_and_said() {
    let dir = tempdir();
    let f = dir.join("twice.pcap");
    std::fs::write(&f, portspike_gen::synth::sample()).unwrap();
    let copy = dir.join("copy.pcap");
    std::fs::copy(&f, &copy).unwrap();
    let s = f.to_str().unwrap();
    let (_, once, _) = run(&["analyze", s, "--json"]);
    let (code, twice, _) = run(&["analyze", s, s, "--json"]);
    assert_eq!(code, 0);
    let (once, twice) = (json(&once), json(&twice));
    assert_eq!(once["capture"]["packets"], twice["capture"]["packets"]);
    let w = &twice["capture"]["warnings"];
    assert!(
        w.as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "duplicate_file"),
        "{w}"
    );
    // The same bytes under another name are read, and said to be counted twice.
    let (_, both, _) = run(&["analyze", s, copy.to_str().unwrap(), "--json"]);
    let both = json(&both);
    let msg = both["capture"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "duplicate_file")
        .expect("a warning")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("counted twice"), "{msg}");
}

#[test]
fn the_error_of_one_file_of_several_names_that_file() {
    let dir = tempdir();
    let good = dir.join("good.pcap");
    let bad = dir.join("bad.pcap");
    let sample = portspike_gen::synth::sample();
    std::fs::write(&good, &sample).unwrap();
    std::fs::write(&bad, &sample[..sample.len() / 2 + 3]).unwrap();
    let (code, _, err) = run(&[
        "analyze",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        "--no-hash",
    ]);
    assert_eq!(code, 3);
    assert!(err.starts_with("portspike: bad.pcap: "), "{err}");
    assert!(!err.contains("good.pcap"), "{err}");
}

/// A pcapng block: type, body, lengths around it.
fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = ty.to_le_bytes().to_vec();
    b.extend(len.to_le_bytes());
    b.extend(body);
    b.extend(len.to_le_bytes());
    b
}

/// An option (code, value) padded to 4 bytes.
fn opt(code: u16, v: &[u8]) -> Vec<u8> {
    let mut o = code.to_le_bytes().to_vec();
    o.extend((v.len() as u16).to_le_bytes());
    o.extend(v);
    o.resize(o.len().div_ceil(4) * 4, 0);
    o
}

#[test]
fn terminal_escapes_in_a_capture_or_a_name_are_shown_not_obeyed() {
    // Clear the screen, set a colour, write the clipboard (OSC 52), a C1 CSI.
    let evil = "\u{1b}[2J\u{1b}[31mOWNED\u{1b}]52;c;aGk=\u{7}\u{9b}1m";
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    shb.extend(opt(1, evil.as_bytes()));
    shb.extend(opt(0, &[]));
    let mut idb = 1u16.to_le_bytes().to_vec();
    idb.extend(0u16.to_le_bytes());
    idb.extend(65535u32.to_le_bytes());
    let frame = [0u8; 60];
    let mut epb = 0u32.to_le_bytes().to_vec();
    let ts: u64 = 1_772_442_000_000_000;
    epb.extend(((ts >> 32) as u32).to_le_bytes());
    epb.extend((ts as u32).to_le_bytes());
    epb.extend(60u32.to_le_bytes());
    epb.extend(60u32.to_le_bytes());
    epb.extend(frame);
    epb.extend(opt(1, evil.as_bytes()));
    epb.extend(opt(0, &[]));
    let mut cap = block(0x0a0d_0d0a, &shb);
    cap.extend(block(1, &idb));
    cap.extend(block(6, &epb));
    let dir = tempdir();
    let f = dir.join(format!("name{evil}.pcapng"));
    std::fs::write(&f, &cap).unwrap();
    let (code, out, err) = run(&["analyze", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for text in [&out, &err] {
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'));
    }
    // Shown, so a reader sees what the capture holds.
    assert!(
        out.contains("\\x1b[2J\\x1b[31mOWNED\\x1b]52;c;aGk=\\x07\\u{9b}1m"),
        "{out}"
    );
    // JSON keeps the text as it is (escaped by JSON itself).
    let (_, js, _) = run(&["analyze", f.to_str().unwrap(), "--json"]);
    assert_eq!(json(&js)["annotations"][0]["text"], evil);
    // An error naming the file: its name is shown escaped too.
    let bad = dir.join(format!("bad{evil}.pcap"));
    std::fs::write(&bad, b"not a capture at all").unwrap();
    let (code, _, err) = run(&["analyze", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("bad\\x1b[2J"), "{err}");
}

#[test]
fn a_chosen_bin_width_is_coarsened_before_the_timelines_outgrow_their_bound() {
    // 512 ports at both ends of a 139-day span: one-minute bins would be
    // 200,160 bins for each port's timeline (it once wrote 8 GB of JSON).
    let dir = tempdir();
    let f = dir.join("span.pcap");
    let mut tr = portspike_gen::synth::Trace::new();
    let t0 = portspike_gen::synth::SAMPLE_START_NS;
    let day = 86_400 * 1_000_000_000i64;
    for (i, port) in (2000u16..2512).enumerate() {
        for t in [t0, t0 + 139 * day] {
            tr.udp(t + i as i64, [10, 0, 0, 1], [10, 0, 0, 2], 40000, port, 8);
        }
    }
    std::fs::write(&f, tr.into_pcap(96)).unwrap();
    let s = f.to_str().unwrap();
    let (code, out, err) = run_within(
        GRID_LIMIT_KIB,
        &["analyze", "--bin", "1m", "--no-hash", "--json", s],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.len() < 64 << 20, "{} bytes of JSON", out.len());
    let r = json(&out);
    let width = r["bin_width_us"].as_u64().unwrap();
    assert!(width > 60_000_000, "{width}");
    let w = r["capture"]["warnings"].as_array().unwrap();
    assert!(w.iter().any(|w| w["code"] == "bins_coarsened"), "{w:?}");
    // Every port keeps its counts.
    assert_eq!(r["ports"].as_array().unwrap().len(), 512);
    // A summary is written at the width its rows have (past 200,000 bins of
    // one minute, five), says so, and detect reads it.
    let sums = dir.join("sums");
    let (code, _, err) = run_within(
        GRID_LIMIT_KIB,
        &[
            "summarize",
            "-q",
            "--no-hash",
            "--bin",
            "1m",
            "--out",
            sums.to_str().unwrap(),
            s,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("summarised at 300000000 µs"), "{err}");
    let (code, out, err) = run_within(
        GRID_LIMIT_KIB,
        &["detect", "--json", sums.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["bin_width_us"], 300_000_000);
}

#[test]
fn impossible_detection_settings_are_refused_naming_the_setting() {
    for (flag, value) in [
        ("--threshold", "1e309"),
        ("--threshold", "NaN"),
        ("--threshold", "0"),
        ("--single-bin-factor", "inf"),
        ("--min-excess", "-1"),
    ] {
        let (code, _, err) = run(&["analyze", &format!("{flag}={value}"), "static/sample.pcap"]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag} {value}: {err}");
        assert!(err.len() < 400, "{flag} {value}: {err}");
    }
}

#[test]
fn files_that_cannot_be_read_are_named_with_what_is_wrong() {
    let dir = tempdir().join("files");
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("loop-a"), dir.join("loop-b"));
    let _ = std::fs::remove_file(&a);
    let _ = std::fs::remove_file(&b);
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let long = dir.join("n".repeat(300));
    let fifo = dir.join("fifo.parquet");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let cases: [(&[&str], &str); 4] = [
        (
            &["analyze", a.to_str().unwrap()],
            "loop-a: a loop of symbolic links",
        ),
        (
            &["detect", a.to_str().unwrap()],
            "loop-a: a loop of symbolic links",
        ),
        (
            &["analyze", long.to_str().unwrap()],
            "the path is longer than the system takes",
        ),
        // Refused before it is opened: opening a FIFO would wait for a writer.
        (
            &["detect", fifo.to_str().unwrap()],
            "fifo.parquet: a FIFO (a named pipe), where a regular file is needed",
        ),
    ];
    for (args, says) in cases {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
