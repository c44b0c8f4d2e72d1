//! What is selected: a port, a finding or a scanner (each with the window
//! and metric to see it in), and a link's view.

use super::State;
use crate::format::port_label;
use crate::headline::Pick;
use crate::metric::SeriesMetric;
use crate::share;
use portspike_core::report::Report;

impl State {
    /// Select the port, metric and range a link names.
    pub(super) fn apply_view(&mut self, v: &share::View) {
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
            self.metric = SeriesMetric::parse(m);
        }
        self.view = v.range;
        if !v.notes.is_empty() {
            self.notes = v.notes.clone();
        }
    }

    /// Apply the pending view of the page's link, if any.
    pub(super) fn apply_pending(&mut self) {
        if let Some(v) = self.pending.take() {
            self.apply_view(&v);
        }
    }

    /// Index into `report.ports` of `proto/port`.
    pub(super) fn port_index(&self, proto: &str, port: u16) -> Option<usize> {
        self.report
            .as_ref()?
            .ports
            .iter()
            .position(|p| p.proto == proto && p.port == port)
    }

    pub(super) fn select_spike(&mut self, i: usize) {
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
        self.metric = SeriesMetric::parse(sp.metric.as_str());
        // Found over coarser bins (a low-rate attack): that many of those.
        let w = sp.bin_width_us.unwrap_or(r.bin_width_us) as i64;
        let pad = ((sp.end_ts - sp.start_ts) / 2).max(10 * w);
        self.view = Some((sp.start_ts - pad, sp.end_ts + pad));
        self.spike = Some(i);
        self.scanner = None;
    }

    pub(super) fn select_scanner(&mut self, i: Option<usize>) {
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
    pub(super) fn step_spike(&mut self, d: i32) {
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
