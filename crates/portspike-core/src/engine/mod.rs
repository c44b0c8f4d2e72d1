//! The per-packet engine: port metrics, connection outcomes, first contacts
//! and per-source scan evidence. Time comes only from packet timestamps.
//!
//! By concern: [`ports`] (per-port counts and the table of ports),
//! [`attempts`] (attempts, probes and their outcomes), [`sources`] (first
//! contacts and scan verdicts), [`limits`] (memory bounds and what gives
//! way), [`topk`] (heavy hitters per port).

mod attempts;
mod holders;
mod limits;
mod ports;
mod sources;
mod topk;

pub use attempts::{ANSWER_US, CONV_IDLE_US, UDP_IDLE_US};
pub use holders::{SHARED_MIN_BITS, SHARED_OVER_OTHER};

/// Bins × ports with a timeline past which a chosen bin width is coarsened
/// (a 139-day capture at one-minute bins is 200,000 bins a port): the
/// timelines, their scoring and the report stay bounded whatever `--bin`
/// or `#bin=` asks.
pub const GRID_CELLS_MAX: usize = 4_000_000;
pub use limits::{
    Limits, CELL_BUDGET, CONTACT_BUDGET, DETAIL_BUDGET, MAX_CONTACTS_PER_SOURCE, MAX_SOURCES,
    MAX_UDP_FLOWS, PENDING_SLOTS,
};
pub(crate) use ports::{Detail, PortMap, PortState};
pub(crate) use sources::SourceState;
pub use sources::{
    BURST_GAP_US, MAX_BURSTS, P_D, P_F, THETA0, THETA1, TOP_PER_SOURCE, ZEEK_HOSTS, ZEEK_MAX_PAIRS,
    ZEEK_PORTS, ZEEK_WINDOW_US,
};
pub use topk::TOP_K;
pub(crate) use topk::{Hit, TopK};

use crate::bins::{Cell, Grid};
use crate::decode::{tcp_flags as F, Packet, Proto, L4};
use crate::flows;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::params::Key;
use crate::pending::Table;
use crate::sketch::{hash_addr, Distinct};
use attempts::{flow_id, FlowKey, Pending};
use ports::Counted;
use std::net::IpAddr;

/// Counters for the capture-level warnings.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EngineStats {
    pub first_contacts: u64,
    pub answered_contacts: u64,
    pub tcp_packets: u64,
    /// TCP packets inside a conversation (ACK, no SYN or RST).
    pub tcp_midflow: u64,
    pub evicted_pending: u64,
    pub evicted_udp: u64,
    pub untracked_sources: u64,
    pub evicted_sources: u64,
    /// Ports whose series were given up (counted once each time).
    pub trimmed_series: u64,
    /// Contacts not remembered for lack of room.
    pub unremembered_contacts: u64,
    /// A chosen bin width coarsened to bound the timelines: from, to (µs).
    pub coarsened: Option<(u64, u64)>,
}

#[derive(Debug)]
pub(crate) struct Engine {
    pub key: Key,
    pub grid: Grid,
    pub ports: PortMap,
    /// Open attempts by [`FlowKey::id`], oldest first.
    pending: Table<FlowKey, Pending>,
    /// UDP flows by [`FlowKey::id`]: when each was last seen.
    udp: HashMap<u64, i64>,
    /// TCP conversations by the [`FlowKey::id`] of the side that sent the
    /// SYN: when it was sent. The other side's packets in them are answers,
    /// never its probes (bounded like the UDP flows).
    convs: HashMap<u64, i64>,
    pub sources: HashMap<IpAddr, SourceState>,
    pub stats: EngineStats,
    now: i64,
    /// Cells held by all series.
    cells: usize,
    /// A port without a series gets one again once it has more packets than this.
    readmit: u64,
    /// Contacts remembered by all sources.
    contacts: usize,
    /// Ports holding a series and heavy hitters.
    detailed: usize,
    /// New sources to leave untracked before shedding again.
    shed_backoff: usize,
    /// Room reused by [`Engine::shed_sources`] for the sources' last times
    /// (allocating it anew at every shedding cost more than the shedding).
    shed_scratch: Vec<i64>,
    /// States of shed single-contact sources, whose (small) tables a new
    /// source reuses: where every packet brings a new source, making and
    /// dropping a dozen small tables per source was most of the time.
    source_pool: Vec<SourceState>,
    limits: Limits,
    /// Ports that keep their series whatever the budgets (see [`Engine::protect`]).
    protected: Vec<(Proto, u16)>,
    /// Which port numbers many hosts hold (the service side of reflected traffic).
    holders: holders::Holders,
    /// This packet was sent from a port many hosts hold to one few do: an
    /// answer (reflected traffic), never its sender's probe.
    from_shared: bool,
    /// The longest an answered attempt waited for its answer (µs).
    slowest_answer: i64,
}

