//! Links that reproduce a view, or carry the result itself, in the URL
//! fragment (which browsers never send to a server).
//!
//! A view link holds `URLSearchParams`-style pairs: `port`, `metric`, `scale`,
//! `t0`, `t1` (µs) and the analysis settings (`key`, `bin`, `threshold`,
//! `persistence`, `baseline`, `min_excess`, `home`, `allow`), and the
//! analyst's notes (`note`) and a comparison (`diff`) with the SHA-256 of
//! the capture they were made for (`sha256`): they are attached only to that
//! capture. A result link adds `result`: the report as deflate-compressed,
//! base64url-encoded JSON, with `v` (the generator version) and `sha256` (of
//! the capture, which the report must hold too) beside it.

use crate::protocol::{cidr_list, Settings};
use portspike_core::params::bounds;
use portspike_core::report::Annotation;
use portspike_core::Key;

mod result;
#[cfg(test)]
mod tests;

pub use result::{
    anonymise, check_report, decode_diff, decode_result, decode_shared, encode_diff, encode_result,
    Packed, MAX_LINK_BINS,
};

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
    /// The analyst's notes (`note=t0~t1~text`, one pair each).
    pub notes: Vec<Annotation>,
}

/// What a fragment holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    pub view: View,
    pub settings: Settings,
    pub result: Option<String>,
    /// A comparison packed beside the result (`diff=`).
    pub diff: Option<String>,
    /// The SHA-256 of the capture the link was made from (`sha256=`): a
    /// view link's notes and comparison belong to it alone.
    pub sha256: Option<String>,
    /// Values of the link that were out of range or malformed, each naming
    /// its field: they were left out (the default kept), nothing else was.
    pub problems: Vec<String>,
}

/// Latest (and, negated, earliest) time a link or a shared report may hold
/// (µs since the epoch, ~year 2286): a capture's timestamps (64-bit
/// nanoseconds) never pass it, and JavaScript dates reach it.
pub const MAX_TS_US: i64 = 10_000_000_000_000_000;
/// Most networks a link's `home` or `allow` lists (the core's bound).
const MAX_NETWORKS: usize = bounds::NETWORKS_MAX;

/// A setting's error in a link's wording: named, and the default kept.
fn kept(field: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("{field}: {e}; the default was kept")
}
/// Longest value accepted for `port`, `metric`, `url`.
const MAX_TEXT: usize = 4096;
/// Most notes a link carries, and the longest text of one (characters).
pub const MAX_NOTES: usize = 100;
pub const MAX_NOTE_TEXT: usize = 1024;

/// A value percent-encoded for a fragment.
pub fn enc(s: &str) -> String {
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
    for n in view.notes.iter().take(MAX_NOTES) {
        pairs.push(("note", format!("{}~{}~{}", n.start_ts, n.end_ts, n.text)));
    }
    pairs.push(("key", s.key.as_str().to_string()));
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

/// The fragment (without `#`) of a link to a view: the view and settings,
/// then, when it carries notes or a comparison (`diff`, packed), the SHA-256
/// of the capture they belong to (when known) and the comparison.
pub fn view_link_fragment(
    view: &View,
    s: &Settings,
    sha256: Option<&str>,
    diff: Option<&str>,
) -> String {
    let mut out = view_fragment(view, s);
    if let Some(sha) = sha256.filter(|x| !x.is_empty()) {
        if !view.notes.is_empty() || diff.is_some() {
            out.push_str(&format!("&sha256={}", enc(sha)));
        }
    }
    if let Some(d) = diff {
        out.push_str(&format!("&diff={}", enc(d)));
    }
    out
}

/// Whether a link's notes and comparison belong to the capture on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Belongs {
    /// The link names this capture's SHA-256, or names none.
    Yes,
    /// It names another, or this capture has no SHA-256 and will get none.
    No,
    /// The capture's SHA-256 is still being computed.
    NotYet,
}

/// Whether what a link made for the capture `link` (its `sha256=`) belongs
/// to a capture whose SHA-256 is `capture` (`None`: not computed; `hashing`:
/// it is on its way).
pub fn belongs(link: Option<&str>, capture: Option<&str>, hashing: bool) -> Belongs {
    let link = link.map(str::trim).unwrap_or_default();
    match capture {
        _ if link.is_empty() => Belongs::Yes,
        Some(c) if c.trim().eq_ignore_ascii_case(link) => Belongs::Yes,
        Some(_) => Belongs::No,
        None if hashing => Belongs::NotYet,
        None => Belongs::No,
    }
}

