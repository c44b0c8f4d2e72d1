//! The status lines above the result: the prompt before fetching a `#url=`,
//! the progress of an analysis, and what went wrong.

use crate::dom::fetch_target;
use crate::format::fmt_bytes;
use crate::state::{Phase, State};
use yew::prelude::*;

/// Ask before fetching a capture named by the page's `#url=`.
pub fn confirm_view(
    state: &State,
    open: Callback<MouseEvent>,
    cancel: Callback<MouseEvent>,
) -> Html {
    let Some(u) = &state.confirm_url else {
        return html! {};
    };
    let (href, host) = match fetch_target(u) {
        Ok(t) => t,
        Err(e) => {
            return html! {
                <section class="confirm" data-testid="url-confirm" role="alert">
                    <p data-testid="url-refused">{format!("This link asks to open a capture at {u:?}; it is not fetched: {e}.")}</p>
                    <button class="button secondary" data-testid="url-cancel" onclick={cancel}>{"Dismiss"}</button>
                </section>
            };
        }
    };
    html! {
        <section class="confirm" data-testid="url-confirm" role="alertdialog" aria-label="Open a capture from a URL">
            <p>{format!("This link asks to open the capture at {href}. Your browser will fetch it from {host} and analyse it in this tab; nothing is uploaded.")}</p>
            <button class="button" data-testid="url-open" onclick={open}>{format!("Fetch from {host}")}</button>
            <button class="button secondary" data-testid="url-cancel" onclick={cancel}>{"Cancel"}</button>
        </section>
    }
}

pub fn progress_view(state: &State, on_cancel: Callback<MouseEvent>) -> Html {
    let Phase::Loading {
        name,
        bytes,
        total,
        packets,
    } = &state.phase
    else {
        return html! {};
    };
    let pct = if *total > 0.0 {
        bytes / total * 100.0
    } else {
        0.0
    };
    html! {
        <section class="progress" data-testid="progress" aria-live="polite">
            <div class="progress-label">
                {format!("Analysing {name}: {} of {} · {} packets", fmt_bytes(*bytes as u64), fmt_bytes(*total as u64), *packets as u64)}
            </div>
            <progress max="100" value={format!("{pct:.1}")} aria-label="analysis progress"></progress>
            <button class="button secondary" data-testid="cancel" onclick={on_cancel}>{"Cancel"}</button>
        </section>
    }
}

/// A read cancelled part-way: how much of the capture the results cover,
/// and that the rest was never read (so never "clean").
pub fn partial_view(state: &State) -> Html {
    let (Some((bytes, total)), Phase::Cancelled) = (state.cut, &state.phase) else {
        return html! {};
    };
    let upto = state
        .report
        .as_ref()
        .and_then(|r| r.capture.last_ts)
        .map(|t| format!(", up to {}", crate::dom::iso(t)))
        .unwrap_or_default();
    html! {
        <section class="partial" data-testid="partial" role="status">
            <p>{format!("Partial: {} of {} read{upto}. Cancelled: what follows covers only that part, with its numbers as first estimates; the rest of the capture was never read.",
                fmt_bytes(bytes as u64), fmt_bytes(total as u64))}</p>
        </section>
    }
}

pub fn failure_view(state: &State) -> Html {
    let capture_error = state
        .report
        .as_ref()
        .and_then(|r| r.capture.error.clone())
        .map(|e| {
            let at = e
                .offset
                .map(|o| format!(" (at byte offset {o})"))
                .unwrap_or_default();
            format!("{}{at}", e.message)
        });
    let msg = state.failure.clone().or(capture_error);
    let cancelled = state.phase == Phase::Cancelled;
    match (msg, cancelled) {
        (Some(m), _) => {
            let partial = state
                .report
                .as_ref()
                .filter(|r| r.capture.packets > 0)
                .map(|r| {
                    if r.capture.files.len() > 1 {
                        format!(
                            " Everything before that point, and the other files, was analysed: {} packets in all.",
                            r.capture.packets
                        )
                    } else {
                        format!(
                            " Everything before that point was analysed: {} packets.",
                            r.capture.packets
                        )
                    }
                })
                .unwrap_or_default();
            html! { <section class="error" data-testid="error" role="alert">{format!("{m}.{partial}")}</section> }
        }
        (None, true) => html! { <section class="note">{"Analysis cancelled."}</section> },
        _ => html! {},
    }
}

