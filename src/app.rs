//! The page: open a capture, follow progress, read the answer.

use crate::chart::{self, Metric};
use crate::protocol;
use crate::share;
use js_sys::{Object, Reflect};
use portspike_core::report::{PortReport, Report};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Blob, DragEvent, Event, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement, MessageEvent,
    Worker, WorkerOptions, WorkerType,
};
use yew::prelude::*;

/// Mount the app on `<body>`, and register the service worker that keeps the
/// page usable offline after the first visit.
pub fn start() {
    if let Some(w) = web_sys::window() {
        // Only secure contexts (https, localhost) have service workers.
        let nav = w.navigator();
        let has = Reflect::get(&nav, &JsValue::from_str("serviceWorker"))
            .map(|v| !v.is_undefined())
            .unwrap_or(false);
        if has {
            let _ = nav.service_worker().register("./sw.js");
        }
    }
    yew::Renderer::<App>::new().render();
}

/// Human bin width: `1 s`, `500 ms`, `5 min`.
pub fn fmt_width(us: u64) -> String {
    match us {
        u if u % 3_600_000_000 == 0 => format!("{} h", u / 3_600_000_000),
        u if u % 60_000_000 == 0 => format!("{} min", u / 60_000_000),
        u if u % 1_000_000 == 0 => format!("{} s", u / 1_000_000),
        u if u % 1_000 == 0 => format!("{} ms", u / 1_000),
        u => format!("{u} µs"),
    }
}

fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}

fn iso(us: i64) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(us as f64 / 1000.0));
    // Past JavaScript's dates (±8.64e15 ms) toISOString throws.
    if d.get_time().is_nan() {
        return portspike_core::export::human(us);
    }
    String::from(d.to_iso_string())
        .replace('T', " ")
        .replace('Z', " UTC")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Idle,
    Loading {
        name: String,
        bytes: f64,
        total: f64,
        packets: f64,
    },
    Done,
    Error,
    Cancelled,
}

impl Phase {
    fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Loading { .. } => "loading",
            Phase::Done => "done",
            Phase::Error => "error",
            Phase::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub phase: Phase,
    pub report: Option<Rc<Report>>,
    /// Index into `report.ports`.
    pub selected: usize,
    pub metric: Metric,
    /// A failure of the page or worker (not a capture error, which lives in the report).
    pub failure: Option<String>,
    /// Index into `report.spikes` of the finding shown in detail.
    pub spike: Option<usize>,
    /// Index into `report.scanners` of the scanner shown in detail.
    pub scanner: Option<usize>,
    /// Zoomed time range (µs); `None` shows the whole capture.
    pub view: Option<(i64, i64)>,
    /// A view from the page's link, applied when its capture is analysed.
    pub pending: Option<share::View>,
    /// The settings in effect.
    pub settings: protocol::Settings,
    /// The report came from a result link, not from a capture.
    pub shared: bool,
    /// Further ports drawn over the selected one (indices into `report.ports`).
    pub overlay: Vec<usize>,
    /// Where the capture was fetched from, if from a URL.
    pub source_url: Option<String>,
    /// A `#url=` waiting for the user's go-ahead.
    pub confirm_url: Option<String>,
    /// Values of the page's link that were left out, each naming its field.
    pub link_problems: Vec<String>,
    /// Logarithmic y axis.
    pub log: bool,
    /// Times in UTC (else the browser's zone).
    pub utc: bool,
    /// Why zooming cannot re-read the capture at finer bins (`None`: it can).
    pub zoom_limit: Option<String>,
    /// The zoomed window re-read at finer bins.
    pub fine: Option<Rc<Fine>>,
    /// What became of the last "save these packets".
    pub saved: Option<String>,
    /// The final report packed for a result link.
    pub link: Option<Rc<Link>>,
}

/// A report packed for a result link (by the worker).
#[derive(Debug, PartialEq)]
pub struct Link {
    pub value: String,
    /// Ports whose timelines fit in the link.
    pub kept: usize,
    /// Ports the link lists (the top ones).
    pub ports: usize,
    /// The capture's SHA-256 in the packed report ("" while not known).
    pub sha256: String,
    pub anonymised: bool,
}

/// A window of the capture re-read at a finer bin width.
#[derive(Debug, PartialEq)]
pub struct Fine {
    pub t0: i64,
    pub t1: i64,
    pub report: Report,
}

impl Fine {
    /// It holds the whole of `[t0, t1)`.
    pub fn covers(&self, t0: i64, t1: i64) -> bool {
        self.t0 <= t0 && t1 <= self.t1
    }
}

pub enum Action {
    Start(String),
    Progress {
        bytes: f64,
        total: f64,
        packets: f64,
    },
    Done(Box<Report>),
    /// The report so far, while the capture is still being read.
    Partial(Box<Report>),
    Failed(String),
    Cancel,
    Select(usize),
    Metric(Metric),
    SelectSpike(usize),
    /// Show scanner `.0` in detail (`None`: close it).
    SelectScanner(Option<usize>),
    View(Option<(i64, i64)>),
    /// Move to the next (+1) or previous (-1) finding.
    StepSpike(i32),
    /// Add a port to the chart, or take it off.
    ToggleOverlay(usize),
    Source(Option<String>),
    ConfirmUrl(Option<String>),
    ToggleLog,
    ToggleUtc,
    Settings(protocol::Settings),
    Shared(Box<Report>),
    /// The SHA-256 of file `.0`, computed after the report.
    Hashed(usize, String),
    ZoomLimit(Option<String>),
    /// The address's fragment changed (a link pasted into an open tab).
    Fragment(Box<share::Fragment>),
    Fine(Option<Rc<Fine>>),
    Saved(Option<String>),
    Link(Rc<Link>),
}

/// Select the port, metric and range a link names.
fn apply_view(s: &mut State, r: &Report, v: &share::View) {
    if let Some(i) = v
        .port
        .as_ref()
        .and_then(|p| r.ports.iter().position(|x| &port_label(x) == p))
    {
        s.selected = i;
    }
    if let Some(m) = &v.metric {
        s.metric = Metric::parse(m);
    }
    s.view = v.range;
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Start(name) => {
                s.phase = Phase::Loading {
                    name,
                    bytes: 0.0,
                    total: 0.0,
                    packets: 0.0,
                };
                s.report = None;
                s.failure = None;
                s.selected = 0;
                s.spike = None;
                s.scanner = None;
                s.view = None;
                s.fine = None;
                s.saved = None;
                s.link = None;
                s.zoom_limit = Some("the capture is still being read".into());
            }
            Action::Progress {
                bytes,
                total,
                packets,
            } => {
                if let Phase::Loading { name, .. } = &s.phase {
                    s.phase = Phase::Loading {
                        name: name.clone(),
                        bytes,
                        total,
                        packets,
                    };
                }
            }
            Action::Done(report) => {
                // A capture that could not be read at all is an error; one read
                // partly is a result with an error note.
                s.phase = if report.capture.error.is_some() && report.capture.packets == 0 {
                    Phase::Error
                } else {
                    Phase::Done
                };
                // Open on the strongest finding, if any.
                s.selected = report
                    .spikes
                    .first()
                    .and_then(|sp| {
                        report
                            .ports
                            .iter()
                            .position(|p| p.proto == sp.proto && p.port == sp.port)
                    })
                    .unwrap_or(0);
                s.spike = None;
                s.view = None;
                s.overlay.clear();
                s.shared = false;
                if let Some(v) = s.pending.take() {
                    apply_view(&mut s, &report, &v);
                }
                s.report = Some(Rc::new(*report));
            }
            Action::Partial(report) => {
                if matches!(s.phase, Phase::Loading { .. }) {
                    s.report = Some(Rc::new(*report));
                }
            }
            Action::Shared(report) => {
                s.phase = Phase::Done;
                s.selected = 0;
                s.spike = None;
                s.view = None;
                s.shared = true;
                s.fine = None;
                s.link = None;
                s.zoom_limit = Some("a shared result carries no capture".into());
                if let Some(v) = s.pending.take() {
                    apply_view(&mut s, &report, &v);
                }
                s.report = Some(Rc::new(*report));
            }
            Action::Settings(set) => s.settings = set,
            Action::Failed(msg) => {
                s.phase = Phase::Error;
                s.failure = Some(msg);
            }
            Action::Cancel => {
                if matches!(s.phase, Phase::Loading { .. }) {
                    s.phase = Phase::Cancelled;
                }
            }
            Action::Select(i) => {
                s.selected = i;
                s.spike = None;
                s.view = None;
            }
            Action::Metric(m) => s.metric = m,
            Action::SelectScanner(i) => {
                let sc = i.and_then(|i| Some((i, s.report.as_ref()?.scanners.get(i)?.clone())));
                s.scanner = sc.as_ref().map(|(i, _)| *i);
                s.saved = None;
                if let (Some((_, sc)), Some(r)) = (sc, s.report.clone()) {
                    s.spike = None;
                    // Its busiest port on the chart, over all its activity.
                    if let Some(pi) = sc.top_ports.first().and_then(|tp| {
                        r.ports
                            .iter()
                            .position(|p| p.proto == tp.proto && p.port == tp.port)
                    }) {
                        s.selected = pi;
                    }
                    let w = r.bin_width_us as i64;
                    let pad = ((sc.last_ts - sc.first_ts) / 10).max(10 * w);
                    s.view = Some((sc.first_ts - pad, sc.last_ts + pad));
                }
            }
            Action::SelectSpike(i) => {
                if let Some(r) = &s.report {
                    if let Some(sp) = r.spikes.get(i) {
                        if let Some(pi) = r
                            .ports
                            .iter()
                            .position(|p| p.proto == sp.proto && p.port == sp.port)
                        {
                            s.selected = pi;
                        }
                        // The finding with as much context again on each side.
                        let w = r.bin_width_us as i64;
                        let pad = ((sp.end_ts - sp.start_ts) / 2).max(10 * w);
                        s.view = Some((sp.start_ts - pad, sp.end_ts + pad));
                        s.spike = Some(i);
                        s.scanner = None;
                    }
                }
            }
            Action::View(v) => {
                s.view = v;
                if v.is_none() {
                    s.fine = None;
                }
            }
            Action::Source(u) => {
                s.source_url = u;
                s.confirm_url = None;
            }
            Action::ConfirmUrl(u) => s.confirm_url = u,
            Action::ToggleOverlay(i) => {
                if let Some(k) = s.overlay.iter().position(|x| *x == i) {
                    s.overlay.remove(k);
                } else if i != s.selected && s.overlay.len() < 6 {
                    s.overlay.push(i);
                }
            }
            Action::StepSpike(d) => {
                // In the order the findings are listed.
                let order = s
                    .report
                    .as_ref()
                    .map(|r| r.finding_order())
                    .unwrap_or_default();
                let n = order.len();
                if n > 0 {
                    let at = s.spike.and_then(|i| order.iter().position(|x| *x == i));
                    let next = match at {
                        None => 0,
                        Some(k) => (k as i64 + i64::from(d)).rem_euclid(n as i64) as usize,
                    };
                    if let Some(i) = order.get(next) {
                        return Rc::new(s).reduce(Action::SelectSpike(*i));
                    }
                }
            }
            Action::ToggleLog => s.log = !s.log,
            Action::ToggleUtc => s.utc = !s.utc,
            Action::ZoomLimit(z) => s.zoom_limit = z,
            Action::Fragment(f) => {
                s.link_problems = f.problems.clone();
                if let Some(v) = &f.result {
                    match share::decode_result(v) {
                        Ok(r) => {
                            s.report = Some(Rc::new(r));
                            s.phase = Phase::Done;
                            s.shared = true;
                            s.selected = 0;
                            s.spike = None;
                            s.fine = None;
                            s.zoom_limit = Some("a shared result carries no capture".into());
                        }
                        Err(e) => {
                            s.failure = Some(e);
                            s.phase = Phase::Error;
                        }
                    }
                }
                match s.report.clone() {
                    Some(r) => apply_view(&mut s, &r, &f.view),
                    None => s.pending = Some(f.view.clone()),
                }
                if f.result.is_none() && f.view.url.is_some() && f.view.url != s.source_url {
                    s.confirm_url = f.view.url.clone();
                }
            }
            Action::Fine(f) => s.fine = f,
            Action::Saved(m) => s.saved = m,
            Action::Link(l) => s.link = Some(l),
            Action::Hashed(i, sha) => {
                if let Some(r) = &s.report {
                    let mut r = (**r).clone();
                    if let Some(f) = r.capture.files.get_mut(i) {
                        f.sha256 = Some(sha);
                    }
                    s.report = Some(Rc::new(r));
                }
            }
        }
        Rc::new(s)
    }
}

