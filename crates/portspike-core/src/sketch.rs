//! Distinct counting in bounded memory: exact up to [`EXACT`] values, then a
//! HyperLogLog with 2^[`P`] one-byte registers (relative error ≈ 1.04/√256 = 6.5%).

use std::net::IpAddr;

/// Values counted exactly before switching to the sketch.
pub const EXACT: usize = 8;
/// HyperLogLog precision (registers = 2^P).
pub const P: u32 = 8;
const M: usize = 1 << P;
/// Relative standard error of the sketch.
pub const REL_ERROR: f64 = 0.065;

/// A 64-bit hash of an address (SplitMix64 finaliser over its bytes).
pub fn hash_addr(a: &IpAddr) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut mix = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    };
    match a {
        IpAddr::V4(v) => mix(u64::from(u32::from(*v))),
        IpAddr::V6(v) => {
            let n = u128::from(*v);
            mix(n as u64);
            mix((n >> 64) as u64 ^ 0x6);
        }
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 32)
}

/// A 64-bit hash of a small value (SplitMix64 finaliser).
pub fn hash_u64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Precision of a folded sketch (see [`Distinct::fold`]).
pub const P_SMALL: u32 = 6;
const M_SMALL: usize = 1 << P_SMALL;
/// Relative standard error of a folded sketch (1.04/√64).
pub const REL_ERROR_SMALL: f64 = 0.13;

/// Distinct values (as hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distinct {
    Exact(Vec<u64>),
    Sketch(Box<[u8; M]>),
    /// A sketch folded to 2^[`P_SMALL`] registers, to save memory.
    Small(Box<[u8; M_SMALL]>),
}

/// Fold registers of precision [`P`] to [`P_SMALL`]: the index bits dropped
/// become the leading bits of what the rank counts.
fn fold(regs: &[u8; M]) -> Box<[u8; M_SMALL]> {
    let drop = P - P_SMALL;
    let mut out = Box::new([0u8; M_SMALL]);
    for (j, v) in regs.iter().enumerate() {
        if *v == 0 {
            continue;
        }
        let low = (j & ((1 << drop) - 1)) as u32;
        let rank = if low == 0 {
            *v + drop as u8
        } else {
            (low.leading_zeros() - (32 - drop) + 1) as u8
        };
        if let Some(r) = out.get_mut(j >> drop) {
            *r = (*r).max(rank);
        }
    }
    out
}

fn estimate_regs(regs: &[u8]) -> f64 {
    let m = regs.len() as f64;
    let mut sum = 0.0;
    let mut zeros = 0;
    for r in regs {
        // 2^-r, built from its exponent bits (r ≤ 64).
        sum += f64::from_bits((1023 - u64::from(*r)) << 52);
        if *r == 0 {
            zeros += 1;
        }
    }
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let raw = alpha * m * m / sum;
    if raw <= 2.5 * m && zeros > 0 {
        m * (m / f64::from(zeros)).ln()
    } else {
        raw
    }
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(Vec::new())
    }
}

impl Distinct {
    pub fn insert(&mut self, h: u64) {
        match self {
            Distinct::Exact(v) => {
                if v.contains(&h) {
                    return;
                }
                if v.len() < EXACT {
                    v.push(h);
                    return;
                }
                let mut regs = Box::new([0u8; M]);
                for x in v.iter() {
                    reg_insert(&mut regs, *x);
                }
                reg_insert(&mut regs, h);
                *self = Distinct::Sketch(regs);
            }
            Distinct::Sketch(regs) => reg_insert(regs, h),
            Distinct::Small(regs) => reg_insert(regs, h),
        }
    }

    /// No values, keeping the room of an exact list.
    pub fn emptied(self) -> Distinct {
        match self {
            Distinct::Exact(mut v) => {
                v.clear();
                Distinct::Exact(v)
            }
            _ => Distinct::default(),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Distinct::Exact(v) => v.capacity() * 8,
            Distinct::Sketch(_) => M,
            Distinct::Small(_) => M_SMALL,
        }
    }

    /// Keep a sketch in a quarter of the memory, at twice the error.
    pub fn fold(&mut self) {
        if let Distinct::Sketch(regs) = self {
            *self = Distinct::Small(fold(regs));
        }
    }

    pub fn merge(&mut self, other: &Distinct) {
        match other {
            Distinct::Exact(v) => v.iter().for_each(|h| self.insert(*h)),
            Distinct::Sketch(o) => {
                if let Distinct::Exact(v) = self {
                    let mut regs = Box::new([0u8; M]);
                    v.iter().for_each(|x| reg_insert(&mut regs, *x));
                    *self = Distinct::Sketch(regs);
                }
                match self {
                    Distinct::Sketch(r) => max_into(r, o),
                    Distinct::Small(r) => max_into(r, &fold(o)),
                    Distinct::Exact(_) => {}
                }
            }
            Distinct::Small(o) => {
                match self {
                    Distinct::Exact(v) => {
                        let mut regs = Box::new([0u8; M_SMALL]);
                        v.iter().for_each(|x| reg_insert(&mut regs, *x));
                        *self = Distinct::Small(regs);
                    }
                    Distinct::Sketch(r) => *self = Distinct::Small(fold(r)),
                    Distinct::Small(_) => {}
                }
                if let Distinct::Small(r) = self {
                    max_into(r, o);
                }
            }
        }
    }

