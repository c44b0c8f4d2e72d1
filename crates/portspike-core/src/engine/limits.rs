//! The memory bounds the engine works within, and what it gives up to
//! stay inside them: past a budget the quietest ports give up their series
//! (keeping their totals), and get one back once busier than any that did.

use super::ports::PortState;
use super::Engine;
use crate::bins::Cell;
use crate::decode::Proto;

/// Bounds on tracked state; past them the oldest state is dropped (and a warning says so).
pub use crate::pending::PENDING_SLOTS;
pub const MAX_UDP_FLOWS: usize = 1 << 17;
pub const MAX_SOURCES: usize = 1 << 12;
pub const MAX_CONTACTS_PER_SOURCE: usize = 1 << 16;
/// Ports that may hold a series and heavy hitters at once (a few KB each);
/// past it the quietest give theirs up, as for [`CELL_BUDGET`].
pub const DETAIL_BUDGET: usize = 1 << 12;
/// Cells all series may hold together. Past it the quietest ports give up
/// their series (they keep their totals) until half the budget is free.
pub const CELL_BUDGET: usize = 1 << 17;
/// Contacts remembered over all sources; past it new contacts of sources are
/// not remembered (each counts as a first contact).
pub const CONTACT_BUDGET: usize = 1 << 20;

/// The memory bounds an engine works within (see the constants above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Ports that may hold a series and heavy hitters at once.
    pub details: usize,
    /// Cells all series may hold together.
    pub cells: usize,
    /// Contacts remembered over all sources.
    pub contacts: usize,
    /// UDP flows tracked at once.
    pub udp_flows: usize,
    /// Sources whose first contacts are followed at once.
    pub sources: usize,
}

impl Limits {
    /// The command line's bounds: well within 128 MiB of state.
    pub const FULL: Limits = Limits {
        details: DETAIL_BUDGET,
        cells: CELL_BUDGET,
        contacts: CONTACT_BUDGET,
        udp_flows: MAX_UDP_FLOWS,
        sources: MAX_SOURCES,
    };
    /// A browser tab's bounds: a quarter of the timelines and contacts, half
    /// the UDP flows and sources (the page draws a few dozen timelines and
    /// can re-read any port's), so state and report fit in 64 MiB of wasm
    /// memory whatever the capture's size (wasm memory never shrinks, and
    /// a long run fragments it).
    pub const COMPACT: Limits = Limits {
        details: DETAIL_BUDGET / 4,
        cells: CELL_BUDGET / 4,
        contacts: CONTACT_BUDGET / 4,
        udp_flows: MAX_UDP_FLOWS / 2,
        sources: MAX_SOURCES / 2,
    };
}

impl Engine {
    /// Coarsen every series by `factor` (after the grid stepped up).
    pub(super) fn coarsen_all(&mut self, factor: i64) {
        self.cells = 0;
        for d in self.ports.values_mut().filter_map(|st| st.detail.as_mut()) {
            d.series.coarsen(factor);
            self.cells += d.series.cells();
        }
    }

    /// Over budget: the quietest ports give up their series and heavy
    /// hitters, down to half of each budget.
    pub(super) fn trim(&mut self) {
        let mut by_packets: Vec<(u64, (Proto, u16), usize)> = self
            .ports
            .iter()
            .filter(|(k, st)| st.detail.is_some() && !self.protected.contains(k))
            .map(|(k, st)| (st.totals.packets, k, st.cells()))
            .collect();
        by_packets.sort_unstable();
        for (packets, k, n) in by_packets {
            if self.cells <= self.limits.cells / 2 && self.detailed <= self.limits.details / 2 {
                break;
            }
            if let Some(st) = self.ports.get_mut(k) {
                st.detail = None;
                // A quiet port's distinct counts need less precision.
                st.sources.fold();
                st.destinations.fold();
                self.cells -= n.min(self.cells);
                self.detailed -= 1;
                self.readmit = self.readmit.max(packets.saturating_mul(2));
                self.stats.trimmed_series += 1;
            }
        }
    }

