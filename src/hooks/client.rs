//! The page's client of the analysis worker (`crate::worker`): starts the
//! worker (one kept warm ahead of need), sends it typed requests, and turns
//! its messages into actions.

use crate::dom::{html_attr, next_task, save_bytes};
use crate::format::saved_text;
use crate::protocol::{self, FromWorker, ToWorker};
use crate::state::{Action, Fine, State};
use portspike_core::report::{PortReport, Report};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, Event, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::prelude::*;

/// The page's workers: the running analysis's worker and its handlers (kept
/// alive with it, dropped with it), the spare, the baseline's; and the files
/// last opened (to analyse again with new settings).
#[derive(Default)]
pub struct WorkerClient {
    worker: Option<Worker>,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    _onerror: Option<Closure<dyn FnMut(Event)>>,
    files: Vec<(Blob, String)>,
    /// The capture came from this URL (analysed again by fetching it again).
    url: Option<String>,
    /// A worker started ahead of need, so a dropped capture is read at once.
    spare: Option<Spare>,
    /// Number of the newest window request: older answers are dropped.
    latest: u32,
    /// The baseline's worker and files, while comparing.
    baseline: Option<Baseline>,
}

/// A baseline capture being read (or read) by a worker of its own.
struct Baseline {
    files: Vec<(Blob, String)>,
    worker: Worker,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
}

/// The page's client of the worker, shared by the page's callbacks.
pub type Client = Rc<RefCell<WorkerClient>>;

/// A started worker and whether it has said [`FromWorker::Ready`].
struct Spare {
    worker: Worker,
    ready: Rc<Cell<bool>>,
    /// It failed to start (it is not used; a new one is started instead).
    failed: Rc<Cell<bool>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(Event)>,
}

fn spawn_worker() -> Result<Worker, JsValue> {
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Classic);
    opts.set_name("portspike-worker");
    Worker::new_with_options("./worker_loader.js", &opts)
}

impl WorkerClient {
    pub fn stop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.terminate();
        }
        self._onmessage = None;
        self._onerror = None;
    }

    /// Stop comparing: the baseline's worker ends.
    pub fn clear_baseline(&mut self) {
        if let Some(b) = self.baseline.take() {
            b.worker.terminate();
        }
    }

    /// Start the next analysis's worker now (while the page is idle).
    fn warm(&mut self) {
        if self.spare.is_some() {
            return;
        }
        let Ok(worker) = spawn_worker() else {
            return;
        };
        let ready = Rc::new(Cell::new(false));
        let r = ready.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if matches!(FromWorker::decode(&ev.data()), Some(FromWorker::Ready)) {
                r.set(true);
                // For tests and benchmarks: a dropped capture is read at once.
                html_attr("data-worker", Some("ready"));
            }
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        let failed = Rc::new(Cell::new(false));
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

    /// A new window request's number (answers to older ones are dropped).
    pub fn next_window_id(&mut self) -> u32 {
        self.latest = self.latest.wrapping_add(1);
        self.latest
    }

    pub fn latest_window(&self) -> u32 {
        self.latest
    }
}

/// The page's client of the worker; the first analysis's worker starts with it.
#[hook]
pub fn use_worker() -> Client {
    let running = use_mut_ref(WorkerClient::default);
    {
        let running = running.clone();
        use_effect_with((), move |_| warm_later(Rc::downgrade(&running)));
    }
    running
}

/// Ask the baseline's worker what `addrs` sent there (answered as
/// [`Action::CompareSent`]).
pub fn ask_baseline(running: &Client, addrs: &[String]) {
    if let Some(b) = &running.borrow().baseline {
        let m = ToWorker::Senders {
            addrs: serde_json::to_string(addrs).unwrap_or_default(),
        };
        let _ = b.worker.post_message(&m.encode());
    }
}

/// Send a request to the worker of the current analysis.
pub fn post(running: &Client, m: ToWorker) {
    if let Some(w) = &running.borrow().worker {
        let _ = w.post_message(&m.encode());
    }
}

/// Dispatches actions in a later task, in the order they were given.
#[derive(Clone)]
struct Later {
    dispatch: UseReducerDispatcher<State>,
    queue: Rc<RefCell<VecDeque<Action>>>,
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
fn warm_later(running: Weak<RefCell<WorkerClient>>) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(r) = running.upgrade() {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.warm();
            }
        }
    });
}

/// Analyse the capture last opened again (new settings).
pub fn analyze_again(
    running: &Client,
    dispatch: &UseReducerDispatcher<State>,
    settings: &protocol::Settings,
) {
    let (files, url) = {
        let r = running.borrow();
        (r.files.clone(), r.url.clone())
    };
    if !files.is_empty() || url.is_some() {
        analyze(running, dispatch, files, url, settings);
    }
    let baseline = running.borrow().baseline.as_ref().map(|b| b.files.clone());
    if let Some(files) = baseline {
        compare(running, dispatch, files, settings);
    }
}

