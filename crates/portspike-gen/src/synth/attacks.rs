//! Attacks: sweeps and scans (SYN, ACK, UDP), SYN floods, backscatter,
//! reflections, and floods of packets without ports.

use super::office::ephemeral;
use crate::clock::SECOND_NS as S;
use crate::rng::Rng;
use crate::trace::{Fragmented, Trace, ACK, RST, RSTACK, SYN, SYNACK};

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

/// An nmap-like SYN scan of one host's ports `1..=ports`: closed ports
/// answer RST, a few open ones SYN-ACK (and the scanner resets).
pub fn vertical_scan(
    trace: &mut Trace,
    rng: &mut Rng,
    src: [u8; 4],
    dst: [u8; 4],
    start: i64,
    ports: u16,
    rate: f64,
) {
    let mut t = start;
    let open = [22u16, 80, 443];
    for port in 1..=ports {
        t += rng.exp_ns(rate);
        let sp = rng.range(40000, 60000) as u16;
        trace.tcp(t, src, dst, sp, port, SYN, 0);
        let back = t + rng.range(1, 3) as i64 * 1_000_000;
        if open.contains(&port) {
            trace.tcp(back, dst, src, port, sp, SYNACK, 0);
            trace.tcp(back + 1_000_000, src, dst, sp, port, RST, 0);
        } else {
            trace.tcp(back, dst, src, port, sp, RSTACK, 0);
        }
    }
}

/// An ACK scan (firewall mapping): bare ACKs to `1..=ports`; an unfiltered
/// host resets each.
pub fn ack_scan(
    trace: &mut Trace,
    rng: &mut Rng,
    src: [u8; 4],
    dst: [u8; 4],
    start: i64,
    ports: u16,
    rate: f64,
) {
    let mut t = start;
    for port in 1..=ports {
        t += rng.exp_ns(rate);
        let sp = rng.range(40000, 60000) as u16;
        trace.tcp(t, src, dst, sp, port, ACK, 0);
        trace.tcp(t + 2_000_000, dst, src, port, sp, RST, 0);
    }
}

/// A UDP scan: closed ports answer ICMP port unreachable (rate-limited by
/// the target to one a second), a few open ones reply.
pub fn udp_scan(
    trace: &mut Trace,
    rng: &mut Rng,
    src: [u8; 4],
    dst: [u8; 4],
    start: i64,
    ports: u16,
    rate: f64,
) {
    let mut t = start;
    let mut last_icmp = i64::MIN;
    for port in 1..=ports {
        t += rng.exp_ns(rate);
        let sp = rng.range(40000, 60000) as u16;
        trace.udp(t, src, dst, sp, port, 0);
        let back = t + 1_000_000;
        if port == 53 || port == 123 {
            trace.udp(back, dst, src, port, sp, 40);
        } else if back.saturating_sub(last_icmp) >= S {
            last_icmp = back;
            trace.icmp_unreachable(back, dst, src, sp, port);
        }
    }
}

/// A distributed SYN flood: spoofed sources, one target port; the server
/// answers SYN-ACK and the handshakes never complete.
pub fn syn_flood(
    trace: &mut Trace,
    rng: &mut Rng,
    dst: [u8; 4],
    port: u16,
    start: i64,
    secs: i64,
    rate: f64,
) {
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(rate);
        let src = rng.unicast_v4();
        let sp = rng.range(1024, 65535) as u16;
        trace.tcp(t, src, dst, sp, port, SYN, 0);
        trace.tcp(t + 500_000, dst, src, port, sp, SYNACK, 0);
    }
}

/// SYN-ACK backscatter: servers answer SYNs spoofed from our addresses.
pub fn backscatter(trace: &mut Trace, rng: &mut Rng, port: u16, start: i64, secs: i64, rate: f64) {
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(rate);
        let reflector = rng.unicast_v4();
        let victim = [10, 1, rng.range(0, 3) as u8, rng.range(1, 254) as u8];
        let dp = rng.range(1024, 65535) as u16;
        trace.tcp(t, reflector, victim, port, dp, SYNACK, 0);
    }
}

/// A reflection (amplification) attack: `reflectors` servers answer from
/// `port` to the victims' ports (random, or `victim_port`), `payload` bytes
/// each (sent in fragments of `mtu` bytes when larger; TCP: a SYN-ACK), at
/// `rate` packets a second; the spoofed requests never reach the capture.
#[derive(Debug, Clone)]
pub struct Reflect {
    pub tcp: bool,
    pub port: u16,
    pub victims: Vec<[u8; 4]>,
    pub victim_port: Option<u16>,
    pub reflectors: u32,
    pub payload: usize,
    pub mtu: usize,
}

impl Reflect {
    /// A UDP reflection from `port` onto one victim.
    pub fn udp(port: u16, victim: [u8; 4], reflectors: u32, payload: usize) -> Self {
        Reflect {
            tcp: false,
            port,
            victims: vec![victim],
            victim_port: None,
            reflectors,
            payload,
            mtu: 1500,
        }
    }

    /// Send it; the reflectors' addresses.
    pub fn run(
        &self,
        trace: &mut Trace,
        rng: &mut Rng,
        start: i64,
        secs: i64,
        rate: f64,
    ) -> Vec<[u8; 4]> {
        let pool: Vec<[u8; 4]> = (0..self.reflectors).map(|_| rng.unicast_v4()).collect();
        let pick = |rng: &mut Rng, v: &[[u8; 4]]| {
            v.get(rng.range(0, (v.len() as u64).max(1) - 1) as usize)
                .copied()
                .unwrap_or([192, 0, 2, 1])
        };
        let mut t = start;
        let mut id = 0u16;
        while t < start + secs * S {
            t += rng.exp_ns(rate);
            let r = pick(rng, &pool);
            let v = pick(rng, &self.victims);
            let dp = self
                .victim_port
                .unwrap_or_else(|| rng.range(1024, 65535) as u16);
            id = id.wrapping_add(1);
            if self.tcp {
                trace.tcp(t, r, v, self.port, dp, SYNACK, 0);
            } else if self.payload + 28 > self.mtu {
                let d = Fragmented {
                    sport: self.port,
                    dport: dp,
                    id,
                    payload: self.payload,
                    mtu: self.mtu,
                };
                trace.udp_fragmented(t, r, v, d);
            } else {
                trace.udp(t, r, v, self.port, dp, self.payload);
            }
        }
        pool
    }
}

/// A flood of packets without ports from spoofed sources onto `victim`:
/// ICMP echo requests (`kind` "icmp"), IP packets of random unassigned
/// protocol numbers ("proto"), or later UDP fragments ("fragment").
pub fn portless_flood(
    trace: &mut Trace,
    rng: &mut Rng,
    kind: &str,
    victim: [u8; 4],
    (start, secs): (i64, i64),
    rate: f64,
) {
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(rate);
        let src = rng.unicast_v4();
        let id = rng.range(0, 65535) as u16;
        match kind {
            "icmp" => trace.icmp_echo(t, src, victim, 56),
            "proto" => {
                // 143–252: unassigned protocol numbers.
                let proto = rng.range(143, 252) as u8;
                trace.ipv4(t, src, victim, proto, (id, false, 0), &[0u8; 200]);
            }
            _ => {
                let offset = rng.range(1, 100) as usize * 8;
                trace.ipv4(t, src, victim, 17, (id, false, offset), &[0u8; 1000]);
            }
        }
    }
}
