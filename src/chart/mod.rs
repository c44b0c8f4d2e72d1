//! The timeline: one port's series drawn with plotters on a canvas, with the
//! port's findings as shaded bands.

use crate::format::{compact, fmt_width, hms_prec, zone_name};
use crate::metric::SeriesMetric;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use portspike_core::report::SeriesReport;
use web_sys::HtmlCanvasElement;

// The panels name the time formatters through the chart, whose axes they
// match (they live in `format`, which compiles natively).

mod canvas;

use canvas::Canvas;

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

/// The chart's colours, following the system's light or dark theme.
#[derive(Clone, Copy)]
struct Colors {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    accent: RGBColor,
}

impl Colors {
    fn current() -> Colors {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark {
            Colors {
                bg: RGBColor(26, 31, 37),
                fg: RGBColor(230, 233, 237),
                grid: RGBColor(44, 51, 59),
                accent: RGBColor(91, 141, 239),
            }
        } else {
            Colors {
                bg: WHITE,
                fg: RGBColor(27, 31, 36),
                grid: RGBColor(235, 238, 243),
                accent: RGBColor(37, 99, 235),
            }
        }
    }
}

/// The plot in plotters' coordinates: seconds from the view's start across,
/// values (or their log) up.
type Chart<'a> = ChartContext<'a, Canvas, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

type Drawn = Result<(), String>;

/// Where the view falls on the series' bins, and where a time and a value
/// land on the plot.
struct Frame<'a> {
    v: &'a View<'a>,
    /// Bin width (µs).
    w: i64,
    /// The view (µs), at least a bin wide.
    t0: i64,
    t1: i64,
    /// Bins overlapping the view: `first..last`.
    first: usize,
    last: usize,
    /// The baseline's bins in view: (start, end, value).
    base_steps: Vec<(i64, i64, u64)>,
    /// Top of the y axis.
    ymax: f64,
    /// Device pixels per CSS pixel.
    dpr: f64,
}

impl<'a> Frame<'a> {
    fn new(v: &'a View<'a>, dpr: f64) -> Frame<'a> {
        let s = v.series;
        let w = s.bin_width_us.max(1) as i64;
        let (t0, t1) = (v.t0, v.t1.max(v.t0 + w));
        let first = ((t0 - s.start_ts).div_euclid(w)).max(0) as usize;
        let last = ((t1 - s.start_ts + w - 1).div_euclid(w)).max(0) as usize;
        let mut f = Frame {
            v,
            w,
            t0,
            t1,
            first,
            last,
            base_steps: baseline_bins(v, t0, t1),
            ymax: 0.0,
            dpr,
        };
        let peak = |vals: &[u64]| f.in_view(vals).iter().copied().max().unwrap_or(0);
        let top = v
            .overlay
            .iter()
            .map(|(_, o)| peak(v.metric.values(o)))
            .chain(f.base_steps.iter().map(|(_, _, y)| *y))
            .fold(peak(v.metric.values(s)), u64::max);
        f.ymax = f.y(top.max(1) as f64) * 1.1;
        f
    }

    /// The bins of `vals` in view.
    fn in_view<'b>(&self, vals: &'b [u64]) -> &'b [u64] {
        vals.get(self.first..self.last.min(vals.len()))
            .unwrap_or_default()
    }

    /// Seconds from the view's start.
    fn secs(&self, t: i64) -> f64 {
        (t - self.t0) as f64 / 1e6
    }

    /// The view's width in seconds (the x axis's end).
    fn span(&self) -> f64 {
        self.secs(self.t1)
    }

    /// A value's height (log10(1 + v) on a log axis).
    fn y(&self, x: f64) -> f64 {
        if self.v.log {
            (1.0 + x).log10()
        } else {
            x
        }
    }

    /// CSS pixels in device pixels.
    fn px(&self, x: f64) -> u32 {
        (x * self.dpr).round() as u32
    }

    /// The bins of `vals` in view as a step line, runs of `group` bins drawn
    /// as their peak.
    fn steps(&self, vals: &[u64], group: usize) -> Vec<(f64, f64)> {
        let s = self.v.series;
        let vals = self.in_view(vals);
        let mut out = Vec::with_capacity(2 * vals.len().div_ceil(group));
        for (g, run) in vals.chunks(group).enumerate() {
            let peak = run.iter().copied().max().unwrap_or(0);
            let b0 = s.start_ts + (self.first + g * group) as i64 * self.w;
            let b1 = b0 + run.len() as i64 * self.w;
            let y = self.y(peak as f64);
            out.push((self.secs(b0).max(0.0), y));
            out.push((self.secs(b1).min(self.span()), y));
        }
        out
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

    let (backend, boxes) = backend(canvas)?;
    let root = backend.into_drawing_area();
    let colors = Colors::current();
    root.fill(&colors.bg).map_err(|e| e.to_string())?;

    let f = Frame::new(v, dpr);
    let mut chart = ChartBuilder::on(&root)
        .margin(f.px(8.0))
        .caption(
            v.title,
            ("sans-serif", f.px(14.0)).into_font().color(&colors.fg),
        )
        .x_label_area_size(f.px(40.0))
        .y_label_area_size(f.px(56.0))
        .build_cartesian_2d(0f64..f.span(), 0f64..f.ymax)
        .map_err(|e| e.to_string())?;
    draw_mesh(&mut chart, &f, colors, css_w)?;
    draw_bands(&mut chart, &f)?;
    draw_baseline(&mut chart, &f, colors)?;
    draw_marks(&mut chart, &f)?;
    draw_series(&mut chart, &f, colors)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let area = PlotArea {
        x0: f64::from(xr.start),
        x1: f64::from(xr.end),
        y0: f64::from(yr.start),
        y1: f64::from(yr.end),
    };
    root.present().map_err(|e| e.to_string())?;
    let _ = canvas.set_attribute("data-text-boxes", &text_boxes(&boxes.borrow(), dpr));
    Ok(area)
}

