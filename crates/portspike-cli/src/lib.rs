//! What the `portspike` binary is built from, as a library so that its
//! readers of untrusted files can be fuzzed and tested alone: per-port
//! summaries as Parquet ([`fleet`]), the checks on a Parquet file's page
//! claims ([`pages`]), file-opening errors in words ([`files`]), and text
//! made safe for a terminal ([`terminal`]).

pub mod files;
pub mod fleet;
pub mod pages;
pub mod terminal;
