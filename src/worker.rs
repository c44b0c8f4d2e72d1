//! The analysis worker. Runs in a `DedicatedWorkerGlobalScope`.

use crate::protocol;
use js_sys::{Object, Reflect, Uint8Array};
use portspike_core::decode::Proto;
use portspike_core::engine::Limits;
use portspike_core::Analyzer;
use sha2::Digest;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(fields: &[(&str, JsValue)]) {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    let _ = scope().post_message(&o);
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// Install the message handler.
pub fn start() {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let data = ev.data();
        match get(&data, "type").as_string().as_deref() {
            Some(protocol::ANALYZE) => {}
            Some(protocol::WINDOW) => {
                wasm_bindgen_futures::spawn_local(window(data));
                return;
            }
            Some(protocol::EXTRACT) => {
                wasm_bindgen_futures::spawn_local(extract(data));
                return;
            }
            Some(protocol::LINK) => {
                post_link(get(&data, "anonymise").as_bool().unwrap_or(false));
                return;
            }
            Some(protocol::BENCH) => {
                wasm_bindgen_futures::spawn_local(bench(data));
                return;
            }
            _ => return,
        }
        let url = get(&data, "url").as_string();
        let blobs = js_sys::Array::from(&get(&data, "blobs"));
        let names = js_sys::Array::from(&get(&data, "names"));
        let files: Vec<(Blob, String)> = blobs
            .iter()
            .zip(names.iter())
            .filter_map(|(b, n)| Some((b.dyn_into::<Blob>().ok()?, n.as_string()?)))
            .collect();
        if files.is_empty() && url.is_none() {
            post(&[
                ("type", protocol::FAILED.into()),
                ("message", "no file in the request".into()),
            ]);
            return;
        }
        // Settings that do not parse are an error, never a silent reset.
        let settings = get(&data, "settings")
            .as_string()
            .map(|j| serde_json::from_str::<protocol::Settings>(&j).map_err(|e| e.to_string()))
            .unwrap_or_else(|| Ok(protocol::Settings::default()));
        let params = match settings.and_then(|s| s.to_params()) {
            Ok(p) => p,
            Err(e) => {
                post(&[
                    ("type", protocol::FAILED.into()),
                    ("message", format!("settings: {e}").into()),
                ]);
                return;
            }
        };
        wasm_bindgen_futures::spawn_local(async move {
            let result = match url {
                Some(u) => analyze_url(u, params).await,
                None => analyze(files, params).await,
            };
            if let Err(e) = result {
                post(&[
                    ("type", protocol::FAILED.into()),
                    ("message", error_text(&e).into()),
                ]);
            }
        });
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    // A reader thread ready for the first file.
    if let Some(r) = Reader::take() {
        Reader::give_back(r);
    }
    post(&[("type", protocol::READY.into())]);
}

/// The message of a JS error (a string, an `Error` or a `DOMException`).
fn error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .or_else(|| get(e, "message").as_string())
        .unwrap_or_else(|| "reading the file failed".into())
}

/// Stream a capture from a URL (CORS) into the engine, chunk by chunk.
async fn analyze_url(url: String, params: portspike_core::Params) -> Result<(), JsValue> {
    // The page's Content-Security-Policy does not govern a worker's requests:
    // the rule the page's prompt states is enforced here too.
    let page_origin = js_sys::Reflect::get(&scope(), &"origin".into())
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    let parsed = web_sys::Url::new(&url).map_err(|_| {
        JsValue::from_str(&format!("could not fetch {url:?}: it is not an address"))
    })?;
    crate::share::fetch_allowed(&parsed.protocol(), &parsed.origin(), &page_origin)
        .map_err(|e| JsValue::from_str(&format!("could not fetch {url:?}: {e}")))?;
    let url = parsed.href();
    let resp = JsFuture::from(scope().fetch_with_str(&url))
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
        let step = JsFuture::from(reader.read()).await?;
        if get(&step, "done").as_bool().unwrap_or(true) {
            break;
        }
        run.chunk(&Uint8Array::new(&get(&step, "value")), true);
    }
    run.finish(Vec::new());
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

/// Bytes of a slice copied into wasm memory at a time.
const COPY_PIECE: u32 = 1 << 20;

/// Hand `arr` to `f` a piece of [`COPY_PIECE`] bytes at a time, copied into
/// `buf` (with whether it is the last piece): a whole slice's copy would take
/// 8 MiB of memory that wasm never gives back.
fn in_pieces(arr: &Uint8Array, buf: &mut Vec<u8>, mut f: impl FnMut(&[u8], bool)) {
    let len = arr.length();
    let mut at = 0;
    while at < len {
        let end = len.min(at + COPY_PIECE);
        buf.resize((end - at) as usize, 0);
        arr.subarray(at, end).copy_to(buf);
        at = end;
        f(buf, at == len);
    }
}

