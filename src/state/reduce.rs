//! The reducer: each action applied to a copy of the state, and the diff
//! made again when what it is made of changed.

use super::{compare, with_exact, with_sha, Action, Phase, State};
use crate::format::port_label;
use crate::metric::SeriesMetric;
use crate::share;
use portspike_core::report::{Annotation, Report};
use std::rc::Rc;
use yew::prelude::*;

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        let rediff = action.changes_diff();
        s.apply(action);
        if rediff {
            s.rediff();
        }
        Rc::new(s)
    }
}

impl Action {
    /// It changes what a comparison's diff is made of.
    fn changes_diff(&self) -> bool {
        matches!(
            self,
            Action::Start(_)
                | Action::Done(_)
                | Action::Failed(_)
                | Action::LinkedResult(_)
                | Action::Fragment(_)
                | Action::Hashed(..)
                | Action::Evidence(_)
                | Action::CompareDone(_)
                | Action::CompareHashed(..)
                | Action::CompareEvidence(_)
                | Action::CompareSent(_)
        )
    }
}

impl State {
    fn apply(&mut self, action: Action) {
        match action {
            // The capture's read and what follows its report.
            Action::Start(name) => self.start(name),
            Action::Progress {
                bytes,
                total,
                packets,
            } => self.progress(bytes, total, packets),
            Action::Done(report) => self.done(*report),
            Action::Partial(report) => {
                if matches!(self.phase, Phase::Loading { .. }) {
                    self.report = Some(Rc::new(*report));
                }
            }
            Action::LinkedResult(report) => {
                self.show_linked(*report);
                self.apply_pending();
            }
            Action::Failed(msg) => {
                self.phase = Phase::Error;
                self.failure = Some(msg);
            }
            Action::Cancel => self.cancel(),
            Action::Hashed(i, sha) => {
                if let Some(r) = &self.report {
                    self.report = Some(Rc::new(with_sha(r, i, sha)));
                }
                self.settle_link();
            }
            Action::Evidence(x) => {
                if let Some(r) = &self.report {
                    self.report = Some(Rc::new(with_exact(r, *x)));
                }
            }
            Action::Link(l) => self.link = Some(l),
            Action::Settings(set) => self.settings = set,
            // What is selected and how it is drawn.
            Action::Select(i) => {
                self.selected = i;
                self.spike = None;
                self.view = None;
            }
            Action::Metric(m) => self.metric = m,
            Action::SelectScanner(i) => self.select_scanner(i),
            Action::SelectSpike(i) => self.select_spike(i),
            Action::StepSpike(d) => self.step_spike(d),
            Action::SelectPort((label, metric)) => self.select_port(&label, &metric),
            Action::View(v) => {
                self.view = v;
                if v.is_none() {
                    self.fine = None;
                }
            }
            Action::ToggleOverlay(i) => self.toggle_overlay(i),
            Action::ToggleLog => self.log = !self.log,
            Action::ToggleUtc => self.utc = !self.utc,
            Action::ZoomLimit(z) => self.zoom_limit = z,
            Action::Fine(f) => self.fine = f,
            Action::Saved(m) => self.saved = m,
            // The page's link and where the capture came from.
            Action::Source(u) => {
                self.source_url = u;
                self.confirm_url = None;
            }
            Action::ConfirmUrl(u) => self.confirm_url = u,
            Action::Fragment(f) => self.fragment(&f),
            Action::LinkHeld(true) => self.attach_held(),
            Action::LinkHeld(false) => self.held = None,
            // A view link's comparison waits with its notes.
            Action::LinkedCompare(d) if self.held.is_some() => {
                if let Some(h) = &mut self.held {
                    h.diff = Some(Rc::new(*d));
                }
                // It came after the capture was found to be the link's.
                self.settle_link();
            }
            a @ (Action::CompareStart(_)
            | Action::CompareDone(_)
            | Action::CompareFailed(_)
            | Action::CompareHashed(..)
            | Action::CompareEvidence(_)
            | Action::CompareSent(_)
            | Action::CompareAlign(_)
            | Action::CompareClear
            | Action::LinkedCompare(_)
            | Action::CompareSplit(_)
            | Action::CompareDiff(..)) => self.compare_action(a),
            // The analyst's notes.
            Action::AddNote(n) => self.add_note(n),
            Action::RemoveNote(i) => {
                if i < self.notes.len() {
                    self.notes.remove(i);
                }
            }
        }
    }

