//! Messages between the page and the worker, and the settings they carry.
//!
//! Messages are plain JS objects with a `type` field, so that the `File`
//! itself (structured-cloneable, not serialisable) can travel in one.

use portspike_core::{Key, Params};

/// Worker → page: `{type: "ready"}` once its handler is installed; messages
/// posted before that would be lost, so the page waits for it.
pub const READY: &str = "ready";
/// Worker → page: `{type: "progress", bytes, total, packets}`.
pub const PROGRESS: &str = "progress";
/// Worker → page: `{type: "done", report: "<json>"}`.
pub const DONE: &str = "done";
/// Worker → page: `{type: "failed", message}` (the worker itself failed).
pub const FAILED: &str = "failed";
/// Page → worker: `{type: "analyze", blob, name, key, bin_width_us}`.
pub const ANALYZE: &str = "analyze";

/// Worker slice size: large enough to amortise the async read, small enough
/// to keep wasm memory flat.
pub const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Build engine params from the message fields.
pub fn params(key: &str, bin_width_us: Option<u64>) -> Params {
    Params {
        key: Key::parse(key).unwrap_or_default(),
        bin_width_us,
        ..Params::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_from_message() {
        assert_eq!(params("dst-port", Some(5)).key, Key::DstPort);
        assert_eq!(params("bogus", None).key, Key::Service);
    }
}
