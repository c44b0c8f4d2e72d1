//! The page's state, the actions that change it, and the reducer: every
//! change of what the page shows goes through [`State::reduce`].
//!
//! `action.rs` lists the actions, `reduce.rs` applies them, `select.rs`
//! moves the selection (a port, a finding, a scanner, a link's view),
//! `link.rs` holds a view link's notes and comparison back until its capture
//! is on screen, and `compare.rs` makes and fills comparisons.

use crate::metric::SeriesMetric;
use crate::protocol::{self, Packed};
use crate::share;
use portspike_core::report::{Annotation, Report};
use std::rc::Rc;

mod action;
mod compare;
mod link;
mod reduce;
mod select;
#[cfg(test)]
mod tests;

pub use action::Action;
pub use compare::{Compare, Source};
use link::without_held;
pub use link::Held;
pub use select::listing;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Idle,
    Loading {
        name: String,
        bytes: f64,
        total: f64,
        packets: f64,
    },
    Done,
    Error,
    Cancelled,
}

impl Phase {
    /// `<html data-state=…>`: what tests and scripts wait for.
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Loading { .. } => "loading",
            Phase::Done => "done",
            Phase::Error => "error",
            Phase::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub phase: Phase,
    pub report: Option<Rc<Report>>,
    /// Index into `report.ports`.
    pub selected: usize,
    pub metric: SeriesMetric,
    /// A failure of the page or worker (not a capture error, which lives in the report).
    pub failure: Option<String>,
    /// Index into `report.spikes` of the finding shown in detail.
    pub spike: Option<usize>,
    /// Index into `report.scanners` of the scanner shown in detail.
    pub scanner: Option<usize>,
    /// Zoomed time range (µs); `None` shows the whole capture.
    pub view: Option<(i64, i64)>,
    /// A view from the page's link, applied when its capture is analysed.
    pub pending: Option<share::View>,
    /// The settings in effect (the one copy the page reads).
    pub settings: protocol::Settings,
    /// The report came from a result link, not from a capture.
    pub linked: bool,
    /// Further ports drawn over the selected one (indices into `report.ports`).
    pub overlay: Vec<usize>,
    /// Where the capture was fetched from, if from a URL.
    pub source_url: Option<String>,
    /// A `#url=` waiting for the user's go-ahead.
    pub confirm_url: Option<String>,
    /// Values of the page's link that were left out, each naming its field.
    pub link_problems: Vec<String>,
    /// Logarithmic y axis.
    pub log: bool,
    /// Times in UTC (else the browser's zone).
    pub utc: bool,
    /// Why zooming cannot re-read the capture at finer bins (`None`: it can).
    pub zoom_limit: Option<String>,
    /// The zoomed window re-read at finer bins.
    pub fine: Option<Rc<Fine>>,
    /// What became of the last "save these packets".
    pub saved: Option<String>,
    /// The final report packed for a result link (by the worker).
    pub link: Option<Rc<Packed>>,
    /// A baseline to compare the capture with.
    pub compare: Option<Compare>,
    /// The analyst's notes on the capture (source `analyst`).
    pub notes: Vec<Annotation>,
    /// A read cancelled part-way: bytes read of the total.
    pub cut: Option<(f64, f64)>,
    /// A view link's notes and comparison, held until the capture on screen
    /// is known to be the one the link names.
    pub held: Option<Held>,
}

/// A window of the capture re-read at a finer bin width.
#[derive(Debug, PartialEq)]
pub struct Fine {
    pub t0: i64,
    pub t1: i64,
    pub report: Report,
}

impl Fine {
    /// It holds the whole of `[t0, t1)`.
    pub fn covers(&self, t0: i64, t1: i64) -> bool {
        self.t0 <= t0 && t1 <= self.t1
    }
}

impl State {
    /// The page as it opens, with what its address's fragment asks for.
    pub fn new(f: &share::Fragment) -> Self {
        let held = Held::of(f);
        let view = without_held(&f.view, &held);
        State {
            phase: Phase::Idle,
            report: None,
            selected: 0,
            metric: SeriesMetric::Packets,
            failure: None,
            spike: None,
            scanner: None,
            view: None,
            pending: (view != share::View::default()).then_some(view),
            settings: f.settings.clone(),
            linked: false,
            overlay: Vec::new(),
            source_url: None,
            confirm_url: f.view.url.clone().filter(|_| f.result.is_none()),
            link_problems: f.problems.clone(),
            log: false,
            utc: true,
            zoom_limit: Some("no capture is open".into()),
            fine: None,
            saved: None,
            link: None,
            compare: None,
            notes: Vec::new(),
            cut: None,
            held,
        }
    }

    /// A new report on screen: nothing selected, zoomed, re-read or saved
    /// from the last one.
    fn reset_view(&mut self) {
        self.selected = 0;
        self.spike = None;
        self.scanner = None;
        self.view = None;
        self.fine = None;
        self.saved = None;
        self.overlay.clear();
    }
}

/// A report with its findings counted exactly (the same findings in the
/// same order, so a selection stays; anything else leaves it as it was).
fn with_exact(r: &Report, x: protocol::Exact) -> Report {
    let mut r = r.clone();
    if x.spikes.len() == r.spikes.len() && x.scanners.len() == r.scanners.len() {
        r.spikes = x.spikes;
        r.scanners = x.scanners;
        r.evidence = x.evidence;
    }
    r
}

/// A report with file `i`'s SHA-256 set.
fn with_sha(r: &Report, i: usize, sha: String) -> Report {
    let mut r = r.clone();
    if let Some(f) = r.capture.files.get_mut(i) {
        f.sha256 = Some(sha);
    }
    r
}
