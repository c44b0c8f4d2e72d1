//! The analysis worker. Runs in a `DedicatedWorkerGlobalScope`.

use crate::protocol;
use js_sys::{Object, Reflect, Uint8Array};
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
        if get(&data, "type").as_string().as_deref() != Some(protocol::ANALYZE) {
            return;
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
        let settings: protocol::Settings = get(&data, "settings")
            .as_string()
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let params = match settings.to_params() {
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
                let message = e
                    .as_string()
                    .or_else(|| {
                        e.dyn_ref::<js_sys::Error>()
                            .map(|e| String::from(e.message()))
                    })
                    .unwrap_or_else(|| "reading the file failed".into());
                post(&[
                    ("type", protocol::FAILED.into()),
                    ("message", message.into()),
                ]);
            }
        });
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&[("type", protocol::READY.into())]);
}

/// Stream a capture from a URL (CORS) into the engine, chunk by chunk.
async fn analyze_url(url: String, params: portspike_core::Params) -> Result<(), JsValue> {
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
    run.begin_file(&name, total);
    loop {
        let step = JsFuture::from(reader.read()).await?;
        if get(&step, "done").as_bool().unwrap_or(true) {
            break;
        }
        run.chunk(&Uint8Array::new(&get(&step, "value")), true);
    }
    run.finish();
    Ok(())
}

/// One analysis: the engine, the current file's hash, and the messages to the page.
struct Run {
    a: Analyzer,
    hasher: sha2::Sha256,
    buf: Vec<u8>,
    total: f64,
    last_preview: f64,
}

impl Run {
    fn new(params: portspike_core::Params, total: f64) -> Self {
        Run {
            a: Analyzer::new(params),
            hasher: sha2::Sha256::default(),
            buf: Vec::new(),
            total,
            last_preview: js_sys::Date::now(),
        }
    }

    fn begin_file(&mut self, name: &str, size: f64) {
        self.a.begin_file(name, size as u64, None);
        self.hasher = sha2::Sha256::default();
    }

    /// Feed one chunk; post progress, and (at most twice a second, while more
    /// is to come) a preview report for charts while parsing.
    fn chunk(&mut self, arr: &Uint8Array, more: bool) {
        self.buf.resize(arr.length() as usize, 0);
        arr.copy_to(&mut self.buf);
        self.hasher.update(&self.buf);
        self.a.feed(&self.buf);
        let now = js_sys::Date::now();
        if more && now - self.last_preview >= protocol::PREVIEW_MS {
            self.last_preview = now;
            post(&[
                ("type", protocol::PARTIAL.into()),
                ("report", self.a.preview().to_json().into()),
            ]);
        }
        let p = self.a.progress();
        post(&[
            ("type", protocol::PROGRESS.into()),
            ("bytes", (p.bytes as f64).into()),
            ("total", self.total.max(p.bytes as f64).into()),
            ("packets", (p.packets as f64).into()),
        ]);
    }

    fn end_file(&mut self) {
        let digest = std::mem::take(&mut self.hasher).finalize();
        self.a
            .set_file_sha256(digest.iter().map(|b| format!("{b:02x}")).collect());
    }

    fn finish(mut self) {
        self.end_file();
        let report = self.a.finish();
        post(&[
            ("type", protocol::DONE.into()),
            ("report", report.to_json().into()),
        ]);
    }
}

async fn analyze(
    files: Vec<(Blob, String)>,
    params: portspike_core::Params,
) -> Result<(), JsValue> {
    let total: f64 = files.iter().map(|(b, _)| b.size()).sum();
    let mut run = Run::new(params, total);
    let n = files.len();
    for (k, (blob, name)) in files.into_iter().enumerate() {
        let size = blob.size();
        run.begin_file(&name, size);
        let mut off = 0.0;
        while off < size {
            let end = (off + protocol::SLICE_BYTES).min(size);
            let part = blob.slice_with_f64_and_f64(off, end)?;
            let ab = JsFuture::from(part.array_buffer()).await?;
            off = end;
            run.chunk(&Uint8Array::new(&ab), off < size || k + 1 < n);
        }
        if k + 1 < n {
            run.end_file();
        }
    }
    run.finish();
    Ok(())
}
