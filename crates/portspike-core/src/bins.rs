//! Per-port time series on a shared, self-coarsening bin grid.
//!
//! Bins are aligned to multiples of the width since the epoch, so a series can
//! be coarsened exactly by summing runs of `k` bins. Streaming input does not
//! know its span in advance: the grid starts fine and steps up the [`LADDER`]
//! (each width a whole multiple of the one before) whenever the span would need
//! more than [`MAX_BINS`] bins, which leaves a final count between a few hundred
//! and `MAX_BINS`.

use crate::sketch::Distinct;

/// Bin widths in µs, each a whole multiple of the previous one.
pub const LADDER: &[u64] = &[
    1_000,
    2_000,
    10_000,
    20_000,
    100_000,
    200_000,
    1_000_000,
    2_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    300_000_000,
    900_000_000,
    1_800_000_000,
    3_600_000_000,
    7_200_000_000,
    21_600_000_000,
    43_200_000_000,
    86_400_000_000,
    604_800_000_000,
];

/// Most bins a series spans.
pub const MAX_BINS: i64 = 2000;

/// A capture shorter than this (10 s)…
pub const SHORT_CAPTURE_US: i64 = 10_000_000;
/// …is binned so that an average bin holds this many packets, at the
/// finest, an attack that is the whole capture has bins well above an
/// empty baseline from its first…
pub const SHORT_PACKETS_PER_BIN: i64 = 50;
/// …but keeps at least this many bins.
pub const SHORT_MIN_BINS: i64 = 20;

/// Most bins a fixed (user-chosen) width may span before it is coarsened anyway.
pub const MAX_FIXED_BINS: i64 = 200_000;

/// Below this many occupied bins (or a quarter of its span) a series is kept sparse.
const SPARSE_LIMIT: usize = 32;

/// The values of one (port, bin).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub packets: u32,
    pub bytes: u64,
    /// TCP SYNs without ACK (retransmissions once), first packets of UDP flows.
    pub attempts: u32,
    /// Attempts refused (RST), unanswered (3 s), or unreachable (ICMP); counted
    /// in the bin of the attempt.
    pub failures: u32,
    /// TCP attempts whose handshake completed (the initiator's ACK was
    /// seen), UDP flows that got an answer.
    pub completed: u32,
    pub syn: u32,
    pub synack: u32,
    pub rst: u32,
    pub fin: u32,
    pub other: u32,
    /// SYN-ACKs answering no SYN seen in the capture.
    pub unsolicited: u32,
    /// Packets sent from the service port (its answers, or reflected
    /// traffic); the rest of `packets` went to it.
    pub replies: u32,
    pub sources: Distinct,
    pub destinations: Distinct,
    /// Which /22 the receivers of packets from the service port mostly
    /// fall in (a reflection's victims: one prefix when carpet-bombed).
    pub victims: Vote,
}

/// A majority vote (Boyer–Moore) over the /22 prefixes of IPv4 receivers:
/// when `votes * 2 >= total`, at least three in four of them fall in `pfx`.
/// Two votes merge into one that keeps that bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vote {
    pub pfx: u32,
    pub votes: u32,
    pub total: u32,
}

impl Vote {
    /// The prefix length voted on.
    pub const BITS: u32 = 22;

    pub fn add(&mut self, a: std::net::IpAddr) {
        if let std::net::IpAddr::V4(v4) = a {
            self.merge(&Vote {
                pfx: u32::from(v4) >> (32 - Self::BITS),
                votes: 1,
                total: 1,
            });
        }
    }

    pub fn merge(&mut self, o: &Vote) {
        self.total = self.total.saturating_add(o.total);
        if self.pfx == o.pfx || self.votes == 0 {
            self.pfx = o.pfx;
            self.votes = self.votes.saturating_add(o.votes);
        } else if o.votes > self.votes {
            self.pfx = o.pfx;
            self.votes = o.votes - self.votes;
        } else {
            self.votes -= o.votes;
        }
    }

    /// At least three in four receivers in one /22, of at least `min`.
    pub fn one_prefix(&self, min: u32) -> bool {
        self.total >= min && self.votes.saturating_mul(2) >= self.total
    }
}

impl Cell {
    pub fn add(&mut self, o: &Cell) {
        self.packets = self.packets.saturating_add(o.packets);
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.attempts = self.attempts.saturating_add(o.attempts);
        self.failures = self.failures.saturating_add(o.failures);
        self.completed = self.completed.saturating_add(o.completed);
        self.syn = self.syn.saturating_add(o.syn);
        self.synack = self.synack.saturating_add(o.synack);
        self.rst = self.rst.saturating_add(o.rst);
        self.fin = self.fin.saturating_add(o.fin);
        self.other = self.other.saturating_add(o.other);
        self.unsolicited = self.unsolicited.saturating_add(o.unsolicited);
        self.replies = self.replies.saturating_add(o.replies);
        self.sources.merge(&o.sources);
        self.destinations.merge(&o.destinations);
        self.victims.merge(&o.victims);
    }
}

