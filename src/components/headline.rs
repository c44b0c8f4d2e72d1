//! The headline above the findings: one plain sentence per incident
//! (see [`crate::headline`]), each a button opening its first finding.

use super::Shared;
use crate::dom::window_text;
use crate::format::fmt_bytes;
use crate::headline::{quiet, sentences, Pick, SHOWN};
use portspike_core::report::Report;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeadlineProps {
    pub report: Shared<Report>,
    pub utc: bool,
    /// A read cancelled part-way: bytes read of the total.
    #[prop_or_default]
    pub cut: Option<(f64, f64)>,
    /// The capture is still being read.
    #[prop_or_default]
    pub loading: bool,
    pub on_pick: Callback<Pick>,
}

#[function_component(Headline)]
pub fn headline(props: &HeadlineProps) -> Html {
    let r = &props.report;
    let utc = props.utc;
    let all = sentences(r, &|a, b| window_text(a, b, utc));
    if all.is_empty() && props.loading {
        return html! {};
    }
    let lead = match (props.cut, props.loading) {
        (Some((bytes, total)), _) => Some(format!(
            "Only the part read before the read was cancelled ({} of {}) is covered:",
            fmt_bytes(bytes as u64),
            fmt_bytes(total as u64)
        )),
        (None, true) => Some("So far (the capture is still being read):".to_string()),
        _ => None,
    };
    let more = all.len().saturating_sub(SHOWN);
    let items = all.iter().take(SHOWN).map(|s| {
        let (on, target) = (props.on_pick.clone(), s.target);
        let onclick = Callback::from(move |_: MouseEvent| on.emit(target));
        let (spike, scanner) = match s.target {
            Pick::Spike(i) => (Some(i.to_string()), None),
            Pick::Scanner(i) => (None, Some(i.to_string())),
        };
        html! {
            <li><button class="headline-item" data-testid="headline-item" data-spike={spike}
                data-scanner={scanner} {onclick} title="Show it on the timeline">{&s.text}</button></li>
        }
    });
    html! {
        <section class="headline" data-testid="headline" aria-label="In short" tabindex="-1">
            if let Some(l) = lead { <p class="headline-lead" data-testid="headline-partial">{l}</p> }
            if all.is_empty() {
                <p class="headline-quiet">{quiet(r, props.cut.is_some())}</p>
            } else {
                <ol>{ for items }</ol>
                if more > 0 {
                    <p class="headline-more">{format!("…and {more} more below.")}</p>
                }
            }
        </section>
    }
}
