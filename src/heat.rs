//! The all-ports overview's arithmetic, free of the page so it is tested
//! natively: which ports are rows, which bin a point falls in, and the
//! pixels of the heatmap (colour = the metric on a log scale).

use portspike_core::report::{Report, SeriesReport};

/// Rows shown at first, and added by each "more".
pub const ROWS_STEP: usize = 200;

/// The metric's values of a series by name (`packets`, `bytes`, …).
pub fn values<'a>(s: &'a SeriesReport, metric: &str) -> &'a [u64] {
    match metric {
        "bytes" => &s.bytes,
        "attempts" => &s.attempts,
        "failures" => &s.failures,
        "sources" => &s.sources,
        "destinations" => &s.destinations,
        _ => &s.packets,
    }
}

/// The rows: indices into `report.ports` of the ports with a timeline, in
/// the report's order (by score), at most `limit`.
pub fn rows(report: &Report, limit: usize) -> Vec<usize> {
    report
        .ports
        .iter()
        .enumerate()
        .filter(|(_, p)| p.series.is_some())
        .map(|(i, _)| i)
        .take(limit)
        .collect()
}

/// Ports with a timeline (what "more" can reach).
pub fn with_series(report: &Report) -> usize {
    report.ports.iter().filter(|p| p.series.is_some()).count()
}

/// The bins of the grid within `[t0, t1)`: the first bin's index and how many.
pub fn bins_in(s: &SeriesReport, t0: i64, t1: i64) -> (usize, usize) {
    let w = s.bin_width_us.max(1) as i64;
    let n = s.packets.len() as i64;
    let first = ((t0 - s.start_ts).div_euclid(w)).clamp(0, n);
    let last = ((t1 - s.start_ts + w - 1).div_euclid(w)).clamp(first, n);
    (first as usize, (last - first) as usize)
}

/// The cell under a point: (row, bin index in the series), for a canvas of
/// `width` × `height` CSS pixels showing `rows` rows and bins `first..first+n`.
pub fn hit(
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    rows: usize,
    first: usize,
    n: usize,
) -> Option<(usize, usize)> {
    if !(0.0..width).contains(&x) || !(0.0..height).contains(&y) || rows == 0 || n == 0 {
        return None;
    }
    let row = ((y / height) * rows as f64) as usize;
    let col = ((x / width) * n as f64) as usize;
    Some((row.min(rows - 1), first + col.min(n - 1)))
}

/// A colour for `f` in 0..=1 (0: the background; then light to dark blue,
/// then to red at the top): readable in light and dark page themes.
pub fn colour(f: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [236.0, 242.0, 252.0]),
        (0.25, [147.0, 183.0, 242.0]),
        (0.5, [37.0, 99.0, 235.0]),
        (0.75, [88.0, 28.0, 135.0]),
        (1.0, [220.0, 38.0, 38.0]),
    ];
    let f = f.clamp(0.0, 1.0);
    let mut out = [0u8; 3];
    for pair in STOPS.windows(2) {
        if let [(a, ca), (b, cb)] = pair {
            if f <= *b {
                let t = (f - a) / (b - a);
                for (o, (x, y)) in out.iter_mut().zip(ca.iter().zip(cb)) {
                    *o = (x + (y - x) * t).round() as u8;
                }
                return out;
            }
        }
    }
    out
}

/// RGBA pixels (`px_w` × `px_h`) of `rows` over `[t0, t1)`: each pixel
/// column shows the largest value of the bins it covers, on a log scale
/// against the largest value in view; an empty cell stays transparent.
pub fn pixels(
    report: &Report,
    rows: &[usize],
    metric: &str,
    t0: i64,
    t1: i64,
    px_w: usize,
    px_h: usize,
) -> Vec<u8> {
    let mut out = vec![0u8; px_w * px_h * 4];
    if rows.is_empty() || px_w == 0 || px_h == 0 {
        return out;
    }
    // Per row, per pixel column: the largest value.
    let mut cols: Vec<Vec<u64>> = Vec::with_capacity(rows.len());
    let mut top = 0u64;
    for &i in rows {
        let mut c = vec![0u64; px_w];
        if let Some(s) = report.ports.get(i).and_then(|p| p.series.as_deref()) {
            let v = values(s, metric);
            let (first, n) = bins_in(s, t0, t1);
            for (k, x) in v.iter().skip(first).take(n).enumerate() {
                let px = (k * px_w / n.max(1)).min(px_w - 1);
                if let Some(slot) = c.get_mut(px) {
                    *slot = (*slot).max(*x);
                }
                // Bins wider than a pixel fill every pixel they cover.
                let end = ((k + 1) * px_w / n.max(1)).min(px_w);
                for slot in c.iter_mut().take(end).skip(px + 1) {
                    *slot = (*slot).max(*x);
                }
            }
        }
        top = top.max(c.iter().copied().max().unwrap_or(0));
        cols.push(c);
    }
    let scale = ((top as f64) + 1.0).ln().max(f64::MIN_POSITIVE);
    for y in 0..px_h {
        let row = (y * rows.len() / px_h).min(rows.len() - 1);
        let Some(c) = cols.get(row) else { continue };
        for (x, v) in c.iter().enumerate() {
            if *v == 0 {
                continue;
            }
            let f = 0.15 + 0.85 * ((*v as f64) + 1.0).ln() / scale;
            let [r, g, b] = colour(f);
            let at = (y * px_w + x) * 4;
            if let Some(p) = out.get_mut(at..at + 4) {
                p.copy_from_slice(&[r, g, b, 255]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn report() -> Report {
        portspike_core::analyze_bytes(&portspike_gen::synth::sample(), Default::default())
    }

    #[test]
    fn rows_follow_the_ranking_and_stop_at_the_limit() {
        let r = report();
        let rows = rows(&r, 3);
        assert_eq!(rows.len(), 3);
        assert_eq!(r.ports[rows[0]].port, 445);
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_point_falls_in_the_bin_under_it() {
        // 10 rows, bins 100..200 across 1000 px: x = 505 is bin 150.
        assert_eq!(
            hit(505.0, 55.0, 1000.0, 100.0, 10, 100, 100),
            Some((5, 150))
        );
        assert_eq!(hit(-1.0, 5.0, 1000.0, 100.0, 10, 0, 100), None);
        assert_eq!(hit(999.9, 99.9, 1000.0, 100.0, 10, 0, 100), Some((9, 99)));
    }

    #[test]
    fn the_sweep_is_the_hottest_stretch_of_its_row() {
        let r = report();
        let rows = rows(&r, 200);
        let s = r.ports[rows[0]].series.as_deref().unwrap();
        let (t0, t1) = (
            s.start_ts,
            s.start_ts + s.packets.len() as i64 * s.bin_width_us as i64,
        );
        let (w, h) = (900, rows.len());
        let px = pixels(&r, &rows, "attempts", t0, t1, w, h);
        // Row 0 (tcp/445): darkest during the sweep (minutes 9–11 of 15), empty before it mostly.
        let red = |x: usize| px[x * 4];
        let sweep_x = w * 10 / 15;
        assert_eq!(px[sweep_x * 4 + 3], 255, "the sweep's pixels are drawn");
        assert!(colour(1.0)[0] > colour(0.5)[0]);
        assert!(red(sweep_x) > 150, "{}", red(sweep_x));
        let (first, n) = bins_in(s, t0, t1);
        assert_eq!((first, n), (0, s.packets.len()));
    }
}