/// One port's series: sparse while it touches few bins, dense after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Series {
    Sparse(Vec<(i64, Cell)>),
    Dense { start: i64, cells: Vec<Cell> },
}

impl Default for Series {
    fn default() -> Self {
        Series::Sparse(Vec::new())
    }
}

impl Series {
    /// Heap bytes held (cells, with their distinct counts).
    pub fn heap_bytes(&self) -> usize {
        let cell = |c: &Cell| c.sources.heap_bytes() + c.destinations.heap_bytes();
        match self {
            Series::Sparse(v) => {
                v.capacity() * std::mem::size_of::<(i64, Cell)>()
                    + v.iter().map(|(_, c)| cell(c)).sum::<usize>()
            }
            Series::Dense { cells, .. } => {
                cells.capacity() * std::mem::size_of::<Cell>()
                    + cells.iter().map(cell).sum::<usize>()
            }
        }
    }

    /// Cells held (occupied bins of a sparse series, the span of a dense one).
    pub fn cells(&self) -> usize {
        match self {
            Series::Sparse(list) => list.len(),
            Series::Dense { cells, .. } => cells.len(),
        }
    }

    /// The cell of `bin`, created empty if needed (always `Some`).
    pub fn cell(&mut self, bin: i64) -> Option<&mut Cell> {
        if let Series::Sparse(list) = self {
            let start = list.first().map(|x| x.0).unwrap_or(bin).min(bin);
            let end = list.last().map(|x| x.0).unwrap_or(bin).max(bin);
            // Dense once at least a quarter of the span is occupied: memory
            // stays proportional to the bins in use.
            let dense_pays = (end - start + 1) as usize <= 4 * (list.len() + 1);
            if list.len() >= SPARSE_LIMIT
                && dense_pays
                && list.binary_search_by_key(&bin, |(b, _)| *b).is_err()
            {
                let list = std::mem::take(list);
                let mut cells = vec![Cell::default(); (end - start + 1) as usize];
                for (b, c) in list {
                    if let Some(slot) = cells.get_mut((b - start) as usize) {
                        *slot = c;
                    }
                }
                *self = Series::Dense { start, cells };
            }
        }
        match self {
            Series::Sparse(list) => {
                let i = match list.binary_search_by_key(&bin, |(b, _)| *b) {
                    Ok(i) => i,
                    Err(i) => {
                        list.insert(i, (bin, Cell::default()));
                        i
                    }
                };
                list.get_mut(i).map(|x| &mut x.1)
            }
            Series::Dense { start, cells } => {
                if bin < *start {
                    let grow = (*start - bin) as usize;
                    let mut new = vec![Cell::default(); grow];
                    new.append(cells);
                    *cells = new;
                    *start = bin;
                }
                let i = (bin - *start) as usize;
                if i >= cells.len() {
                    cells.resize(i + 1, Cell::default());
                }
                cells.get_mut(i)
            }
        }
    }

    /// Merge runs of `k` bins (bin `b` becomes `b.div_euclid(k)`).
    pub fn coarsen(&mut self, k: i64) {
        let k = k.max(1);
        match self {
            Series::Sparse(list) => {
                let mut out: Vec<(i64, Cell)> = Vec::with_capacity(list.len());
                for (b, c) in list.drain(..) {
                    let nb = b.div_euclid(k);
                    match out.last_mut() {
                        Some((lb, lc)) if *lb == nb => lc.add(&c),
                        _ => out.push((nb, c)),
                    }
                }
                *list = out;
            }
            Series::Dense { start, cells } => {
                let new_start = start.div_euclid(k);
                let mut out: Vec<Cell> = Vec::with_capacity(cells.len() / k as usize + 2);
                for (i, c) in cells.drain(..).enumerate() {
                    let nb = ((*start + i as i64).div_euclid(k) - new_start) as usize;
                    if out.len() <= nb {
                        out.resize(nb + 1, Cell::default());
                    }
                    if let Some(slot) = out.get_mut(nb) {
                        slot.add(&c);
                    }
                }
                *start = new_start;
                *cells = out;
            }
        }
    }

