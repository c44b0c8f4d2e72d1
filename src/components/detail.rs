//! The evidence behind one finding or one scanner: who, where, when, how,
//! its Wireshark filter, and its packets saved as a capture.

use super::{CopyButton, Shared};
use crate::dom::{window_text, zone_at};
use crate::format::{fmt_bytes, fmt_count, fmt_rate};
use crate::hooks::use_scrolled_into_view;
use portspike_core::decode::Proto;
use portspike_core::report::{AddrCount, Report};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub report: Shared<Report>,
    pub index: usize,
    pub on_save: Callback<usize>,
    pub saved: Option<String>,
    /// The capture can be read again (local, uncompressed).
    pub can_save: bool,
    /// Times in UTC (else the browser's zone).
    pub utc: bool,
}

#[function_component(SpikeDetail)]
pub fn spike_detail(props: &DetailProps) -> Html {
    let node = use_scrolled_into_view(props.index);
    let Some(sp) = props.report.spikes.get(props.index) else {
        return html! {};
    };
    let list = |v: &[AddrCount], est: bool, role: &'static str| -> Html {
        html! { <ol data-role={role}>{ for v.iter().map(|a| {
            let bytes = a.bytes.map(|b| format!(", {}", fmt_bytes(b))).unwrap_or_default();
            html!{ <li data-testid="talker" data-addr={a.addr.clone()} data-packets={a.packets.to_string()}
                title={a.wireshark_filter.clone()}>
                {format!("{} ({} packets{bytes})", a.addr, fmt_count(a.packets, est))}</li> }
        }) }</ol> }
    };
    let exact = props.report.exact();
    // Which way the talkers count: to the port, or (backscatter) from it.
    let way = if sp.direction.as_deref() == Some("from_port") {
        "from"
    } else {
        "to"
    };
    let port = sp.key().to_string();
    // What the two sides are in an attack: a reflection's senders are its
    // reflectors, a flood's or reflection's receivers its victims.
    let (src_role, dst_role) = sp.kind.roles();
    let title = |role: &str| {
        let mut c = role.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    let (src_head, dst_head) = if exact {
        (
            format!("Top {src_role} (packets {way} {port} in this window)"),
            format!("Top {dst_role} (packets {way} {port} in this window)"),
        )
    } else {
        (
            format!("{} (≈ estimates until counted)", title(src_role)),
            format!("{} (≈ estimates until counted)", title(dst_role)),
        )
    };
    let rates = sp.rates.as_ref().map(|r| {
        format!(
            "peak {}packets/s · {}bit/s; mean {}packets/s · {}bit/s",
            fmt_rate(r.peak_pps),
            fmt_rate(r.peak_bps),
            fmt_rate(r.mean_pps),
            fmt_rate(r.mean_bps)
        )
    });
    let f = &sp.flags;
    let save = {
        let on_save = props.on_save.clone();
        let i = props.index;
        Callback::from(move |_: MouseEvent| on_save.emit(i))
    };
    html! {
        <section class="detail" data-testid="spike-detail" aria-label="Finding detail" ref={node}>
            <h2>{format!("{} on {} · {}", sp.kind, sp.key(), window_text(sp.start_ts, sp.end_ts, props.utc))}</h2>
            <div class="detail-grid">
                <div><h3 title="Each address's packets as its own filter selects them (hover an address for the filter)">{src_head}</h3>{list(&sp.top_sources, sp.estimated("top_sources"), src_role)}</div>
                <div><h3 title="Each address's packets as its own filter selects them (hover an address for the filter)">{dst_head}</h3>{list(&sp.top_destinations, sp.estimated("top_destinations"), dst_role)}</div>
                <div><h3>{"In this window"}</h3>
                    <ul>
                        <li data-testid="finding-packets">{format!("{} packets{}, {} attempts, {} failed, {} completed", sp.packets,
                            sp.bytes.map(|b| format!(" ({})", fmt_bytes(b))).unwrap_or_default(), sp.attempts, sp.failures, sp.completed)}</li>
                        <li>{format!("{} {} observed vs {:.1} expected (score {:.1})", sp.observed, sp.metric, sp.baseline, sp.score)}</li>
                        <li data-testid="finding-spread">{format!("{} {src_role} → {} {dst_role}", fmt_count(sp.sources, sp.estimated("sources")), fmt_count(sp.destinations, sp.estimated("destinations")))}</li>
                        if let Some(sc) = sp.scan.and_then(|i| props.report.scanners.get(i as usize)) {
                            <li data-testid="finding-scan" title="The finding holds one burst; the scanner's row has the whole scan">{format!("a burst inside a longer scan: {} tried {} hosts in all (its scanner row has the whole extent)", sc.source, fmt_count(sc.targets, sc.estimated("targets")))}</li>
                        }
                        if let Some(bw) = sp.bin_width_us {
                            <li data-testid="finding-width" title="It stands out only over bins this wide">{format!("found over {} bins", crate::format::fmt_width(bw))}</li>
                        }
                        if let Some(p) = &sp.victim_prefix {
                            <li data-testid="victim-prefix" data-prefix={p.clone()} title="Carpet bombing: the victims are spread over one prefix">{format!("{} victims, all in {p}", sp.destinations)}</li>
                        }
                        if sp.proto == Proto::Tcp {
                            <li>{format!("flags: SYN {} · SYN-ACK {} · RST {} · FIN {} · other {}", f.syn, f.synack, f.rst, f.fin, f.other)}</li>
                        }
                        if let Some(n) = sp.answers {
                            <li data-testid="finding-answers">{format!("{n} packets the other way ({} {port})", if way == "to" { "from" } else { "to" })}</li>
                        }
                        if let Some(r) = rates { <li data-testid="finding-rates">{r}</li> }
                        if let (Some(n), Some(share)) = (sp.incident, sp.byte_share) {
                            <li data-testid="finding-share" data-incident={n.to_string()} title="Attack findings aimed at one target at one time are one incident: one finding per vector">
                                {format!("incident {n}: {:.1} % of its bytes", share * 100.0)}</li>
                        }
                    </ul>
                </div>
            </div>
            <p class="evidence-state" data-testid="evidence-state" data-exact={exact.to_string()}>{
                match &props.report.evidence {
                    Some(e) if e.exact => "Every number here is the count its Wireshark filter selects in this window.".to_string(),
                    Some(e) => format!("≈ marks estimates: {}", e.note.clone().unwrap_or_default()),
                    None => "≈ marks estimates: counting each finding's packets exactly…".to_string(),
                }
            }</p>
            if sp.episodes.len() > 1 {
                <div class="episodes">
                    <h3 title="Bursts of one kind on this port closer than ten minutes are one incident">{format!("{} episodes of one incident", sp.episodes.len())}</h3>
                    <ol>{ for sp.episodes.iter().map(|e| html! {
                        <li data-testid="episode" data-t0={e.start_ts.to_string()} data-t1={e.end_ts.to_string()}>
                            {format!("{} · {} {} (score {:.1})", window_text(e.start_ts, e.end_ts, props.utc), e.observed, sp.metric, e.score)}</li>
                    }) }</ol>
                </div>
            }
            <p class="filter"><code data-testid="wireshark-filter">{&sp.wireshark_filter}</code>
                <CopyButton text={sp.wireshark_filter.clone()} label="Copy Wireshark filter" testid="copy-filter" />
                <button class="button secondary" data-testid="save-pcap" onclick={save}
                    disabled={!props.can_save}
                    title={if props.can_save { "The packets this filter selects, read again from the file into a new capture" } else { "Only a capture opened from a file (not from a link or a URL) can be read again" }}>
                    {"Save these packets as pcap"}</button></p>
            if let Some(m) = &props.saved {
                <p class="saved" role="status" data-testid="save-status">{m}</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ScannerDetailProps {
    pub report: Shared<Report>,
    pub index: usize,
    pub on_save: Callback<usize>,
    pub on_close: Callback<Option<usize>>,
    pub saved: Option<String>,
    /// The capture can be read again (local, uncompressed).
    pub can_save: bool,
    pub utc: bool,
}

/// A scanner's evidence: when (every burst), whom and which ports, how it
/// probed and what came back, its Wireshark filter and its packets.
#[function_component(ScannerDetail)]
pub fn scanner_detail(props: &ScannerDetailProps) -> Html {
    let node = use_scrolled_into_view(props.index);
    let Some(sc) = props.report.scanners.get(props.index) else {
        return html! {};
    };
    let tz = zone_at(sc.first_ts, props.utc);
    let at = |us: i64| crate::format::hms_at(us, tz);
    let zone = crate::format::zone_name(tz);
    let save = {
        let (on_save, i) = (props.on_save.clone(), props.index);
        Callback::from(move |_: MouseEvent| on_save.emit(i))
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(None))
    };
    let span = (sc.last_ts - sc.first_ts) as f64 / 1e6;
    let answered = sc
        .answered
        .map_or_else(|| "–".to_string(), |n| n.to_string());
    html! {
        <section class="detail" data-testid="scanner-detail" data-source={sc.source.clone()}
            data-t0={sc.first_ts.to_string()} data-t1={sc.last_ts.to_string()}
            aria-label="Scanner detail" ref={node}>
            <h2>{format!("{} scan from {} · {}–{} {zone} ({span:.1} s)", sc.kind, sc.source, at(sc.first_ts), at(sc.last_ts))}
                <button class="button secondary small" data-testid="scanner-close" onclick={close}>{"Close"}</button></h2>
            <div class="detail-grid">
                <div><h3 title="Its first contacts (a new host and port) came in these stretches; more than a minute apart starts a new one">{format!("Activity ({} bursts)", sc.bursts.len().max(1))}</h3>
                    <ol>{ for sc.bursts.iter().map(|b| html! {
                        <li data-testid="scanner-burst" data-t0={b.first_ts.to_string()} data-t1={b.last_ts.to_string()}>
                            {format!("{}–{} {zone}: {} first contacts", at(b.first_ts), at(b.last_ts), b.contacts)}</li>
                    }) }</ol>
                    <p title={format!("detected by {} after {} first contacts", sc.method, sc.contacts_at_detection)}>{format!("Judged a scanner at {} {zone}, after it had tried {} new hosts or ports", at(sc.detected_ts), sc.contacts_at_detection)}</p></div>
                <div><h3 title="Hosts it contacted, by first contacts (the busiest 10)">{format!("Targets ({})", fmt_count(sc.targets, sc.estimated("targets")))}</h3>
                    <ol>{ for sc.top_targets.iter().map(|t| html! {
                        <li data-testid="scanner-target" data-addr={t.addr.clone()}>{format!("{} ({} first contacts)", t.addr, t.attempts)}</li>
                    }) }</ol></div>
                <div><h3 title="Ports it contacted, by first contacts (the busiest 10)">{format!("Ports ({})", fmt_count(sc.ports, sc.estimated("ports")))}</h3>
                    <ol>{ for sc.top_ports.iter().map(|p| html! {
                        <li data-testid="scanner-port" data-port={p.key().to_string()}>{format!("{} ({} first contacts)", p.key(), p.attempts)}</li>
                    }) }</ol></div>
                <div><h3 title="How it probed (the packets its probe filter selects), and what came back">{"Probes and outcomes"}</h3>
                    <ul>
                        <li data-testid="scanner-probes">{ if sc.probe_counts.is_empty() { sc.probes_joined(", ") } else {
                            sc.probe_counts.iter().map(|p| format!("{} {}", p.probe, p.contacts)).collect::<Vec<_>>().join(" · ") } }</li>
                        <li data-testid="scanner-outcomes">{format!("{} first contacts: {} answered, {} failed", sc.attempts, answered, sc.failures)}</li>
                        if !sc.open_ports.is_empty() {
                            <li data-testid="scanner-open">{format!("answered on {}", sc.open_ports.iter().map(|o| format!("{} ({} hosts)", o.key(), o.hosts)).collect::<Vec<_>>().join(", "))}</li>
                        }
                        if let Some(e) = &sc.evidence { <li>{e.clone()}</li> }
                        if let Some(t) = &sc.tool {
                            <li data-testid="scanner-tool-detail">{format!("made by {}: {} of its {} probes match its header rule ({})", t.name, t.probes, t.of, t.rule)}</li>
                        }
                    </ul></div>
            </div>
            if !sc.wireshark_filter.is_empty() {
                <p class="filter"><code data-testid="wireshark-filter">{&sc.wireshark_filter}</code>
                    <CopyButton text={sc.wireshark_filter.clone()} label="Copy Wireshark filter" testid="copy-filter" />
                    <button class="button secondary" data-testid="save-pcap" onclick={save}
                        disabled={!props.can_save}
                        title={if props.can_save { "Its packets (sent or received) from its first to its last contact, read again from the file into a new capture" } else { "Only a capture opened from a file (not from a link or a URL) can be read again" }}>
                        {"Save these packets as pcap"}</button></p>
            }
            if let Some(m) = &props.saved {
                <p class="saved" role="status" data-testid="save-status">{m}</p>
            }
        </section>
    }
}
