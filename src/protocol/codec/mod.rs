//! The one place messages become plain JS objects and back (field names
//! live here and nowhere else).

use super::*;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// A plain JS object under construction.
struct Obj(Object);

impl Obj {
    fn new(kind: &str) -> Self {
        let o = Obj(Object::new());
        o.set("type", kind)
    }
    fn untyped() -> Self {
        Obj(Object::new())
    }
    fn set(self, k: &str, v: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &JsValue::from_str(k), &v.into());
        self
    }
    fn done(self) -> JsValue {
        self.0.into()
    }
}

/// Field `k` of a JS object (`undefined` if none).
fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}
fn text(o: &JsValue, k: &str) -> Option<String> {
    get(o, k).as_string()
}
fn num(o: &JsValue, k: &str) -> f64 {
    get(o, k).as_f64().unwrap_or(0.0)
}
fn kind(o: &JsValue) -> Option<String> {
    text(o, "type")
}

impl ToWorker {
    pub fn encode(&self) -> JsValue {
        match self {
            ToWorker::Analyze {
                files,
                url,
                settings,
            } => {
                let blobs = js_sys::Array::new();
                let names = js_sys::Array::new();
                for (b, n) in files {
                    blobs.push(b);
                    names.push(&JsValue::from_str(n));
                }
                let o = Obj::new("analyze")
                    .set("blobs", blobs)
                    .set("names", names)
                    .set(
                        "settings",
                        serde_json::to_string(settings).unwrap_or_default(),
                    );
                match url {
                    Some(u) => o.set("url", u.as_str()),
                    None => o,
                }
                .done()
            }
            ToWorker::Link { anonymise } => Obj::new("link").set("anonymise", *anonymise).done(),
            ToWorker::Window(w) => Obj::new("window")
                .set("id", w.id)
                .set("t0", w.t0 as f64)
                .set("t1", w.t1 as f64)
                .set("width", w.width as f64)
                .set("ports", w.ports.join(","))
                .done(),
            ToWorker::Extract {
                name,
                target,
                t0,
                t1,
            } => {
                let o = Obj::new("extract")
                    .set("name", name.as_str())
                    .set("t0", *t0 as f64)
                    .set("t1", *t1 as f64);
                match target {
                    Target::Port { proto, port, aim } => o
                        .set("proto", proto.as_str())
                        .set("port", *port)
                        .set("aim", aim.as_str()),
                    Target::Host(h) => o.set("host", h.as_str()),
                }
                .done()
            }
            ToWorker::Bench { blob } => Obj::new("bench").set("blob", blob.clone()).done(),
            ToWorker::Split { at } => Obj::new("split").set("at", *at as f64).done(),
            ToWorker::Senders { addrs } => Obj::new("senders").set("addrs", addrs.as_str()).done(),
        }
    }