    /// The series on `len` grid bins from bin `from`, read in place.
    pub fn view(&self, from: i64, len: usize) -> View<'_> {
        View {
            series: self,
            from,
            len,
        }
    }

    /// Dense values over `[from, from + n)`.
    pub fn dense(&self, from: i64, n: usize) -> Vec<Cell> {
        let mut out = vec![Cell::default(); n];
        let put = |b: i64, c: &Cell| {
            if b >= from {
                if let Some(slot) = out.get_mut((b - from) as usize) {
                    slot.add(c);
                }
            }
        };
        self.each(put);
        out
    }

    /// Every held cell with its bin, in order.
    pub fn each(&self, mut f: impl FnMut(i64, &Cell)) {
        match self {
            Series::Sparse(list) => list.iter().for_each(|(b, c)| f(*b, c)),
            Series::Dense { start, cells } => cells
                .iter()
                .enumerate()
                .for_each(|(i, c)| f(*start + i as i64, c)),
        }
    }
}

/// A series read on `len` grid bins from bin `from`, without copying cells.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    series: &'a Series,
    from: i64,
    len: usize,
}

impl<'a> View<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The cell of the `i`-th bin (`None` for a bin with nothing in it).
    pub fn get(&self, i: usize) -> Option<&'a Cell> {
        if i >= self.len {
            return None;
        }
        let bin = self.from + i as i64;
        match self.series {
            Series::Sparse(list) => list
                .binary_search_by_key(&bin, |(b, _)| *b)
                .ok()
                .and_then(|k| list.get(k))
                .map(|x| &x.1),
            Series::Dense { start, cells } => {
                usize::try_from(bin - start).ok().and_then(|k| cells.get(k))
            }
        }
    }

    /// One value per bin (`f` of its cell, 0 for an empty bin).
    pub fn column(&self, f: impl Fn(&Cell) -> f64) -> Vec<f64> {
        let mut out = vec![0.0; self.len];
        let put = |b: i64, c: &Cell| {
            if let Some(slot) = usize::try_from(b - self.from)
                .ok()
                .and_then(|k| out.get_mut(k))
            {
                *slot = f(c);
            }
        };
        self.series.each(put);
        out
    }
}

/// The shared grid: current width and the span of bins in use.
#[derive(Debug, Clone)]
pub struct Grid {
    pub width_us: u64,
    fixed: bool,
    pub min_bin: Option<i64>,
    pub max_bin: i64,
}

impl Grid {
    /// A grid starting at the finest ladder width, or at a fixed width.
    pub fn new(fixed_width_us: Option<u64>) -> Self {
        Grid {
            width_us: fixed_width_us.unwrap_or(1_000).max(1),
            fixed: fixed_width_us.is_some(),
            min_bin: None,
            max_bin: 0,
        }
    }

    pub fn bin_of(&self, ts_us: i64) -> i64 {
        ts_us.div_euclid(self.width_us as i64)
    }

    /// Place a timestamp; returns the coarsening factor to apply to every
    /// series first (1 = none) and the bin.
    pub fn place(&mut self, ts_us: i64) -> (i64, i64) {
        let mut factor = 1i64;
        loop {
            let bin = self.bin_of(ts_us);
            let (lo, hi) = match self.min_bin {
                None => (bin, bin),
                Some(m) => (m.min(bin), self.max_bin.max(bin)),
            };
            let limit = if self.fixed { MAX_FIXED_BINS } else { MAX_BINS };
            if hi.saturating_sub(lo) < limit {
                self.min_bin = Some(lo);
                self.max_bin = hi;
                return (factor, bin);
            }
            factor = factor.saturating_mul(self.step_up());
        }
    }

    /// One step up the ladder; returns the factor every series is to be
    /// coarsened by.
    fn step_up(&mut self) -> i64 {
        let next = self.next_width();
        let k = (next / self.width_us) as i64;
        self.width_us = next;
        if let Some(m) = self.min_bin {
            self.min_bin = Some(m.div_euclid(k));
            self.max_bin = self.max_bin.div_euclid(k);
        }
        k
    }

    /// Step up the ladder while the width is under `want` and the next step
    /// leaves at least `max_width` (a grid of a fixed width stays); returns the
    /// coarsening factor to apply to every series (1 = none).
    pub fn widen(&mut self, want: u64, max_width: u64) -> i64 {
        if self.fixed {
            return 1;
        }
        self.widen_to(want, max_width)
    }

    /// Whether the width was chosen (not stepped up the ladder by the span).
    pub fn is_fixed(&self) -> bool {
        self.fixed
    }

    /// [`Grid::widen`], a fixed width too (past what the timelines may hold).
    pub fn widen_to(&mut self, want: u64, max_width: u64) -> i64 {
        let mut factor = 1i64;
        while self.width_us < want && self.next_width() <= max_width {
            factor = factor.saturating_mul(self.step_up());
        }
        factor
    }

