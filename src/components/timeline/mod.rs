//! The timeline of the selected port (and any added to it): drawn on a
//! canvas, zoomed and panned by wheel, drag and keys, with its values on
//! hover and as a table. The zoom arithmetic ([`zoom`]) is plain and tested
//! natively; the component ([`Timeline`]) wires it to the canvas.

pub mod zoom;

#[cfg(target_arch = "wasm32")]
mod notes;
#[cfg(target_arch = "wasm32")]
mod parts;
#[cfg(target_arch = "wasm32")]
mod pointer;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use view::Timeline;
