//! What changed from a baseline capture to this one: ports new, gone, grown
//! or shrunk (rates per minute), and the sources, scanners and findings seen
//! only now. A row opens the port's timeline with the baseline beneath.

use super::Shared;
use crate::dom::save;
use portspike_core::diff::{Diff, PortChange};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiffProps {
    /// The baseline's name.
    pub name: AttrValue,
    /// The changes, once both captures are read.
    pub diff: Option<Shared<Diff>>,
    /// Why the baseline could not be read.
    pub failure: Option<AttrValue>,
    /// Why the baseline is not compared with (not read whole): no diff.
    #[prop_or_default]
    pub refused: Option<AttrValue>,
    /// The baseline's problems that do not stop the comparison, as text.
    #[prop_or_default]
    pub problems: Option<AttrValue>,
    /// What is being done while the diff is not there yet.
    pub waiting: AttrValue,
    /// The port on the timeline (`tcp/445`).
    pub selected: Option<AttrValue>,
    pub by_time_of_day: bool,
    /// A row chosen: its port (`tcp/445`) and the metric that changed.
    pub on_select: Callback<(String, String)>,
    pub on_align: Callback<bool>,
    pub on_clear: Callback<()>,
}

/// Changed ports listed before the rest are folded away.
const SHOWN: usize = 50;

/// `1 port`, `3 ports`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `×12.5` for growth, `÷4` for a fall.
fn factor(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("×{ratio:.1}")
    } else {
        format!("÷{:.1}", 1.0 / ratio.max(1e-9))
    }
}

fn row(p: &PortChange, selected: bool, on_select: &Callback<(String, String)>) -> Html {
    let label = p.key().to_string();
    let onclick = {
        let (on, pick) = (on_select.clone(), (label.clone(), p.metric.to_string()));
        Callback::from(move |_: MouseEvent| on.emit(pick.clone()))
    };
    let onkeydown = {
        let (on, pick) = (on_select.clone(), (label.clone(), p.metric.to_string()));
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on.emit(pick.clone());
            }
        })
    };
    let (b, i) = (
        p.metric.of(&p.baseline.per_minute),
        p.metric.of(&p.incident.per_minute),
    );
    html! {
        <tr data-testid="diff-row" data-port={label.clone()} data-change={p.change.as_str()} data-metric={p.metric.as_str()}
            class={classes!(selected.then_some("selected"))} tabindex="0" {onclick} {onkeydown}>
            <td data-label="Change"><span class={classes!("badge", format!("change-{}", p.change))}>{p.change.as_str()}</span></td>
            <td data-label="Port"><strong>{label}</strong>{p.service.as_ref().map(|s| format!(" {s}")).unwrap_or_default()}</td>
            <td data-label="What changed" class="num" title="The rate that moved most, incident ÷ baseline (one event a minute added to both)">
                {format!("{} {}", p.metric, factor(p.ratio))}</td>
            <td data-label="Baseline" class="num">{format!("{b:.1}/min")}</td>
            <td data-label="Now" class="num">{format!("{i:.1}/min")}</td>
        </tr>
    }
}

