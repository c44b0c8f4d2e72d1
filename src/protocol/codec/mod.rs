//! The one place messages become plain JS objects and back: each message's
//! fields are written by its `write` and read by its `read`, by the names
//! in [`fields`] (declared there once).

use super::*;
use fields::{name, tag, Fields, JsFields};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

mod fields;
#[cfg(test)]
mod tests;

impl ToWorker {
    pub fn encode(&self) -> JsValue {
        let mut f = JsFields::new();
        self.write(&mut f);
        f.0
    }

    /// The request in `data`: `Ok(None)` for a message of no known type,
    /// `Err` (said to the page as [`FromWorker::Failed`]) for an analysis
    /// request that cannot be run: settings that do not parse are an error,
    /// never a silent reset.
    pub fn decode(data: &JsValue) -> Result<Option<ToWorker>, String> {
        ToWorker::read(&JsFields(data.clone()))
    }

    fn write(&self, f: &mut impl Fields) {
        match self {
            ToWorker::Analyze {
                files,
                url,
                settings,
            } => {
                f.put_text(name::TYPE, tag::ANALYZE);
                f.put_blobs(name::BLOBS, files.iter().map(|(b, _)| b));
                f.put_texts(name::NAMES, files.iter().map(|(_, n)| n.as_str()));
                let json = serde_json::to_string(settings).unwrap_or_default();
                f.put_text(name::SETTINGS, &json);
                if let Some(u) = url {
                    f.put_text(name::URL, u);
                }
            }
            ToWorker::Link { anonymise } => {
                f.put_text(name::TYPE, tag::LINK);
                f.put_flag(name::ANONYMISE, *anonymise);
            }
            ToWorker::Window(w) => {
                f.put_text(name::TYPE, tag::WINDOW);
                f.put_num(name::ID, f64::from(w.id));
                f.put_num(name::T0, w.t0 as f64);
                f.put_num(name::T1, w.t1 as f64);
                f.put_num(name::WIDTH, w.width as f64);
                f.put_text(name::PORTS, &w.ports.join(","));
            }
            ToWorker::Extract {
                name: file,
                target,
                t0,
                t1,
            } => {
                f.put_text(name::TYPE, tag::EXTRACT);
                f.put_text(name::NAME, file);
                f.put_num(name::T0, *t0 as f64);
                f.put_num(name::T1, *t1 as f64);
                match target {
                    Target::Port { proto, port, aim } => {
                        f.put_text(name::PROTO, proto);
                        f.put_num(name::PORT, f64::from(*port));
                        f.put_text(name::AIM, aim);
                    }
                    Target::Host(h) => f.put_text(name::HOST, h),
                }
            }
            ToWorker::Bench { blob } => {
                f.put_text(name::TYPE, tag::BENCH);
                f.put_blob(name::BLOB, blob);
            }
            ToWorker::Split { at } => {
                f.put_text(name::TYPE, tag::SPLIT);
                f.put_num(name::AT, *at as f64);
            }
            ToWorker::Senders { addrs } => {
                f.put_text(name::TYPE, tag::SENDERS);
                f.put_text(name::ADDRS, addrs);
            }
        }
    }

