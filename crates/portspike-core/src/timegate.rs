//! Timestamp outliers: a lone packet dated years away must not stretch the
//! timeline.
//!
//! The first [`WARMUP`] records are held back; their median time anchors the
//! capture. From then on a record more than [`GAP_US`] outside the range seen
//! so far is a *candidate* and is held back too (at most [`MAX_CANDIDATES`]):
//! if that many pile up, they are real traffic after all (a rotated file from
//! another day) and are released into the timeline. At the end, candidates
//! that are at most 1/[`OUTLIER_SHARE`] of all records are outliers: they are
//! counted in the totals but kept out of the bins; otherwise they are released.

/// Records held back to find the capture's centre.
pub const WARMUP: usize = 4096;
/// Distance from the range seen so far that makes a record a candidate outlier.
pub const GAP_US: i64 = 30 * 86_400 * 1_000_000;
/// Candidates held back at most; more than that are real traffic.
pub const MAX_CANDIDATES: usize = 1024;
/// Candidates are outliers only while they are at most 1/20 of all records.
pub const OUTLIER_SHARE: u64 = 20;

/// Routes timestamped records to the timeline or to the outliers.
#[derive(Debug)]
pub struct TimeGate<T> {
    warm: Option<Vec<(i64, T)>>,
    lo: i64,
    hi: i64,
    cand: Vec<(i64, T)>,
    seen: u64,
    outliers: u64,
    first_outlier_ts: Option<i64>,
}

impl<T> Default for TimeGate<T> {
    fn default() -> Self {
        TimeGate {
            warm: Some(Vec::new()),
            lo: 0,
            hi: 0,
            cand: Vec::new(),
            seen: 0,
            outliers: 0,
            first_outlier_ts: None,
        }
    }
}

impl<T> TimeGate<T> {
    /// Records kept out of the timeline.
    pub fn outliers(&self) -> u64 {
        self.outliers
    }

    /// Timestamp of the first outlier, for the warning.
    pub fn first_outlier_ts(&self) -> Option<i64> {
        self.first_outlier_ts
    }

    /// Offer a record; `admit` receives every record released to the timeline, in order.
    pub fn push(&mut self, ts: i64, item: T, admit: &mut dyn FnMut(i64, T)) {
        self.seen += 1;
        if let Some(w) = &mut self.warm {
            w.push((ts, item));
            if w.len() >= WARMUP {
                self.end_warmup(admit);
            }
            return;
        }
        self.route(ts, item, admit);
    }

    fn route(&mut self, ts: i64, item: T, admit: &mut dyn FnMut(i64, T)) {
        if ts < self.lo.saturating_sub(GAP_US) || ts > self.hi.saturating_add(GAP_US) {
            self.cand.push((ts, item));
            if self.cand.len() > MAX_CANDIDATES {
                self.release(admit);
            }
            return;
        }
        self.lo = self.lo.min(ts);
        self.hi = self.hi.max(ts);
        admit(ts, item);
    }

    fn release(&mut self, admit: &mut dyn FnMut(i64, T)) {
        for (ts, item) in std::mem::take(&mut self.cand) {
            self.lo = self.lo.min(ts);
            self.hi = self.hi.max(ts);
            admit(ts, item);
        }
    }

    fn end_warmup(&mut self, admit: &mut dyn FnMut(i64, T)) {
        let Some(warm) = self.warm.take() else {
            return;
        };
        let mut times: Vec<i64> = warm.iter().map(|(t, _)| *t).collect();
        times.sort_unstable();
        let median = times.get(times.len() / 2).copied().unwrap_or(0);
        self.lo = median;
        self.hi = median;
        for (ts, item) in warm {
            self.route(ts, item, admit);
        }
    }

    /// End of input: release or condemn what is still held back.
    /// `outlier` receives each record kept out of the timeline.
    pub fn finish(&mut self, admit: &mut dyn FnMut(i64, T), outlier: &mut dyn FnMut(i64, T)) {
        self.end_warmup(admit);
        let n = self.cand.len() as u64;
        if n * OUTLIER_SHARE > self.seen {
            self.release(admit);
            return;
        }
        for (ts, item) in std::mem::take(&mut self.cand) {
            self.outliers += 1;
            self.first_outlier_ts.get_or_insert(ts);
            outlier(ts, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(times: &[i64]) -> (Vec<i64>, Vec<i64>) {
        let mut g = TimeGate::default();
        let mut admitted = Vec::new();
        let mut out = Vec::new();
        for t in times {
            g.push(*t, *t, &mut |_, x| admitted.push(x));
        }
        g.finish(&mut |_, x| admitted.push(x), &mut |_, x| out.push(x));
        (admitted, out)
    }

    const YEAR: i64 = 365 * 86_400 * 1_000_000;

    #[test]
    fn a_lone_packet_years_away_is_an_outlier_even_first() {
        let mut t: Vec<i64> = (0..100).map(|i| 50 * YEAR + i * 1000).collect();
        t.insert(0, 0); // epoch zero first
        t.push(90 * YEAR);
        let (a, o) = run(&t);
        assert_eq!(o, vec![0, 90 * YEAR]);
        assert_eq!(a.len(), 100);
    }

    #[test]
    fn rotated_files_days_apart_stay_together() {
        let mut t: Vec<i64> = (0..5000).map(|i| i * 1_000_000).collect();
        t.extend((0..2000).map(|i| 40 * 86_400 * 1_000_000 + i * 1_000_000));
        let (a, o) = run(&t);
        assert!(o.is_empty());
        assert_eq!(a.len(), 7000);
    }

    #[test]
    fn tiny_captures_keep_everything() {
        let (a, o) = run(&[0, 1, 2 * YEAR]);
        assert!(o.is_empty());
        assert_eq!(a.len(), 3);
    }
}
