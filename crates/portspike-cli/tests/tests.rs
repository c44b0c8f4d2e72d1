//! The portspike-cli integration tests in one binary, each file a module (as
//! ripgrep lays them out): one link step instead of 8, and the lints
//! the tests allow, said once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod corpus;
mod diff;
mod extract;
mod fingerprint;
mod fleet;
mod hostile;
mod numbers;
mod tshark;