    /// A capture starts being read: nothing of the last one stays.
    fn start(&mut self, name: String) {
        self.cut = None;
        // A link's held notes wait for this capture's SHA-256.
        if let Some(h) = &mut self.held {
            h.differs = false;
            h.capture_sha256 = None;
        }
        self.phase = Phase::Loading {
            name,
            bytes: 0.0,
            total: 0.0,
            packets: 0.0,
        };
        self.reset_view();
        self.report = None;
        self.failure = None;
        self.link = None;
        self.notes.clear();
        self.zoom_limit = Some("the capture is still being read".into());
    }

    /// How far the read has come (while one is under way).
    fn progress(&mut self, bytes: f64, total: f64, packets: f64) {
        if let Phase::Loading { name, .. } = &self.phase {
            self.phase = Phase::Loading {
                name: name.clone(),
                bytes,
                total,
                packets,
            };
        }
    }

    /// The final report on screen, opened on its strongest finding.
    fn done(&mut self, report: Report) {
        // A capture that could not be read at all is an error; one read
        // partly is a result with an error note.
        self.phase = if report.nothing_read() {
            Phase::Error
        } else {
            Phase::Done
        };
        self.spike = None;
        self.view = None;
        self.overlay.clear();
        self.linked = false;
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

    /// A result from a link (no capture behind it) on screen.
    fn show_linked(&mut self, r: Report) {
        self.reset_view();
        self.phase = Phase::Done;
        self.linked = true;
        self.link = None;
        self.zoom_limit = Some("a shared result carries no capture".into());
        self.report = Some(Rc::new(r));
    }

    /// The read stopped part-way: what was read stays, said to be only that.
    fn cancel(&mut self) {
        // A baseline still being read is stopped with the capture
        // (see the page's Cancel): part of a baseline is no baseline.
        if let Some(c) = self.compare.as_mut().filter(|c| c.reading()) {
            c.refused = Some(compare::CANCELLED.into());
        }
        if let Phase::Loading { bytes, total, .. } = self.phase {
            self.phase = Phase::Cancelled;
            // What was read stays on screen, said to be only that:
            // its numbers are the first pass's, the rest unread.
            self.cut = Some((bytes, total));
            if let Some(r) = &self.report {
                let mut r = (**r).clone();
                portspike_core::evidence::unavailable(
                    &mut r,
                    "the read was cancelled: the findings' numbers are the first pass's estimates over the part read",
                );
                self.report = Some(Rc::new(r));
            }
        }
    }

    /// The port labelled `label` (`tcp/445`), in `metric` (from the diff).
    fn select_port(&mut self, label: &str, metric: &str) {
        if let Some(i) = self
            .report
            .as_ref()
            .and_then(|r| r.ports.iter().position(|p| port_label(p) == label))
        {
            self.selected = i;
            self.spike = None;
            self.view = None;
            // In the metric that changed.
            self.metric = SeriesMetric::parse(metric);
        }
    }

    /// Port `i` drawn over the selected one, or taken off (at most six).
    fn toggle_overlay(&mut self, i: usize) {
        if let Some(k) = self.overlay.iter().position(|x| *x == i) {
            self.overlay.remove(k);
        } else if i != self.selected && self.overlay.len() < 6 {
            self.overlay.push(i);
        }
    }

    /// A note added in time order (up to the most a link carries).
    fn add_note(&mut self, n: Annotation) {
        if self.notes.len() < share::MAX_NOTES {
            self.notes.push(n);
            self.notes.sort_by_key(|n| (n.start_ts, n.end_ts));
        }
    }
}
