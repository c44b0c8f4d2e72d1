//! Every port at once: the top ports (by score) against time, colour = the
//! selected metric on a log scale, findings outlined in red and a port's
//! rhythm (its pattern) in dashed grey. Hover names the cell; a click picks
//! the port and zooms to that bin's neighbourhood; a drag sets the window of
//! both views (they share the page's view).

use crate::components::Shared;
use crate::format::port_label;
use crate::heat;
use crate::metric::SeriesMetric;
use portspike_core::report::{Annotation, Report};
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

/// Height of a row in CSS pixels: tall enough to read its label beside it.
/// The canvas grows with the rows; past [`VIEW_PX`] the panel scrolls
/// instead of squeezing them.
const ROW_PX: f64 = 14.0;
const VIEW_PX: f64 = 420.0;
/// Bins either side of a clicked one in the zoomed view.
const ZOOM_BINS: i64 = 10;

#[derive(Properties, PartialEq)]
pub struct HeatmapProps {
    pub report: Shared<Report>,
    pub metric: SeriesMetric,
    /// The page's time window (`None`: the whole capture).
    pub view: Option<(i64, i64)>,
    pub selected: usize,
    pub on_select: Callback<usize>,
    pub on_view: Callback<Option<(i64, i64)>>,
    /// The analyst's notes; they and the capture's (the report's
    /// `annotations`) are marked along the top.
    #[prop_or_default]
    pub notes: Vec<Annotation>,
}

#[function_component(Heatmap)]
pub fn heatmap(props: &HeatmapProps) -> Html {
    let canvas = use_node_ref();
    let shown = use_state(|| heat::ROWS_STEP);
    let tip = use_state(|| None::<(f64, f64, String)>);
    let drag = use_state(|| None::<(f64, f64)>);
    let r = &props.report.0;
    let rows = heat::rows(r, *shown);
    let total = heat::with_series(r);
    // The ports' timelines share one grid: the first one's bins are everyone's.
    let Some(full) = r.ports.iter().find_map(|p| {
        p.series
            .as_deref()
            .map(crate::components::timeline::zoom::span_of)
    }) else {
        return html! {};
    };
    let (t0, t1) = props.view.unwrap_or(full);
    let height = (rows.len() as f64 * ROW_PX).max(ROW_PX * 2.0);
    use_draw(&canvas, props, &rows, (t0, t1));
    let Pointer {
        onmousemove,
        onmouseleave,
        onmousedown,
        onmouseup,
    } = pointer(props, &canvas, &rows, (t0, t1), &tip, &drag);
    let more = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set(*shown + heat::ROWS_STEP))
    };
    let brush = drag.and_then(|(a, b)| {
        ((a - b).abs() >= 6.0).then(|| format!("left: {}px; width: {}px", a.min(b), (a - b).abs()))
    });
    let selected = r.ports.get(props.selected).map(port_label);
    // Its rows, top to bottom (`tcp/445,udp/53,…`), as the timeline names its ports.
    let labels: Vec<String> = rows
        .iter()
        .filter_map(|i| r.ports.get(*i).map(port_label))
        .collect();
    html! {
        <section class="heatmap-panel" aria-label="Every port at once">
            <h2 data-testid="heatmap-count" data-shown={rows.len().to_string()} data-ports={r.ports.len().to_string()}>
                {format!("Every port at once: {} of {} ports{} · {}", rows.len(), r.ports.len(),
                    if total < r.ports.len() { format!(" (the busiest; {total} have a timeline)") } else { String::new() },
                    props.metric.as_str())}</h2>
            <div class="heat-scroll" style={format!("max-height: {VIEW_PX}px")}>
            <ol class="heat-labels" data-testid="heatmap-labels" aria-hidden="true">
                { for labels.iter().map(|l| html! {
                    <li style={format!("height: {ROW_PX}px; line-height: {ROW_PX}px")} title={l.clone()}>{l.clone()}</li>
                }) }
            </ol>
            <div class="plot">
                <canvas ref={canvas} class="heatmap" data-testid="heatmap"
                    data-ports={labels.join(",")} data-t0={t0.to_string()} data-t1={t1.to_string()}
                    data-selected={selected}
                    style={format!("height: {height}px")}
                    role="img" aria-label="Ports by time; colour is the metric on a log scale"
                    {onmousemove} {onmouseleave} {onmousedown} {onmouseup}></canvas>
                if let Some(style) = brush { <div class="brush" style={style}></div> }
                { note_marks(props, (t0, t1)) }
                if let Some((x, y, text)) = (*tip).clone() {
                    <div class="tooltip" data-testid="heatmap-tooltip"
                        style={format!("left: {}px; top: {}px", x + 12.0, y + 12.0)}>{text}</div>
                }
            </div>
            </div>
            <p class="note legend">{"Light to dark blue to red: more, on a log scale. Red outline: a finding; dashed grey: a port's ordinary rhythm; amber along the top: a note."}</p>
            if total > rows.len() {
                <button class="button secondary small" data-testid="heatmap-more" onclick={more}>
                    {format!("Show {} more ports", (total - rows.len()).min(heat::ROWS_STEP))}</button>
            }
        </section>
    }
}

