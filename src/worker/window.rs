//! Requests about the last analysis's capture: a window read again at finer
//! bins, the packets of a port or a host saved as a capture, the findings
//! counted exactly, and the packets each of some addresses sent.

use super::reader::{in_pieces, read_slices};
use super::{error_text, post, SessionCell};
use crate::protocol::{self, Extracted, FromWorker, Target, WindowAsk};
use js_sys::Uint8Array;
use portspike_core::decode::{PortKey, Proto};
use portspike_core::engine::Limits;
use portspike_core::evidence::Evidence;
use portspike_core::window::Extract;
use portspike_core::Analyzer;
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use web_sys::Blob;

/// What to read: a file, the preamble a fresh reader needs first, and a
/// byte range of it (`None`: the whole file).
type Plan = Vec<(Blob, Vec<u8>, Option<(u64, u64)>)>;

/// Read a plan's parts in turn, each in pieces: `each(Some(preamble),
/// bytes)` for a part's first piece, `each(None, bytes)` for the pieces
/// that continue it.
async fn read_plan(
    s: &SessionCell,
    plan: Plan,
    mut each: impl FnMut(Option<&[u8]>, &[u8]),
) -> Result<(), JsValue> {
    let mut bytes = Vec::new();
    for (blob, pre, range) in plan {
        let part = match range {
            Some((a, b)) => blob.slice_with_f64_and_f64(a as f64, b as f64)?,
            None => blob,
        };
        let mut first = true;
        read_slices(s, &part, |arr, _| {
            in_pieces(arr, &mut bytes, |piece, _| {
                each(first.then_some(pre.as_slice()), piece);
                first = false;
            })
        })
        .await?;
    }
    Ok(())
}

/// The byte ranges (per file) of a window, read in turn (see [`read_plan`]).
async fn read_window(
    s: &SessionCell,
    t0: i64,
    t1: i64,
    each: impl FnMut(Option<&[u8]>, &[u8]),
) -> Result<(), String> {
    let plan: Plan = {
        let s = s.borrow();
        let Some(kept) = s.kept.as_ref() else {
            return Err("no capture has been analysed".to_string());
        };
        let mut plan = Vec::new();
        for ((blob, name), index) in kept.files.iter().zip(&kept.index) {
            // A compressed file has no index: it is read again whole, from
            // its start, through its decompressor.
            let Some(index) = index.as_ref() else {
                plan.push((blob.clone(), Vec::new(), None));
                continue;
            };
            let ranges = portspike_core::window::ranges_for(index, t0, t1)
                .ok_or_else(|| format!("{name} has too many sections to index"))?;
            for (pre, a, b) in ranges {
                plan.push((blob.clone(), pre.to_vec(), Some((a, b))));
            }
        }
        plan
    };
    read_plan(s, plan, each)
        .await
        .map_err(|e| format!("reading the file failed: {}", error_text(&e)))
}

/// The window's report at a finer bin width, series only for the ports asked for.
pub(crate) async fn window(s: &SessionCell, ask: WindowAsk) {
    let Some(mut params) = s.borrow().kept.as_ref().map(|k| k.params.clone()) else {
        return;
    };
    params.bin_width_us = Some(ask.width);
    params.series_top = ask.ports.len().max(1) * 4;
    // A new reader per byte range: each is one "file" to the analyzer.
    let mut a = Analyzer::with_limits(params, Limits::COMPACT);
    // The ports asked for keep their timelines whatever the bounds.
    let asked: Vec<(Proto, u16)> = ask
        .ports
        .iter()
        .filter_map(|w| w.parse::<PortKey>().ok())
        .map(|k| (k.proto, k.port))
        .collect();
    a.protect(&asked);
    let a = RefCell::new(a);
    let mut n = 0;
    let res = read_window(s, ask.t0, ask.t1, |pre, bytes| {
        let mut a = a.borrow_mut();
        if let Some(pre) = pre {
            n += 1;
            a.begin_file(&format!("range {n}"), 0, None);
            a.feed(pre);
        }
        a.feed(bytes);
    })
    .await;
    let report = res.map(|()| {
        let mut r = a.into_inner().finish();
        r.ports.retain(|p| asked.contains(&(p.proto, p.port)));
        r.spikes.clear();
        r.scanners.clear();
        r.to_json()
    });
    post(FromWorker::Window {
        id: ask.id,
        t0: ask.t0,
        t1: ask.t1,
        report,
    });
}

