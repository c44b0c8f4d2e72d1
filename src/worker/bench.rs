//! The engine timed alone, for the benchmarks.

use super::{now_ms, post, wasm_memory};
use crate::protocol::FromWorker;
use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// The engine alone over a capture already in wasm memory (the benchmarks
/// compare it with the native engine on the same bytes).
pub(crate) async fn bench(blob: Blob) {
    let Ok(ab) = JsFuture::from(blob.array_buffer()).await else {
        return;
    };
    let bytes = Uint8Array::new(&ab).to_vec();
    let mut best = f64::INFINITY;
    let mut packets = 0u64;
    for _ in 0..3 {
        let t = now_ms();
        let r = portspike_core::analyze_bytes(&bytes, portspike_core::Params::default());
        best = best.min(now_ms() - t);
        packets = r.capture.packets;
    }
    post(FromWorker::Bench {
        ms: best,
        bytes: bytes.len() as f64,
        packets: packets as f64,
        memory: wasm_memory(),
    });
}