impl Engine {
    pub fn new(key: Key, bin_width_us: Option<u64>, limits: Limits) -> Self {
        Engine {
            limits,
            protected: Vec::new(),
            key,
            grid: Grid::new(bin_width_us),
            ports: PortMap::default(),
            pending: Table::default(),
            udp: HashMap::default(),
            convs: HashMap::default(),
            sources: HashMap::default(),
            stats: EngineStats::default(),
            now: i64::MIN,
            cells: 0,
            readmit: 0,
            contacts: 0,
            detailed: 0,
            shed_backoff: 0,
            shed_scratch: Vec::new(),
            source_pool: Vec::new(),
            holders: holders::Holders::default(),
            from_shared: false,
            slowest_answer: 0,
        }
    }

    /// The bounds this engine works within.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Keep the series of `ports` whatever the budgets (a re-read window
    /// asked for these ports' timelines); the budgets bound the others.
    pub fn protect(&mut self, ports: &[(Proto, u16)]) {
        self.protected = ports.to_vec();
    }

    /// Whether `port` keeps its series whatever the budgets.
    pub fn is_protected(&self, port: (Proto, u16)) -> bool {
        self.protected.contains(&port)
    }

    /// Cells held by all series (bounded by [`Limits::cells`]).
    pub fn cells_held(&self) -> usize {
        self.cells
    }

    /// Count one packet; `binned` is false for timestamp outliers, which count
    /// in the totals only.
    pub fn packet(&mut self, ts: i64, len: u32, p: &Packet, binned: bool) {
        if binned {
            self.expire(ts);
        }
        match p.l4 {
            L4::Ports {
                proto,
                sport,
                dport,
                flags,
                payload,
            } => self.ports_packet(ts, len, p, proto, (sport, dport), flags, payload, binned),
            l4 => {
                // An error quoting an attempt settles it.
                if let (
                    true,
                    L4::Icmp {
                        quoted: Some(q), ..
                    },
                ) = (binned, l4)
                {
                    let k = FlowKey {
                        proto: q.proto,
                        src: q.src,
                        dst: q.dst,
                        sport: q.sport,
                        dport: q.dport,
                    };
                    self.resolve(k, k.id(), false, true);
                }
                if let Some(row) = l4.portless_row() {
                    self.portless_packet(ts, len, p, row, binned);
                }
            }
        }
    }

    /// A timestamp outlier: counted in its row's totals only.
    fn outlier(&mut self, row: (Proto, u16), len: u32) {
        if let Some(st) = self.port(row) {
            st.totals.packets += 1;
            st.totals.bytes += u64::from(len);
        }
    }

    /// A packet without ports (ICMP, another IP protocol, a later
    /// fragment): counted in its row by sender and receiver, with no
    /// attempts or answers.
    fn portless_packet(&mut self, ts: i64, len: u32, p: &Packet, row: (Proto, u16), binned: bool) {
        if !binned {
            self.outlier(row, len);
            return;
        }
        let c = Counted {
            ts,
            len,
            flags: None,
            client: (p.src, hash_addr(&p.src)),
            server: (p.dst, hash_addr(&p.dst)),
            outcome: attempts::Outcome::default(),
            reply: false,
        };
        self.count(row, &c);
    }

    /// A TCP or UDP packet: its port, its outcome bookkeeping (which may
    /// count into earlier bins), then the packet itself.
    #[allow(clippy::too_many_arguments)]
    fn ports_packet(
        &mut self,
        ts: i64,
        len: u32,
        p: &Packet,
        proto: Proto,
        (sport, dport): (u16, u16),
        flags: u8,
        payload: u16,
        binned: bool,
    ) {
        let (h_src, h_dst) = (hash_addr(&p.src), hash_addr(&p.dst));
        let id = flow_id(proto, h_src, h_dst, sport, dport);
        let rid = flow_id(proto, h_dst, h_src, dport, sport);
        // A SYN or SYN-ACK names its service port itself, and so does a
        // packet between a low or listed port and another: no holders needed
        // (most packets). They are counted from the others, the packets they
        // decide.
        let syn = proto == Proto::Tcp && flags & F::SYN != 0;
        let shared = match self.key {
            Key::Service if !syn && flows::holders_decide(proto, sport, dport) => {
                self.holders.see(proto, sport, h_src);
                self.holders.see(proto, dport, h_dst);
                self.holders.shared(proto, sport, dport)
            }
            _ => None,
        };
        let port_num = self.port_of(proto, (sport, dport), flags, rid, shared);
        self.from_shared = shared == Some(sport) && port_num == sport;
        let port = (proto, port_num);
        if !binned {
            self.outlier(port, len);
            return;
        }
        let k = FlowKey {
            proto,
            src: p.src,
            dst: p.dst,
            sport,
            dport,
        };
        let outcome = match proto {
            Proto::Tcp => self.tcp_outcome(k, (id, rid), ts, port, flags, payload),
            _ => self.udp_outcome(k, (id, rid), ts, port),
        };
        // Sources are the service's clients, destinations its servers: a reply
        // (from the service port) counts its receiver as the source.
        let reply = self.key == Key::Service && sport == port_num && dport != port_num;
        let (client, server) = if reply {
            ((p.dst, h_dst), (p.src, h_src))
        } else {
            ((p.src, h_src), (p.dst, h_dst))
        };
        self.count(
            port,
            &Counted {
                ts,
                len,
                flags: (proto == Proto::Tcp).then_some(flags),
                client,
                server,
                outcome,
                reply,
            },
        );
    }