/// Draw after each render that changed what is shown.
#[hook]
fn use_draw(canvas: &NodeRef, props: &HeatmapProps, rows: &[usize], range: (i64, i64)) {
    let (t0, t1) = range;
    let canvas = canvas.clone();
    let report = props.report.clone();
    let rows = rows.to_vec();
    let metric = props.metric;
    use_effect_with(
        (props.report.clone(), rows.len(), metric, t0, t1),
        move |_| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let perf = web_sys::window().and_then(|w| w.performance());
                let started = perf.as_ref().map_or(0.0, |p| p.now());
                let _ = draw(&c, &report.0, &rows, metric, (t0, t1));
                // How long the draw took, for the benchmarks (data-draw-ms).
                let took = perf.as_ref().map_or(0.0, |p| p.now()) - started;
                let _ = c.set_attribute("data-draw-ms", &format!("{took:.2}"));
            }
        },
    );
}

/// The notes in the window (the capture's and the analyst's), marked along
/// the top.
fn note_marks(props: &HeatmapProps, (t0, t1): (i64, i64)) -> Html {
    let r = &props.report.0;
    let span = (t1 - t0).max(1) as f64;
    r.annotations
        .iter()
        .chain(&props.notes)
        .filter(|n| n.end_ts >= t0 && n.start_ts < t1)
        .map(|n| {
            let left = ((n.start_ts.max(t0) - t0) as f64 / span * 100.0).clamp(0.0, 100.0);
            let right = ((n.end_ts.min(t1) - t0) as f64 / span * 100.0).clamp(left, 100.0);
            html! { <div class="heat-note" data-testid="heatmap-note"
            data-t0={n.start_ts.to_string()} data-t1={n.end_ts.to_string()}
            style={format!("left: {left:.3}%; width: {:.3}%", right - left)}></div> }
        })
        .collect()
}

/// The canvas's mouse handlers.
struct Pointer {
    /// Names the cell under the pointer, and follows a drag.
    onmousemove: Callback<MouseEvent>,
    onmouseleave: Callback<MouseEvent>,
    onmousedown: Callback<MouseEvent>,
    /// Ends a drag (its stretch becomes the window of both views) or a click
    /// (the port selected, zoomed to the bin's neighbourhood).
    onmouseup: Callback<MouseEvent>,
}