/// The running worker and its message handler (kept alive together), the
/// files last opened (to analyse again with new settings) and the settings.
#[derive(Default)]
struct Running {
    worker: Option<Worker>,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    files: Vec<(Blob, String)>,
    /// The capture came from this URL (analysed again by fetching it again).
    url: Option<String>,
    settings: protocol::Settings,
    /// A worker started ahead of need, so a dropped capture is read at once.
    spare: Option<Spare>,
}

/// A started worker and whether it has said READY.
struct Spare {
    worker: Worker,
    ready: Rc<std::cell::Cell<bool>>,
    /// It failed to start (it is not used; a new one is started instead).
    failed: Rc<std::cell::Cell<bool>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(Event)>,
}

fn spawn_worker() -> Result<Worker, JsValue> {
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Classic);
    opts.set_name("portspike-worker");
    Worker::new_with_options("./worker_loader.js", &opts)
}

impl Running {
    fn stop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.terminate();
        }
        self._onmessage = None;
    }

    /// Start the next analysis's worker now (while the page is idle).
    fn warm(&mut self) {
        if self.spare.is_some() {
            return;
        }
        let Ok(worker) = spawn_worker() else {
            return;
        };
        let ready = Rc::new(std::cell::Cell::new(false));
        let r = ready.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if get(&ev.data(), "type").as_string().as_deref() == Some(protocol::READY) {
                r.set(true);
                // For tests and benchmarks: a dropped capture is read at once.
                html_attr("data-worker", Some("ready"));
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        let failed = Rc::new(std::cell::Cell::new(false));
        let f = failed.clone();
        let onerror = Closure::<dyn FnMut(Event)>::new(move |_: Event| f.set(true));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        self.spare = Some(Spare {
            worker,
            ready,
            failed,
            _onmessage: onmessage,
            _onerror: onerror,
        });
    }

    /// The spare worker (and whether it is ready), or a new one.
    fn take_worker(&mut self) -> Result<(Worker, bool), JsValue> {
        match self.spare.take() {
            Some(s) if !s.failed.get() => Ok((s.worker, s.ready.get())),
            Some(s) => {
                s.worker.terminate();
                Ok((spawn_worker()?, false))
            }
            None => Ok((spawn_worker()?, false)),
        }
    }
}

/// Dispatches actions in a later task, in the order they were given.
#[derive(Clone)]
struct Later {
    dispatch: UseReducerDispatcher<State>,
    queue: Rc<RefCell<std::collections::VecDeque<Action>>>,
}

impl Later {
    fn new(dispatch: UseReducerDispatcher<State>) -> Self {
        Later {
            dispatch,
            queue: Rc::default(),
        }
    }

    fn dispatch(&self, a: Action) {
        let first = {
            let mut q = self.queue.borrow_mut();
            q.push_back(a);
            q.len() == 1
        };
        if first {
            let this = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                next_task().await;
                loop {
                    let Some(a) = this.queue.borrow_mut().pop_front() else {
                        break;
                    };
                    this.dispatch.dispatch(a);
                }
            });
        }
    }
}

/// Start a spare worker once the current task is over (never while the
/// state is borrowed).
fn warm_later(running: std::rc::Weak<RefCell<Running>>) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(r) = running.upgrade() {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.warm();
            }
        }
    });
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// Start analysing `files` (one capture, or a rotated set) in a fresh worker.
fn analyze(
    running: &Rc<RefCell<Running>>,
    dispatch: &UseReducerDispatcher<State>,
    files: Vec<(Blob, String)>,
) {
    analyze_from(running, dispatch, files, None)
}

/// Start analysing local files, or (with `url`) a capture the worker fetches.
fn analyze_from(
    running: &Rc<RefCell<Running>>,
    dispatch: &UseReducerDispatcher<State>,
    files: Vec<(Blob, String)>,
    url: Option<String>,
) {
    running.borrow_mut().stop();
    running.borrow_mut().files = files.clone();
    running.borrow_mut().url = url.clone();
    let settings = serde_json::to_string(&running.borrow().settings).unwrap_or_default();
    let label = match (files.as_slice(), &url) {
        (_, Some(u)) => u.clone(),
        ([(_, name)], None) => name.clone(),
        (many, None) => format!("{} files", many.len()),
    };
    dispatch.dispatch(Action::Start(label));
    dispatch.dispatch(Action::Source(url.clone()));
    let taken = running.borrow_mut().take_worker();
    html_attr("data-worker", None);
    let (worker, ready) = match taken {
        Ok(w) => w,
        Err(e) => {
            dispatch.dispatch(Action::Failed(format!(
                "could not start the analysis worker: {e:?}"
            )));
            return;
        }
    };
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"type".into(), &protocol::ANALYZE.into());
    let blobs = js_sys::Array::new();
    let names = js_sys::Array::new();
    for (b, n) in &files {
        blobs.push(b);
        names.push(&JsValue::from_str(n));
    }
    let _ = Reflect::set(&msg, &"blobs".into(), &blobs);
    let _ = Reflect::set(&msg, &"names".into(), &names);
    let _ = Reflect::set(&msg, &"settings".into(), &settings.into());
    if let Some(u) = &url {
        let _ = Reflect::set(&msg, &"url".into(), &JsValue::from_str(u));
    }
    if ready {
        if let Err(e) = worker.post_message(&msg) {
            dispatch.dispatch(Action::Failed(format!(
                "could not send the file to the worker: {e:?}"
            )));
        }
    }
    // The worker's messages become actions in order, each batch in a task of
    // its own: parsing a report and drawing it never add up to one long task.
    let d = Later::new(dispatch.clone());
    let w = worker.clone();
    let weak = Rc::downgrade(running);
    // The final report's ports, as their pages arrive (or why one did not parse).
    let pages: RefCell<Result<Vec<PortReport>, String>> = RefCell::new(Ok(Vec::new()));
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        match get(&data, "type").as_string().as_deref() {
            Some(protocol::READY) => {
                if let Err(e) = w.post_message(&msg) {
                    d.dispatch(Action::Failed(format!(
                        "could not send the file to the worker: {e:?}"
                    )));
                }
            }
            Some(protocol::PROGRESS) => {
                note_worker_memory(&data);
                d.dispatch(Action::Progress {
                    bytes: get(&data, "bytes").as_f64().unwrap_or(0.0),
                    total: get(&data, "total").as_f64().unwrap_or(0.0),
                    packets: get(&data, "packets").as_f64().unwrap_or(0.0),
                })
            }
            Some(protocol::PARTIAL) => {
                let json = get(&data, "report").as_string().unwrap_or_default();
                if let Ok(r) = serde_json::from_str::<Report>(&json) {
                    d.dispatch(Action::Partial(Box::new(r)));
                }
            }
            Some(protocol::PORTS) => {
                let json = get(&data, "json").as_string().unwrap_or_default();
                let mut pages = pages.borrow_mut();
                if let Ok(ports) = pages.as_mut() {
                    match serde_json::from_str::<Vec<PortReport>>(&json) {
                        Ok(mut page) => ports.append(&mut page),
                        // Said once the report is complete.
                        Err(e) => *pages = Err(format!("a page of its ports did not parse: {e}")),
                    }
                }
            }
            Some(protocol::DONE) => {
                note_worker_memory(&data);
                note_worker_phases(&data);
                warm_later(weak.clone());
                let json = get(&data, "report").as_string().unwrap_or_default();
                let ports = pages.replace(Ok(Vec::new()));
                let paged = get(&data, "ports").as_f64().unwrap_or(0.0) as usize;
                let parsed = serde_json::from_str::<Report>(&json)
                    .map_err(|e| e.to_string())
                    .and_then(|r| Ok((r, ports?)))
                    .and_then(|(mut r, ports)| {
                        if ports.len() != paged {
                            return Err(format!("{} of its {paged} ports arrived", ports.len()));
                        }
                        r.ports = ports;
                        Ok(r)
                    });
                match parsed {
                    Ok(r) => {
                        d.dispatch(Action::Done(Box::new(r)));
                        let why = get(&data, "why").as_string().unwrap_or_default();
                        d.dispatch(Action::ZoomLimit((!why.is_empty()).then_some(why)));
                    }
                    Err(e) => d.dispatch(Action::Failed(format!(
                        "the worker's report did not parse: {e}"
                    ))),
                }
            }
            Some(protocol::WINDOW) => {
                let json = get(&data, "report").as_string().unwrap_or_default();
                let latest = get(&data, "id").as_f64() == Some(LATEST.with(|l| l.get()));
                if latest {
                    let fine = serde_json::from_str::<Report>(&json).ok().map(|r| {
                        Rc::new(Fine {
                            t0: get(&data, "t0").as_f64().unwrap_or(0.0) as i64,
                            t1: get(&data, "t1").as_f64().unwrap_or(0.0) as i64,
                            report: r,
                        })
                    });
                    d.dispatch(Action::Fine(fine));
                }
            }
            Some(protocol::EXTRACT) => {
                let msg = if let Some(e) = get(&data, "error").as_string() {
                    format!("Could not save the packets: {e}")
                } else {
                    let bytes = js_sys::Uint8Array::new(&get(&data, "bytes"));
                    let packets = get(&data, "packets").as_f64().unwrap_or(0.0);
                    let matched = get(&data, "matched").as_f64().unwrap_or(packets);
                    let mut name = get(&data, "id").as_string().unwrap_or_default();
                    // Packets of several link types come as a pcapng.
                    if get(&data, "format").as_string().as_deref() == Some("pcapng") {
                        name = format!("{}.pcapng", name.trim_end_matches(".pcap"));
                    }
                    let note = get(&data, "note").as_string().unwrap_or_default();
                    save_bytes(&name, &bytes);
                    saved_text(packets, matched, &name, &note)
                };
                d.dispatch(Action::Saved(Some(msg)));
            }
            Some(protocol::LINK) => {
                note_worker_memory(&data);
                if let Some(value) = get(&data, "value").as_string() {
                    d.dispatch(Action::Link(Rc::new(Link {
                        value,
                        kept: get(&data, "kept").as_f64().unwrap_or(0.0) as usize,
                        ports: get(&data, "ports").as_f64().unwrap_or(0.0) as usize,
                        sha256: get(&data, "sha256").as_string().unwrap_or_default(),
                        anonymised: get(&data, "anonymised").as_bool().unwrap_or(false),
                    })));
                }
            }
            Some(protocol::HASHED) => {
                if let (Some(i), Some(sha)) = (
                    get(&data, "index").as_f64(),
                    get(&data, "sha256").as_string(),
                ) {
                    d.dispatch(Action::Hashed(i as usize, sha));
                }
            }
            Some(protocol::FAILED) => {
                warm_later(weak.clone());
                d.dispatch(Action::Failed(
                    get(&data, "message")
                        .as_string()
                        .unwrap_or_else(|| "analysis failed".into()),
                ))
            }
            _ => {}
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    let d = dispatch.clone();
    let weak = Rc::downgrade(running);
    let onerror = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
        warm_later(weak.clone());
        let msg = get(&ev, "message").as_string().unwrap_or_default();
        d.dispatch(Action::Failed(format!(
            "the analysis worker crashed{}",
            if msg.is_empty() {
                String::new()
            } else {
                format!(": {msg}")
            }
        )));
    });
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();

    let mut r = running.borrow_mut();
    r.worker = Some(worker);
    r._onmessage = Some(onmessage);
}

