//! The findings: attacks first (sweeps, floods, backscatter), then the
//! scanners, then ordinary surges (folded away when there are many).

use super::Shared;
use crate::dom::{save, window_text, zone_at};
use crate::format::fmt_count;
use portspike_core::report::{Probe, Report, ScanKind, ScanMethod, SpikeReport};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub report: Shared<Report>,
    pub selected: Option<usize>,
    /// The scanner shown in detail.
    #[prop_or_default]
    pub scanner: Option<usize>,
    pub on_spike: Callback<usize>,
    /// Show scanner `.0` in detail (a click on its row, or Enter or Space).
    pub on_scanner: Callback<Option<usize>>,
    /// Times in UTC (else the browser's zone).
    pub utc: bool,
    /// Only part of the capture was read (a cancelled read).
    #[prop_or_default]
    pub partial: bool,
}

/// Surges listed as they are; more are folded behind their count.
const SURGES_SHOWN: usize = 3;

#[function_component(Findings)]
pub fn findings(props: &FindingsProps) -> Html {
    let r = &props.report;
    let order = r.finding_order();
    let (attacks, surges): (Vec<usize>, Vec<usize>) = order
        .iter()
        .partition(|i| r.spikes.get(**i).is_some_and(|s| s.is_attack()));
    let rows = |v: &[usize]| spike_rows(props, v);
    // A few surges are shown as they are; more are folded away behind their count.
    let fold = surges.len() > SURGES_SHOWN;
    let surge_open = props.selected.is_some_and(|s| surges.contains(&s));
    let scanners = (0..r.scanners.len()).map(|k| {
        html! {
            <ScannerRow report={props.report.clone()} index={k} selected={props.scanner == Some(k)}
                utc={props.utc} on_open={props.on_scanner.clone()} />
        }
    });
    html! {
        <section class="findings" data-testid="findings" aria-label="Findings">
            { heading(&props.report) }
            if r.spikes.is_empty() && r.scanners.is_empty() {
                <p class="note" data-testid="no-findings">{ if props.partial {
                    "No port spikes and no scanners in the part read; the rest of the capture was never read."
                } else {
                    "No port spikes and no scanners in this capture."
                } }</p>
            }
            if !attacks.is_empty() {
                <div class="table-scroll"><table class="cards">{spike_head()}<tbody>{rows(&attacks)}</tbody></table></div>
            }
            if !r.scanners.is_empty() {
                <h3>{format!("Scanners ({})", r.scanners.len())}</h3>
                <div class="table-scroll"><table class="cards"><tbody>{ for scanners }</tbody></table></div>
            }
            if !surges.is_empty() && !fold {
                <h3 title="Growth with answered connections: a flash crowd, a busy job">{"Ordinary surges"}</h3>
                <div class="table-scroll"><table class="cards">{spike_head()}<tbody>{rows(&surges)}</tbody></table></div>
            }
            if fold {
                <details class="surges" data-testid="ordinary-surges" open={surge_open}>
                    <summary>{format!("{} ordinary surges", surges.len())}</summary>
                    <div class="table-scroll"><table class="cards">{spike_head()}<tbody>{rows(&surges)}</tbody></table></div>
                </details>
            }
        </section>
    }
}

/// The section's title with its exports: the spikes and the scanners as CSV,
/// and the attack findings as a fingerprint once the counts are exact.
fn heading(report: &Shared<Report>) -> Html {
    let rep = report.clone();
    let export_spikes = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-spikes.csv",
            "text/csv",
            &portspike_core::export::spikes_csv(&rep),
        )
    });
    // Only once the counts are exact: a fingerprint's numbers are counts.
    let fingerprint = report
        .exact()
        .then(|| portspike_core::fingerprint::fingerprint(report))
        .flatten()
        .and_then(|f| serde_json::to_string_pretty(&f).ok());
    let rep = report.clone();
    let export_scanners = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-scanners.csv",
            "text/csv",
            &portspike_core::export::scanners_csv(&rep),
        )
    });
    html! {
        <h2>{"Findings"}
            <button class="button secondary small" data-testid="export-csv-spikes" onclick={export_spikes}>{"Spikes CSV"}</button>
            <button class="button secondary small" data-testid="export-csv-scanners" onclick={export_scanners}>{"Scanners CSV"}</button>
            if let Some(fp) = fingerprint {
                <button class="button secondary small" data-testid="export-fingerprint"
                    title="The attack findings (floods, reflections, backscatter) as a DDoS Clearing House fingerprint, for DDoS-DB or MISP; what the report does not hold is left out"
                    onclick={Callback::from(move |_: MouseEvent| save("portspike-fingerprint.json", "application/json", &fp))}>{"Export fingerprint"}</button>
            }
        </h2>
    }
}

