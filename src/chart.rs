//! The timeline: one port's series drawn with plotters on a canvas, with the
//! port's findings as shaded bands.

use crate::format::{compact, fmt_width};
use crate::metric::SeriesMetric;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use portspike_core::report::SeriesReport;
use web_sys::HtmlCanvasElement;

// The panels name the time formatters through the chart, whose axes they
// match (they live in `format`, which compiles natively).
pub use crate::format::{hms_at, hms_prec, zone_name};

mod measured {
    use plotters::prelude::DrawingBackend;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };
    use plotters_canvas::CanvasBackend;

    /// plotters-canvas, measuring text with the canvas: plotters' own measure
    /// puts a span in the page and reads its size, a layout of the whole page
    /// for every label.
    pub struct Canvas {
        pub inner: CanvasBackend,
        pub ctx: web_sys::CanvasRenderingContext2d,
        /// Every text drawn, as its box (left, top, width, height, in
        /// canvas pixels) and its text: the page puts them on the canvas
        /// (`data-text-boxes`), so a test can see that no labels overlap.
        pub boxes: Boxes,
    }

    /// A text's box (left, top, width, height) and the text.
    pub type TextBox = (i32, i32, u32, u32, String);
    pub type Boxes = std::rc::Rc<std::cell::RefCell<Vec<TextBox>>>;

    type CanvasError = <CanvasBackend as DrawingBackend>::ErrorType;

    impl DrawingBackend for Canvas {
        type ErrorType = CanvasError;

        fn get_size(&self) -> (u32, u32) {
            self.inner.get_size()
        }

        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.ensure_prepared()
        }

        fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.present()
        }

        fn draw_pixel(
            &mut self,
            point: BackendCoord,
            color: BackendColor,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.draw_pixel(point, color)
        }

        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.draw_line(from, to, style)
        }

        fn draw_rect<S: BackendStyle>(
            &mut self,
            upper_left: BackendCoord,
            bottom_right: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.draw_rect(upper_left, bottom_right, style, fill)
        }

        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.draw_path(path, style)
        }

        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.draw_circle(center, radius, style, fill)
        }

        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            self.inner.fill_polygon(vert, style)
        }

        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<CanvasError>> {
            use plotters_backend::text_anchor::{HPos, VPos};
            if let Ok((w, h)) = self.estimate_text_size(text, style) {
                let a = style.anchor();
                let left = match a.h_pos {
                    HPos::Left => pos.0,
                    HPos::Center => pos.0 - (w / 2) as i32,
                    HPos::Right => pos.0 - w as i32,
                };
                let top = match a.v_pos {
                    VPos::Top => pos.1,
                    VPos::Center => pos.1 - (h / 2) as i32,
                    VPos::Bottom => pos.1 - h as i32,
                };
                // Rotated text (the y axis's description) is not a label of a row.
                if matches!(style.transform(), plotters_backend::FontTransform::None) {
                    self.boxes
                        .borrow_mut()
                        .push((left, top, w, h, text.to_string()));
                }
            }
            self.inner.draw_text(text, style, pos)
        }

        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
            // The font string plotters-canvas draws with.
            self.ctx.set_font(&format!(
                "{} {}px {}",
                style.style().as_str(),
                style.size(),
                style.family().as_str(),
            ));
            let (w, h) = self
                .ctx
                .measure_text(text)
                .map(|m| {
                    let h = m.font_bounding_box_ascent() + m.font_bounding_box_descent();
                    (m.width(), if h > 0.0 { h } else { style.size() * 1.15 })
                })
                .unwrap_or((0.0, style.size() * 1.15));
            Ok((w.ceil() as u32, h.ceil() as u32))
        }
    }
}
use measured::Canvas;

/// What to draw.
pub struct View<'a> {
    pub series: &'a SeriesReport,
    pub metric: SeriesMetric,
    pub title: &'a str,
    /// Visible range in µs.
    pub t0: i64,
    pub t1: i64,
    /// Findings on this port: (start, end) in µs, shaded.
    pub bands: &'a [(i64, i64)],
    /// Logarithmic y axis (values drawn as log10(1 + v)).
    pub log: bool,
    /// Time zone of the axis, minutes east of UTC (0: UTC).
    pub tz_offset_min: i32,
    /// Label of the main series (for the legend) and further ports drawn
    /// over it as lines (same bins: one report shares one grid).
    pub label: &'a str,
    pub overlay: &'a [(String, &'a SeriesReport)],
    /// The same port in a baseline capture, drawn beneath the main series,
    /// with its times moved by `.1` µs (to align the two captures).
    pub baseline: Option<(&'a SeriesReport, i64)>,
    /// Notes: (start, end) in µs, marked along the top of the plot.
    pub marks: &'a [(i64, i64)],
}

