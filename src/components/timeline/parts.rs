//! The timeline's pieces around the canvas: the bin under the pointer, the
//! note on the view's resolution, and the bins as a table.

use crate::format::fmt_width;
use crate::metric::SeriesMetric;
use portspike_core::report::SeriesReport;
use yew::prelude::*;

/// The hovered bin's exact range and values, beside the pointer at `(x, y)`.
pub fn tooltip(
    at: Option<(f64, f64, i64)>,
    s: Option<&SeriesReport>,
    metric: SeriesMetric,
    tz: i32,
) -> Html {
    let (Some((x, y, t)), Some(s)) = (at, s) else {
        return html! {};
    };
    let w = s.bin_width_us.max(1) as i64;
    let Ok(bin) = usize::try_from((t - s.start_ts).div_euclid(w)) else {
        return html! {};
    };
    if bin >= s.packets.len() {
        return html! {};
    }
    let b0 = s.start_ts + bin as i64 * w;
    let b1 = b0 + w;
    let value = metric.values(s).get(bin).copied().unwrap_or(0);
    let get = |v: &[u64]| v.get(bin).copied().unwrap_or(0);
    let style_pos = format!("left: {:.0}px; top: {:.0}px", x + 14.0, (y - 10.0).max(0.0));
    html! {
        <div class="tooltip" data-testid="tooltip" role="status"
            data-bin-start={b0.to_string()} data-bin-end={b1.to_string()}
            data-metric={metric.as_str()} data-value={value.to_string()}
            style={style_pos}>
            <strong>{format!("{}–{} {}", crate::format::hms_prec(b0, tz, w), crate::format::hms_prec(b1, tz, w), crate::format::zone_name(tz))}</strong>
            <div>{format!("{}: {}", metric.as_str(), value)}</div>
            <div class="muted">{format!("packets {} · attempts {} · failures {} · {} → {}",
                get(&s.packets), get(&s.attempts), get(&s.failures), get(&s.sources), get(&s.destinations))}</div>
        </div>
    }
}

/// What resolution the view has: bins read again for it, or why zoom stops
/// at the stored bins (once fewer than 100 of them are in view).
pub fn zoom_note(
    zoom_limit: Option<&str>,
    view: Option<(i64, i64)>,
    fine: bool,
    shown_width: u64,
    stored_width: i64,
) -> Html {
    match (zoom_limit, view) {
        (_, Some(_)) if fine => html! {
            <p class="zoom-note" data-testid="zoom-note" data-fine="true">
                {format!("{} bins, read again from the file for this range", fmt_width(shown_width))}</p>
        },
        (Some(why), Some((a, b))) if (b - a) / stored_width.max(1) < 100 => html! {
            <p class="zoom-note" data-testid="zoom-note" data-fine="false">
                {format!("Zoom stops at the stored {} bins: {why}.", fmt_width(stored_width as u64))}</p>
        },
        _ => html! {},
    }
}

/// The visible bins as a table: the chart's accessible alternative. Its rows
/// are built only while it is open (up to 500 rows is thousands of nodes).
pub fn table_view(
    s: Option<&SeriesReport>,
    metric: SeriesMetric,
    (t0, t1): (i64, i64),
    tz: i32,
    open: &UseStateHandle<bool>,
) -> Html {
    let Some(s) = s else { return html! {} };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            open.set(el.open());
        })
    };
    let w = s.bin_width_us.max(1) as i64;
    let first = ((t0 - s.start_ts) / w).max(0) as usize;
    let last = (((t1 - s.start_ts) + w - 1) / w).max(0) as usize;
    let rows: Vec<usize> = (first..last.min(s.packets.len())).collect();
    const MAX: usize = 500;
    let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    html! {
        <details class="table-view" data-testid="timeline-table" open={**open} {ontoggle}>
            <summary>{format!("Table view ({} bins{})", rows.len(), if rows.len() > MAX { format!(", first {MAX} shown") } else { String::new() })}</summary>
            <table>
                <thead><tr><th>{format!("Bin start ({})", crate::format::zone_name(tz))}</th><th class="num">{metric.as_str()}</th>
                    <th class="num">{"packets"}</th><th class="num">{"attempts"}</th><th class="num">{"failures"}</th></tr></thead>
                <tbody>
                { for rows.iter().take(if **open { MAX } else { 0 }).map(|&i| html! {
                    <tr><td>{crate::format::hms_prec(s.start_ts + i as i64 * w, tz, w)}</td>
                        <td class="num">{get(metric.values(s), i)}</td><td class="num">{get(&s.packets, i)}</td>
                        <td class="num">{get(&s.attempts, i)}</td><td class="num">{get(&s.failures, i)}</td></tr>
                }) }
                </tbody>
            </table>
        </details>
    }
}
