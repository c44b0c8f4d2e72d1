//! One analysis: files (or a URL's stream) through the engine, with progress,
//! previews, the final report in pages, and the files' SHA-256 afterwards.

use super::reader::{in_pieces, read_slices};
use super::{now_ms, post, post_link, wasm_memory, Kept, SessionCell};
use crate::protocol::{self, FromWorker};
use js_sys::Uint8Array;
use portspike_core::engine::Limits;
use portspike_core::Analyzer;
use sha2::Digest;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// Stream a capture from a URL (CORS) into the engine, chunk by chunk.
pub(crate) async fn analyze_url(
    s: &SessionCell,
    url: String,
    params: portspike_core::Params,
) -> Result<(), JsValue> {
    // The page's Content-Security-Policy does not govern a worker's requests:
    // the rule the page's prompt states is enforced here too.
    let page_origin = super::scope().origin();
    let parsed = web_sys::Url::new(&url).map_err(|_| {
        JsValue::from_str(&format!("could not fetch {url:?}: it is not an address"))
    })?;
    crate::share::fetch_allowed(&parsed.protocol(), &parsed.origin(), &page_origin)
        .map_err(|e| JsValue::from_str(&format!("could not fetch {url:?}: {e}")))?;
    let url = parsed.href();
    let resp = JsFuture::from(super::scope().fetch_with_str(&url))
        .await
        .map_err(|_| {
            JsValue::from_str(&format!(
                "could not fetch {url}: the server refused or is unreachable (it must allow this page's origin with CORS)"
            ))
        })?;
    let resp: web_sys::Response = resp.dyn_into()?;
    if !resp.ok() {
        return Err(JsValue::from_str(&format!(
            "could not fetch {url}: the server answered HTTP {} {}",
            resp.status(),
            resp.status_text()
        )));
    }
    let total: f64 = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|p| p.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .unwrap_or("capture")
        .to_string();
    let body = resp
        .body()
        .ok_or_else(|| JsValue::from_str("the response has no body"))?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().dyn_into()?;
    let mut run = Run::new(params, total);
    run.hasher = Some(sha2::Sha256::default());
    run.begin_file(&name, total);
    loop {
        let step: web_sys::ReadableStreamReadResult =
            JsFuture::from(reader.read()).await?.unchecked_into();
        if step.get_done().unwrap_or(true) {
            break;
        }
        run.chunk(&Uint8Array::new(&step.get_value()), true);
    }
    run.finish(s, Vec::new());
    Ok(())
}

/// Analyse local files, then hash them in a second read.
pub(crate) async fn analyze(
    s: &SessionCell,
    files: Vec<(Blob, String)>,
    params: portspike_core::Params,
) -> Result<(), JsValue> {
    let total: f64 = files.iter().map(|(b, _)| b.size()).sum();
    let mut run = Run::new(params, total);
    let n = files.len();
    let mut readable = true;
    for (k, (blob, name)) in files.iter().enumerate() {
        run.begin_file(name, blob.size());
        if let Err(e) = read_slices(s, blob, |arr, more| run.chunk(arr, more || k + 1 < n)).await {
            // What was read stays counted; the report says where reading
            // stopped, and the files after this one are not read.
            run.a.read_failed(&super::error_text(&e));
            readable = false;
            break;
        }
    }
    run.finish(s, files.clone());
    if !readable {
        return Ok(());
    }
    // The findings are out; now each finding's window read again and
    // counted exactly, then the result link with those numbers.
    super::window::evidence(s).await;
    // The answer is out; now each file's SHA-256, read a second time so the
    // hash never slows the analysis down.
    for (k, (blob, _)) in files.iter().enumerate() {
        let mut h = sha2::Sha256::default();
        let mut buf = Vec::new();
        read_slices(s, blob, |arr, _| {
            in_pieces(arr, &mut buf, |piece, _| h.update(piece))
        })
        .await?;
        let sha = portspike_core::export::hex(&h.finalize());
        if let Some(f) = s
            .borrow_mut()
            .kept
            .as_mut()
            .and_then(|kept| kept.report.capture.files.get_mut(k))
        {
            f.sha256 = Some(sha.clone());
        }
        post(FromWorker::Hashed {
            index: k,
            sha256: sha,
        });
    }
    // The result link again, now with the files' SHA-256.
    if !files.is_empty() {
        let anonymise = s.borrow().anonymise;
        post_link(s, anonymise);
    }
    Ok(())
}

/// One analysis: the engine, the current file's hash (for a stream, which
/// cannot be read twice), and the messages to the page.
struct Run {
    a: Analyzer,
    params: portspike_core::Params,
    hasher: Option<sha2::Sha256>,
    buf: Vec<u8>,
    total: f64,
    last_preview: f64,
    /// Least time between previews: [`protocol::PREVIEW_MS`], or ten times
    /// what the last one took.
    preview_every: f64,
    phases: Phases,
    started: f64,
}

