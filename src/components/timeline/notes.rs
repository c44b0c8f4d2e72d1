//! Notes on the timeline: the capture's own comments and the analyst's,
//! listed under the chart (a click zooms to one), added for the range in
//! view, exported as CSV.

use crate::components::Shared;
use crate::dom::{save, window_text};
use crate::format::notes_csv;
use portspike_core::report::{Annotation, Report};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NotesProps {
    /// The report, whose `annotations` are the capture's comments (source
    /// `capture`); compared by identity, so a render does not copy them.
    pub report: Shared<Report>,
    /// The analyst's notes.
    pub notes: Vec<Annotation>,
    /// The range a new note is for (the view).
    pub range: (i64, i64),
    pub utc: bool,
    pub on_note: Callback<Annotation>,
    /// Take the analyst's note `.0` away.
    pub on_remove: Callback<usize>,
    pub on_view: Callback<Option<(i64, i64)>>,
}

fn item(n: &Annotation, utc: bool, on_view: &Callback<Option<(i64, i64)>>, remove: Html) -> Html {
    let (a, b) = (n.start_ts, n.end_ts);
    let zoom = {
        let on_view = on_view.clone();
        // A point is shown with a minute either side.
        let pad = if b > a { (b - a) / 4 } else { 60_000_000 };
        Callback::from(move |_: MouseEvent| on_view.emit(Some((a - pad, b + pad))))
    };
    html! {
        <li data-testid="annotation" data-t0={a.to_string()} data-t1={b.to_string()} data-source={n.source.clone()}>
            <button class="link" onclick={zoom} title="Show this note's range on the timeline">{window_text(a, b, utc)}</button>
            <span class={classes!("badge", "note-source")}>{&n.source}</span>
            <span class="long" title={n.text.clone()}>{&n.text}</span>
            {remove}
        </li>
    }
}

#[function_component(Notes)]
pub fn notes(props: &NotesProps) -> Html {
    let editing = use_state(|| false);
    let text = use_state(String::new);
    let open = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(true))
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let onsubmit = {
        let (text, editing, on) = (text.clone(), editing.clone(), props.on_note.clone());
        let (start_ts, end_ts) = props.range;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let t = text
                .trim()
                .chars()
                .take(crate::share::MAX_NOTE_TEXT)
                .collect::<String>();
            if !t.is_empty() {
                on.emit(Annotation {
                    start_ts,
                    end_ts,
                    text: t,
                    source: "analyst".into(),
                });
            }
            text.set(String::new());
            editing.set(false);
        })
    };
    let cancel = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(false))
    };
    let capture = &props.report.annotations;
    let any = !capture.is_empty() || !props.notes.is_empty();
    let export = {
        let (report, notes) = (props.report.clone(), props.notes.clone());
        // The list is put together when asked for, not at every render.
        Callback::from(move |_: MouseEvent| {
            let all: Vec<Annotation> = report.annotations.iter().chain(&notes).cloned().collect();
            save("portspike-annotations.csv", "text/csv", &notes_csv(&all))
        })
    };
    let removable = |i: usize| {
        let on = props.on_remove.clone();
        html! { <button class="button secondary small" data-testid="annotation-remove" title="Remove this note"
        onclick={Callback::from(move |_: MouseEvent| on.emit(i))}>{"×"}</button> }
    };
    html! {
        <div class="notes" aria-label="Notes">
            <div class="toolbar">
                <button class="button secondary small" data-testid="annotate" onclick={open}
                    title="Write a note on the range in view (zoom first to mark a moment)">{"Annotate"}</button>
                if any {
                    <button class="button secondary small" data-testid="export-csv-annotations" onclick={export}>{"Notes CSV"}</button>
                }
            </div>
            if *editing {
                <form class="note-form" {onsubmit}>
                    <label>{format!("Note on {}", window_text(props.range.0, props.range.1, props.utc))}
                        <input type="text" data-testid="annotation-text" value={(*text).clone()} {oninput}
                            maxlength={crate::share::MAX_NOTE_TEXT.to_string()} placeholder="what happened here" /></label>
                    <button class="button small" type="submit" data-testid="annotation-save">{"Add note"}</button>
                    <button class="button secondary small" type="button" onclick={cancel}>{"Cancel"}</button>
                </form>
            }
            if any {
                <ol class="note-list">
                    { for capture.iter().map(|n| item(n, props.utc, &props.on_view, html! {})) }
                    { for props.notes.iter().enumerate().map(|(i, n)| item(n, props.utc, &props.on_view, removable(i))) }
                </ol>
            }
        </div>
    }
}
