//! The whole engine (decompression, framing, decoding, detection, report) on
//! arbitrary input: never panics, and the report always serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portspike_core::{analyze_bytes, Params};

fuzz_target!(|data: &[u8]| {
    let r = analyze_bytes(data, Params::default());
    assert!(!r.to_json().is_empty());
    let counted: u64 = r.ports.iter().map(|p| p.totals.packets).sum();
    assert!(counted <= r.capture.packets);
});