fn pointer(
    props: &HeatmapProps,
    canvas: &NodeRef,
    rows: &[usize],
    (t0, t1): (i64, i64),
    tip: &UseStateHandle<Option<(f64, f64, String)>>,
    drag: &UseStateHandle<Option<(f64, f64)>>,
) -> Pointer {
    // The row (a port's index), the bin and the point under the pointer.
    let at = {
        let canvas = canvas.clone();
        let rows = rows.to_vec();
        let report = props.report.clone();
        move |e: &MouseEvent| -> Option<(usize, usize, f64, f64)> {
            let c = canvas.cast::<HtmlCanvasElement>()?;
            let b = c.get_bounding_client_rect();
            let (x, y) = (
                f64::from(e.client_x()) - b.left(),
                f64::from(e.client_y()) - b.top(),
            );
            let s = report.0.ports.iter().find_map(|p| p.series.as_deref())?;
            let (first, n) = heat::bins_in(s, t0, t1);
            let (row, bin) = heat::hit(x, y, b.width(), b.height(), rows.len(), first, n)?;
            Some((*rows.get(row)?, bin, x, y))
        }
    };
    let onmousemove = {
        let (tip, report, at, metric, drag) = (
            tip.clone(),
            props.report.clone(),
            at.clone(),
            props.metric,
            drag.clone(),
        );
        Callback::from(move |e: MouseEvent| {
            if let Some((x0, _)) = *drag {
                drag.set(Some((x0, f64::from(e.offset_x()))));
            }
            let text = at(&e).and_then(|(i, bin, x, y)| {
                let p = report.0.ports.get(i)?;
                let s = p.series.as_deref()?;
                let v = heat::values(s, metric.as_str()).get(bin)?;
                let w = s.bin_width_us as i64;
                let b0 = s.start_ts + bin as i64 * w;
                Some((
                    x,
                    y,
                    format!(
                        "{} · {}–{} UTC · {} {}",
                        p.key(),
                        crate::format::hms_prec(b0, 0, w),
                        crate::format::hms_prec(b0 + w, 0, w),
                        v,
                        metric.as_str()
                    ),
                ))
            });
            tip.set(text);
        })
    };
    let onmouseleave = {
        let (tip, drag) = (tip.clone(), drag.clone());
        Callback::from(move |_: MouseEvent| {
            tip.set(None);
            drag.set(None);
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            drag.set(Some((x, x)));
        })
    };
    let onmouseup = {
        let (drag, on_select, on_view, canvas) = (
            drag.clone(),
            props.on_select.clone(),
            props.on_view.clone(),
            canvas.clone(),
        );
        let report = props.report.clone();
        Callback::from(move |e: MouseEvent| {
            let Some((x0, _)) = *drag else { return };
            drag.set(None);
            let x1 = f64::from(e.offset_x());
            let width = canvas
                .cast::<HtmlCanvasElement>()
                .map_or(1.0, |c| f64::from(c.client_width()).max(1.0));
            if (x1 - x0).abs() >= 6.0 {
                // A drag: its stretch becomes the window of both views.
                let t = |x: f64| t0 + ((x / width).clamp(0.0, 1.0) * (t1 - t0) as f64) as i64;
                let (a, b) = (t(x0.min(x1)), t(x0.max(x1)));
                if b > a {
                    on_view.emit(Some((a, b)));
                }
            } else if let Some((i, bin, _, _)) = at(&e) {
                on_select.emit(i);
                if let Some(s) = report.0.ports.get(i).and_then(|p| p.series.as_deref()) {
                    let w = s.bin_width_us as i64;
                    let b0 = s.start_ts + bin as i64 * w;
                    on_view.emit(Some((b0 - ZOOM_BINS * w, b0 + (ZOOM_BINS + 1) * w)));
                }
            }
        })
    };
    Pointer {
        onmousemove,
        onmouseleave,
        onmousedown,
        onmouseup,
    }
}

/// Paint the cells, then outline findings and patterns.
fn draw(
    c: &HtmlCanvasElement,
    r: &Report,
    rows: &[usize],
    metric: SeriesMetric,
    (t0, t1): (i64, i64),
) -> Result<(), JsValue> {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (w, h) = (
        (f64::from(c.client_width()) * dpr).round().max(1.0),
        (f64::from(c.client_height()) * dpr).round().max(1.0),
    );
    c.set_width(w as u32);
    c.set_height(h as u32);
    let ctx: CanvasRenderingContext2d = c
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    let px = heat::pixels(r, rows, metric.as_str(), t0, t1, w as usize, h as usize);
    let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&px), w as u32, h as u32)?;
    ctx.put_image_data(&img, 0.0, 0.0)?;
    if rows.is_empty() || t1 <= t0 {
        return Ok(());
    }
    let row_h = h / rows.len() as f64;
    // Edges on pixel centres, so a one-pixel line stays one crisp pixel.
    let x = |t: i64| {
        ((t - t0) as f64 / (t1 - t0) as f64 * w)
            .clamp(0.0, w - 1.0)
            .floor()
            + 0.5
    };
    ctx.set_line_width(dpr.max(1.0));
    for (k, &i) in rows.iter().enumerate() {
        let Some(p) = r.ports.get(i) else { continue };
        let y = (k as f64 * row_h).floor();
        let rh = (row_h.floor() - 1.0).max(1.0);
        if let Some(pat) = &p.pattern {
            ctx.set_stroke_style_str("#8a94a3");
            let dash = js_sys::Array::of2(&JsValue::from(4.0 * dpr), &JsValue::from(3.0 * dpr));
            ctx.set_line_dash(&dash)?;
            let (a, b) = (x(pat.first_ts), x(pat.last_ts + pat.period_us.max(0)));
            ctx.stroke_rect(a, y + 0.5, (b - a).max(2.0), rh);
            ctx.set_line_dash(&js_sys::Array::new())?;
        }
        ctx.set_stroke_style_str("#dc2626");
        for s in r
            .spikes
            .iter()
            .filter(|s| s.proto == p.proto && s.port == p.port)
        {
            let (a, b) = (x(s.start_ts), x(s.end_ts));
            ctx.stroke_rect(a, y + 0.5, (b - a).max(2.0), rh);
        }
    }
    Ok(())
}
