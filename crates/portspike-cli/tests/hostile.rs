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
