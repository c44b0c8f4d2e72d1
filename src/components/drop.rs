//! Where a capture is opened: the drop zone with its buttons, folded into
//! one line naming the capture on screen once there is an answer.

use super::Shared;
use crate::dom::{fetch_blob, file_list};
use crate::state::{Action, State};
use portspike_core::report::Report;
use web_sys::{Blob, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DropProps {
    /// The capture on screen, once there is an answer and no read is in
    /// progress: the zone folds into one line naming it.
    pub folded: Option<Shared<Report>>,
    /// A read is in progress.
    pub loading: bool,
    /// The next file dropped or chosen is the baseline.
    pub armed: bool,
    /// Set `armed`.
    pub arm: UseStateSetter<bool>,
    /// Analyse the files chosen.
    pub on_open: Callback<Vec<(Blob, String)>>,
    /// Compare the files chosen with the capture.
    pub on_open_baseline: Callback<Vec<(Blob, String)>>,
    pub dispatch: UseReducerDispatcher<State>,
}

const ACCEPT: &str = ".pcap,.pcapng,.cap,.dmp,.gz,.zst,.pcap.gz,.pcapng.gz,.pcap.zst,.pcapng.zst,application/vnd.tcpdump.pcap";

/// The drop zone: choose a file, try the sample, or compare with a baseline.
#[function_component(DropZone)]
pub fn drop_zone(props: &DropProps) -> Html {
    let compare_input = use_node_ref();
    let folded = props.folded.is_some();
    let on_compare = {
        let (arm, input) = (props.arm.clone(), compare_input.clone());
        Callback::from(move |_: MouseEvent| {
            arm.set(true);
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    html! {
        <section class={classes!("drop", folded.then_some("folded"))} data-testid="drop-zone" aria-label="Open a capture">
            { props.folded.as_ref().map_or_else(|| html! {
                <p class="drop-hint">{"Drop a pcap or pcapng file (or a rotated set, gzip or zstd compressed) anywhere on this page, or"}</p>
            }, |r| file_line(r)) }
            <label class="button" tabindex="0" role="button" onkeydown={Callback::from(choose_key)}>
                { if folded { "Open another capture…" } else { "Choose a file…" } }
                <input data-testid="file-input" type="file" multiple=true tabindex="-1" accept={ACCEPT} onchange={chosen(props.on_open.clone())} />
            </label>
            <button class="button secondary" data-testid="sample-button" onclick={sample(&props.dispatch, &props.on_open)} disabled={props.loading}>
                { if folded { "Sample" } else { "Try the sample capture (SMB worm sweep)" } }
            </button>
            <button class="button secondary" data-testid="compare-button" onclick={on_compare}
                title="Another capture (say, a normal day) to compare this one with: what is new, what grew, what shrank">
                { if folded { "Compare…" } else { "Compare with a baseline…" } }</button>
            <input data-testid="compare-input" type="file" multiple=true class="hidden-input" ref={compare_input}
                tabindex="-1" aria-label="baseline capture" onchange={chosen(props.on_open_baseline.clone())} />
            if props.armed {
                <p class="note" data-testid="compare-armed" role="status">{"Drop the baseline capture (or choose it): it is analysed with the same settings and compared with the capture."}</p>
            }
        </section>
    }
}

/// The folded zone's line: the capture's files, packets and span.
fn file_line(r: &Report) -> Html {
    let c = &r.capture;
    let names: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
    let span = match (c.first_ts, c.last_ts) {
        (Some(a), Some(b)) => format!(" over {}", crate::headline::span_words(b - a)),
        _ => String::new(),
    };
    let text = format!(
        "{} · {} packets{span}",
        names.join(", "),
        crate::headline::grouped(c.packets)
    );
    html! { <span class="file-line" data-testid="file-line" title={text.clone()}>{text}</span> }
}

/// A key on the "Choose a file…" label. The label is the Tab stop (its input
/// is hidden): Enter and Space open the file chooser, as on a button.
fn choose_key(e: KeyboardEvent) {
    if e.key() == "Enter" || e.key() == " " {
        e.prevent_default();
        let input = e.target().and_then(|t| {
            use wasm_bindgen::JsCast;
            t.dyn_into::<web_sys::Element>()
                .ok()?
                .query_selector("input")
                .ok()??
                .dyn_into::<HtmlInputElement>()
                .ok()
        });
        if let Some(i) = input {
            i.click();
        }
    }
}

/// "Try the sample capture": fetch it, then open it as a file dropped.
fn sample(
    d: &UseReducerDispatcher<State>,
    open: &Callback<Vec<(Blob, String)>>,
) -> Callback<MouseEvent> {
    let (d, open) = (d.clone(), open.clone());
    Callback::from(move |_: MouseEvent| {
        let (d, open) = (d.clone(), open.clone());
        d.dispatch(Action::Start("sample.pcap".into()));
        wasm_bindgen_futures::spawn_local(async move {
            match fetch_blob("./static/sample.pcap").await {
                Ok(blob) => open.emit(vec![(blob, "sample.pcap".into())]),
                Err(e) => d.dispatch(Action::Failed(format!(
                    "could not load the sample capture: {e}"
                ))),
            }
        });
    })
}

/// A file input's `change`: the files chosen go to `open`, and the input is
/// cleared so choosing the same file again is a change too.
fn chosen(open: Callback<Vec<(Blob, String)>>) -> Callback<Event> {
    Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let files = input.files().map(file_list).unwrap_or_default();
        if !files.is_empty() {
            open.emit(files);
        }
        input.set_value("");
    })
}
