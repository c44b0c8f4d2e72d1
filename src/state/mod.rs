//! The page's state, the actions that change it, and the reducer: every
//! change of what the page shows goes through [`State::reduce`].

use crate::chart::Metric;
use crate::format::port_label;
use crate::headline::Pick;
use crate::protocol::{self, Packed};
use crate::share;
use portspike_core::diff::Diff;
use portspike_core::report::{Annotation, Report};
use std::rc::Rc;
use yew::prelude::*;

mod compare;

pub use compare::{Compare, Source};

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
    pub metric: Metric,
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
    pub shared: bool,
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

/// What a view link made for one capture (its notes and comparison), held
/// back from any other.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// The SHA-256 of the capture the link was made for.
    pub sha256: String,
    pub notes: Vec<Annotation>,
    pub diff: Option<Rc<Diff>>,
    /// The link's analysis settings that differ from the defaults (these
    /// apply to any capture).
    pub settings: Vec<String>,
    /// The capture on screen is another: held until the user says.
    pub differs: bool,
    /// The SHA-256 of the capture on screen, if it has one.
    pub capture_sha256: Option<String>,
}

impl Held {
    /// What a link holds back until its capture is known (a view link that
    /// names its capture and carries notes or a comparison).
    fn of(f: &share::Fragment) -> Option<Held> {
        let sha = f.sha256.as_deref().map(str::trim).unwrap_or_default();
        let carries = !f.view.notes.is_empty() || f.diff.is_some();
        (f.result.is_none() && !sha.is_empty() && carries).then(|| Held {
            sha256: sha.to_string(),
            notes: f.view.notes.clone(),
            diff: None,
            settings: share::settings_changes(&f.settings),
            differs: false,
            capture_sha256: None,
        })
    }

    /// The name of the link's capture, when its comparison names it.
    pub fn name(&self) -> Option<String> {
        let d = self.diff.as_ref()?;
        let names: Vec<&str> = d.incident.files.iter().map(|f| f.name.as_str()).collect();
        (!names.is_empty()).then(|| names.join(", "))
    }
}

