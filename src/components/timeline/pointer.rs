//! The timeline's pointer and keys: wheel to zoom, drag to select a range,
//! Shift- or Alt-drag to pan, double-click to reset, and + - arrows 0.

use super::zoom::{time_at, Bounds};
use crate::chart;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// A drag on the timeline: a brush (zoom to the selection) or, with Shift or
/// Alt held, a pan.
#[derive(Clone, Copy)]
struct Drag {
    x: f64,
    t0: i64,
    t1: i64,
    pan: bool,
}

/// The canvas's handlers, and what they show.
pub(super) struct Pointer {
    /// The pointer's x and y (CSS px within the canvas) and the time there.
    pub hover: Option<(f64, f64, i64)>,
    /// The stretch a drag selects (CSS px).
    pub brush: Option<(f64, f64)>,
    pub onwheel: Callback<WheelEvent>,
    pub onmousedown: Callback<MouseEvent>,
    pub onmousemove: Callback<MouseEvent>,
    pub onmouseup: Callback<MouseEvent>,
    pub onmouseleave: Callback<MouseEvent>,
    pub ondblclick: Callback<MouseEvent>,
    pub onkeydown: Callback<KeyboardEvent>,
}

/// The handlers of a timeline showing `(t0, t1)` in `area`: each asks
/// `on_view` for the view it leads to, within `bounds`.
#[hook]
pub(super) fn use_pointer(
    area: &Rc<RefCell<chart::PlotArea>>,
    range: (i64, i64),
    bounds: Bounds,
    on_view: &Callback<Option<(i64, i64)>>,
) -> Pointer {
    let (t0, t1) = range;
    let hover = use_state(|| None::<(f64, f64, i64)>);
    let drag = use_mut_ref(|| None::<Drag>);
    let brush = use_state(|| None::<(f64, f64)>);
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
        .max(1.0);
    // Mouse x (CSS px within the canvas) → the fraction of the plot's width.
    let frac = {
        let area = area.clone();
        move |x_css: f64| -> f64 {
            let a = *area.borrow();
            (x_css * dpr - a.x0) / (a.x1 - a.x0).max(1.0)
        }
    };
    let t_at = move |x: f64| time_at((t0, t1), frac(x));
    let onwheel = {
        let (t_at, on_view) = (t_at.clone(), on_view.clone());
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let tc = t_at(f64::from(e.offset_x()));
            on_view.emit(bounds.wheel((t0, t1), tc, e.delta_y() < 0.0));
        })
    };
    let onmousedown = {
        let drag = drag.clone();
        Callback::from(move |e: MouseEvent| {
            *drag.borrow_mut() = Some(Drag {
                x: f64::from(e.offset_x()),
                t0,
                t1,
                pan: e.shift_key() || e.alt_key() || e.button() == 1,
            });
        })
    };
    let onmousemove = {
        let (drag, hover, brush) = (drag.clone(), hover.clone(), brush.clone());
        let (t_at, on_view, area) = (t_at.clone(), on_view.clone(), area.clone());
        Callback::from(move |e: MouseEvent| {
            let x = f64::from(e.offset_x());
            hover.set(Some((x, f64::from(e.offset_y()), t_at(x))));
            let Some(d) = *drag.borrow() else {
                return;
            };
            if d.pan {
                let a = *area.borrow();
                let px = ((a.x1 - a.x0) / dpr).max(1.0);
                on_view.emit(bounds.pan((d.t0, d.t1), (x - d.x) / px));
            } else if (x - d.x).abs() > 3.0 {
                brush.set(Some((d.x.min(x), d.x.max(x))));
            }
        })
    };
    let onmouseup = {
        let (drag, brush, on_view) = (drag.clone(), brush.clone(), on_view.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(d) = drag.borrow_mut().take() {
                let x = f64::from(e.offset_x());
                if !d.pan && (x - d.x).abs() > 3.0 {
                    on_view.emit(bounds.clamp(t_at(d.x.min(x)), t_at(d.x.max(x))));
                }
            }
            brush.set(None);
        })
    };
    let onmouseleave = {
        let (hover, brush) = (hover.clone(), brush.clone());
        Callback::from(move |_: MouseEvent| {
            *drag.borrow_mut() = None;
            hover.set(None);
            brush.set(None);
        })
    };
    let ondblclick = {
        let on_view = on_view.clone();
        Callback::from(move |_: MouseEvent| on_view.emit(None))
    };
    let onkeydown = {
        let on_view = on_view.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(next) = bounds.key((t0, t1), &e.key()) {
                e.prevent_default();
                on_view.emit(next);
            }
        })
    };
    Pointer {
        hover: *hover,
        brush: *brush,
        onwheel,
        onmousedown,
        onmousemove,
        onmouseup,
        onmouseleave,
        ondblclick,
        onkeydown,
    }
}