/// A view link's notes and comparison were made for another capture than
/// the one on screen: held back, with a button to attach them anyway.
pub fn link_held_view(
    state: &State,
    apply: Callback<MouseEvent>,
    dismiss: Callback<MouseEvent>,
) -> Html {
    let Some(h) = state.held.as_ref().filter(|h| h.differs) else {
        return html! {};
    };
    if h.notes.is_empty() && h.diff.is_none() {
        return html! {};
    }
    let what = match (h.notes.len(), h.diff.is_some()) {
        (0, _) => "comparison was".to_string(),
        (1, false) => "note was".to_string(),
        (n, false) => format!("{n} notes were"),
        (1, true) => "note and comparison were".to_string(),
        (n, true) => format!("{n} notes and comparison were"),
    };
    let short = |s: &str| -> String {
        let head: String = s.chars().take(16).collect();
        if head.len() < s.len() {
            format!("{head}…")
        } else {
            head
        }
    };
    let theirs = match h.name() {
        Some(n) => format!("{n}, SHA-256 {}", short(&h.sha256)),
        None => format!("SHA-256 {}", short(&h.sha256)),
    };
    let ours = match &h.capture_sha256 {
        Some(s) => format!("this capture (SHA-256 {}) is another", short(s)),
        None => "this capture has no SHA-256 to check it against".to_string(),
    };
    let settings = if h.settings.is_empty() {
        String::new()
    } else {
        format!(
            " The link's analysis settings ({}) apply to any capture: they are in effect.",
            h.settings.join(", ")
        )
    };
    html! {
        <section class="note" data-testid="view-link-mismatch" role="status">
            <p>{format!("This link's {what} made for the capture {theirs}; {ours}, so they were not attached.{settings}")}</p>
            <button class="button secondary small" data-testid="link-apply-anyway" onclick={apply}>{"Attach them anyway"}</button>
            <button class="button secondary small" data-testid="link-dismiss" onclick={dismiss}>{"Dismiss"}</button>
        </section>
    }
}

/// A view link opened before any capture: what it holds (port, window,
/// metric, notes, comparison) and which capture it was made for.
pub fn link_expects_view(state: &State) -> Html {
    if state.report.is_some() {
        return html! {};
    }
    let (held, view) = (state.held.as_ref(), state.pending.as_ref());
    if held.is_none() && view.is_none() {
        return html! {};
    }
    let mut holds: Vec<String> = Vec::new();
    if let Some(v) = view {
        if let Some(p) = &v.port {
            holds.push(format!("port {p}"));
        }
        if let Some((a, b)) = v.range {
            holds.push(format!(
                "the window {} to {}",
                crate::dom::iso(a),
                crate::dom::iso(b)
            ));
        }
        if let Some(m) = &v.metric {
            holds.push(format!("the timeline in {m}"));
        }
    }
    let notes = held.map_or(0, |h| h.notes.len()) + view.map_or(0, |v| v.notes.len());
    match notes {
        0 => {}
        1 => holds.push("1 note".into()),
        n => holds.push(format!("{n} notes")),
    }
    if held.is_some_and(|h| h.diff.is_some()) {
        holds.push("a comparison with a baseline".into());
    }
    let what = match holds.as_slice() {
        [] => "its analysis settings".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let needs = match held {
        Some(h) => {
            let name = h
                .name()
                .map(|n| html! { <><strong data-field="name">{n}</strong>{" "}</> })
                .unwrap_or_default();
            html! { <>{"It was made for the capture "}{name}{"with SHA-256 "}
            <code class="sha" data-field="sha256">{h.sha256.clone()}</code>
            {": drop that capture (or choose it) to see it; another capture gets the view, and its notes and comparison only if you say so."}</> }
        }
        None => {
            html! { {"It names no capture: drop one (or choose it) and the view is applied to it."} }
        }
    };
    html! {
        <section class="note link-expects" data-testid="view-link-expects" role="status">
            <p>{format!("This link holds a view: {what}. ")}{needs}</p>
        </section>
    }
}
