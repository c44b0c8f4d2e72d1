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
}

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
            Action::CompareShared(d) => {
                let names: Vec<String> = d.baseline.files.iter().map(|f| f.name.clone()).collect();
                self.compare = Some(Compare {
                    name: names.join(", "),
                    report: None,
                    failure: None,
                    diff: Some(Rc::new(*d)),
                    by_time_of_day: false,
                    source: Source::Link,
                    sent: None,
                });
            }
            _ => {}
        }
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
            c.diff = match (&c.report, incident) {
                (Some(b), Some(i)) if !self.shared => {
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