/// The window's packets the selection's Wireshark filter selects, as a pcap
/// (a pcapng when they are of several link types); `matched` counts them
/// all, `note` says why any were left out.
pub(crate) async fn extract(s: &SessionCell, name: String, target: Target, t0: i64, t1: i64) {
    let Some(key) = s.borrow().kept.as_ref().map(|k| k.params.key) else {
        return;
    };
    // An unknown protocol is refused (said on the page), never read as TCP.
    let sel = match target.selection(key, t0, t1) {
        Ok(sel) => sel,
        Err(e) => {
            return post(FromWorker::Extract {
                name,
                result: Err(e),
            })
        }
    };
    let x = RefCell::new(Extract::new(sel, protocol::EXTRACT_LIMIT));
    let res = read_window(s, sel.t0_us, sel.t1_us, |pre, bytes| {
        let mut x = x.borrow_mut();
        if let Some(pre) = pre {
            x.begin(pre);
        }
        x.feed(bytes);
    })
    .await;
    let mut x = x.into_inner();
    x.end();
    let note = x.notes().join("; ");
    let (packets, matched, format) = (x.packets, x.matched(), x.format());
    let result = res.map(|()| Extracted {
        bytes: Uint8Array::from(x.finish().as_slice()),
        packets,
        matched,
        format: format.into(),
        note,
    });
    post(FromWorker::Extract { name, result });
}

/// The evidence pass: each finding's window read again (the byte ranges
/// the index names, or the whole file where it is compressed) and counted
/// exactly; the kept report takes the counts and the page gets them.
pub(crate) async fn evidence(s: &SessionCell) {
    let (e, plan): (Evidence, Plan) = {
        let s = s.borrow();
        let Some(kept) = s.kept.as_ref() else {
            return;
        };
        let e = Evidence::new(&kept.report, protocol::EVIDENCE_EXACT_TOTAL);
        let mut plan = Vec::new();
        // Nothing to count: no finding, no scanner.
        let files = if e.is_empty() {
            &[][..]
        } else {
            &kept.files[..]
        };
        for ((blob, _), index) in files.iter().zip(&kept.index) {
            match index.as_ref().and_then(|ix| e.ranges(ix)) {
                Some(ranges) => plan.extend(
                    ranges
                        .into_iter()
                        .map(|(pre, a, b)| (blob.clone(), pre.to_vec(), Some((a, b)))),
                ),
                None => plan.push((blob.clone(), Vec::new(), None)),
            }
        }
        (e, plan)
    };
    let e = RefCell::new(e);
    let failed = read_plan(s, plan, |pre, bytes| {
        let mut e = e.borrow_mut();
        if let Some(pre) = pre {
            e.begin(pre);
        }
        e.feed(bytes);
    })
    .await
    .err()
    .map(|err| {
        format!(
            "the capture could not be read again ({}): the findings' numbers are the first pass's estimates",
            error_text(&err)
        )
    });
    let e = e.into_inner();
    let exact = {
        let mut s = s.borrow_mut();
        let Some(kept) = s.kept.as_mut() else {
            return;
        };
        match failed {
            None => e.apply(&mut kept.report),
            Some(why) => portspike_core::evidence::unavailable(&mut kept.report, &why),
        }
        protocol::Exact {
            spikes: kept.report.spikes.clone(),
            scanners: kept.report.scanners.clone(),
            evidence: kept.report.evidence.clone(),
        }
    };
    post(FromWorker::Evidence {
        json: serde_json::to_string(&exact).unwrap_or_default(),
    });
}

/// Packets each of `addrs` (a JSON array) sent anywhere in the kept files,
/// read whole: whether an address named in an incident is new in this
/// baseline is exact membership, not a sketch's overlap.
pub(crate) async fn senders(s: &SessionCell, addrs: &str) {
    let addrs: Vec<std::net::IpAddr> = serde_json::from_str::<Vec<String>>(addrs)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let Some(files) = s.borrow().kept.as_ref().map(|k| k.files.clone()) else {
        return;
    };
    let e = RefCell::new(Evidence::senders(&addrs));
    let plan = files
        .into_iter()
        .map(|(b, _)| (b, Vec::new(), None))
        .collect();
    let read = read_plan(s, plan, |pre, bytes| {
        let mut e = e.borrow_mut();
        if let Some(pre) = pre {
            e.begin(pre);
        }
        e.feed(bytes);
    })
    .await;
    if read.is_err() {
        // Unread: every address stays "new" rather than guessed.
        return;
    }
    let e = e.into_inner();
    post(FromWorker::Sent {
        json: serde_json::to_string(&e.sent()).unwrap_or_default(),
    });
}
