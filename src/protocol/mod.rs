//! Messages between the page, the worker and the reader thread, and the
//! settings they carry.
//!
//! Every message is a value of [`ToWorker`], [`FromWorker`], [`ToReader`] or
//! [`FromReader`]; this module alone turns them into the plain JS objects that
//! cross `postMessage` (with a `type` field) and back, so that a `File` or
//! `Blob` (structured-cloneable, not serialisable) travels beside the typed
//! fields in the same message.

use portspike_core::detect::Detection;
use portspike_core::{bins, Key, Params};
use serde::{Deserialize, Serialize};

mod codec;
mod messages;

pub use codec::error_text;
pub use messages::*;

/// Slice size the reader thread reads: large enough to amortise the async
/// read (the worker copies each into wasm memory 1 MiB at a time).
pub const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// Slice reads kept in flight ahead of the engine.
pub const PREFETCH: usize = 3;

/// Least time between two partial reports (ms).
pub const PREVIEW_MS: f64 = 500.0;
/// Ports in one [`FromWorker::Ports`] message.
pub const PORTS_PAGE: usize = 4096;
/// Largest pcap an extract produces.
pub const EXTRACT_LIMIT: usize = 256 << 20;

/// Entries the evidence pass's tables hold exactly in the page, all
/// findings together (a tenth of the command line's, about 18 MB: the
/// worker's memory is bounded).
pub const EVIDENCE_EXACT_TOTAL: usize = 400_000;

/// What the evidence pass changes in a report: its findings and scanners
/// counted exactly, and whether it could.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exact {
    pub spikes: Vec<portspike_core::report::SpikeReport>,
    pub scanners: Vec<portspike_core::report::ScannerReport>,
    pub evidence: Option<portspike_core::report::EvidenceState>,
}

/// The page's analysis settings, as the user typed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// What a row is keyed by (`service` or `dst-port` in JSON).
    pub key: Key,
    /// Bin width like `1s` or `5m`; empty picks one from the capture's span.
    pub bin: String,
    pub detection: Detection,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            key: Key::Service,
            bin: String::new(),
            detection: Detection::default(),
        }
    }
}

impl Settings {
    /// Engine params, or what is wrong with the settings.
    pub fn to_params(&self) -> Result<Params, String> {
        let bin_width_us = match self.bin.trim() {
            "" | "auto" => None,
            b => Some(bins::parse_width(b)?),
        };
        let d = &self.detection;
        // The core's one set of bounds, named as the report names them.
        d.validate()?;
        Ok(Params {
            key: self.key,
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
            key: Key::DstPort,
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
