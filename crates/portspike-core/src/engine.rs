//! The per-packet engine: port metrics, connection outcomes, first contacts
//! and per-source scan evidence. Time comes only from packet timestamps.

use crate::bins::{Cell, Grid, Series};
use crate::decode::{tcp_flags as F, Packet, Proto, L4};
use crate::flows;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::params::Key;
use crate::pending::Table;
use crate::report::Totals;
use crate::sketch::{hash_addr, hash_u64, Distinct};
use std::net::IpAddr;

/// An attempt is judged this long (capture time) after it was made.
pub const ANSWER_US: i64 = 3_000_000;
/// A UDP flow idle this long ends; the next packet is a new attempt.
pub const UDP_IDLE_US: i64 = 60_000_000;
/// First contacts of a source this far apart start a new burst of activity.
pub const BURST_GAP_US: i64 = 60_000_000;
/// Bursts kept per source: the first ones and, past them, the latest.
pub const MAX_BURSTS: usize = 16;
/// A TCP conversation's start is forgotten first once this long ago.
pub const CONV_IDLE_US: i64 = 600_000_000;
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
/// Ports and targets counted per source (the first ones seen).
pub const TOP_PER_SOURCE: usize = 16;
/// Heavy hitters kept per port (Space-Saving).
pub const TOP_K: usize = 32;
/// Zeek-style thresholds on failed attempts within a window.
pub const ZEEK_WINDOW_US: i64 = 300_000_000;
pub const ZEEK_HOSTS: usize = 25;
pub const ZEEK_PORTS: usize = 15;
/// Failed (target, port) pairs a source's Zeek window tracks before it starts over.
pub const ZEEK_MAX_PAIRS: usize = 128;

/// TRW (Jung et al. 2004) parameters.
pub const THETA0: f64 = 0.8;
pub const THETA1: f64 = 0.2;
pub const P_D: f64 = 0.99;
pub const P_F: f64 = 0.01;

/// A contact kind, for `probes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    Syn,
    Connect,
    Fin,
    Null,
    Xmas,
    Ack,
    Udp,
}

impl Probe {
    pub fn as_str(self) -> &'static str {
        match self {
            Probe::Syn => "syn",
            Probe::Connect => "connect",
            Probe::Fin => "fin",
            Probe::Null => "null",
            Probe::Xmas => "xmas",
            Probe::Ack => "ack",
            Probe::Udp => "udp",
        }
    }
}

/// A directional flow key: initiator → responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    proto: Proto,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
}

impl FlowKey {
    /// The flow's identity in the pending table: a 64-bit hash of the key
    /// (two flows share one with odds of 2^-64 per pair, far below anything
    /// counted). Entries stay small, so the table stays in cache longer.
    fn id(&self) -> u64 {
        flow_id(
            self.proto,
            hash_addr(&self.src),
            hash_addr(&self.dst),
            self.sport,
            self.dport,
        )
    }

    fn reverse(self) -> FlowKey {
        FlowKey {
            proto: self.proto,
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
        }
    }
}

/// [`FlowKey::id`] from the addresses' [`hash_addr`] values.
fn flow_id(proto: Proto, hs: u64, hd: u64, sport: u16, dport: u16) -> u64 {
    let ports = (u64::from(sport) << 16 | u64::from(dport) | u64::from(proto == Proto::Udp) << 32)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut h = hs ^ hd.rotate_left(29).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ ports;
    h ^= h >> 31;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 29)
}

/// An attempt awaiting its outcome.
#[derive(Debug, Clone, Copy)]
struct Pending {
    ts: i64,
    /// The port whose series counts it.
    port: (Proto, u16),
    probe: Probe,
    /// Counted in the port's attempts (SYN, new UDP flow).
    attempt: bool,
    /// A first contact of its source with (destination, port).
    first_contact: bool,
    answered: bool,
}

/// Space-Saving heavy hitters with the time range each was seen in.
///
/// A flat table of [`TOP_K`] slots searched by address hash; a miss replaces
/// a slot holding the smallest count, found by a cursor that moves on from
/// the last replacement (counts only grow, so a full turn of the cursor
/// without a slot at the known minimum means the minimum has grown).
#[derive(Debug, Default, Clone)]
pub struct TopK {
    hashes: Vec<u64>,
    items: Vec<(IpAddr, Hit)>,
    min: u64,
    cursor: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub count: u64,
    pub first_ts: i64,
    pub last_ts: i64,
}

