//! The page's root: it reads the address's fragment, holds the state, starts
//! analyses through the worker client, and wires the panels together.

use crate::components::{
    confirm_view, failure_view, link_expects_view, link_held_view, partial_view, progress_view,
    DiffPanel, DropZone, Findings, Headline, PortTable, ScannerDetail, SettingsPanel, Share,
    Shared, SpikeDetail, Summary, Timeline,
};
use crate::dom::{fetch_target, html_attr, location_hash};
use crate::format::{pcap_name, port_label};
use crate::headline::Pick;
use crate::hooks::client::{
    analyze, analyze_again, ask_baseline, compare, post, use_worker, Client,
};
use crate::hooks::events::{use_escape_key, use_hash_change, use_step_keys, use_window_drop};
use crate::hooks::fine::use_fine_window;
use crate::metric::SeriesMetric;
use crate::protocol::{self, Target, ToWorker};
use crate::share;
use crate::state::{Action, Phase, Source, State};
use portspike_core::report::{Annotation, Report};
use std::rc::Rc;
use web_sys::Blob;
use yew::prelude::*;

/// Mount the app on `<body>`, and register the service worker that keeps the
/// page usable offline after the first visit.
pub fn start() {
    // Only secure contexts (https, localhost) have service workers.
    if let Some(w) = web_sys::window().filter(|w| w.is_secure_context()) {
        let _ = w.navigator().service_worker().register("./sw.js");
    }
    yew::Renderer::<App>::new().render();
}

/// Callbacks from the result panels.
#[derive(Clone, PartialEq)]
pub struct Handlers {
    pub select: Callback<usize>,
    pub overlay: Callback<usize>,
    pub metric: Callback<SeriesMetric>,
    pub spike: Callback<usize>,
    pub view: Callback<Option<(i64, i64)>>,
    pub log: Callback<()>,
    pub utc: Callback<()>,
    /// Save the packets of finding `.0` as a pcap.
    pub save: Callback<usize>,
    /// Show scanner `.0` in detail (`None`: close it).
    pub scanner: Callback<Option<usize>>,
    /// Save the packets of scanner `.0` as a pcap.
    pub save_scanner: Callback<usize>,
    /// Result links with addresses hashed (true) or not.
    pub anonymise: Callback<bool>,
    /// Select a port by its label, in a metric (from the diff).
    pub select_port: Callback<(String, String)>,
    /// Align a baseline by time of day (true) or at its start.
    pub align: Callback<bool>,
    /// Stop comparing.
    pub clear_compare: Callback<()>,
    /// Compare the capture before a moment with what follows.
    pub split: Callback<i64>,
    pub add_note: Callback<Annotation>,
    pub remove_note: Callback<usize>,
    /// A headline sentence chosen: its finding or scanner.
    pub pick: Callback<Pick>,
}

/// A callback that dispatches the action `f` makes of its argument.
fn to<T: 'static>(
    d: &UseReducerDispatcher<State>,
    f: impl Fn(T) -> Action + 'static,
) -> Callback<T> {
    let d = d.clone();
    Callback::from(move |x: T| d.dispatch(f(x)))
}

/// Ask the worker for the packets of `target` from `t0` to `t1`, saved as `name`.
fn extract(
    running: &Client,
    d: &UseReducerDispatcher<State>,
    name: String,
    target: Target,
    t0: i64,
    t1: i64,
) {
    d.dispatch(Action::Saved(Some(format!(
        "Reading the packets for {name}…"
    ))));
    post(
        running,
        ToWorker::Extract {
            name,
            target,
            t0,
            t1,
        },
    );
}

/// The callbacks of the result panels, built once per report: only saving
/// packets reads the report (the dispatcher and the worker client are the
/// same for the page's life), so the panels' props stay equal between
/// renders.
#[hook]
fn use_handlers(state: &UseReducerHandle<State>, running: &Client) -> Rc<Handlers> {
    let (d, running) = (state.dispatcher(), running.clone());
    use_memo(state.report.clone().map(Shared), move |report| {
        handlers(&d, &running, report.as_ref().map(|r| r.0.clone()))
    })
}

