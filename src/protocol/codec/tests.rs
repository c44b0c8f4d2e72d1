//! Every message written and read back, natively: the fields are kept in a
//! map instead of a JS object. Blobs and byte arrays are JS objects that
//! cannot exist outside a browser; here each is a handle to `undefined`,
//! checked to come back in its place (not by identity).

use super::*;
use js_sys::Uint8Array;
use portspike_core::detect::Detection;

/// A field's value, as a JS object would hold it.
#[derive(Clone)]
enum Val {
    Text(String),
    Num(f64),
    Flag(bool),
    Blob(Blob),
    Bytes(Uint8Array),
    Blobs(Vec<Blob>),
    Texts(Vec<String>),
}

impl Val {
    fn kind(&self) -> &'static str {
        match self {
            Val::Text(_) => "text",
            Val::Num(_) => "num",
            Val::Flag(_) => "flag",
            Val::Blob(_) => "blob",
            Val::Bytes(_) => "bytes",
            Val::Blobs(_) => "blobs",
            Val::Texts(_) => "texts",
        }
    }
}

/// A message's fields in the order they were set, as a JS object keeps them.
#[derive(Default)]
struct Map(Vec<(&'static str, Val)>);

impl Map {
    fn put(&mut self, k: &'static str, v: Val) {
        match self.0.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) => slot.1 = v,
            None => self.0.push((k, v)),
        }
    }

    fn get(&self, k: &str) -> Option<&Val> {
        self.0.iter().find(|(n, _)| *n == k).map(|(_, v)| v)
    }

    /// The fields' names and kinds: `type=progress bytes:num …`.
    fn shape(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| match v {
                Val::Text(t) if *k == "type" => format!("type={t}"),
                v => format!("{k}:{}", v.kind()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A JS object outside a browser: `undefined`, taken as any JS type.
fn handle<T: JsCast>() -> T {
    JsValue::UNDEFINED.unchecked_into()
}

impl Fields for Map {
    fn put_text(&mut self, k: &'static str, v: &str) {
        self.put(k, Val::Text(v.into()));
    }
    fn put_num(&mut self, k: &'static str, v: f64) {
        self.put(k, Val::Num(v));
    }
    fn put_flag(&mut self, k: &'static str, v: bool) {
        self.put(k, Val::Flag(v));
    }
    fn put_blob(&mut self, k: &'static str, v: &Blob) {
        self.put(k, Val::Blob(v.clone()));
    }
    fn put_bytes(&mut self, k: &'static str, v: &Uint8Array) {
        self.put(k, Val::Bytes(v.clone()));
    }
    fn put_blobs<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a Blob>) {
        self.put(k, Val::Blobs(v.cloned().collect()));
    }
    fn put_texts<'a>(&mut self, k: &'static str, v: impl Iterator<Item = &'a str>) {
        self.put(k, Val::Texts(v.map(str::to_string).collect()));
    }

    fn text(&self, k: &str) -> Option<String> {
        match self.get(k)? {
            Val::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
    fn num(&self, k: &str) -> Option<f64> {
        match self.get(k)? {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn flag(&self, k: &str) -> Option<bool> {
        match self.get(k)? {
            Val::Flag(b) => Some(*b),
            _ => None,
        }
    }
    fn blob(&self, k: &str) -> Option<Blob> {
        match self.get(k)? {
            Val::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
    fn bytes(&self, k: &str) -> Uint8Array {
        match self.get(k) {
            Some(Val::Bytes(b)) => b.clone(),
            _ => handle(),
        }
    }
    fn blobs(&self, k: &str) -> Vec<Option<Blob>> {
        match self.get(k) {
            Some(Val::Blobs(b)) => b.iter().cloned().map(Some).collect(),
            _ => Vec::new(),
        }
    }
    fn texts(&self, k: &str) -> Vec<Option<String>> {
        match self.get(k) {
            Some(Val::Texts(t)) => t.iter().cloned().map(Some).collect(),
            _ => Vec::new(),
        }
    }
}

/// Samples of every variant of a message type, each under its variant's
/// pattern. The match in `covered` has no wildcard, so a variant added to
/// the messages does not compile here until it has a sample; each sample
/// is checked to be of the variant it is listed under.
macro_rules! every_variant {
    ($ty:ty { $($pat:pat => $sample:expr),+ $(,)? }) => {{
        #[allow(dead_code, unreachable_patterns)]
        fn covered(m: &$ty) {
            match m {
                $($pat => {})+
            }
        }
        vec![$({
            let m: $ty = $sample;
            assert!(matches!(&m, $pat), "a sample listed under {}", stringify!($pat));
            m
        }),+]
    }};
}

fn settings() -> Settings {
    Settings {
        key: portspike_core::Key::DstPort,
        bin: "500ms".into(),
        detection: Detection {
            threshold: 4.5,
            home: vec!["10.0.0.0/8".into()],
            ..Detection::default()
        },
    }
}

fn to_worker_samples() -> Vec<ToWorker> {
    every_variant!(ToWorker {
        ToWorker::Analyze { .. } => ToWorker::Analyze {
            files: vec![(handle(), "a.pcap".into()), (handle(), "b.pcapng".into())],
            url: None,
            settings: settings(),
        },
        ToWorker::Analyze { .. } => ToWorker::Analyze {
            files: Vec::new(),
            url: Some("https://example.org/x.pcap".into()),
            settings: Settings::default(),
        },
        ToWorker::Link { .. } => ToWorker::Link { anonymise: true },
        ToWorker::Window(_) => ToWorker::Window(WindowAsk {
            id: 7,
            t0: -1_700_000_000_123_456,
            t1: 1_700_000_000_123_456,
            width: 250_000,
            ports: vec!["tcp/445".into(), "udp/53".into()],
        }),
        ToWorker::Extract { .. } => ToWorker::Extract {
            name: "portspike-tcp445.pcap".into(),
            target: Target::Port {
                proto: "tcp".into(),
                port: 445,
                aim: "192.0.2.0/24".into(),
            },
            t0: 1,
            t1: 2,
        },
        ToWorker::Extract { .. } => ToWorker::Extract {
            name: "scanner.pcap".into(),
            target: Target::Host("2001:db8::1".into()),
            t0: 3,
            t1: 4,
        },
        ToWorker::Bench { .. } => ToWorker::Bench { blob: handle() },
        ToWorker::Split { .. } => ToWorker::Split { at: 1_700_000_000_000_001 },
        ToWorker::Senders { .. } => ToWorker::Senders {
            addrs: r#"["192.0.2.1","2001:db8::1"]"#.into(),
        },
    })
}

fn from_worker_samples() -> Vec<FromWorker> {
    every_variant!(FromWorker {
        FromWorker::Ready => FromWorker::Ready,
        FromWorker::Progress { .. } => FromWorker::Progress {
            bytes: 1.5e6,
            total: 3e9,
            packets: 12_345.0,
            memory: 6.5e7,
        },
        FromWorker::Partial { .. } => FromWorker::Partial {
            report: r#"{"schema":"portspike.report/1"}"#.into(),
        },
        FromWorker::Ports { .. } => FromWorker::Ports { json: "[]".into() },
        FromWorker::Done { .. } => FromWorker::Done {
            report: "{}".into(),
            ports: 4097,
            why: "the capture is compressed".into(),
            phases: r#"{"read":12.5}"#.into(),
            memory: 1e8,
        },
        FromWorker::Evidence { .. } => FromWorker::Evidence { json: "{}".into() },
        FromWorker::Hashed { .. } => FromWorker::Hashed {
            index: 2,
            sha256: "ab".repeat(32),
        },
        FromWorker::Link(_) => FromWorker::Link(Packed {
            value: "eJwrSS0u".into(),
            kept: 20,
            ports: 2000,
            sha256: String::new(),
            anonymised: true,
            memory: 3.25e7,
        }),
        FromWorker::Window { .. } => FromWorker::Window {
            id: 9,
            t0: -5,
            t1: 1_700_000_000_000_000,
            report: Ok("{}".into()),
        },
        FromWorker::Window { .. } => FromWorker::Window {
            id: 10,
            t0: 0,
            t1: 1,
            report: Err("the capture is compressed".into()),
        },
        FromWorker::Extract { .. } => FromWorker::Extract {
            name: "x.pcap".into(),
            result: Ok(Extracted {
                bytes: handle(),
                packets: 4,
                matched: 10,
                format: "pcapng".into(),
                note: "the 256 MiB limit".into(),
            }),
        },
        FromWorker::Extract { .. } => FromWorker::Extract {
            name: "y.pcap".into(),
            result: Err("not an address".into()),
        },
        FromWorker::Bench { .. } => FromWorker::Bench {
            ms: 812.5,
            bytes: 3.8e6,
            packets: 40_000.0,
            memory: 2e7,
        },
        FromWorker::Failed { .. } => FromWorker::Failed {
            message: "settings: expected a number".into(),
        },
        FromWorker::Split { .. } => FromWorker::Split {
            at: 1_700_000_000_000_000,
            diff: Ok(r#"{"schema":"portspike.diff/1"}"#.into()),
        },
        FromWorker::Split { .. } => FromWorker::Split {
            at: 2,
            diff: Err("nothing before the moment".into()),
        },
        FromWorker::Sent { .. } => FromWorker::Sent {
            json: r#"{"192.0.2.1":3}"#.into(),
        },
    })
}

fn from_reader_samples() -> Vec<FromReader> {
    every_variant!(FromReader {
        FromReader::Slice { .. } => FromReader::Slice { buf: handle(), last: false },
        FromReader::Slice { .. } => FromReader::Slice { buf: handle(), last: true },
        FromReader::Error(_) => FromReader::Error("NotReadableError".into()),
    })
}

/// The names of an analysis's files.
fn names(files: &[(Blob, String)]) -> Vec<&str> {
    files.iter().map(|(_, n)| n.as_str()).collect()
}

/// `a == b`, with JS handles compared by place: `==` on a handle asks JS,
/// which is not here.
fn same_to_worker(a: &ToWorker, b: &ToWorker) -> bool {
    use ToWorker::{Analyze, Bench};
    match (a, b) {
        (
            Analyze {
                files: fa,
                url: ua,
                settings: sa,
            },
            Analyze {
                files: fb,
                url: ub,
                settings: sb,
            },
        ) => names(fa) == names(fb) && ua == ub && sa == sb,
        (Bench { .. }, Bench { .. }) => true,
        (Analyze { .. } | Bench { .. }, _) | (_, Analyze { .. } | Bench { .. }) => false,
        _ => a == b,
    }
}

/// `a == b` (the messages from the worker have no `==`: a byte array has
/// none), an extract's bytes compared by place.
fn same_from_worker(a: &FromWorker, b: &FromWorker) -> bool {
    let plain = |r: &Result<Extracted, String>| {
        r.as_ref()
            .map(|x| (x.packets, x.matched, x.format.clone(), x.note.clone()))
            .map_err(Clone::clone)
    };
    match (a, b) {
        (
            FromWorker::Extract {
                name: na,
                result: ra,
            },
            FromWorker::Extract {
                name: nb,
                result: rb,
            },
        ) => na == nb && plain(ra) == plain(rb),
        (FromWorker::Extract { .. }, _) | (_, FromWorker::Extract { .. }) => false,
        // Without a handle, what Debug writes is every field's value.
        _ => format!("{a:?}") == format!("{b:?}"),
    }
}

fn written(write: impl FnOnce(&mut Map)) -> Map {
    let mut m = Map::default();
    write(&mut m);
    m
}

#[test]
fn every_message_to_the_worker_reads_back_as_written() {
    for m in to_worker_samples() {
        let back = ToWorker::read(&written(|f| m.write(f)));
        let back = back.expect("it reads").expect("of a known type");
        assert!(
            same_to_worker(&m, &back),
            "{}",
            written(|f| m.write(f)).shape()
        );
    }
}

#[test]
fn every_message_from_the_worker_reads_back_as_written() {
    for m in from_worker_samples() {
        let back = FromWorker::read(&written(|f| m.write(f))).expect("it reads");
        assert!(
            same_from_worker(&m, &back),
            "{}",
            written(|f| m.write(f)).shape()
        );
    }
}

#[test]
fn every_message_from_the_reader_thread_reads_back_as_written() {
    for m in from_reader_samples() {
        let back = FromReader::read(&written(|f| m.write(f)));
        let same = match (&m, &back) {
            (FromReader::Slice { last: a, .. }, FromReader::Slice { last: b, .. }) => a == b,
            (FromReader::Error(a), FromReader::Error(b)) => a == b,
            _ => false,
        };
        assert!(same, "{}", written(|f| m.write(f)).shape());
    }
}

/// The wire format the page, the worker and `static/reader.js` share:
/// each message's fields, in order, with their JS types.
#[test]
fn the_wire_format_is_the_one_both_sides_read() {
    let shapes: Vec<String> = to_worker_samples()
        .iter()
        .map(|m| written(|f| m.write(f)).shape())
        .chain(
            from_worker_samples()
                .iter()
                .map(|m| written(|f| m.write(f)).shape()),
        )
        .chain(
            [
                ToReader::Read {
                    blob: handle(),
                    slice: SLICE_BYTES,
                    ahead: PREFETCH,
                },
                ToReader::Ack,
            ]
            .iter()
            .map(|m| written(|f| m.write(f)).shape()),
        )
        .chain(
            from_reader_samples()
                .iter()
                .map(|m| written(|f| m.write(f)).shape()),
        )
        .collect();
    let want = [
        "type=analyze blobs:blobs names:texts settings:text",
        "type=analyze blobs:blobs names:texts settings:text url:text",
        "type=link anonymise:flag",
        "type=window id:num t0:num t1:num width:num ports:text",
        "type=extract name:text t0:num t1:num proto:text port:num aim:text",
        "type=extract name:text t0:num t1:num host:text",
        "type=bench blob:blob",
        "type=split at:num",
        "type=senders addrs:text",
        "type=ready",
        "type=progress bytes:num total:num packets:num memory:num",
        "type=partial report:text",
        "type=ports json:text",
        "type=done report:text ports:num why:text phases:text memory:num",
        "type=evidence json:text",
        "type=hashed index:num sha256:text",
        "type=link value:text kept:num ports:num sha256:text anonymised:flag memory:num",
        "type=window id:num t0:num t1:num report:text",
        "type=window id:num t0:num t1:num error:text",
        "type=extract name:text bytes:bytes packets:num matched:num format:text note:text",
        "type=extract name:text error:text",
        "type=bench ms:num bytes:num packets:num memory:num",
        "type=failed message:text",
        "type=split at:num diff:text",
        "type=split at:num error:text",
        "type=sent json:text",
        "blob:blob slice:num ahead:num",
        "ack:flag",
        "buf:bytes last:flag",
        "buf:bytes last:flag",
        "error:text",
    ];
    assert_eq!(shapes, want);
}

#[test]
fn a_request_that_cannot_be_run_is_an_error_and_an_unknown_one_is_ignored() {
    let typed = |t: &'static str, rest: &[(&'static str, Val)]| {
        let mut m = Map::default();
        m.put("type", Val::Text(t.into()));
        for (k, v) in rest {
            m.put(k, v.clone());
        }
        m
    };
    assert_eq!(
        ToWorker::read(&typed("analyze", &[])).map(|m| m.is_some()),
        Err("no file in the request".into())
    );
    let bad = typed(
        "analyze",
        &[
            ("url", Val::Text("https://example.org/x".into())),
            ("settings", Val::Text("{".into())),
        ],
    );
    let e = ToWorker::read(&bad).map(|m| m.is_some()).unwrap_err();
    assert!(e.starts_with("settings: "), "{e}");
    // A file whose blob is not a blob is left out.
    let odd = typed(
        "analyze",
        &[
            ("blobs", Val::Texts(vec!["not a blob".into()])),
            ("names", Val::Texts(vec!["a.pcap".into()])),
        ],
    );
    assert_eq!(
        ToWorker::read(&odd).map(|m| m.is_some()),
        Err("no file in the request".into())
    );
    assert_eq!(ToWorker::read(&typed("bench", &[])), Ok(None));
    assert_eq!(ToWorker::read(&typed("nope", &[])), Ok(None));
    assert!(FromWorker::read(&typed("nope", &[])).is_none());
    assert!(FromWorker::read(&Map::default()).is_none());
    // A hash without its value, a link without its value: no message.
    assert!(FromWorker::read(&typed("hashed", &[])).is_none());
    assert!(FromWorker::read(&typed("link", &[])).is_none());
    // Defaults for what is missing.
    assert!(matches!(
        FromWorker::read(&typed("failed", &[])),
        Some(FromWorker::Failed { message }) if message == "analysis failed"
    ));
    let w = typed("window", &[("width", Val::Num(0.0))]);
    assert_eq!(
        ToWorker::read(&w),
        Ok(Some(ToWorker::Window(WindowAsk {
            id: 0,
            t0: 0,
            t1: 0,
            width: 1,
            ports: Vec::new(),
        })))
    );
}