    /// The values themselves while they are counted exactly.
    pub fn exact(&self) -> Option<&[u64]> {
        match self {
            Distinct::Exact(v) => Some(v),
            _ => None,
        }
    }

    /// The 2^[`P`] registers of this count as a sketch (an exact count is
    /// sketched for the purpose); `None` for a folded sketch.
    pub fn registers(&self) -> Option<[u8; M]> {
        match self {
            Distinct::Exact(v) => {
                let mut regs = [0u8; M];
                v.iter().for_each(|x| reg_insert(&mut regs, *x));
                Some(regs)
            }
            Distinct::Sketch(r) => Some(**r),
            Distinct::Small(_) => None,
        }
    }

    /// A count from its exact values, else from its registers (2^[`P`]
    /// bytes); the inverse of [`Self::exact`] and [`Self::registers`].
    pub fn from_parts(exact: Option<Vec<u64>>, registers: Option<&[u8]>) -> Option<Distinct> {
        match (exact, registers) {
            (Some(v), _) if v.len() <= EXACT => Some(Distinct::Exact(v)),
            (_, Some(r)) => Some(Distinct::Sketch(Box::new(<[u8; M]>::try_from(r).ok()?))),
            _ => None,
        }
    }

    pub fn estimate(&self) -> u64 {
        match self {
            Distinct::Exact(v) => v.len() as u64,
            Distinct::Sketch(regs) => estimate_regs(&regs[..]).round() as u64,
            Distinct::Small(regs) => estimate_regs(&regs[..]).round() as u64,
        }
    }
}

/// Register-wise maximum: the union of two sketches of one precision.
fn max_into<const N: usize>(a: &mut [u8; N], b: &[u8; N]) {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x = (*x).max(*y);
    }
}

/// Count `h` in `N` registers (precision log2 `N`): the top bits pick the
/// register, the rank of the rest is kept if it is the largest seen.
fn reg_insert<const N: usize>(regs: &mut [u8; N], h: u64) {
    let p = N.trailing_zeros();
    let idx = (h >> (64 - p)) as usize;
    let rest = h << p;
    let rank = (rest.leading_zeros() + 1).min(64 - p + 1) as u8;
    if let Some(r) = regs.get_mut(idx) {
        *r = (*r).max(rank);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn exact_then_sketched_within_error() {
        let mut d = Distinct::default();
        for i in 0..5u32 {
            d.insert(hash_addr(&IpAddr::V4(Ipv4Addr::from(i))));
            d.insert(hash_addr(&IpAddr::V4(Ipv4Addr::from(i))));
        }
        assert_eq!(d.estimate(), 5);
        for n in [100u32, 1000, 20_000] {
            let mut d = Distinct::default();
            for i in 0..n {
                d.insert(hash_addr(&IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))));
            }
            let e = d.estimate() as f64;
            assert!(
                (e - f64::from(n)).abs() / f64::from(n) < 4.0 * REL_ERROR,
                "{n}: {e}"
            );
        }
    }

    #[test]
    fn a_folded_sketch_keeps_counting_within_its_error() {
        let h = |i: u32| hash_addr(&IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)));
        for n in [50u32, 1000, 30_000] {
            let mut d = Distinct::default();
            for i in 0..n {
                d.insert(h(i));
            }
            let before = d.estimate() as f64;
            d.fold();
            assert!(matches!(d, Distinct::Small(_)));
            // Folding gives the registers a small sketch would have had.
            let mut direct = Distinct::Small(Box::new([0u8; M_SMALL]));
            for i in 0..n {
                direct.insert(h(i));
            }
            assert_eq!(d, direct);
            let folded = d.estimate() as f64;
            let err = |e: f64, n: f64| (e - n).abs() / n;
            assert!(
                err(folded, f64::from(n)) < 3.0 * REL_ERROR_SMALL,
                "{n}: {before} -> {folded}"
            );
            // Counting goes on after the fold, and a full sketch merges in.
            let mut full = Distinct::default();
            for i in n..2 * n {
                d.insert(h(i));
                full.insert(h(i + n));
            }
            d.merge(&full);
            let e = d.estimate() as f64;
            assert!(
                err(e, 3.0 * f64::from(n)) < 3.0 * REL_ERROR_SMALL,
                "{n}: {e}"
            );
        }
    }

    #[test]
    fn merge_is_union() {
        let mut a = Distinct::default();
        let mut b = Distinct::default();
        for i in 0..300u32 {
            a.insert(hash_addr(&IpAddr::V4(Ipv4Addr::from(i))));
            b.insert(hash_addr(&IpAddr::V4(Ipv4Addr::from(i + 150))));
        }
        a.merge(&b);
        let e = a.estimate() as f64;
        assert!((e - 450.0).abs() / 450.0 < 0.25, "{e}");
    }
}
