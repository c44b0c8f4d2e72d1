//! The result itself in a link: the report checked, optionally anonymised,
//! packed as deflate-compressed base64url JSON within [`RESULT_LIMIT`], and
//! unpacked again with bounds on what it may expand to.

use super::{MAX_TS_US, RESULT_LIMIT};
use portspike_core::diff::Diff;
use portspike_core::report::{
    Annotation, CaptureSummary, EvidenceState, Generator, ParamsEcho, Pattern, PortReport, Problem,
    Report, ScannerReport, SeriesReport, Sketch, SpikeReport, Totals,
};
use serde::Serialize;
use std::io::Read;

/// Most timeline bins a result link's report may hold over all its ports
/// (each bin a value in each of six series): a link of this many opens and
/// is drawn within a second; our own links keep the timelines of as many
/// top ports as fit (see [`encode_result`]).
pub const MAX_LINK_BINS: u64 = 100_000;

/// Bins of a timeline: its longest series (a hostile link may make them
/// differ in length).
fn bins(s: &SeriesReport) -> u64 {
    [
        &s.packets,
        &s.bytes,
        &s.attempts,
        &s.failures,
        &s.sources,
        &s.destinations,
    ]
    .iter()
    .map(|v| v.len() as u64)
    .max()
    .unwrap_or(0)
}

