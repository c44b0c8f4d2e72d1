//! The analysis worker. Runs in a `DedicatedWorkerGlobalScope`: it takes
//! [`ToWorker`] requests, reads captures in slices on a reader thread, runs
//! the engine and answers with [`FromWorker`] messages.
//!
//! Everything it holds between messages (the last analysis's files, indexes
//! and report, the idle reader threads, the page's choice for result links)
//! lives in one [`Session`].

mod bench;
mod reader;
mod run;
mod split;
mod window;

use crate::protocol::{self, FromWorker, Packed, ToWorker};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

/// What a finished analysis keeps for re-reading windows of its files.
pub(crate) struct Kept {
    /// The final report (with the files' SHA-256 once known), for result links.
    pub report: portspike_core::report::Report,
    pub files: Vec<(Blob, String)>,
    pub index: Vec<Option<portspike_core::capture::Index>>,
    pub params: portspike_core::Params,
}

/// The worker's state between messages.
#[derive(Default)]
pub(crate) struct Session {
    /// The last finished analysis.
    pub kept: Option<Kept>,
    /// Idle reader threads (reads may run side by side: a window re-read
    /// while the file is hashed).
    pub readers: Vec<reader::Reader>,
    /// The page's last choice for result links: addresses hashed or not.
    pub anonymise: bool,
}

/// The session in the cell the handlers of one worker share.
pub(crate) type SessionCell = Rc<RefCell<Session>>;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Post a message to the page.
pub(crate) fn post(m: FromWorker) {
    let _ = scope().post_message(&m.encode());
}

pub(crate) fn now_ms() -> f64 {
    scope().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Install the message handler.
pub fn start() {
    let session = SessionCell::default();
    let s = session.clone();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        match ToWorker::decode(&ev.data()) {
            Ok(Some(m)) => handle(&s, m),
            Ok(None) => {}
            Err(message) => post(FromWorker::Failed { message }),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    // A reader thread ready for the first file.
    if let Some(r) = reader::Reader::take(&session) {
        reader::Reader::give_back(&session, r);
    }
    post(FromWorker::Ready);
}

fn handle(s: &SessionCell, m: ToWorker) {
    let s = s.clone();
    match m {
        ToWorker::Analyze {
            files,
            url,
            settings,
        } => {
            let params = match settings.to_params() {
                Ok(p) => p,
                Err(e) => {
                    return post(FromWorker::Failed {
                        message: format!("settings: {e}"),
                    })
                }
            };
            wasm_bindgen_futures::spawn_local(async move {
                let result = match url {
                    Some(u) => run::analyze_url(&s, u, params).await,
                    None => run::analyze(&s, files, params).await,
                };
                if let Err(e) = result {
                    post(FromWorker::Failed {
                        message: error_text(&e),
                    });
                }
            });
        }
        ToWorker::Link { anonymise } => post_link(&s, anonymise),
        ToWorker::Window(ask) => {
            wasm_bindgen_futures::spawn_local(async move { window::window(&s, ask).await })
        }
        ToWorker::Extract {
            name,
            target,
            t0,
            t1,
        } => wasm_bindgen_futures::spawn_local(async move {
            window::extract(&s, name, target, t0, t1).await
        }),
        ToWorker::Bench { blob } => wasm_bindgen_futures::spawn_local(bench::bench(blob)),
        ToWorker::Split { at } => {
            wasm_bindgen_futures::spawn_local(async move { split::split(&s, at).await })
        }
        ToWorker::Senders { addrs } => {
            wasm_bindgen_futures::spawn_local(async move { window::senders(&s, &addrs).await })
        }
    }
}

/// The message of a JS error (a string, an `Error` or a `DOMException`).
pub(crate) fn error_text(e: &JsValue) -> String {
    protocol::error_text(e).unwrap_or_else(|| "reading the file failed".into())
}

/// Post the kept report packed for a result link, and remember the choice.
pub(crate) fn post_link(s: &SessionCell, anonymise: bool) {
    let mut s = s.borrow_mut();
    s.anonymise = anonymise;
    let Some(k) = s.kept.as_ref() else {
        return;
    };
    let salt = anonymise.then(|| js_sys::Math::random().to_bits());
    let packed = crate::share::encode_result(&k.report, salt);
    post(FromWorker::Link(Packed {
        value: packed.value,
        kept: packed.series,
        ports: packed.ports,
        sha256: k.report.sha256().unwrap_or_default().to_string(),
        anonymised: anonymise,
        memory: wasm_memory(),
    }));
}

/// Bytes of this worker's wasm linear memory (it only grows).
pub(crate) fn wasm_memory() -> f64 {
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