#[function_component(App)]
pub fn app() -> Html {
    // The address's fragment: a view to restore, settings, maybe a result.
    let fragment = use_memo((), |_| {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        share::parse(&hash)
    });
    let state = {
        let f = fragment.clone();
        use_reducer(move || State {
            phase: Phase::Idle,
            report: None,
            selected: 0,
            metric: Metric::Packets,
            failure: None,
            spike: None,
            scanner: None,
            view: None,
            pending: (f.view != share::View::default()).then(|| f.view.clone()),
            settings: f.settings.clone(),
            shared: false,
            overlay: Vec::new(),
            source_url: None,
            confirm_url: f.view.url.clone().filter(|_| f.result.is_none()),
            link_problems: f.problems.clone(),
            log: false,
            utc: true,
            zoom_limit: Some("no capture is open".into()),
            fine: None,
            saved: None,
            link: None,
        })
    };
    let running = {
        let f = fragment.clone();
        use_mut_ref(move || Running {
            settings: f.settings.clone(),
            ..Running::default()
        })
    };
    // The first analysis's worker starts with the page.
    {
        let running = running.clone();
        use_effect_with((), move |_| warm_later(Rc::downgrade(&running)));
    }
    // A result link: show the result it carries, no capture needed.
    {
        let dispatch = state.dispatcher();
        let f = fragment.clone();
        use_effect_with((), move |_| {
            if let Some(v) = &f.result {
                match share::decode_result(v) {
                    Ok(r) => dispatch.dispatch(Action::Shared(Box::new(r))),
                    Err(e) => dispatch.dispatch(Action::Failed(e)),
                }
            }
        });
    }
    let dragging = use_state(|| false);
    // A link pasted into this tab changes only the fragment: follow it.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let cb = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                let hash = web_sys::window()
                    .and_then(|w| w.location().hash().ok())
                    .unwrap_or_default();
                dispatch.dispatch(Action::Fragment(Box::new(share::parse(&hash))));
            });
            if let Some(w) = web_sys::window() {
                let _ =
                    w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
            }
            // Lives as long as the page.
            cb.forget();
        });
    }

    // <html data-state=…>
    {
        let phase = state.phase.as_str();
        use_effect_with(phase, move |phase| html_attr("data-state", Some(phase)));
    }

    // Keys: j / k move through the findings (not while typing).
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let window = web_sys::window();
            let keydown = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    });
                if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                match e.key().as_str() {
                    "j" => dispatch.dispatch(Action::StepSpike(1)),
                    "k" => dispatch.dispatch(Action::StepSpike(-1)),
                    _ => {}
                }
            });
            if let Some(w) = &window {
                let _ =
                    w.add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "keydown",
                        keydown.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // Drop anywhere on the window.
    {
        let dispatch = state.dispatcher();
        let running = running.clone();
        let dragging = dragging.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window();
            let over = {
                let dragging = dragging.clone();
                Closure::<dyn FnMut(DragEvent)>::new(move |e: DragEvent| {
                    e.prevent_default();
                    dragging.set(true);
                })
            };
            let leave = {
                let dragging = dragging.clone();
                Closure::<dyn FnMut(DragEvent)>::new(move |e: DragEvent| {
                    if e.related_target().is_none() {
                        dragging.set(false);
                    }
                })
            };
            let drop = Closure::<dyn FnMut(DragEvent)>::new(move |e: DragEvent| {
                e.prevent_default();
                dragging.set(false);
                let files = e.data_transfer().and_then(|dt| dt.files());
                let files = files.map(file_list).unwrap_or_default();
                if !files.is_empty() {
                    analyze(&running, &dispatch, files);
                }
            });
            if let Some(w) = &window {
                let _ =
                    w.add_event_listener_with_callback("dragover", over.as_ref().unchecked_ref());
                let _ =
                    w.add_event_listener_with_callback("dragleave", leave.as_ref().unchecked_ref());
                let _ = w.add_event_listener_with_callback("drop", drop.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "dragover",
                        over.as_ref().unchecked_ref(),
                    );
                    let _ = w.remove_event_listener_with_callback(
                        "dragleave",
                        leave.as_ref().unchecked_ref(),
                    );
                    let _ = w
                        .remove_event_listener_with_callback("drop", drop.as_ref().unchecked_ref());
                }
            }
        });
    }

    let on_file = {
        let dispatch = state.dispatcher();
        let running = running.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = input.files().map(file_list).unwrap_or_default();
            if !files.is_empty() {
                analyze(&running, &dispatch, files);
            }
            input.set_value("");
        })
    };

    let on_sample = {
        let dispatch = state.dispatcher();
        let running = running.clone();
        Callback::from(move |_: MouseEvent| {
            let dispatch = dispatch.clone();
            let running = running.clone();
            dispatch.dispatch(Action::Start("sample.pcap".into()));
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_blob("./static/sample.pcap").await {
                    Ok(blob) => analyze(&running, &dispatch, vec![(blob, "sample.pcap".into())]),
                    Err(e) => dispatch.dispatch(Action::Failed(format!(
                        "could not load the sample capture: {e}"
                    ))),
                }
            });
        })
    };

    let on_cancel = {
        let dispatch = state.dispatcher();
        let running = running.clone();
        Callback::from(move |_: MouseEvent| {
            running.borrow_mut().stop();
            dispatch.dispatch(Action::Cancel);
        })
    };

    let handlers = {
        let d1 = state.dispatcher();
        let d2 = state.dispatcher();
        let d3 = state.dispatcher();
        let d4 = state.dispatcher();
        let d5 = state.dispatcher();
        let d6 = state.dispatcher();
        let d7 = state.dispatcher();
        Handlers {
            anonymise: {
                let running = running.clone();
                Callback::from(move |on: bool| {
                    post_worker(
                        &running,
                        &[("type", protocol::LINK.into()), ("anonymise", on.into())],
                    )
                })
            },
            select: Callback::from(move |i: usize| d1.dispatch(Action::Select(i))),
            overlay: Callback::from(move |i: usize| d7.dispatch(Action::ToggleOverlay(i))),
            metric: Callback::from(move |m: Metric| d2.dispatch(Action::Metric(m))),
            spike: Callback::from(move |i: usize| d3.dispatch(Action::SelectSpike(i))),
            view: Callback::from(move |v| d4.dispatch(Action::View(v))),
            log: Callback::from(move |_| d5.dispatch(Action::ToggleLog)),
            utc: Callback::from(move |_| d6.dispatch(Action::ToggleUtc)),
            save: {
                let running = running.clone();
                let report = state.report.clone();
                let d = state.dispatcher();
                Callback::from(move |i: usize| {
                    let Some(sp) = report.as_ref().and_then(|r| r.spikes.get(i)) else {
                        return;
                    };
                    let name = format!(
                        "portspike-{}{}-{}.pcap",
                        sp.proto,
                        sp.port,
                        portspike_core::export::iso8601(sp.start_ts).replace([':', '-'], "")
                    );
                    d.dispatch(Action::Saved(Some(format!(
                        "Reading the packets for {name}…"
                    ))));
                    post_worker(
                        &running,
                        &[
                            ("type", protocol::EXTRACT.into()),
                            ("id", name.into()),
                            ("proto", sp.proto.clone().into()),
                            ("port", f64::from(sp.port).into()),
                            ("t0", (sp.start_ts as f64).into()),
                            ("t1", (sp.end_ts as f64).into()),
                        ],
                    );
                })
            },
            scanner: {
                let d = state.dispatcher();
                Callback::from(move |i: Option<usize>| d.dispatch(Action::SelectScanner(i)))
            },
            save_scanner: {
                let running = running.clone();
                let report = state.report.clone();
                let d = state.dispatcher();
                Callback::from(move |i: usize| {
                    let Some(sc) = report.as_ref().and_then(|r| r.scanners.get(i)) else {
                        return;
                    };
                    let name = format!(
                        "portspike-scanner-{}-{}.pcap",
                        sc.source.replace([':', '.'], "_"),
                        portspike_core::export::iso8601(sc.first_ts).replace([':', '-'], "")
                    );
                    d.dispatch(Action::Saved(Some(format!(
                        "Reading the packets for {name}…"
                    ))));
                    post_worker(
                        &running,
                        &[
                            ("type", protocol::EXTRACT.into()),
                            ("id", name.into()),
                            ("host", sc.source.clone().into()),
                            ("t0", (sc.first_ts as f64).into()),
                            ("t1", ((sc.last_ts + 1) as f64).into()),
                        ],
                    );
                })
            },
        }
    };
    // Zoomed in past the stored bins, or a port without a stored timeline
    // shown: ask the worker for the window at a finer width, or for the whole
    // capture at the stored width (after the view has rested 120 ms).
    {
        let running = running.clone();
        let report = state.report.clone();
        let ports: Vec<String> = report
            .iter()
            .flat_map(|r| {
                std::iter::once(state.selected)
                    .chain(state.overlay.iter().copied())
                    .filter_map(|i| r.ports.get(i).map(port_label))
                    .collect::<Vec<_>>()
            })
            .collect();
        let can = state.zoom_limit.is_none() && state.phase == Phase::Done;
        let fine = state.fine.clone();
        // A port without a stored timeline (ranked below the top ports) gets
        // one by a re-read of the whole capture at the stored width.
        let missing = report.as_ref().and_then(|r| {
            std::iter::once(state.selected)
                .chain(state.overlay.iter().copied())
                .any(|i| r.ports.get(i).is_some_and(|p| p.series.is_none()))
                .then(|| grid_span(r))
                .flatten()
        });
        use_effect_with(
            (
                state.view,
                ports,
                can,
                report.map(|r| r.bin_width_us),
                missing,
            ),
            move |(view, ports, can, stored, missing)| {
                let id = LATEST.with(|l| {
                    l.set(l.get() + 1.0);
                    l.get()
                });
                let wanted = match (*view, *stored) {
                    (Some((t0, t1)), Some(stored)) => fine_width(t0, t1, stored)
                        .or(missing.map(|_| stored))
                        .map(|w| (t0, t1, w)),
                    (None, Some(stored)) => missing.map(|(t0, t1)| (t0, t1, stored)),
                    _ => None,
                };
                if let (Some((t0, t1, width)), true) = (wanted, *can) {
                    let done = fine.as_ref().is_some_and(|f| {
                        f.covers(t0, t1)
                            && f.report.bin_width_us == width
                            && ports
                                .iter()
                                .all(|p| f.report.ports.iter().any(|x| &port_label(x) == p))
                    });
                    if !done {
                        let ports = ports.join(",");
                        let cb = Closure::once_into_js(move || {
                            if LATEST.with(|l| l.get()) == id {
                                // A margin either side so small pans stay covered.
                                let m = (t1 - t0) / 4;
                                post_worker(
                                    &running,
                                    &[
                                        ("type", protocol::WINDOW.into()),
                                        ("id", id.into()),
                                        ("t0", ((t0 - m) as f64).into()),
                                        ("t1", ((t1 + m) as f64).into()),
                                        ("width", (width as f64).into()),
                                        ("ports", ports.into()),
                                    ],
                                );
                            }
                        });
                        if let Some(w) = web_sys::window() {
                            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                                cb.unchecked_ref(),
                                120,
                            );
                        }
                    }
                }
            },
        );
    }
    let on_settings = {
        let dispatch = state.dispatcher();
        let running = running.clone();
        Callback::from(move |s: protocol::Settings| {
            dispatch.dispatch(Action::Settings(s.clone()));
            running.borrow_mut().settings = s;
            let files = running.borrow().files.clone();
            let url = running.borrow().url.clone();
            if !files.is_empty() || url.is_some() {
                analyze_from(&running, &dispatch, files, url);
            }
        })
    };
    let on_url_open = {
        let dispatch = state.dispatcher();
        let running = running.clone();
        let url = state.confirm_url.clone();
        Callback::from(move |_: MouseEvent| {
            // The address as the browser parsed it, the one the prompt showed.
            if let Some(Ok((href, _))) = url.as_deref().map(fetch_target) {
                analyze_from(&running, &dispatch, Vec::new(), Some(href));
            }
        })
    };
    let on_url_cancel = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::ConfirmUrl(None)))
    };
    let loading = matches!(state.phase, Phase::Loading { .. });
    html! {
        <div class={classes!("app", (*dragging).then_some("dragging"))}>
            <header class="top">
                <h1>{"portspike"}</h1>
                <p class="tagline">{"Which ports suddenly got busy, when, and from whom. Your capture is analysed in this tab and never uploaded."}</p>
            </header>
            <section class="drop" data-testid="drop-zone" aria-label="Open a capture">
                <p class="drop-hint">{"Drop a pcap or pcapng file (or a rotated set, gzip or zstd compressed) anywhere on this page, or"}</p>
                <label class="button">
                    {"Choose a file…"}
                    <input data-testid="file-input" type="file" multiple=true accept=".pcap,.pcapng,.cap,.dmp,.gz,.zst,.pcap.gz,.pcapng.gz,.pcap.zst,.pcapng.zst,application/vnd.tcpdump.pcap" onchange={on_file} />
                </label>
                <button class="button secondary" data-testid="sample-button" onclick={on_sample} disabled={loading}>
                    {"Try the sample capture (SMB worm sweep)"}
                </button>
            </section>
            { confirm_view(&state, on_url_open, on_url_cancel) }
            if !state.link_problems.is_empty() {
                <section class="note" data-testid="link-problems" role="status">
                    {format!("Some values of this link were left out: {}.", state.link_problems.join("; "))}
                </section>
            }
            <SettingsPanel on_apply={on_settings} initial={fragment.settings.clone()} />
            { progress_view(&state, on_cancel) }
            { failure_view(&state) }
            { result_view(&state, handlers) }
            <div class="overlay" aria-hidden="true">{"Drop to analyse"}</div>
        </div>
    }
}

/// The files of a drop or a file picker, as (blob, name) pairs.
fn file_list(fl: web_sys::FileList) -> Vec<(Blob, String)> {
    (0..fl.length())
        .filter_map(|i| fl.get(i))
        .map(|f| {
            let name = f.name();
            (f.into(), name)
        })
        .collect()
}

async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not a response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let blob = wasm_bindgen_futures::JsFuture::from(resp.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    blob.dyn_into::<Blob>()
        .map_err(|_| "not a blob".to_string())
}