    fn next_width(&self) -> u64 {
        LADDER
            .iter()
            .copied()
            .find(|w| *w > self.width_us && *w % self.width_us == 0)
            .unwrap_or(self.width_us * 2)
    }

    /// Number of bins spanned.
    pub fn len(&self) -> usize {
        match self.min_bin {
            None => 0,
            Some(m) => (self.max_bin - m + 1) as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.min_bin.is_none()
    }
}

/// Parse a bin width: `500ms`, `1s`, `5m`, `1h`, `2d`, `250us`, or a bare number of seconds.
pub fn parse_width(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        format!("bin width {s:?}: expected a number with a unit like 500ms, 1s, 5m, 1h")
    })?;
    let mult = match unit.trim() {
        "" | "s" => 1e6,
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "m" | "min" => 60e6,
        "h" => 3600e6,
        "d" => 86400e6,
        u => {
            return Err(format!(
                "bin width {s:?}: unknown unit {u:?} (use us, ms, s, m, h, d)"
            ))
        }
    };
    let us = (n * mult).round();
    if !(1.0..1e15).contains(&us) {
        return Err(format!("bin width {s:?} is out of range"));
    }
    Ok(us as u64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_majority_of_one_prefix_survives_any_order_and_merging() {
        let mut one = Vote::default();
        let mut parts = [Vote::default(), Vote::default()];
        for i in 0..300u32 {
            // Three in four to 10.20.30.0/24, the rest anywhere.
            let a = if i % 4 == 0 {
                std::net::IpAddr::from([(i % 200) as u8 + 1, 9, 9, 9])
            } else {
                std::net::IpAddr::from([10, 20, 30, (i % 250) as u8])
            };
            one.add(a);
            parts[(i % 2) as usize].add(a);
        }
        let [mut a, b] = parts;
        a.merge(&b);
        for v in [one, a] {
            assert_eq!(v.pfx, u32::from_be_bytes([10, 20, 30, 0]) >> 10);
            assert!(v.one_prefix(20), "{v:?}");
        }
        let mut spread = Vote::default();
        for i in 0..300u32 {
            spread.add(std::net::IpAddr::from(std::net::Ipv4Addr::from(
                i.wrapping_mul(2_654_435_761),
            )));
        }
        assert!(!spread.one_prefix(20), "{spread:?}");
    }

    #[test]
    fn ladder_steps_divide() {
        for w in LADDER.windows(2) {
            assert_eq!(w[1] % w[0], 0, "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn grid_coarsens_to_fit() {
        let mut g = Grid::new(None);
        g.place(0);
        let (k, _) = g.place(3_600_000_000); // one hour later
        assert!(k > 1);
        assert!(
            g.len() <= MAX_BINS as usize && g.len() >= 200,
            "{}",
            g.len()
        );
        assert_eq!(g.width_us, 2_000_000);
    }

    #[test]
    fn coarsen_sums_exactly() {
        let mut s = Series::default();
        for b in 0..100 {
            let c = s.cell(b).unwrap();
            c.packets += 1;
            c.bytes += 10;
        }
        assert!(matches!(s, Series::Dense { .. }));
        s.coarsen(10);
        let d = s.dense(0, 10);
        assert!(d.iter().all(|c| c.packets == 10 && c.bytes == 100));
        let mut sp = Series::default();
        sp.cell(-3).unwrap().packets += 2;
        sp.cell(7).unwrap().packets += 1;
        sp.coarsen(5);
        assert_eq!(sp.dense(-1, 3)[0].packets, 2);
        assert_eq!(sp.dense(-1, 3)[2].packets, 1);
        // A view reads the same bins in place.
        let v = sp.view(-1, 3);
        assert_eq!(v.get(0).map(|c| c.packets), Some(2));
        assert!(v.get(1).is_none() && v.get(3).is_none());
        assert_eq!(v.column(|c| f64::from(c.packets)), vec![2.0, 0.0, 1.0]);
        let dv = s.view(0, 10);
        assert_eq!(dv.column(|c| f64::from(c.packets)), vec![10.0; 10]);
        assert_eq!(dv.get(9).map(|c| c.bytes), Some(100));
    }

    #[test]
    fn widths_parse() {
        assert_eq!(parse_width("500ms").unwrap(), 500_000);
        assert_eq!(parse_width("5m").unwrap(), 300_000_000);
        assert_eq!(parse_width("2").unwrap(), 2_000_000);
        assert!(parse_width("fast").is_err());
        assert!(parse_width("0").is_err());
    }
}
