//! The page's panels, each a component with its own props: the drop zone,
//! capture summary, share links, findings, finding and scanner details, port
//! table, timeline, settings, and the status lines (URL prompt, progress,
//! failure).

pub mod timeline;

#[cfg(target_arch = "wasm32")]
mod copy;
#[cfg(target_arch = "wasm32")]
mod detail;
#[cfg(target_arch = "wasm32")]
mod diff;
#[cfg(target_arch = "wasm32")]
mod drop;
#[cfg(target_arch = "wasm32")]
mod findings;
#[cfg(target_arch = "wasm32")]
mod headline;
#[cfg(target_arch = "wasm32")]
mod ports;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod share_panel;
#[cfg(target_arch = "wasm32")]
mod status;
#[cfg(target_arch = "wasm32")]
mod summary;

#[cfg(target_arch = "wasm32")]
pub use {
    copy::CopyButton,
    detail::{ScannerDetail, SpikeDetail},
    diff::DiffPanel,
    drop::DropZone,
    findings::Findings,
    headline::Headline,
    ports::PortTable,
    settings::SettingsPanel,
    share_panel::Share,
    status::{
        confirm_view, failure_view, link_expects_view, link_held_view, partial_view, progress_view,
    },
    summary::Summary,
    timeline::Timeline,
};

use std::rc::Rc;

/// A value shared by `Rc` that props compare by identity, not content: a
/// report's timelines compared on every render cost up to 180 ms of the page's
/// time per second on a long capture.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> yew::html::IntoPropValue<Shared<T>> for Rc<T> {
    fn into_prop_value(self) -> Shared<T> {
        Shared(self)
    }
}