/// A link's `#url=` as the browser's URL parser reads it (relative to the
/// page): its address and host, if it may be fetched (https, or the page's
/// own origin; the worker checks the same).
fn fetch_target(u: &str) -> Result<(String, String), String> {
    let loc = web_sys::window().ok_or("no window")?.location();
    let base = loc.href().map_err(|_| "the page has no address")?;
    let origin = loc.origin().map_err(|_| "the page has no origin")?;
    let url = web_sys::Url::new_with_base(u, &base).map_err(|_| "it is not an address")?;
    share::fetch_allowed(&url.protocol(), &url.origin(), &origin)?;
    Ok((url.href(), url.host()))
}

/// Ask before fetching a capture named by the page's `#url=`.
fn confirm_view(state: &State, open: Callback<MouseEvent>, cancel: Callback<MouseEvent>) -> Html {
    let Some(u) = &state.confirm_url else {
        return html! {};
    };
    let (href, host) = match fetch_target(u) {
        Ok(t) => t,
        Err(e) => {
            return html! {
                <section class="confirm" data-testid="url-confirm" role="alert">
                    <p data-testid="url-refused">{format!("This link asks to open a capture at {u:?}; it is not fetched: {e}.")}</p>
                    <button class="button secondary" data-testid="url-cancel" onclick={cancel}>{"Dismiss"}</button>
                </section>
            };
        }
    };
    html! {
        <section class="confirm" data-testid="url-confirm" role="alertdialog" aria-label="Open a capture from a URL">
            <p>{format!("This link asks to open the capture at {href}. Your browser will fetch it from {host} and analyse it in this tab; nothing is uploaded.")}</p>
            <button class="button" data-testid="url-open" onclick={open}>{format!("Fetch from {host}")}</button>
            <button class="button secondary" data-testid="url-cancel" onclick={cancel}>{"Cancel"}</button>
        </section>
    }
}

fn progress_view(state: &State, on_cancel: Callback<MouseEvent>) -> Html {
    let Phase::Loading {
        name,
        bytes,
        total,
        packets,
    } = &state.phase
    else {
        return html! {};
    };
    let pct = if *total > 0.0 {
        bytes / total * 100.0
    } else {
        0.0
    };
    html! {
        <section class="progress" data-testid="progress" aria-live="polite">
            <div class="progress-label">
                {format!("Analysing {name}: {} of {} · {} packets", fmt_bytes(*bytes as u64), fmt_bytes(*total as u64), *packets as u64)}
            </div>
            <progress max="100" value={format!("{pct:.1}")} aria-label="analysis progress"></progress>
            <button class="button secondary" data-testid="cancel" onclick={on_cancel}>{"Cancel"}</button>
        </section>
    }
}

fn failure_view(state: &State) -> Html {
    let capture_error = state
        .report
        .as_ref()
        .and_then(|r| r.capture.error.clone())
        .map(|e| {
            let at = e
                .offset
                .map(|o| format!(" (at byte offset {o})"))
                .unwrap_or_default();
            format!("{}{at}", e.message)
        });
    let msg = state.failure.clone().or(capture_error);
    let cancelled = state.phase == Phase::Cancelled;
    match (msg, cancelled) {
        (Some(m), _) => {
            let partial = state
                .report
                .as_ref()
                .filter(|r| r.capture.packets > 0)
                .map(|r| {
                    if r.capture.files.len() > 1 {
                        format!(
                            " Everything before that point, and the other files, was analysed: {} packets in all.",
                            r.capture.packets
                        )
                    } else {
                        format!(
                            " Everything before that point was analysed: {} packets.",
                            r.capture.packets
                        )
                    }
                })
                .unwrap_or_default();
            html! { <section class="error" data-testid="error" role="alert">{format!("{m}.{partial}")}</section> }
        }
        (None, true) => html! { <section class="note">{"Analysis cancelled."}</section> },
        _ => html! {},
    }
}

/// Callbacks from the result panels.
#[derive(Clone, PartialEq)]
pub struct Handlers {
    pub select: Callback<usize>,
    pub overlay: Callback<usize>,
    pub metric: Callback<Metric>,
    pub spike: Callback<usize>,
    pub view: Callback<Option<(i64, i64)>>,
    pub log: Callback<()>,
    pub utc: Callback<()>,
    /// Save the packets of finding `.0` as a pcap.
    pub save: Callback<usize>,
    /// Show scanner `.0` in detail (`None`: close it).
    pub scanner: Callback<Option<usize>>,
    /// Save the packets of scanner `.0` as a pcap.
    pub save_scanner: Callback<usize>,
    /// Result links with addresses hashed (true) or not.
    pub anonymise: Callback<bool>,
}

fn result_view(state: &State, h: Handlers) -> Html {
    let Some(report) = state.report.clone() else {
        return html! {};
    };
    html! {
        <>
            <Summary report={report.clone()} shared={state.shared} />
            <Share report={report.clone()} settings={state.settings.clone()} shared={state.shared}
                partial={!state.shared && !matches!(state.phase, Phase::Done)}
                link={state.link.clone().map(Shared)} on_anonymise={h.anonymise.clone()}
                view={share::View {
                    port: report.ports.get(state.selected).map(port_label),
                    metric: Some(state.metric.as_str().to_string()),
                    range: state.view,
                    url: state.source_url.clone(),
                }} />
            // While the capture is still read, no findings yet is no news:
            // the section waits for the first finding or the end.
            if !matches!(state.phase, Phase::Loading { .. }) || !report.spikes.is_empty() || !report.scanners.is_empty() {
                <div class="findings-wrap" onclick={scanner_clicks(&report, h.scanner.clone())}>
                    <Findings report={report.clone()} selected={state.spike} on_spike={h.spike.clone()} utc={state.utc} />
                </div>
            }
            if let Some(i) = state.scanner {
                <ScannerDetail report={report.clone()} index={i} on_save={h.save_scanner.clone()}
                    on_close={h.scanner.clone()} saved={state.saved.clone()}
                    can_save={state.zoom_limit.is_none()} utc={state.utc} />
            }
            if let Some(i) = state.spike {
                <SpikeDetail report={report.clone()} index={i} on_save={h.save.clone()}
                    saved={state.saved.clone()} can_save={state.zoom_limit.is_none()} utc={state.utc} />
            }
            <div class="panels">
                <PortTable report={report.clone()} selected={state.selected} overlay={state.overlay.clone()}
                    on_select={h.select.clone()} on_overlay={h.overlay.clone()} />
                <Timeline report={report.clone()} selected={state.selected} overlay={state.overlay.clone()} metric={state.metric}
                    view={state.view} log={state.log} utc={state.utc}
                    fine={state.fine.clone().map(Shared)} zoom_limit={state.zoom_limit.clone()}
                    on_metric={h.metric.clone()} on_view={h.view.clone()}
                    on_log={h.log.clone()} on_utc={h.utc.clone()} />
            </div>
            <crate::heatmap::Heatmap report={report} metric={state.metric} view={state.view}
                selected={state.selected} on_select={h.select.clone()} on_view={h.view.clone()} />
        </>
    }
}

/// What a finding's kind means, in a sentence (badges' hover text).
fn kind_help(kind: &str) -> &'static str {
    match kind {
        "sweep" => "Sweep: few sources probing many addresses on this port, mostly failing (a worm, a scanner)",
        "flood" => "Flood: many sources on few targets, handshakes not completing (a SYN flood)",
        "backscatter" => "Backscatter: answers (SYN-ACKs, resets) to packets never sent from here: someone spoofs these addresses",
        _ => "Surge: growth far beyond this port's normal with answered connections (a flash crowd, a busy job)",
    }
}

/// A window's times in UTC, or in the browser's zone (`utc` false), as the
/// time-zone toggle says.
fn window_text(t0: i64, t1: i64, utc: bool) -> String {
    let tz = if utc { 0 } else { local_offset_min(t0) };
    format!(
        "{}–{} {}",
        chart::hms_at(t0, tz),
        chart::hms_at(t1, tz),
        chart::zone_name(tz)
    )
}

/// A value shared by `Rc` that props compare by identity, not content: a
/// report's timelines compared on every render cost up to 180 ms of the page's
/// time per second on a long capture.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> yew::html::IntoPropValue<Shared<T>> for Rc<T> {
    fn into_prop_value(self) -> Shared<T> {
        Shared(self)
    }
}

#[derive(Properties, PartialEq)]
struct FindingsProps {
    report: Shared<Report>,
    selected: Option<usize>,
    on_spike: Callback<usize>,
    /// Times in UTC (else the browser's zone).
    utc: bool,
}

/// Surges listed as they are; more are folded behind their count.
const SURGES_SHOWN: usize = 3;

#[function_component(Findings)]
fn findings(props: &FindingsProps) -> Html {
    let r = &props.report;
    let service = |proto: &str, port: u16| {
        r.ports
            .iter()
            .find(|p| p.proto == proto && p.port == port)
            .and_then(|p| p.service.clone())
    };
    let row = |i: usize, sp: &portspike_core::report::SpikeReport| {
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
        let label = format!("{}/{}", sp.proto, sp.port);
        let episodes = sp.episodes.len();
        html! {
            <tr data-testid="spike-row" data-port={label.clone()} data-kind={sp.kind.clone()}
                class={classes!((props.selected == Some(i)).then_some("selected"))}
                tabindex="0" {onclick} {onkeydown}>
                <td data-label="Kind"><span class={classes!("badge", sp.kind.clone())} title={kind_help(&sp.kind)}>{&sp.kind}</span>
                    if sp.new_port { <span class="badge new" title="Nothing came to this port before the finding">{"new port"}</span> }</td>
                <td data-label="Port"><strong>{label}</strong>{service(&sp.proto, sp.port).map(|n| format!(" {n}")).unwrap_or_default()}</td>
                <td data-label="When">{window_text(sp.start_ts, sp.end_ts, props.utc)}
                    if episodes > 1 { <span class="episodes" title="Bursts of one kind on this port close in time: one incident">{format!(" · {episodes} episodes")}</span> }</td>
                <td data-label="Observed" class="num">{format!("{} {} vs {:.0} expected", sp.observed, sp.metric, sp.baseline)}</td>
                <td data-label="Sources → destinations" class="num">{format!("{} → {}", sp.sources, sp.destinations)}</td>
                <td data-label="Top sources" class="long">{who.join(", ")}</td>
                <td data-label="Score" class="num">{format!("{:.1}", sp.score)}</td>
            </tr>
        }
    };
    let order = r.finding_order();
    let (attacks, surges): (Vec<usize>, Vec<usize>) = order
        .iter()
        .partition(|i| r.spikes.get(**i).is_some_and(|s| s.is_attack()));
    let rows = |v: &[usize]| -> Html {
        html! { <>{ for v.iter().filter_map(|i| r.spikes.get(*i).map(|sp| row(*i, sp))) }</> }
    };
    let head = html! {
        <thead><tr>
            <th title="sweep: few sources to many addresses, failing; flood: many sources to few targets, handshakes not completing; backscatter: answers to SYNs never sent; surge: ordinary growth">{"Kind"}</th>
            <th title="Protocol and port">{"Port"}</th>
            <th title="The finding's window (all its episodes)">{"When"}</th>
            <th class="num" title="The metric summed over the window, against what the port's own baseline expected">{"Observed"}</th>
            <th class="num" title="Distinct clients and servers in the window">{"Sources → destinations"}</th>
            <th title="The busiest clients in the window">{"Top sources"}</th>
            <th class="num" title="Robust z-score of the peak bin: how many spreads above the port's median">{"Score"}</th></tr></thead>
    };
    // A few surges are shown as they are; more are folded away behind their count.
    let fold = surges.len() > SURGES_SHOWN;
    let surge_open = props.selected.is_some_and(|s| surges.contains(&s));
    let rep = props.report.clone();
    let export_spikes = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-spikes.csv",
            "text/csv",
            &portspike_core::export::spikes_csv(&rep),
        )
    });
    let rep = props.report.clone();
    let export_scanners = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-scanners.csv",
            "text/csv",
            &portspike_core::export::scanners_csv(&rep),
        )
    });
    let scanners = r.scanners.iter().map(|sc| {
        html! {
            <tr data-testid="scanner-row" data-source={sc.source.clone()} data-kind={sc.kind.clone()}>
                <td><span class="badge scan" title="vertical: many ports of few hosts; horizontal: one port across many hosts; mixed: both">{format!("{} scan", sc.kind)}</span>
                    if sc.allowlisted { <span class="badge new" title="A known scanner from the settings: marked, not hidden">{"allowlisted"}</span> }</td>
                <td><strong>{&sc.source}</strong></td>
                <td title="How it probed: syn (half-open), connect (full handshakes), fin, null, xmas, ack, udp">{sc.probes.join(", ")}</td>
                <td class="num" title="Contacts: the first packets to a new (host, port); failed: refused, unreachable or unanswered">{format!("{} contacts, {} failed", sc.attempts, sc.failures)}</td>
                <td class="num" title="Distinct hosts and ports it contacted">{format!("{} targets, {} ports", sc.targets, sc.ports)}</td>
                <td>{{
                    let tz = if props.utc { 0 } else { local_offset_min(sc.detected_ts) };
                    format!("detected {} {} ({})", chart::hms_at(sc.detected_ts, tz), chart::zone_name(tz), sc.method)
                }}</td>
            </tr>
        }
    });
    html! {
        <section class="findings" data-testid="findings" aria-label="Findings">
            <h2>{"Findings"}
                <button class="button secondary small" data-testid="export-csv-spikes" onclick={export_spikes}>{"Spikes CSV"}</button>
                <button class="button secondary small" data-testid="export-csv-scanners" onclick={export_scanners}>{"Scanners CSV"}</button>
            </h2>
            if r.spikes.is_empty() && r.scanners.is_empty() {
                <p class="note">{"No port spikes and no scanners in this capture."}</p>
            }
            if !attacks.is_empty() {
                <div class="table-scroll"><table class="cards">{head.clone()}<tbody>{rows(&attacks)}</tbody></table></div>
            }
            if !r.scanners.is_empty() {
                <h3>{format!("Scanners ({})", r.scanners.len())}</h3>
                <div class="table-scroll"><table class="cards"><tbody>{ for scanners }</tbody></table></div>
            }
            if !surges.is_empty() && !fold {
                <h3 title="Growth with answered connections: a flash crowd, a busy job">{"Ordinary surges"}</h3>
                <div class="table-scroll"><table class="cards">{head.clone()}<tbody>{rows(&surges)}</tbody></table></div>
            }
            if fold {
                <details class="surges" data-testid="ordinary-surges" open={surge_open}>
                    <summary>{format!("{} ordinary surges", surges.len())}</summary>
                    <div class="table-scroll"><table class="cards">{head}<tbody>{rows(&surges)}</tbody></table></div>
                </details>
            }
        </section>
    }
}