#[function_component(DiffPanel)]
pub fn diff_panel(props: &DiffProps) -> Html {
    let all = use_state(|| false);
    let on_align = {
        let (on, tod) = (props.on_align.clone(), props.by_time_of_day);
        Callback::from(move |_: Event| on.emit(!tod))
    };
    let on_clear = {
        let on = props.on_clear.clone();
        Callback::from(move |_: MouseEvent| on.emit(()))
    };
    let head = html! {
        <h2>{format!("Compared with {}", props.name)}
            if let Some(d) = props.diff.clone() {
                <button class="button secondary small" data-testid="export-diff-json" onclick={
                    let d = d.clone();
                    Callback::from(move |_: MouseEvent| {
                        let json = serde_json::to_string_pretty(&*d).unwrap_or_default() + "\n";
                        save("portspike-diff.json", "application/json", &json)
                    })
                }>{"Diff JSON"}</button>
                <button class="button secondary small" data-testid="export-diff-csv" onclick={
                    Callback::from(move |_: MouseEvent| {
                        save("portspike-diff.csv", "text/csv", &portspike_core::diff::csv(&d))
                    })
                }>{"Diff CSV"}</button>
            }
            <button class="button secondary small" data-testid="compare-clear" onclick={on_clear}>{"Stop comparing"}</button>
        </h2>
    };
    if let Some(why) = &props.refused {
        return html! {
            <section class="diff" data-testid="diff" aria-label="Compared with a baseline">{head}
                <p class="error" role="alert" data-testid="compare-refused">{format!(
                    "Not compared with {}: {why}.", props.name)}</p>
            </section>
        };
    }
    let problems = props.problems.as_ref().map(|p| html! {
        <p class="note" role="status" data-testid="compare-baseline-problems">{format!(
            "The baseline {} has problems; the comparison is only as good as it is: {p}.", props.name)}</p>
    });
    let Some(d) = &props.diff else {
        let status = match &props.failure {
            Some(e) => {
                html! { <p class="error" role="alert">{format!("The comparison could not be made: {e}.")}</p> }
            }
            None => {
                html! { <p class="note" role="status" data-testid="diff-waiting">{props.waiting.clone()}</p> }
            }
        };
        return html! { <section class="diff" data-testid="diff" aria-label="Compared with a baseline">{head}{status}</section> };
    };
    let shown = if *all {
        d.ports.len()
    } else {
        SHOWN.min(d.ports.len())
    };
    let more = {
        let all = all.clone();
        Callback::from(move |_: MouseEvent| all.set(true))
    };
    let selected = props.selected.as_deref();
    html! {
        <section class="diff" data-testid="diff" aria-label="Compared with a baseline">
            {head}
            {problems}
            <p class="note">{format!(
                "{} changed by {}× or more in rate per minute; seen only now: {}, {}, {}.",
                count(d.ports.len(), "port", "ports"), portspike_core::diff::CHANGE_FACTOR,
                count(d.new_sources.len(), "source", "sources"), count(d.new_scanners.len(), "scanner", "scanners"),
                count(d.new_findings.len(), "finding", "findings"))}
                <label class="inline"><input type="checkbox" data-testid="diff-align" checked={props.by_time_of_day} onchange={on_align} />
                    {" align the timelines by time of day (else at their starts)"}</label></p>
            if d.ports.is_empty() {
                <p class="note" data-testid="diff-none">{"No port changed."}</p>
            } else {
                <div class="table-scroll"><table class="cards">
                    <thead><tr><th>{"Change"}</th><th>{"Port"}</th><th class="num">{"What changed"}</th>
                        <th class="num">{"Baseline"}</th><th class="num">{"Now"}</th></tr></thead>
                    <tbody>{ for d.ports.iter().take(shown).map(|p| {
                        let label = p.key().to_string();
                        row(p, selected == Some(label.as_str()), &props.on_select)
                    }) }</tbody>
                </table></div>
                if shown < d.ports.len() {
                    <button class="button secondary small" data-testid="diff-more" onclick={more}>
                        {format!("Show all {} changed ports", d.ports.len())}</button>
                }
            }
            if !d.new_scanners.is_empty() {
                <h3>{format!("Scanners seen only now ({})", d.new_scanners.len())}</h3>
                <ul class="long">{ for d.new_scanners.iter().map(|s| html! {
                    <li data-testid="diff-scanner">{format!("{} ({} scan, {} targets, {} ports)", s.source, s.kind, s.targets, s.ports)}</li>
                }) }</ul>
            }
            if !d.new_findings.is_empty() {
                <h3>{format!("Findings seen only now ({})", d.new_findings.len())}</h3>
                <ul>{ for d.new_findings.iter().map(|f| html! {
                    <li data-testid="diff-finding">{format!("{} on {}", f.kind, f.key())}</li>
                }) }</ul>
            }
            if !d.new_sources.is_empty() {
                <h3>{format!("Sources seen only now ({})", d.new_sources.len())}</h3>
                <p class="long">{d.new_sources.iter().take(50).cloned().collect::<Vec<_>>().join(", ")}</p>
            }
        </section>
    }
}
