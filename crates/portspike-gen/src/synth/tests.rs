#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

#[test]
fn sample_is_deterministic() {
    assert_eq!(sample(), sample());
}
