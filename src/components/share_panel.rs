//! Links: to this view (the capture dropped again), and with the result
//! itself packed in (no capture needed), addresses hashed on request.

use super::Shared;
use crate::dom::{copy_text, next_task, page_base};
use crate::protocol::{self, Packed};
use crate::share;
use portspike_core::diff::Diff;
use portspike_core::report::Report;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub report: Shared<Report>,
    /// A preview while the analysis runs: no result link yet.
    pub partial: bool,
    /// The result link packed by the worker.
    pub link: Option<Shared<Packed>>,
    /// Ask the worker for the link with addresses hashed (or not).
    pub on_anonymise: Callback<bool>,
    pub settings: protocol::Settings,
    pub view: share::View,
    /// A comparison to carry in the result link.
    #[prop_or_default]
    pub diff: Option<Shared<Diff>>,
    pub linked: bool,
}

/// Links to this view, and to the result itself.
#[function_component(Share)]
pub fn share_panel(props: &ShareProps) -> Html {
    let anonymise = use_state(|| false);
    let base = page_base();
    // The comparison packed once per diff (both links carry it).
    let diff = use_memo(props.diff.clone(), |d| {
        d.as_ref().and_then(|d| share::encode_diff(d))
    });
    let diff: Option<String> = (*diff).clone();
    // Its notes and comparison name the capture they were made for.
    let view_link = format!(
        "{base}#{}",
        share::view_link_fragment(
            &props.view,
            &props.settings,
            props.report.sha256(),
            diff.as_deref()
        )
    );
    let result = use_packed(props, *anonymise);
    let sha = props.report.sha256().unwrap_or_default().to_string();
    let result_link = result
        .as_ref()
        .map(|packed| result_link(props, &base, packed, diff.as_deref()));
    let toggle = {
        let anonymise = anonymise.clone();
        Callback::from(move |_: Event| anonymise.set(!*anonymise))
    };
    // A click copies the link (and says so) rather than leaving the page.
    let copied = use_state(|| None::<&'static str>);
    let copy_view = copy(&copied, "the link to this view", view_link.clone());
    let copy_result = result_link
        .as_ref()
        .map(|(link, _)| copy(&copied, "the link with the result", link.clone()));
    html! {
        <section class="share" aria-label="Share">
            if props.linked {
                <p class="note" data-testid="shared-note">{format!(
                    "A shared result (portspike {}, capture SHA-256 {}): the capture itself is not loaded; drop it to analyse it here.",
                    props.report.generator.version, if sha.is_empty() { "unknown" } else { &sha })}</p>
            }
            <a data-testid="share-link" href={view_link} onclick={copy_view}
                title="Copies a link that opens this view again (the capture must be dropped again)">{"Copy link to this view"}</a>
            if let (Some((link, what)), Some(onclick)) = (result_link, copy_result) {
                <a data-testid="share-result" href={link.clone()} {onclick}
                    title="Copies a link that carries the result itself: whoever opens it sees this analysis without the capture">{format!(
                    "Copy link with the result ({} kB{what})", link.len() / 1000)}</a>
            } else {
                <span class="muted" data-testid="share-result-pending">{
                    if props.partial { "Link with the result: once the analysis is done" } else { "Link with the result: once the capture is hashed…" }
                }</span>
            }
            <label><input type="checkbox" data-testid="share-anonymise" checked={*anonymise} onchange={toggle} />
                {" hash addresses in the result link"}</label>
            if let Some(what) = *copied {
                <span class="saved" role="status" data-testid="share-copied">{format!("Copied {what} ✓")}</span>
            }
        </section>
    }
}

/// The result packed for a link, once there is one with addresses hashed as
/// asked (`anonymise`): its packed value, the ports with a timeline it
/// keeps, the ports it lists, and the capture's SHA-256.
#[hook]
fn use_packed(props: &ShareProps, anonymise: bool) -> Option<(String, usize, usize, String)> {
    // The result link: the worker packs the report (deflate of the JSON) and
    // sends it after the report; a shared result (no worker) is packed here,
    // in a task of its own after the result is on screen.
    let key = (Rc::as_ptr(&props.report.0) as usize, anonymise);
    let built = use_state(|| None::<((usize, bool), share::Packed)>);
    {
        let report = props.report.clone();
        let built = built.clone();
        let local = props.linked;
        use_effect_with(key, move |key| {
            let key = *key;
            if local {
                wasm_bindgen_futures::spawn_local(async move {
                    next_task().await;
                    let salt = key.1.then(|| js_sys::Math::random().to_bits());
                    built.set(Some((key, share::encode_result(&report, salt))));
                });
            }
        });
    }
    {
        // The worker's link is of the other kind: ask for this one.
        let on = props.on_anonymise.clone();
        let have = props.link.as_ref().map(|l| l.anonymised);
        use_effect_with((anonymise, have), move |(want, have)| {
            if have.is_some_and(|h| h != *want) {
                on.emit(*want);
            }
        });
    }
    // The link names the SHA-256 its packed report holds (the worker's link
    // may still be the one built before the capture was hashed).
    if props.linked {
        let sha = props.report.sha256().unwrap_or_default().to_string();
        built
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| (p.value.clone(), p.series, p.ports, sha))
    } else {
        props
            .link
            .as_ref()
            // Offered once complete: with the capture's SHA-256 (a capture
            // that could not be read to its end gets none).
            .filter(|l| {
                l.anonymised == anonymise
                    && !props.partial
                    && (!l.sha256.is_empty() || props.report.capture.error.is_some())
            })
            .map(|l| (l.value.clone(), l.kept, l.ports, l.sha256.clone()))
    }
}

/// The link with the result `packed` (see [`use_packed`]) and what it leaves
/// out, in words.
fn result_link(
    props: &ShareProps,
    base: &str,
    (value, kept, ports, sha): &(String, usize, usize, String),
    diff: Option<&str>,
) -> (String, String) {
    let total = props
        .report
        .ports
        .iter()
        .filter(|p| p.series.is_some())
        .count();
    let listed = props.report.ports.len();
    let link = format!(
        "{base}#{}",
        share::result_fragment(
            &props.view,
            &props.settings,
            &props.report.generator.version,
            sha,
            value,
            diff,
        ),
    );
    let what = if *ports < listed {
        format!("; the top {ports} of {listed} ports, without timelines")
    } else if *kept < total {
        format!("; timelines of the top {kept} of {total} ports")
    } else {
        String::new()
    };
    (link, what)
}

/// A click on a link copies `link` and says so in `copied` (as `what`);
/// a click that opens a new tab or window does what it asks.
fn copy(
    copied: &UseStateHandle<Option<&'static str>>,
    what: &'static str,
    link: String,
) -> Callback<MouseEvent> {
    let copied = copied.clone();
    Callback::from(move |e: MouseEvent| {
        if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
            return; // a new tab or window, as the user asked
        }
        e.prevent_default();
        if copy_text(&link) {
            copied.set(Some(what));
        }
    })
}