/// A node for a detail that opens below the findings: each time it shows
/// another `key`, it is scrolled into view if it is out of sight (its top in
/// the lowest fifth of the window or below, or above it).
#[hook]
fn use_scrolled_into_view(key: usize) -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(key, move |_| {
            if let (Some(el), Some(w)) = (node.cast::<web_sys::Element>(), web_sys::window()) {
                let r = el.get_bounding_client_rect();
                let h = w
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or(0.0);
                if r.top() > h * 0.8 || r.bottom() < 0.0 {
                    el.scroll_into_view();
                }
            }
        });
    }
    node
}

#[derive(Properties, PartialEq)]
struct DetailProps {
    report: Shared<Report>,
    index: usize,
    on_save: Callback<usize>,
    saved: Option<String>,
    /// The capture can be read again (local, uncompressed).
    can_save: bool,
    /// Times in UTC (else the browser's zone).
    utc: bool,
}

#[function_component(SpikeDetail)]
fn spike_detail(props: &DetailProps) -> Html {
    let node = use_scrolled_into_view(props.index);
    let Some(sp) = props.report.spikes.get(props.index) else {
        return html! {};
    };
    let list = |v: &[portspike_core::report::AddrCount]| -> Html {
        html! { <ol>{ for v.iter().map(|a| html!{ <li>{format!("{} ({} packets)", a.addr, a.packets)}</li> }) }</ol> }
    };
    let f = &sp.flags;
    let save = {
        let on_save = props.on_save.clone();
        let i = props.index;
        Callback::from(move |_: MouseEvent| on_save.emit(i))
    };
    html! {
        <section class="detail" data-testid="spike-detail" aria-label="Finding detail" ref={node}>
            <h2>{format!("{} on {}/{} · {}", sp.kind, sp.proto, sp.port, window_text(sp.start_ts, sp.end_ts, props.utc))}</h2>
            <div class="detail-grid">
                <div><h3 title="The busiest clients active in the window; their counts are over the whole capture">{"Top sources (packets in the whole capture)"}</h3>{list(&sp.top_sources)}</div>
                <div><h3 title="The busiest servers active in the window; their counts are over the whole capture">{"Top destinations (packets in the whole capture)"}</h3>{list(&sp.top_destinations)}</div>
                <div><h3>{"In this window"}</h3>
                    <ul>
                        <li>{format!("{} packets, {} attempts, {} failed, {} completed", sp.packets, sp.attempts, sp.failures, sp.completed)}</li>
                        <li>{format!("{} {} observed vs {:.1} expected (score {:.1})", sp.observed, sp.metric, sp.baseline, sp.score)}</li>
                        <li>{format!("{} sources → {} destinations", sp.sources, sp.destinations)}</li>
                        <li>{format!("flags: SYN {} · SYN-ACK {} · RST {} · FIN {} · other {}", f.syn, f.synack, f.rst, f.fin, f.other)}</li>
                    </ul>
                </div>
            </div>
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
                    title={if props.can_save { "The packets this filter selects, read again from the file into a new capture" } else { "Only a local, uncompressed capture can be read again" }}>
                    {"Save these packets as pcap"}</button></p>
            if let Some(m) = &props.saved {
                <p class="saved" role="status" data-testid="save-status">{m}</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CopyProps {
    /// What goes to the clipboard.
    text: AttrValue,
    label: AttrValue,
    #[prop_or_default]
    testid: Option<AttrValue>,
}

/// A button that copies `text` and says so ("Copied ✓") until the text changes.
#[function_component(CopyButton)]
fn copy_button(props: &CopyProps) -> Html {
    let copied = use_state(|| false);
    {
        let copied = copied.clone();
        use_effect_with(props.text.clone(), move |_| copied.set(false));
    }
    let onclick = {
        let (text, copied) = (props.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        })
    };
    html! {
        <button class="button secondary small copy" data-testid={props.testid.clone()} {onclick}
            title={format!("Copy to the clipboard: {}", props.text)} aria-live="polite">
            { if *copied { "Copied ✓".into() } else { props.label.clone() } }</button>
    }
}

#[derive(Properties, PartialEq)]
struct SummaryProps {
    report: Shared<Report>,
    /// From a result link: no capture here to hash.
    shared: bool,
}

#[function_component(Summary)]
fn summary(props: &SummaryProps) -> Html {
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
    } else if props.shared {
        "–".to_string()
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
                <div><dt>{"Duration"}</dt><dd>{duration}</dd></div>
                <div><dt>{"First packet"}</dt><dd>{c.first_ts.map(iso).unwrap_or_default()}</dd></div>
                <div><dt>{"Last packet"}</dt><dd>{c.last_ts.map(iso).unwrap_or_default()}</dd></div>
                <div><dt>{"Link types"}</dt><dd>{links.join(", ")}</dd></div>
                <div><dt>{"Bin width"}</dt><dd data-field="bin-width">{fmt_width(props.report.bin_width_us)}</dd></div>
                <div><dt>{"Timelines keyed by"}</dt><dd>{if props.report.params.key == "service" { "service port" } else { "destination port" }}</dd></div>
            </dl>
            { for c.warnings.iter().map(|w| html!{ <p class="warning">{&w.message}</p> }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PortProps {
    report: Shared<Report>,
    selected: usize,
    overlay: Vec<usize>,
    on_select: Callback<usize>,
    on_overlay: Callback<usize>,
}

fn port_label(p: &PortReport) -> String {
    format!("{}/{}", p.proto, p.port)
}

/// Row height of the port table (px); the table renders only visible rows.
const ROW_H: f64 = 29.0;
const TABLE_H: f64 = 464.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Score,
    Packets,
    Sources,
    Port,
}

#[function_component(PortTable)]
fn port_table(props: &PortProps) -> Html {
    let sort = use_state(|| SortBy::Score);
    let filter = use_state(String::new);
    let proto = use_state(|| "all".to_string());
    let scroll = use_state(|| 0.0f64);
    let ports = &props.report.ports;
    // Indices into report.ports, filtered and sorted (the report's order is by score).
    let rows: Vec<usize> = {
        let f = filter.trim().to_lowercase();
        let mut v: Vec<usize> = (0..ports.len())
            .filter(|i| {
                ports.get(*i).is_some_and(|p| {
                    // "tcp/445" or "445" match exactly; other text matches service names.
                    (*proto == "all" || p.proto == *proto)
                        && (f.is_empty()
                            || if f.contains('/') {
                                port_label(p) == f
                            } else if f.bytes().all(|c| c.is_ascii_digit()) {
                                p.port.to_string() == f
                            } else {
                                service_matches(p, &f)
                            })
                })
            })
            .collect();
        let key = |i: &usize| {
            ports
                .get(*i)
                .map(|p| (p.totals.packets, p.totals.sources, p.port))
        };
        match *sort {
            SortBy::Score => {}
            SortBy::Packets => v.sort_by_key(|i| std::cmp::Reverse(key(i).map(|k| k.0))),
            SortBy::Sources => v.sort_by_key(|i| std::cmp::Reverse(key(i).map(|k| k.1))),
            SortBy::Port => v.sort_by_key(|i| key(i).map(|k| k.2)),
        }
        v
    };
    let count = (TABLE_H / ROW_H) as usize + 12;
    // The scroll position may be stale after a filter shrank the list.
    let first = ((*scroll / ROW_H) as usize)
        .saturating_sub(5)
        .min(rows.len().saturating_sub(count));
    let last = (first + count).min(rows.len());
    let top_pad = first as f64 * ROW_H;
    let bottom_pad = (rows.len() - last) as f64 * ROW_H;
    let onscroll = {
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            scroll.set(f64::from(el.scroll_top()));
        })
    };
    let sort_button = |by: SortBy, label: &str| {
        let sort = sort.clone();
        let active = *sort == by;
        html! {
            <button class={classes!("sort", active.then_some("active"))} aria-pressed={active.to_string()}
                data-testid={format!("sort-{}", label.to_lowercase())}
                onclick={Callback::from(move |_: MouseEvent| sort.set(by))}>{label}</button>
        }
    };
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_proto = {
        let proto = proto.clone();
        Callback::from(move |e: Event| {
            proto.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    html! {
        <section class="ports" aria-label="Ports ranked">
            <h2>{format!("Ports ({} of {})", rows.len(), ports.len())}</h2>
            <div class="port-tools">
                <input type="search" placeholder="port or service" aria-label="filter ports" data-testid="port-filter" oninput={on_filter} />
                <select aria-label="protocol" data-testid="proto-filter" onchange={on_proto}>
                    <option value="all" selected={*proto == "all"}>{"tcp+udp"}</option>
                    <option value="tcp" selected={*proto == "tcp"}>{"tcp"}</option>
                    <option value="udp" selected={*proto == "udp"}>{"udp"}</option>
                </select>
                <span class="muted">{"sort:"}</span>
                { sort_button(SortBy::Score, "Score") }
                { sort_button(SortBy::Packets, "Packets") }
                { sort_button(SortBy::Sources, "Sources") }
                { sort_button(SortBy::Port, "Port") }
            </div>
            <div class="port-scroll" {onscroll}>
                <table>
                    <thead><tr><th title="Place in the table's current order">{"#"}</th>
                        <th title="Protocol and port: the flow's service port (or the destination port, per the settings)">{"Port"}</th>
                        <th title="The port's registered service name">{"Service"}</th>
                        <th title="Packets over the whole capture, as a small chart">{"Activity"}</th>
                        <th class="num" title="How far the port's busiest stretch stood above its own normal (robust z-score); 6 or more with persistence is a finding">{"Score"}</th>
                        <th class="num" title="Packets over the whole capture">{"Packets"}</th>
                        <th class="num" title="Distinct clients over the whole capture">{"Sources"}</th></tr></thead>
                    <tbody>
                    if top_pad > 0.0 { <tr class="pad" style={format!("height: {top_pad}px")}></tr> }
                    { for rows.get(first..last).unwrap_or_default().iter().enumerate().filter_map(|(k, &i)| ports.get(i).map(|p| html! {
                        <PortRow key={i} index={i} position={first + k + 1} port={p.clone()} selected={i == props.selected}
                            overlaid={props.overlay.contains(&i)}
                            on_select={props.on_select.clone()} on_overlay={props.on_overlay.clone()} />
                    })) }
                    if bottom_pad > 0.0 { <tr class="pad" style={format!("height: {bottom_pad}px")}></tr> }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The visible bins as a table: the chart's accessible alternative. Its rows
/// are built only while it is open (up to 500 rows is thousands of nodes).
fn table_view(
    s: Option<&portspike_core::report::SeriesReport>,
    metric: Metric,
    (t0, t1): (i64, i64),
    tz: i32,
    open: &UseStateHandle<bool>,
) -> Html {
    let Some(s) = s else { return html! {} };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            open.set(el.open());
        })
    };
    let w = s.bin_width_us.max(1) as i64;
    let first = ((t0 - s.start_ts) / w).max(0) as usize;
    let last = (((t1 - s.start_ts) + w - 1) / w).max(0) as usize;
    let rows: Vec<usize> = (first..last.min(s.packets.len())).collect();
    const MAX: usize = 500;
    let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    html! {
        <details class="table-view" data-testid="timeline-table" open={**open} {ontoggle}>
            <summary>{format!("Table view ({} bins{})", rows.len(), if rows.len() > MAX { format!(", first {MAX} shown") } else { String::new() })}</summary>
            <table>
                <thead><tr><th>{format!("Bin start ({})", chart::zone_name(tz))}</th><th class="num">{metric.as_str()}</th>
                    <th class="num">{"packets"}</th><th class="num">{"attempts"}</th><th class="num">{"failures"}</th></tr></thead>
                <tbody>
                { for rows.iter().take(if **open { MAX } else { 0 }).map(|&i| html! {
                    <tr><td>{chart::hms_prec(s.start_ts + i as i64 * w, tz, w)}</td>
                        <td class="num">{get(metric.values(s), i)}</td><td class="num">{get(&s.packets, i)}</td>
                        <td class="num">{get(&s.attempts, i)}</td><td class="num">{get(&s.failures, i)}</td></tr>
                }) }
                </tbody>
            </table>
        </details>
    }
}

/// A sparkline of a series as an SVG polyline (no canvas, no script).
fn sparkline(values: &[u64]) -> Html {
    const W: f64 = 90.0;
    const H: f64 = 18.0;
    const N: usize = 45;
    if values.is_empty() {
        return html! {};
    }
    let per = values.len().div_ceil(N).max(1);
    let buckets: Vec<u64> = values.chunks(per).map(|c| c.iter().sum()).collect();
    let max = buckets.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = W / (buckets.len().max(2) - 1) as f64;
    let points: Vec<String> = buckets
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                H - 1.0 - (*v as f64 / max) * (H - 2.0)
            )
        })
        .collect();
    html! {
        <svg class="spark" width="90" height="18" viewBox="0 0 90 18" aria-hidden="true">
            <polyline points={points.join(" ")} />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct PortRowProps {
    index: usize,
    /// Its place in the table's current order (1 is the top).
    position: usize,
    port: PortReport,
    selected: bool,
    overlaid: bool,
    on_select: Callback<usize>,
    on_overlay: Callback<usize>,
}

#[function_component(PortRow)]
fn port_row(props: &PortRowProps) -> Html {
    let select = props.on_select.clone();
    let onclick = {
        let i = props.index;
        let select = select.clone();
        let overlay = props.on_overlay.clone();
        // Ctrl-, Cmd- or Shift-click adds the port to the chart.
        Callback::from(move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() {
                overlay.emit(i)
            } else {
                select.emit(i)
            }
        })
    };
    let onkeydown = {
        let i = props.index;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                select.emit(i);
            }
        })
    };
    let p = &props.port;
    html! {
        <tr data-testid="port-row" data-port={port_label(p)}
            class={classes!(props.selected.then_some("selected"), props.overlaid.then_some("overlaid"))}
            tabindex="0" aria-selected={props.selected.to_string()} {onclick} {onkeydown}>
            <td>{props.position}</td>
            <td>{port_label(p)}</td>
            <td>{p.service.clone().unwrap_or_default()}
                if let Some(x) = &p.pattern {
                    <span class="badge rhythm" data-testid="pattern"
                        title={format!("Its ordinary rhythm, not a finding: {} bursts about every {}, typically {} {} (largest {})",
                            x.bursts, fmt_width(x.period_us.max(0) as u64), x.typical, x.metric, x.largest)}>
                        {format!("rhythm ×{}", x.bursts)}</span>
                }</td>
            <td>{ p.series.as_ref().map(|s| sparkline(&s.packets)).unwrap_or_default() }</td>
            <td class="num">{format!("{:.1}", p.score)}</td>
            <td class="num">{p.totals.packets}</td>
            <td class="num">{p.totals.sources}</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct TimelineProps {
    report: Shared<Report>,
    selected: usize,
    overlay: Vec<usize>,
    metric: Metric,
    view: Option<(i64, i64)>,
    log: bool,
    utc: bool,
    on_metric: Callback<Metric>,
    on_view: Callback<Option<(i64, i64)>>,
    on_log: Callback<()>,
    on_utc: Callback<()>,
    fine: Option<Shared<Fine>>,
    zoom_limit: Option<String>,
}

/// A drag on the timeline: a brush (zoom to the selection) or, with Shift or
/// Alt held, a pan.
#[derive(Clone, Copy)]
struct Drag {
    x: f64,
    t0: i64,
    t1: i64,
    pan: bool,
}

/// Minutes east of UTC of the browser's zone at `us`.
fn local_offset_min(us: i64) -> i32 {
    let d = js_sys::Date::new(&JsValue::from_f64(us as f64 / 1000.0));
    -(d.get_timezone_offset() as i32)
}

#[function_component(Timeline)]
fn timeline(props: &TimelineProps) -> Html {
    let canvas = use_node_ref();
    let area = use_mut_ref(chart::PlotArea::default);
    let hover = use_state(|| None::<(f64, f64, i64)>);
    let table_open = use_state(|| false);
    let drag = use_mut_ref(|| None::<Drag>);
    let brush = use_state(|| None::<(f64, f64)>);
    let port = props.report.ports.get(props.selected).cloned();
    let stored = port.as_ref().and_then(|p| p.series.clone());
    let full = stored
        .as_ref()
        .map(|s| span_of(s))
        .or_else(|| grid_span(&props.report))
        .unwrap_or_default();
    let (t0, t1) = props.view.unwrap_or(full);
    // The series of a re-read window, where it covers the view: finer than
    // the stored one, or the only one of a port without a stored timeline.
    let fine = props
        .fine
        .as_ref()
        .filter(|f| (props.view.is_some() || stored.is_none()) && f.covers(t0, t1));
    let fine_of = |p: &PortReport| -> Option<Box<portspike_core::report::SeriesReport>> {
        let f = fine?;
        let fp = f
            .report
            .ports
            .iter()
            .find(|x| x.proto == p.proto && x.port == p.port);
        match fp {
            Some(fp) => fp.series.clone(),
            // Silent in the window: an empty series at the fine width.
            None => {
                let w = f.report.bin_width_us.max(1);
                let start = f.t0.div_euclid(w as i64) * w as i64;
                let n = ((f.t1 - start) as u64).div_ceil(w) as usize;
                Some(Box::new(portspike_core::report::SeriesReport {
                    start_ts: start,
                    bin_width_us: w,
                    packets: vec![0; n],
                    bytes: vec![0; n],
                    attempts: vec![0; n],
                    failures: vec![0; n],
                    sources: vec![0; n],
                    destinations: vec![0; n],
                }))
            }
        }
    };
    let series = match (&port, fine) {
        (Some(p), Some(_)) => fine_of(p).or(stored.clone()),
        _ => stored.clone(),
    };
    let port = port.map(|mut p| {
        p.series = series.clone();
        p
    });
    let tz = if props.utc { 0 } else { local_offset_min(t0) };
    let bands: Vec<(i64, i64)> = port
        .as_ref()
        .map(|p| {
            props
                .report
                .spikes
                .iter()
                .filter(|s| s.proto == p.proto && s.port == p.port)
                .map(|s| (s.start_ts, s.end_ts))
                .collect()
        })
        .unwrap_or_default();
    let overlaid: Vec<(String, Box<portspike_core::report::SeriesReport>)> = props
        .overlay
        .iter()
        .filter_map(|i| props.report.ports.get(*i))
        .filter_map(|p| {
            let s = if fine.is_some() {
                fine_of(p)
            } else {
                p.series.clone()
            };
            s.map(|s| (port_label(p), s))
        })
        .collect();
    let labels: Vec<String> = port
        .iter()
        .map(port_label)
        .chain(overlaid.iter().map(|(l, _)| l.clone()))
        .collect();
    {
        let canvas = canvas.clone();
        let port = port.clone();
        let area = area.clone();
        let deps = (port, props.metric, t0, t1, bands, props.log, tz, overlaid);
        use_effect_with(
            deps,
            move |(port, metric, t0, t1, bands, log, tz, overlaid)| {
                if let (Some(c), Some(p)) = (canvas.cast::<HtmlCanvasElement>(), port) {
                    if let Some(s) = &p.series {
                        let title = format!(
                            "{}{}",
                            port_label(p),
                            p.service
                                .as_ref()
                                .map(|n| format!(" ({n})"))
                                .unwrap_or_default()
                        );
                        let label = port_label(p);
                        let over: Vec<(String, &portspike_core::report::SeriesReport)> =
                            overlaid.iter().map(|(l, s)| (l.clone(), &**s)).collect();
                        let view = chart::View {
                            series: s,
                            label: &label,
                            overlay: &over,
                            metric: *metric,
                            title: &title,
                            t0: *t0,
                            t1: *t1,
                            bands,
                            log: *log,
                            tz_offset_min: *tz,
                        };
                        let perf = web_sys::window().and_then(|w| w.performance());
                        let started = perf.as_ref().map_or(0.0, |p| p.now());
                        let drawn = chart::draw(&c, &view);
                        // How long the draw took, for the benchmarks (data-draw-ms).
                        let took = perf.as_ref().map_or(0.0, |p| p.now()) - started;
                        let _ = c.set_attribute("data-draw-ms", &format!("{took:.2}"));
                        match drawn {
                            Ok(a) => *area.borrow_mut() = a,
                            Err(e) => web_sys::console::error_1(&format!("timeline: {e}").into()),
                        }
                    } else {
                        // No timeline (yet): not the last port's drawing under this one's name.
                        c.set_width(c.width());
                    }
                }
            },
        );
    }
    // Mouse x (CSS px within the canvas) → time, through the plot's pixel range.
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
        .max(1.0);
    let t_at = {
        let area = area.clone();
        move |x_css: f64| -> i64 {
            let a = *area.borrow();
            let f = ((x_css * dpr - a.x0) / (a.x1 - a.x0).max(1.0)).clamp(0.0, 1.0);
            t0 + (f * (t1 - t0) as f64) as i64
        }
    };
    let stored_width = stored.as_ref().map_or(1, |s| s.bin_width_us.max(1) as i64);
    // With a file to re-read, zoom goes down to the finest step of the ladder.
    let width = if props.zoom_limit.is_none() {
        portspike_core::bins::LADDER
            .first()
            .copied()
            .unwrap_or(1000) as i64
    } else {
        stored_width
    };
    // Keep a range inside the capture and at least four bins wide.
    let clamp = move |a: i64, b: i64| -> Option<(i64, i64)> {
        let span = (b - a).max(4 * width);
        if span >= full.1 - full.0 {
            return None;
        }
        let a = a.clamp(full.0, full.1 - span);
        Some((a, a + span))
    };
    let on_view = props.on_view.clone();
    let onwheel = {
        let t_at = t_at.clone();
        let on_view = on_view.clone();
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let tc = t_at(f64::from(e.offset_x()));
            let f = if e.delta_y() < 0.0 { 0.8 } else { 1.25 };
            let a = tc - ((tc - t0) as f64 * f) as i64;
            let b = tc + ((t1 - tc) as f64 * f) as i64;
            on_view.emit(clamp(a, b));
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            *drag.borrow_mut() = Some(Drag {
                x: f64::from(e.offset_x()),
                t0,
                t1,
                pan: e.shift_key() || e.alt_key() || e.button() == 1,
            });
        })
    };
    let onmousemove = {
        let drag = drag.clone();
        let hover = hover.clone();
        let brush = brush.clone();
        let t_at = t_at.clone();
        let on_view = on_view.clone();
        let area = area.clone();
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            hover.set(Some((x, f64::from(e.offset_y()), t_at(x))));
            if let Some(d) = *drag.borrow() {
                if d.pan {
                    let a = *area.borrow();
                    let px = ((a.x1 - a.x0) / dpr).max(1.0);
                    let dt = ((x - d.x) / px * (d.t1 - d.t0) as f64) as i64;
                    on_view.emit(clamp(d.t0 - dt, d.t1 - dt));
                } else if (x - d.x).abs() > 3.0 {
                    brush.set(Some((d.x.min(x), d.x.max(x))));
                }
            }
        })
    };
    let onmouseup = {
        let drag = drag.clone();
        let brush = brush.clone();
        let t_at = t_at.clone();
        let on_view = on_view.clone();
        Callback::from(move |e: MouseEvent| {
            let d = drag.borrow_mut().take();
            if let Some(d) = d {
                let x = f64::from(e.offset_x());
                if !d.pan && (x - d.x).abs() > 3.0 {
                    let (a, b) = (t_at(d.x.min(x)), t_at(d.x.max(x)));
                    on_view.emit(clamp(a, b));
                }
            }
            brush.set(None);
        })
    };
    let onmouseleave = {
        let drag = drag.clone();
        let hover = hover.clone();
        let brush = brush.clone();
        Callback::from(move |_: MouseEvent| {
            *drag.borrow_mut() = None;
            hover.set(None);
            brush.set(None);
        })
    };
    let ondblclick = {
        let on_view = on_view.clone();
        Callback::from(move |_: MouseEvent| on_view.emit(None))
    };
    let onkeydown = {
        let on_view = on_view.clone();
        Callback::from(move |e: KeyboardEvent| {
            let span = t1 - t0;
            let next = match e.key().as_str() {
                "+" | "=" => clamp(t0 + span / 5, t1 - span / 5),
                "-" | "_" => clamp(t0 - span / 4, t1 + span / 4),
                "ArrowLeft" => clamp(t0 - span / 10, t1 - span / 10),
                "ArrowRight" => clamp(t0 + span / 10, t1 + span / 10),
                "0" | "Escape" => None,
                _ => return,
            };
            e.prevent_default();
            on_view.emit(next);
        })
    };
    let set_metric = props.on_metric.clone();
    let onchange = Callback::from(move |e: Event| {
        let sel: HtmlSelectElement = e.target_unchecked_into();
        set_metric.emit(Metric::parse(&sel.value()));
    });
    let on_reset = {
        let on_view = on_view.clone();
        Callback::from(move |_: MouseEvent| on_view.emit(None))
    };
    let on_log = {
        let cb = props.on_log.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let on_utc = {
        let cb = props.on_utc.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let report = props.report.clone();
    let export = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-report.json",
            "application/json",
            &report.to_json_pretty(),
        )
    });
    let report = props.report.clone();
    let export_csv = Callback::from(move |_: MouseEvent| {
        save(
            "portspike-series.csv",
            "text/csv",
            &portspike_core::export::series_csv(&report),
        )
    });
    let png_canvas = canvas.clone();
    let export_png = Callback::from(move |_: MouseEvent| {
        if let Some(c) = png_canvas.cast::<HtmlCanvasElement>() {
            match c.to_data_url_with_type("image/png") {
                Ok(url) => {
                    if let Err(e) = download_url("portspike-timeline.png", &url) {
                        web_sys::console::error_1(&e);
                    }
                }
                Err(e) => web_sys::console::error_1(&e),
            }
        }
    });
    // The hovered bin, with its exact range and values.
    let hovered = (*hover).zip(series.as_ref()).and_then(|((x, y, t), s)| {
        let bin = (t - s.start_ts).div_euclid(s.bin_width_us.max(1) as i64);
        usize::try_from(bin).ok().map(|b| (x, y, b))
    });
    let tooltip = match (hovered, series.as_ref()) {
        (Some((x, y, bin)), Some(s)) if bin < s.packets.len() => {
            let b0 = s.start_ts + bin as i64 * s.bin_width_us as i64;
            let b1 = b0 + s.bin_width_us as i64;
            let value = props.metric.values(s).get(bin).copied().unwrap_or(0);
            let get = |v: &[u64]| v.get(bin).copied().unwrap_or(0);
            let style_pos = format!("left: {:.0}px; top: {:.0}px", x + 14.0, (y - 10.0).max(0.0));
            html! {
                <div class="tooltip" data-testid="tooltip" role="status"
                    data-bin-start={b0.to_string()} data-bin-end={b1.to_string()}
                    data-metric={props.metric.as_str()} data-value={value.to_string()}
                    style={style_pos}>
                    <strong>{format!("{}–{} {}", chart::hms_prec(b0, tz, s.bin_width_us as i64), chart::hms_prec(b1, tz, s.bin_width_us as i64), chart::zone_name(tz))}</strong>
                    <div>{format!("{}: {}", props.metric.as_str(), value)}</div>
                    <div class="muted">{format!("packets {} · attempts {} · failures {} · {} → {}",
                        get(&s.packets), get(&s.attempts), get(&s.failures), get(&s.sources), get(&s.destinations))}</div>
                </div>
            }
        }
        _ => html! {},
    };
    // Say what resolution the view has.
    let shown_w = series.as_ref().map_or(0, |s| s.bin_width_us);
    let zoom_note = match (&props.zoom_limit, props.view) {
        (_, Some(_)) if fine.is_some() => html! {
            <p class="zoom-note" data-testid="zoom-note" data-fine="true">
                {format!("{} bins, read again from the file for this range", fmt_width(shown_w))}</p>
        },
        (Some(why), Some((a, b))) if (b - a) / stored_width.max(1) < 100 => html! {
            <p class="zoom-note" data-testid="zoom-note" data-fine="false">
                {format!("Zoom stops at the stored {} bins: {why}.", fmt_width(stored_width as u64))}</p>
        },
        _ => html! {},
    };
    let brush_box = match *brush {
        Some((a, b)) => html! {
            <div class="brush" style={format!("left: {a:.0}px; width: {:.0}px", b - a)}></div>
        },
        None => html! {},
    };
    html! {
        <section class="timeline-panel" aria-label="Timeline">
            <div class="toolbar">
                <label>{"Metric "}
                    <select data-testid="metric-select" {onchange}>
                        { for Metric::ALL.iter().map(|m| html! {
                            <option value={m.as_str()} selected={props.metric == *m}>{m.as_str()}</option>
                        }) }
                    </select>
                </label>
                <button class="button secondary small" data-testid="scale-toggle" onclick={on_log}
                    aria-pressed={props.log.to_string()}>{if props.log { "Log scale" } else { "Linear scale" }}</button>
                <button class="button secondary small" data-testid="tz-toggle" onclick={on_utc}
                    aria-pressed={(!props.utc).to_string()}>{if props.utc { "UTC" } else { "Local time" }}</button>
                <button class="button secondary small" data-testid="reset-zoom" onclick={on_reset} disabled={props.view.is_none()}>{"Show whole capture"}</button>
                <button class="button secondary small" data-testid="export-json" onclick={export}>{"Export JSON"}</button>
                <button class="button secondary small" data-testid="export-csv" onclick={export_csv}>{"Export CSV"}</button>
                <button class="button secondary small" data-testid="export-png" onclick={export_png}>{"Export PNG"}</button>
            </div>
            if let Some(p) = port.as_ref().filter(|p| p.series.is_none()) {
                <p class="note" data-testid="timeline-note">{
                    match &props.zoom_limit {
                        None => format!("{} ranks below the ports whose timelines the report keeps: its timeline is read again from the capture (once the analysis is done).", port_label(p)),
                        Some(why) => format!("{} ranks below the ports whose timelines the report keeps, and its timeline cannot be read again: {why}.", port_label(p)),
                    }
                }</p>
            }
            <div class="plot">
                <canvas ref={canvas} data-testid="timeline" class="timeline" tabindex="0"
                    data-t0={t0.to_string()} data-t1={t1.to_string()}
                    data-metric={props.metric.as_str()} data-scale={if props.log { "log" } else { "linear" }}
                    data-tz={chart::zone_name(tz)} data-ports={labels.join(",")}
                    data-bin-width={series.as_ref().map(|s| s.bin_width_us).unwrap_or(0).to_string()}
                    role="img" aria-label={port.as_ref().map(|p| format!("timeline of {}: wheel to zoom, drag to select a range, shift-drag to pan, double-click to reset; keys + - arrows 0", port_label(p))).unwrap_or_default()}
                    {onwheel} {onmousedown} {onmousemove} {onmouseup} {onmouseleave} {ondblclick} {onkeydown}>
                </canvas>
                { brush_box }
                { tooltip }
            </div>
            { zoom_note }
            <p class="note legend" data-testid="timeline-legend">{"Blue: the selected port's metric per bin; red band: a finding's window; other colours: ports added with ctrl-click. Hover a bin for its values."}</p>
            { table_view(series.as_deref(), props.metric, (t0, t1), tz, &table_open) }
        </section>
    }
}

