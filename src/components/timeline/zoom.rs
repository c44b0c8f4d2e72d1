//! The timeline's zoom and pan as plain arithmetic on µs ranges (tested
//! natively): where a view may go, what a wheel notch, a key or a drag makes
//! of it, and at what bin width a zoomed window is read again.

use portspike_core::bins::LADDER;
use portspike_core::report::{Report, SeriesReport};

/// The time span a series covers (µs).
pub fn span_of(s: &SeriesReport) -> (i64, i64) {
    (
        s.start_ts,
        s.start_ts + s.packets.len() as i64 * s.bin_width_us as i64,
    )
}

/// The span of the report's timelines (they share one grid), or of the
/// capture when no port kept one.
pub fn grid_span(r: &Report) -> Option<(i64, i64)> {
    r.ports
        .iter()
        .find_map(|p| p.series.as_deref().map(span_of))
        .or_else(|| Some((r.capture.first_ts?, r.capture.last_ts? + 1)))
}

/// The bin width to re-read `[t0, t1)` at: the coarsest step of the ladder
/// giving at least 300 bins, if finer than `stored`.
pub fn fine_width(t0: i64, t1: i64, stored: u64) -> Option<u64> {
    let span = (t1 - t0).max(1) as u64;
    LADDER
        .iter()
        .rev()
        .copied()
        .find(|w| span / w >= 300)
        .or(LADDER.first().copied())
        .filter(|w| *w < stored)
}

/// The finest bin the timeline may zoom to: the ladder's first step when the
/// capture can be read again, else the stored width.
pub fn finest(can_reread: bool, stored: i64) -> i64 {
    if can_reread {
        LADDER.first().copied().unwrap_or(1000) as i64
    } else {
        stored
    }
}

/// A series of zeros on the grid of `width` covering `[t0, t1)`: a port silent
/// in a window read again.
pub fn silent(t0: i64, t1: i64, width: u64) -> SeriesReport {
    let w = width.max(1);
    let start = t0.div_euclid(w as i64) * w as i64;
    let n = ((t1 - start).max(0) as u64).div_ceil(w) as usize;
    SeriesReport {
        start_ts: start,
        bin_width_us: w,
        packets: vec![0; n],
        bytes: vec![0; n],
        attempts: vec![0; n],
        failures: vec![0; n],
        sources: vec![0; n],
        destinations: vec![0; n],
    }
}

/// The ranges a view may take: inside `full`, at least four bins of `width`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub full: (i64, i64),
    pub width: i64,
}

impl Bounds {
    /// `[a, b)` kept inside the capture and at least four bins wide; `None`
    /// when that is the whole capture (the unzoomed view).
    pub fn clamp(&self, a: i64, b: i64) -> Option<(i64, i64)> {
        let span = (b - a).max(4 * self.width);
        if span >= self.full.1 - self.full.0 {
            return None;
        }
        let a = a.clamp(self.full.0, self.full.1 - span);
        Some((a, a + span))
    }

    /// A wheel notch at time `tc`: in by a fifth, or out by a quarter, with
    /// `tc` staying under the pointer.
    pub fn wheel(&self, (t0, t1): (i64, i64), tc: i64, zoom_in: bool) -> Option<(i64, i64)> {
        let f = if zoom_in { 0.8 } else { 1.25 };
        let a = tc - ((tc - t0) as f64 * f) as i64;
        let b = tc + ((t1 - tc) as f64 * f) as i64;
        self.clamp(a, b)
    }

    /// A key on the focused timeline: `+`/`-` zoom, arrows pan a tenth, `0`
    /// or Escape show the whole capture. `None`: not a timeline key.
    pub fn key(&self, (t0, t1): (i64, i64), key: &str) -> Option<Option<(i64, i64)>> {
        let span = t1 - t0;
        Some(match key {
            "+" | "=" => self.clamp(t0 + span / 5, t1 - span / 5),
            "-" | "_" => self.clamp(t0 - span / 4, t1 + span / 4),
            "ArrowLeft" => self.clamp(t0 - span / 10, t1 - span / 10),
            "ArrowRight" => self.clamp(t0 + span / 10, t1 + span / 10),
            "0" | "Escape" => None,
            _ => return None,
        })
    }

