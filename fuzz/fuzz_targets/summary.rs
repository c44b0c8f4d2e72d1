//! `detect`'s reading of a Parquet summary (footer, schema, claimed sizes,
//! page headers, rows, the merge into the engine) on arbitrary bytes: never
//! panics and never allocates past the size limits, whatever the file claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portspike_cli::fleet::detect_bytes;
use portspike_core::Params;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let path = PathBuf::from("ports/sensor=fuzz/day=2026-03-02/capture.parquet");
    let files = [(path, bytes::Bytes::copy_from_slice(data))];
    if let Ok(r) = detect_bytes(&files, Params::default()) {
        assert!(!r.to_json().is_empty());
    }
});
