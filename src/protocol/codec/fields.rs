//! Every name a message uses on the wire, declared once, and the object its
//! fields are read from and written to.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// Each message's `type`.
pub mod tag {
    pub const ANALYZE: &str = "analyze";
    pub const LINK: &str = "link";
    pub const WINDOW: &str = "window";
    pub const EXTRACT: &str = "extract";
    pub const BENCH: &str = "bench";
    pub const SPLIT: &str = "split";
    pub const SENDERS: &str = "senders";
    pub const READY: &str = "ready";
    pub const PROGRESS: &str = "progress";
    pub const PARTIAL: &str = "partial";
    pub const PORTS: &str = "ports";
    pub const DONE: &str = "done";
    pub const EVIDENCE: &str = "evidence";
    pub const HASHED: &str = "hashed";
    pub const FAILED: &str = "failed";
    pub const SENT: &str = "sent";
}

/// Each field's name.
pub mod name {
    /// The message's kind (one of [`tag`](super::tag)); the reader thread's
    /// messages have none.
    pub const TYPE: &str = "type";
    pub const BLOBS: &str = "blobs";
    pub const NAMES: &str = "names";
    pub const SETTINGS: &str = "settings";
    pub const URL: &str = "url";
    pub const ANONYMISE: &str = "anonymise";
    pub const ID: &str = "id";
    pub const T0: &str = "t0";
    pub const T1: &str = "t1";
    pub const WIDTH: &str = "width";
    pub const PORTS: &str = "ports";
    pub const NAME: &str = "name";
    pub const PROTO: &str = "proto";
    pub const PORT: &str = "port";
    pub const AIM: &str = "aim";
    pub const HOST: &str = "host";
    pub const BLOB: &str = "blob";
    pub const AT: &str = "at";
    pub const ADDRS: &str = "addrs";
    pub const BYTES: &str = "bytes";
    pub const TOTAL: &str = "total";
    pub const PACKETS: &str = "packets";
    pub const MEMORY: &str = "memory";
    pub const REPORT: &str = "report";
    pub const JSON: &str = "json";
    pub const WHY: &str = "why";
    pub const PHASES: &str = "phases";
    pub const INDEX: &str = "index";
    pub const SHA256: &str = "sha256";
    pub const VALUE: &str = "value";
    pub const KEPT: &str = "kept";
    pub const ANONYMISED: &str = "anonymised";
    pub const MATCHED: &str = "matched";
    pub const FORMAT: &str = "format";
    pub const NOTE: &str = "note";
    pub const MS: &str = "ms";
    pub const MESSAGE: &str = "message";
    pub const DIFF: &str = "diff";
    /// Why an answer has no value (beside or instead of its value's field).
    pub const ERROR: &str = "error";
    pub const SLICE: &str = "slice";
    pub const AHEAD: &str = "ahead";
    pub const ACK: &str = "ack";
    pub const BUF: &str = "buf";
    pub const LAST: &str = "last";
}

/// A message's fields: written by `encode`, read by `decode`. On the wire
/// they are a plain JS object's ([`JsFields`]); the native tests keep them
/// in a map.
pub trait Fields {
    fn put_text(&mut self, k: &'static str, v: &str);
    fn put_num(&mut self, k: &'static str, v: f64);
    fn put_flag(&mut self, k: &'static str, v: bool);
    fn put_blob(&mut self, k: &'static str, v: &Blob);
    fn put_bytes(&mut self, k: &'static str, v: &Uint8Array);
    /// An array of blobs.
    fn put_blobs<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a Blob>);
    /// An array of strings.
    fn put_texts<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a str>);

    /// The field if it is a string.
    fn text(&self, k: &str) -> Option<String>;
    /// The field if it is a number.
    fn num(&self, k: &str) -> Option<f64>;
    /// The field if it is a boolean.
    fn flag(&self, k: &str) -> Option<bool>;
    /// The field if it is a `Blob`.
    fn blob(&self, k: &str) -> Option<Blob>;
    /// The field as a byte array.
    fn bytes(&self, k: &str) -> Uint8Array;
    /// The field's items, each if it is a `Blob`.
    fn blobs(&self, k: &str) -> Vec<Option<Blob>>;
    /// The field's items, each if it is a string.
    fn texts(&self, k: &str) -> Vec<Option<String>>;
}

/// A message as it crosses `postMessage`: a plain JS object.
pub struct JsFields(pub JsValue);

impl JsFields {
    pub fn new() -> Self {
        JsFields(Object::new().into())
    }

    fn set(&mut self, k: &str, v: &JsValue) {
        let _ = Reflect::set(&self.0, &JsValue::from_str(k), v);
    }

    /// Field `k` (`undefined` if none).
    fn get(&self, k: &str) -> JsValue {
        Reflect::get(&self.0, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
    }
}

impl Fields for JsFields {
    fn put_text(&mut self, k: &'static str, v: &str) {
        self.set(k, &JsValue::from_str(v));
    }
    fn put_num(&mut self, k: &'static str, v: f64) {
        self.set(k, &JsValue::from_f64(v));
    }
    fn put_flag(&mut self, k: &'static str, v: bool) {
        self.set(k, &JsValue::from_bool(v));
    }
    fn put_blob(&mut self, k: &'static str, v: &Blob) {
        self.set(k, v);
    }
    fn put_bytes(&mut self, k: &'static str, v: &Uint8Array) {
        self.set(k, v);
    }
    fn put_blobs<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a Blob>) {
        let a = Array::new();
        for b in v {
            a.push(b);
        }
        self.set(k, &a);
    }
    fn put_texts<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a str>) {
        let a = Array::new();
        for s in v {
            a.push(&JsValue::from_str(s));
        }
        self.set(k, &a);
    }

    fn text(&self, k: &str) -> Option<String> {
        self.get(k).as_string()
    }
    fn num(&self, k: &str) -> Option<f64> {
        self.get(k).as_f64()
    }
    fn flag(&self, k: &str) -> Option<bool> {
        self.get(k).as_bool()
    }
    fn blob(&self, k: &str) -> Option<Blob> {
        self.get(k).dyn_into::<Blob>().ok()
    }
    fn bytes(&self, k: &str) -> Uint8Array {
        Uint8Array::new(&self.get(k))
    }
    fn blobs(&self, k: &str) -> Vec<Option<Blob>> {
        Array::from(&self.get(k))
            .iter()
            .map(|b| b.dyn_into::<Blob>().ok())
            .collect()
    }
    fn texts(&self, k: &str) -> Vec<Option<String>> {
        Array::from(&self.get(k))
            .iter()
            .map(|s| s.as_string())
            .collect()
    }
}
