//! Links that reproduce a view, or carry the result itself, in the URL
//! fragment (which browsers never send to a server).
//!
//! A view link holds `URLSearchParams`-style pairs: `port`, `metric`, `scale`,
//! `t0`, `t1` (µs) and the analysis settings (`key`, `bin`, `threshold`,
//! `persistence`, `baseline`, `min_excess`, `home`, `allow`). A result link adds
//! `result`: the report as deflate-compressed, base64url-encoded JSON, with
//! `v` (the generator version) and `sha256` (of the capture) beside it.

use crate::protocol::{cidr_list, Settings};
use portspike_core::report::{
    Annotation, CaptureSummary, Generator, ParamsEcho, Pattern, PortReport, Problem, Report,
    ScannerReport, SeriesReport, Sketch, SpikeReport, Totals,
};
use serde::Serialize;
use std::io::Read;

/// Longest `result=` value put in a link (characters). Past it the series
/// of the lowest-ranked ports are dropped until it fits, and if the port
/// list alone is too long, the lowest-ranked ports too (see [`encode_result`]).
pub const RESULT_LIMIT: usize = 60_000;

/// A view to restore.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub port: Option<String>,
    pub metric: Option<String>,
    pub range: Option<(i64, i64)>,
    /// Where the capture came from, when it was opened from a URL.
    pub url: Option<String>,
}

/// What a fragment holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    pub view: View,
    pub settings: Settings,
    pub result: Option<String>,
    /// Values of the link that were out of range or malformed, each naming
    /// its field: they were left out (the default kept), nothing else was.
    pub problems: Vec<String>,
}

