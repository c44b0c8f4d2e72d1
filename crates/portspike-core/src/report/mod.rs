//! Report, schema v1 (`portspike.report/1`): its types ([`schema`]), the
//! names it gives kinds and metrics ([`kinds`]).

pub mod kinds;
pub mod schema;

pub use kinds::{Metric, SpikeKind};
pub use schema::*;
