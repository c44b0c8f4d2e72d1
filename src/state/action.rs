//! Every change of what the page shows, as an action for the reducer.

use super::Fine;
use crate::metric::SeriesMetric;
use crate::protocol::{self, Packed};
use crate::share;
use portspike_core::diff::Diff;
use portspike_core::report::{Annotation, Report};
use std::rc::Rc;

pub enum Action {
    Start(String),
    Progress {
        bytes: f64,
        total: f64,
        packets: f64,
    },
    Done(Box<Report>),
    /// The report so far, while the capture is still being read.
    Partial(Box<Report>),
    Failed(String),
    Cancel,
    Select(usize),
    Metric(SeriesMetric),
    SelectSpike(usize),
    /// Show scanner `.0` in detail (`None`: close it).
    SelectScanner(Option<usize>),
    View(Option<(i64, i64)>),
    /// Move to the next (+1) or previous (-1) finding or scanner.
    StepSpike(i32),
    /// Add a port to the chart, or take it off.
    ToggleOverlay(usize),
    Source(Option<String>),
    ConfirmUrl(Option<String>),
    ToggleLog,
    ToggleUtc,
    Settings(protocol::Settings),
    /// A result opened from a link: its report, with no capture behind it.
    LinkedResult(Box<Report>),
    /// The SHA-256 of file `.0`, computed after the report.
    Hashed(usize, String),
    /// The findings counted exactly, after the report.
    Evidence(Box<protocol::Exact>),
    ZoomLimit(Option<String>),
    /// The address's fragment changed (a link pasted into an open tab).
    Fragment(Box<share::Fragment>),
    Fine(Option<Rc<Fine>>),
    Saved(Option<String>),
    Link(Rc<Packed>),
    /// A baseline is being read (its name).
    CompareStart(String),
    /// The baseline's report.
    CompareDone(Box<Report>),
    /// The baseline could not be read.
    CompareFailed(String),
    /// The SHA-256 of the baseline's file `.0`.
    CompareHashed(usize, String),
    /// The baseline's findings counted exactly.
    CompareEvidence(Box<protocol::Exact>),
    /// Packets each address named in the incident sent in the baseline.
    CompareSent(Rc<std::collections::BTreeMap<String, u64>>),
    /// Align the timelines by time of day (true) or at their starts.
    CompareAlign(bool),
    /// Stop comparing.
    CompareClear,
    /// A comparison from a result link (no baseline capture behind it).
    LinkedCompare(Box<Diff>),
    /// Compare the capture before a moment (µs) with what follows.
    CompareSplit(i64),
    /// The diff of the split at `.0`.
    CompareDiff(i64, Box<Diff>),
    /// Select a port by its label (`tcp/445`) and show it in a metric
    /// (`attempts`), from the diff.
    SelectPort((String, String)),
    /// A note on a point or range of the capture.
    AddNote(Annotation),
    /// Take the analyst's note `.0` away.
    RemoveNote(usize),
    /// Attach a link's held notes and comparison to the capture on screen
    /// (true), or let them go (false).
    LinkHeld(bool),
}