    fn read(f: &impl Fields) -> Result<Option<ToWorker>, String> {
        let n = |k: &str| f.num(k).unwrap_or(0.0);
        let t = |k: &str| n(k) as i64;
        let s = |k: &str| f.text(k).unwrap_or_default();
        Ok(Some(match f.text(name::TYPE).as_deref() {
            Some(tag::ANALYZE) => return ToWorker::read_analyze(f).map(Some),
            Some(tag::LINK) => ToWorker::Link {
                anonymise: f.flag(name::ANONYMISE).unwrap_or(false),
            },
            Some(tag::WINDOW) => ToWorker::Window(WindowAsk {
                id: n(name::ID) as u32,
                t0: t(name::T0),
                t1: t(name::T1),
                width: (n(name::WIDTH) as u64).max(1),
                ports: s(name::PORTS)
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
            Some(tag::EXTRACT) => ToWorker::Extract {
                name: s(name::NAME),
                target: match f.text(name::HOST) {
                    Some(h) => Target::Host(h),
                    None => Target::Port {
                        proto: s(name::PROTO),
                        port: n(name::PORT) as u16,
                        aim: s(name::AIM),
                    },
                },
                t0: t(name::T0),
                t1: t(name::T1),
            },
            Some(tag::SPLIT) => ToWorker::Split { at: t(name::AT) },
            Some(tag::SENDERS) => ToWorker::Senders {
                addrs: s(name::ADDRS),
            },
            Some(tag::BENCH) => match f.blob(name::BLOB) {
                Some(blob) => ToWorker::Bench { blob },
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// An analysis request: its files (each a blob and its name) or URL,
    /// and its settings.
    fn read_analyze(f: &impl Fields) -> Result<ToWorker, String> {
        let files: Vec<(Blob, String)> = f
            .blobs(name::BLOBS)
            .into_iter()
            .zip(f.texts(name::NAMES))
            .filter_map(|(b, n)| Some((b?, n?)))
            .collect();
        let url = f.text(name::URL);
        if files.is_empty() && url.is_none() {
            return Err("no file in the request".into());
        }
        let settings = match f.text(name::SETTINGS) {
            Some(j) => {
                serde_json::from_str::<Settings>(&j).map_err(|e| format!("settings: {e}"))?
            }
            None => Settings::default(),
        };
        Ok(ToWorker::Analyze {
            files,
            url,
            settings,
        })
    }
}

impl FromWorker {
    pub fn encode(&self) -> JsValue {
        let mut f = JsFields::new();
        self.write(&mut f);
        f.0
    }

    /// The message in `data`, if it is one.
    pub fn decode(data: &JsValue) -> Option<FromWorker> {
        FromWorker::read(&JsFields(data.clone()))
    }

    fn write(&self, f: &mut impl Fields) {
        match self {
            FromWorker::Ready => f.put_text(name::TYPE, tag::READY),
            FromWorker::Progress {
                bytes,
                total,
                packets,
                memory,
            } => {
                f.put_text(name::TYPE, tag::PROGRESS);
                f.put_num(name::BYTES, *bytes);
                f.put_num(name::TOTAL, *total);
                f.put_num(name::PACKETS, *packets);
                f.put_num(name::MEMORY, *memory);
            }
            FromWorker::Partial { report } => {
                f.put_text(name::TYPE, tag::PARTIAL);
                f.put_text(name::REPORT, report);
            }
            FromWorker::Ports { json } => {
                f.put_text(name::TYPE, tag::PORTS);
                f.put_text(name::JSON, json);
            }
            FromWorker::Done {
                report,
                ports,
                why,
                phases,
                memory,
            } => {
                f.put_text(name::TYPE, tag::DONE);
                f.put_text(name::REPORT, report);
                f.put_num(name::PORTS, *ports as f64);
                f.put_text(name::WHY, why);
                f.put_text(name::PHASES, phases);
                f.put_num(name::MEMORY, *memory);
            }
            FromWorker::Evidence { json } => {
                f.put_text(name::TYPE, tag::EVIDENCE);
                f.put_text(name::JSON, json);
            }
            FromWorker::Hashed { index, sha256 } => {
                f.put_text(name::TYPE, tag::HASHED);
                f.put_num(name::INDEX, *index as f64);
                f.put_text(name::SHA256, sha256);
            }
            FromWorker::Link(p) => {
                f.put_text(name::TYPE, tag::LINK);
                f.put_text(name::VALUE, &p.value);
                f.put_num(name::KEPT, p.kept as f64);
                f.put_num(name::PORTS, p.ports as f64);
                f.put_text(name::SHA256, &p.sha256);
                f.put_flag(name::ANONYMISED, p.anonymised);
                f.put_num(name::MEMORY, p.memory);
            }
            FromWorker::Window { id, t0, t1, report } => {
                f.put_text(name::TYPE, tag::WINDOW);
                f.put_num(name::ID, f64::from(*id));
                f.put_num(name::T0, *t0 as f64);
                f.put_num(name::T1, *t1 as f64);
                put_answer(f, name::REPORT, report);
            }
            FromWorker::Extract { name: file, result } => {
                f.put_text(name::TYPE, tag::EXTRACT);
                f.put_text(name::NAME, file);
                match result {
                    Ok(x) => {
                        f.put_bytes(name::BYTES, &x.bytes);
                        f.put_num(name::PACKETS, x.packets as f64);
                        f.put_num(name::MATCHED, x.matched as f64);
                        f.put_text(name::FORMAT, &x.format);
                        f.put_text(name::NOTE, &x.note);
                    }
                    Err(e) => f.put_text(name::ERROR, e),
                }
            }
            FromWorker::Bench {
                ms,
                bytes,
                packets,
                memory,
            } => {
                f.put_text(name::TYPE, tag::BENCH);
                f.put_num(name::MS, *ms);
                f.put_num(name::BYTES, *bytes);
                f.put_num(name::PACKETS, *packets);
                f.put_num(name::MEMORY, *memory);
            }
            FromWorker::Failed { message } => {
                f.put_text(name::TYPE, tag::FAILED);
                f.put_text(name::MESSAGE, message);
            }
            FromWorker::Sent { json } => {
                f.put_text(name::TYPE, tag::SENT);
                f.put_text(name::JSON, json);
            }
            FromWorker::Split { at, diff } => {
                f.put_text(name::TYPE, tag::SPLIT);
                f.put_num(name::AT, *at as f64);
                put_answer(f, name::DIFF, diff);
            }
        }
    }

    fn read(f: &impl Fields) -> Option<FromWorker> {
        let n = |k: &str| f.num(k).unwrap_or(0.0);
        let s = |k: &str| f.text(k).unwrap_or_default();
        Some(match f.text(name::TYPE)?.as_str() {
            tag::READY => FromWorker::Ready,
            tag::PROGRESS => FromWorker::Progress {
                bytes: n(name::BYTES),
                total: n(name::TOTAL),
                packets: n(name::PACKETS),
                memory: n(name::MEMORY),
            },
            tag::PARTIAL => FromWorker::Partial {
                report: s(name::REPORT),
            },
            tag::PORTS => FromWorker::Ports {
                json: s(name::JSON),
            },
            tag::DONE => FromWorker::Done {
                report: s(name::REPORT),
                ports: n(name::PORTS) as usize,
                why: s(name::WHY),
                phases: s(name::PHASES),
                memory: n(name::MEMORY),
            },
            tag::EVIDENCE => FromWorker::Evidence {
                json: s(name::JSON),
            },
            tag::HASHED => FromWorker::Hashed {
                index: n(name::INDEX) as usize,
                sha256: f.text(name::SHA256)?,
            },
            tag::LINK => FromWorker::Link(Packed {
                value: f.text(name::VALUE)?,
                kept: n(name::KEPT) as usize,
                ports: n(name::PORTS) as usize,
                sha256: s(name::SHA256),
                anonymised: f.flag(name::ANONYMISED).unwrap_or(false),
                memory: n(name::MEMORY),
            }),
            tag::WINDOW => FromWorker::Window {
                id: n(name::ID) as u32,
                t0: n(name::T0) as i64,
                t1: n(name::T1) as i64,
                report: answer(f, name::REPORT),
            },
            tag::EXTRACT => FromWorker::Extract {
                name: s(name::NAME),
                result: match f.text(name::ERROR) {
                    Some(e) => Err(e),
                    None => Ok(Extracted {
                        bytes: f.bytes(name::BYTES),
                        packets: n(name::PACKETS) as u64,
                        matched: f.num(name::MATCHED).unwrap_or(n(name::PACKETS)) as u64,
                        format: s(name::FORMAT),
                        note: s(name::NOTE),
                    }),
                },
            },
            tag::BENCH => FromWorker::Bench {
                ms: n(name::MS),
                bytes: n(name::BYTES),
                packets: n(name::PACKETS),
                memory: n(name::MEMORY),
            },
            tag::SENT => FromWorker::Sent {
                json: s(name::JSON),
            },
            tag::SPLIT => FromWorker::Split {
                at: n(name::AT) as i64,
                diff: answer(f, name::DIFF),
            },
            tag::FAILED => FromWorker::Failed {
                message: f
                    .text(name::MESSAGE)
                    .unwrap_or_else(|| "analysis failed".into()),
            },
            _ => return None,
        })
    }
}

/// An answer: its value in field `k`, or why there is none in `error`.
fn put_answer(f: &mut impl Fields, k: &'static str, answer: &Result<String, String>) {
    match answer {
        Ok(v) => f.put_text(k, v),
        Err(e) => f.put_text(name::ERROR, e),
    }
}

/// An answer written by [`put_answer`].
fn answer(f: &impl Fields, k: &str) -> Result<String, String> {
    match f.text(name::ERROR) {
        Some(e) => Err(e),
        None => Ok(f.text(k).unwrap_or_default()),
    }
}

impl ToReader {
    pub fn encode(&self) -> JsValue {
        let mut f = JsFields::new();
        self.write(&mut f);
        f.0
    }

    fn write(&self, f: &mut impl Fields) {
        match self {
            ToReader::Read { blob, slice, ahead } => {
                f.put_blob(name::BLOB, blob);
                f.put_num(name::SLICE, *slice);
                f.put_num(name::AHEAD, *ahead as f64);
            }
            ToReader::Ack => f.put_flag(name::ACK, true),
        }
    }
}

impl FromReader {
    /// As the reader thread would post it (for a failure noticed here).
    pub fn encode(&self) -> JsValue {
        let mut f = JsFields::new();
        self.write(&mut f);
        f.0
    }

    pub fn decode(data: &JsValue) -> FromReader {
        FromReader::read(&JsFields(data.clone()))
    }

    fn write(&self, f: &mut impl Fields) {
        match self {
            FromReader::Slice { buf, last } => {
                f.put_bytes(name::BUF, buf);
                f.put_flag(name::LAST, *last);
            }
            FromReader::Error(e) => f.put_text(name::ERROR, e),
        }
    }

    fn read(f: &impl Fields) -> FromReader {
        match f.text(name::ERROR) {
            Some(e) => FromReader::Error(e),
            None => FromReader::Slice {
                buf: f.bytes(name::BUF),
                last: f.flag(name::LAST).unwrap_or(true),
            },
        }
    }
}

/// The message of a JS error: a string, an `Error`, a `DOMException` or any
/// object with a `message`.
pub fn error_text(e: &JsValue) -> Option<String> {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| e.message().into()))
        .or_else(|| JsFields(e.clone()).text(name::MESSAGE))
}