fn handlers(
    d: &UseReducerDispatcher<State>,
    running: &Client,
    report: Option<Rc<Report>>,
) -> Handlers {
    let save = {
        let (running, report, d) = (running.clone(), report.clone(), d.clone());
        Callback::from(move |i: usize| {
            if let Some(sp) = report.as_ref().and_then(|r| r.spikes.get(i)) {
                let name = pcap_name(&format!("{}{}", sp.proto, sp.port), sp.start_ts);
                let target = Target::Port {
                    proto: sp.proto.to_string(),
                    port: sp.port,
                    aim: sp.aimed_at.clone().unwrap_or_default(),
                };
                extract(&running, &d, name, target, sp.start_ts, sp.end_ts);
            }
        })
    };
    let save_scanner = {
        let (running, report, d) = (running.clone(), report.clone(), d.clone());
        Callback::from(move |i: usize| {
            if let Some(sc) = report.as_ref().and_then(|r| r.scanners.get(i)) {
                let name = pcap_name(&format!("scanner-{}", sc.source), sc.first_ts);
                let target = Target::Host(sc.source.clone());
                extract(&running, &d, name, target, sc.first_ts, sc.last_ts + 1);
            }
        })
    };
    let anonymise = {
        let running = running.clone();
        Callback::from(move |anonymise: bool| post(&running, ToWorker::Link { anonymise }))
    };
    Handlers {
        select: to(d, Action::Select),
        overlay: to(d, Action::ToggleOverlay),
        metric: to(d, Action::Metric),
        spike: to(d, Action::SelectSpike),
        view: to(d, Action::View),
        log: to(d, |_| Action::ToggleLog),
        utc: to(d, |_| Action::ToggleUtc),
        scanner: to(d, Action::SelectScanner),
        pick: to(d, |t: Pick| match t {
            Pick::Spike(i) => Action::SelectSpike(i),
            Pick::Scanner(i) => Action::SelectScanner(Some(i)),
        }),
        select_port: {
            let d = d.clone();
            Callback::from(move |pick: (String, String)| {
                d.dispatch(Action::SelectPort(pick));
                // The timeline in view, once it shows the port.
                crate::dom::after(0, || {
                    if let Some(el) = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.query_selector(".timeline-panel").ok().flatten())
                    {
                        el.scroll_into_view();
                    }
                });
            })
        },
        split: {
            let (running, d) = (running.clone(), d.clone());
            Callback::from(move |at: i64| {
                running.borrow_mut().clear_baseline();
                d.dispatch(Action::CompareSplit(at));
                post(&running, ToWorker::Split { at });
            })
        },
        add_note: to(d, Action::AddNote),
        remove_note: to(d, Action::RemoveNote),
        align: to(d, Action::CompareAlign),
        clear_compare: {
            let (running, d) = (running.clone(), d.clone());
            Callback::from(move |()| {
                running.borrow_mut().clear_baseline();
                d.dispatch(Action::CompareClear);
            })
        },
        save,
        save_scanner,
        anonymise,
    }
}

/// The comparison a result link carries, if any, on screen (or why not).
fn shared_diff(d: &UseReducerDispatcher<State>, value: Option<&str>) {
    match value.map(share::decode_diff) {
        Some(Ok(diff)) => d.dispatch(Action::LinkedCompare(Box::new(diff))),
        Some(Err(e)) => d.dispatch(Action::CompareFailed(e)),
        None => {}
    }
}

/// The result a result link carries on screen, or why it is refused (a
/// report that fails its checks, or of another capture than the link
/// names); false when refused.
fn shared_result(d: &UseReducerDispatcher<State>, f: &share::Fragment) -> bool {
    match f
        .result
        .as_deref()
        .map(|v| share::decode_shared(v, f.sha256.as_deref()))
    {
        Some(Ok(r)) => d.dispatch(Action::LinkedResult(Box::new(r))),
        Some(Err(e)) => {
            d.dispatch(Action::Failed(e));
            return false;
        }
        None => {}
    }
    true
}