/// Line colours of overlaid ports.
const PALETTE: [RGBColor; 6] = [
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(219, 39, 119),
    RGBColor(202, 138, 4),
    RGBColor(8, 145, 178),
];

/// Where the plot landed, in canvas pixels: for mapping the mouse to time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlotArea {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

/// Background, text, grid and accent colours, following the system's light
/// or dark theme.
fn theme() -> (RGBColor, RGBColor, RGBColor, RGBColor) {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark {
        (
            RGBColor(26, 31, 37),
            RGBColor(230, 233, 237),
            RGBColor(44, 51, 59),
            RGBColor(91, 141, 239),
        )
    } else {
        (
            WHITE,
            RGBColor(27, 31, 36),
            RGBColor(235, 238, 243),
            RGBColor(37, 99, 235),
        )
    }
}

/// The baseline's bins in `[t0, t1)` on its own grid, moved by its shift:
/// (start, end, value).
fn baseline_bins(v: &View<'_>, t0: i64, t1: i64) -> Vec<(i64, i64, u64)> {
    let Some((b, shift)) = v.baseline else {
        return Vec::new();
    };
    let bw = b.bin_width_us.max(1) as i64;
    v.metric
        .values(b)
        .iter()
        .enumerate()
        .map(|(i, y)| (b.start_ts + shift + i as i64 * bw, *y))
        .filter(|(a, _)| a + bw > t0 && *a < t1)
        .map(|(a, y)| (a, a + bw, y))
        .collect()
}