    /// The request in `data`: `Ok(None)` for a message of no known type,
    /// `Err` (said to the page as [`FromWorker::Failed`]) for an analysis
    /// request that cannot be run: settings that do not parse are an error,
    /// never a silent reset.
    pub fn decode(data: &JsValue) -> Result<Option<ToWorker>, String> {
        let t = |k: &str| num(data, k) as i64;
        Ok(Some(match kind(data).as_deref() {
            Some("analyze") => {
                let blobs = js_sys::Array::from(&get(data, "blobs"));
                let names = js_sys::Array::from(&get(data, "names"));
                let files: Vec<(Blob, String)> = blobs
                    .iter()
                    .zip(names.iter())
                    .filter_map(|(b, n)| Some((b.dyn_into::<Blob>().ok()?, n.as_string()?)))
                    .collect();
                let url = text(data, "url");
                if files.is_empty() && url.is_none() {
                    return Err("no file in the request".into());
                }
                let settings = match text(data, "settings") {
                    Some(j) => serde_json::from_str::<Settings>(&j)
                        .map_err(|e| format!("settings: {e}"))?,
                    None => Settings::default(),
                };
                ToWorker::Analyze {
                    files,
                    url,
                    settings,
                }
            }
            Some("link") => ToWorker::Link {
                anonymise: get(data, "anonymise").as_bool().unwrap_or(false),
            },
            Some("window") => ToWorker::Window(WindowAsk {
                id: num(data, "id") as u32,
                t0: t("t0"),
                t1: t("t1"),
                width: (num(data, "width") as u64).max(1),
                ports: text(data, "ports")
                    .unwrap_or_default()
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
            Some("extract") => ToWorker::Extract {
                name: text(data, "name").unwrap_or_default(),
                target: match text(data, "host") {
                    Some(h) => Target::Host(h),
                    None => Target::Port {
                        proto: text(data, "proto").unwrap_or_default(),
                        port: num(data, "port") as u16,
                        aim: text(data, "aim").unwrap_or_default(),
                    },
                },
                t0: t("t0"),
                t1: t("t1"),
            },
            Some("split") => ToWorker::Split { at: t("at") },
            Some("senders") => ToWorker::Senders {
                addrs: text(data, "addrs").unwrap_or_default(),
            },
            Some("bench") => match get(data, "blob").dyn_into::<Blob>() {
                Ok(blob) => ToWorker::Bench { blob },
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }
}

impl FromWorker {
    pub fn encode(&self) -> JsValue {
        match self {
            FromWorker::Ready => Obj::new("ready").done(),
            FromWorker::Progress {
                bytes,
                total,
                packets,
                memory,
            } => Obj::new("progress")
                .set("bytes", *bytes)
                .set("total", *total)
                .set("packets", *packets)
                .set("memory", *memory)
                .done(),
            FromWorker::Partial { report } => {
                Obj::new("partial").set("report", report.as_str()).done()
            }
            FromWorker::Ports { json } => Obj::new("ports").set("json", json.as_str()).done(),
            FromWorker::Done {
                report,
                ports,
                why,
                phases,
                memory,
            } => Obj::new("done")
                .set("report", report.as_str())
                .set("ports", *ports as f64)
                .set("why", why.as_str())
                .set("phases", phases.as_str())
                .set("memory", *memory)
                .done(),
            FromWorker::Evidence { json } => Obj::new("evidence").set("json", json.as_str()).done(),
            FromWorker::Hashed { index, sha256 } => Obj::new("hashed")
                .set("index", *index as f64)
                .set("sha256", sha256.as_str())
                .done(),
            FromWorker::Link(p) => Obj::new("link")
                .set("value", p.value.as_str())
                .set("kept", p.kept as f64)
                .set("ports", p.ports as f64)
                .set("sha256", p.sha256.as_str())
                .set("anonymised", p.anonymised)
                .set("memory", p.memory)
                .done(),
            FromWorker::Window { id, t0, t1, report } => {
                let o = Obj::new("window")
                    .set("id", *id)
                    .set("t0", *t0 as f64)
                    .set("t1", *t1 as f64);
                match report {
                    Ok(r) => o.set("report", r.as_str()),
                    Err(e) => o.set("error", e.as_str()),
                }
                .done()
            }
            FromWorker::Extract { name, result } => {
                let o = Obj::new("extract").set("name", name.as_str());
                match result {
                    Ok(x) => o
                        .set("bytes", x.bytes.clone())
                        .set("packets", x.packets as f64)
                        .set("matched", x.matched as f64)
                        .set("format", x.format.as_str())
                        .set("note", x.note.as_str()),
                    Err(e) => o.set("error", e.as_str()),
                }
                .done()
            }
            FromWorker::Bench {
                ms,
                bytes,
                packets,
                memory,
            } => Obj::new("bench")
                .set("ms", *ms)
                .set("bytes", *bytes)
                .set("packets", *packets)
                .set("memory", *memory)
                .done(),
            FromWorker::Failed { message } => {
                Obj::new("failed").set("message", message.as_str()).done()
            }
            FromWorker::Sent { json } => Obj::new("sent").set("json", json.as_str()).done(),
            FromWorker::Split { at, diff } => {
                let o = Obj::new("split").set("at", *at as f64);
                match diff {
                    Ok(d) => o.set("diff", d.as_str()),
                    Err(e) => o.set("error", e.as_str()),
                }
                .done()
            }
        }
    }

    /// The message in `data`, if it is one.
    pub fn decode(data: &JsValue) -> Option<FromWorker> {
        let n = |k: &str| num(data, k);
        let s = |k: &str| text(data, k).unwrap_or_default();
        let answer = |k: &str| text(data, "error").map_or_else(|| Ok(s(k)), Err);
        Some(match kind(data)?.as_str() {
            "ready" => FromWorker::Ready,
            "progress" => FromWorker::Progress {
                bytes: n("bytes"),
                total: n("total"),
                packets: n("packets"),
                memory: n("memory"),
            },
            "partial" => FromWorker::Partial {
                report: s("report"),
            },
            "ports" => FromWorker::Ports { json: s("json") },
            "done" => FromWorker::Done {
                report: s("report"),
                ports: n("ports") as usize,
                why: s("why"),
                phases: s("phases"),
                memory: n("memory"),
            },
            "evidence" => FromWorker::Evidence { json: s("json") },
            "hashed" => FromWorker::Hashed {
                index: n("index") as usize,
                sha256: text(data, "sha256")?,
            },
            "link" => FromWorker::Link(Packed {
                value: text(data, "value")?,
                kept: n("kept") as usize,
                ports: n("ports") as usize,
                sha256: s("sha256"),
                anonymised: get(data, "anonymised").as_bool().unwrap_or(false),
                memory: n("memory"),
            }),
            "window" => FromWorker::Window {
                id: n("id") as u32,
                t0: n("t0") as i64,
                t1: n("t1") as i64,
                report: answer("report"),
            },
            "extract" => FromWorker::Extract {
                name: s("name"),
                result: match text(data, "error") {
                    Some(e) => Err(e),
                    None => Ok(Extracted {
                        bytes: Uint8Array::new(&get(data, "bytes")),
                        packets: n("packets") as u64,
                        matched: get(data, "matched").as_f64().unwrap_or(n("packets")) as u64,
                        format: s("format"),
                        note: s("note"),
                    }),
                },
            },
            "bench" => FromWorker::Bench {
                ms: n("ms"),
                bytes: n("bytes"),
                packets: n("packets"),
                memory: n("memory"),
            },
            "sent" => FromWorker::Sent { json: s("json") },
            "split" => FromWorker::Split {
                at: n("at") as i64,
                diff: answer("diff"),
            },
            "failed" => FromWorker::Failed {
                message: text(data, "message").unwrap_or_else(|| "analysis failed".into()),
            },
            _ => return None,
        })
    }
}

impl ToReader {
    pub fn encode(&self) -> JsValue {
        match self {
            ToReader::Read { blob, slice, ahead } => Obj::untyped()
                .set("blob", blob.clone())
                .set("slice", *slice)
                .set("ahead", *ahead as f64)
                .done(),
            ToReader::Ack => Obj::untyped().set("ack", true).done(),
        }
    }
}

impl FromReader {
    /// As the reader thread would post it (for a failure noticed here).
    pub fn encode(&self) -> JsValue {
        match self {
            FromReader::Slice { buf, last } => Obj::untyped()
                .set("buf", buf.clone())
                .set("last", *last)
                .done(),
            FromReader::Error(e) => Obj::untyped().set("error", e.as_str()).done(),
        }
    }

    pub fn decode(data: &JsValue) -> FromReader {
        match text(data, "error") {
            Some(e) => FromReader::Error(e),
            None => FromReader::Slice {
                buf: Uint8Array::new(&get(data, "buf")),
                last: get(data, "last").as_bool().unwrap_or(true),
            },
        }
    }
}

/// The message of a JS error: a string, an `Error`, a `DOMException` or any
/// object with a `message`.
pub fn error_text(e: &JsValue) -> Option<String> {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| e.message().into()))
        .or_else(|| text(e, "message"))
}