/// Read `files` as the baseline to compare the capture with, in a worker of
/// its own, with the same settings.
pub fn compare(
    running: &Client,
    dispatch: &UseReducerDispatcher<State>,
    files: Vec<(Blob, String)>,
    settings: &protocol::Settings,
) {
    running.borrow_mut().clear_baseline();
    let name = match files.as_slice() {
        [(_, name)] => name.clone(),
        many => format!("{} files", many.len()),
    };
    dispatch.dispatch(Action::CompareStart(name));
    let worker = match spawn_worker() {
        Ok(w) => w,
        Err(e) => {
            dispatch.dispatch(Action::CompareFailed(format!(
                "could not start a worker for the baseline: {e:?}"
            )));
            return;
        }
    };
    let request = ToWorker::Analyze {
        files: files.clone(),
        url: None,
        settings: settings.clone(),
    }
    .encode();
    let w = worker.clone();
    let mut inbox = Inbox {
        later: Later::new(dispatch.clone()),
        running: Weak::new(),
        pages: Ok(Vec::new()),
        baseline: true,
    };
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        match FromWorker::decode(&ev.data()) {
            Some(FromWorker::Ready) => {
                let _ = w.post_message(&request);
            }
            Some(m) => inbox.take(m),
            None => {}
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    running.borrow_mut().baseline = Some(Baseline {
        files,
        worker,
        _onmessage: onmessage,
    });
}

/// Start analysing local files (one capture, or a rotated set), or (with
/// `url`) a capture the worker fetches, in a fresh worker.
pub fn analyze(
    running: &Client,
    dispatch: &UseReducerDispatcher<State>,
    files: Vec<(Blob, String)>,
    url: Option<String>,
    settings: &protocol::Settings,
) {
    {
        let mut r = running.borrow_mut();
        r.stop();
        r.files = files.clone();
        r.url = url.clone();
    }
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
    let request = ToWorker::Analyze {
        files,
        url,
        settings: settings.clone(),
    }
    .encode();
    let d = Later::new(dispatch.clone());
    let send = {
        let (w, d) = (worker.clone(), d.clone());
        move || {
            if let Err(e) = w.post_message(&request) {
                d.dispatch(Action::Failed(format!(
                    "could not send the file to the worker: {e:?}"
                )));
            }
        }
    };
    if ready {
        send();
    }
    // The worker's messages become actions in order, each batch in a task of
    // its own: parsing a report and drawing it never add up to one long task.
    let mut inbox = Inbox {
        later: d,
        running: Rc::downgrade(running),
        pages: Ok(Vec::new()),
        baseline: false,
    };
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        match FromWorker::decode(&ev.data()) {
            Some(FromWorker::Ready) => send(),
            Some(m) => inbox.take(m),
            None => {}
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    let d = dispatch.clone();
    let weak = Rc::downgrade(running);
    let onerror = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
        warm_later(weak.clone());
        let msg = ev
            .dyn_ref::<ErrorEvent>()
            .map(|e| e.message())
            .unwrap_or_default();
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

    let mut r = running.borrow_mut();
    r.worker = Some(worker);
    r._onmessage = Some(onmessage);
    r._onerror = Some(onerror);
}

/// What the page makes of one analysis's messages.
struct Inbox {
    later: Later,
    running: Weak<RefCell<WorkerClient>>,
    /// The final report's ports, as their pages arrive (or why one did not parse).
    pages: Result<Vec<PortReport>, String>,
    /// The messages are about the baseline of a comparison: only its report,
    /// hashes and failure matter.
    baseline: bool,
}

impl Inbox {
    fn take(&mut self, m: FromWorker) {
        if self.baseline {
            return self.take_baseline(m);
        }
        let d = self.later.clone();
        match m {
            FromWorker::Ready => {}
            FromWorker::Progress {
                bytes,
                total,
                packets,
                memory,
            } => {
                note_memory(memory);
                d.dispatch(Action::Progress {
                    bytes,
                    total,
                    packets,
                })
            }
            FromWorker::Partial { report } => {
                if let Ok(r) = serde_json::from_str::<Report>(&report) {
                    d.dispatch(Action::Partial(Box::new(r)));
                }
            }
            FromWorker::Ports { json } => self.page(&json),
            FromWorker::Done {
                report,
                ports: paged,
                why,
                phases,
                memory,
            } => {
                note_memory(memory);
                // The worker's phase timings of the run, for the benchmarks.
                html_attr("data-worker-phases", Some(&phases));
                warm_later(self.running.clone());
                match self.assemble(&report, paged) {
                    Ok(r) => {
                        d.dispatch(Action::Done(Box::new(r)));
                        d.dispatch(Action::ZoomLimit((!why.is_empty()).then_some(why)));
                    }
                    Err(e) => d.dispatch(Action::Failed(format!(
                        "the worker's report did not parse: {e}"
                    ))),
                }
            }
            FromWorker::Window { id, t0, t1, report } => {
                let latest = self
                    .running
                    .upgrade()
                    .is_some_and(|r| r.borrow().latest_window() == id);
                if latest {
                    let fine = report
                        .ok()
                        .and_then(|json| serde_json::from_str::<Report>(&json).ok())
                        .map(|report| Rc::new(Fine { t0, t1, report }));
                    d.dispatch(Action::Fine(fine));
                }
            }
            FromWorker::Extract { name, result } => {
                let msg = match result {
                    Err(e) => format!("Could not save the packets: {e}"),
                    Ok(x) => {
                        // Packets of several link types come as a pcapng.
                        let name = if x.format == "pcapng" {
                            format!("{}.pcapng", name.trim_end_matches(".pcap"))
                        } else {
                            name
                        };
                        save_bytes(&name, &x.bytes);
                        saved_text(x.packets, x.matched, &name, &x.note)
                    }
                };
                d.dispatch(Action::Saved(Some(msg)));
            }
            FromWorker::Link(p) => {
                note_memory(p.memory);
                d.dispatch(Action::Link(Rc::new(p)));
            }
            FromWorker::Evidence { json } => match serde_json::from_str(&json) {
                Ok(x) => d.dispatch(Action::Evidence(Box::new(x))),
                Err(e) => d.dispatch(Action::Failed(format!(
                    "the worker's exact counts did not parse: {e}"
                ))),
            },
            FromWorker::Hashed { index, sha256 } => d.dispatch(Action::Hashed(index, sha256)),
            FromWorker::Failed { message } => {
                warm_later(self.running.clone());
                d.dispatch(Action::Failed(message))
            }
            FromWorker::Split { at, diff } => {
                let parsed = diff.and_then(|json| {
                    serde_json::from_str::<portspike_core::diff::Diff>(&json)
                        .map_err(|e| format!("the comparison did not parse: {e}"))
                });
                match parsed {
                    Ok(diff) => d.dispatch(Action::CompareDiff(at, Box::new(diff))),
                    Err(e) => d.dispatch(Action::CompareFailed(e)),
                }
            }
            FromWorker::Bench { .. } | FromWorker::Sent { .. } => {}
        }
    }
}

impl Inbox {
    /// A page of the final report's ports.
    fn page(&mut self, json: &str) {
        if let Ok(ports) = self.pages.as_mut() {
            match serde_json::from_str::<Vec<PortReport>>(json) {
                Ok(mut page) => ports.append(&mut page),
                // Said once the report is complete.
                Err(e) => self.pages = Err(format!("a page of its ports did not parse: {e}")),
            }
        }
    }

    /// The final report: its JSON with the `paged` ports that came before it.
    fn assemble(&mut self, json: &str, paged: usize) -> Result<Report, String> {
        let ports = std::mem::replace(&mut self.pages, Ok(Vec::new()))?;
        let mut r = serde_json::from_str::<Report>(json).map_err(|e| e.to_string())?;
        if ports.len() != paged {
            return Err(format!("{} of its {paged} ports arrived", ports.len()));
        }
        r.ports = ports;
        Ok(r)
    }

    fn take_baseline(&mut self, m: FromWorker) {
        match m {
            FromWorker::Ports { json } => self.page(&json),
            FromWorker::Done { report, ports, .. } => {
                let parsed = self.assemble(&report, ports);
                let d = &self.later;
                match parsed {
                    Ok(r) => d.dispatch(Action::CompareDone(Box::new(r))),
                    Err(e) => d.dispatch(Action::CompareFailed(format!(
                        "the baseline's report did not parse: {e}"
                    ))),
                }
            }
            FromWorker::Hashed { index, sha256 } => {
                self.later.dispatch(Action::CompareHashed(index, sha256))
            }
            FromWorker::Evidence { json } => {
                if let Ok(x) = serde_json::from_str(&json) {
                    self.later.dispatch(Action::CompareEvidence(Box::new(x)));
                }
            }
            FromWorker::Sent { json } => {
                if let Ok(sent) = serde_json::from_str(&json) {
                    self.later.dispatch(Action::CompareSent(Rc::new(sent)));
                }
            }
            FromWorker::Failed { message } => self.later.dispatch(Action::CompareFailed(message)),
            _ => {}
        }
    }
}

/// The worker's wasm memory (bytes), kept on `<html data-worker-memory>`
/// for diagnostics and the benchmarks.
fn note_memory(bytes: f64) {
    html_attr("data-worker-memory", Some(&format!("{bytes:.0}")));
}