    /// A pan by `fraction` of the plot's width (positive: the pointer moved
    /// right, so the view moves back in time).
    pub fn pan(&self, (t0, t1): (i64, i64), fraction: f64) -> Option<(i64, i64)> {
        let dt = (fraction * (t1 - t0) as f64) as i64;
        self.clamp(t0 - dt, t1 - dt)
    }
}

/// The time under a pointer at `fraction` (0 left edge, 1 right edge) of the
/// plot showing `[t0, t1)`; outside the plot, its nearest edge.
pub fn time_at((t0, t1): (i64, i64), fraction: f64) -> i64 {
    t0 + (fraction.clamp(0.0, 1.0) * (t1 - t0) as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;
    const B: Bounds = Bounds {
        full: (0, 1000 * S),
        width: S,
    };

    #[test]
    fn a_view_stays_inside_the_capture_and_four_bins_wide() {
        assert_eq!(B.clamp(-50 * S, 50 * S), Some((0, 100 * S)));
        assert_eq!(B.clamp(990 * S, 1010 * S), Some((980 * S, 1000 * S)));
        assert_eq!(B.clamp(10 * S, 11 * S), Some((10 * S, 14 * S)));
        // The whole capture or more is the unzoomed view.
        assert_eq!(B.clamp(-S, 1001 * S), None);
    }

    #[test]
    fn the_wheel_keeps_the_time_under_the_pointer() {
        let v = (100 * S, 200 * S);
        let tc = 150 * S;
        let (a, b) = B.wheel(v, tc, true).unwrap();
        assert_eq!((a, b), (110 * S, 190 * S));
        let (a, b) = B.wheel((a, b), tc, false).unwrap();
        assert_eq!((a, b), (100 * S, 200 * S));
        // Out past the capture is the whole capture.
        assert_eq!(B.wheel((0, 900 * S), 450 * S, false), None);
    }

    #[test]
    fn keys_zoom_pan_and_reset() {
        let v = (100 * S, 200 * S);
        assert_eq!(B.key(v, "+"), Some(Some((120 * S, 180 * S))));
        assert_eq!(B.key(v, "-"), Some(Some((75 * S, 225 * S))));
        assert_eq!(B.key(v, "ArrowRight"), Some(Some((110 * S, 210 * S))));
        assert_eq!(B.key((0, 100 * S), "ArrowLeft"), Some(Some((0, 100 * S))));
        assert_eq!(B.key(v, "Escape"), Some(None));
        assert_eq!(B.key(v, "x"), None);
    }

    #[test]
    fn a_pan_follows_the_pointer_and_stops_at_the_edges() {
        assert_eq!(B.pan((100 * S, 200 * S), 0.5), Some((50 * S, 150 * S)));
        assert_eq!(B.pan((100 * S, 200 * S), -0.5), Some((150 * S, 250 * S)));
        assert_eq!(B.pan((100 * S, 200 * S), 5.0), Some((0, 100 * S)));
    }

    #[test]
    fn pointer_positions_map_to_times_within_the_view() {
        assert_eq!(time_at((0, 100), 0.25), 25);
        assert_eq!(time_at((0, 100), -1.0), 0);
        assert_eq!(time_at((0, 100), 7.0), 100);
    }

    #[test]
    fn a_zoomed_window_is_read_again_at_300_bins_or_more_when_finer() {
        // Ten minutes stored at 1 s: a one-minute view wants ≥ 300 bins.
        let w = fine_width(0, 60 * S, S as u64).unwrap();
        assert!(w < S as u64 && (60 * S) as u64 / w >= 300, "{w}");
        // Nothing finer than what is stored: no re-read.
        assert_eq!(fine_width(0, 3600 * S, S as u64), None);
        assert_eq!(finest(false, 5 * S), 5 * S);
        assert!(finest(true, 5 * S) < S);
    }

    #[test]
    fn a_silent_port_gets_zeros_on_the_window_grid() {
        let s = silent(1_500_000, 4_200_000, 1_000_000);
        assert_eq!((s.start_ts, s.packets.len()), (1_000_000, 4));
        assert_eq!(span_of(&s), (1_000_000, 5_000_000));
        assert!(s.packets.iter().all(|v| *v == 0));
    }
}