/// Draw on `canvas`, sized to its CSS box at the screen's pixel density.
pub fn draw(canvas: &HtmlCanvasElement, v: &View<'_>) -> Result<PlotArea, String> {
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
        .max(1.0);
    let css_w = f64::from(canvas.client_width().max(320));
    let css_h = f64::from(canvas.client_height().max(200));
    canvas.set_width((css_w * dpr).round() as u32);
    canvas.set_height((css_h * dpr).round() as u32);
    let px = |x: f64| (x * dpr).round() as u32;

    let inner = CanvasBackend::with_canvas_object(canvas.clone())
        .ok_or_else(|| "the browser gave no 2D canvas context".to_string())?;
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| wasm_bindgen::JsCast::dyn_into::<web_sys::CanvasRenderingContext2d>(c).ok())
        .ok_or_else(|| "the browser gave no 2D canvas context".to_string())?;
    let boxes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let backend = Canvas {
        inner,
        ctx,
        boxes: boxes.clone(),
    };
    let root = backend.into_drawing_area();
    let (bg, fg, grid, accent) = theme();
    root.fill(&bg).map_err(|e| e.to_string())?;

    let s = v.series;
    let values = v.metric.values(s);
    let w = s.bin_width_us.max(1) as i64;
    let (t0, t1) = (v.t0, v.t1.max(v.t0 + w));
    // Bins overlapping the view.
    let first = ((t0 - s.start_ts).div_euclid(w)).max(0) as usize;
    let last = ((t1 - s.start_ts + w - 1).div_euclid(w)).max(0) as usize;
    let visible = values
        .get(first..last.min(values.len()))
        .unwrap_or_default();
    let tf = |x: f64| if v.log { (1.0 + x).log10() } else { x };
    let peak = |vals: &[u64]| {
        vals.get(first..last.min(vals.len()))
            .unwrap_or_default()
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    };
    let base_steps = baseline_bins(v, t0, t1);
    let top = v
        .overlay
        .iter()
        .map(|(_, o)| peak(v.metric.values(o)))
        .chain(base_steps.iter().map(|(_, _, y)| *y))
        .fold(peak(values), u64::max);
    let ymax = tf(top.max(1) as f64) * 1.1;
    let secs = |t: i64| (t - t0) as f64 / 1e6;
    let span = secs(t1);

    let mut chart = ChartBuilder::on(&root)
        .margin(px(8.0))
        .caption(v.title, ("sans-serif", px(14.0)).into_font().color(&fg))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(56.0))
        .build_cartesian_2d(0f64..span, 0f64..ymax)
        .map_err(|e| e.to_string())?;
    let tz = v.tz_offset_min;
    // As many time labels as fit the plot's width (at most eight): finer
    // than a second apart, they carry ms or µs, and take more room.
    let plot_css = css_w - 56.0 - 16.0;
    let (mut n_x, mut step) = (8usize, (t1 - t0) / 8);
    for _ in 0..3 {
        let chars = hms_prec(t0, tz, step.max(1)).chars().count();
        n_x = crate::format::axis_labels(plot_css, chars, 8);
        step = (t1 - t0) / n_x as i64;
    }
    let x_fmt = |x: &f64| hms_prec(t0 + (x * 1e6).round() as i64, tz, step);
    let log = v.log;
    let y_fmt = move |y: &f64| compact(if log { 10f64.powf(*y) - 1.0 } else { *y });
    chart
        .configure_mesh()
        .light_line_style(grid)
        .bold_line_style(grid.mix(0.9))
        .axis_style(fg.mix(0.6))
        .x_labels(n_x)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(format!("time ({})", zone_name(tz)))
        .y_desc(format!(
            "{} per {}{}",
            v.metric.as_str(),
            fmt_width(s.bin_width_us),
            if log { " (log)" } else { "" }
        ))
        .label_style(("sans-serif", px(11.0)).into_font().color(&fg))
        .axis_desc_style(("sans-serif", px(11.0)).into_font().color(&fg))
        .draw()
        .map_err(|e| e.to_string())?;

    let band = RGBColor(220, 38, 38);
    chart
        .draw_series(v.bands.iter().map(|(a, b)| {
            Rectangle::new(
                [(secs(*a).max(0.0), 0.0), (secs(*b).min(span), ymax)],
                band.mix(0.12).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;

    let muted = fg.mix(0.45);
    if v.baseline.is_some() {
        let pts: Vec<(f64, f64)> = base_steps
            .iter()
            .flat_map(|(a, b, y)| {
                let y = tf(*y as f64);
                [(secs(*a).max(0.0), y), (secs(*b).min(span), y)]
            })
            .collect();
        chart
            .draw_series(
                AreaSeries::new(pts, 0.0, muted.mix(0.25))
                    .border_style(muted.stroke_width(px(1.0).max(1))),
            )
            .map_err(|e| e.to_string())?
            .label("baseline")
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], muted.filled()));
    }
    // Notes: an amber strip along the top over each one's range (a point
    // gets a bin's width).
    let amber = RGBColor(217, 119, 6);
    chart
        .draw_series(
            v.marks
                .iter()
                .filter(|(a, b)| *b >= t0 && *a <= t1)
                .map(|(a, b)| {
                    let b = (*b).max(a + w);
                    Rectangle::new(
                        [(secs(*a).max(0.0), ymax * 0.95), (secs(b).min(span), ymax)],
                        amber.mix(0.8).filled(),
                    )
                }),
        )
        .map_err(|e| e.to_string())?;
    // At most about two points per pixel: runs of bins drawn as their peak
    // (so a one-bin spike never disappears when zoomed out).
    let (xr, _) = chart.plotting_area().get_pixel_range();
    let columns = usize::try_from((xr.end - xr.start).max(1)).unwrap_or(1);
    let group = visible.len().div_ceil(columns).max(1);
    let steps = |vals: &[u64]| -> Vec<(f64, f64)> {
        let vals = vals.get(first..last.min(vals.len())).unwrap_or_default();
        let mut out = Vec::with_capacity(2 * vals.len().div_ceil(group));
        for (g, run) in vals.chunks(group).enumerate() {
            let peak = run.iter().copied().max().unwrap_or(0);
            let b0 = s.start_ts + (first + g * group) as i64 * w;
            let b1 = b0 + run.len() as i64 * w;
            let y = tf(peak as f64);
            out.push((secs(b0).max(0.0), y));
            out.push((secs(b1).min(span), y));
        }
        out
    };
    let pts = steps(values);
    let main = chart
        .draw_series(
            AreaSeries::new(pts, 0.0, accent.mix(0.25))
                .border_style(accent.stroke_width(px(1.0).max(1))),
        )
        .map_err(|e| e.to_string())?;
    if !v.overlay.is_empty() || v.baseline.is_some() {
        let sw = px(1.5).max(1);
        main.label(v.label).legend(move |(x, y)| {
            Rectangle::new([(x, y - 4), (x + 14, y + 4)], accent.mix(0.5).filled())
        });
        for (k, (label, o)) in v.overlay.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let line = steps(v.metric.values(o));
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(sw)))
                .map_err(|e| e.to_string())?
                .label(label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(sw))
                });
        }
        chart
            .configure_series_labels()
            .background_style(bg.mix(0.85))
            .border_style(grid)
            .label_font(("sans-serif", px(11.0)).into_font().color(&fg))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let area = PlotArea {
        x0: f64::from(xr.start),
        x1: f64::from(xr.end),
        y0: f64::from(yr.start),
        y1: f64::from(yr.end),
    };
    root.present().map_err(|e| e.to_string())?;
    let json: Vec<String> = boxes
        .borrow()
        .iter()
        .map(|(x, y, w, h, t)| {
            let c = |v: f64| (v / dpr).round();
            format!(
                "[{},{},{},{},{}]",
                c(f64::from(*x)),
                c(f64::from(*y)),
                c(f64::from(*w)),
                c(f64::from(*h)),
                serde_json::Value::from(t.as_str())
            )
        })
        .collect();
    let _ = canvas.set_attribute("data-text-boxes", &format!("[{}]", json.join(",")));
    Ok(area)
}