/// plotters-canvas on `canvas`, measuring text with its 2D context, and the
/// boxes of the texts it draws.
fn backend(canvas: &HtmlCanvasElement) -> Result<(Canvas, canvas::Boxes), String> {
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
    Ok((backend, boxes))
}

/// The grid, the axes and their labels: as many time labels as fit the
/// plot's width (at most eight).
fn draw_mesh(chart: &mut Chart<'_>, f: &Frame<'_>, c: Colors, css_w: f64) -> Drawn {
    let v = f.v;
    let (t0, t1) = (f.t0, f.t1);
    let tz = v.tz_offset_min;
    // Finer than a second apart, the labels carry ms or µs, and take more
    // room.
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
        .light_line_style(c.grid)
        .bold_line_style(c.grid.mix(0.9))
        .axis_style(c.fg.mix(0.6))
        .x_labels(n_x)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(format!("time ({})", zone_name(tz)))
        .y_desc(format!(
            "{} per {}{}",
            v.metric.as_str(),
            fmt_width(v.series.bin_width_us),
            if log { " (log)" } else { "" }
        ))
        .label_style(("sans-serif", f.px(11.0)).into_font().color(&c.fg))
        .axis_desc_style(("sans-serif", f.px(11.0)).into_font().color(&c.fg))
        .draw()
        .map_err(|e| e.to_string())
}

/// The port's findings, as shaded bands.
fn draw_bands(chart: &mut Chart<'_>, f: &Frame<'_>) -> Drawn {
    let band = RGBColor(220, 38, 38);
    chart
        .draw_series(f.v.bands.iter().map(|(a, b)| {
            Rectangle::new(
                [
                    (f.secs(*a).max(0.0), 0.0),
                    (f.secs(*b).min(f.span()), f.ymax),
                ],
                band.mix(0.12).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A comparison's baseline, as a grey area beneath the series.
fn draw_baseline(chart: &mut Chart<'_>, f: &Frame<'_>, c: Colors) -> Drawn {
    if f.v.baseline.is_none() {
        return Ok(());
    }
    let muted = c.fg.mix(0.45);
    let pts: Vec<(f64, f64)> = f
        .base_steps
        .iter()
        .flat_map(|(a, b, y)| {
            let y = f.y(*y as f64);
            [(f.secs(*a).max(0.0), y), (f.secs(*b).min(f.span()), y)]
        })
        .collect();
    chart
        .draw_series(
            AreaSeries::new(pts, 0.0, muted.mix(0.25))
                .border_style(muted.stroke_width(f.px(1.0).max(1))),
        )
        .map_err(|e| e.to_string())?
        .label("baseline")
        .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], muted.filled()));
    Ok(())
}

/// Notes: an amber strip along the top over each one's range (a point gets
/// a bin's width).
fn draw_marks(chart: &mut Chart<'_>, f: &Frame<'_>) -> Drawn {
    let amber = RGBColor(217, 119, 6);
    let (t0, t1, ymax) = (f.t0, f.t1, f.ymax);
    chart
        .draw_series(
            f.v.marks
                .iter()
                .filter(|(a, b)| *b >= t0 && *a <= t1)
                .map(|(a, b)| {
                    let b = (*b).max(a + f.w);
                    Rectangle::new(
                        [
                            (f.secs(*a).max(0.0), ymax * 0.95),
                            (f.secs(b).min(f.span()), ymax),
                        ],
                        amber.mix(0.8).filled(),
                    )
                }),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The series, the ports drawn over it, and the legend when there is more
/// than one.
fn draw_series(chart: &mut Chart<'_>, f: &Frame<'_>, c: Colors) -> Drawn {
    let v = f.v;
    let values = v.metric.values(v.series);
    // At most about two points per pixel: runs of bins drawn as their peak
    // (so a one-bin spike never disappears when zoomed out).
    let (xr, _) = chart.plotting_area().get_pixel_range();
    let columns = usize::try_from((xr.end - xr.start).max(1)).unwrap_or(1);
    let group = f.in_view(values).len().div_ceil(columns).max(1);
    let accent = c.accent;
    let main = chart
        .draw_series(
            AreaSeries::new(f.steps(values, group), 0.0, accent.mix(0.25))
                .border_style(accent.stroke_width(f.px(1.0).max(1))),
        )
        .map_err(|e| e.to_string())?;
    if v.overlay.is_empty() && v.baseline.is_none() {
        return Ok(());
    }
    let sw = f.px(1.5).max(1);
    main.label(v.label).legend(move |(x, y)| {
        Rectangle::new([(x, y - 4), (x + 14, y + 4)], accent.mix(0.5).filled())
    });
    for (k, (label, o)) in v.overlay.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                f.steps(v.metric.values(o), group),
                color.stroke_width(sw),
            ))
            .map_err(|e| e.to_string())?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(sw))
            });
    }
    chart
        .configure_series_labels()
        .background_style(c.bg.mix(0.85))
        .border_style(c.grid)
        .label_font(("sans-serif", f.px(11.0)).into_font().color(&c.fg))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())
}

/// The texts drawn, as JSON `[[left, top, width, height, text], …]` in CSS
/// pixels (`data-text-boxes`).
fn text_boxes(boxes: &[canvas::TextBox], dpr: f64) -> String {
    let json: Vec<String> = boxes
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
    format!("[{}]", json.join(","))
}
