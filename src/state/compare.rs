//! Comparisons: a baseline capture against the capture on screen, the
//! capture before a moment against what follows, or a link's diff; and the
//! actions that make, fill and end them.

use super::{with_exact, with_sha, Action, Phase, State};
use portspike_core::diff::Diff;
use portspike_core::report::Report;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A baseline capture and what changed from it to the capture on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    /// Its file name (or "N files").
    pub name: String,
    /// Its report, once read (analysed with the same settings).
    pub report: Option<Rc<Report>>,
    /// Why it could not be read.
    pub failure: Option<String>,
    /// The changes, once both captures are read.
    pub diff: Option<Rc<Diff>>,
    /// Align the two timelines by time of day (else at their starts).
    pub by_time_of_day: bool,
    /// Where the comparison comes from.
    pub source: Source,
    /// Packets each address named in the incident sent in the baseline
    /// (asked once the diff names them): "new" is exact membership.
    pub sent: Option<Rc<BTreeMap<String, u64>>>,
    /// Why the baseline is not compared with (it could not be read whole,
    /// its read was cancelled, it holds nothing decodable): then no diff.
    pub refused: Option<String>,
}

/// Why a baseline whose read was cancelled is not compared with.
pub const CANCELLED: &str = "the baseline's read was cancelled before its end: against part of a capture, everything after that part would show as new";

/// What a comparison compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// A baseline capture against the capture on screen (compared again
    /// whenever either report changes).
    Capture,
    /// The capture on screen before a moment (µs) against what follows.
    Split(i64),
    /// A link's comparison: neither capture is here.
    Link,
}

impl Compare {
    /// The baseline's problems that do not stop the comparison: its
    /// capture's warnings and packets that could not be decoded.
    pub fn baseline_problems(&self) -> Vec<String> {
        let capture = match (&self.report, &self.diff) {
            (Some(r), _) => &r.capture,
            (None, Some(d)) if self.source == Source::Link => &d.baseline,
            _ => return Vec::new(),
        };
        let mut out: Vec<String> = capture
            .warnings
            .iter()
            .map(|w| match w.offset {
                Some(o) => format!("{} (at byte offset {o})", w.message),
                None => w.message.clone(),
            })
            .collect();
        if capture.decode_errors > 0 {
            out.push(format!(
                "{} of its packets could not be decoded",
                capture.decode_errors
            ));
        }
        out
    }

    /// The baseline is still being read (no report, no failure, no refusal).
    pub fn reading(&self) -> bool {
        self.source == Source::Capture
            && self.report.is_none()
            && self.failure.is_none()
            && self.refused.is_none()
    }

