//! The capture reader on arbitrary bytes, in an arbitrary chunking: never
//! panics, and the chunking never changes what it reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portspike_core::capture::Reader;

fn read(data: &[u8], chunk: usize) -> (Vec<(i64, u32, u64, usize)>, Option<u64>) {
    let mut r = Reader::new();
    let mut out = Vec::new();
    for c in data.chunks(chunk.max(1)) {
        r.feed(c, &mut |f| out.push((f.ts_ns, f.linktype, f.offset, f.data.len())));
    }
    r.finish();
    (out, r.error().and_then(|e| e.offset))
}

fuzz_target!(|input: &[u8]| {
    let Some((&k, data)) = input.split_first() else {
        return;
    };
    let whole = read(data, data.len());
    let chunked = read(data, usize::from(k % 64) + 1);
    assert_eq!(whole, chunked);
});