    /// The port number a packet counts on: its service port (see
    /// [`flows::service_port`]) or its destination port, by [`Key`].
    fn port_of(
        &self,
        proto: Proto,
        (sport, dport): (u16, u16),
        flags: u8,
        rid: u64,
        shared: Option<u16>,
    ) -> u16 {
        match self.key {
            Key::Service => {
                let port = flows::service_port(proto, sport, dport, flags, shared);
                // A reset answering an open attempt (a refused SYN, a
                // probe's answer) is that attempt's: counted on the port it
                // tried, never on the prober's own port.
                if proto == Proto::Tcp && flags & F::RST != 0 && port != sport {
                    self.pending.get(rid).map_or(port, |pd| pd.port.1)
                } else {
                    port
                }
            }
            Key::DstPort => dport,
        }
    }

    /// End of capture: attempts still open are judged unanswered if the
    /// capture ran on long enough after them ([`Engine::end_wait`]: a third
    /// of the answer time, less on a network that answers faster), so a
    /// short capture of a scan still gets its verdicts; those too recent
    /// still count in their source's spread.
    pub fn finish(&mut self) {
        let now = self.now;
        let wait = self.end_wait();
        while let Some(s) = self.pending.pop_front() {
            if !s.live {
                continue;
            }
            if s.value.ts.saturating_add(wait) <= now {
                self.judge(s.key, s.value, false, false);
            } else if s.value.first_contact && !s.value.answered {
                // Too recent to call unanswered, but a contact all the
                // same: it counts in its source's spread.
                self.zeek(s.key, now);
            }
        }
        // What only served to follow the traffic is let go before the
        // report is built (a browser tab's memory never shrinks: the room
        // is reused).
        self.pending = Table::default();
        self.udp = HashMap::default();
        self.convs = HashMap::default();
        for s in self.sources.values_mut() {
            s.contacts = HashSet::default();
            s.zeek_pairs = HashSet::default();
            s.zeek_hosts = HashMap::default();
            s.zeek_ports = HashMap::default();
        }
        self.contacts = 0;
        self.source_pool = Vec::new();
        self.shed_scratch = Vec::new();
        self.holders = holders::Holders::default();
    }

    /// A short capture, binned where no width was chosen (see
    /// [`crate::bins::SHORT_CAPTURE_US`]): coarser bins, so that one whose
    /// whole span is an attack still shows it against its start.
    pub fn settle_width(&mut self, packets: u64, span_us: i64) {
        use crate::bins::{SHORT_CAPTURE_US, SHORT_MIN_BINS, SHORT_PACKETS_PER_BIN};
        if span_us <= 0 || span_us >= SHORT_CAPTURE_US || packets == 0 {
            return;
        }
        let per = i64::try_from(packets).unwrap_or(i64::MAX);
        let want = span_us.saturating_mul(SHORT_PACKETS_PER_BIN) / per;
        let factor = self.grid.widen(
            u64::try_from(want).unwrap_or(0),
            u64::try_from(span_us / SHORT_MIN_BINS).unwrap_or(0),
        );
        if factor > 1 {
            self.coarsen_all(factor);
        }
    }