/// The analysis settings that differ from the defaults, in words
/// (`bin 1m`, `threshold 7`): a link's settings apply to any capture.
pub fn settings_changes(s: &Settings) -> Vec<String> {
    let (d, z) = (&s.detection, Settings::default());
    let dz = &z.detection;
    let mut out = Vec::new();
    if s.key != z.key {
        out.push(format!("key {}", s.key));
    }
    if s.bin != z.bin {
        out.push(format!("bin {}", s.bin));
    }
    if d.threshold != dz.threshold {
        out.push(format!("threshold {}", d.threshold));
    }
    if (d.persistence_k, d.persistence_n) != (dz.persistence_k, dz.persistence_n) {
        out.push(format!(
            "persistence {}/{}",
            d.persistence_k, d.persistence_n
        ));
    }
    if d.baseline_bins != dz.baseline_bins {
        out.push(format!("baseline {} bins", d.baseline_bins));
    }
    if d.min_excess != dz.min_excess {
        out.push(format!("minimum excess {}", d.min_excess));
    }
    if d.home != dz.home {
        out.push(format!("home networks {}", d.home.len()));
    }
    if d.allow != dz.allow {
        out.push(format!("allowed networks {}", d.allow.len()));
    }
    out
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
    diff: Option<&str>,
) -> String {
    format!(
        "{}&v={}&sha256={}&result={}{}",
        view_fragment(view, s),
        enc(version),
        enc(sha256),
        enc(value),
        diff.map(|d| format!("&diff={}", enc(d)))
            .unwrap_or_default()
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

/// An analyst's note from a link: `t0~t1~text`, times within bounds and in
/// order, the text at most [`MAX_NOTE_TEXT`] characters.
fn note(v: &str) -> Result<Annotation, String> {
    let mut it = v.splitn(3, '~');
    let (Some(a), Some(b), Some(text)) = (it.next(), it.next(), it.next()) else {
        return Err(format!("note: {v:?} is not t0~t1~text; left out"));
    };
    let start_ts = number("note", a, -MAX_TS_US, MAX_TS_US)?;
    let end_ts = number("note", b, start_ts, MAX_TS_US)?;
    if text.chars().count() > MAX_NOTE_TEXT {
        return Err(format!(
            "note: longer than {MAX_NOTE_TEXT} characters; left out"
        ));
    }
    Ok(Annotation {
        start_ts,
        end_ts,
        text: text.to_string(),
        source: "analyst".into(),
    })
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
            "key" => check(match Key::parse(&v) {
                Some(key) => {
                    f.settings.key = key;
                    Ok(())
                }
                None => Err(format!(
                    "key: {v:?} is neither service nor dst-port; the default was kept"
                )),
            }),
            "bin" => check(match v.trim() {
                "" | "auto" => Ok(()),
                b => portspike_core::bins::parse_width(b)
                    .map(|_| f.settings.bin = v.clone())
                    .map_err(|e| format!("bin: {e}; the width is chosen from the capture")),
            }),
            // The core's bounds, this link's wording around them.
            "threshold" => check(bounds::factor(&v).map(|x| d.threshold = x).map_err(kept(k))),
            "persistence" => check(
                bounds::persistence(&v)
                    .map(|(a, b)| {
                        d.persistence_k = a;
                        d.persistence_n = b;
                    })
                    .map_err(|e| format!("persistence: {v:?}: {e}; the default was kept")),
            ),
            "baseline" => check(
                bounds::baseline(&v)
                    .map(|x| d.baseline_bins = x)
                    .map_err(kept(k)),
            ),
            "min_excess" => check(
                bounds::excess(&v)
                    .map(|x| d.min_excess = x)
                    .map_err(kept(k)),
            ),
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
            "note" => check(note(&v).and_then(|n| {
                if f.view.notes.len() >= MAX_NOTES {
                    return Err(format!("note: only the first {MAX_NOTES} notes were kept"));
                }
                f.view.notes.push(n);
                Ok(())
            })),
            "sha256" => check(text(k, v).map(|v| f.sha256 = Some(v))),
            "result" => f.result = Some(v),
            "diff" => f.diff = Some(v),
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