/// Offer `text` as a file download (nothing leaves the tab otherwise).
fn save(name: &str, mime: &str, text: &str) {
    offer(name, mime, &JsValue::from_str(text));
}

/// Offer bytes (a capture) as a file download.
/// What the page says once an extract is saved: every packet the filter
/// selects, or "N of M" and why the rest were left out.
fn saved_text(packets: f64, matched: f64, name: &str, note: &str) -> String {
    if packets >= matched {
        format!("Saved {packets} packets as {name}: every packet the filter selects")
    } else {
        format!(
            "Saved {packets} of {matched} packets as {name}: the filter selects {matched}; left out: {}",
            if note.is_empty() { "(no reason given)" } else { note }
        )
    }
}

fn save_bytes(name: &str, bytes: &js_sys::Uint8Array) {
    offer(name, "application/vnd.tcpdump.pcap", bytes);
}

/// Offer one blob part (a string or bytes) as a file download.
fn offer(name: &str, mime: &str, part: &JsValue) {
    let result = (|| -> Result<(), JsValue> {
        let parts = js_sys::Array::new();
        parts.push(part);
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        download_url(name, &url)?;
        web_sys::Url::revoke_object_url(&url)
    })();
    if let Err(e) = result {
        web_sys::console::error_1(&e);
    }
}

