//! Messages between the page and the worker, and the settings they carry.
//!
//! Messages are plain JS objects with a `type` field, so that the `File`
//! itself (structured-cloneable, not serialisable) can travel in one.

use portspike_core::detect::{Cidr, Detection};
use portspike_core::{bins, Key, Params};
use serde::{Deserialize, Serialize};

/// Worker → page: `{type: "ready"}` once its handler is installed; messages
/// posted before that would be lost, so the page waits for it.
pub const READY: &str = "ready";
/// Worker → page: `{type: "progress", bytes, total, packets, memory}`
/// (`memory`: the worker's wasm memory in bytes, for the benchmarks).
pub const PROGRESS: &str = "progress";
/// Worker → page: `{type: "partial", report: "<json>"}`, the report so far
/// (its top 2,000 ports, timelines for the top 20 and any with a finding).
pub const PARTIAL: &str = "partial";
/// Least time between two partial reports (ms).
pub const PREVIEW_MS: f64 = 500.0;
/// Worker → page: `{type: "done", report: "<json>", ports}`. The report's
/// `ports` come before it in `{type: "ports", json: "[...]"}` messages of at
/// most [`PORTS_PAGE`] each (`ports` says how many in all), so neither side
/// holds the whole list as one string and the page parses it a page per task.
pub const DONE: &str = "done";
/// Worker → page: a page of the final report's ports (see [`DONE`]).
pub const PORTS: &str = "ports";
/// Ports in one `ports` message.
pub const PORTS_PAGE: usize = 4096;
/// Worker → page, after `done`: `{type: "hashed", index, sha256}`, the SHA-256
/// of file `index` (hashed in a second read so it never slows the answer).
pub const HASHED: &str = "hashed";
/// Worker → page, after `done` (and again once the files are hashed):
/// `{type: "link", value, kept, ports, sha256, anonymised, memory}`, the report packed for a result
/// link (see `share::encode_result`), built here so the page never has to.
/// Page → worker: `{type: "link", anonymise}` asks for it again, addresses
/// hashed or not.
pub const LINK: &str = "link";
/// Page → worker: `{type: "window", id, t0, t1, width, ports}`: re-read a
/// time window at a finer bin width; the answer has the same type and `id`,
/// with `report` (or `error`).
pub const WINDOW: &str = "window";
/// Page → worker: `{type: "extract", id, proto, port, t0, t1}` (or `{type:
/// "extract", id, host, t0, t1}`): the window's packets on a port (or of a
/// host) as a pcap (a pcapng when of several link types); the answer has
/// `bytes`, `packets` (written), `matched` (selected by the filter),
/// `format` (`pcap` or `pcapng`), `note` (why some were left out) or `error`.
pub const EXTRACT: &str = "extract";
/// Page → worker: `{type: "bench", blob}`: time the engine over the blob
/// held in memory (best of three); the answer has `ms`, `bytes`, `packets`.
pub const BENCH: &str = "bench";
/// Largest pcap an extract produces.
pub const EXTRACT_LIMIT: usize = 256 << 20;
/// Worker → page: `{type: "failed", message}` (the worker itself failed).
pub const FAILED: &str = "failed";
/// Page → worker: `{type: "analyze", blobs, names, settings: "<json>"}`.
pub const ANALYZE: &str = "analyze";

/// Slice size the reader thread reads: large enough to amortise the async
/// read (the worker copies each into wasm memory 1 MiB at a time).
pub const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// Slice reads kept in flight ahead of the engine.
pub const PREFETCH: usize = 3;

/// The page's analysis settings, as the user typed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `service` or `dst-port`.
    pub key: String,
    /// Bin width like `1s` or `5m`; empty picks one from the capture's span.
    pub bin: String,
    pub detection: Detection,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            key: "service".into(),
            bin: String::new(),
            detection: Detection::default(),
        }
    }
}

impl Settings {
    /// Engine params, or what is wrong with the settings.
    pub fn to_params(&self) -> Result<Params, String> {
        let key = Key::parse(&self.key).ok_or_else(|| format!("unknown key {:?}", self.key))?;
        let bin_width_us = match self.bin.trim() {
            "" | "auto" => None,
            b => Some(bins::parse_width(b)?),
        };
        let d = &self.detection;
        if !d.threshold.is_finite() || d.threshold <= 0.0 {
            return Err("the threshold must be a number above 0".into());
        }
        if !d.min_excess.is_finite() || d.min_excess < 0.0 {
            return Err("the minimum excess must be a number of 0 or more".into());
        }
        if d.persistence_k == 0 || d.persistence_k > d.persistence_n {
            return Err("persistence needs 1 ≤ K ≤ N".into());
        }
        if d.baseline_bins == 0 {
            return Err("the baseline needs at least one bin".into());
        }
        for c in d.home.iter().chain(d.allow.iter()) {
            Cidr::parse(c)?;
        }
        Ok(Params {
            key,
            bin_width_us,
            detection: d.clone(),
            ..Params::default()
        })
    }
}

/// A comma- or space-separated list of CIDR blocks.
pub fn cidr_list(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_params_or_say_what_is_wrong() {
        let s = Settings::default();
        let p = s.to_params().unwrap();
        assert_eq!((p.key, p.bin_width_us), (Key::Service, None));
        let s = Settings {
            key: "dst-port".into(),
            bin: "500ms".into(),
            ..Settings::default()
        };
        let p = s.to_params().unwrap();
        assert_eq!((p.key, p.bin_width_us), (Key::DstPort, Some(500_000)));
        let mut bad = Settings::default();
        bad.detection.home = vec!["10.0.0.0/99".into()];
        assert!(bad.to_params().unwrap_err().contains("prefix"));
        bad = Settings {
            bin: "fast".into(),
            ..Settings::default()
        };
        assert!(bad.to_params().is_err());
        assert_eq!(
            cidr_list("10.0.0.0/8, 192.168.0.0/16"),
            vec!["10.0.0.0/8", "192.168.0.0/16"]
        );
    }
}
