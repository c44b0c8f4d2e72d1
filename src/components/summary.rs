//! The capture at a glance: files, SHA-256, format, counts, span, link
//! types, bin width, and the reader's warnings.

use super::{CopyButton, Shared};
use crate::dom::iso;
use crate::format::{fmt_bytes, fmt_width};
use portspike_core::report::Report;
use portspike_core::Key;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub report: Shared<Report>,
    /// From a result link: no capture here to hash.
    pub linked: bool,
    /// The read was cancelled part-way: no hash will come.
    #[prop_or_default]
    pub cut: bool,
}

#[function_component(Summary)]
pub fn summary(props: &SummaryProps) -> Html {
    let c = &props.report.capture;
    let files: Vec<String> = c.files.iter().map(|f| f.name.clone()).collect();
    let hashes = if props
        .report
        .capture
        .files
        .iter()
        .all(|f| f.sha256.is_some())
    {
        c.files
            .iter()
            .filter_map(|f| f.sha256.clone())
            .collect::<Vec<_>>()
            .join(", ")
    } else if props.linked {
        "–".to_string()
    } else if props.cut {
        "not computed (the read was cancelled)".to_string()
    } else {
        "computing…".to_string()
    };
    let duration = match (c.first_ts, c.last_ts) {
        (Some(a), Some(b)) => format!("{:.3} s", (b - a) as f64 / 1e6),
        _ => "–".into(),
    };
    let links: Vec<String> = c
        .link_types
        .iter()
        .map(|l| format!("{} ×{}", l.name, l.packets))
        .collect();
    html! {
        <section class="summary" data-testid="summary" aria-label="Capture summary">
            <dl>
                <div><dt>{"File"}</dt><dd class="long" title={files.join(", ")}>{files.join(", ")}</dd></div>
                <div><dt>{"SHA-256"}
                        if hashes.len() == 64 { <CopyButton text={hashes.clone()} label="Copy" /> }</dt>
                    <dd class="hash" data-field="sha256" title={hashes.clone()}>{hashes.clone()}</dd></div>
                <div><dt>{"Format"}</dt><dd>{format!("{}{}", c.format.clone().unwrap_or_else(|| "unknown".into()), c.compression.as_ref().map(|z| format!(" ({z})")).unwrap_or_default())}</dd></div>
                <div><dt>{"Packets"}</dt><dd data-field="packets">{c.packets}</dd></div>
                <div><dt>{"Bytes on the wire"}</dt><dd>{fmt_bytes(c.wire_bytes)}</dd></div>
                if let Some(n) = c.no_row {
                    <div title="In no row: every IP packet counts in a row (a TCP or UDP port, an ICMP type, an IP protocol, later fragments); these frames carry no IP (ARP, LLDP…) or could not be decoded">
                        <dt>{"Not IP or not readable"}</dt><dd data-field="no-row" data-packets={n.packets.to_string()}>{format!("{} packets ({})", n.packets, fmt_bytes(n.bytes))}</dd></div>
                }
                <div><dt>{"Duration"}</dt><dd>{duration}</dd></div>
                <div><dt>{"First packet"}</dt><dd>{c.first_ts.map(iso).unwrap_or_default()}</dd></div>
                <div><dt>{"Last packet"}</dt><dd>{c.last_ts.map(iso).unwrap_or_default()}</dd></div>
                <div title="Link types"><dt>{"Network layers"}</dt><dd>{links.join(", ")}</dd></div>
                <div title="Bin width: the timelines count in steps of this width"><dt>{"Time step"}</dt><dd data-field="bin-width">{fmt_width(props.report.bin_width_us)}</dd></div>
                <div title="Timelines keyed by: a connection's packets count on its service port, or on the port each packet is sent to"><dt>{"Ports counted by"}</dt><dd>{if props.report.params.key == Key::Service { "service port" } else { "destination port" }}</dd></div>
            </dl>
            // A warning in plain words where the engine's says how it works
            // inside (the engine's own words are the hover text).
            { for c.warnings.iter().map(|w| html!{ <p class="warning" title={w.message.clone()}>{w.code.plain().unwrap_or(&w.message)}</p> }) }
        </section>
    }
}