thread_local! {
    /// Id of the newest window request: older answers are dropped.
    static LATEST: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Set an attribute of `<html>` (`None`: remove it).
fn html_attr(name: &str, value: Option<&str>) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        // Unchanged values are not set again: an attribute set on the root
        // element makes the browser look at the whole page's style.
        if el.get_attribute(name).as_deref() == value {
            return;
        }
        let _ = match value {
            Some(v) => el.set_attribute(name, v),
            None => el.remove_attribute(name),
        };
    }
}

/// The worker's phase timings of the last run, on `<html data-worker-phases>`
/// (for the benchmarks).
fn note_worker_phases(data: &JsValue) {
    if let Some(json) = get(data, "phases").as_string() {
        html_attr("data-worker-phases", Some(&json));
    }
}

/// The worker's wasm memory (bytes), kept on `<html data-worker-memory>`
/// for diagnostics and the benchmarks.
fn note_worker_memory(data: &JsValue) {
    if let Some(bytes) = get(data, "memory").as_f64() {
        html_attr("data-worker-memory", Some(&format!("{bytes:.0}")));
    }
}

/// Send a request to the worker of the current analysis.
fn post_worker(running: &Rc<RefCell<Running>>, fields: &[(&str, JsValue)]) {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    if let Some(w) = &running.borrow().worker {
        let _ = w.post_message(&o);
    }
}

/// The time span a series covers (µs).
pub(crate) fn span_of(s: &portspike_core::report::SeriesReport) -> (i64, i64) {
    (
        s.start_ts,
        s.start_ts + s.packets.len() as i64 * s.bin_width_us as i64,
    )
}

/// The span of the report's timelines (they share one grid), or of the
/// capture when no port kept one.
fn grid_span(r: &Report) -> Option<(i64, i64)> {
    r.ports
        .iter()
        .find_map(|p| p.series.as_deref().map(span_of))
        .or_else(|| Some((r.capture.first_ts?, r.capture.last_ts? + 1)))
}

/// The bin width to re-read `[t0, t1)` at: the coarsest step of the ladder
/// giving at least 300 bins, if finer than `stored`.
pub fn fine_width(t0: i64, t1: i64, stored: u64) -> Option<u64> {
    let span = (t1 - t0).max(1) as u64;
    portspike_core::bins::LADDER
        .iter()
        .rev()
        .copied()
        .find(|w| span / w >= 300)
        .or(portspike_core::bins::LADDER.first().copied())
        .filter(|w| *w < stored)
}

fn download_url(name: &str, url: &str) -> Result<(), JsValue> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

#[derive(Properties, PartialEq)]
struct SettingsProps {
    on_apply: Callback<protocol::Settings>,
    initial: protocol::Settings,
}

/// A text input bound to one field of the draft settings.
/// A settings field: `set` takes the text into the draft and says whether it
/// was a value at all; one that is not is named until it is corrected.
fn field(
    draft: &UseStateHandle<protocol::Settings>,
    bad: &UseStateHandle<Vec<&'static str>>,
    testid: &'static str,
    label: &'static str,
    value: String,
    set: fn(&mut protocol::Settings, &str) -> bool,
) -> Html {
    let (d, b) = (draft.clone(), bad.clone());
    let oninput = Callback::from(move |e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        let mut s = (*d).clone();
        let ok = set(&mut s, &v);
        d.set(s);
        let mut names: Vec<&'static str> = b.iter().copied().filter(|n| *n != label).collect();
        if !ok {
            names.push(label);
        }
        b.set(names);
    });
    let invalid = bad.contains(&label);
    html! {
        <label>{label}<input data-testid={testid} type="text" {value} {oninput}
            aria-invalid={invalid.to_string()} class={classes!(invalid.then_some("invalid"))} /></label>
    }
}

