//! Links that reproduce a view, or carry the result itself, in the URL
//! fragment (which browsers never send to a server).
//!
//! A view link holds `URLSearchParams`-style pairs: `port`, `metric`, `scale`,
//! `t0`, `t1` (µs) and the analysis settings (`key`, `bin`, `threshold`,
//! `persistence`, `baseline`, `min_excess`, `home`, `allow`). A result link adds
//! `result`: the report as deflate-compressed, base64url-encoded JSON, with
//! `v` (the generator version) and `sha256` (of the capture) beside it.

use crate::protocol::{cidr_list, Settings};
use portspike_core::report::Report;
use std::io::{Read, Write};

/// Longest `result=` value put in a link (characters). Past it the series
/// of the lowest-ranked ports are dropped until it fits.
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
}

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

/// Read a fragment (with or without `#`); unknown or malformed pairs are ignored.
pub fn parse(fragment: &str) -> Fragment {
    let mut f = Fragment::default();
    let (mut t0, mut t1) = (None, None);
    for pair in fragment.trim_start_matches('#').split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = dec(v);
        let d = &mut f.settings.detection;
        match k {
            "port" => f.view.port = Some(v),
            "metric" => f.view.metric = Some(v),
            "t0" => t0 = v.parse().ok(),
            "t1" => t1 = v.parse().ok(),
            "key" => f.settings.key = v,
            "bin" => f.settings.bin = v,
            "threshold" => d.threshold = v.parse().unwrap_or(d.threshold),
            "persistence" => {
                if let Some((a, b)) = v.split_once('/') {
                    if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                        d.persistence_k = a;
                        d.persistence_n = b;
                    }
                }
            }
            "baseline" => d.baseline_bins = v.parse().unwrap_or(d.baseline_bins),
            "min_excess" => d.min_excess = v.parse().unwrap_or(d.min_excess),
            "home" => d.home = cidr_list(&v),
            "allow" => d.allow = cidr_list(&v),
            "result" => f.result = Some(v),
            "url" => f.view.url = Some(v),
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (t0, t1) {
        f.view.range = Some((a, b));
    }
    f
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
    }
    r.params.detection.home.clear();
    r.params.detection.allow.clear();
}

/// The `result` value for a report: its series kept for as many top ports as
/// fit in [`RESULT_LIMIT`]. Returns the value and how many series were kept.
pub fn encode_result(r: &Report) -> (String, usize) {
    let mut r = r.clone();
    let mut keep = r.ports.iter().filter(|p| p.series.is_some()).count();
    loop {
        let mut seen = 0;
        for p in &mut r.ports {
            if p.series.is_some() {
                seen += 1;
                if seen > keep {
                    p.series = None;
                }
            }
        }
        let json = r.to_json();
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let packed = z
            .write_all(json.as_bytes())
            .and_then(|_| z.finish())
            .unwrap_or_default();
        let value = b64url(&packed);
        if value.len() <= RESULT_LIMIT || keep == 0 {
            return (value, keep);
        }
        keep /= 2;
    }
}

/// Decode a `result` value back into a report.
pub fn decode_result(value: &str) -> Result<Report, String> {
    let packed = unb64url(value).ok_or("the link's result is not base64url")?;
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .read_to_string(&mut json)
        .map_err(|e| format!("the link's result does not decompress: {e}"))?;
    serde_json::from_str(&json).map_err(|e| format!("the link's result is not a report: {e}"))
}

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
        let (v, kept) = encode_result(&r);
        assert!(v.len() <= RESULT_LIMIT);
        assert!(kept >= 1);
        let back = decode_result(&v).unwrap();
        assert_eq!(back.spikes, r.spikes);
        assert_eq!(back.ports[0], r.ports[0]);
    }
}