impl TopK {
    /// Count one packet of `a` (whose [`hash_addr`] is `h`) at `ts`.
    fn add(&mut self, a: IpAddr, h: u64, ts: i64) {
        // A mask of the matching slots, without early exit (a full table
        // is a fixed-size array: the loop unrolls).
        let mut found = 0u64;
        if let Ok(full) = <&[u64; TOP_K]>::try_from(self.hashes.as_slice()) {
            for (i, x) in full.iter().enumerate() {
                found |= u64::from(*x == h) << i;
            }
        } else {
            for (i, x) in self.hashes.iter().enumerate() {
                found |= u64::from(*x == h) << (i & 63);
            }
        }
        if found != 0 {
            let i = found.trailing_zeros() as usize;
            if let Some((b, hit)) = self.items.get_mut(i) {
                if *b == a {
                    hit.count += 1;
                    hit.last_ts = ts;
                    return;
                }
            }
        }
        if self.items.len() < TOP_K {
            self.hashes.push(h);
            self.items.push((
                a,
                Hit {
                    count: 1,
                    first_ts: ts,
                    last_ts: ts,
                },
            ));
            self.min = 1;
            return;
        }
        // Replace a slot at the minimum, inheriting its count (Space-Saving).
        let n = self.items.len();
        let mut seen = 0;
        loop {
            let i = if self.cursor < n { self.cursor } else { 0 };
            self.cursor = if i + 1 < n { i + 1 } else { 0 };
            let at_min = self.items.get(i).is_some_and(|x| x.1.count <= self.min);
            if at_min {
                if let (Some(slot), Some(hs)) = (self.items.get_mut(i), self.hashes.get_mut(i)) {
                    *slot = (
                        a,
                        Hit {
                            count: slot.1.count + 1,
                            first_ts: ts,
                            last_ts: ts,
                        },
                    );
                    *hs = h;
                }
                return;
            }
            seen += 1;
            if seen >= n {
                self.min = self.items.iter().map(|x| x.1.count).min().unwrap_or(1);
                seen = 0;
            }
        }
    }

