//! Report, schema v1 (`portspike.report/1`): its types ([`schema`]), the
//! names it gives kinds and metrics ([`kinds`]), and how the analyzer's
//! counts become one (`build`, inside the crate).

pub(crate) mod build;
pub mod kinds;
pub mod schema;

pub use kinds::{Metric, SpikeKind};
pub use schema::*;
