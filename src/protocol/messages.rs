//! The messages themselves: what the page asks of the worker, what the worker
//! answers, and what passes between the worker and its reader thread.

use super::Settings;
use js_sys::Uint8Array;
use portspike_core::decode::{PortKeyError, Proto};
use portspike_core::filter::Aim;
use portspike_core::window::Selection;
use portspike_core::Key;
use web_sys::Blob;

/// Page → worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ToWorker {
    /// Analyse local files (one capture, or a rotated set), or the capture
    /// at `url` (fetched by the worker, streamed, never read twice).
    Analyze {
        files: Vec<(Blob, String)>,
        url: Option<String>,
        settings: Settings,
    },
    /// The kept report packed for a result link, addresses hashed or not.
    Link { anonymise: bool },
    /// Re-read a time window at a finer bin width; answered by
    /// [`FromWorker::Window`] with the same `id`.
    Window(WindowAsk),
    /// The window's packets of a port or a host, saved as `name`; answered by
    /// [`FromWorker::Extract`].
    Extract {
        name: String,
        target: Target,
        t0: i64,
        t1: i64,
    },
    /// Time the engine over the blob held in memory (best of three).
    Bench { blob: Blob },
    /// Compare the capture before `at` (µs) with what follows; answered by
    /// [`FromWorker::Split`].
    Split { at: i64 },
    /// Count the packets each address (JSON array of strings) sent anywhere
    /// in the capture; answered by [`FromWorker::Sent`] (a comparison's
    /// baseline: is an address named in the incident new there?).
    Senders { addrs: String },
}

/// A window of the capture to read again at `width` µs bins, with timelines
/// for `ports` (`tcp/445`…).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowAsk {
    /// Request number: answers to older requests are dropped.
    pub id: u32,
    pub t0: i64,
    pub t1: i64,
    pub width: u64,
    pub ports: Vec<String>,
}

/// What an extract selects.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The packets of a port (as the report keys ports).
    /// `aim`: a reflection's victims as its report names them (`aimed_at`), or empty.
    Port {
        proto: String,
        port: u16,
        aim: String,
    },
    /// The packets a host sent or received.
    Host(String),
}

impl Target {
    /// The packets it names from `t0` to `t1` (µs), ports keyed by `key`;
    /// or, for an extract's answer, why not: an address that does not parse,
    /// or a protocol the report does not name (never read as TCP).
    pub fn selection(&self, key: Key, t0: i64, t1: i64) -> Result<Selection, String> {
        match self {
            Target::Host(h) => match h.parse() {
                Ok(addr) => Ok(Selection::host(addr, t0, t1)),
                Err(_) => Err("not an address".into()),
            },
            Target::Port { proto, port, aim } => match Proto::from_name(proto) {
                Some(p) => Ok(Selection::port(key, p, *port, t0, t1).aimed(Aim::parse(aim))),
                None => Err(PortKeyError::Proto(proto.clone()).to_string()),
            },
        }
    }
}

/// Worker → page.
#[derive(Debug, Clone)]
pub enum FromWorker {
    /// Its handler is installed: messages posted before would be lost.
    Ready,
    /// Bytes read of `total`, packets so far, and the worker's wasm memory.
    Progress {
        bytes: f64,
        total: f64,
        packets: f64,
        memory: f64,
    },
    /// The report so far as JSON (its top 2,000 ports, timelines for the top
    /// 20 and any with a finding), at most every [`PREVIEW_MS`](super::PREVIEW_MS).
    Partial { report: String },
    /// A page of the final report's ports (JSON array of at most
    /// [`PORTS_PAGE`](super::PORTS_PAGE)), sent before [`FromWorker::Done`] so neither side holds
    /// the whole list as one string.
    Ports { json: String },
    /// The final report as JSON without its ports (`ports` says how many
    /// came in pages); `why` says why windows cannot be read again ("" if
    /// they can); `phases`, the run's timings as JSON (for the benchmarks).
    Done {
        report: String,
        ports: usize,
        why: String,
        phases: String,
        memory: f64,
    },
    /// The findings counted exactly (the evidence pass, after `Done`): JSON
    /// of [`Exact`](super::Exact).
    Evidence { json: String },
    /// The SHA-256 of file `index`, hashed in a second read after the answer.
    Hashed { index: usize, sha256: String },
    /// The report packed for a result link (`share::encode_result`).
    Link(Packed),
    /// A window read again, or why it could not be.
    Window {
        id: u32,
        t0: i64,
        t1: i64,
        report: Result<String, String>,
    },
    /// The packets of an extract, or why there are none.
    Extract {
        name: String,
        result: Result<Extracted, String>,
    },
    /// The engine's best time over the blob.
    Bench {
        ms: f64,
        bytes: f64,
        packets: f64,
        memory: f64,
    },
    /// The worker itself failed.
    Failed { message: String },
    /// The capture before `at` against what follows: the diff as JSON
    /// (schema `portspike.diff/1`), or why there is none.
    Split {
        at: i64,
        diff: Result<String, String>,
    },
    /// Packets sent by each address asked about: JSON object address → count.
    Sent { json: String },
}

/// A report packed for a result link.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    pub value: String,
    /// Ports whose timelines fit in the link.
    pub kept: usize,
    /// Ports the link lists (the top ones).
    pub ports: usize,
    /// The capture's SHA-256 in the packed report ("" while not known).
    pub sha256: String,
    pub anonymised: bool,
    pub memory: f64,
}

/// An extract's capture.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub bytes: Uint8Array,
    /// Packets written.
    pub packets: u64,
    /// Packets the filter selects (more than written when some were left out).
    pub matched: u64,
    /// `pcap`, or `pcapng` when the packets are of several link types.
    pub format: String,
    /// Why some were left out.
    pub note: String,
}

/// Worker → reader thread (`static/reader.js`): read `blob` in slices of
/// `slice` bytes, `ahead` reads in flight; [`ToReader::Ack`] asks for the next.
#[derive(Debug, Clone)]
pub enum ToReader {
    Read {
        blob: Blob,
        slice: f64,
        ahead: usize,
    },
    Ack,
}

/// Reader thread → worker.
#[derive(Debug, Clone)]
pub enum FromReader {
    /// A slice, and whether it is the last.
    Slice {
        buf: Uint8Array,
        last: bool,
    },
    Error(String),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_port_target_of_an_unknown_protocol_is_refused_not_read_as_tcp() {
        let port = |proto: &str| Target::Port {
            proto: proto.into(),
            port: 445,
            aim: String::new(),
        };
        for &p in Proto::ALL {
            assert_eq!(
                port(p.as_str()).selection(Key::Service, 1, 2),
                Ok(Selection::port(Key::Service, p, 445, 1, 2))
            );
        }
        for bad in ["", "TCP", "sctp", "tcp/445"] {
            let e = port(bad).selection(Key::Service, 1, 2).unwrap_err();
            assert!(e.contains("is not a protocol"), "{bad:?}: {e}");
        }
        assert_eq!(
            Target::Host("nowhere".into()).selection(Key::Service, 1, 2),
            Err("not an address".into())
        );
    }
}