#[function_component(App)]
pub fn app() -> Html {
    // The address's fragment: a view to restore, settings, maybe a result.
    let fragment = use_memo((), |_| share::parse(&location_hash()));
    let state = {
        let f = fragment.clone();
        use_reducer(move || State::new(&f))
    };
    let running = use_worker();
    let d = state.dispatcher();
    use_fragment(&d, &fragment);
    use_step_focus(&d);
    use_page_marks(&state, &running);
    // After "Compare with a baseline…", the next file dropped or chosen is
    // the baseline.
    let armed = use_state(|| false);
    // Files dropped or chosen are analysed with the settings in effect.
    let open = {
        let (running, d) = (running.clone(), d.clone());
        use_callback(
            state.settings.clone(),
            move |files: Vec<(Blob, String)>, settings| {
                analyze(&running, &d, files, None, settings)
            },
        )
    };
    let open_baseline = {
        let (running, d, armed) = (running.clone(), d.clone(), armed.clone());
        use_callback(
            state.settings.clone(),
            move |files: Vec<(Blob, String)>, settings| {
                armed.set(false);
                compare(&running, &d, files, settings)
            },
        )
    };
    let dragging = use_window_drop(if *armed {
        open_baseline.clone()
    } else {
        open.clone()
    });
    use_fine_window(&state, &running);
    let loading = matches!(state.phase, Phase::Loading { .. });
    let on_cancel = use_cancel(&state, &running, &d, loading);
    let on_settings = {
        let (running, d) = (running.clone(), d.clone());
        Callback::from(move |s: protocol::Settings| {
            d.dispatch(Action::Settings(s.clone()));
            analyze_again(&running, &d, &s);
        })
    };
    let on_url_open = {
        let (running, d) = (running.clone(), d.clone());
        let (url, settings) = (state.confirm_url.clone(), state.settings.clone());
        Callback::from(move |_: MouseEvent| {
            // The address as the browser parsed it, the one the prompt showed.
            if let Some(Ok((href, _))) = url.as_deref().map(fetch_target) {
                analyze(&running, &d, Vec::new(), Some(href), &settings);
            }
        })
    };
    let on_url_cancel = to(&d, |_: MouseEvent| Action::ConfirmUrl(None));
    let handlers = use_handlers(&state, &running);
    html! {
        <div class={classes!("app", dragging.then_some("dragging"))}>
            <header class="top">
                <h1>{"portspike"}</h1>
                <p class="tagline">{"Which ports suddenly got busy, when, and from whom. Your capture is analysed in this tab and never uploaded."}</p>
            </header>
            <DropZone folded={state.report.clone().filter(|_| !loading).map(Shared)} {loading}
                armed={*armed} arm={armed.setter()} on_open={open} on_open_baseline={open_baseline}
                dispatch={d.clone()} />
            { confirm_view(&state, on_url_open, on_url_cancel) }
            { link_expects_view(&state) }
            if !state.link_problems.is_empty() {
                <section class="note" data-testid="link-problems" role="status">
                    {crate::format::problems_text(&state.link_problems)}
                </section>
            }
            { link_held_view(&state, to(&d, |_: MouseEvent| Action::LinkHeld(true)), to(&d, |_: MouseEvent| Action::LinkHeld(false))) }
            <SettingsPanel on_apply={on_settings} initial={fragment.settings.clone()} />
            { progress_view(&state, on_cancel.reform(|_: MouseEvent| ())) }
            { failure_view(&state) }
            { partial_view(&state) }
            { result_view(&state, &handlers) }
            <div class="overlay" aria-hidden="true">{"Drop to analyse"}</div>
        </div>
    }
}

/// The address's fragment: a result link's result is shown, no capture
/// needed, and a comparison (in a result or a view link) either way; a link
/// pasted into this tab changes only the fragment, and is followed.
#[hook]
fn use_fragment(d: &UseReducerDispatcher<State>, fragment: &Rc<share::Fragment>) {
    {
        let (d, f) = (d.clone(), fragment.clone());
        use_effect_with((), move |_| {
            if shared_result(&d, &f) {
                shared_diff(&d, f.diff.as_deref());
            }
        });
    }
    let d = d.clone();
    use_hash_change(Callback::from(move |hash: String| {
        let f = share::parse(&hash);
        let diff = f.diff.clone();
        let shown = shared_result(&d, &f);
        d.dispatch(Action::Fragment(Box::new(f)));
        if shown {
            shared_diff(&d, diff.as_deref());
        }
    }));
}

