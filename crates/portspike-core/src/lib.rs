//! portspike-core: a sans-IO capture reader and port-spike engine.
//!
//! Feed capture bytes in chunks of any size with [`Analyzer::feed`], then call
//! [`Analyzer::finish`] for a [`report::Report`] (schema v1). The core never
//! reads a clock, a file or the network: time comes only from packets.
//!
//! ```
//! use portspike_core::{Analyzer, Params};
//! # let bytes = portspike_core::writer::PcapWriter::new(1, 65535).into_bytes();
//! let mut a = Analyzer::new(Params::default());
//! for chunk in bytes.chunks(4096) {
//!     a.feed(chunk);
//! }
//! let report = a.finish();
//! assert_eq!(report.schema, "portspike.report/1");
//! ```
//!
//! The crate's parts, in the order a packet meets them: [`compress`] and
//! [`capture`] (framing), [`decode`], [`timegate`], [`engine`] (counting),
//! [`detect`] (spikes and scanners), [`report`] (schema v1 and its build);
//! [`params`] holds the settings all of them read, [`analyzer`] drives them.

pub mod analyzer;
pub mod bins;
pub mod capture;
pub mod compress;
pub mod decode;
pub mod detect;
pub mod diff;
pub mod engine;
pub mod evidence;
pub mod export;
pub mod filter;
pub mod fingerprint;
#[cfg(test)]
mod fixture;
pub mod flows;
pub(crate) mod fxhash;
mod names;
pub mod params;
pub(crate) mod pending;
pub mod report;
pub mod services;
pub mod sketch;
pub mod summary;
pub(crate) mod timegate;
pub mod window;
pub mod writer;

pub use analyzer::{Analyzer, Progress};
pub use params::{Cidr, Detection, Key, Params};
pub use report::Report;

/// Ports a preview report lists (the highest ranked).
pub const PREVIEW_PORTS: usize = 2000;
/// Top ports whose timelines a preview report carries (the final report has
/// `series_top`): enough for the charts drawn while reading, small enough
/// that a preview is quick to build, send and parse.
pub const PREVIEW_SERIES: usize = 20;

/// Analyse a whole in-memory capture in one call, its findings' numbers
/// counted exactly (the [`evidence`] pass).
pub fn analyze_bytes(bytes: &[u8], params: Params) -> Report {
    let mut a = Analyzer::new(params);
    a.feed(bytes);
    let mut report = a.finish();
    evidence::over_bytes(&mut report, bytes, evidence::EXACT_TOTAL);
    report
}
