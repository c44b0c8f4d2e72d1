//! The analysis settings: a draft edited field by field, applied (and the
//! capture analysed again) only when every field is a value.

use crate::protocol;
use portspike_core::params::bounds;
use portspike_core::Key;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub on_apply: Callback<protocol::Settings>,
    pub initial: protocol::Settings,
}

/// A text input bound to one field of the draft settings.
/// A settings field: `set` takes the text into the draft and says whether it
/// was a value at all; one that is not is named until it is corrected.
fn field(
    draft: &UseStateHandle<protocol::Settings>,
    bad: &UseStateHandle<Vec<&'static str>>,
    testid: &'static str,
    label: &'static str,
    value: String,
    set: fn(&mut protocol::Settings, &str) -> bool,
) -> Html {
    let (d, b) = (draft.clone(), bad.clone());
    let oninput = Callback::from(move |e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        let mut s = (*d).clone();
        let ok = set(&mut s, &v);
        d.set(s);
        let mut names: Vec<&'static str> = b.iter().copied().filter(|n| *n != label).collect();
        if !ok {
            names.push(label);
        }
        b.set(names);
    });
    let invalid = bad.contains(&label);
    html! {
        <label>{label}<input data-testid={testid} type="text" {value} {oninput}
            aria-invalid={invalid.to_string()} class={classes!(invalid.then_some("invalid"))} /></label>
    }
}

#[function_component(SettingsPanel)]
pub fn settings_panel(props: &SettingsProps) -> Html {
    let initial = props.initial.clone();
    let draft = use_state(move || initial);
    let d = &draft.detection;
    let on_key = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut s = (*draft).clone();
            s.key = Key::parse(&v).unwrap_or_default();
            draft.set(s);
        })
    };
    let apply = {
        let draft = draft.clone();
        let on = props.on_apply.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on.emit((*draft).clone());
        })
    };
    let error = draft.to_params().err();
    let bad = use_state(Vec::<&'static str>::new);
    html! {
        <details class="settings">
            <summary>{"Settings"}</summary>
            <form onsubmit={apply}>
                <label>{"Timelines keyed by"}
                    <select data-testid="settings-key" onchange={on_key}>
                        <option value={Key::Service.as_str()} selected={draft.key == Key::Service}>{"service port"}</option>
                        <option value={Key::DstPort.as_str()} selected={draft.key == Key::DstPort}>{"destination port"}</option>
                    </select>
                </label>
                { field(&draft, &bad, "bin-width", "Bin width (e.g. 1s, 5m; empty: automatic)", draft.bin.clone(), |s, v| { s.bin = v.to_string(); true }) }
                { field(&draft, &bad, "settings-threshold", "Spike threshold (how many spreads above a port's normal a bin must be)", d.threshold.to_string(),
                    |s, v| bounds::factor(v).map(|x| s.detection.threshold = x).is_ok()) }
                { field(&draft, &bad, "settings-persistence", "Persistence K/N (a finding needs K hot bins in any N)", format!("{}/{}", d.persistence_k, d.persistence_n),
                    |s, v| bounds::persistence(v).map(|(k, n)| {
                        s.detection.persistence_k = k;
                        s.detection.persistence_n = n;
                    }).is_ok()) }
                { field(&draft, &bad, "settings-baseline", "Baseline bins (how much history forms a port's normal)", d.baseline_bins.to_string(),
                    |s, v| bounds::baseline(v).map(|x| s.detection.baseline_bins = x).is_ok()) }
                { field(&draft, &bad, "settings-min-excess", "Minimum excess (events per bin above normal)", d.min_excess.to_string(),
                    |s, v| bounds::excess(v).map(|x| s.detection.min_excess = x).is_ok()) }
                { field(&draft, &bad, "settings-home", "Home networks (CIDR, comma-separated)", d.home.join(", "),
                    |s, v| { s.detection.home = protocol::cidr_list(v); true }) }
                { field(&draft, &bad, "settings-allow", "Known scanners (CIDR, comma-separated)", d.allow.join(", "),
                    |s, v| { s.detection.allow = protocol::cidr_list(v); true }) }
                if !bad.is_empty() {
                    <p class="warning" role="alert" data-testid="settings-invalid">{format!(
                        "Not a valid value: {} — correct it to apply.", bad.join("; "))}</p>
                }
                if let Some(e) = &error { <p class="warning" role="alert">{e}</p> }
                <button class="button" type="submit" data-testid="settings-apply" disabled={error.is_some() || !bad.is_empty()}>{"Apply and analyse again"}</button>
            </form>
        </details>
    }
}