/// A view without what a link holds back for its own capture.
fn without_held(v: &share::View, held: &Option<Held>) -> share::View {
    let mut v = v.clone();
    if held.is_some() {
        v.notes.clear();
    }
    v
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
    Metric(Metric),
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
    Shared(Box<Report>),
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
    CompareShared(Box<Diff>),
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

impl State {
    /// The page as it opens, with what its address's fragment asks for.
    pub fn new(f: &share::Fragment) -> Self {
        let held = Held::of(f);
        let view = without_held(&f.view, &held);
        State {
            phase: Phase::Idle,
            report: None,
            selected: 0,
            metric: Metric::Packets,
            failure: None,
            spike: None,
            scanner: None,
            view: None,
            pending: (view != share::View::default()).then_some(view),
            settings: f.settings.clone(),
            shared: false,
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

    /// A result from a link (no capture behind it) on screen.
    fn show_shared(&mut self, r: Report) {
        self.reset_view();
        self.phase = Phase::Done;
        self.shared = true;
        self.link = None;
        self.zoom_limit = Some("a shared result carries no capture".into());
        self.report = Some(Rc::new(r));
    }

    /// Select the port, metric and range a link names.
    fn apply_view(&mut self, v: &share::View) {
        let Some(r) = self.report.clone() else {
            return;
        };
        if let Some(i) = v
            .port
            .as_ref()
            .and_then(|p| r.ports.iter().position(|x| &port_label(x) == p))
        {
            self.selected = i;
        }
        if let Some(m) = &v.metric {
            self.metric = Metric::parse(m);
        }
        self.view = v.range;
        if !v.notes.is_empty() {
            self.notes = v.notes.clone();
        }
    }

    /// Apply the pending view of the page's link, if any.
    fn apply_pending(&mut self) {
        if let Some(v) = self.pending.take() {
            self.apply_view(&v);
        }
    }

    /// Index into `report.ports` of `proto/port`.
    fn port_index(&self, proto: &str, port: u16) -> Option<usize> {
        self.report
            .as_ref()?
            .ports
            .iter()
            .position(|p| p.proto == proto && p.port == port)
    }

    fn select_spike(&mut self, i: usize) {
        let Some(r) = self.report.clone() else {
            return;
        };
        let Some(sp) = r.spikes.get(i) else {
            return;
        };
        if let Some(pi) = self.port_index(sp.proto.as_str(), sp.port) {
            self.selected = pi;
        }
        // In the metric it was found on, with as much context again on
        // each side.
        self.metric = Metric::parse(sp.metric.as_str());
        let w = r.bin_width_us as i64;
        let pad = ((sp.end_ts - sp.start_ts) / 2).max(10 * w);
        self.view = Some((sp.start_ts - pad, sp.end_ts + pad));
        self.spike = Some(i);
        self.scanner = None;
    }

    fn select_scanner(&mut self, i: Option<usize>) {
        let r = self.report.clone();
        let sc = i.and_then(|i| Some((i, r.as_ref()?.scanners.get(i)?)));
        self.scanner = sc.map(|(i, _)| i);
        self.saved = None;
        let (Some((_, sc)), Some(r)) = (sc, r.as_ref()) else {
            return;
        };
        self.spike = None;
        // Its busiest port on the chart, over all its activity.
        if let Some(pi) = sc
            .top_ports
            .first()
            .and_then(|tp| self.port_index(tp.proto.as_str(), tp.port))
        {
            self.selected = pi;
        }
        let w = r.bin_width_us as i64;
        let pad = ((sc.last_ts - sc.first_ts) / 10).max(10 * w);
        self.view = Some((sc.first_ts - pad, sc.last_ts + pad));
    }

    /// The next (+1) or previous (-1) finding or scanner, in the order
    /// they are listed (one list: attack findings, scanners, surges).
    fn step_spike(&mut self, d: i32) {
        let order = self.report.as_ref().map(|r| listing(r)).unwrap_or_default();
        let n = order.len();
        if n == 0 {
            return;
        }
        let now = match (self.spike, self.scanner) {
            (Some(i), _) => Some(Pick::Spike(i)),
            (None, Some(k)) => Some(Pick::Scanner(k)),
            _ => None,
        };
        let at = now.and_then(|p| order.iter().position(|x| *x == p));
        let next = match at {
            None if d < 0 => n - 1,
            None => 0,
            Some(k) => (k as i64 + i64::from(d)).rem_euclid(n as i64) as usize,
        };
        match order.get(next) {
            Some(Pick::Spike(i)) => self.select_spike(*i),
            Some(Pick::Scanner(k)) => self.select_scanner(Some(*k)),
            None => {}
        }
    }

    fn done(&mut self, report: Report) {
        // A capture that could not be read at all is an error; one read
        // partly is a result with an error note.
        self.phase = if report.capture.error.is_some() && report.capture.packets == 0 {
            Phase::Error
        } else {
            Phase::Done
        };
        self.spike = None;
        self.view = None;
        self.overlay.clear();
        self.shared = false;
        self.report = Some(Rc::new(report));
        // Open on the strongest finding, if any.
        self.selected = self
            .report
            .clone()
            .and_then(|r| {
                let sp = r.spikes.first()?;
                self.port_index(sp.proto.as_str(), sp.port)
            })
            .unwrap_or(0);
        self.apply_pending();
        self.settle_link();
    }

    /// Attach a view link's held notes and comparison once the capture on
    /// screen is known to be the link's, or say it is not (see [`Held`]).
    fn settle_link(&mut self) {
        let Some(h) = self.held.as_ref().filter(|h| !h.differs) else {
            return;
        };
        let Some(r) = self
            .report
            .clone()
            .filter(|_| matches!(self.phase, Phase::Done | Phase::Error))
        else {
            return;
        };
        // The worker hashes each file after the report, unless its read
        // failed; a fetched capture and a shared result come hashed or not.
        let c = &r.capture;
        let read_failed = c
            .error
            .iter()
            .chain(&c.warnings)
            .any(|p| p.code == "read_failed");
        let hashing = !self.shared && self.source_url.is_none() && !read_failed;
        match share::belongs(Some(&h.sha256), r.sha256(), hashing) {
            share::Belongs::Yes => self.attach_held(),
            share::Belongs::No => {
                if let Some(h) = &mut self.held {
                    h.differs = true;
                    h.capture_sha256 = r.sha256().map(str::to_string);
                }
            }
            share::Belongs::NotYet => {}
        }
    }

    /// The held notes and comparison on screen.
    fn attach_held(&mut self) {
        let Some(h) = self.held.take() else {
            return;
        };
        if !h.notes.is_empty() {
            self.notes = h.notes;
        }
        if let Some(d) = h.diff {
            self.link_compare(d);
        }
    }

    /// A link pasted into the open tab (its result, if any, was shown
    /// before: [`Action::Shared`] or [`Action::Failed`]).
    fn fragment(&mut self, f: &share::Fragment) {
        self.link_problems = f.problems.clone();
        self.held = Held::of(f);
        let view = without_held(&f.view, &self.held);
        if self.report.is_some() {
            self.apply_view(&view);
            self.settle_link();
        } else {
            self.pending = Some(view);
        }
        if f.result.is_none() && f.view.url.is_some() && f.view.url != self.source_url {
            self.confirm_url = f.view.url.clone();
        }
    }
}

/// The findings and scanners in the order the page lists them: attack
/// findings, then scanners, then surges.
pub fn listing(r: &Report) -> Vec<Pick> {
    let order = r.finding_order();
    let attack = |i: &usize| r.spikes.get(*i).is_some_and(|s| s.is_attack());
    order
        .iter()
        .filter(|i| attack(i))
        .map(|i| Pick::Spike(*i))
        .chain((0..r.scanners.len()).map(Pick::Scanner))
        .chain(order.iter().filter(|i| !attack(i)).map(|i| Pick::Spike(*i)))
        .collect()
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

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        // What the diff is made of changed.
        let rediff = matches!(
            action,
            Action::Start(_)
                | Action::Done(_)
                | Action::Failed(_)
                | Action::Shared(_)
                | Action::Fragment(_)
                | Action::Hashed(..)
                | Action::Evidence(_)
                | Action::CompareDone(_)
                | Action::CompareHashed(..)
                | Action::CompareEvidence(_)
                | Action::CompareSent(_)
        );
        match action {
            Action::Start(name) => {
                s.cut = None;
                // A link's held notes wait for this capture's SHA-256.
                if let Some(h) = &mut s.held {
                    h.differs = false;
                    h.capture_sha256 = None;
                }
                s.phase = Phase::Loading {
                    name,
                    bytes: 0.0,
                    total: 0.0,
                    packets: 0.0,
                };
                s.reset_view();
                s.report = None;
                s.failure = None;
                s.link = None;
                s.notes.clear();
                s.zoom_limit = Some("the capture is still being read".into());
            }
            Action::Progress {
                bytes,
                total,
                packets,
            } => {
                if let Phase::Loading { name, .. } = &s.phase {
                    s.phase = Phase::Loading {
                        name: name.clone(),
                        bytes,
                        total,
                        packets,
                    };
                }
            }
            Action::Done(report) => s.done(*report),
            Action::Partial(report) => {
                if matches!(s.phase, Phase::Loading { .. }) {
                    s.report = Some(Rc::new(*report));
                }
            }
            Action::Shared(report) => {
                s.show_shared(*report);
                s.apply_pending();
            }
            Action::Settings(set) => s.settings = set,
            Action::Failed(msg) => {
                s.phase = Phase::Error;
                s.failure = Some(msg);
            }
            Action::Cancel => {
                // A baseline still being read is stopped with the capture
                // (see the page's Cancel): part of a baseline is no baseline.
                if let Some(c) = s.compare.as_mut().filter(|c| c.reading()) {
                    c.refused = Some(compare::CANCELLED.into());
                }
                if let Phase::Loading { bytes, total, .. } = s.phase {
                    s.phase = Phase::Cancelled;
                    // What was read stays on screen, said to be only that:
                    // its numbers are the first pass's, the rest unread.
                    s.cut = Some((bytes, total));
                    if let Some(r) = &s.report {
                        let mut r = (**r).clone();
                        portspike_core::evidence::unavailable(
                            &mut r,
                            "the read was cancelled: the findings' numbers are the first pass's estimates over the part read",
                        );
                        s.report = Some(Rc::new(r));
                    }
                }
            }
            Action::Select(i) => {
                s.selected = i;
                s.spike = None;
                s.view = None;
            }
            Action::Metric(m) => s.metric = m,
            Action::SelectScanner(i) => s.select_scanner(i),
            Action::SelectSpike(i) => s.select_spike(i),
            Action::View(v) => {
                s.view = v;
                if v.is_none() {
                    s.fine = None;
                }
            }
            Action::Source(u) => {
                s.source_url = u;
                s.confirm_url = None;
            }
            Action::ConfirmUrl(u) => s.confirm_url = u,
            Action::ToggleOverlay(i) => {
                if let Some(k) = s.overlay.iter().position(|x| *x == i) {
                    s.overlay.remove(k);
                } else if i != s.selected && s.overlay.len() < 6 {
                    s.overlay.push(i);
                }
            }
            Action::StepSpike(d) => s.step_spike(d),
            Action::ToggleLog => s.log = !s.log,
            Action::ToggleUtc => s.utc = !s.utc,
            Action::ZoomLimit(z) => s.zoom_limit = z,
            Action::Fragment(f) => s.fragment(&f),
            Action::Fine(f) => s.fine = f,
            Action::Saved(m) => s.saved = m,
            Action::Link(l) => s.link = Some(l),
            Action::Hashed(i, sha) => {
                if let Some(r) = &s.report {
                    s.report = Some(Rc::new(with_sha(r, i, sha)));
                }
                s.settle_link();
            }
            Action::LinkHeld(attach) => {
                if attach {
                    s.attach_held();
                } else {
                    s.held = None;
                }
            }
            // A view link's comparison waits with its notes.
            Action::CompareShared(d) if s.held.is_some() => {
                if let Some(h) = &mut s.held {
                    h.diff = Some(Rc::new(*d));
                }
                // It came after the capture was found to be the link's.
                s.settle_link();
            }
            Action::Evidence(x) => {
                if let Some(r) = &s.report {
                    s.report = Some(Rc::new(with_exact(r, *x)));
                }
            }
            a @ (Action::CompareStart(_)
            | Action::CompareDone(_)
            | Action::CompareFailed(_)
            | Action::CompareHashed(..)
            | Action::CompareEvidence(_)
            | Action::CompareSent(_)
            | Action::CompareAlign(_)
            | Action::CompareClear
            | Action::CompareShared(_)
            | Action::CompareSplit(_)
            | Action::CompareDiff(..)) => s.compare_action(a),
            Action::AddNote(n) => {
                if s.notes.len() < share::MAX_NOTES {
                    s.notes.push(n);
                    s.notes.sort_by_key(|n| (n.start_ts, n.end_ts));
                }
            }
            Action::RemoveNote(i) => {
                if i < s.notes.len() {
                    s.notes.remove(i);
                }
            }
            Action::SelectPort((label, metric)) => {
                if let Some(i) = s
                    .report
                    .as_ref()
                    .and_then(|r| r.ports.iter().position(|p| port_label(p) == label))
                {
                    s.selected = i;
                    s.spike = None;
                    s.view = None;
                    // In the metric that changed.
                    s.metric = Metric::parse(&metric);
                }
            }
        }
        if rediff {
            s.rediff();
        }
        Rc::new(s)
    }
}