/// Where a run's time went, in ms (sent with the report, shown on
/// `<html data-worker-phases>` for the benchmark).
#[derive(Debug, Default, serde::Serialize)]
struct Phases {
    /// From the request to the first slice in hand.
    first_slice: f64,
    /// Copying slices into wasm memory.
    copy: f64,
    /// The engine.
    engine: f64,
    /// Preview reports: built, serialised and posted.
    preview: f64,
    /// The final report: built and serialised.
    report: f64,
    /// Waiting for reads.
    wait: f64,
    previews: u32,
}

impl Run {
    fn new(params: portspike_core::Params, total: f64) -> Self {
        Run {
            a: Analyzer::with_limits(params.clone(), Limits::COMPACT),
            params,
            hasher: None,
            buf: Vec::new(),
            total,
            // The first piece read gets a chart at once; then twice a second.
            last_preview: f64::NEG_INFINITY,
            preview_every: protocol::PREVIEW_MS,
            phases: Phases::default(),
            started: now_ms(),
        }
    }

    fn begin_file(&mut self, name: &str, size: f64) {
        self.a.begin_file(name, size as u64, None);
        if self.hasher.is_some() {
            self.hasher = Some(sha2::Sha256::default());
        }
    }

    /// Feed one chunk; post progress, and (at most twice a second, while more
    /// is to come) a preview report for charts while parsing.
    fn chunk(&mut self, arr: &Uint8Array, more: bool) {
        let t0 = now_ms();
        if self.phases.first_slice == 0.0 {
            self.phases.first_slice = t0 - self.started;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut t0 = now_ms();
        in_pieces(arr, &mut buf, |piece, last| {
            if let Some(h) = &mut self.hasher {
                h.update(piece);
            }
            let t1 = now_ms();
            self.a.feed(piece);
            let t2 = now_ms();
            self.phases.copy += t1 - t0;
            self.phases.engine += t2 - t1;
            // The first piece gets a chart at once (a slow capture's first
            // slice may take a while).
            if (more || !last) && t2 - self.last_preview >= self.preview_every {
                self.preview(t2);
            }
            t0 = now_ms();
        });
        self.buf = buf;
        let p = self.a.progress();
        post(FromWorker::Progress {
            bytes: p.bytes as f64,
            total: self.total.max(p.bytes as f64),
            packets: p.packets as f64,
            memory: wasm_memory(),
        });
    }

    /// Post a preview report; previews take at most a tenth of the time.
    fn preview(&mut self, now: f64) {
        self.last_preview = now;
        post(FromWorker::Partial {
            report: self.a.preview().to_json(),
        });
        let cost = now_ms() - now;
        self.phases.preview += cost;
        self.phases.previews += 1;
        self.preview_every = protocol::PREVIEW_MS.max(10.0 * cost);
    }

    fn end_file(&mut self) {
        if let Some(h) = &mut self.hasher {
            let digest = std::mem::take(h).finalize();
            self.a.set_file_sha256(portspike_core::export::hex(&digest));
        }
    }

    /// Post the report; the files' indexes are kept for re-reading windows.
    fn finish(mut self, s: &SessionCell, files: Vec<(Blob, String)>) {
        self.end_file();
        let t0 = now_ms();
        let p = &mut self.phases;
        p.wait = t0 - self.started - p.first_slice - p.copy - p.engine - p.preview;
        let (mut report, index) = self.a.finish_with_index();
        if files.is_empty() {
            portspike_core::evidence::unavailable(
                &mut report,
                "a capture fetched from an address is read once: the findings' numbers are the first pass's estimates",
            );
        }
        // The ports first, a page at a time; then the rest of the report.
        let ports = std::mem::take(&mut report.ports);
        for page in ports.chunks(protocol::PORTS_PAGE) {
            post(FromWorker::Ports {
                json: serde_json::to_string(page).unwrap_or_default(),
            });
        }
        let json = report.to_json();
        let n_ports = ports.len();
        report.ports = ports;
        self.phases.report = now_ms() - t0;
        // A compressed file is read again whole (it has no index), so a
        // window or a finding's packets can be had from it too, in the time
        // a whole read takes.
        let why = if files.is_empty() {
            "the capture came from a URL, which is not read twice"
        } else {
            ""
        };
        post(FromWorker::Done {
            report: json,
            ports: n_ports,
            why: why.into(),
            phases: serde_json::to_string(&self.phases).unwrap_or_default(),
            memory: wasm_memory(),
        });
        let anonymise = {
            let mut s = s.borrow_mut();
            s.kept = Some(Kept {
                files,
                index,
                params: self.params.clone(),
                report,
            });
            s.anonymise
        };
        post_link(s, anonymise);
    }
}