/// Latest (and, negated, earliest) time a link or a shared report may hold
/// (µs since the epoch, ~year 2286): a capture's timestamps (64-bit
/// nanoseconds) never pass it, and JavaScript dates reach it.
pub const MAX_TS_US: i64 = 10_000_000_000_000_000;
/// Bounds on a link's detection settings.
const MAX_THRESHOLD: f64 = 1e6;
const MAX_MIN_EXCESS: f64 = 1e12;
const MAX_PERSISTENCE: usize = 1000;
const MAX_BASELINE: usize = 100_000;
/// Most networks a link's `home` or `allow` lists.
const MAX_NETWORKS: usize = 1024;
/// Longest value accepted for `port`, `metric`, `url`.
const MAX_TEXT: usize = 4096;

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn dec(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b.get(i), b.get(i + 1..i + 3)) {
            (Some(b'%'), Some(h)) => {
                match std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            (Some(b'+'), _) => out.push(b' '),
            (Some(c), _) => out.push(*c),
            (None, _) => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fragment (without `#`) for a view and the settings it was made with.
pub fn view_fragment(view: &View, s: &Settings) -> String {
    let d = &s.detection;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(p) = &view.port {
        pairs.push(("port", p.clone()));
    }
    if let Some(m) = &view.metric {
        pairs.push(("metric", m.clone()));
    }
    pairs.push(("scale", "linear".into()));
    if let Some((a, b)) = view.range {
        pairs.push(("t0", a.to_string()));
        pairs.push(("t1", b.to_string()));
    }
    if let Some(u) = &view.url {
        pairs.push(("url", u.clone()));
    }
    pairs.push(("key", s.key.clone()));
    if !s.bin.is_empty() {
        pairs.push(("bin", s.bin.clone()));
    }
    pairs.push(("threshold", d.threshold.to_string()));
    pairs.push((
        "persistence",
        format!("{}/{}", d.persistence_k, d.persistence_n),
    ));
    pairs.push(("baseline", d.baseline_bins.to_string()));
    pairs.push(("min_excess", d.min_excess.to_string()));
    if !d.home.is_empty() {
        pairs.push(("home", d.home.join(",")));
    }
    if !d.allow.is_empty() {
        pairs.push(("allow", d.allow.join(",")));
    }
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={}", enc(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The fragment (without `#`) of a result link: the view, then the
/// generator version, the capture's SHA-256 and the packed report, every
/// value encoded (a shared report's strings cannot add pairs).
pub fn result_fragment(
    view: &View,
    s: &Settings,
    version: &str,
    sha256: &str,
    value: &str,
) -> String {
    format!(
        "{}&v={}&sha256={}&result={}",
        view_fragment(view, s),
        enc(version),
        enc(sha256),
        enc(value)
    )
}

/// A number from a link within `lo..=hi`, or what is wrong with it.
fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
    field: &str,
    v: &str,
    lo: T,
    hi: T,
) -> Result<T, String> {
    match v.trim().parse::<T>() {
        Ok(x) if x >= lo && x <= hi => Ok(x),
        _ => Err(format!(
            "{field}: {v:?} is not a number from {lo} to {hi}; the default was kept"
        )),
    }
}

/// Read a fragment (with or without `#`). Every value is checked: one that
/// is malformed or out of range is left out and named in `problems`; the
/// others apply. Unknown pairs are ignored.
pub fn parse(fragment: &str) -> Fragment {
    let mut f = Fragment::default();
    let (mut t0, mut t1) = (None, None);
    let mut problems = Vec::new();
    let mut check = |r: Result<(), String>| {
        if let Err(e) = r {
            problems.push(e);
        }
    };
    for pair in fragment.trim_start_matches('#').split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = dec(v);
        let d = &mut f.settings.detection;
        let text = |field: &str, v: String| {
            if v.chars().count() > MAX_TEXT {
                Err(format!(
                    "{field}: longer than {MAX_TEXT} characters; left out"
                ))
            } else {
                Ok(v)
            }
        };
        match k {
            "port" => check(text(k, v).map(|v| f.view.port = Some(v))),
            "metric" => check(text(k, v).map(|v| f.view.metric = Some(v))),
            "url" => check(text(k, v).map(|v| f.view.url = Some(v))),
            "t0" => check(number(k, &v, -MAX_TS_US, MAX_TS_US).map(|x| t0 = Some(x))),
            "t1" => check(number(k, &v, -MAX_TS_US, MAX_TS_US).map(|x| t1 = Some(x))),
            "key" => check(match v.as_str() {
                "service" | "dst-port" => {
                    f.settings.key = v;
                    Ok(())
                }
                _ => Err(format!(
                    "key: {v:?} is neither service nor dst-port; the default was kept"
                )),
            }),
            "bin" => check(match v.trim() {
                "" | "auto" => Ok(()),
                b => portspike_core::bins::parse_width(b)
                    .map(|_| f.settings.bin = v.clone())
                    .map_err(|e| format!("bin: {e}; the width is chosen from the capture")),
            }),
            "threshold" => check(
                number(k, &v, f64::MIN_POSITIVE, MAX_THRESHOLD).map(|x| d.threshold = x),
            ),
            "persistence" => check(
                v.split_once('/')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                    .filter(|&(a, b): &(usize, usize)| 1 <= a && a <= b && b <= MAX_PERSISTENCE)
                    .map(|(a, b)| {
                        d.persistence_k = a;
                        d.persistence_n = b;
                    })
                    .ok_or_else(|| {
                        format!(
                            "persistence: {v:?} is not K/N with 1 ≤ K ≤ N ≤ {MAX_PERSISTENCE}; the default was kept"
                        )
                    }),
            ),
            "baseline" => check(number(k, &v, 1, MAX_BASELINE).map(|x| d.baseline_bins = x)),
            "min_excess" => {
                check(number(k, &v, 0.0, MAX_MIN_EXCESS).map(|x| d.min_excess = x))
            }
            "home" | "allow" => {
                let mut keep = Vec::new();
                let list = cidr_list(&v);
                for c in &list {
                    match portspike_core::detect::Cidr::parse(c) {
                        Ok(_) if keep.len() < MAX_NETWORKS => keep.push(c.clone()),
                        Ok(_) => {}
                        Err(e) => check(Err(format!("{k}: {c:?} left out: {e}"))),
                    }
                }
                if list.len() > MAX_NETWORKS {
                    check(Err(format!(
                        "{k}: only the first {MAX_NETWORKS} networks were kept"
                    )));
                }
                if k == "home" {
                    d.home = keep;
                } else {
                    d.allow = keep;
                }
            }
            "result" => f.result = Some(v),
            _ => {}
        }
    }
    match (t0, t1) {
        (Some(a), Some(b)) if a < b => f.view.range = Some((a, b)),
        (Some(_), Some(_)) => check(Err(
            "t0, t1: the window ends before it starts; the whole capture is shown".into(),
        )),
        _ => {}
    }
    f.problems = problems;
    f
}

/// Check the values of a report from a link that the page computes with:
/// times within ±[`MAX_TS_US`], bin widths above zero, timelines of a sane
/// length. The error names the first field out of range.
pub fn check_report(r: &Report) -> Result<(), String> {
    let time = |field: &str, t: i64| -> Result<(), String> {
        if (-MAX_TS_US..=MAX_TS_US).contains(&t) {
            Ok(())
        } else {
            Err(format!(
                "the link's report has {field} = {t}, outside the times a capture can hold"
            ))
        }
    };
    let c = &r.capture;
    for (field, t) in [
        ("capture.first_ts", c.first_ts),
        ("capture.last_ts", c.last_ts),
    ] {
        if let Some(t) = t {
            time(field, t)?;
        }
    }
    let width = |field: &str, w: u64| -> Result<(), String> {
        if (1..=MAX_TS_US as u64).contains(&w) {
            Ok(())
        } else {
            Err(format!(
                "the link's report has {field} = {w}, not a bin width"
            ))
        }
    };
    width("bin_width_us", r.bin_width_us)?;
    width("params.bin_width_us", r.params.bin_width_us)?;
    for p in &r.ports {
        let Some(s) = &p.series else { continue };
        let name = format!("ports[{}/{}].series", p.proto, p.port);
        time(&format!("{name}.start_ts"), s.start_ts)?;
        width(&format!("{name}.bin_width_us"), s.bin_width_us)?;
        let bins = s.packets.len() as u64;
        let end = i128::from(s.start_ts) + i128::from(bins) * i128::from(s.bin_width_us);
        if bins > 1_000_000 || end > i128::from(MAX_TS_US) {
            return Err(format!(
                "the link's report has {name} of {bins} bins, past the times a capture can hold"
            ));
        }
    }
    for (i, s) in r.spikes.iter().enumerate() {
        time(&format!("spikes[{i}].start_ts"), s.start_ts)?;
        time(&format!("spikes[{i}].end_ts"), s.end_ts)?;
        time(&format!("spikes[{i}].peak_ts"), s.peak_ts)?;
    }
    for (i, s) in r.scanners.iter().enumerate() {
        time(&format!("scanners[{i}].first_ts"), s.first_ts)?;
        time(&format!("scanners[{i}].detected_ts"), s.detected_ts)?;
        time(&format!("scanners[{i}].last_ts"), s.last_ts)?;
    }
    Ok(())
}

/// Whether a capture named by a link may be fetched from a URL (as parsed
/// by the browser's URL parser): over https, or from the page's own origin.
pub fn fetch_allowed(protocol: &str, origin: &str, page_origin: &str) -> Result<(), String> {
    if protocol == "https:" || (origin == page_origin && origin != "null") {
        Ok(())
    } else {
        Err(format!(
            "only https addresses (or this page's own) are fetched, not {origin}"
        ))
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for c in data.chunks(3) {
        let n = (u32::from(c.first().copied().unwrap_or(0)) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for i in 0..=c.len() {
            let idx = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(B64.get(idx).copied().unwrap_or(b'A') as char);
        }
    }
    out
}

fn unb64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for ch in s.bytes() {
        let v = B64.iter().position(|b| *b == ch)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Replace every address in the report by a salted hash (`h-1a2b3c4d`), the
/// same address always by the same name within one link.
pub fn anonymise(r: &mut Report, salt: u64) {
    let name = |a: &str| -> String {
        let mut h: u64 = salt ^ 0xcbf2_9ce4_8422_2325;
        for b in a.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= h >> 29;
        format!("h-{:08x}", (h as u32))
    };
    // Free text may name addresses: with addresses hashed, notes keep their
    // place on the timeline but not their words.
    for a in &mut r.annotations {
        a.text = "(note withheld: addresses hashed)".into();
    }
    for s in &mut r.spikes {
        for a in s
            .top_sources
            .iter_mut()
            .chain(s.top_destinations.iter_mut())
        {
            a.addr = name(&a.addr);
        }
    }
    for s in &mut r.scanners {
        s.source = name(&s.source);
        for t in &mut s.top_targets {
            t.addr = name(&t.addr);
        }
        // A filter names the scanner's address: it cannot travel hashed.
        s.wireshark_filter = String::new();
    }
    r.params.detection.home.clear();
    r.params.detection.allow.clear();
}

/// A report packed for a result link.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    /// The `result` value: deflated JSON, base64url.
    pub value: String,
    /// Ports whose timelines it keeps (the top ones).
    pub series: usize,
    /// Ports it lists (the top ones).
    pub ports: usize,
}

/// The `result` value for a report, addresses hashed with `salt` if given:
/// the timelines of as many top ports as fit in [`RESULT_LIMIT`]; if even
/// none fit, as many of the top ports as do (a capture with every port busy).
/// The report is read in place: neither it nor its JSON is copied whole.
pub fn encode_result(r: &Report, salt: Option<u64>) -> Packed {
    let mut head = Report {
        schema: r.schema.clone(),
        generator: r.generator.clone(),
        params: r.params.clone(),
        capture: r.capture.clone(),
        bin_width_us: r.bin_width_us,
        sketch: r.sketch.clone(),
        ports: Vec::new(),
        spikes: r.spikes.clone(),
        scanners: r.scanners.clone(),
        annotations: r.annotations.clone(),
    };
    if let Some(salt) = salt {
        anonymise(&mut head, salt);
    }
    let all = r.ports.len();
    let with_series = r.ports.iter().filter(|p| p.series.is_some()).count();
    // Most reports fit whole.
    let value = pack(&head, &r.ports, with_series);
    if value.len() <= RESULT_LIMIT {
        return Packed {
            value,
            series: with_series,
            ports: all,
        };
    }
    let bare = pack(&head, &r.ports, 0);
    if bare.len() <= RESULT_LIMIT {
        // The timelines of as many top ports as fit.
        let mut series = with_series / 2;
        while series > 0 {
            let value = pack(&head, &r.ports, series);
            if value.len() <= RESULT_LIMIT {
                return Packed {
                    value,
                    series,
                    ports: all,
                };
            }
            series /= 2;
        }
    }
    // Without timelines it fits; or it is too long even without ports, and
    // dropping them would not make it fit.
    if bare.len() <= RESULT_LIMIT || pack(&head, &[], 0).len() > RESULT_LIMIT {
        return Packed {
            value: bare,
            series: 0,
            ports: all,
        };
    }
    // Not even the port list fits: as many of the top ports as do, each
    // guess scaled from the last length.
    let mut ports = all;
    let mut value = bare;
    let warnings = head.capture.warnings.len();
    while value.len() > RESULT_LIMIT && ports > 1 {
        let scale = RESULT_LIMIT as f64 * 0.9 / value.len() as f64;
        ports = ((ports as f64 * scale) as usize).clamp(1, ports - 1);
        head.capture.warnings.truncate(warnings);
        head.capture.warnings.push(Problem {
            code: "link_ports_trimmed".into(),
            message: format!(
                "this link lists the top {ports} of the report's {all} ports: a link holds at most {RESULT_LIMIT} characters"
            ),
            offset: None,
        });
        value = pack(&head, r.ports.get(..ports).unwrap_or_default(), 0);
    }
    Packed {
        value,
        series: 0,
        ports,
    }
}

/// `head` (a report without its ports) with `ports` in their place, the
/// first `series` timelines kept, as JSON deflated straight to base64url.
fn pack(head: &Report, ports: &[PortReport], series: usize) -> String {
    // Every field named: a field added to the report fails to compile here.
    let Report {
        schema,
        generator,
        params,
        capture,
        bin_width_us,
        sketch,
        ports: _,
        spikes,
        scanners,
        annotations,
    } = head;
    #[derive(Serialize)]
    struct Out<'a> {
        schema: &'a str,
        generator: &'a Generator,
        params: &'a ParamsEcho,
        capture: &'a CaptureSummary,
        bin_width_us: u64,
        sketch: &'a Sketch,
        ports: Ports<'a>,
        spikes: &'a [SpikeReport],
        scanners: &'a [ScannerReport],
        #[serde(skip_serializing_if = "<[Annotation]>::is_empty")]
        annotations: &'a [Annotation],
    }
    struct Ports<'a>(&'a [PortReport], usize);
    impl Serialize for Ports<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            #[derive(Serialize)]
            struct Port<'a> {
                proto: &'a str,
                port: u16,
                service: &'a Option<String>,
                score: f64,
                totals: &'a Totals,
                series: Option<&'a SeriesReport>,
                #[serde(skip_serializing_if = "Option::is_none")]
                pattern: &'a Option<Pattern>,
            }
            let mut seen = 0;
            s.collect_seq(self.0.iter().map(|p| {
                let PortReport {
                    proto,
                    port,
                    service,
                    score,
                    totals,
                    series,
                    pattern,
                } = p;
                let series = series.as_deref().filter(|_| {
                    seen += 1;
                    seen <= self.1
                });
                Port {
                    proto,
                    port: *port,
                    service,
                    score: *score,
                    totals,
                    series,
                    pattern,
                }
            }))
        }
    }
    let out = Out {
        schema,
        generator,
        params,
        capture,
        bin_width_us: *bin_width_us,
        sketch,
        ports: Ports(ports, series),
        spikes,
        scanners,
        annotations,
    };
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let packed = serde_json::to_writer(&mut z, &out)
        .map_err(std::io::Error::from)
        .and_then(|_| z.finish())
        .unwrap_or_default();
    b64url(&packed)
}

