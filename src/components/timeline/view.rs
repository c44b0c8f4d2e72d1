//! The timeline component: the canvas, its toolbar and its pointer and key
//! handling (the arithmetic is in [`super::zoom`]).

use super::notes::Notes;
use super::parts::{table_view, tooltip, zoom_note};
use super::pointer::{use_pointer, Pointer};
use super::zoom::{finest, grid_span, silent, span_of, Bounds};
use crate::chart;
use crate::components::Shared;
use crate::dom::{download_url, save, zone_at};
use crate::format::port_label;
use crate::metric::SeriesMetric;
use crate::state::Fine;
use portspike_core::report::{Annotation, PortReport, Report, SeriesReport};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub report: Shared<Report>,
    pub selected: usize,
    pub overlay: Vec<usize>,
    pub metric: SeriesMetric,
    pub view: Option<(i64, i64)>,
    pub log: bool,
    pub utc: bool,
    pub on_metric: Callback<SeriesMetric>,
    pub on_view: Callback<Option<(i64, i64)>>,
    pub on_log: Callback<()>,
    pub on_utc: Callback<()>,
    pub fine: Option<Shared<Fine>>,
    pub zoom_limit: Option<String>,
    /// A baseline capture's report, its port drawn beneath this one's,
    /// moved by `baseline_shift` µs.
    #[prop_or_default]
    pub baseline: Option<Shared<Report>>,
    #[prop_or_default]
    pub baseline_shift: i64,
    /// The analyst's notes.
    #[prop_or_default]
    pub notes: Vec<Annotation>,
    pub on_note: Callback<Annotation>,
    pub on_remove_note: Callback<usize>,
    /// Compare the capture before a moment with what follows (`None`: the
    /// capture cannot be read again).
    #[prop_or_default]
    pub on_split: Option<Callback<i64>>,
}

/// What the timeline shows: the selected port with the series in view (a
/// re-read window's where it covers the view), and the ports drawn over it.
struct Shown {
    port: Option<PortReport>,
    series: Option<Box<SeriesReport>>,
    /// A re-read window is what is shown.
    fine: bool,
    overlaid: Vec<(String, Box<SeriesReport>)>,
    stored_width: i64,
    /// The same port in the baseline (its stored timeline).
    baseline: Option<Box<SeriesReport>>,
}

fn shown(props: &TimelineProps, (t0, t1): (i64, i64)) -> Shown {
    let port = props.report.ports.get(props.selected);
    let stored = port.and_then(|p| p.series.as_deref());
    // The series of a re-read window, where it covers the view: finer than
    // the stored one, or the only one of a port without a stored timeline.
    let fine = props
        .fine
        .as_ref()
        .filter(|f| (props.view.is_some() || stored.is_none()) && f.covers(t0, t1));
    let series_of = |p: &PortReport| -> Option<Box<SeriesReport>> {
        let Some(f) = fine else {
            return p.series.clone();
        };
        match f
            .report
            .ports
            .iter()
            .find(|x| x.proto == p.proto && x.port == p.port)
        {
            Some(fp) => fp.series.clone(),
            // Silent in the window: an empty series at the fine width.
            None => Some(Box::new(silent(f.t0, f.t1, f.report.bin_width_us))),
        }
    };
    let series = port.and_then(|p| series_of(p).or_else(|| p.series.clone()));
    let overlaid = props
        .overlay
        .iter()
        .filter_map(|i| props.report.ports.get(*i))
        .filter_map(|p| series_of(p).map(|s| (port_label(p), s)))
        .collect();
    Shown {
        port: port.map(|p| PortReport {
            series: series.clone(),
            ..p.clone()
        }),
        series,
        fine: fine.is_some(),
        overlaid,
        stored_width: stored.map_or(1, |s| s.bin_width_us.max(1) as i64),
        baseline: props.baseline.as_ref().zip(port).and_then(|(b, p)| {
            b.ports
                .iter()
                .find(|x| x.proto == p.proto && x.port == p.port)
                .and_then(|x| x.series.clone())
        }),
    }
}

