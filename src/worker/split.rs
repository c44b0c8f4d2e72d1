//! "Before / after": the capture before a moment compared with what follows.

use super::reader::{in_pieces, read_slices};
use super::{error_text, post, SessionCell};
use crate::protocol::FromWorker;
use portspike_core::engine::Limits;
use portspike_core::Analyzer;
use std::cell::RefCell;

/// The capture before `at` against what follows: both parts analysed with
/// the capture's settings in one read of its files, and compared.
pub(crate) async fn split(s: &SessionCell, at: i64) {
    let Some((files, params)) = s
        .borrow()
        .kept
        .as_ref()
        .map(|k| (k.files.clone(), k.params.clone()))
    else {
        return;
    };
    let part = |t0: i64, t1: i64| {
        let mut a = Analyzer::with_limits(params.clone(), Limits::COMPACT);
        a.keep_between(t0, t1);
        a
    };
    let parts = RefCell::new([part(i64::MIN, at), part(at, i64::MAX)]);
    let mut failed = None;
    let mut buf = Vec::new();
    for (blob, name) in &files {
        for a in parts.borrow_mut().iter_mut() {
            a.begin_file(name, blob.size() as u64, None);
        }
        let read = read_slices(s, blob, |arr, _| {
            in_pieces(arr, &mut buf, |piece, _| {
                for a in parts.borrow_mut().iter_mut() {
                    a.feed(piece);
                }
            })
        })
        .await;
        if let Err(e) = read {
            failed = Some(format!("reading the file failed: {}", error_text(&e)));
            break;
        }
    }
    let diff = match failed {
        Some(e) => Err(e),
        None => {
            let [before, after] = parts.into_inner().map(Analyzer::finish);
            serde_json::to_string(&portspike_core::diff::diff(&before, &after))
                .map_err(|e| e.to_string())
        }
    };
    post(FromWorker::Split { at, diff });
}