fn now_ms() -> f64 {
    scope().performance().map(|p| p.now()).unwrap_or(0.0)
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
        post(&[
            ("type", protocol::PROGRESS.into()),
            ("bytes", (p.bytes as f64).into()),
            ("total", self.total.max(p.bytes as f64).into()),
            ("packets", (p.packets as f64).into()),
            ("memory", wasm_memory().into()),
        ]);
    }

    /// Post a preview report; previews take at most a tenth of the time.
    fn preview(&mut self, now: f64) {
        self.last_preview = now;
        post(&[
            ("type", protocol::PARTIAL.into()),
            ("report", self.a.preview().to_json().into()),
        ]);
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
    fn finish(mut self, files: Vec<(Blob, String)>) {
        self.end_file();
        let t0 = now_ms();
        let p = &mut self.phases;
        p.wait = t0 - self.started - p.first_slice - p.copy - p.engine - p.preview;
        let (mut report, index) = self.a.finish_with_index();
        // The ports first, a page at a time; then the rest of the report.
        let ports = std::mem::take(&mut report.ports);
        for page in ports.chunks(protocol::PORTS_PAGE) {
            post(&[
                ("type", protocol::PORTS.into()),
                (
                    "json",
                    serde_json::to_string(page).unwrap_or_default().into(),
                ),
            ]);
        }
        let json = report.to_json();
        let n_ports = ports.len();
        report.ports = ports;
        self.phases.report = now_ms() - t0;
        let seekable = !files.is_empty() && index.iter().all(|i| i.is_some());
        let why = if files.is_empty() {
            "the capture came from a URL, which is not read twice"
        } else if !seekable {
            "the capture is compressed, so it cannot be read from the middle"
        } else {
            ""
        };
        post(&[
            ("type", protocol::DONE.into()),
            ("report", json.into()),
            ("ports", (n_ports as f64).into()),
            ("seekable", seekable.into()),
            (
                "phases",
                serde_json::to_string(&self.phases)
                    .unwrap_or_default()
                    .into(),
            ),
            ("memory", wasm_memory().into()),
            ("why", why.into()),
        ]);
        let key = report.params.key.clone();
        KEPT.with(|k| {
            *k.borrow_mut() = Some(Kept {
                files,
                index,
                params: self.params.clone(),
                key,
                report,
            })
        });
        post_link(LINK_ANONYMISED.with(|a| a.get()));
    }
}

thread_local! {
    /// The page's last choice for result links: addresses hashed or not.
    static LINK_ANONYMISED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Post the kept report packed for a result link.
fn post_link(anonymise: bool) {
    LINK_ANONYMISED.with(|a| a.set(anonymise));
    let packed = KEPT.with(|k| {
        k.borrow().as_ref().map(|k| {
            let salt = anonymise.then(|| js_sys::Math::random().to_bits());
            let sha = k.report.sha256().map(str::to_string);
            (crate::share::encode_result(&k.report, salt), sha)
        })
    });
    let Some((packed, sha)) = packed else {
        return;
    };
    post(&[
        ("type", protocol::LINK.into()),
        ("value", packed.value.into()),
        ("kept", (packed.series as f64).into()),
        ("ports", (packed.ports as f64).into()),
        ("sha256", sha.unwrap_or_default().into()),
        ("anonymised", anonymise.into()),
        ("memory", wasm_memory().into()),
    ]);
}

/// Bytes of this worker's wasm linear memory (it only grows).
fn wasm_memory() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            f64::from(
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length(),
            )
        })
        .unwrap_or(0.0)
}

