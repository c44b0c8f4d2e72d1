//! "Save these packets" is evidence: the saved capture holds exactly the
//! packets the finding's (or scanner's) Wireshark filter selects in tshark,
//! read again through the time index in 1 MiB pieces as the page reads them.
//! Checked on every shared capture with a finding or a scanner, and on
//! ten-minute scenarios over real corpus traffic written as pcap, as pcapng,
//! as one pcapng of two sections, as one pcapng of two interfaces and as a
//! rotated set.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures")
}

fn portspike(args: &[&str], files: &[PathBuf]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(args)
        .args(files)
        .output()
        .unwrap()
}

fn report(files: &[PathBuf]) -> serde_json::Value {
    let out = portspike(&["analyze", "-q", "--no-hash", "--json"], files);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{files:?}: {e}"))
}

/// Packets tshark reads from `files` (each on its own), with a display filter.
fn tshark_count(files: &[PathBuf], filter: Option<&str>) -> u64 {
    files
        .iter()
        .map(|f| {
            let mut c = Command::new("tshark");
            c.args(["-n", "-r"]).arg(f);
            if let Some(filter) = filter {
                c.args(["-Y", filter]);
            }
            let out = c
                .args(["-T", "fields", "-e", "frame.number"])
                .output()
                .expect("tshark is needed (apt-get install tshark)");
            assert!(out.status.success(), "tshark on {}", f.display());
            String::from_utf8_lossy(&out.stdout).lines().count() as u64
        })
        .sum()
}

fn tool(cmd: &str, args: &[&str]) {
    let st = Command::new(cmd)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{cmd} is needed (apt-get install tshark): {e}"));
    assert!(st.success(), "{cmd} {args:?}");
}