    /// Bound the timelines a chosen bin width makes (see
    /// [`GRID_CELLS_MAX`]): past it the width is coarsened, as a warning
    /// says. Returns the widths before and after.
    pub fn bound_grid(&mut self) -> Option<(u64, u64)> {
        let timelines = self
            .ports
            .values()
            .filter(|p| p.detail.is_some())
            .count()
            .max(1);
        let bins = self.grid.len();
        // A width of the ladder's is bounded by the span already (at most
        // MAX_BINS bins); a chosen one is not.
        if !self.grid.is_fixed() || bins.saturating_mul(timelines) <= GRID_CELLS_MAX {
            return None;
        }
        let before = self.grid.width_us;
        let span = (bins as u64).saturating_mul(before);
        let fit = u64::try_from((GRID_CELLS_MAX / timelines).max(1)).unwrap_or(1);
        let factor = self.grid.widen_to(span.div_ceil(fit), u64::MAX);
        if factor > 1 {
            self.coarsen_all(factor);
        }
        self.stats.coarsened = Some((before, self.grid.width_us));
        self.stats.coarsened
    }

    /// Heap bytes held, by part (approximate: tables by capacity, sketches
    /// by their boxes; allocator overhead not counted).
    pub fn footprint(&self) -> Vec<(&'static str, usize)> {
        use std::mem::size_of;
        let distinct = Distinct::heap_bytes;
        let topk = |t: &TopK| t.items.capacity() * size_of::<(IpAddr, Hit)>();
        let table = |cap: usize, entry: usize| cap * (entry + 1);
        let ports = self.ports.heap_bytes()
            + self
                .ports
                .values()
                .map(|p| distinct(&p.sources) + distinct(&p.destinations))
                .sum::<usize>();
        let (mut details, mut cells) = (0, 0);
        for d in self.ports.values().filter_map(|p| p.detail.as_ref()) {
            details += size_of::<Detail>() + topk(&d.top_sources) + topk(&d.top_destinations);
            cells += d.series.heap_bytes();
        }
        let mut sources = table(self.sources.capacity(), size_of::<(IpAddr, SourceState)>());
        let mut contacts = 0;
        sources += self.source_pool.capacity() * size_of::<SourceState>()
            + self.shed_scratch.capacity() * 8;
        for s in self.sources.values().chain(&self.source_pool) {
            contacts += table(s.contacts.capacity(), 8);
            sources += distinct(&s.targets)
                + distinct(&s.ports)
                + table(s.probes.capacity(), 16)
                + table(s.top_ports.capacity(), 16)
                + table(s.top_targets.capacity(), 32)
                + table(s.zeek_pairs.capacity(), 8)
                + table(s.zeek_hosts.capacity(), 8)
                + table(s.zeek_ports.capacity(), 16);
        }
        vec![
            ("ports", ports),
            ("details", details),
            ("cells", cells),
            ("sources", sources),
            ("contacts", contacts),
            ("pending", self.pending.heap_bytes()),
            ("holders", self.holders.heap_bytes()),
            ("udp", table(self.udp.capacity(), size_of::<(u64, i64)>())),
            (
                "convs",
                table(self.convs.capacity(), size_of::<(u64, i64)>()),
            ),
        ]
    }

    /// Count a summarised cell of `port` starting at `ts_us` as if its
    /// packets had been seen: totals, distinct counts and the series (see
    /// [`crate::summary`]). The grid places it at its current width, which
    /// may have grown coarser than the summary's to span every summary.
    pub(crate) fn absorb(&mut self, port: (Proto, u16), ts_us: i64, cell: &Cell) {
        let (factor, bin) = self.grid.place(ts_us);
        if factor > 1 {
            self.coarsen_all(factor);
        }
        // Through the same budgets as packets: ports with a timeline, cells.
        let Some(st) = self.port(port) else {
            return;
        };
        // Counts from files: added without wrapping, whatever they claim.
        let t = &mut st.totals;
        t.packets = t.packets.saturating_add(u64::from(cell.packets));
        t.bytes = t.bytes.saturating_add(cell.bytes);
        t.attempts = t.attempts.saturating_add(u64::from(cell.attempts));
        t.failures = t.failures.saturating_add(u64::from(cell.failures));
        st.sources.merge(&cell.sources);
        st.destinations.merge(&cell.destinations);
        let mut grown = 0;
        if let Some(d) = st.detail.as_mut() {
            let before = d.series.cells();
            if let Some(c) = d.series.cell(bin) {
                c.add(cell);
            }
            grown = d.series.cells().saturating_sub(before);
        }
        self.grew(grown);
    }

    /// A capture without answers: first contacts got (almost) none — one
    /// direction of a tap, a network telescope, or probes into silence. TRW
    /// cannot judge there (every contact looks failed); spread alone can.
    pub fn one_way(&self) -> bool {
        let st = &self.stats;
        st.first_contacts >= 20 && st.answered_contacts * 100 < st.first_contacts
    }
}

#[cfg(test)]
mod tests;