/// Read `blob` in slices, in order, `each` getting every slice and whether
/// more follow. The reads run on a reader thread (`reader.js`), so the
/// browser keeps reading while the engine works: read on this thread, a
/// slice's bytes only arrive while the thread is idle. Where a worker cannot
/// start workers, the slices are read here with [`protocol::PREFETCH`] reads
/// in flight.
async fn read_slices(blob: &Blob, mut each: impl FnMut(&Uint8Array, bool)) -> Result<(), JsValue> {
    let Some(reader) = Reader::take() else {
        return read_slices_here(blob, each).await;
    };
    let req = Object::new();
    let _ = Reflect::set(&req, &"blob".into(), blob);
    let _ = Reflect::set(&req, &"slice".into(), &protocol::SLICE_BYTES.into());
    let _ = Reflect::set(&req, &"ahead".into(), &(protocol::PREFETCH as f64).into());
    reader.worker.post_message(&req)?;
    let ack = Object::new();
    let _ = Reflect::set(&ack, &"ack".into(), &true.into());
    loop {
        let m = reader.next().await;
        if let Some(e) = get(&m, "error").as_string() {
            reader.worker.terminate();
            return Err(e.into());
        }
        let last = get(&m, "last").as_bool().unwrap_or(true);
        let arr = Uint8Array::new(&get(&m, "buf"));
        if arr.length() > 0 {
            each(&arr, !last);
        }
        if last {
            Reader::give_back(reader);
            return Ok(());
        }
        reader.worker.post_message(&ack)?;
    }
}

/// A reader thread and the slices it has sent that are not yet taken.
struct Reader {
    worker: web_sys::Worker,
    inbox: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<JsValue>>>,
    waiting: std::rc::Rc<std::cell::RefCell<Option<js_sys::Function>>>,
}

thread_local! {
    /// Idle reader threads (reads may run side by side: a window re-read
    /// while the file is hashed).
    static READERS: std::cell::RefCell<Vec<Reader>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Reader {
    /// An idle reader, or a new one; `None` if no worker can be started here.
    fn take() -> Option<Reader> {
        if let Some(r) = READERS.with(|r| r.borrow_mut().pop()) {
            return Some(r);
        }
        let worker = web_sys::Worker::new("./reader.js").ok()?;
        let inbox = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
        let waiting: std::rc::Rc<std::cell::RefCell<Option<js_sys::Function>>> =
            std::rc::Rc::default();
        let (i, w) = (inbox.clone(), waiting.clone());
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            deliver(&i, &w, ev.data());
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();
        let (i, w) = (inbox.clone(), waiting.clone());
        let onerror = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            let o = Object::new();
            let _ = Reflect::set(&o, &"error".into(), &"the reader thread failed".into());
            deliver(&i, &w, o.into());
        });
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        onerror.forget();
        Some(Reader {
            worker,
            inbox,
            waiting,
        })
    }

    fn give_back(r: Reader) {
        READERS.with(|rs| rs.borrow_mut().push(r));
    }

    /// The next message from the reader.
    async fn next(&self) -> JsValue {
        if let Some(m) = self.inbox.borrow_mut().pop_front() {
            return m;
        }
        let waiting = self.waiting.clone();
        let p = js_sys::Promise::new(&mut |resolve, _| {
            *waiting.borrow_mut() = Some(resolve);
        });
        JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED)
    }
}

/// Hand a reader's message to the [`Reader::next`] waiting for it, or keep it.
fn deliver(
    inbox: &std::cell::RefCell<std::collections::VecDeque<JsValue>>,
    waiting: &std::cell::RefCell<Option<js_sys::Function>>,
    message: JsValue,
) {
    match waiting.borrow_mut().take() {
        Some(resolve) => {
            let _ = resolve.call1(&JsValue::NULL, &message);
        }
        None => inbox.borrow_mut().push_back(message),
    }
}

/// [`read_slices`] on this thread.
async fn read_slices_here(
    blob: &Blob,
    mut each: impl FnMut(&Uint8Array, bool),
) -> Result<(), JsValue> {
    let size = blob.size();
    let mut next = 0.0;
    let mut inflight = std::collections::VecDeque::new();
    loop {
        while inflight.len() < protocol::PREFETCH && next < size {
            let end = (next + protocol::SLICE_BYTES).min(size);
            let part = blob.slice_with_f64_and_f64(next, end)?;
            inflight.push_back((JsFuture::from(part.array_buffer()), end));
            next = end;
        }
        let Some((read, end)) = inflight.pop_front() else {
            return Ok(());
        };
        let ab = read.await?;
        each(&Uint8Array::new(&ab), end < size);
    }
}