#[function_component(SettingsPanel)]
fn settings_panel(props: &SettingsProps) -> Html {
    let initial = props.initial.clone();
    let draft = use_state(move || initial);
    let d = &draft.detection;
    let on_key = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut s = (*draft).clone();
            s.key = v;
            draft.set(s);
        })
    };
    let apply = {
        let draft = draft.clone();
        let on = props.on_apply.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on.emit((*draft).clone());
        })
    };
    let error = draft.to_params().err();
    let bad = use_state(Vec::<&'static str>::new);
    html! {
        <details class="settings">
            <summary>{"Settings"}</summary>
            <form onsubmit={apply}>
                <label>{"Timelines keyed by"}
                    <select data-testid="settings-key" onchange={on_key}>
                        <option value="service" selected={draft.key == "service"}>{"service port"}</option>
                        <option value="dst-port" selected={draft.key == "dst-port"}>{"destination port"}</option>
                    </select>
                </label>
                { field(&draft, &bad, "bin-width", "Bin width (e.g. 1s, 5m; empty: automatic)", draft.bin.clone(), |s, v| { s.bin = v.to_string(); true }) }
                { field(&draft, &bad, "settings-threshold", "Spike threshold (how many spreads above a port's normal a bin must be)", d.threshold.to_string(),
                    |s, v| v.trim().parse().map(|x| s.detection.threshold = x).is_ok()) }
                { field(&draft, &bad, "settings-persistence", "Persistence K/N (a finding needs K hot bins in any N)", format!("{}/{}", d.persistence_k, d.persistence_n),
                    |s, v| match v.split_once('/').map(|(k, n)| (k.trim().parse(), n.trim().parse())) {
                        Some((Ok(k), Ok(n))) => {
                            s.detection.persistence_k = k;
                            s.detection.persistence_n = n;
                            true
                        }
                        _ => false,
                    }) }
                { field(&draft, &bad, "settings-baseline", "Baseline bins (how much history forms a port's normal)", d.baseline_bins.to_string(),
                    |s, v| v.trim().parse().map(|x| s.detection.baseline_bins = x).is_ok()) }
                { field(&draft, &bad, "settings-min-excess", "Minimum excess (events per bin above normal)", d.min_excess.to_string(),
                    |s, v| v.trim().parse().map(|x| s.detection.min_excess = x).is_ok()) }
                { field(&draft, &bad, "settings-home", "Home networks (CIDR, comma-separated)", d.home.join(", "),
                    |s, v| { s.detection.home = protocol::cidr_list(v); true }) }
                { field(&draft, &bad, "settings-allow", "Known scanners (CIDR, comma-separated)", d.allow.join(", "),
                    |s, v| { s.detection.allow = protocol::cidr_list(v); true }) }
                if !bad.is_empty() {
                    <p class="warning" role="alert" data-testid="settings-invalid">{format!(
                        "Not a valid value: {} — correct it to apply.", bad.join("; "))}</p>
                }
                if let Some(e) = &error { <p class="warning" role="alert">{e}</p> }
                <button class="button" type="submit" data-testid="settings-apply" disabled={error.is_some() || !bad.is_empty()}>{"Apply and analyse again"}</button>
            </form>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct ShareProps {
    report: Shared<Report>,
    /// A preview while the analysis runs: no result link yet.
    partial: bool,
    /// The result link packed by the worker.
    link: Option<Shared<Link>>,
    /// Ask the worker for the link with addresses hashed (or not).
    on_anonymise: Callback<bool>,
    settings: protocol::Settings,
    view: share::View,
    shared: bool,
}

/// Resolves in a later task (a zero timeout), so work after it does not
/// lengthen the current one.
async fn next_task() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// Links to this view, and to the result itself.
#[function_component(Share)]
fn share_panel(props: &ShareProps) -> Html {
    let anonymise = use_state(|| false);
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    let view_link = format!(
        "{base}#{}",
        share::view_fragment(&props.view, &props.settings)
    );
    // The result link: the worker packs the report (deflate of the JSON) and
    // sends it after the report; a shared result (no worker) is packed here,
    // in a task of its own after the result is on screen.
    let key = (Rc::as_ptr(&props.report.0) as usize, *anonymise);
    let built = use_state(|| None::<((usize, bool), share::Packed)>);
    {
        let report = props.report.clone();
        let built = built.clone();
        let local = props.shared;
        use_effect_with(key, move |key| {
            let key = *key;
            if local {
                wasm_bindgen_futures::spawn_local(async move {
                    next_task().await;
                    let salt = key.1.then(|| js_sys::Math::random().to_bits());
                    built.set(Some((key, share::encode_result(&report, salt))));
                });
            }
        });
    }
    {
        // The worker's link is of the other kind: ask for this one.
        let on = props.on_anonymise.clone();
        let have = props.link.as_ref().map(|l| l.anonymised);
        use_effect_with((*anonymise, have), move |(want, have)| {
            if have.is_some_and(|h| h != *want) {
                on.emit(*want);
            }
        });
    }
    let sha = props.report.sha256().unwrap_or_default().to_string();
    // The link names the SHA-256 its packed report holds (the worker's link
    // may still be the one built before the capture was hashed).
    let result = if props.shared {
        built
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| (p.value.clone(), p.series, p.ports, sha.clone()))
    } else {
        props
            .link
            .as_ref()
            // Offered once complete: with the capture's SHA-256 (a capture
            // that could not be read to its end gets none).
            .filter(|l| {
                l.anonymised == *anonymise
                    && !props.partial
                    && (!l.sha256.is_empty() || props.report.capture.error.is_some())
            })
            .map(|l| (l.value.clone(), l.kept, l.ports, l.sha256.clone()))
    };
    let total = props
        .report
        .ports
        .iter()
        .filter(|p| p.series.is_some())
        .count();
    let listed = props.report.ports.len();
    let result_link = result.as_ref().map(|(value, kept, ports, sha)| {
        let link = format!(
            "{base}#{}",
            share::result_fragment(
                &props.view,
                &props.settings,
                &props.report.generator.version,
                sha,
                value
            ),
        );
        let what = if *ports < listed {
            format!("; the top {ports} of {listed} ports, without timelines")
        } else if *kept < total {
            format!("; timelines of the top {kept} of {total} ports")
        } else {
            String::new()
        };
        (link, what)
    });
    let toggle = {
        let anonymise = anonymise.clone();
        Callback::from(move |_: Event| anonymise.set(!*anonymise))
    };
    // A click copies the link (and says so) rather than leaving the page.
    let copied = use_state(|| None::<&'static str>);
    let copy = |what: &'static str, link: String| {
        let copied = copied.clone();
        Callback::from(move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
                return; // a new tab or window, as the user asked
            }
            e.prevent_default();
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&link);
                copied.set(Some(what));
            }
        })
    };
    let copy_view = copy("the link to this view", view_link.clone());
    let copy_result = result_link
        .as_ref()
        .map(|(link, _)| copy("the link with the result", link.clone()));
    html! {
        <section class="share" aria-label="Share">
            if props.shared {
                <p class="note" data-testid="shared-note">{format!(
                    "A shared result (portspike {}, capture SHA-256 {}): the capture itself is not loaded; drop it to analyse it here.",
                    props.report.generator.version, if sha.is_empty() { "unknown" } else { &sha })}</p>
            }
            <a data-testid="share-link" href={view_link} onclick={copy_view}
                title="Copies a link that opens this view again (the capture must be dropped again)">{"Copy link to this view"}</a>
            if let (Some((link, what)), Some(onclick)) = (result_link, copy_result) {
                <a data-testid="share-result" href={link.clone()} {onclick}
                    title="Copies a link that carries the result itself: whoever opens it sees this analysis without the capture">{format!(
                    "Copy link with the result ({} kB{what})", link.len() / 1000)}</a>
            } else {
                <span class="muted" data-testid="share-result-pending">{
                    if props.partial { "Link with the result: once the analysis is done" } else { "Link with the result: once the capture is hashed…" }
                }</span>
            }
            <label><input type="checkbox" data-testid="share-anonymise" checked={*anonymise} onchange={toggle} />
                {" hash addresses in the result link"}</label>
            if let Some(what) = *copied {
                <span class="saved" role="status" data-testid="share-copied">{format!("Copied {what} ✓")}</span>
            }
        </section>
    }
}

/// Clicks on a `scanner-row` (inside the findings) open that scanner's detail.
fn scanner_clicks(report: &Rc<Report>, on: Callback<Option<usize>>) -> Callback<MouseEvent> {
    let report = report.clone();
    Callback::from(move |e: MouseEvent| {
        let Some(row) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-testid=\"scanner-row\"]").ok().flatten())
        else {
            return;
        };
        let source = row.get_attribute("data-source").unwrap_or_default();
        if let Some(i) = report.scanners.iter().position(|s| s.source == source) {
            on.emit(Some(i));
        }
    })
}

#[derive(Properties, PartialEq)]
struct ScannerDetailProps {
    report: Shared<Report>,
    index: usize,
    on_save: Callback<usize>,
    on_close: Callback<Option<usize>>,
    saved: Option<String>,
    /// The capture can be read again (local, uncompressed).
    can_save: bool,
    utc: bool,
}

/// A scanner's evidence: when (every burst), whom and which ports, how it
/// probed and what came back, its Wireshark filter and its packets.
#[function_component(ScannerDetail)]
fn scanner_detail(props: &ScannerDetailProps) -> Html {
    let node = use_scrolled_into_view(props.index);
    let Some(sc) = props.report.scanners.get(props.index) else {
        return html! {};
    };
    let tz = if props.utc {
        0
    } else {
        local_offset_min(sc.first_ts)
    };
    let at = |us: i64| chart::hms_at(us, tz);
    let zone = chart::zone_name(tz);
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
                    <p>{format!("detected {} {zone} by {} after {} first contacts", at(sc.detected_ts), sc.method, sc.contacts_at_detection)}</p></div>
                <div><h3 title="Hosts it contacted, by first contacts (the busiest 10)">{format!("Targets ({})", sc.targets)}</h3>
                    <ol>{ for sc.top_targets.iter().map(|t| html! {
                        <li data-testid="scanner-target" data-addr={t.addr.clone()}>{format!("{} ({} first contacts)", t.addr, t.attempts)}</li>
                    }) }</ol></div>
                <div><h3 title="Ports it contacted, by first contacts (the busiest 10)">{format!("Ports ({})", sc.ports)}</h3>
                    <ol>{ for sc.top_ports.iter().map(|p| html! {
                        <li data-testid="scanner-port" data-port={format!("{}/{}", p.proto, p.port)}>{format!("{}/{} ({} first contacts)", p.proto, p.port, p.attempts)}</li>
                    }) }</ol></div>
                <div><h3 title="How it probed, and what came back (counts over the whole capture)">{"Probes and outcomes"}</h3>
                    <ul>
                        <li data-testid="scanner-probes">{ if sc.probe_counts.is_empty() { sc.probes.join(", ") } else {
                            sc.probe_counts.iter().map(|p| format!("{} {}", p.probe, p.contacts)).collect::<Vec<_>>().join(" · ") } }</li>
                        <li data-testid="scanner-outcomes">{format!("{} first contacts: {} answered, {} failed", sc.attempts, answered, sc.failures)}</li>
                        if let Some(e) = &sc.evidence { <li>{e.clone()}</li> }
                    </ul></div>
            </div>
            if !sc.wireshark_filter.is_empty() {
                <p class="filter"><code data-testid="wireshark-filter">{&sc.wireshark_filter}</code>
                    <CopyButton text={sc.wireshark_filter.clone()} label="Copy Wireshark filter" testid="copy-filter" />
                    <button class="button secondary" data-testid="save-pcap" onclick={save}
                        disabled={!props.can_save}
                        title={if props.can_save { "Its packets (sent or received) from its first to its last contact, read again from the file into a new capture" } else { "Only a local, uncompressed capture can be read again" }}>
                        {"Save these packets as pcap"}</button></p>
            }
            if let Some(m) = &props.saved {
                <p class="saved" role="status" data-testid="save-status">{m}</p>
            }
        </section>
    }
}

/// Everyday names of services whose registered names say otherwise (the
/// port search finds "smb" at 445, "rdp" at 3389).
const SERVICE_ALIASES: &[(&str, &[u16])] = &[
    ("smb", &[445, 139]),
    ("cifs", &[445]),
    ("rdp", &[3389]),
    ("remote desktop", &[3389]),
    ("vnc", &[5900]),
    ("winrm", &[5985, 5986]),
    ("mssql", &[1433, 1434]),
    ("sql server", &[1433, 1434]),
    ("postgres", &[5432]),
    ("dns", &[53]),
    ("dhcp", &[67, 68]),
    ("rpc", &[135]),
    ("nfs", &[2049]),
    ("web", &[80, 443, 8080, 8443]),
];

/// Whether the port search text `f` (lower case) names this port's service,
/// by its registered name or an everyday alias.
fn service_matches(p: &portspike_core::report::PortReport, f: &str) -> bool {
    p.service.as_deref().is_some_and(|n| n.contains(f))
        || SERVICE_ALIASES
            .iter()
            .any(|(alias, ports)| alias.contains(f) && ports.contains(&p.port))
}
