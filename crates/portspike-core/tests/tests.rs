//! The portspike-core integration tests in one binary, each file a module (as
//! ripgrep lays them out): one link step instead of 7, and the lints
//! the tests allow, said once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod annotations;
mod chunking;
mod common;
mod direction;
mod hostile;
mod labeled;
mod real;
mod sample;
mod split;