/// The head of a table of spikes, each column explained on hover.
fn spike_head() -> Html {
    html! {
        <thead><tr>
            <th title="sweep: few sources to many addresses, failing; flood: many sources to few targets, handshakes not completing; backscatter: answers to SYNs never sent; reflection: many servers answering one or a few victims from a service port; surge: ordinary growth">{"Kind"}</th>
            <th title="Protocol and port">{"Port"}</th>
            <th title="The finding's window (all its episodes)">{"When"}</th>
            <th class="num" title="The metric summed over the window, against what the port's own baseline expected">{"Observed"}</th>
            <th class="num" title="Distinct clients and servers in the window">{"Sources → destinations"}</th>
            <th title="The busiest clients in the window">{"Top sources"}</th>
            <th class="num" title="Robust z-score of the peak bin: how many spreads above the port's median">{"Score"}</th></tr></thead>
    }
}

/// The rows of spikes `v` (indices into the report's spikes), in that order.
fn spike_rows(props: &FindingsProps, v: &[usize]) -> Html {
    let r = &props.report;
    html! { <>{ for v.iter().filter_map(|i| r.spikes.get(*i).map(|sp| spike_row(props, *i, sp))) }</> }
}

/// Spike `i`'s row: a click, Enter or Space selects it.
fn spike_row(props: &FindingsProps, i: usize, sp: &SpikeReport) -> Html {
    let service = props
        .report
        .ports
        .iter()
        .find(|p| p.proto == sp.proto && p.port == sp.port)
        .and_then(|p| p.service.clone());
    let on = props.on_spike.clone();
    let onclick = Callback::from(move |_: MouseEvent| on.emit(i));
    let on = props.on_spike.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            on.emit(i);
        }
    });
    let who: Vec<String> = sp
        .top_sources
        .iter()
        .take(3)
        .map(|a| a.addr.clone())
        .collect();
    let label = sp.key().to_string();
    let episodes = sp.episodes.len();
    html! {
        <tr data-testid="spike-row" data-port={label.clone()} data-kind={sp.kind.as_str()}
            class={classes!((props.selected == Some(i)).then_some("selected"))}
            tabindex="0" {onclick} {onkeydown}>
            <td data-label="Kind"><span class={classes!("badge", sp.kind.as_str())} title={sp.kind.meaning()}>{sp.kind.as_str()}</span>
                if sp.new_port { <span class="badge new" title="Nothing came to this port before the finding">{"new port"}</span> }</td>
            <td data-label="Port"><strong>{label}</strong>{service.map(|n| format!(" {n}")).unwrap_or_default()}</td>
            <td data-label="When">{window_text(sp.start_ts, sp.end_ts, props.utc)}
                if episodes > 1 { <span class="episodes" title="Bursts of one kind on this port close in time: one incident">{format!(" · {episodes} episodes")}</span> }</td>
            <td data-label="Observed" class="num">{format!("{} {} vs {:.0} expected", sp.observed, sp.metric, sp.baseline)}</td>
            <td data-label="Sources → destinations" class="num">{format!("{} → {}", fmt_count(sp.sources, sp.estimated("sources")), fmt_count(sp.destinations, sp.estimated("destinations")))}</td>
            <td data-label="Top sources" class="long">{who.join(", ")}</td>
            <td data-label="Score" class="num">{format!("{:.1}", sp.score)}</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct ScannerRowProps {
    report: Shared<Report>,
    /// Which of the report's scanners.
    index: usize,
    /// Its detail is open.
    selected: bool,
    utc: bool,
    /// Open scanner `.0`'s detail: this row's index.
    on_open: Callback<Option<usize>>,
}

/// A scanner's row: a Tab stop that a click, Enter or Space opens.
#[function_component(ScannerRow)]
fn scanner_row(props: &ScannerRowProps) -> Html {
    let i = props.index;
    let Some(sc) = props.report.scanners.get(i) else {
        return html! {};
    };
    let onclick = props.on_open.reform(move |_: MouseEvent| Some(i));
    let on = props.on_open.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            on.emit(Some(i));
        }
    });
    let tz = zone_at(sc.detected_ts, props.utc);
    let caught = format!(
        "Judged a scanner by {} after {} first contacts (a new host and port); {}",
        method_name(sc.method),
        sc.contacts_at_detection,
        match sc.method {
            ScanMethod::Trw => "TRW: Threshold Random Walk, a sequential test on whether first contacts are answered",
            ScanMethod::Threshold => "threshold: the Zeek-style count of failed attempts (25 hosts on a port or 15 ports on a host within 5 minutes)",
        }
    );
    html! {
        <tr data-testid="scanner-row" data-source={sc.source.clone()} data-kind={sc.kind.as_str()}
            class={classes!(props.selected.then_some("selected"))} tabindex="0" {onclick} {onkeydown}>
            <td><span class="badge scan" title={format!("{} scan: vertical: many ports of few hosts; horizontal: one port across many hosts; mixed: both", sc.kind)}>{scan_words(sc.kind)}</span>
                if sc.allowlisted { <span class="badge new" title="A known scanner from the settings: marked, not hidden">{"allowlisted"}</span> }
                if let Some(t) = &sc.tool {
                    <span class="badge tool" data-testid="scanner-tool" data-tool={t.name.as_str()}
                        title={format!("{} of its {} probes match {}'s header rule: {}", t.probes, t.of, t.name, t.rule)}>{t.name.as_str()}</span>
                }</td>
            <td><strong>{&sc.source}</strong></td>
            <td title={format!("How it probed ({}): syn (half-open), connect (full handshakes), fin, null, xmas, ack, maimon (FIN/ACK), udp", sc.probes_joined(", "))}>{probe_words(&sc.probes)}</td>
            <td class="num" title="First contacts: the first packets to a new (host, port); failed: refused, unreachable or unanswered">{format!("{} tries, {} failed", sc.attempts, sc.failures)}</td>
            <td class="num" title="Distinct hosts and ports it contacted">{format!("{} hosts, {} ports", fmt_count(sc.targets, sc.estimated("targets")), fmt_count(sc.ports, sc.estimated("ports")))}</td>
            <td data-testid="scanner-caught" title={caught}>{
                format!("caught at {} {}", crate::format::hms_at(sc.detected_ts, tz), crate::format::zone_name(tz))
            }</td>
        </tr>
    }
}

/// A scanner's kind in words (the badge): `vertical` is many ports of few hosts.
fn scan_words(kind: ScanKind) -> &'static str {
    match kind {
        ScanKind::Vertical => "scanned ports",
        ScanKind::Horizontal => "scanned hosts",
        ScanKind::Mixed => "scanned hosts and ports",
    }
}

/// How a scanner probed, in words: `syn` is a half-open connection.
fn probe_words(probes: &[Probe]) -> String {
    let words: Vec<&str> = probes
        .iter()
        .map(|p| match p {
            Probe::Syn => "half-open SYNs",
            Probe::Connect => "full connections",
            Probe::Fin => "FIN probes",
            Probe::Null => "empty (NULL) probes",
            Probe::Xmas => "Xmas probes",
            Probe::Ack => "ACK probes",
            Probe::Udp => "UDP datagrams",
            Probe::Maimon => "Maimon (FIN/ACK) probes",
        })
        .collect();
    words.join(", ")
}

/// The name of the test that convicted a scanner.
pub fn method_name(method: ScanMethod) -> &'static str {
    match method {
        ScanMethod::Trw => "TRW",
        ScanMethod::Threshold => "threshold",
    }
}
