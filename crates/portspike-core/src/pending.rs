//! Attempts awaiting their outcome: a ring in arrival order, judged from its
//! old end, and a small set-associative index from flow id to ring position.
//!
//! Attempts are made and judged in time order, so the ring is read and
//! written at its ends only; the index is the one random access per packet.
//! Ending an attempt (answered, refused) only marks its slot: nothing is
//! removed from the index, whose stale entries are told apart by checking
//! the slot they point to. At most [`PENDING_SLOTS`] attempts are held,
//! answered ones included until their slot is reached.

use std::collections::VecDeque;

/// Slots in the ring (live attempts and ended ones not yet reached).
pub const PENDING_SLOTS: usize = 1 << 17;
/// Index entries per bucket (one 64-byte line).
const WAYS: usize = 8;
/// Index buckets: four entries for every slot (a full bucket forgets its
/// oldest entry: with four per slot, measured: about one in 7,000 when every slot is live).
const BUCKETS: usize = PENDING_SLOTS * 4 / WAYS;

/// One index entry: the id's high half and the slot's position (mod 2^32).
#[derive(Debug, Clone, Copy, Default)]
struct Way {
    tag: u32,
    pos: u32,
}

/// A ring slot.
#[derive(Debug, Clone, Copy)]
pub struct Slot<K, V> {
    pub id: u64,
    pub key: K,
    pub value: V,
    pub live: bool,
}

#[derive(Debug)]
pub struct Table<K, V> {
    ring: VecDeque<Slot<K, V>>,
    /// Position of `ring[0]` (counts every slot ever pushed).
    head: u64,
    index: Vec<[Way; WAYS]>,
}

impl<K: Copy, V: Copy> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            ring: VecDeque::new(),
            head: 0,
            index: Vec::new(),
        }
    }
}

impl<K: Copy, V: Copy> Table<K, V> {
    /// Attempts not yet ended (counted: for checks, not the packet path).
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.ring.iter().filter(|s| s.live).count()
    }

    /// Slots held (at most [`PENDING_SLOTS`]).
    pub fn slots(&self) -> usize {
        self.ring.len()
    }

    fn bucket(id: u64) -> usize {
        (id as usize) & (BUCKETS - 1)
    }

    fn tag(id: u64) -> u32 {
        (id >> 32) as u32
    }

    /// The ring offset of `id`'s live slot.
    fn find(&self, id: u64) -> Option<usize> {
        let b = self.index.get(Self::bucket(id))?;
        let tag = Self::tag(id);
        for w in b {
            if w.tag != tag {
                continue;
            }
            let off = w.pos.wrapping_sub(self.head as u32) as usize;
            if let Some(s) = self.ring.get(off) {
                if s.live && s.id == id {
                    return Some(off);
                }
            }
        }
        None
    }

    pub fn get(&self, id: u64) -> Option<&V> {
        let off = self.find(id)?;
        self.ring.get(off).map(|s| &s.value)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        let off = self.find(id)?;
        self.ring.get_mut(off).map(|s| &mut s.value)
    }

    /// End `id`'s attempt, returning it.
    pub fn remove(&mut self, id: u64) -> Option<V> {
        let off = self.find(id)?;
        let s = self.ring.get_mut(off)?;
        s.live = false;
        Some(s.value)
    }

    /// Whether the ring is full: the caller judges the oldest first.
    pub fn full(&self) -> bool {
        self.ring.len() >= PENDING_SLOTS
    }

    /// Track a new attempt (ending any earlier one of the same id). The
    /// ring must not be [`full`](Self::full).
    pub fn insert(&mut self, id: u64, key: K, value: V) {
        self.remove(id);
        if self.index.is_empty() {
            self.index = vec![[Way::default(); WAYS]; BUCKETS];
        }
        let pos = (self.head + self.ring.len() as u64) as u32;
        self.ring.push_back(Slot {
            id,
            key,
            value,
            live: true,
        });
        let head = self.head as u32;
        let held = self.ring.len();
        let Some(b) = self.index.get_mut(Self::bucket(id)) else {
            return;
        };
        // An entry whose slot has left the ring, else the oldest (judged by
        // position alone: reading the slots would cost a cache miss each).
        let mut best = 0;
        let mut best_age = 0u32;
        for (i, w) in b.iter().enumerate() {
            if w.pos.wrapping_sub(head) as usize >= held {
                best = i;
                break;
            }
            let age = pos.wrapping_sub(w.pos);
            if age > best_age {
                best_age = age;
                best = i;
            }
        }
        if let Some(w) = b.get_mut(best) {
            *w = Way {
                tag: Self::tag(id),
                pos,
            };
        }
    }

    /// The time-ordered front: the oldest slot, live or not.
    pub fn front(&self) -> Option<&Slot<K, V>> {
        self.ring.front()
    }

    /// Take the oldest slot out of the ring.
    pub fn pop_front(&mut self) -> Option<Slot<K, V>> {
        let s = self.ring.pop_front()?;
        self.head += 1;
        Some(s)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.ring.capacity() * std::mem::size_of::<Slot<K, V>>()
            + self.index.capacity() * std::mem::size_of::<[Way; WAYS]>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hash_u64;

    #[test]
    fn finds_what_is_live_and_nothing_else() {
        let mut p: Table<u32, u32> = Table::default();
        for i in 0..1000u32 {
            p.insert(hash_u64(u64::from(i)), i, i * 2);
        }
        assert_eq!(p.live(), 1000);
        for i in 0..1000u32 {
            assert_eq!(p.get(hash_u64(u64::from(i))), Some(&(i * 2)));
        }
        assert_eq!(p.get(hash_u64(5000)), None);
        assert_eq!(p.remove(hash_u64(7)), Some(14));
        assert_eq!(p.get(hash_u64(7)), None);
        assert_eq!(p.remove(hash_u64(7)), None);
        assert_eq!(p.live(), 999);
        // Re-inserting ends the earlier attempt of the same id.
        p.insert(hash_u64(8), 8, 99);
        assert_eq!(p.get(hash_u64(8)), Some(&99));
        assert_eq!(p.live(), 999);
        // The front is the oldest; popping it leaves the rest findable.
        let first = p.pop_front().map(|s| (s.key, s.live));
        assert_eq!(first, Some((0, true)));
        assert_eq!(p.get(hash_u64(0)), None);
        assert_eq!(p.get(hash_u64(1)), Some(&2));
        *p.get_mut(hash_u64(1)).unwrap() = 5;
        assert_eq!(p.get(hash_u64(1)), Some(&5));
    }

    #[test]
    fn a_full_ring_keeps_every_live_attempt_findable() {
        // Fill the ring, drain half, fill again: positions wrap past the
        // ring's start and every bucket sees stale entries.
        let mut p: Table<u64, u64> = Table::default();
        let mut next = 0u64;
        for round in 0..3 {
            while !p.full() {
                p.insert(hash_u64(next), next, next);
                next += 1;
            }
            let oldest = p.front().map(|s| s.key).unwrap();
            let mut missing = 0;
            for k in oldest..next {
                if p.get(hash_u64(k)) != Some(&k) {
                    missing += 1;
                }
            }
            // Four index entries per slot: a bucket overflows (and its
            // oldest entry is forgotten) only rarely.
            assert!(
                missing * 2_000 < PENDING_SLOTS,
                "round {round}: {missing} missing"
            );
            while p.slots() > PENDING_SLOTS / 2 {
                p.pop_front();
            }
        }
    }
}
