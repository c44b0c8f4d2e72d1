//! A view link's notes and comparison, held back until the capture on
//! screen is known to be the one the link names.

use super::{Phase, State};
use crate::share;
use portspike_core::diff::Diff;
use portspike_core::report::{Annotation, ProblemCode};
use std::rc::Rc;

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
    pub(super) fn of(f: &share::Fragment) -> Option<Held> {
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
pub(super) fn without_held(v: &share::View, held: &Option<Held>) -> share::View {
    let mut v = v.clone();
    if held.is_some() {
        v.notes.clear();
    }
    v
}

impl State {
    /// Attach a view link's held notes and comparison once the capture on
    /// screen is known to be the link's, or say it is not (see [`Held`]).
    pub(super) fn settle_link(&mut self) {
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
            .any(|p| p.code == ProblemCode::ReadFailed);
        let hashing = !self.linked && self.source_url.is_none() && !read_failed;
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
    pub(super) fn attach_held(&mut self) {
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
    /// before: [`Action::LinkedResult`] or [`Action::Failed`]).
    pub(super) fn fragment(&mut self, f: &share::Fragment) {
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
