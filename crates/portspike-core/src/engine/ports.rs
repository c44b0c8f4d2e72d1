//! Per-port state: totals, distinct sources and destinations, and (within
//! the budgets) a series and heavy hitters; the table that finds a port's
//! state, and the counting of one packet into it.

use super::attempts::Outcome;
use super::topk::TopK;
use super::Engine;
use crate::bins::{Cell, Series};
use crate::decode::{FlagMix, Proto};
use crate::sketch::Distinct;
use std::net::IpAddr;

/// A port's counts over the whole capture (its distinct sources and
/// destinations are its sketches').
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub packets: u64,
    pub bytes: u64,
    pub attempts: u64,
    pub failures: u64,
}

/// Everything kept per port.
#[derive(Debug)]
pub(crate) struct PortState {
    pub totals: Counts,
    pub sources: Distinct,
    pub destinations: Distinct,
    /// The series and heavy hitters; `None` once given up to stay within
    /// the engine's [`Limits`].
    pub detail: Option<Box<Detail>>,
}

/// Per-port state: the ports' states side by side in the order first seen,
/// found through a flat table indexed by protocol and port number (a lookup
/// is two array reads, not a hash; an unused port costs four bytes).
#[derive(Debug, Default)]
pub(crate) struct PortMap {
    /// For each (protocol, port): 1 + its position in `states`, or 0.
    index: Vec<u32>,
    keys: Vec<(Proto, u16)>,
    states: Vec<PortState>,
}

impl PortMap {
    /// TCP and UDP ports first, then the rows without ports (numbered
    /// up to 256: ICMP types, IP protocol numbers and the other protocols').
    pub(super) fn index((proto, port): (Proto, u16)) -> usize {
        let small = usize::from(port & 0x1ff);
        match proto {
            Proto::Tcp => usize::from(port),
            Proto::Udp => 1 << 16 | usize::from(port),
            Proto::Icmp => 2 << 16 | small,
            Proto::Icmpv6 => 2 << 16 | 1 << 9 | small,
            Proto::Ip => 2 << 16 | 2 << 9 | small,
            Proto::Fragment => 2 << 16 | 3 << 9 | small,
        }
    }

    /// Entries of the index.
    const SLOTS: usize = 2 << 16 | 4 << 9;

    pub(super) fn position(&self, port: (Proto, u16)) -> Option<usize> {
        let at = *self.index.get(Self::index(port))?;
        (at as usize).checked_sub(1)
    }

    /// Ports seen.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn get(&self, port: (Proto, u16)) -> Option<&PortState> {
        self.states.get(self.position(port)?)
    }

    pub fn get_mut(&mut self, port: (Proto, u16)) -> Option<&mut PortState> {
        let at = self.position(port)?;
        self.states.get_mut(at)
    }

    /// The state of `port`, made by `new` if it has none.
    pub(super) fn get_or_insert_with(
        &mut self,
        port: (Proto, u16),
        new: impl FnOnce() -> PortState,
    ) -> Option<&mut PortState> {
        let at = match self.position(port) {
            Some(at) => at,
            None => {
                if self.index.is_empty() {
                    self.index = vec![0; Self::SLOTS];
                }
                let at = self.states.len();
                *self.index.get_mut(Self::index(port))? = u32::try_from(at + 1).ok()?;
                self.keys.push(port);
                self.states.push(new());
                at
            }
        };
        self.states.get_mut(at)
    }

    /// Every port seen, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = ((Proto, u16), &PortState)> {
        self.keys.iter().copied().zip(self.states.iter())
    }

    pub fn values(&self) -> impl Iterator<Item = &PortState> {
        self.states.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut PortState> {
        self.states.iter_mut()
    }

    /// Heap bytes of the tables and the ports' own state (not what it points to).
    pub(super) fn heap_bytes(&self) -> usize {
        self.index.capacity() * 4
            + self.keys.capacity() * std::mem::size_of::<(Proto, u16)>()
            + self.states.capacity() * std::mem::size_of::<PortState>()
    }
}

/// What a port keeps while it has a timeline.
#[derive(Debug, Default)]
pub(crate) struct Detail {
    pub series: Series,
    pub top_sources: TopK,
    pub top_destinations: TopK,
}

impl PortState {
    pub(crate) fn new() -> Self {
        PortState {
            totals: Counts::default(),
            sources: Distinct::default(),
            destinations: Distinct::default(),
            detail: Some(Box::default()),
        }
    }

    /// The series was given up (the port keeps its totals).
    pub fn series_off(&self) -> bool {
        self.detail.is_none()
    }

    /// Cells held by its series.
    pub fn cells(&self) -> usize {
        self.detail.as_ref().map_or(0, |d| d.series.cells())
    }
}

/// One packet, as its port counts it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted {
    pub ts: i64,
    pub len: u32,
    /// TCP flags; `None` for UDP.
    pub flags: Option<u8>,
    /// The service's client and server side, with their address hashes.
    pub client: (IpAddr, u64),
    pub server: (IpAddr, u64),
    pub outcome: Outcome,
    /// Sent from the service port (an answer, or reflected traffic).
    pub reply: bool,
}