/// Keys: j / k move through the findings and scanners (not while typing),
/// and the focus follows.
#[hook]
fn use_step_focus(d: &UseReducerDispatcher<State>) {
    let d = d.clone();
    use_step_keys(Callback::from(move |step: i32| {
        d.dispatch(Action::StepSpike(step));
        crate::dom::after(0, || {
            focus(".findings tr.selected");
        });
    }));
}

/// The page's state on `<html>` (`data-state`, `data-evidence`,
/// `data-compare-evidence`), the focus once an analysis is done, and the
/// baseline's worker asked about the addresses a comparison names as new.
#[hook]
fn use_page_marks(state: &State, running: &Client) {
    // <html data-state=…>; once an analysis is done, the focus is on the
    // first finding (else the headline), so the keyboard starts there.
    use_effect_with(state.phase.as_str(), |phase| {
        html_attr("data-state", Some(phase));
        if *phase == "done" {
            let _ = focus(".findings > .table-scroll tr[data-testid]")
                || focus("[data-testid=\"headline\"]");
        }
    });
    // <html data-evidence=…>: `exact` once the evidence pass has counted the
    // findings, `estimates` where it could not, `pending` until then.
    // A capture not read at all: nothing to count.
    let evidence = state
        .report
        .as_ref()
        .filter(|r| !r.nothing_read())
        .map(|r| match &r.evidence {
            Some(e) if e.exact => "exact",
            Some(_) => "estimates",
            None => "pending",
        });
    use_effect_with(evidence, |e| html_attr("data-evidence", *e));
    // A comparison's "seen only now" is exact membership: the baseline's
    // worker counts what each address the diff names as new sent there.
    let unasked = match (&state.compare, &state.report) {
        (Some(c), Some(r)) => c.unasked(r),
        _ => Vec::new(),
    };
    // `exact` once the baseline's findings are counted and every new
    // address was looked up in it.
    let base_evidence = state
        .compare
        .as_ref()
        .and_then(|c| c.report.as_ref())
        .map(|r| {
            if r.exact() && unasked.is_empty() {
                "exact"
            } else {
                "pending"
            }
        });
    use_effect_with(base_evidence, |e| html_attr("data-compare-evidence", *e));
    let running = running.clone();
    use_effect_with(unasked, move |u| {
        if !u.is_empty() {
            ask_baseline(&running, u);
        }
    });
}

/// Cancel the read in progress (and a baseline's read), from its button or
/// with Escape while `loading`.
#[hook]
fn use_cancel(
    state: &State,
    running: &Client,
    d: &UseReducerDispatcher<State>,
    loading: bool,
) -> Callback<()> {
    let cancel = {
        let (running, d) = (running.clone(), d.clone());
        let baseline_reading = state.compare.as_ref().is_some_and(|c| c.reading());
        Callback::from(move |()| {
            running.borrow_mut().stop();
            if baseline_reading {
                running.borrow_mut().clear_baseline();
            }
            d.dispatch(Action::Cancel);
        })
    };
    // The listener reads the cancel of the moment.
    let escape = use_mut_ref(|| None::<Callback<()>>);
    *escape.borrow_mut() = loading.then(|| cancel.clone());
    use_escape_key(Callback::from(move |()| {
        let now = escape.borrow().clone();
        if let Some(c) = now {
            c.emit(());
        }
    }));
    cancel
}

/// Focus the first element `selector` finds (true if there was one).
fn focus(selector: &str) -> bool {
    use wasm_bindgen::JsCast;
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| el.focus().is_ok())
}

