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

/// Distinct values (as hashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distinct {
    Exact(Vec<u64>),
    Sketch(Box<[u8; M]>),
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
                if let Distinct::Sketch(r) = self {
                    for (a, b) in r.iter_mut().zip(o.iter()) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
    }

    pub fn estimate(&self) -> u64 {
        match self {
            Distinct::Exact(v) => v.len() as u64,
            Distinct::Sketch(regs) => {
                let m = M as f64;
                let mut sum = 0.0;
                let mut zeros = 0;
                for r in regs.iter() {
                    // 2^-r, built from its exponent bits (r ≤ 57).
                    sum += f64::from_bits((1023 - u64::from(*r)) << 52);
                    if *r == 0 {
                        zeros += 1;
                    }
                }
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let raw = alpha * m * m / sum;
                let est = if raw <= 2.5 * m && zeros > 0 {
                    m * (m / f64::from(zeros)).ln()
                } else {
                    raw
                };
                est.round() as u64
            }
        }
    }
}

fn reg_insert(regs: &mut [u8; M], h: u64) {
    let idx = (h >> (64 - P)) as usize;
    let rest = h << P;
    let rank = (rest.leading_zeros() + 1).min(64 - P + 1) as u8;
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
