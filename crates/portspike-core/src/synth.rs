//! Scenario generator: deterministic synthetic captures with known events.
//!
//! [`sample`] is the capture bundled with the web page: fifteen minutes of
//! ordinary office traffic (web, DNS, SSH, mail, NTP and a little SMB to the
//! file server) with a TCP 445 sweep from three infected hosts in minutes 9–11.
//! The same seed always gives the same bytes.

// No capture input reaches this module; its indices come from `Rng::range`
// over the bounds of the arrays they index.
#![allow(clippy::indexing_slicing)]

use crate::writer::PcapWriter;
use etherparse::PacketBuilder;

/// Start of the sample capture: 2026-03-02 09:00:00 UTC, in ns.
pub const SAMPLE_START_NS: i64 = 1_772_442_000 * 1_000_000_000;
/// The sweep's window in the sample, seconds after the start.
pub const SAMPLE_SWEEP_S: (i64, i64) = (540, 660);
/// The sweeping hosts in the sample.
pub const SAMPLE_SWEEPERS: [[u8; 4]; 3] = [[10, 1, 1, 23], [10, 1, 1, 37], [10, 1, 1, 52]];

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
}

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const GATEWAY_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0xfe];

/// Packets collected out of order, written sorted by time.
#[derive(Debug, Default)]
pub struct Trace {
    packets: Vec<(i64, Vec<u8>)>,
}

/// TCP flags for [`Trace::tcp`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub rst: bool,
    pub fin: bool,
    pub psh: bool,
}

pub const SYN: Flags = Flags {
    syn: true,
    ack: false,
    rst: false,
    fin: false,
    psh: false,
};
pub const SYNACK: Flags = Flags {
    syn: true,
    ack: true,
    rst: false,
    fin: false,
    psh: false,
};
pub const ACK: Flags = Flags {
    syn: false,
    ack: true,
    rst: false,
    fin: false,
    psh: false,
};
pub const PSHACK: Flags = Flags {
    syn: false,
    ack: true,
    rst: false,
    fin: false,
    psh: true,
};
pub const FINACK: Flags = Flags {
    syn: false,
    ack: true,
    rst: false,
    fin: true,
    psh: false,
};
pub const RST: Flags = Flags {
    syn: false,
    ack: false,
    rst: true,
    fin: false,
    psh: false,
};
pub const RSTACK: Flags = Flags {
    syn: false,
    ack: true,
    rst: true,
    fin: false,
    psh: false,
};

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// One TCP segment over Ethernet/IPv4 with `payload` bytes of zeros.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        sport: u16,
        dport: u16,
        f: Flags,
        payload: usize,
    ) {
        let mut b = PacketBuilder::ethernet2(CLIENT_MAC, GATEWAY_MAC)
            .ipv4(src, dst, 64)
            .tcp(sport, dport, 1000, 64240);
        if f.syn {
            b = b.syn();
        }
        if f.ack {
            b = b.ack(1);
        }
        if f.rst {
            b = b.rst();
        }
        if f.fin {
            b = b.fin();
        }
        if f.psh {
            b = b.psh();
        }
        let data = vec![0u8; payload];
        let mut out = Vec::with_capacity(b.size(payload));
        if b.write(&mut out, &data).is_ok() {
            self.packets.push((ts, out));
        }
    }

    /// One UDP datagram over Ethernet/IPv4.
    pub fn udp(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        sport: u16,
        dport: u16,
        payload: usize,
    ) {
        let b = PacketBuilder::ethernet2(CLIENT_MAC, GATEWAY_MAC)
            .ipv4(src, dst, 64)
            .udp(sport, dport);
        let data = vec![0u8; payload];
        let mut out = Vec::with_capacity(b.size(payload));
        if b.write(&mut out, &data).is_ok() {
            self.packets.push((ts, out));
        }
    }

    /// A complete TCP conversation: handshake, `exchanges` request/response
    /// pairs, and a FIN close.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp_session(
        &mut self,
        rng: &mut Rng,
        t0: i64,
        client: [u8; 4],
        server: [u8; 4],
        sport: u16,
        dport: u16,
        exchanges: u32,
        resp_bytes: usize,
    ) {
        let rtt = rng.range(2, 40) as i64 * 1_000_000;
        let mut t = t0;
        self.tcp(t, client, server, sport, dport, SYN, 0);
        t += rtt / 2;
        self.tcp(t, server, client, dport, sport, SYNACK, 0);
        t += rtt / 2;
        self.tcp(t, client, server, sport, dport, ACK, 0);
        for _ in 0..exchanges {
            t += rng.range(1, 200) as i64 * 1_000_000;
            self.tcp(
                t,
                client,
                server,
                sport,
                dport,
                PSHACK,
                rng.range(80, 600) as usize,
            );
            t += rtt / 2;
            self.tcp(
                t,
                server,
                client,
                dport,
                sport,
                PSHACK,
                resp_bytes.min(1460),
            );
            t += rtt / 2;
            self.tcp(t, client, server, sport, dport, ACK, 0);
        }
        t += rng.range(1, 500) as i64 * 1_000_000;
        self.tcp(t, client, server, sport, dport, FINACK, 0);
        t += rtt / 2;
        self.tcp(t, server, client, dport, sport, FINACK, 0);
        t += rtt / 2;
        self.tcp(t, client, server, sport, dport, ACK, 0);
    }

    /// Sort by time and write as pcap.
    pub fn into_pcap(mut self, snaplen: u32) -> Vec<u8> {
        self.packets.sort_by_key(|(t, _)| *t);
        let mut w = PcapWriter::new(1, snaplen);
        for (t, p) in &self.packets {
            w.packet(*t, p);
        }
        w.into_bytes()
    }
}

