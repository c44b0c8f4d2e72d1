//! The generators' random numbers: SplitMix64, small, fast, and the same
//! everywhere, so the same seed always gives the same capture.

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    /// Exponential inter-arrival time in ns for a rate per second.
    pub fn exp_ns(&mut self, rate_per_s: f64) -> i64 {
        let u = self.unit().max(1e-12);
        (-u.ln() / rate_per_s * 1e9) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// A unicast IPv4 address at random (first octet 1–223, last 1–254): a
    /// spoofed source or a reflector.
    pub fn unicast_v4(&mut self) -> [u8; 4] {
        [
            self.range(1, 223) as u8,
            self.range(0, 255) as u8,
            self.range(0, 255) as u8,
            self.range(1, 254) as u8,
        ]
    }
}