impl Engine {
    /// Count a packet into its port, with one lookup: totals, distinct
    /// counts, heavy hitters, then its bin. A port without a series gets one
    /// back once busier than any that gave one up (from here on).
    pub(super) fn count(&mut self, port: (Proto, u16), c: &Counted) {
        let (factor, bin) = self.grid.place(c.ts);
        if factor > 1 {
            self.coarsen_all(factor);
        }
        let ((client, hs), (server, hd)) = (c.client, c.server);
        let readmit = self.readmit;
        let Some(st) = self.port(port) else {
            return;
        };
        st.totals.packets += 1;
        st.totals.bytes += u64::from(c.len);
        st.sources.insert(hs);
        st.destinations.insert(hd);
        if c.outcome.attempt {
            st.totals.attempts += 1;
        }
        let mut readmitted = false;
        if st.detail.is_none() {
            // A quiet port's distinct counts need less precision.
            st.sources.fold();
            st.destinations.fold();
            if st.totals.packets > readmit {
                // Busier now than any port that gave its series up: it gets
                // one again (from here on; what came before was below the bar).
                st.detail = Some(Box::default());
                readmitted = true;
            }
        }
        let mut grown = 0;
        if let Some(d) = st.detail.as_mut() {
            d.top_sources.add(client, hs, c.ts);
            d.top_destinations.add(server, hd, c.ts);
            let before = d.series.cells();
            if let Some(cell) = d.series.cell(bin) {
                cell.packets += 1;
                cell.bytes += u64::from(c.len);
                cell.sources.insert(hs);
                if c.reply {
                    cell.victims.add(client);
                }
                cell.destinations.insert(hd);
                if c.outcome.attempt {
                    cell.attempts += 1;
                }
                cell.replies += u32::from(c.reply);
                if c.outcome.unsolicited {
                    cell.unsolicited += 1;
                }
                count_flags(cell, c.flags);
            }
            grown = d.series.cells().saturating_sub(before);
        }
        if readmitted {
            self.detailed += 1;
        }
        self.grew(grown);
        if readmitted && self.detailed > self.limits.details {
            self.trim();
        }
    }
}

/// The flag mix of a bin: each TCP packet counts once, by its first flag of
/// SYN, SYN-ACK, RST, FIN; anything else (UDP too) is `other`.
fn count_flags(c: &mut Cell, flags: Option<u8>) {
    let n = match flags.map(FlagMix::of) {
        Some(FlagMix::Syn) => &mut c.syn,
        Some(FlagMix::SynAck) => &mut c.synack,
        Some(FlagMix::Rst) => &mut c.rst,
        Some(FlagMix::Fin) => &mut c.fin,
        Some(FlagMix::Other) | None => &mut c.other,
    };
    *n += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags as F;
    use crate::fixture::{self, ip, SYN, SYNACK, US};

    #[test]
    fn the_port_table_keeps_ports_in_the_order_first_seen() {
        let mut m = PortMap::default();
        assert_eq!(m.len(), 0);
        assert!(m.get((Proto::Tcp, 80)).is_none());
        for k in [(Proto::Udp, 53), (Proto::Tcp, 53), (Proto::Tcp, 80)] {
            m.get_or_insert_with(k, PortState::new)
                .unwrap()
                .totals
                .packets += 1;
        }
        m.get_or_insert_with((Proto::Udp, 53), PortState::new)
            .unwrap()
            .totals
            .packets += 1;
        let seen: Vec<_> = m.iter().map(|(k, st)| (k, st.totals.packets)).collect();
        assert_eq!(
            seen,
            [
                ((Proto::Udp, 53), 2),
                ((Proto::Tcp, 53), 1),
                ((Proto::Tcp, 80), 1)
            ]
        );
        assert_eq!(m.len(), 3);
        assert!(m.get((Proto::Udp, 80)).is_none());
    }

    #[test]
    fn a_packet_counts_in_its_port_s_totals_bin_and_heavy_hitters() {
        let mut e = fixture::engine();
        let (client, server) = ([10, 0, 0, 2], [10, 0, 0, 1]);
        e.packet(0, 60, &fixture::tcp(client, server, 40000, 445, SYN), true);
        e.packet(
            US / 2,
            60,
            &fixture::tcp(server, client, 445, 40000, SYNACK),
            true,
        );
        let st = e.ports.get((Proto::Tcp, 445)).unwrap();
        assert_eq!(
            (st.totals.packets, st.totals.bytes, st.totals.attempts),
            (2, 120, 1)
        );
        // The reply counts its receiver as the source: sources are clients.
        assert_eq!(st.sources.estimate(), 1);
        let d = st.detail.as_ref().unwrap();
        assert_eq!(d.top_sources.within(0, US, 5), vec![(ip(client), 2)]);
        assert_eq!(d.top_destinations.within(0, US, 5), vec![(ip(server), 2)]);
        let c = d.series.view(0, 1).get(0).cloned().unwrap();
        assert_eq!((c.packets, c.attempts, c.syn, c.synack), (2, 1, 1, 1));
        // The client's own port is no port of the capture.
        assert!(e.ports.get((Proto::Tcp, 40000)).is_none());
    }

    #[test]
    fn each_packet_counts_once_in_the_flag_mix() {
        let mut c = Cell::default();
        for f in [
            Some(F::SYN),
            Some(F::SYN | F::ACK),
            Some(F::RST | F::ACK),
            Some(F::FIN | F::ACK),
            Some(F::ACK),
            None,
        ] {
            count_flags(&mut c, f);
        }
        assert_eq!((c.syn, c.synack, c.rst, c.fin, c.other), (1, 1, 1, 1, 2));
    }
}
