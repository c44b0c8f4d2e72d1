//! Per-port summaries as Parquet (`portspike summarize`), and detection on
//! any set of them (`portspike detect`). Layout and columns: docs/fleet.md.
//!
//! `write` makes a capture's files; `read` checks a set of them (footers,
//! schemas, claimed sizes, page headers, days, duplicates) and streams
//! their rows into the merge.

mod read;
mod write;

pub use read::{detect_bytes, detect_files};
pub use write::write_summary;

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Key-value metadata: which table a file holds, and the capture it summarises.
pub(crate) const TABLE_KEY: &str = "portspike.table";
pub(crate) const CAPTURE_KEY: &str = "portspike.capture";
pub(crate) const WIDTH_KEY: &str = "portspike.bin_width_us";
/// Beside the capture's summary: every day it has a ports file for, so a set
/// missing some (a full disk, a killed run, a copy cut short) is told.
pub(crate) const DAYS_KEY: &str = "portspike.days";

pub(crate) const PORTS_SCHEMA: &str = "
message port_bins {
  required binary proto (STRING);
  required int32 port;
  required int64 start_ts (TIMESTAMP(MICROS,true));
  required int64 bin_width_us;
  required int64 packets;
  required int64 bytes;
  required int64 attempts;
  required int64 failures;
  required int64 completed;
  required int64 syn;
  required int64 synack;
  required int64 rst;
  required int64 fin;
  required int64 other;
  required int64 unsolicited;
  required int64 sources;
  required int64 destinations;
  required fixed_len_byte_array(256) sources_hll;
  required fixed_len_byte_array(256) destinations_hll;
  optional binary sources_exact;
  optional binary destinations_exact;
  optional binary capture_sha256 (STRING);
}";

pub(crate) const SCANNERS_SCHEMA: &str = "
message scanners {
  required binary source (STRING);
  required binary kind (STRING);
  required binary probes (STRING);
  required binary method (STRING);
  required double score;
  required int64 targets;
  required int64 ports;
  required int64 attempts;
  required int64 failures;
  required int64 first_ts (TIMESTAMP(MICROS,true));
  required int64 detected_ts (TIMESTAMP(MICROS,true));
  required int64 last_ts (TIMESTAMP(MICROS,true));
  required boolean allowlisted;
  optional binary capture_sha256 (STRING);
}";

/// `YYYY-MM-DD` of a time in µs since the epoch (UTC).
pub(crate) fn day(us: i64) -> String {
    portspike_core::export::iso8601(us)
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// A name safe as one path component (a sensor, a capture's stem).
pub(crate) fn component(s: &str) -> String {
    let c: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match c.trim_start_matches('.') {
        "" => "_".into(),
        t => t.to_string(),
    }
}

/// Where a table's file of one capture and day goes:
/// `OUT/TABLE/sensor=S/day=D/STEM.parquet`.
pub(crate) fn partition(out: &Path, table: &str, sensor: &str, day: &str, stem: &str) -> PathBuf {
    out.join(table)
        .join(format!("sensor={sensor}"))
        .join(format!("day={day}"))
        .join(format!("{stem}.parquet"))
}

/// Every `.parquet` file under the given files and directories, sorted.
pub fn parquet_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).map_err(|e| crate::files::open_error(&p, &e))? {
                todo.push(e?.path());
            }
        } else if p.extension().is_some_and(|e| e == "parquet") {
            out.push(p);
        } else if let Err(e) = std::fs::metadata(&p) {
            return Err(crate::files::open_error(&p, &e));
        }
    }
    out.sort();
    Ok(out)
}