    /// The hitters seen within `[t0, t1)`, most first.
    pub fn within(&self, t0: i64, t1: i64, n: usize) -> Vec<(IpAddr, u64)> {
        let mut v: Vec<(IpAddr, u64)> = self
            .items
            .iter()
            .filter(|(_, h)| h.first_ts < t1 && h.last_ts >= t0)
            .map(|(a, h)| (*a, h.count))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// Everything kept per port.
#[derive(Debug)]
pub struct PortState {
    pub totals: Totals,
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
pub struct PortMap {
    /// For each (protocol, port): 1 + its position in `states`, or 0.
    index: Vec<u32>,
    keys: Vec<(Proto, u16)>,
    states: Vec<PortState>,
}

impl PortMap {
    fn index((proto, port): (Proto, u16)) -> usize {
        usize::from(proto == Proto::Udp) << 16 | usize::from(port)
    }

    fn position(&self, port: (Proto, u16)) -> Option<usize> {
        let at = *self.index.get(Self::index(port))?;
        (at as usize).checked_sub(1)
    }

    /// Ports seen.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn get(&self, port: (Proto, u16)) -> Option<&PortState> {
        self.states.get(self.position(port)?)
    }

    pub fn get_mut(&mut self, port: (Proto, u16)) -> Option<&mut PortState> {
        let at = self.position(port)?;
        self.states.get_mut(at)
    }

    /// The state of `port`, made by `new` if it has none.
    fn get_or_insert_with(
        &mut self,
        port: (Proto, u16),
        new: impl FnOnce() -> PortState,
    ) -> Option<&mut PortState> {
        let at = match self.position(port) {
            Some(at) => at,
            None => {
                if self.index.is_empty() {
                    self.index = vec![0; 2 << 16];
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
    fn heap_bytes(&self) -> usize {
        self.index.capacity() * 4
            + self.keys.capacity() * std::mem::size_of::<(Proto, u16)>()
            + self.states.capacity() * std::mem::size_of::<PortState>()
    }
}

/// What a port keeps while it has a timeline.
#[derive(Debug, Default)]
pub struct Detail {
    pub series: Series,
    pub top_sources: TopK,
    pub top_destinations: TopK,
}

impl PortState {
    fn new() -> Self {
        PortState {
            totals: Totals::default(),
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

/// Per-source scan evidence.
#[derive(Debug, Default)]
pub struct SourceState {
    contacts: HashSet<u64>,
    pub targets: Distinct,
    pub ports: Distinct,
    pub first_contacts: u64,
    pub failures: u64,
    /// TRW likelihood ratio.
    pub lambda: f64,
    pub convicted: Option<(i64, &'static str)>,
    /// First contacts made when convicted.
    pub contacts_at_conviction: u64,
    /// Score at conviction: log10 of the likelihood ratio, or the threshold count.
    pub score: f64,
    /// The spread verdict on its own (Zeek-style thresholds), whatever TRW
    /// said: when, with how many first contacts, and the count reached. It is
    /// the only verdict a capture without answers gives (see [`Engine::one_way`]).
    pub threshold: Option<Spread>,
    pub first_ts: i64,
    pub last_ts: i64,
    pub probes: HashMap<Probe, u64>,
    pub top_ports: HashMap<(Proto, u16), u64>,
    pub top_targets: HashMap<IpAddr, u64>,
    zeek_start: i64,
    /// Failed (target, port) pairs in the current window, and how many
    /// distinct hosts per port and ports per host they make.
    zeek_pairs: HashSet<u64>,
    zeek_hosts: HashMap<(Proto, u16), u16>,
    zeek_ports: HashMap<u64, u16>,
    /// Contacts to targets that answered a SYN with SYN-ACK, then this source sent RST.
    half_open: u64,
    /// First contacts answered.
    pub answered: u64,
    /// Bursts of first contacts: (first, last, contacts).
    pub bursts: Vec<(i64, i64, u64)>,
    completed: u64,
}

/// A source's spread verdict: distinct hosts on one port or ports on one
/// host within [`ZEEK_WINDOW_US`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub ts: i64,
    pub contacts: u64,
    pub hosts: usize,
    pub ports: usize,
}

/// Counters for the capture-level warnings.
#[derive(Debug, Default, Clone, Copy)]
pub struct EngineStats {
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
}

#[derive(Debug)]
pub struct Engine {
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
    limits: Limits,
    /// Ports that keep their series whatever the budgets (see [`Engine::protect`]).
    protected: Vec<(Proto, u16)>,
}

fn probe_of(flags: u8) -> Option<Probe> {
    let f = flags & (F::FIN | F::SYN | F::RST | F::PSH | F::ACK | F::URG);
    match f {
        _ if f & F::SYN != 0 && f & F::ACK == 0 && f & F::RST == 0 => Some(Probe::Syn),
        0 => Some(Probe::Null),
        F::FIN => Some(Probe::Fin),
        x if x == F::FIN | F::PSH | F::URG => Some(Probe::Xmas),
        _ => None,
    }
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

    /// Coarsen every series by `factor` (after the grid stepped up).
    fn coarsen_all(&mut self, factor: i64) {
        self.cells = 0;
        for d in self.ports.values_mut().filter_map(|st| st.detail.as_mut()) {
            d.series.coarsen(factor);
            self.cells += d.series.cells();
        }
    }

    /// Over budget: the quietest ports give up their series and heavy
    /// hitters, down to half of each budget.
    fn trim(&mut self) {
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
    fn port(&mut self, port: (Proto, u16)) -> Option<&mut PortState> {
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
    fn cell(&mut self, port: (Proto, u16), ts: i64) -> Option<&mut Cell> {
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
    fn grew(&mut self, n: usize) {
        self.cells += n;
        if self.cells > self.limits.cells {
            self.trim();
        }
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
            L4::Icmp {
                quoted: Some(q), ..
            } if binned => {
                let k = FlowKey {
                    proto: q.proto,
                    src: q.src,
                    dst: q.dst,
                    sport: q.sport,
                    dport: q.dport,
                };
                self.resolve(k, k.id(), false, true);
            }
            _ => {}
        }
    }

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
        let port_num = match self.key {
            Key::Service => {
                let port = flows::service_port(proto, sport, dport, flags);
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
        };
        let port = (proto, port_num);
        // Sources are the service's clients, destinations its servers: a reply
        // (from the service port) counts its receiver as the source.
        let (client, server) = if self.key == Key::Service && sport == port_num && dport != port_num
        {
            (p.dst, p.src)
        } else {
            (p.src, p.dst)
        };
        if !binned {
            let Some(st) = self.port(port) else {
                return;
            };
            st.totals.packets += 1;
            st.totals.bytes += u64::from(len);
            return;
        }
        let k = FlowKey {
            proto,
            src: p.src,
            dst: p.dst,
            sport,
            dport,
        };
        // Outcome bookkeeping first: it may count into earlier bins.
        let mut attempt = false;
        let mut unsolicited = false;
        let (syn, ack, rst, fin) = (
            flags & F::SYN != 0,
            flags & F::ACK != 0,
            flags & F::RST != 0,
            flags & F::FIN != 0,
        );
        if proto == Proto::Tcp {
            self.stats.tcp_packets += 1;
            if ack && !syn && !rst {
                self.stats.tcp_midflow += 1;
            }
        }
        match proto {
            Proto::Tcp => {
                if syn && !ack && !rst {
                    let retransmit = self
                        .pending
                        .get(id)
                        .is_some_and(|pd| pd.attempt && ts - pd.ts <= ANSWER_US);
                    if !retransmit {
                        attempt = true;
                        self.remember_conv(id, ts);
                        self.open(k, id, ts, port, Probe::Syn, true);
                    }
                } else if syn && ack {
                    match self.pending.get_mut(rid) {
                        Some(pd) if !pd.answered => {
                            pd.answered = true;
                            let pd = *pd;
                            self.resolve_success(k.dst, pd);
                        }
                        Some(_) => {}
                        None => unsolicited = true,
                    }
                } else if rst {
                    let r = k.reverse();
                    if self.pending.get(rid).is_some_and(|pd| !pd.answered) {
                        self.resolve(r, rid, true, false);
                    } else if let Some(pd) = self.pending.get(id).copied() {
                        // The initiator resets after a SYN-ACK: a half-open (SYN) scan.
                        if pd.answered {
                            if let Some(s) = self.sources.get_mut(&k.src) {
                                s.half_open += 1;
                            }
                        }
                        self.pending.remove(id);
                    }
                } else if let Some(pd) = self.pending.get(id).copied() {
                    if ack && pd.probe == Probe::Syn {
                        // The handshake completed. The initiator acknowledges
                        // only an answer: where the SYN-ACK is missing (a
                        // one-way capture, a lost packet) its ACK says the
                        // attempt succeeded all the same.
                        if !pd.answered {
                            self.resolve_success(k.src, pd);
                        }
                        self.pending.remove(id);
                        if let Some(s) = self.sources.get_mut(&k.src) {
                            s.completed += 1;
                        }
                        if let Some(c) = self.cell(pd.port, pd.ts) {
                            c.completed += 1;
                        }
                    }
                } else if let Some(pd) = self.pending.get(rid).copied() {
                    // Any other answer to a FIN/NULL/XMAS probe.
                    if !pd.answered && pd.probe != Probe::Syn {
                        self.resolve_success(k.dst, pd);
                        self.pending.remove(rid);
                    }
                } else if self.convs.contains_key(&rid) {
                    // The peer started this conversation: whatever this side
                    // sends in it answers (a bare ACK, a FIN), never probes.
                } else if let Some(probe) = probe_of(flags) {
                    self.open(k, id, ts, port, probe, false);
                } else if flags & !(F::ACK | F::PSH) == 0 && ack && payload == 0 {
                    // A bare ACK to a new (host, port): an ACK probe if the
                    // target resets it; anything else leaves no verdict.
                    self.open(k, id, ts, port, Probe::Ack, false);
                }
            }
            Proto::Udp => {
                if let Some(last) = self.udp.get_mut(&rid) {
                    *last = ts;
                    if let Some(pd) = self.pending.get(rid).copied().filter(|pd| !pd.answered) {
                        self.resolve_success(k.dst, pd);
                        self.pending.remove(rid);
                        // An answered flow is UDP's completed exchange.
                        if pd.attempt {
                            if let Some(c) = self.cell(pd.port, pd.ts) {
                                c.completed += 1;
                            }
                        }
                    }
                } else {
                    let fresh = self.udp.get(&id).is_none_or(|last| ts - last > UDP_IDLE_US);
                    if self.udp.len() >= self.limits.udp_flows && !self.udp.contains_key(&id) {
                        let cutoff = ts - UDP_IDLE_US;
                        self.udp.retain(|_, last| *last > cutoff);
                        if self.udp.len() >= self.limits.udp_flows {
                            self.stats.evicted_udp += self.udp.len() as u64;
                            self.udp.clear();
                        }
                        // Without this, a table full of removed entries grows.
                        self.udp.shrink_to(self.limits.udp_flows);
                    }
                    self.udp.insert(id, ts);
                    if fresh {
                        attempt = true;
                        self.open(k, id, ts, port, Probe::Udp, true);
                    }
                }
            }
        }
        // The packet itself, with one lookup of its port: totals, then its bin.
        let (factor, bin) = self.grid.place(ts);
        if factor > 1 {
            self.coarsen_all(factor);
        }
        let (hs, hd) = if client == p.src {
            (h_src, h_dst)
        } else {
            (h_dst, h_src)
        };
        let readmit = self.readmit;
        let Some(st) = self.port(port) else {
            return;
        };
        st.totals.packets += 1;
        st.totals.bytes += u64::from(len);
        st.sources.insert(hs);
        st.destinations.insert(hd);
        if attempt {
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
            d.top_sources.add(client, hs, ts);
            d.top_destinations.add(server, hd, ts);
            let before = d.series.cells();
            if let Some(c) = d.series.cell(bin) {
                c.packets += 1;
                c.bytes += u64::from(len);
                c.sources.insert(hs);
                c.destinations.insert(hd);
                if attempt {
                    c.attempts += 1;
                }
                if unsolicited {
                    c.unsolicited += 1;
                }
                if proto == Proto::Tcp {
                    if syn && !ack {
                        c.syn += 1;
                    } else if syn && ack {
                        c.synack += 1;
                    } else if rst {
                        c.rst += 1;
                    } else if fin {
                        c.fin += 1;
                    } else {
                        c.other += 1;
                    }
                } else {
                    c.other += 1;
                }
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

    /// Track an attempt or probe until its outcome is known.
    fn open(
        &mut self,
        k: FlowKey,
        id: u64,
        ts: i64,
        port: (Proto, u16),
        probe: Probe,
        attempt: bool,
    ) {
        if self.pending.full() {
            // Judge the oldest now rather than grow.
            while self.pending.slots() >= PENDING_SLOTS / 2 {
                let Some(old) = self.pending.pop_front() else {
                    break;
                };
                if old.live {
                    self.stats.evicted_pending += 1;
                    self.judge(old.key, old.value, false, false);
                }
            }
        }
        // A packet from the service port to an ephemeral one answers the
        // peer: it is never its sender's contact (a resolver's answers, a
        // server's bare ACKs).
        let answer = crate::flows::answers(k.proto, k.sport, k.dport, probe == Probe::Syn);
        let first_contact = !answer && self.contact(k, ts, probe);
        if !attempt && !first_contact {
            // A probe-like packet in a known pairing: nothing to judge.
            return;
        }
        self.pending.insert(
            id,
            k,
            Pending {
                ts,
                port,
                probe,
                attempt,
                first_contact,
                answered: false,
            },
        );
    }

    /// A SYN of flow `id` at `ts`: the conversation is its sender's (bounded
    /// like the UDP flows: past the bound, those idle longest are forgotten).
    fn remember_conv(&mut self, id: u64, ts: i64) {
        if self.convs.len() >= self.limits.udp_flows && !self.convs.contains_key(&id) {
            let cutoff = ts - CONV_IDLE_US;
            self.convs.retain(|_, t| *t > cutoff);
            if self.convs.len() >= self.limits.udp_flows / 2 {
                self.convs.clear();
            }
            self.convs.shrink_to(self.limits.udp_flows);
        }
        self.convs.insert(id, ts);
    }

    /// Record a contact of `k.src` with (`k.dst`, port); true if it is the first.
    fn contact(&mut self, k: FlowKey, ts: i64, probe: Probe) -> bool {
        // Multicast and broadcast get no unicast answer: not a contact to judge.
        let group = match k.dst {
            IpAddr::V4(a) => a.is_multicast() || a.is_broadcast() || a.octets()[3] == 255,
            IpAddr::V6(a) => a.is_multicast(),
        };
        if group {
            return false;
        }
        if !self.sources.contains_key(&k.src) && self.sources.len() >= self.limits.sources {
            // Sources with a verdict are kept: when they fill the table,
            // shedding frees nothing, and is tried again only after a
            // quarter of the table's worth of new sources went untracked.
            if self.shed_backoff == 0 {
                self.shed_sources();
                if self.sources.len() > self.limits.sources * 3 / 4 {
                    self.shed_backoff = self.limits.sources / 4;
                }
            } else {
                self.shed_backoff -= 1;
            }
            if self.sources.len() >= self.limits.sources {
                self.stats.untracked_sources += 1;
                return false;
            }
        }
        let s = self.sources.entry(k.src).or_insert_with(|| SourceState {
            lambda: 1.0,
            first_ts: ts,
            last_ts: ts,
            zeek_start: ts,
            ..SourceState::default()
        });
        // Files of a rotated set may come in any order: the span is the
        // earliest and the latest contact, whatever the order they were read.
        s.first_ts = s.first_ts.min(ts);
        s.last_ts = s.last_ts.max(ts);
        let h = hash_addr(&k.dst) ^ (u64::from(k.dport) << 1 | u64::from(k.proto == Proto::Udp));
        if s.contacts.contains(&h) {
            return false;
        }
        if s.contacts.len() < MAX_CONTACTS_PER_SOURCE && self.contacts < self.limits.contacts {
            s.contacts.insert(h);
            self.contacts += 1;
        } else {
            self.stats.unremembered_contacts += 1;
        }
        s.first_contacts += 1;
        s.burst(ts);
        s.targets.insert(hash_addr(&k.dst));
        s.ports.insert(hash_u64(
            u64::from(k.dport) | (u64::from(k.proto == Proto::Udp) << 16),
        ));
        *s.probes.entry(probe).or_insert(0) += 1;
        bump(&mut s.top_ports, (k.proto, k.dport));
        bump(&mut s.top_targets, k.dst);
        self.stats.first_contacts += 1;
        true
    }

    /// Make room among the tracked sources: forget those with a single
    /// contact and no verdict (a spoofed flood's sources), then, if still
    /// more than half full, the least recently active unconvicted ones down
    /// to half the table.
    fn shed_sources(&mut self) {
        let before = self.sources.len();
        self.sources
            .retain(|_, s| s.convicted.is_some() || s.first_contacts > 1);
        if self.sources.len() > self.limits.sources / 2 {
            let mut last: Vec<i64> = self
                .sources
                .values()
                .filter(|s| s.convicted.is_none())
                .map(|s| s.last_ts)
                .collect();
            last.sort_unstable();
            // Keep the most recent, down to half the table (so shedding is rare).
            let keep = (self.limits.sources / 2).saturating_sub(self.sources.len() - last.len());
            let cut = last
                .get(last.len().saturating_sub(keep))
                .copied()
                .unwrap_or(i64::MIN);
            self.sources
                .retain(|_, s| s.convicted.is_some() || s.last_ts > cut);
        }
        self.stats.evicted_sources += (before - self.sources.len()) as u64;
        self.contacts = self.sources.values().map(|s| s.contacts.len()).sum();
    }

    /// Attempt `pd` of `src` was answered.
    fn resolve_success(&mut self, src: IpAddr, pd: Pending) {
        if pd.first_contact {
            self.stats.answered_contacts += 1;
            self.trw(src, true, pd.ts);
        }
    }

    /// A failed attempt (refused, unreachable, or — `answered_by` false and
    /// not `icmp` — unanswered). `answered_by`: the target answered (RST).
    fn resolve(&mut self, k: FlowKey, id: u64, answered_by: bool, icmp: bool) {
        if let Some(pd) = self.pending.remove(id) {
            self.judge(k, pd, answered_by, icmp);
        }
    }

    /// [`Self::resolve`] for an attempt already taken out of the table.
    fn judge(&mut self, k: FlowKey, pd: Pending, answered_by: bool, icmp: bool) {
        if pd.answered {
            return;
        }
        // A UDP datagram without an answer is not a failure of its port (many
        // UDP services never answer); it still counts against its source.
        if pd.attempt && (pd.probe != Probe::Udp || icmp) {
            if let Some(c) = self.cell(pd.port, pd.ts) {
                c.failures += 1;
            }
            if let Some(st) = self.ports.get_mut(pd.port) {
                st.totals.failures += 1;
            }
        }
        if pd.probe == Probe::Ack && !answered_by {
            // A bare ACK left unanswered says nothing: it may close a conversation.
            return;
        }
        if pd.first_contact {
            if answered_by || icmp {
                self.stats.answered_contacts += 1;
            }
            let now = self.now.max(pd.ts);
            // A datagram nobody answered says little of its sender: many UDP
            // services never answer, and a one-way copy shows no answers.
            // Only a refusal (ICMP unreachable) moves TRW; the spread counts both.
            if let Some(s) = self.sources.get_mut(&k.src) {
                s.failures += 1;
            }
            if pd.probe != Probe::Udp || icmp {
                self.trw(k.src, false, now);
            }
            self.zeek(k, now);
        }
    }

    fn trw(&mut self, src: IpAddr, success: bool, ts: i64) {
        let Some(s) = self.sources.get_mut(&src) else {
            return;
        };
        if success {
            s.answered += 1;
        }
        let eta1 = P_D / P_F;
        let eta0 = (1.0 - P_D) / (1.0 - P_F);
        if success {
            s.lambda *= THETA1 / THETA0;
        } else {
            s.lambda *= (1.0 - THETA1) / (1.0 - THETA0);
        }
        if s.convicted.is_none() && s.lambda >= eta1 {
            s.convicted = Some((ts, "trw"));
            s.contacts_at_conviction = s.first_contacts;
            s.score = s.lambda.log10();
        } else if s.lambda <= eta0 {
            // Benign so far: restart the walk so later scanning is still caught.
            s.lambda = 1.0;
        }
    }

    fn zeek(&mut self, k: FlowKey, ts: i64) {
        let Some(s) = self.sources.get_mut(&k.src) else {
            return;
        };
        if s.threshold.is_some() {
            // The verdict is kept; the windows have nothing more to say.
            return;
        }
        if ts - s.zeek_start > ZEEK_WINDOW_US || s.zeek_pairs.len() >= ZEEK_MAX_PAIRS {
            s.zeek_pairs.clear();
            s.zeek_hosts.clear();
            s.zeek_ports.clear();
            s.zeek_start = ts;
        }
        let hd = hash_addr(&k.dst);
        let port = (k.proto, k.dport);
        let pair = hd ^ hash_u64(u64::from(k.dport) | (u64::from(k.proto == Proto::Udp) << 16));
        let (n_hosts, n_ports) = if s.zeek_pairs.insert(pair) {
            let h = s.zeek_hosts.entry(port).or_insert(0);
            *h += 1;
            let n_hosts = usize::from(*h);
            let p = s.zeek_ports.entry(hd).or_insert(0);
            *p += 1;
            (n_hosts, usize::from(*p))
        } else {
            (0, 0)
        };
        if n_hosts >= ZEEK_HOSTS || n_ports >= ZEEK_PORTS {
            s.threshold = Some(Spread {
                ts,
                contacts: s.first_contacts,
                hosts: n_hosts,
                ports: n_ports,
            });
            if s.convicted.is_none() {
                s.convicted = Some((ts, "threshold"));
                s.contacts_at_conviction = s.first_contacts;
                s.score = n_hosts.max(n_ports) as f64;
            }
        }
    }

    /// Judge attempts older than the answer time as unanswered.
    fn expire(&mut self, now: i64) {
        self.now = self.now.max(now);
        while let Some(s) = self.pending.front() {
            if s.value.ts + ANSWER_US > self.now {
                break;
            }
            if let Some(s) = self.pending.pop_front().filter(|s| s.live) {
                self.judge(s.key, s.value, false, false);
            }
        }
    }

    /// End of capture: attempts still open are judged unanswered if the
    /// capture ran on for at least a third of the answer time after them
    /// (a short capture of a scan still gets its verdicts).
    pub fn finish(&mut self) {
        let now = self.now;
        while let Some(s) = self.pending.pop_front() {
            if s.live && s.value.ts + ANSWER_US / 3 <= now {
                self.judge(s.key, s.value, false, false);
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
    }

    /// Heap bytes held, by part (approximate: tables by capacity, sketches
    /// by their boxes; allocator overhead not counted).
    pub fn footprint(&self) -> Vec<(&'static str, usize)> {
        use std::mem::size_of;
        let distinct = Distinct::heap_bytes;
        let topk =
            |t: &TopK| t.hashes.capacity() * 8 + t.items.capacity() * size_of::<(IpAddr, Hit)>();
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
        for s in self.sources.values() {
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
        let Some(st) = self.ports.get_or_insert_with(port, PortState::new) else {
            return;
        };
        st.totals.packets += u64::from(cell.packets);
        st.totals.bytes += cell.bytes;
        st.totals.attempts += u64::from(cell.attempts);
        st.totals.failures += u64::from(cell.failures);
        st.sources.merge(&cell.sources);
        st.destinations.merge(&cell.destinations);
        if let Some(c) = st.detail.as_mut().and_then(|d| d.series.cell(bin)) {
            c.add(cell);
        }
    }

    /// A capture without answers: first contacts got (almost) none — one
    /// direction of a tap, a network telescope, or probes into silence. TRW
    /// cannot judge there (every contact looks failed); spread alone can.
    pub fn one_way(&self) -> bool {
        let st = &self.stats;
        st.first_contacts >= 20 && st.answered_contacts * 100 < st.first_contacts
    }
}

impl SourceState {
    /// A first contact at `ts`: it extends the burst it falls in (or next
    /// to), or starts one; past [`MAX_BURSTS`] the two closest of the later
    /// bursts merge, so the first and the latest stay as they were.
    fn burst(&mut self, ts: i64) {
        let b = &mut self.bursts;
        if let Some(x) = b
            .iter_mut()
            .find(|x| ts >= x.0 - BURST_GAP_US && ts <= x.1 + BURST_GAP_US)
        {
            x.0 = x.0.min(ts);
            x.1 = x.1.max(ts);
            x.2 += 1;
            return;
        }
        let at = b.iter().position(|x| x.0 > ts).unwrap_or(b.len());
        b.insert(at, (ts, ts, 1));
        if b.len() > MAX_BURSTS {
            // Merge the pair with the smallest gap (not touching the first burst).
            let i = (1..b.len() - 1)
                .min_by_key(|&i| {
                    b.get(i + 1).map_or(i64::MAX, |n| n.0) - b.get(i).map_or(0, |x| x.1)
                })
                .unwrap_or(1);
            if let Some(next) = b.get(i + 1).copied() {
                if let Some(x) = b.get_mut(i) {
                    x.1 = x.1.max(next.1);
                    x.2 += next.2;
                }
                b.remove(i + 1);
            }
        }
    }

    /// First contacts by probe type, most first.
    pub fn probe_counts(&self) -> Vec<(&'static str, u64)> {
        let mut v: Vec<(&'static str, u64)> =
            self.probes.iter().map(|(p, n)| (p.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// The probe types of this source: those making up at least 5% of its
    /// first contacts, SYN reported as connect when it never left a handshake half-open.
    pub fn probe_kinds(&self) -> Vec<&'static str> {
        let s = self;
        // Probes making up at least 5% of the source's first contacts.
        let mut v: Vec<Probe> = s
            .probes
            .iter()
            .filter(|(_, n)| **n * 20 >= s.first_contacts)
            .map(|(p, _)| *p)
            .collect();
        // Resetting right after a SYN-ACK is the half-open (SYN) scan's
        // signature; a scanner that never does and completes handshakes connects.
        if v.contains(&Probe::Syn) && s.half_open < 2 && s.completed > 0 {
            v.retain(|p| *p != Probe::Syn);
            v.push(Probe::Connect);
        }
        v.sort();
        v.dedup();
        v.into_iter().map(Probe::as_str).collect()
    }
}

fn bump<K: std::hash::Hash + Eq>(m: &mut HashMap<K, u64>, k: K) {
    if let Some(v) = m.get_mut(&k) {
        *v += 1;
    } else if m.len() < TOP_PER_SOURCE {
        m.insert(k, 1);
    }
}
