//! Time as the property: decompressing and framing any input (the reader's
//! recovery from corrupt blocks included) and decoding its frames costs
//! time in proportion to the bytes processed (in and decompressed out),
//! never more than a fixed allowance plus a floor rate, even in the
//! sanitizer build. A quadratic path (the old pcapng recovery: 1 MB of
//! junk after a corrupt length took seconds in a release build) fails it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portspike_core::capture::Reader;
use portspike_core::compress::Input;
use portspike_core::decode;
use std::time::Instant;

/// Fixed allowance per input (seconds), and the floor rate (bytes/s).
const FIXED_S: f64 = 0.5;
const FLOOR_BYTES_PER_S: f64 = 1e6;

fuzz_target!(|data: &[u8]| {
    let t = Instant::now();
    let mut input = Input::new();
    let mut reader = Reader::new();
    let mut out = 0u64;
    let mut frames = 0u64;
    let mut on_frame = |f: portspike_core::capture::Frame<'_>| {
        frames += 1;
        std::hint::black_box(decode::decode_depth(f.linktype, f.data));
    };
    for c in data.chunks(64 << 10) {
        input.feed(c, &mut |b| {
            out += b.len() as u64;
            reader.feed(b, &mut on_frame);
        });
    }
    input.finish(&mut |b| {
        out += b.len() as u64;
        reader.feed(b, &mut on_frame);
    });
    reader.finish_with(&mut on_frame);
    let processed = data.len() as f64 + out as f64;
    let secs = t.elapsed().as_secs_f64();
    assert!(
        secs <= FIXED_S + processed / FLOOR_BYTES_PER_S,
        "{secs:.2} s for {} bytes in, {out} out, {frames} frames",
        data.len()
    );
});
