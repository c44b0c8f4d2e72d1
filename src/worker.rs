//! The analysis worker. Runs in a `DedicatedWorkerGlobalScope`.

use crate::protocol;
use js_sys::{Object, Reflect, Uint8Array};
use portspike_core::Analyzer;
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
        let Ok(blob) = get(&data, "blob").dyn_into::<Blob>() else {
            post(&[
                ("type", protocol::FAILED.into()),
                ("message", "no file in the request".into()),
            ]);
            return;
        };
        let name = get(&data, "name")
            .as_string()
            .unwrap_or_else(|| "capture".into());
        let key = get(&data, "key").as_string().unwrap_or_default();
        let bin = get(&data, "bin_width_us").as_f64().map(|v| v as u64);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = analyze(blob, name, protocol::params(&key, bin)).await {
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

async fn analyze(blob: Blob, name: String, params: portspike_core::Params) -> Result<(), JsValue> {
    let total = blob.size();
    let mut a = Analyzer::new(params);
    a.set_file(&name, total as u64, None);
    let mut buf: Vec<u8> = Vec::new();
    let mut off = 0.0;
    while off < total {
        let end = (off + protocol::SLICE_BYTES).min(total);
        let part = blob.slice_with_f64_and_f64(off, end)?;
        let ab = JsFuture::from(part.array_buffer()).await?;
        let arr = Uint8Array::new(&ab);
        let n = arr.length() as usize;
        buf.resize(n, 0);
        arr.copy_to(&mut buf);
        a.feed(&buf);
        off = end;
        let p = a.progress();
        post(&[
            ("type", protocol::PROGRESS.into()),
            ("bytes", (p.bytes as f64).into()),
            ("total", total.into()),
            ("packets", (p.packets as f64).into()),
        ]);
    }
    drop(buf);
    let report = a.finish();
    post(&[
        ("type", protocol::DONE.into()),
        ("report", report.to_json().into()),
    ]);
    Ok(())
}
