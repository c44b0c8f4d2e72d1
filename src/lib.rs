//! portspike web app: the yew UI (app bin) and the analysis worker (worker bin).
//!
//! The UI thread never parses captures: it hands the `File` (or the sample's
//! `Blob`) to a dedicated worker, which reads it in slices, feeds
//! `portspike-core`, posts progress, and posts the final report as JSON.

pub mod components;
pub mod format;
pub mod headline;
pub mod heat;
pub mod metric;
pub mod protocol;
pub mod share;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod chart;
#[cfg(target_arch = "wasm32")]
pub mod dom;
#[cfg(target_arch = "wasm32")]
pub mod heatmap;
#[cfg(target_arch = "wasm32")]
pub mod hooks;
#[cfg(target_arch = "wasm32")]
pub mod worker;
