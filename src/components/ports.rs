//! The port table: every port ranked, filtered by number, protocol or
//! service name, sorted, with a sparkline each; only the visible rows are
//! drawn.

use super::Shared;
use crate::format::{fmt_width, port_label};
use portspike_core::report::{PortReport, Report};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PortProps {
    pub report: Shared<Report>,
    pub selected: usize,
    pub overlay: Vec<usize>,
    pub on_select: Callback<usize>,
    pub on_overlay: Callback<usize>,
}

/// Row height of the port table (px); the table renders only visible rows.
const ROW_H: f64 = 29.0;
const TABLE_H: f64 = 464.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Score,
    Packets,
    Sources,
    Port,
}

#[function_component(PortTable)]
pub fn port_table(props: &PortProps) -> Html {
    let sort = use_state(|| SortBy::Score);
    let filter = use_state(String::new);
    let proto = use_state(|| "all".to_string());
    let scroll = use_state(|| 0.0f64);
    let ports = &props.report.ports;
    // Indices into report.ports, filtered and sorted (the report's order is by score).
    let rows: Vec<usize> = {
        let f = filter.trim().to_lowercase();
        let mut v: Vec<usize> = (0..ports.len())
            .filter(|i| {
                ports.get(*i).is_some_and(|p| {
                    // "tcp/445" or "445" match exactly; other text matches service names.
                    (*proto == "all" || p.proto == *proto)
                        && (f.is_empty()
                            || if f.contains('/') {
                                port_label(p) == f
                            } else if f.bytes().all(|c| c.is_ascii_digit()) {
                                p.port.to_string() == f
                            } else {
                                service_matches(p, &f)
                            })
                })
            })
            .collect();
        let key = |i: &usize| {
            ports
                .get(*i)
                .map(|p| (p.totals.packets, p.totals.sources, p.port))
        };
        match *sort {
            SortBy::Score => {}
            SortBy::Packets => v.sort_by_key(|i| std::cmp::Reverse(key(i).map(|k| k.0))),
            SortBy::Sources => v.sort_by_key(|i| std::cmp::Reverse(key(i).map(|k| k.1))),
            SortBy::Port => v.sort_by_key(|i| key(i).map(|k| k.2)),
        }
        v
    };
    let count = (TABLE_H / ROW_H) as usize + 12;
    // The scroll position may be stale after a filter shrank the list.
    let first = ((*scroll / ROW_H) as usize)
        .saturating_sub(5)
        .min(rows.len().saturating_sub(count));
    let last = (first + count).min(rows.len());
    let top_pad = first as f64 * ROW_H;
    let bottom_pad = (rows.len() - last) as f64 * ROW_H;
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            scroll.set(f64::from(el.scroll_top()));
        })
    };
    let sort_button = |by: SortBy, label: &str| {
        let sort = sort.clone();
        let active = *sort == by;
        html! {
            <button class={classes!("sort", active.then_some("active"))} aria-pressed={active.to_string()}
                data-testid={format!("sort-{}", label.to_lowercase())}
                onclick={Callback::from(move |_: MouseEvent| sort.set(by))}>{label}</button>
        }
    };
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_proto = {
        let proto = proto.clone();
        Callback::from(move |e: Event| {
            proto.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    html! {
        <section class="ports" aria-label="Ports ranked">
            <h2>{format!("Ports ({} of {})", rows.len(), ports.len())}</h2>
            <div class="port-tools">
                <input type="search" placeholder="port or service" aria-label="filter ports" data-testid="port-filter" oninput={on_filter} />
                <select aria-label="protocol" data-testid="proto-filter" onchange={on_proto}>
                    <option value="all" selected={*proto == "all"}>{"all"}</option>
                    <option value="tcp" selected={*proto == "tcp"}>{"tcp"}</option>
                    <option value="udp" selected={*proto == "udp"}>{"udp"}</option>
                    <option value="icmp" selected={*proto == "icmp"}>{"icmp"}</option>
                    <option value="icmpv6" selected={*proto == "icmpv6"}>{"icmpv6"}</option>
                    <option value="ip" selected={*proto == "ip"}>{"other ip"}</option>
                    <option value="fragment" selected={*proto == "fragment"}>{"fragments"}</option>
                </select>
                <span class="muted">{"sort:"}</span>
                { sort_button(SortBy::Score, "Score") }
                { sort_button(SortBy::Packets, "Packets") }
                { sort_button(SortBy::Sources, "Sources") }
                { sort_button(SortBy::Port, "Port") }
            </div>
            <div class="port-scroll" {onscroll}>
                <table>
                    <thead><tr><th title="Place in the table's current order">{"#"}</th>
                        <th title="Protocol and port: the flow's service port (or the destination port, per the settings)">{"Port"}</th>
                        <th title="The port's registered service name">{"Service"}</th>
                        <th title="Packets over the whole capture, as a small chart">{"Activity"}</th>
                        <th class="num" title="How far the port's busiest stretch stood above its own normal (robust z-score); 6 or more with persistence is a finding">{"Score"}</th>
                        <th class="num" title="Packets over the whole capture">{"Packets"}</th>
                        <th class="num" title="Distinct clients over the whole capture">{"Sources"}</th></tr></thead>
                    <tbody>
                    if top_pad > 0.0 { <tr class="pad" style={format!("height: {top_pad}px")}></tr> }
                    { for rows.get(first..last).unwrap_or_default().iter().enumerate().filter_map(|(k, &i)| ports.get(i).map(|p| html! {
                        <PortRow key={i} index={i} position={first + k + 1} port={p.clone()} selected={i == props.selected}
                            overlaid={props.overlay.contains(&i)}
                            on_select={props.on_select.clone()} on_overlay={props.on_overlay.clone()} />
                    })) }
                    if bottom_pad > 0.0 { <tr class="pad" style={format!("height: {bottom_pad}px")}></tr> }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// A sparkline of a series as an SVG polyline (no canvas, no script).
fn sparkline(values: &[u64]) -> Html {
    const W: f64 = 90.0;
    const H: f64 = 18.0;
    const N: usize = 45;
    if values.is_empty() {
        return html! {};
    }
    let per = values.len().div_ceil(N).max(1);
    let buckets: Vec<u64> = values.chunks(per).map(|c| c.iter().sum()).collect();
    let max = buckets.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = W / (buckets.len().max(2) - 1) as f64;
    let points: Vec<String> = buckets
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                H - 1.0 - (*v as f64 / max) * (H - 2.0)
            )
        })
        .collect();
    html! {
        <svg class="spark" width="56" height="18" viewBox="0 0 90 18" preserveAspectRatio="none" aria-hidden="true">
            <polyline points={points.join(" ")} />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct PortRowProps {
    pub index: usize,
    /// Its place in the table's current order (1 is the top).
    pub position: usize,
    pub port: PortReport,
    pub selected: bool,
    pub overlaid: bool,
    pub on_select: Callback<usize>,
    pub on_overlay: Callback<usize>,
}

#[function_component(PortRow)]
pub fn port_row(props: &PortRowProps) -> Html {
    let select = props.on_select.clone();
    let onclick = {
        let i = props.index;
        let select = select.clone();
        let overlay = props.on_overlay.clone();
        // Ctrl-, Cmd- or Shift-click adds the port to the chart.
        Callback::from(move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() {
                overlay.emit(i)
            } else {
                select.emit(i)
            }
        })
    };
    let onkeydown = {
        let i = props.index;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                select.emit(i);
            }
        })
    };
    let p = &props.port;
    // Distinct counts past the exact bound are the sketch's estimates.
    let estimated = p.totals.sources > portspike_core::sketch::EXACT as u64;
    html! {
        <tr data-testid="port-row" data-port={port_label(p)}
            class={classes!(props.selected.then_some("selected"), props.overlaid.then_some("overlaid"))}
            tabindex="0" aria-selected={props.selected.to_string()} {onclick} {onkeydown}>
            <td>{props.position}</td>
            <td>{port_label(p)}</td>
            <td title={p.service.clone().unwrap_or_default()}>{p.service.clone().unwrap_or_default()}
                if let Some(x) = &p.pattern {
                    <span class="badge rhythm" data-testid="pattern"
                        title={format!("Its ordinary rhythm (pattern), not a finding: {} bursts about every {}, typically {} {} (largest {})",
                            x.bursts, fmt_width(x.period_us.max(0) as u64), x.typical, x.metric, x.largest)}>
                        {format!("busy every {} ({}×)", fmt_width(x.period_us.max(0) as u64), x.bursts)}</span>
                }</td>
            <td>{ p.series.as_ref().map(|s| sparkline(&s.packets)).unwrap_or_default() }</td>
            <td class="num">{format!("{:.1}", p.score)}</td>
            <td class="num">{p.totals.packets}</td>
            <td class="num" title={estimated.then_some("an estimate: distinct sources past the exact bound are counted by a sketch")}>
                {if estimated { format!("≈{}", p.totals.sources) } else { p.totals.sources.to_string() }}</td>
        </tr>
    }
}

/// Everyday names of services whose registered names say otherwise (the
/// port search finds "smb" at 445, "rdp" at 3389).
const SERVICE_ALIASES: &[(&str, &[u16])] = &[
    ("smb", &[445, 139]),
    ("cifs", &[445]),
    ("rdp", &[3389]),
    ("remote desktop", &[3389]),
    ("vnc", &[5900]),
    ("winrm", &[5985, 5986]),
    ("mssql", &[1433, 1434]),
    ("sql server", &[1433, 1434]),
    ("postgres", &[5432]),
    ("dns", &[53]),
    ("dhcp", &[67, 68]),
    ("rpc", &[135]),
    ("nfs", &[2049]),
    ("web", &[80, 443, 8080, 8443]),
];

/// Whether the port search text `f` (lower case) names this port's service,
/// by its registered name or an everyday alias.
fn service_matches(p: &PortReport, f: &str) -> bool {
    p.service.as_deref().is_some_and(|n| n.contains(f))
        || SERVICE_ALIASES
            .iter()
            .any(|(alias, ports)| alias.contains(f) && ports.contains(&p.port))
}
