//! The packet decoder on arbitrary frames of every link type: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portspike_core::decode;

fuzz_target!(|input: &[u8]| {
    let Some((&lt, frame)) = input.split_first() else {
        return;
    };
    let linktypes = [0u32, 1, 7, 12, 14, 101, 105, 108, 113, 127, 129, 192, 228, 229, 239, 276];
    let linktype = linktypes[usize::from(lt) % linktypes.len()];
    let _ = decode::decode(linktype, frame);
});