    /// Addresses the diff names as new that the baseline was not yet asked
    /// about (once both captures' findings are counted exactly).
    pub fn unasked(&self, incident: &Report) -> Vec<String> {
        let ready = self.source == Source::Capture
            && incident.exact()
            && self.report.as_ref().is_some_and(|r| r.exact());
        match &self.diff {
            Some(d) if ready => d
                .new_sources
                .iter()
                .filter(|a| self.sent.as_ref().is_none_or(|s| !s.contains_key(*a)))
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// How far to move the baseline's times to lay them under the
    /// incident's: to the same start, or to the same time of day.
    pub fn shift(&self, incident: &Report) -> i64 {
        const DAY: i64 = 86_400_000_000;
        let first = |r: &Report| r.capture.first_ts.unwrap_or(0);
        let Some(b) = &self.report else {
            return 0;
        };
        let d = first(incident) - first(b);
        if self.by_time_of_day {
            (d as f64 / DAY as f64).round() as i64 * DAY
        } else {
            d
        }
    }
}

impl State {
    /// The actions of a comparison.
    pub(super) fn compare_action(&mut self, action: Action) {
        match action {
            Action::CompareStart(name) => {
                let by_time_of_day = self.compare.as_ref().is_some_and(|c| c.by_time_of_day);
                self.compare = Some(Compare {
                    name,
                    report: None,
                    failure: None,
                    diff: None,
                    by_time_of_day,
                    source: Source::Capture,
                    sent: None,
                    refused: None,
                });
            }
            Action::CompareSplit(at) => {
                self.compare = Some(Compare {
                    name: format!("the capture before {}", portspike_core::export::human(at)),
                    report: None,
                    failure: None,
                    diff: None,
                    by_time_of_day: false,
                    source: Source::Split(at),
                    sent: None,
                    refused: None,
                });
            }
            Action::CompareDiff(at, d) => {
                if let Some(c) = self
                    .compare
                    .as_mut()
                    .filter(|c| c.source == Source::Split(at))
                {
                    c.diff = Some(Rc::new(*d));
                }
            }
            Action::CompareDone(r) => {
                if let Some(c) = &mut self.compare {
                    c.report = Some(Rc::new(*r));
                }
            }
            Action::CompareFailed(e) => match &mut self.compare {
                Some(c) => c.failure = Some(e),
                // A link's comparison that could not be read.
                None => self.link_problems.push(format!("diff: {e}; left out")),
            },
            Action::CompareHashed(i, sha) => {
                if let Some(c) = &mut self.compare {
                    c.report = c.report.as_ref().map(|r| Rc::new(with_sha(r, i, sha)));
                }
            }
            Action::CompareEvidence(x) => {
                if let Some(c) = &mut self.compare {
                    c.report = c.report.as_ref().map(|r| Rc::new(with_exact(r, *x)));
                }
            }
            Action::CompareSent(sent) => {
                if let Some(c) = &mut self.compare {
                    // Added to what was asked before (the incident's names
                    // change once its findings are counted exactly).
                    let mut all = c.sent.as_deref().cloned().unwrap_or_default();
                    all.extend(sent.iter().map(|(a, n)| (a.clone(), *n)));
                    c.sent = Some(Rc::new(all));
                }
            }
            Action::CompareAlign(tod) => {
                if let Some(c) = &mut self.compare {
                    c.by_time_of_day = tod;
                }
            }
            Action::CompareClear => self.compare = None,
            Action::LinkedCompare(d) => self.link_compare(Rc::new(*d)),
            _ => {}
        }
    }

    /// A link's comparison on screen (no baseline capture behind it).
    pub(super) fn link_compare(&mut self, d: Rc<Diff>) {
        let names: Vec<String> = d.baseline.files.iter().map(|f| f.name.clone()).collect();
        // A link's comparison made against a baseline not read whole is
        // refused as one made here would be.
        let refused = portspike_core::diff::unfit_baseline(&d.baseline);
        self.compare = Some(Compare {
            name: names.join(", "),
            report: None,
            failure: None,
            diff: refused.is_none().then_some(d),
            by_time_of_day: false,
            source: Source::Link,
            sent: None,
            refused,
        });
    }

    /// The diff again, once both captures are read (and after either changes).
    pub(super) fn rediff(&mut self) {
        let incident = self.report.clone().filter(|_| self.phase == Phase::Done);
        match self.compare.as_ref().map(|c| c.source) {
            // A split belongs to the capture it split.
            Some(Source::Split(_)) if incident.is_none() => self.compare = None,
            // A link's comparison stays until another is made or it is closed.
            Some(Source::Split(_) | Source::Link) | None => return,
            Some(Source::Capture) => {}
        }
        if let Some(c) = &mut self.compare {
            // Only a baseline read whole is compared with; its report only
            // ever comes from a finished read (never a preview).
            if let Some(b) = &c.report {
                c.refused = portspike_core::diff::unfit_baseline(&b.capture);
            }
            c.diff = match (&c.report, incident) {
                _ if c.refused.is_some() => None,
                (Some(b), Some(i)) if !self.linked => {
                    let mut d = portspike_core::diff::diff(b, &i);
                    if let Some(sent) = &c.sent {
                        portspike_core::diff::seen_in_baseline(&mut d, sent);
                    }
                    Some(Rc::new(d))
                }
                _ => None,
            };
        }
    }
}
