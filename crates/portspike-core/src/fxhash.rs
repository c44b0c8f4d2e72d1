//! A fast, non-cryptographic hasher for the engine's maps (the Fx hash of
//! rustc). Keys come from packets, so a hostile capture could aim for
//! collisions; the maps are bounded, which bounds the damage to time, not memory.
//!
//! Kept by hand rather than taken from `rustc-hash`: reports depend on its
//! values (a scanner's top ports are ranked by attempts and port number, so
//! tcp/N and udp/N with as many attempts keep the map's order, and the
//! tenth place goes by it), and neither `rustc-hash` reproduces them: 1.x
//! multiplies by another constant and finishes without the shift, 2.x adds
//! words instead of rotating and xoring them, finishes with a rotation and
//! hashes bytes another way (compared on 2,000,000 keys of the kinds the
//! engine hashes: 0.3% and 0.04% of the values equal). Both also hash in
//! `usize`, 32 bits in wasm, so the page would order ties unlike the CLI;
//! this one hashes in 64 bits everywhere. The test below pins the values.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown uses the top 7 bits as tags.
        self.hash ^ (self.hash >> 29)
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = HashMap<K, V, FxBuild>;
pub type FxHashSet<T> = HashSet<T, FxBuild>;

#[cfg(test)]
mod tests {
    use super::FxBuild;
    use std::hash::BuildHasher;
    use std::net::IpAddr;

    /// The hash the reports' order was made with: a change here changes
    /// which of two tied ports a scanner's report lists first.
    #[test]
    fn the_values_stay_as_they_were() {
        let b = FxBuild::default();
        assert_eq!(b.hash_one(42u64), 0x92c6_2a6f_0a1e_890e);
        assert_eq!(
            b.hash_one(IpAddr::from([10, 0, 0, 1])),
            0x5645_2fcd_26f3_dfce
        );
        assert_eq!(b.hash_one((6u8, 443u16)), 0x9665_93a6_cc4f_2b78);
        assert_eq!(b.hash_one("portspike"), 0x1139_7838_c2a6_3351);
    }
}