fn ephemeral(rng: &mut Rng) -> u16 {
    rng.range(49152, 65535) as u16
}

/// Ordinary office traffic between `start` and `end` (ns).
pub fn background(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64) {
    let clients: Vec<[u8; 4]> = (10..60).map(|h| [10, 1, 1, h]).collect();
    let pick = |rng: &mut Rng| clients[rng.range(0, clients.len() as u64 - 1) as usize];
    let web: [[u8; 4]; 4] = [
        [93, 184, 216, 34],
        [151, 101, 1, 69],
        [142, 250, 74, 46],
        [104, 16, 132, 229],
    ];
    let dns = [10, 1, 0, 53];
    let files = [10, 1, 0, 20];
    let mail = [10, 1, 0, 25];
    // (rate per second, what)
    let mut t = start;
    while t < end {
        t += rng.exp_ns(2.2);
        if t >= end {
            break;
        }
        let c = pick(rng);
        let r = rng.unit();
        let eph = ephemeral(rng);
        if r < 0.16 {
            let s = web[rng.range(0, 3) as usize];
            let n = rng.range(1, 3) as u32;
            trace.tcp_session(rng, t, c, s, eph, 443, n, 1400);
        } else if r < 0.22 {
            let s = web[rng.range(0, 3) as usize];
            trace.tcp_session(rng, t, c, s, eph, 80, 1, 900);
        } else if r < 0.80 {
            let sp = eph;
            trace.udp(t, c, dns, sp, 53, rng.range(30, 60) as usize);
            trace.udp(
                t + rng.range(1, 20) as i64 * 1_000_000,
                dns,
                c,
                53,
                sp,
                rng.range(60, 200) as usize,
            );
        } else if r < 0.83 {
            trace.tcp_session(rng, t, c, files, eph, 445, 2, 1200);
        } else if r < 0.86 {
            trace.tcp_session(rng, t, c, mail, eph, 25, 2, 300);
        } else if r < 0.90 {
            trace.udp(t, c, [10, 1, 0, 1], 123, 123, 48);
            trace.udp(t + 2_000_000, [10, 1, 0, 1], c, 123, 123, 48);
        } else {
            // keystrokes on a long-lived SSH session
            let admin = [10, 1, 1, 11];
            let jump = [10, 1, 0, 22];
            trace.tcp(t, admin, jump, 51022, 22, PSHACK, 36);
            trace.tcp(t + 30_000_000, jump, admin, 22, 51022, PSHACK, 36);
        }
    }
}

/// A horizontal TCP 445 sweep: each host probes `targets` addresses at
/// `rate` per second from `start` (ns). 8% of targets answer RST, 3% accept.
pub fn sweep_445(
    trace: &mut Trace,
    rng: &mut Rng,
    hosts: &[[u8; 4]],
    start: i64,
    rate: f64,
    targets: u32,
) {
    for (i, h) in hosts.iter().enumerate() {
        let mut t = start + i as i64 * 3_000_000_000;
        for n in 0..targets {
            t += rng.exp_ns(rate);
            let dst = [
                10,
                (1 + (n / 250) % 4) as u8,
                (n % 250) as u8,
                (1 + (i as u32 * 61 + n) % 254) as u8,
            ];
            let sp = ephemeral(rng);
            trace.tcp(t, *h, dst, sp, 445, SYN, 0);
            let r = rng.unit();
            let reply = t + rng.range(1, 5) as i64 * 1_000_000;
            if r < 0.08 {
                trace.tcp(reply, dst, *h, 445, sp, RSTACK, 0);
            } else if r < 0.11 {
                trace.tcp(reply, dst, *h, 445, sp, SYNACK, 0);
                trace.tcp(reply + 1_000_000, *h, dst, sp, 445, RST, 0);
            } else if r < 0.50 {
                // retransmitted once after a second of silence
                trace.tcp(t + 1_000_000_000, *h, dst, sp, 445, SYN, 0);
            }
        }
    }
}

/// The bundled sample capture (see the module docs).
pub fn sample() -> Vec<u8> {
    let mut rng = Rng::new(0x5eed_0445);
    let mut trace = Trace::new();
    let start = SAMPLE_START_NS;
    let end = start + 900 * 1_000_000_000;
    background(&mut trace, &mut rng, start, end);
    let sweep = start + SAMPLE_SWEEP_S.0 * 1_000_000_000;
    sweep_445(&mut trace, &mut rng, &SAMPLE_SWEEPERS, sweep, 14.0, 1500);
    trace.into_pcap(128)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn sample_is_deterministic() {
        assert_eq!(sample(), sample());
    }
}
