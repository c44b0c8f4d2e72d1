//! Listeners on the window, each added when the page mounts (or when what it
//! needs changes) and removed when it goes.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DragEvent, Event, KeyboardEvent};
use yew::prelude::*;

/// A listener on the window, removed when dropped.
struct Listener {
    event: &'static str,
    cb: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    fn new<E: JsCast + 'static>(event: &'static str, mut f: impl FnMut(E) + 'static) -> Self {
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            f(e.unchecked_into::<E>())
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
        }
        Listener { event, cb }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ =
                w.remove_event_listener_with_callback(self.event, self.cb.as_ref().unchecked_ref());
        }
    }
}

/// `on_change` with the new fragment each time the address's fragment
/// changes (a link pasted into an open tab).
#[hook]
pub fn use_hash_change(on_change: Callback<String>) {
    use_effect_with((), move |_| {
        let l = Listener::new("hashchange", move |_: Event| {
            on_change.emit(crate::dom::location_hash())
        });
        move || drop(l)
    });
}

/// `on_step` with +1 for `j` and -1 for `k`, not while typing in a field.
#[hook]
pub fn use_step_keys(on_step: Callback<i32>) {
    use_effect_with((), move |_| {
        let l = Listener::new("keydown", move |e: KeyboardEvent| {
            let typing = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                });
            if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            match e.key().as_str() {
                "j" => on_step.emit(1),
                "k" => on_step.emit(-1),
                _ => {}
            }
        });
        move || drop(l)
    });
}

/// `on_escape` when Escape is pressed anywhere on the page.
#[hook]
pub fn use_escape_key(on_escape: Callback<()>) {
    use_effect_with((), move |_| {
        let l = Listener::new("keydown", move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                on_escape.emit(());
            }
        });
        move || drop(l)
    });
}

/// Files dropped anywhere on the window go to `on_drop`; the returned flag is
/// set while something is dragged over the page.
#[hook]
pub fn use_window_drop(on_drop: Callback<Vec<(Blob, String)>>) -> bool {
    let dragging = use_state(|| false);
    {
        let dragging = dragging.clone();
        use_effect_with(on_drop, move |on_drop| {
            let on_drop = on_drop.clone();
            let d = dragging.clone();
            let over = Listener::new("dragover", move |e: DragEvent| {
                e.prevent_default();
                d.set(true);
            });
            let d = dragging.clone();
            let leave = Listener::new("dragleave", move |e: DragEvent| {
                if e.related_target().is_none() {
                    d.set(false);
                }
            });
            let drop_ = Listener::new("drop", move |e: DragEvent| {
                e.prevent_default();
                dragging.set(false);
                let files = e.data_transfer().and_then(|dt| dt.files());
                let files = files.map(crate::dom::file_list).unwrap_or_default();
                if !files.is_empty() {
                    on_drop.emit(files);
                }
            });
            // The page takes drops from here on (tests and benchmarks wait
            // for it: a machine under load can draw the page first).
            crate::dom::html_attr("data-drop", Some("ready"));
            move || drop((over, leave, drop_))
        });
    }
    *dragging
}