/// Draw the chart whenever what it shows changes.
#[hook]
fn use_draw(
    canvas: &NodeRef,
    area: &Rc<RefCell<chart::PlotArea>>,
    props: &TimelineProps,
    s: &Shown,
    range: (i64, i64),
    tz: i32,
) {
    let (t0, t1) = range;
    let bands: Vec<(i64, i64)> = s
        .port
        .as_ref()
        .map(|p| {
            props
                .report
                .spikes
                .iter()
                .filter(|sp| sp.proto == p.proto && sp.port == p.port)
                .map(|sp| (sp.start_ts, sp.end_ts))
                .collect()
        })
        .unwrap_or_default();
    let (canvas, area) = (canvas.clone(), area.clone());
    let deps = (
        s.port.clone(),
        props.metric,
        t0,
        t1,
        bands,
        props.log,
        tz,
        s.overlaid.clone(),
        (s.baseline.clone(), props.baseline_shift),
        marks(props),
    );
    use_effect_with(
        deps,
        move |(port, metric, t0, t1, bands, log, tz, overlaid, base, marks)| {
            let (Some(c), Some(p)) = (canvas.cast::<HtmlCanvasElement>(), port) else {
                return;
            };
            let Some(s) = &p.series else {
                // No timeline (yet): not the last port's drawing under this one's name.
                c.set_width(c.width());
                return;
            };
            let label = port_label(p);
            let title = match &p.service {
                Some(n) => format!("{label} ({n})"),
                None => label.clone(),
            };
            let over: Vec<(String, &SeriesReport)> =
                overlaid.iter().map(|(l, s)| (l.clone(), &**s)).collect();
            let view = chart::View {
                series: s,
                label: &label,
                overlay: &over,
                metric: *metric,
                title: &title,
                t0: *t0,
                t1: *t1,
                bands,
                log: *log,
                tz_offset_min: *tz,
                baseline: base.0.as_deref().map(|b| (b, base.1)),
                marks,
            };
            let perf = web_sys::window().and_then(|w| w.performance());
            let started = perf.as_ref().map_or(0.0, |p| p.now());
            let drawn = chart::draw(&c, &view);
            // How long the draw took, for the benchmarks (data-draw-ms).
            let took = perf.as_ref().map_or(0.0, |p| p.now()) - started;
            let _ = c.set_attribute("data-draw-ms", &format!("{took:.2}"));
            match drawn {
                Ok(a) => *area.borrow_mut() = a,
                Err(e) => web_sys::console::error_1(&format!("timeline: {e}").into()),
            }
        },
    );
}

/// The moment a "before / after" comparison splits at: the start of the view,
/// or the middle of the capture when it is not zoomed.
fn split_at(props: &TimelineProps) -> i64 {
    match (props.view, &props.report.capture) {
        (Some((t0, _)), _) => t0,
        (None, c) => match (c.first_ts, c.last_ts) {
            (Some(a), Some(b)) => a + (b - a) / 2,
            _ => 0,
        },
    }
}

/// The ranges of every note, the capture's and the analyst's.
fn marks(props: &TimelineProps) -> Vec<(i64, i64)> {
    props
        .report
        .annotations
        .iter()
        .chain(&props.notes)
        .map(|n| (n.start_ts, n.end_ts))
        .collect()
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let canvas = use_node_ref();
    let area = use_mut_ref(chart::PlotArea::default);
    let table_open = use_state(|| false);
    let stored = props
        .report
        .ports
        .get(props.selected)
        .and_then(|p| p.series.as_deref());
    let full = stored
        .map(span_of)
        .or_else(|| grid_span(&props.report))
        .unwrap_or_default();
    let (t0, t1) = props.view.unwrap_or(full);
    let s = shown(props, (t0, t1));
    let tz = zone_at(t0, props.utc);
    use_draw(&canvas, &area, props, &s, (t0, t1), tz);
    let bounds = Bounds {
        full,
        // With a file to re-read, zoom goes down to the finest step of the ladder.
        width: finest(props.zoom_limit.is_none(), s.stored_width),
    };
    let Pointer {
        hover,
        brush,
        onwheel,
        onmousedown,
        onmousemove,
        onmouseup,
        onmouseleave,
        ondblclick,
        onkeydown,
    } = use_pointer(&area, (t0, t1), bounds, &props.on_view);
    let labels: Vec<String> = s
        .port
        .iter()
        .map(port_label)
        .chain(s.overlaid.iter().map(|(l, _)| l.clone()))
        .collect();
    let brush_box = match brush {
        Some((a, b)) => html! {
            <div class="brush" style={format!("left: {a:.0}px; width: {:.0}px", b - a)}></div>
        },
        None => html! {},
    };
    let series = s.series.as_deref();
    let shown_width = series.map_or(0, |s| s.bin_width_us);
    html! {
        <section class="timeline-panel" aria-label="Timeline">
            { toolbar(props, &canvas) }
            { rank_note(props, &s) }
            <div class="plot">
                <canvas ref={canvas} data-testid="timeline" class="timeline" tabindex="0"
                    data-t0={t0.to_string()} data-t1={t1.to_string()}
                    data-metric={props.metric.as_str()} data-scale={if props.log { "log" } else { "linear" }}
                    data-tz={crate::format::zone_name(tz)} data-ports={labels.join(",")}
                    data-baseline={s.baseline.as_ref().and(s.port.as_ref()).map(port_label)}
                    data-bin-width={shown_width.to_string()}
                    role="img" aria-label={s.port.as_ref().map(|p| format!("timeline of {}: wheel to zoom, drag to select a range, shift-drag to pan, double-click to reset; keys + - arrows 0", port_label(p))).unwrap_or_default()}
                    {onwheel} {onmousedown} {onmousemove} {onmouseup} {onmouseleave} {ondblclick} {onkeydown}>
                </canvas>
                { brush_box }
                { tooltip(hover, series, props.metric, tz) }
            </div>
            { zoom_note(props.zoom_limit.as_deref(), props.view, s.fine, shown_width, s.stored_width) }
            <p class="note legend" data-testid="timeline-legend">{"Blue: the selected port's metric per bin; red band: a finding's window; other colours: ports added with ctrl-click. Hover a bin for its values."}</p>
            <Notes report={props.report.clone()} notes={props.notes.clone()}
                range={(t0, t1)} utc={props.utc} on_note={props.on_note.clone()}
                on_remove={props.on_remove_note.clone()} on_view={props.on_view.clone()} />
            { table_view(series, props.metric, (t0, t1), tz, &table_open) }
        </section>
    }
}

