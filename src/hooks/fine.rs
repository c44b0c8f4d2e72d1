//! Zoomed in past the stored bins, or a port without a stored timeline shown:
//! ask the worker for the window at a finer width, or for the whole capture
//! at the stored width (after the view has rested 120 ms).

use super::client::{post, Client};
use crate::components::timeline::zoom::{fine_width, grid_span};
use crate::format::port_label;
use crate::protocol::{ToWorker, WindowAsk};
use crate::state::{Phase, State};
use yew::prelude::*;

/// Time the view must rest before a window is read again (ms).
const REST_MS: i32 = 120;

#[hook]
pub fn use_fine_window(state: &State, running: &Client) {
    let report = state.report.clone();
    let shown = || std::iter::once(state.selected).chain(state.overlay.iter().copied());
    let ports: Vec<String> = report
        .iter()
        .flat_map(|r| {
            shown()
                .filter_map(|i| r.ports.get(i).map(port_label))
                .collect::<Vec<_>>()
        })
        .collect();
    let can = state.zoom_limit.is_none() && state.phase == Phase::Done;
    // A port without a stored timeline (ranked below the top ports) gets
    // one by a re-read of the whole capture at the stored width.
    let missing = report.as_ref().and_then(|r| {
        shown()
            .any(|i| r.ports.get(i).is_some_and(|p| p.series.is_none()))
            .then(|| grid_span(r))
            .flatten()
    });
    let fine = state.fine.clone();
    let running = running.clone();
    let deps = (
        state.view,
        ports,
        can,
        report.map(|r| r.bin_width_us),
        missing,
    );
    use_effect_with(deps, move |(view, ports, can, stored, missing)| {
        let id = running.borrow_mut().next_window_id();
        let wanted = match (*view, *stored) {
            (Some((t0, t1)), Some(stored)) => fine_width(t0, t1, stored)
                .or(missing.map(|_| stored))
                .map(|w| (t0, t1, w)),
            (None, Some(stored)) => missing.map(|(t0, t1)| (t0, t1, stored)),
            _ => None,
        };
        let Some((t0, t1, width)) = wanted.filter(|_| *can) else {
            return;
        };
        let done = fine.as_ref().is_some_and(|f| {
            f.covers(t0, t1)
                && f.report.bin_width_us == width
                && ports
                    .iter()
                    .all(|p| f.report.ports.iter().any(|x| &port_label(x) == p))
        });
        if done {
            return;
        }
        let ports = ports.clone();
        crate::dom::after(REST_MS, move || {
            if running.borrow().latest_window() == id {
                // A margin either side so small pans stay covered.
                let m = (t1 - t0) / 4;
                let ask = WindowAsk {
                    id,
                    t0: t0 - m,
                    t1: t1 + m,
                    width,
                    ports,
                };
                post(&running, ToWorker::Window(ask));
            }
        });
    });
}