fn result_view(state: &State, h: &Handlers) -> Html {
    let Some(report) = state.report.clone() else {
        return html! {};
    };
    // Nothing read (not a capture, an empty file): the error is the
    // answer, never "no findings" over packets that were never seen.
    if report.nothing_read() {
        return html! {};
    }
    let view = share::View {
        port: report.ports.get(state.selected).map(port_label),
        metric: Some(state.metric.as_str().to_string()),
        range: state.view,
        url: state.source_url.clone(),
        notes: state.notes.clone(),
    };
    let can_save = state.zoom_limit.is_none();
    html! {
        <>
            <Headline report={report.clone()} utc={state.utc} cut={state.cut.filter(|_| matches!(state.phase, Phase::Cancelled))}
                loading={matches!(state.phase, Phase::Loading { .. })} on_pick={h.pick.clone()} />
            // While the capture is still read, no findings yet is no news:
            // the section waits for the first finding or the end.
            if !matches!(state.phase, Phase::Loading { .. }) || !report.spikes.is_empty() || !report.scanners.is_empty() {
                <div class="findings-wrap">
                    <Findings report={report.clone()} selected={state.spike} scanner={state.scanner} on_spike={h.spike.clone()}
                        on_scanner={h.scanner.clone()} utc={state.utc} partial={state.cut.is_some()} />
                </div>
            }
            if let Some(i) = state.scanner {
                <ScannerDetail report={report.clone()} index={i} on_save={h.save_scanner.clone()}
                    on_close={h.scanner.clone()} saved={state.saved.clone()} {can_save} utc={state.utc} />
            }
            if let Some(i) = state.spike {
                <SpikeDetail report={report.clone()} index={i} on_save={h.save.clone()}
                    saved={state.saved.clone()} {can_save} utc={state.utc} />
            }
            <Summary report={report.clone()} linked={state.linked} cut={state.cut.is_some()} />
            <Share report={report.clone()} settings={state.settings.clone()} linked={state.linked}
                partial={!state.linked && !matches!(state.phase, Phase::Done)}
                link={state.link.clone().map(Shared)} on_anonymise={h.anonymise.clone()} {view}
                diff={state.compare.as_ref().and_then(|c| c.diff.clone()).map(Shared)} />
            if let Some(c) = &state.compare {
                <DiffPanel name={c.name.clone()} diff={c.diff.clone().map(Shared)}
                    failure={c.failure.clone().map(AttrValue::from)}
                    refused={c.refused.clone().map(AttrValue::from)}
                    problems={Some(c.baseline_problems()).filter(|p| !p.is_empty())
                        .map(|p| AttrValue::from(crate::format::problems_list(&p)))}
                    waiting={match c.source {
                        Source::Split(_) => "Reading the capture again to compare the part before this moment with what follows…",
                        _ => "Reading the baseline with the same settings…",
                    }}
                    selected={report.ports.get(state.selected).map(|p| AttrValue::from(port_label(p)))}
                    by_time_of_day={c.by_time_of_day} on_select={h.select_port.clone()}
                    on_align={h.align.clone()} on_clear={h.clear_compare.clone()} />
            }
            <div class="panels">
                <PortTable report={report.clone()} selected={state.selected} overlay={state.overlay.clone()}
                    on_select={h.select.clone()} on_overlay={h.overlay.clone()} />
                <Timeline report={report.clone()} selected={state.selected} overlay={state.overlay.clone()} metric={state.metric}
                    view={state.view} log={state.log} utc={state.utc}
                    fine={state.fine.clone().map(Shared)} zoom_limit={state.zoom_limit.clone()}
                    on_metric={h.metric.clone()} on_view={h.view.clone()}
                    on_log={h.log.clone()} on_utc={h.utc.clone()}
                    baseline={state.compare.as_ref().filter(|c| c.refused.is_none()).and_then(|c| c.report.clone()).map(Shared)}
                    baseline_shift={state.compare.as_ref().map_or(0, |c| c.shift(&report))}
                    notes={state.notes.clone()} on_note={h.add_note.clone()} on_remove_note={h.remove_note.clone()}
                    on_split={(can_save && !state.linked).then(|| h.split.clone())} />
            </div>
            <crate::heatmap::Heatmap report={report} metric={state.metric} view={state.view}
                selected={state.selected} on_select={h.select.clone()} on_view={h.view.clone()}
                notes={state.notes.clone()} />
        </>
    }
}