/// A port ranked below those whose timelines the report keeps: its timeline
/// is read again, or why it cannot be.
fn rank_note(props: &TimelineProps, s: &Shown) -> Html {
    let Some(p) = s.port.as_ref().filter(|p| p.series.is_none()) else {
        return html! {};
    };
    html! {
        <p class="note" data-testid="timeline-note">{
            match &props.zoom_limit {
                None => format!("{} ranks below the ports whose timelines the report keeps: its timeline is read again from the capture (once the analysis is done).", port_label(p)),
                Some(why) => format!("{} ranks below the ports whose timelines the report keeps, and its timeline cannot be read again: {why}.", port_label(p)),
            }
        }</p>
    }
}

/// The metric, the scale and the zone, the whole capture again, and the
/// exports (the report as JSON, the series as CSV, the chart as PNG).
fn toolbar(props: &TimelineProps, canvas: &NodeRef) -> Html {
    let set_metric = props.on_metric.clone();
    let onchange = Callback::from(move |e: Event| {
        let sel: HtmlSelectElement = e.target_unchecked_into();
        set_metric.emit(SeriesMetric::parse(&sel.value()));
    });
    let emit = |cb: &Callback<()>| {
        let cb = cb.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let on_reset = {
        let on_view = props.on_view.clone();
        Callback::from(move |_: MouseEvent| on_view.emit(None))
    };
    let (report, notes) = (props.report.clone(), props.notes.clone());
    let export = Callback::from(move |_: MouseEvent| {
        // The report with the analyst's notes beside the capture's comments.
        let mut r = (*report).clone();
        r.annotations.extend(notes.iter().cloned());
        save(
            "portspike-report.json",
            "application/json",
            &r.to_json_pretty(),
        )
    });
    let report = props.report.clone();
    let export_csv = Callback::from(move |_: MouseEvent| {
        let csv = portspike_core::export::series_csv(&report);
        save("portspike-series.csv", "text/csv", &csv)
    });
    let png_canvas = canvas.clone();
    let export_png = Callback::from(move |_: MouseEvent| {
        let Some(c) = png_canvas.cast::<HtmlCanvasElement>() else {
            return;
        };
        let saved = c
            .to_data_url_with_type("image/png")
            .and_then(|url| download_url("portspike-timeline.png", &url));
        if let Err(e) = saved {
            web_sys::console::error_1(&e);
        }
    });
    html! {
        <div class="toolbar">
            <label>{"SeriesMetric "}
                <select data-testid="metric-select" {onchange}>
                    { for SeriesMetric::ALL.iter().map(|m| html! {
                        <option value={m.as_str()} selected={props.metric == *m}>{m.as_str()}</option>
                    }) }
                </select>
            </label>
            <button class="button secondary small" data-testid="scale-toggle" onclick={emit(&props.on_log)}
                aria-pressed={props.log.to_string()}>{if props.log { "Log scale" } else { "Linear scale" }}</button>
            <button class="button secondary small" data-testid="tz-toggle" onclick={emit(&props.on_utc)}
                aria-pressed={(!props.utc).to_string()}>{if props.utc { "UTC" } else { "Local time" }}</button>
            <button class="button secondary small" data-testid="reset-zoom" onclick={on_reset} disabled={props.view.is_none()}>{"Show whole capture"}</button>
            if let Some(on) = props.on_split.clone() {
                <button class="button secondary small" data-testid="compare-split" onclick={
                    let at = split_at(props);
                    Callback::from(move |_: MouseEvent| on.emit(at))
                } title="Compare the capture before the start of the view with what follows (zoom first to choose the moment; unzoomed, its middle)">{"Before / after"}</button>
            }
            <button class="button secondary small" data-testid="export-json" onclick={export}>{"Export JSON"}</button>
            <button class="button secondary small" data-testid="export-csv" onclick={export_csv}>{"Export CSV"}</button>
            <button class="button secondary small" data-testid="export-png" onclick={export_png}>{"Export PNG"}</button>
        </div>
    }
}