async fn analyze(
    files: Vec<(Blob, String)>,
    params: portspike_core::Params,
) -> Result<(), JsValue> {
    let total: f64 = files.iter().map(|(b, _)| b.size()).sum();
    let mut run = Run::new(params, total);
    let n = files.len();
    let mut readable = true;
    for (k, (blob, name)) in files.iter().enumerate() {
        run.begin_file(name, blob.size());
        if let Err(e) = read_slices(blob, |arr, more| run.chunk(arr, more || k + 1 < n)).await {
            // What was read stays counted; the report says where reading
            // stopped, and the files after this one are not read.
            run.a.read_failed(&error_text(&e));
            readable = false;
            break;
        }
    }
    run.finish(files.clone());
    if !readable {
        return Ok(());
    }
    // The answer is out; now each file's SHA-256, read a second time so the
    // hash never slows the analysis down.
    for (k, (blob, _)) in files.iter().enumerate() {
        let mut h = sha2::Sha256::default();
        let mut buf = Vec::new();
        read_slices(blob, |arr, _| {
            in_pieces(arr, &mut buf, |piece, _| h.update(piece))
        })
        .await?;
        let sha = portspike_core::export::hex(&h.finalize());
        KEPT.with(|kept| {
            if let Some(f) = kept
                .borrow_mut()
                .as_mut()
                .and_then(|kept| kept.report.capture.files.get_mut(k))
            {
                f.sha256 = Some(sha.clone());
            }
        });
        post(&[
            ("type", protocol::HASHED.into()),
            ("index", (k as f64).into()),
            ("sha256", sha.into()),
        ]);
    }
    // The result link again, now with the files' SHA-256.
    if !files.is_empty() {
        post_link(LINK_ANONYMISED.with(|a| a.get()));
    }
    Ok(())
}

/// What a finished analysis keeps for re-reading windows of its files.
struct Kept {
    /// The final report (with the files' SHA-256 once known), for result links.
    report: portspike_core::report::Report,
    files: Vec<(Blob, String)>,
    index: Vec<Option<portspike_core::capture::Index>>,
    params: portspike_core::Params,
    key: String,
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<Kept>> = const { std::cell::RefCell::new(None) };
}

fn num(o: &JsValue, k: &str) -> i64 {
    get(o, k).as_f64().unwrap_or(0.0) as i64
}

/// The byte ranges (per file) of a window, read in turn, each in pieces:
/// `each(file, Some(preamble), bytes)` for a range's first piece, `each(file,
/// None, bytes)` for the pieces that continue it.
async fn read_window(
    t0: i64,
    t1: i64,
    mut each: impl FnMut(usize, Option<&[u8]>, &[u8]),
) -> Result<(), String> {
    let plan: Vec<(usize, Blob, Vec<u8>, u64, u64)> = KEPT.with(|k| {
        let k = k.borrow();
        let Some(kept) = k.as_ref() else {
            return Err("no capture has been analysed".to_string());
        };
        let mut plan = Vec::new();
        for (i, ((blob, name), index)) in kept.files.iter().zip(&kept.index).enumerate() {
            let index = index.as_ref().ok_or_else(|| {
                format!("{name} is compressed and cannot be read from the middle")
            })?;
            let ranges = portspike_core::window::ranges_for(index, t0, t1)
                .ok_or_else(|| format!("{name} has too many sections to index"))?;
            for (pre, a, b) in ranges {
                plan.push((i, blob.clone(), pre.to_vec(), a, b));
            }
        }
        Ok(plan)
    })?;
    let err = |e: JsValue| format!("reading the file failed: {}", error_text(&e));
    let mut bytes = Vec::new();
    for (i, blob, pre, a, b) in plan {
        let range = blob
            .slice_with_f64_and_f64(a as f64, b as f64)
            .map_err(err)?;
        let mut first = true;
        read_slices(&range, |arr, _| {
            in_pieces(arr, &mut bytes, |piece, _| {
                each(i, first.then_some(pre.as_slice()), piece);
                first = false;
            })
        })
        .await
        .map_err(err)?;
    }
    Ok(())
}

/// `{type: "window", id, t0, t1, width, ports}` → the window's report at a
/// finer bin width, series only for the ports asked for.
async fn window(data: JsValue) {
    let id = get(&data, "id");
    let (t0, t1) = (num(&data, "t0"), num(&data, "t1"));
    let width = num(&data, "width").max(1) as u64;
    let wanted: Vec<String> = get(&data, "ports")
        .as_string()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let Some(mut params) = KEPT.with(|k| k.borrow().as_ref().map(|k| k.params.clone())) else {
        return;
    };
    params.bin_width_us = Some(width);
    params.series_top = wanted.len().max(1) * 4;
    // A new reader per byte range: each is one "file" to the analyzer.
    let mut a = Analyzer::with_limits(params, Limits::COMPACT);
    // The ports asked for keep their timelines whatever the bounds.
    let asked: Vec<(Proto, u16)> = wanted
        .iter()
        .filter_map(|w| {
            let (proto, port) = w.split_once('/')?;
            Some((Proto::parse(proto)?, port.parse().ok()?))
        })
        .collect();
    a.protect(&asked);
    let a = std::cell::RefCell::new(a);
    let mut n = 0;
    let res = read_window(t0, t1, |_, pre, bytes| {
        let mut a = a.borrow_mut();
        if let Some(pre) = pre {
            n += 1;
            a.begin_file(&format!("range {n}"), 0, None);
            a.feed(pre);
        }
        a.feed(bytes);
    })
    .await;
    let mut fields: Vec<(&str, JsValue)> = vec![
        ("type", protocol::WINDOW.into()),
        ("id", id),
        ("t0", (t0 as f64).into()),
        ("t1", (t1 as f64).into()),
    ];
    match res {
        Ok(()) => {
            let mut r = a.into_inner().finish();
            r.ports.retain(|p| {
                Proto::parse(&p.proto).is_some_and(|proto| asked.contains(&(proto, p.port)))
            });
            r.spikes.clear();
            r.scanners.clear();
            fields.push(("report", r.to_json().into()));
        }
        Err(e) => fields.push(("error", e.into())),
    }
    post(&fields);
}