    /// The state of `port`, new ports with a series (within the budget).
    pub(super) fn port(&mut self, port: (Proto, u16)) -> Option<&mut PortState> {
        if self.ports.get(port).is_none() {
            self.detailed += 1;
            if self.detailed > self.limits.details {
                self.trim();
            }
        }
        self.ports.get_or_insert_with(port, PortState::new)
    }

    /// The cell of `port` at time `ts` (placing `ts` on the grid); `None`
    /// for a port without a series.
    pub(super) fn cell(&mut self, port: (Proto, u16), ts: i64) -> Option<&mut Cell> {
        let (factor, bin) = self.grid.place(ts);
        if factor > 1 {
            self.coarsen_all(factor);
        }
        let d = self.ports.get_mut(port)?.detail.as_mut()?;
        let before = d.series.cells();
        d.series.cell(bin)?;
        let grown = d.series.cells() - before;
        self.grew(grown);
        // The trim may have taken this very series.
        self.ports.get_mut(port)?.detail.as_mut()?.series.cell(bin)
    }

    /// Series took `n` more cells: trim if that passes the budget.
    pub(super) fn grew(&mut self, n: usize) {
        self.cells += n;
        if self.cells > self.limits.cells {
            self.trim();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, US};
    use crate::params::Key;

    #[test]
    fn the_browser_s_bounds_are_a_fraction_of_the_command_line_s() {
        let (f, c) = (Limits::FULL, Limits::COMPACT);
        assert_eq!(
            (c.cells * 4, c.details * 4, c.contacts * 4),
            (f.cells, f.details, f.contacts)
        );
        assert_eq!((c.udp_flows * 2, c.sources * 2), (f.udp_flows, f.sources));
    }

    /// Port `1000 + i` gets `i` datagrams, in that order, on an engine with
    /// room for four timelines; port 1001 is protected.
    fn five_ports() -> Engine {
        let limits = Limits {
            details: 4,
            ..Limits::FULL
        };
        let mut e = Engine::new(Key::DstPort, Some(US as u64), limits);
        e.protect(&[(Proto::Udp, 1001)]);
        for port in 1001..=1005u16 {
            for n in 0..(port - 1000) {
                let p = fixture::udp([10, 0, 0, 2], [10, 0, 0, 1], 40000 + n, port);
                e.packet(i64::from(n) * US, 40, &p, true);
            }
        }
        e
    }

    #[test]
    fn past_the_budget_the_quietest_ports_give_up_their_series() {
        let e = five_ports();
        let kept: Vec<u16> = e
            .ports
            .iter()
            .filter(|(_, st)| !st.series_off())
            .map(|(k, _)| k.1)
            .collect();
        // Down to half the budget: the protected port and the newest stay.
        assert_eq!(kept, [1001, 1005]);
        assert_eq!(e.stats.trimmed_series, 3);
        // Totals stay.
        assert_eq!(e.ports.get((Proto::Udp, 1004)).unwrap().totals.packets, 4);
        assert_eq!(e.cells_held(), 1 + 5);
    }

    #[test]
    fn a_port_busier_than_any_that_gave_up_gets_its_series_back() {
        let mut e = five_ports();
        // Port 1004 gave its series up at 4 packets: the bar is twice that.
        for n in 0..5u16 {
            let p = fixture::udp([10, 0, 0, 3], [10, 0, 0, 1], 41000 + n, 1003);
            e.packet(10 * US, 40, &p, true);
            assert!(e.ports.get((Proto::Udp, 1003)).unwrap().series_off());
        }
        let p = fixture::udp([10, 0, 0, 3], [10, 0, 0, 1], 42000, 1003);
        e.packet(11 * US, 40, &p, true);
        let st = e.ports.get((Proto::Udp, 1003)).unwrap();
        assert_eq!(st.totals.packets, 3 + 5 + 1);
        assert!(!st.series_off());
        assert_eq!(st.cells(), 1, "from here on only");
    }
}
