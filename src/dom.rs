//! The page's small dealings with the browser: times in its zone, downloads,
//! attributes on `<html>`, files from a drop or a URL, a later task.

use crate::share;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Blob;

/// A time as `2024-01-02 03:04:05.678 UTC`: the core's calendar, as the
/// exports and the CLI write it (to the µs floored to the ms, for any time).
pub fn iso(us: i64) -> String {
    portspike_core::export::human(us)
}

/// Minutes east of UTC of the browser's zone at `us`.
pub fn local_offset_min(us: i64) -> i32 {
    let d = js_sys::Date::new(&JsValue::from_f64(us as f64 / 1000.0));
    -(d.get_timezone_offset() as i32)
}

/// The zone offset the time-zone toggle asks for at `us`: 0 for UTC.
pub fn zone_at(us: i64, utc: bool) -> i32 {
    if utc {
        0
    } else {
        local_offset_min(us)
    }
}

/// A window's times in UTC, or in the browser's zone (`utc` false), as the
/// time-zone toggle says.
pub fn window_text(t0: i64, t1: i64, utc: bool) -> String {
    let tz = zone_at(t0, utc);
    format!(
        "{}–{} {}",
        crate::format::hms_at(t0, tz),
        crate::format::hms_at(t1, tz),
        crate::format::zone_name(tz)
    )
}

/// Offer `text` as a file download (nothing leaves the tab otherwise).
pub fn save(name: &str, mime: &str, text: &str) {
    offer(name, mime, &JsValue::from_str(text));
}

/// Offer bytes (a capture) as a file download.
pub fn save_bytes(name: &str, bytes: &js_sys::Uint8Array) {
    offer(name, "application/vnd.tcpdump.pcap", bytes);
}

/// Offer one blob part (a string or bytes) as a file download.
fn offer(name: &str, mime: &str, part: &JsValue) {
    let result = (|| -> Result<(), JsValue> {
        let parts = js_sys::Array::new();
        parts.push(part);
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        download_url(name, &url)?;
        web_sys::Url::revoke_object_url(&url)
    })();
    if let Err(e) = result {
        web_sys::console::error_1(&e);
    }
}

/// Download what `url` holds as `name`.
pub fn download_url(name: &str, url: &str) -> Result<(), JsValue> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// Set an attribute of `<html>` (`None`: remove it).
pub fn html_attr(name: &str, value: Option<&str>) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        // Unchanged values are not set again: an attribute set on the root
        // element makes the browser look at the whole page's style.
        if el.get_attribute(name).as_deref() == value {
            return;
        }
        let _ = match value {
            Some(v) => el.set_attribute(name, v),
            None => el.remove_attribute(name),
        };
    }
}

/// The address's fragment (`#…`), or "".
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The page's address without its fragment.
pub fn page_base() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// Put `text` on the clipboard; false if the page has no window.
pub fn copy_text(text: &str) -> bool {
    match web_sys::window() {
        Some(w) => {
            let _ = w.navigator().clipboard().write_text(text);
            true
        }
        None => false,
    }
}

/// The files of a drop or a file picker, as (blob, name) pairs.
pub fn file_list(fl: web_sys::FileList) -> Vec<(Blob, String)> {
    (0..fl.length())
        .filter_map(|i| fl.get(i))
        .map(|f| {
            let name = f.name();
            (f.into(), name)
        })
        .collect()
}

/// The body of `url` (the page's own sample capture).
pub async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "not a response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let blob = wasm_bindgen_futures::JsFuture::from(resp.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    blob.dyn_into::<Blob>()
        .map_err(|_| "not a blob".to_string())
}

/// A link's `#url=` as the browser's URL parser reads it (relative to the
/// page): its address and host, if it may be fetched (https, or the page's
/// own origin; the worker checks the same).
pub fn fetch_target(u: &str) -> Result<(String, String), String> {
    let loc = web_sys::window().ok_or("no window")?.location();
    let base = loc.href().map_err(|_| "the page has no address")?;
    let origin = loc.origin().map_err(|_| "the page has no origin")?;
    let url = web_sys::Url::new_with_base(u, &base).map_err(|_| "it is not an address")?;
    share::fetch_allowed(&url.protocol(), &url.origin(), &origin)?;
    Ok((url.href(), url.host()))
}

/// Resolves in a later task (a zero timeout), so work after it does not
/// lengthen the current one.
pub async fn next_task() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// Run `f` once, `ms` milliseconds from now.
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}