/// `{type: "extract", id, proto, port, t0, t1}` (a port's packets) or
/// `{type: "extract", id, host, t0, t1}` (a host's) → `{type: "extract", id,
/// bytes, packets, matched, format, note}`: the window's packets the
/// selection's Wireshark filter selects, as a pcap (`format` is `pcapng` when
/// they are of several link types); `matched` counts them all, `note` says
/// why any were left out.
async fn extract(data: JsValue) {
    let id = get(&data, "id");
    let Some(key) = KEPT.with(|k| k.borrow().as_ref().map(|k| k.key.clone())) else {
        return;
    };
    let (t0, t1) = (num(&data, "t0"), num(&data, "t1"));
    let host = get(&data, "host").as_string();
    let sel = match host.as_deref().map(str::parse::<std::net::IpAddr>) {
        Some(Ok(addr)) => portspike_core::window::Selection::host(addr, t0, t1),
        Some(Err(_)) => {
            post(&[
                ("type", protocol::EXTRACT.into()),
                ("id", id),
                ("error", "not an address".into()),
            ]);
            return;
        }
        None => portspike_core::window::Selection::port(
            portspike_core::Key::parse(&key).unwrap_or(portspike_core::Key::Service),
            get(&data, "proto")
                .as_string()
                .and_then(|p| Proto::parse(&p))
                .unwrap_or(Proto::Tcp),
            num(&data, "port") as u16,
            t0,
            t1,
        ),
    };
    let x = std::cell::RefCell::new(portspike_core::window::Extract::new(
        sel,
        protocol::EXTRACT_LIMIT,
    ));
    let res = read_window(sel.t0_us, sel.t1_us, |_, pre, bytes| {
        let mut x = x.borrow_mut();
        if let Some(pre) = pre {
            x.begin(pre);
        }
        x.feed(bytes);
    })
    .await;
    let x = x.into_inner();
    let note = x.notes().join("; ");
    let (packets, matched, format) = (x.packets, x.matched(), x.format());
    let mut fields: Vec<(&str, JsValue)> = vec![("type", protocol::EXTRACT.into()), ("id", id)];
    match res {
        Ok(()) => {
            let bytes = x.finish();
            fields.push(("bytes", Uint8Array::from(bytes.as_slice()).into()));
            fields.push(("packets", (packets as f64).into()));
            fields.push(("matched", (matched as f64).into()));
            fields.push(("format", format.into()));
            fields.push(("note", note.into()));
        }
        Err(e) => fields.push(("error", e.into())),
    }
    post(&fields);
}

/// `{type: "bench", blob}` → `{type: "bench", ms, bytes, packets}`: the
/// engine alone over a capture already in wasm memory (the benchmarks
/// compare it with the native engine on the same bytes).
async fn bench(data: JsValue) {
    let Ok(blob) = get(&data, "blob").dyn_into::<Blob>() else {
        return;
    };
    let Ok(ab) = JsFuture::from(blob.array_buffer()).await else {
        return;
    };
    let bytes = Uint8Array::new(&ab).to_vec();
    let mut best = f64::INFINITY;
    let mut packets = 0u64;
    for _ in 0..3 {
        let t = now_ms();
        let r = portspike_core::analyze_bytes(&bytes, portspike_core::Params::default());
        best = best.min(now_ms() - t);
        packets = r.capture.packets;
    }
    post(&[
        ("type", protocol::BENCH.into()),
        ("ms", best.into()),
        ("bytes", (bytes.len() as f64).into()),
        ("packets", (packets as f64).into()),
        ("memory", wasm_memory().into()),
    ]);
}