/// Decode a `result` value back into a report.
pub fn decode_result(value: &str) -> Result<Report, String> {
    let packed = unb64url(value).ok_or("the link's result is not base64url")?;
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .take(RESULT_JSON_LIMIT + 1)
        .read_to_string(&mut json)
        .map_err(|e| format!("the link's result does not decompress: {e}"))?;
    if json.len() as u64 > RESULT_JSON_LIMIT {
        return Err(format!(
            "the link's result unpacks to more than {} MB",
            RESULT_JSON_LIMIT >> 20
        ));
    }
    let r: Report = serde_json::from_str(&json)
        .map_err(|e| format!("the link's result is not a report: {e}"))?;
    check_report(&r)?;
    Ok(r)
}

/// Most JSON a result link may unpack to (its 60,000 characters of deflate
/// could otherwise unpack to tens of MB).
const RESULT_JSON_LIMIT: u64 = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_round_trips() {
        let mut s = Settings::default();
        s.detection.home = vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()];
        s.bin = "5m".into();
        s.detection.threshold = 4.5;
        let v = View {
            port: Some("tcp/445".into()),
            metric: Some("attempts".into()),
            range: Some((1, 2)),
            url: Some("https://example.org/a b.pcap?x=1&y=2".into()),
        };
        let f = parse(&format!("#{}", view_fragment(&v, &s)));
        assert_eq!(f.view, v);
        assert_eq!(f.settings, s);
        assert!(view_fragment(&v, &s).contains("port=tcp%2F445"));
    }

    #[test]
    fn hostile_view_values_are_left_out_one_by_one() {
        let f = parse("#threshold=NaN&min_excess=1e999&bin=1e300&baseline=0&persistence=5/2&key=x&t0=-9000000000000000000&t1=5&home=10.0.0.0/8,300.1.1.1/8&allow=192.0.2.1&port=tcp%2F445");
        let d = Settings::default().detection;
        assert_eq!(f.settings.detection.threshold, d.threshold);
        assert_eq!(f.settings.detection.min_excess, d.min_excess);
        assert_eq!(f.settings.detection.baseline_bins, d.baseline_bins);
        assert_eq!(f.settings.detection.persistence_k, d.persistence_k);
        assert_eq!(f.settings.bin, "");
        assert_eq!(f.settings.key, "service");
        // The valid values of the same link still apply.
        assert_eq!(f.settings.detection.home, vec!["10.0.0.0/8"]);
        assert_eq!(f.settings.detection.allow, vec!["192.0.2.1"]);
        assert_eq!(f.view.port.as_deref(), Some("tcp/445"));
        assert_eq!(f.view.range, None);
        for field in [
            "threshold:",
            "min_excess:",
            "bin:",
            "baseline:",
            "persistence:",
            "key:",
            "t0:",
            "home:",
        ] {
            assert!(
                f.problems.iter().any(|p| p.starts_with(field)),
                "{field} {:?}",
                f.problems
            );
        }
        assert!(f.settings.to_params().is_ok());
        // A link of valid values has no problems.
        let ok = parse(&view_fragment(&View::default(), &Settings::default()));
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    }

    #[test]
    fn a_result_link_encodes_what_a_shared_report_carries() {
        let mut s = Settings::default();
        s.detection.threshold = 7.0;
        let frag = result_fragment(
            &View::default(),
            &s,
            "1.0&threshold=99&home=0.0.0.0/0",
            "ab#cd&bin=1s",
            "AAAA",
        );
        let f = parse(&frag);
        assert_eq!(f.settings, s);
        assert_eq!(f.result.as_deref(), Some("AAAA"));
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert!(!frag.contains("&threshold=99") && !frag.contains('#'));
    }

    #[test]
    fn a_shared_report_out_of_range_is_refused_naming_the_field() {
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        assert!(check_report(&r).is_ok());
        r.capture.first_ts = Some(-9_000_000_000_000_000_000);
        let value = encode_result(&r, None).value;
        let e = decode_result(&value).unwrap_err();
        assert!(e.contains("capture.first_ts"), "{e}");
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        r.spikes[0].peak_ts = i64::MAX;
        assert!(check_report(&r).unwrap_err().contains("spikes[0].peak_ts"));
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        r.ports[0].series.as_mut().unwrap().bin_width_us = 0;
        assert!(check_report(&r).unwrap_err().contains("bin_width_us"));
    }

    #[test]
    fn captures_are_fetched_over_https_or_from_the_page_itself() {
        let page = "http://127.0.0.1:8080";
        assert!(fetch_allowed("https:", "https://evil.example", page).is_ok());
        assert!(fetch_allowed("http:", "http://127.0.0.1:8080", page).is_ok());
        assert!(fetch_allowed("http:", "http://evil.example", page).is_err());
        assert!(fetch_allowed("data:", "null", "null").is_err());
        assert!(fetch_allowed("javascript:", "null", page).is_err());
    }

    #[test]
    fn base64url_round_trips() {
        for n in 0..20 {
            let d: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(unb64url(&b64url(&d)).unwrap(), d);
        }
    }

    #[test]
    fn anonymised_results_hide_every_address_consistently() {
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        let before = r.to_json();
        assert!(before.contains("10.1.1.23"));
        anonymise(&mut r, 42);
        let after = r.to_json();
        for s in &r.scanners {
            assert!(s.source.starts_with("h-"), "{}", s.source);
        }
        // The sweeper that tops the spike is also a scanner: one name for both.
        let top = &r.spikes[0].top_sources[0].addr;
        assert!(r.scanners.iter().any(|s| &s.source == top));
        assert!(!after.contains("10.1.1.23") && !after.contains("10.1.1.37"));
        let mut again =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        anonymise(&mut again, 43);
        assert_ne!(
            again.scanners[0].source, r.scanners[0].source,
            "salted per link"
        );
    }

    #[test]
    fn result_round_trips_and_fits() {
        let r = portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        let p = encode_result(&r, None);
        assert!(p.value.len() <= RESULT_LIMIT);
        assert!(p.series >= 1);
        let back = decode_result(&p.value).unwrap();
        assert_eq!(back.spikes, r.spikes);
        assert_eq!(back.ports[0], r.ports[0]);
        assert_eq!(back.ports.len(), p.ports);
    }

    #[test]
    fn a_report_that_fits_comes_back_whole() {
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        r.ports.truncate(3);
        assert!(r.ports.iter().all(|p| p.series.is_some()));
        let p = encode_result(&r, None);
        assert_eq!((p.series, p.ports), (3, 3));
        assert_eq!(decode_result(&p.value).unwrap(), r);
        // Byte for byte the report's own JSON (schema order and all).
        let packed = unb64url(&p.value).unwrap();
        let mut json = String::new();
        flate2::read::DeflateDecoder::new(packed.as_slice())
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(json, r.to_json());
    }

    #[test]
    fn a_link_to_every_port_busy_lists_the_top_ones() {
        let mut r =
            portspike_core::analyze_bytes(&portspike_core::synth::sample(), Default::default());
        let first = r.ports[0].clone();
        for i in 0..20_000u16 {
            let mut p = first.clone();
            p.port = 20_000 + i;
            p.series = None;
            p.totals.packets = u64::from(i) * 7 % 1000;
            r.ports.push(p);
        }
        let p = encode_result(&r, Some(7));
        assert!(p.value.len() <= RESULT_LIMIT, "{}", p.value.len());
        assert_eq!(p.series, 0);
        assert!(p.ports > 100 && p.ports < r.ports.len(), "{}", p.ports);
        let back = decode_result(&p.value).unwrap();
        assert_eq!(back.ports.len(), p.ports);
        for (a, b) in back.ports.iter().zip(&r.ports) {
            assert_eq!((&a.proto, a.port, &a.totals), (&b.proto, b.port, &b.totals));
            assert!(a.series.is_none());
        }
        let w = back.capture.warnings.last().unwrap();
        assert_eq!(w.code, "link_ports_trimmed");
        assert!(
            w.message.contains(&format!(
                "top {} of the report's {} ports",
                p.ports,
                r.ports.len()
            )),
            "{}",
            w.message
        );
        // Addresses hashed, as asked.
        assert!(!back.scanners.is_empty());
        assert!(back.scanners.iter().all(|s| s.source.starts_with("h-")));
    }
}
