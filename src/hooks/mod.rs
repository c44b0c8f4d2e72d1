//! The page's hooks: the page's client of the worker (`client.rs`), the
//! window's events (drop, keys, address changes) and the timeline's re-read
//! of a zoomed window.

pub mod client;
pub mod events;
pub mod fine;

use yew::prelude::*;

/// A node for a detail that opens below the findings: each time it shows
/// another `key`, it is scrolled into view if it is out of sight (its top in
/// the lowest fifth of the window or below, or above it).
#[hook]
pub fn use_scrolled_into_view(key: usize) -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(key, move |_| {
            if let (Some(el), Some(w)) = (node.cast::<web_sys::Element>(), web_sys::window()) {
                let r = el.get_bounding_client_rect();
                let h = w
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or(0.0);
                if r.top() > h * 0.8 || r.bottom() < 0.0 {
                    el.scroll_into_view();
                }
            }
        });
    }
    node
}
