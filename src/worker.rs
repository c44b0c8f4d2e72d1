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
    let mut a = Analyzer::new(params);
    a.begin_file(&name, total as u64, None);
    let mut hasher = sha2::Sha256::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut last_preview = js_sys::Date::now();
    loop {
        let step = JsFuture::from(reader.read()).await?;
        if get(&step, "done").as_bool().unwrap_or(true) {
            break;
        }
        let arr = Uint8Array::new(&get(&step, "value"));
        buf.resize(arr.length() as usize, 0);
        arr.copy_to(&mut buf);
        hasher.update(&buf);
        a.feed(&buf);
        let now = js_sys::Date::now();
        if now - last_preview >= protocol::PREVIEW_MS {
            last_preview = now;
            post(&[
                ("type", protocol::PARTIAL.into()),
                ("report", a.preview().to_json().into()),
            ]);
        }
        let p = a.progress();
        post(&[
            ("type", protocol::PROGRESS.into()),
            ("bytes", (p.bytes as f64).into()),
            ("total", total.max(p.bytes as f64).into()),
            ("packets", (p.packets as f64).into()),
        ]);
    }
    let digest = hasher.finalize();
    a.set_file_sha256(digest.iter().map(|b| format!("{b:02x}")).collect());
    let report = a.finish();
    post(&[
        ("type", protocol::DONE.into()),
        ("report", report.to_json().into()),
    ]);
    Ok(())
}

async fn analyze(
    files: Vec<(Blob, String)>,
    params: portspike_core::Params,
) -> Result<(), JsValue> {
    let total: f64 = files.iter().map(|(b, _)| b.size()).sum();
    let mut a = Analyzer::new(params);
    let mut buf: Vec<u8> = Vec::new();
    let mut last_preview = js_sys::Date::now();
    for (blob, name) in files {
        let size = blob.size();
        a.begin_file(&name, size as u64, None);
        let mut hasher = sha2::Sha256::default();
        let mut off = 0.0;
        while off < size {
            let end = (off + protocol::SLICE_BYTES).min(size);
            let part = blob.slice_with_f64_and_f64(off, end)?;
            let ab = JsFuture::from(part.array_buffer()).await?;
            let arr = Uint8Array::new(&ab);
            let n = arr.length() as usize;
            buf.resize(n, 0);
            arr.copy_to(&mut buf);
            hasher.update(&buf);
            a.feed(&buf);
            off = end;
            // Charts while parsing: a preview report at most twice a second.
            let now = js_sys::Date::now();
            if now - last_preview >= protocol::PREVIEW_MS && off < size {
                last_preview = now;
                post(&[
                    ("type", protocol::PARTIAL.into()),
                    ("report", a.preview().to_json().into()),
                ]);
            }
            let p = a.progress();
            post(&[
                ("type", protocol::PROGRESS.into()),
                ("bytes", (p.bytes as f64).into()),
                ("total", total.into()),
                ("packets", (p.packets as f64).into()),
            ]);
        }
        let digest = hasher.finalize();
        a.set_file_sha256(digest.iter().map(|b| format!("{b:02x}")).collect());
    }
    drop(buf);
    let report = a.finish();
    post(&[
        ("type", protocol::DONE.into()),
        ("report", report.to_json().into()),
    ]);
    Ok(())
}
