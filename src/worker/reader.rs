//! Reading a `Blob` in slices, on a reader thread (`static/reader.js`) when
//! the browser lets a worker start one, else on this thread.

use super::SessionCell;
use crate::protocol::{self, FromReader, ToReader};
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, MessageEvent};

/// Bytes of a slice copied into wasm memory at a time.
const COPY_PIECE: u32 = 1 << 20;

/// Hand `arr` to `f` a piece of [`COPY_PIECE`] bytes at a time, copied into
/// `buf` (with whether it is the last piece): a whole slice's copy would take
/// 8 MiB of memory that wasm never gives back.
pub(crate) fn in_pieces(arr: &Uint8Array, buf: &mut Vec<u8>, mut f: impl FnMut(&[u8], bool)) {
    let len = arr.length();
    let mut at = 0;
    while at < len {
        let end = len.min(at + COPY_PIECE);
        buf.resize((end - at) as usize, 0);
        arr.subarray(at, end).copy_to(buf);
        at = end;
        f(buf, at == len);
    }
}

/// Read `blob` in slices, in order, `each` getting every slice and whether
/// more follow. The reads run on a reader thread, so the browser keeps
/// reading while the engine works: read on this thread, a slice's bytes only
/// arrive while the thread is idle. Where a worker cannot start workers, the
/// slices are read here with [`protocol::PREFETCH`] reads in flight.
pub(crate) async fn read_slices(
    s: &SessionCell,
    blob: &Blob,
    mut each: impl FnMut(&Uint8Array, bool),
) -> Result<(), JsValue> {
    let Some(reader) = Reader::take(s) else {
        return read_slices_here(blob, each).await;
    };
    let req = ToReader::Read {
        blob: blob.clone(),
        slice: protocol::SLICE_BYTES,
        ahead: protocol::PREFETCH,
    };
    reader.worker.post_message(&req.encode())?;
    let ack = ToReader::Ack.encode();
    loop {
        match FromReader::decode(&reader.next().await) {
            FromReader::Error(e) => {
                reader.worker.terminate();
                return Err(e.into());
            }
            FromReader::Slice { buf, last } => {
                if buf.length() > 0 {
                    each(&buf, !last);
                }
                if last {
                    Reader::give_back(s, reader);
                    return Ok(());
                }
            }
        }
        reader.worker.post_message(&ack)?;
    }
}

type Inbox = Rc<RefCell<VecDeque<JsValue>>>;
type Waiting = Rc<RefCell<Option<js_sys::Function>>>;

/// A reader thread and the slices it has sent that are not yet taken.
pub(crate) struct Reader {
    worker: web_sys::Worker,
    inbox: Inbox,
    waiting: Waiting,
}

impl Reader {
    /// An idle reader, or a new one; `None` if no worker can be started here.
    pub fn take(s: &SessionCell) -> Option<Reader> {
        if let Some(r) = s.borrow_mut().readers.pop() {
            return Some(r);
        }
        let worker = web_sys::Worker::new("./reader.js").ok()?;
        let inbox = Inbox::default();
        let waiting = Waiting::default();
        let (i, w) = (inbox.clone(), waiting.clone());
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            deliver(&i, &w, ev.data());
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();
        let (i, w) = (inbox.clone(), waiting.clone());
        let onerror = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            let failed = FromReader::Error("the reader thread failed".into());
            deliver(&i, &w, failed.encode());
        });
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        onerror.forget();
        Some(Reader {
            worker,
            inbox,
            waiting,
        })
    }

    pub fn give_back(s: &SessionCell, r: Reader) {
        s.borrow_mut().readers.push(r);
    }

    /// The next message from the reader.
    async fn next(&self) -> JsValue {
        if let Some(m) = self.inbox.borrow_mut().pop_front() {
            return m;
        }
        let waiting = self.waiting.clone();
        let p = js_sys::Promise::new(&mut |resolve, _| {
            *waiting.borrow_mut() = Some(resolve);
        });
        JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED)
    }
}

/// Hand a reader's message to the [`Reader::next`] waiting for it, or keep it.
fn deliver(inbox: &Inbox, waiting: &Waiting, message: JsValue) {
    match waiting.borrow_mut().take() {
        Some(resolve) => {
            let _ = resolve.call1(&JsValue::NULL, &message);
        }
        None => inbox.borrow_mut().push_back(message),
    }
}

/// [`read_slices`] on this thread.
async fn read_slices_here(
    blob: &Blob,
    mut each: impl FnMut(&Uint8Array, bool),
) -> Result<(), JsValue> {
    let size = blob.size();
    let mut next = 0.0;
    let mut inflight = VecDeque::new();
    loop {
        while inflight.len() < protocol::PREFETCH && next < size {
            let end = (next + protocol::SLICE_BYTES).min(size);
            let part = blob.slice_with_f64_and_f64(next, end)?;
            inflight.push_back((JsFuture::from(part.array_buffer()), end));
            next = end;
        }
        let Some((read, end)) = inflight.pop_front() else {
            return Ok(());
        };
        let ab = read.await?;
        each(&Uint8Array::new(&ab), end < size);
    }
}