/// Check the values of a report from a link that the page computes with:
/// times within ±[`MAX_TS_US`], bin widths above zero, timelines of a sane
/// length, at most [`MAX_LINK_BINS`] bins in all. The error names the
/// first field out of range.
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
    let mut total = 0u64;
    for p in &r.ports {
        let Some(s) = &p.series else { continue };
        let name = format!("ports[{}].series", p.key());
        time(&format!("{name}.start_ts"), s.start_ts)?;
        width(&format!("{name}.bin_width_us"), s.bin_width_us)?;
        let bins = bins(s);
        let end = i128::from(s.start_ts) + i128::from(bins) * i128::from(s.bin_width_us);
        if bins > 1_000_000 || end > i128::from(MAX_TS_US) {
            return Err(format!(
                "the link's report has {name} of {bins} bins, past the times a capture can hold"
            ));
        }
        total += bins;
        if total > MAX_LINK_BINS {
            return Err(format!(
                "the link's report holds more than {MAX_LINK_BINS} timeline bins in all (past {name}), more than a link carries"
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

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(super) fn b64url(data: &[u8]) -> String {
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

pub(super) fn unb64url(s: &str) -> Option<Vec<u8>> {
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
            // A talker's filter names its address.
            a.wireshark_filter = String::new();
        }
    }
    for s in &mut r.scanners {
        s.source = name(&s.source);
        for t in &mut s.top_targets {
            t.addr = name(&t.addr);
        }
        // A filter names the scanner's address: it cannot travel hashed.
        s.wireshark_filter = String::new();
        s.probe_filter = String::new();
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
        evidence: r.evidence.clone(),
    };
    if let Some(salt) = salt {
        anonymise(&mut head, salt);
    }
    let all = r.ports.len();
    // The timelines of the top ports within the link's bound on bins.
    let mut total = 0;
    let with_series = r
        .ports
        .iter()
        .filter_map(|p| p.series.as_deref())
        .take_while(|s| {
            total += bins(s);
            total <= MAX_LINK_BINS
        })
        .count();
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
            code: portspike_core::report::ProblemCode::LinkPortsTrimmed,
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
        evidence,
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
        #[serde(skip_serializing_if = "Option::is_none")]
        evidence: &'a Option<EvidenceState>,
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
                    proto: proto.as_str(),
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
        evidence,
    };
    deflate_b64(&out)
}

/// A value as deflate-compressed, base64url-encoded JSON.
pub(crate) fn deflate_b64(v: &impl Serialize) -> String {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let packed = serde_json::to_writer(&mut z, v)
        .map_err(std::io::Error::from)
        .and_then(|_| z.finish())
        .unwrap_or_default();
    b64url(&packed)
}

/// The JSON a packed link value holds, at most [`RESULT_JSON_LIMIT`] bytes;
/// `what` names it in errors.
fn inflate_b64(value: &str, what: &str) -> Result<String, String> {
    let packed = unb64url(value).ok_or_else(|| format!("the link's {what} is not base64url"))?;
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .take(RESULT_JSON_LIMIT + 1)
        .read_to_string(&mut json)
        .map_err(|e| format!("the link's {what} does not decompress: {e}"))?;
    if json.len() as u64 > RESULT_JSON_LIMIT {
        return Err(format!(
            "the link's {what} unpacks to more than {} MB",
            RESULT_JSON_LIMIT >> 20
        ));
    }
    Ok(json)
}

/// Decode a `result` value back into a report.
pub fn decode_result(value: &str) -> Result<Report, String> {
    let json = inflate_b64(value, "result")?;
    let r: Report = portspike_core::report::from_json(&json)
        .map_err(|e| format!("the link's result is not a report: {e}"))?;
    check_report(&r)?;
    Ok(r)
}

/// A result link's report, refused unless the capture SHA-256 the link
/// names (`sha256=`, none or empty for a capture that was not hashed) is
/// the one its report holds (`capture.files[0].sha256`, as our links make
/// them): a link put together from two would show one capture's result
/// under another's name.
pub fn decode_shared(value: &str, sha256: Option<&str>) -> Result<Report, String> {
    let r = decode_result(value)?;
    let named = sha256.unwrap_or_default().trim();
    let held = r.sha256().unwrap_or_default();
    if !named.eq_ignore_ascii_case(held) {
        let show = |s: &str| -> String {
            if s.is_empty() {
                "none".into()
            } else {
                format!("{:?}", s.chars().take(64).collect::<String>())
            }
        };
        return Err(format!(
            "the link names the capture SHA-256 {} but its result is of the capture {}: the link was altered or put together from two, so its result is not shown",
            show(named),
            show(held)
        ));
    }
    Ok(r)
}

/// A comparison packed for a result link (`diff=`): the changed ports, new
/// scanners and findings within [`RESULT_LIMIT`] characters (the lowest
/// ranked left out first), or `None` if even its head does not fit.
pub fn encode_diff(d: &Diff) -> Option<String> {
    let mut d = d.clone();
    d.ports.truncate(DIFF_ROWS_MAX);
    d.new_sources.truncate(DIFF_ROWS_MAX);
    d.new_scanners.truncate(DIFF_ROWS_MAX);
    d.new_findings.truncate(DIFF_ROWS_MAX);
    loop {
        let v = deflate_b64(&d);
        if v.len() <= RESULT_LIMIT {
            return Some(v);
        }
        if d.ports.is_empty() && d.new_scanners.is_empty() && d.new_findings.is_empty() {
            return None;
        }
        let half = |n: usize| n / 2;
        d.ports.truncate(half(d.ports.len()));
        d.new_scanners.truncate(half(d.new_scanners.len()));
        d.new_findings.truncate(half(d.new_findings.len()));
        d.new_sources.truncate(half(d.new_sources.len()));
    }
}

/// Most rows of each list a comparison in a link carries (a link of 60,000
/// tiny rows once made the next analysis take 52 s): the ranked changes a
/// reader looks at, not a dump.
pub const DIFF_ROWS_MAX: usize = 2_000;

/// Decode a `diff` value back into a comparison; one past
/// [`DIFF_ROWS_MAX`] rows in any list is refused, saying which.
pub fn decode_diff(value: &str) -> Result<Diff, String> {
    let json = inflate_b64(value, "comparison")?;
    let d: Diff = portspike_core::report::from_json(&json)
        .map_err(|e| format!("the link's comparison is not a diff: {e}"))?;
    if d.schema != portspike_core::diff::SCHEMA {
        return Err(format!(
            "the link's comparison is {:?}, not {}",
            d.schema,
            portspike_core::diff::SCHEMA
        ));
    }
    for (what, n) in [
        ("changed ports", d.ports.len()),
        ("new sources", d.new_sources.len()),
        ("new scanners", d.new_scanners.len()),
        ("new findings", d.new_findings.len()),
    ] {
        if n > DIFF_ROWS_MAX {
            return Err(format!(
                "the link's comparison lists {n} {what}, more than the {DIFF_ROWS_MAX} a link carries; it was not applied"
            ));
        }
    }
    Ok(d)
}

/// Most JSON a result link may unpack to (its 60,000 characters of deflate
/// could otherwise unpack to tens of MB).
const RESULT_JSON_LIMIT: u64 = 64 << 20;
