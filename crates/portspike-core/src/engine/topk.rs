//! Heavy hitters per port: the addresses sending (or receiving) most of a
//! port's packets, with when each was seen (a finding lists those of its
//! window).

use std::net::IpAddr;

/// Heavy hitters kept per port (Space-Saving).
pub const TOP_K: usize = 32;
// The slots' match mask is a u32.
const _: () = assert!(TOP_K <= 32);

/// Space-Saving heavy hitters with the time range each was seen in.
///
/// A flat table of [`TOP_K`] slots searched by a 32-bit tag of the address
/// hash (the tags sit in one fixed array, compared all at once; a tag that
/// matches is confirmed by the address); a miss replaces a slot holding the
/// smallest count, found by a cursor that moves on from the last
/// replacement (counts only grow, so a full turn of the cursor without a
/// slot at the known minimum means the minimum has grown).
#[derive(Debug, Default, Clone)]
pub(crate) struct TopK {
    /// Tags of `items`, in the same order (past `items.len()`: unused).
    pub(super) tags: [u32; TOP_K],
    pub(super) items: Vec<(IpAddr, Hit)>,
    pub(super) min: u64,
    pub(super) cursor: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub count: u64,
    pub first_ts: i64,
    pub last_ts: i64,
}

/// The tag of an address hash (its high half: the low bits pick buckets
/// elsewhere, so the two stay independent).
fn tag(h: u64) -> u32 {
    (h >> 32) as u32
}

impl TopK {
    /// The slots whose tag is `t`, as a bit mask (only slots in use).
    fn matching(&self, t: u32) -> u32 {
        // Without early exit over a fixed-size array: compiled to a few
        // vector compares.
        let mut found = 0u32;
        for (i, x) in self.tags.iter().enumerate() {
            found |= u32::from(*x == t) << i;
        }
        let used = self.items.len();
        if used < TOP_K {
            found &= (1u32 << used) - 1;
        }
        found
    }

    /// Count one packet of `a` (whose [`hash_addr`] is `h`) at `ts`.
    ///
    /// [`hash_addr`]: crate::sketch::hash_addr
    pub(super) fn add(&mut self, a: IpAddr, h: u64, ts: i64) {
        let t = tag(h);
        let mut found = self.matching(t);
        while found != 0 {
            let i = found.trailing_zeros() as usize;
            found &= found - 1;
            if let Some((b, hit)) = self.items.get_mut(i) {
                if *b == a {
                    hit.count += 1;
                    hit.last_ts = ts;
                    return;
                }
            }
        }
        let n = self.items.len();
        if n < TOP_K {
            if let Some(x) = self.tags.get_mut(n) {
                *x = t;
            }
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
        let mut seen = 0;
        loop {
            let i = if self.cursor < n { self.cursor } else { 0 };
            self.cursor = if i + 1 < n { i + 1 } else { 0 };
            let at_min = self.items.get(i).is_some_and(|x| x.1.count <= self.min);
            if at_min {
                if let (Some(slot), Some(x)) = (self.items.get_mut(i), self.tags.get_mut(i)) {
                    *slot = (
                        a,
                        Hit {
                            count: slot.1.count + 1,
                            first_ts: ts,
                            last_ts: ts,
                        },
                    );
                    *x = t;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hash_addr;

    fn a(i: u32) -> IpAddr {
        IpAddr::V4(i.into())
    }

    fn add(t: &mut TopK, i: u32, ts: i64) {
        t.add(a(i), hash_addr(&a(i)), ts);
    }

    #[test]
    fn counts_each_address_and_lists_the_most_first() {
        let mut t = TopK::default();
        for _ in 0..3 {
            add(&mut t, 1, 10);
        }
        add(&mut t, 2, 20);
        add(&mut t, 3, 30);
        add(&mut t, 3, 31);
        assert_eq!(t.within(0, 100, 5), vec![(a(1), 3), (a(3), 2), (a(2), 1)]);
        assert_eq!(t.within(0, 100, 1), vec![(a(1), 3)]);
    }

    #[test]
    fn a_window_lists_the_hitters_seen_in_it() {
        let mut t = TopK::default();
        add(&mut t, 1, 10);
        add(&mut t, 1, 50);
        add(&mut t, 2, 100);
        assert_eq!(t.within(60, 200, 5), vec![(a(2), 1)]);
        assert_eq!(t.within(0, 11, 5), vec![(a(1), 2)]);
        // Half-open: seen at 50 is in [50, 100), seen at 100 is not.
        assert_eq!(t.within(50, 100, 5), vec![(a(1), 2)]);
    }

    #[test]
    fn addresses_sharing_a_tag_keep_slots_of_their_own() {
        let mut t = TopK::default();
        // The same hash for three addresses: only the address tells them apart.
        let h = 0xDEAD_BEEF_0000_0001;
        for _ in 0..2 {
            t.add(a(1), h, 10);
        }
        t.add(a(2), h, 20);
        for _ in 0..3 {
            t.add(a(3), h, 30);
        }
        t.add(a(2), h, 40);
        assert_eq!(t.items.len(), 3);
        assert_eq!(t.within(0, 100, 5), vec![(a(3), 3), (a(1), 2), (a(2), 2)]);
    }

    #[test]
    fn a_late_heavy_hitter_takes_a_slot_and_the_table_stays_bounded() {
        let mut t = TopK::default();
        for i in 0..TOP_K as u32 {
            add(&mut t, i, 0);
        }
        for _ in 0..10 {
            add(&mut t, 1000, 5);
        }
        assert_eq!(t.items.len(), TOP_K);
        let top = t.within(0, 10, 1);
        assert_eq!(top[0].0, a(1000));
        // Space-Saving overestimates by at most the count it inherited.
        assert!((10..=11).contains(&top[0].1), "{top:?}");
    }
}