/// Extract every finding and every scanner of `files`; each saved capture
/// must hold what the filter selects, all of it and nothing else. Returns
/// (extracts checked, packets saved).
fn check_all(files: &[PathBuf], out: &Path, label: &str) -> (usize, u64) {
    let r = report(files);
    let mut checked = 0;
    let mut saved = 0;
    let finds = r["spikes"].as_array().unwrap().len();
    let scans = r["scanners"].as_array().unwrap().len();
    let which = (0..finds)
        .map(|i| ("--finding", i))
        .chain((0..scans).map(|i| ("--scanner", i)));
    for (flag, i) in which {
        let res = portspike(
            &["extract", flag, &i.to_string(), "-o", out.to_str().unwrap()],
            files,
        );
        assert!(
            res.status.success(),
            "{label} {flag} {i}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        let x: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        let filter = x["filter"].as_str().unwrap();
        let listed = if flag == "--finding" {
            &r["spikes"][i]
        } else {
            &r["scanners"][i]
        };
        assert_eq!(
            filter, listed["wireshark_filter"],
            "{label}: the report's filter"
        );
        let packets = x["packets"].as_u64().unwrap();
        let selected = tshark_count(files, Some(filter));
        assert_eq!(
            x["matched"].as_u64(),
            Some(selected),
            "{label} {flag} {i}: our selection is the filter's ({filter})"
        );
        assert_eq!(packets, selected, "{label} {flag} {i}: every one saved");
        assert_eq!(x["notes"], serde_json::json!([]), "{label}");
        let kept = [out.to_path_buf()];
        assert_eq!(tshark_count(&kept, None), packets, "{label}: the file");
        assert_eq!(
            tshark_count(&kept, Some(filter)),
            packets,
            "{label}: and only what the filter selects"
        );
        checked += 1;
        saved += packets;
    }
    (checked, saved)
}

#[test]
fn saved_packets_equal_tsharks_selection_on_every_shared_capture_with_findings() {
    let dir = std::env::temp_dir().join(format!("portspike-extract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
        })
        .collect();
    files.sort();
    let mut checked = 0;
    for f in files {
        let r = report(std::slice::from_ref(&f));
        if r["spikes"].as_array().unwrap().is_empty()
            && r["scanners"].as_array().unwrap().is_empty()
        {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        checked += check_all(&[f], &dir.join("x.pcap"), &name).0;
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // The backscatter capture's finding and the four nmap scans' scanners.
    assert!(checked >= 5, "{checked} extracts checked");
}

#[test]
fn saved_packets_equal_tsharks_selection_in_pcapng_sections_interfaces_and_rotated_sets() {
    let dir = std::env::temp_dir().join(format!("portspike-extract-ng-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = corpus();
    let bg: Vec<PathBuf> = [
        "wiregasm__http.cap",
        "pcapplusplus__example.pcap",
        "tcpdump__afs.pcap",
        "tcpdump__mptcp-v0.pcap",
    ]
    .iter()
    .map(|n| c.join(n))
    .collect();
    let pcap = dir.join("sweep.pcap");
    let st = Command::new(env!("CARGO_BIN_EXE_portspike"))
        .args(["synth", "--scenario", "sweep", "--seed", "1", "-o"])
        .arg(&pcap)
        .arg("--background")
        .args(&bg)
        .status()
        .unwrap();
    assert!(st.success());
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let ng = dir.join("sweep.pcapng");
    tool("editcap", &["-F", "pcapng", &s(&pcap), &s(&ng)]);
    // Halves: the first 60,000 packets and the rest.
    let halves = dir.join("half.pcapng");
    tool(
        "editcap",
        &["-F", "pcapng", "-c", "60000", &s(&ng), &s(&halves)],
    );
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("half_")
        })
        .collect();
    parts.sort();
    assert!(parts.len() >= 2, "{parts:?}");
    // Two sections in one file: the halves back to back.
    let sections = dir.join("sections.pcapng");
    let mut both = Vec::new();
    for p in &parts {
        both.extend(std::fs::read(p).unwrap());
    }
    std::fs::write(&sections, both).unwrap();
    // Two interfaces in one section: the halves merged, one interface each.
    let interfaces = dir.join("interfaces.pcapng");
    let mut args = vec!["-I".to_string(), "none".into(), "-w".into(), s(&interfaces)];
    args.extend(parts.iter().map(|p| s(p)));
    tool(
        "mergecap",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let out = dir.join("x.pcap");
    let mut total = 0;
    for (label, files) in [
        ("pcap", vec![pcap.clone()]),
        ("pcapng", vec![ng.clone()]),
        ("two sections", vec![sections.clone()]),
        ("two interfaces", vec![interfaces.clone()]),
        // Given out of order: the set shares one timeline whatever the order.
        ("rotated set", parts.iter().rev().cloned().collect()),
    ] {
        let (checked, saved) = check_all(&files, &out, label);
        // The sweep and its three scanners.
        assert!(checked >= 4, "{label}: {checked} extracts");
        assert!(saved > 10_000, "{label}: {saved} packets saved");
        total += checked;
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(total >= 20);
}

#[test]
fn packets_of_several_link_types_are_saved_whole_as_a_pcapng() {
    let dir = std::env::temp_dir().join(format!("portspike-extract-lt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("x.out");
    let mut checked = 0;
    let mut pcapng = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .collect();
    files.sort();
    for f in files {
        let r = report(std::slice::from_ref(&f));
        if r["capture"]["link_types"].as_array().unwrap().len() < 2 {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let ports: Vec<String> = r["ports"]
            .as_array()
            .unwrap()
            .iter()
            .take(4)
            .map(|p| format!("{}/{}", p["proto"].as_str().unwrap(), p["port"]))
            .collect();
        let mut sels: Vec<[String; 2]> = ports.into_iter().map(|p| ["--port".into(), p]).collect();
        if name == "pcapplusplus__many_interfaces-1.pcapng" {
            // Its Ethernet and its NULL interface both carry this host.
            sels.push(["--host".into(), "192.168.1.139".into()]);
        }
        for [flag, what] in sels {
            let res = portspike(
                &["extract", &flag, &what, "-o", out.to_str().unwrap()],
                std::slice::from_ref(&f),
            );
            assert!(res.status.success(), "{name} {flag} {what}");
            let x: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
            let filter = x["filter"].as_str().unwrap().to_string();
            assert!(!filter.contains("frame.time"), "{filter}");
            let selected = tshark_count(std::slice::from_ref(&f), Some(&filter));
            assert_eq!(x["packets"].as_u64(), Some(selected), "{name} {filter}");
            assert_eq!(x["matched"].as_u64(), Some(selected), "{name} {filter}");
            let kept = [out.clone()];
            assert_eq!(
                tshark_count(&kept, Some(&filter)),
                selected,
                "{name} {filter}"
            );
            assert_eq!(tshark_count(&kept, None), selected, "{name} {filter}");
            if x["format"] == "pcapng" {
                pcapng += 1;
            }
            checked += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(checked >= 8, "{checked} extracts checked");
    assert!(
        pcapng >= 1,
        "a selection spanning link types is saved as pcapng"
    );
}

#[test]
fn an_extract_never_overwrites_its_own_capture() {
    let dir = std::env::temp_dir().join(format!("portspike-extract-self-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("scan.pcap");
    std::fs::copy(corpus().join("markofu-pcaps__TCP_SYN_SCAN.pcap"), &f).unwrap();
    let before = std::fs::read(&f).unwrap();
    // The same file, by its name and through another path to it.
    let other = dir.join(".").join("scan.pcap");
    for out in [&f, &other] {
        let res = portspike(
            &["extract", "--scanner", "0", "-o", out.to_str().unwrap()],
            std::slice::from_ref(&f),
        );
        assert!(!res.status.success());
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains("refusing to write"), "{err}");
        assert_eq!(
            std::fs::read(&f).unwrap(),
            before,
            "the capture is untouched"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_compressed_capture_is_read_again_whole_to_save_a_finding() {
    let dir = std::env::temp_dir().join(format!("portspike-extract-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../static/sample.pcap");
    let gz = dir.join("sample.pcap.gz");
    let out = Command::new("gzip")
        .arg("-c")
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&gz, out.stdout).unwrap();
    // Every finding and scanner of the gzip-compressed sample saved, each
    // equal to tshark's selection from the compressed file.
    let (checked, saved) = check_all(
        std::slice::from_ref(&gz),
        &dir.join("x.pcap"),
        "sample.pcap.gz",
    );
    assert!(
        checked >= 3 && saved > 1000,
        "{checked} extracts, {saved} packets"
    );
    // And the same bytes as from the file uncompressed.
    let plain = dir.join("plain.pcap");
    let packed = dir.join("packed.pcap");
    for (from, to) in [(&sample, &plain), (&gz, &packed)] {
        let r = portspike(
            &["extract", "--finding", "0", "-o", to.to_str().unwrap()],
            std::slice::from_ref(from),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    assert!(std::fs::read(&plain).unwrap() == std::fs::read(&packed).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
