//! Scenario generator: deterministic synthetic captures with known events.
//!
//! [`sample`] is the capture bundled with the web page: fifteen minutes of
//! ordinary office traffic (web, DNS, SSH, mail, NTP and a little SMB to the
//! file server) with a TCP 445 sweep from three infected hosts in minutes 9–11.
//! The same seed always gives the same bytes.

// No capture input reaches this module; its indices come from `Rng::range`
// over the bounds of the arrays they index.
#![allow(clippy::indexing_slicing)]

use etherparse::PacketBuilder;
use portspike_core::report::Probe;
use portspike_core::writer::PcapWriter;

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

    /// A frame built elsewhere (an Ethernet frame).
    pub fn raw(&mut self, ts: i64, frame: Vec<u8>) {
        self.packets.push((ts, frame));
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

    /// An IPv4 packet of protocol `proto` carrying `payload` (already
    /// holding any transport header), with IP id `id`, the more-fragments
    /// flag `mf` and fragment offset `offset` (bytes, a multiple of 8); its
    /// frame is cut to `keep` bytes of payload (the rest counts in the
    /// frame's length only through the IP header's total length).
    #[allow(clippy::too_many_arguments)]
    pub fn ipv4(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        (id, mf, offset): (u16, bool, usize),
        payload: &[u8],
    ) {
        let total = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
        let frag = u16::try_from(offset / 8).unwrap_or(0) | if mf { 0x2000 } else { 0 };
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&id.to_be_bytes());
        h.extend_from_slice(&frag.to_be_bytes());
        h.extend_from_slice(&[64, proto, 0, 0]);
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        let sum = h
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
            .sum::<u32>();
        let sum = (sum & 0xffff) + (sum >> 16);
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut out = Vec::with_capacity(14 + h.len() + payload.len());
        out.extend_from_slice(&GATEWAY_MAC);
        out.extend_from_slice(&CLIENT_MAC);
        out.extend_from_slice(&[0x08, 0x00]);
        out.extend_from_slice(&h);
        out.extend_from_slice(payload);
        self.packets.push((ts, out));
    }

    /// A UDP datagram of `payload` bytes sent in IPv4 fragments of at most
    /// `mtu` bytes: the first with the UDP header, then the later ones.
    #[allow(clippy::too_many_arguments)]
    pub fn udp_fragmented(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        (sport, dport): (u16, u16),
        id: u16,
        payload: usize,
        mtu: usize,
    ) {
        let len = u16::try_from(8 + payload).unwrap_or(u16::MAX);
        let mut dgram = Vec::with_capacity(8 + payload);
        dgram.extend_from_slice(&sport.to_be_bytes());
        dgram.extend_from_slice(&dport.to_be_bytes());
        dgram.extend_from_slice(&len.to_be_bytes());
        dgram.extend_from_slice(&[0, 0]);
        dgram.resize(8 + payload, 0);
        let step = (mtu.saturating_sub(20) / 8).max(1) * 8;
        let mut at = 0;
        while at < dgram.len() {
            let end = (at + step).min(dgram.len());
            let mf = end < dgram.len();
            self.ipv4(ts + at as i64, src, dst, 17, (id, mf, at), &dgram[at..end]);
            at = end;
        }
    }

    /// An ICMP echo request (type 8) with `payload` bytes.
    pub fn icmp_echo(&mut self, ts: i64, src: [u8; 4], dst: [u8; 4], payload: usize) {
        let b = PacketBuilder::ethernet2(CLIENT_MAC, GATEWAY_MAC)
            .ipv4(src, dst, 64)
            .icmpv4_echo_request(1, 1);
        let data = vec![0u8; payload];
        let mut out = Vec::new();
        if b.write(&mut out, &data).is_ok() {
            self.packets.push((ts, out));
        }
    }

    /// An ICMP port unreachable from `src` quoting a UDP datagram `dst:qsport → src:qdport`.
    pub fn icmp_unreachable(
        &mut self,
        ts: i64,
        src: [u8; 4],
        dst: [u8; 4],
        qsport: u16,
        qdport: u16,
    ) {
        // The quoted datagram: IPv4 header and the first 8 bytes of UDP.
        let quoted = PacketBuilder::ipv4(dst, src, 64).udp(qsport, qdport);
        let mut q = Vec::new();
        if quoted.write(&mut q, &[]).is_err() {
            return;
        }
        let b = PacketBuilder::ethernet2(CLIENT_MAC, GATEWAY_MAC)
            .ipv4(src, dst, 64)
            .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(
                etherparse::icmpv4::DestUnreachableHeader::Port,
            ));
        let mut out = Vec::new();
        if b.write(&mut out, &q).is_ok() {
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
    background_at(trace, rng, start, end, 2.2);
}

/// Ordinary office traffic at `rate` conversations per second.
pub fn background_at(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64, rate: f64) {
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
        t += rng.exp_ns(rate);
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

const S: i64 = 1_000_000_000;

/// Office traffic that follows the working day: quiet at night, busy from 9
/// to 17 (an hour at a time, so the rate steps gently).
pub fn background_daily(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64) {
    let mut t = start;
    while t < end {
        let next = (t.div_euclid(3600 * S) + 1) * 3600 * S;
        let hour = t.div_euclid(3600 * S).rem_euclid(24);
        let rate = match hour {
            0..=6 => 0.3,
            7 | 18 => 1.0,
            8 | 17 => 1.8,
            9..=16 => 2.4,
            _ => 0.6,
        };
        background_at(trace, rng, t, next.min(end), rate);
        t = next;
    }
}

/// A benign burst: one host backs up to a server, many short connections.
pub fn backup_job(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64) {
    let (client, server) = ([10, 1, 1, 12], [10, 1, 0, 30]);
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(6.0);
        let sp = rng.range(49152, 65535) as u16;
        trace.tcp_session(rng, t, client, server, sp, 873, 4, 1460);
    }
}

/// A benign burst: a flash crowd of many clients on one HTTPS server.
pub fn flash_crowd(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64) {
    flash_crowd_on(trace, rng, start, secs, 443);
}

/// A flash crowd on `port` of one server.
pub fn flash_crowd_on(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64, port: u16) {
    let server = [10, 1, 0, 80];
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(25.0);
        let client = [
            100,
            rng.range(64, 127) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ];
        let sp = rng.range(49152, 65535) as u16;
        trace.tcp_session(rng, t, client, server, sp, port, 2, 1400);
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
        let src = [
            rng.range(1, 223) as u8,
            rng.range(0, 255) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ];
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
        let reflector = [
            rng.range(1, 223) as u8,
            rng.range(0, 255) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ];
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
        let pool: Vec<[u8; 4]> = (0..self.reflectors)
            .map(|_| {
                [
                    rng.range(1, 223) as u8,
                    rng.range(0, 255) as u8,
                    rng.range(0, 255) as u8,
                    rng.range(1, 254) as u8,
                ]
            })
            .collect();
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
                trace.udp_fragmented(t, r, v, (self.port, dp), id, self.payload, self.mtu);
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
        let src = [
            rng.range(1, 223) as u8,
            rng.range(0, 255) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ];
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

/// One injected event and the finding it must produce.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Truth {
    /// `spike` or `scanner`.
    pub finding: String,
    /// Spike kind (`sweep`, `flood`, `backscatter`) or scanner kind (`horizontal`, `vertical`).
    pub kind: String,
    pub proto: Option<String>,
    pub port: Option<u16>,
    /// Scanner source address.
    pub source: Option<String>,
    /// A probe the scanner must be reported with.
    pub probe: Option<Probe>,
    pub start_ts: i64,
    pub end_ts: i64,
    /// The attack's victims (a flood's or reflection's receivers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<String>,
    /// A reflection's reflectors (its senders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reflectors: Vec<String>,
    /// Carpet bombing: the prefix the victims spread over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_prefix: Option<String>,
}

/// Ground truth of a scenario, written beside its capture as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The capture must produce these findings and no other attack-kind spike or scanner.
    pub events: Vec<Truth>,
}

/// Scenario names for `portspike synth --scenario`.
pub const SCENARIOS: &[&str] = &[
    "sample",
    "background",
    "sweep",
    "vertical",
    "slowscan",
    "udpscan",
    "ackscan",
    "flood",
    "backscatter",
    "reflection",
    "waves",
    "crowds",
    "busy",
    "all",
];

fn us(ns: i64) -> i64 {
    ns.div_euclid(1000)
}

fn ip(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

fn spike(kind: &str, port: u16, t0: i64, t1: i64) -> Truth {
    Truth {
        finding: "spike".into(),
        kind: kind.into(),
        proto: Some("tcp".into()),
        port: Some(port),
        source: None,
        probe: None,
        start_ts: us(t0),
        end_ts: us(t1),
        victims: Vec::new(),
        reflectors: Vec::new(),
        victim_prefix: None,
    }
}

/// A reflection's truth: its service, victims and reflectors.
fn reflected(proto: &str, port: u16, t0: i64, t1: i64, r: &Reflect, pool: &[[u8; 4]]) -> Truth {
    Truth {
        proto: Some(proto.into()),
        victims: r.victims.iter().map(|v| ip(*v)).collect(),
        reflectors: pool.iter().map(|v| ip(*v)).collect(),
        ..spike("reflection", port, t0, t1)
    }
}

fn scanner(kind: &str, src: [u8; 4], probe: Probe, t0: i64, t1: i64) -> Truth {
    Truth {
        finding: "scanner".into(),
        kind: kind.into(),
        proto: None,
        port: None,
        source: Some(ip(src)),
        probe: Some(probe),
        start_ts: us(t0),
        end_ts: us(t1),
        victims: Vec::new(),
        reflectors: Vec::new(),
        victim_prefix: None,
    }
}

/// Generate a named scenario: its capture (pcap) and its ground truth.
pub fn scenario(name: &str) -> Option<(Vec<u8>, Scenario)> {
    if name == "sample" {
        let start = SAMPLE_START_NS;
        let (a, b) = SAMPLE_SWEEP_S;
        let mut events = vec![spike("sweep", 445, start + a * S, start + b * S)];
        for h in SAMPLE_SWEEPERS {
            events.push(scanner(
                "horizontal",
                h,
                Probe::Syn,
                start + a * S,
                start + b * S,
            ));
        }
        return Some((
            sample(),
            Scenario {
                name: name.into(),
                description: "15 minutes of office traffic with a TCP 445 sweep from three hosts in minutes 9-11 (the bundled sample)".into(),
                events,
            },
        ));
    }
    if !SCENARIOS.contains(&name) {
        return None;
    }
    let mut rng = Rng::new(
        0x5ce0
            ^ name
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
    );
    let mut tr = Trace::new();
    // Monday 2026-03-02; the long scenarios start at 07:00, the short ones at 10:00.
    let day = 1_772_409_600 * S;
    let all = name == "all";
    let long = name == "background" || all;
    let start = day + if long { 7 * 3600 * S } else { 10 * 3600 * S };
    let end = start + if long { 4 * 3600 * S } else { 1800 * S };
    background_daily(&mut tr, &mut rng, start, end);
    // Benign bursts in every scenario: they may be surges, never attacks.
    backup_job(&mut tr, &mut rng, start + 600 * S, 90);
    flash_crowd(&mut tr, &mut rng, start + 1200 * S, 60);
    let at = |m: i64| {
        start
            + if long {
                m * 60 * S + 3600 * S
            } else {
                m * 60 * S
            }
    };
    let mut events = Vec::new();
    let mut description = vec!["office traffic following the working day, a backup job (rsync burst) and a flash crowd on HTTPS".to_string()];
    if name == "sweep" || all {
        let hosts = [
            [10, 1, 1, 23],
            [10, 1, 1, 37],
            [10, 1, 1, 52],
            [10, 1, 1, 44],
        ];
        let t0 = at(15);
        sweep_445(&mut tr, &mut rng, &hosts, t0, 20.0, 2500);
        let t1 = t0 + 140 * S;
        events.push(spike("sweep", 445, t0, t1));
        for h in hosts {
            events.push(scanner("horizontal", h, Probe::Syn, t0, t1));
        }
        description.push("a TCP 445 sweep by four hosts over 10,000 addresses".into());
    }
    if name == "vertical" || all {
        let (src, dst) = ([203, 0, 113, 7], [10, 1, 0, 20]);
        let t0 = at(16);
        vertical_scan(&mut tr, &mut rng, src, dst, t0, 1024, 200.0);
        events.push(scanner("vertical", src, Probe::Syn, t0, t0 + 10 * S));
        description.push("an nmap-like SYN scan of 1024 ports of one host".into());
    }
    if name == "slowscan" || all {
        let (src, dst) = ([198, 51, 100, 9], [10, 1, 0, 25]);
        let t0 = at(5);
        vertical_scan(&mut tr, &mut rng, src, dst, t0, 150, 0.2);
        events.push(scanner("vertical", src, Probe::Syn, t0, t0 + 750 * S));
        description.push("a slow scan: one probe every 5 s over 150 ports".into());
    }
    if name == "udpscan" || all {
        let (src, dst) = ([192, 0, 2, 66], [10, 1, 0, 53]);
        let t0 = at(20);
        udp_scan(&mut tr, &mut rng, src, dst, t0, 500, 50.0);
        events.push(scanner("vertical", src, Probe::Udp, t0, t0 + 10 * S));
        description.push("a UDP scan of 500 ports of one host".into());
    }
    if name == "ackscan" || all {
        let (src, dst) = ([203, 0, 113, 99], [10, 1, 0, 22]);
        let t0 = at(18);
        ack_scan(&mut tr, &mut rng, src, dst, t0, 300, 100.0);
        events.push(scanner("vertical", src, Probe::Ack, t0, t0 + 5 * S));
        description.push("an ACK scan (firewall mapping) of 300 ports of one host".into());
    }
    if name == "flood" || all {
        let t0 = at(22);
        syn_flood(&mut tr, &mut rng, [10, 1, 0, 80], 80, t0, 60, 400.0);
        events.push(spike("flood", 80, t0, t0 + 60 * S));
        description.push("a distributed SYN flood on TCP 80 from spoofed sources".into());
    }
    if name == "backscatter" || all {
        let t0 = at(25);
        backscatter(&mut tr, &mut rng, 3389, t0, 60, 60.0);
        events.push(spike("backscatter", 3389, t0, t0 + 60 * S));
        description.push("SYN-ACK backscatter from servers on TCP 3389".into());
    }
    if name == "reflection" || all {
        let t0 = at(28);
        let r = Reflect::udp(53, [10, 1, 0, 30], 400, 1200);
        let pool = r.run(&mut tr, &mut rng, t0, 60, 300.0);
        events.push(reflected("udp", 53, t0, t0 + 60 * S, &r, &pool));
        description
            .push("a DNS reflection: 400 resolvers answer one victim who never asked".into());
    }
    if name == "waves" {
        // One incident: three waves two minutes apart are one finding.
        let t0 = at(10);
        for w in 0..3 {
            syn_flood(
                &mut tr,
                &mut rng,
                [10, 1, 0, 80],
                80,
                t0 + w * 120 * S,
                40,
                300.0,
            );
        }
        events.push(spike("flood", 80, t0, t0 + 280 * S));
        description.push("a SYN flood on TCP 80 in three waves two minutes apart".into());
    }
    if name == "crowds" {
        for (i, port) in [8443u16, 993, 995, 5223].into_iter().enumerate() {
            flash_crowd_on(&mut tr, &mut rng, at(4 + 5 * i as i64), 60, port);
        }
        description.push("four more flash crowds, each on a port of its own".into());
    }
    if name == "busy" {
        // Many findings on many ports: a page must hold them.
        for i in 0..42u16 {
            let t0 = at(2) + i64::from(i) * 40 * S;
            syn_flood(&mut tr, &mut rng, [10, 1, 0, 80], 2000 + i, t0, 20, 100.0);
            events.push(spike("flood", 2000 + i, t0, t0 + 20 * S));
        }
        let (src, dst) = ([203, 0, 113, 50], [10, 1, 0, 21]);
        vertical_scan(&mut tr, &mut rng, src, dst, at(1), 1500, 300.0);
        events.push(scanner("vertical", src, Probe::Syn, at(1), at(1) + 10 * S));
        description.push("42 SYN floods, one port each, and a SYN scan of 1500 ports".into());
    }
    let _ = end;
    Some((
        tr.into_pcap(128),
        Scenario {
            name: name.into(),
            description: description.join("; "),
            events,
        },
    ))
}

/// Scenarios that [`scenario_on`] builds over real background traffic.
pub const BACKGROUND_SCENARIOS: &[&str] = &[
    "background",
    "sweep",
    "vertical",
    "udpscan",
    "ackscan",
    "flood",
    "backscatter",
    "reflection",
    "ntp",
    "snmp",
    "cldap",
    "ssdp",
    "ubnt",
    "bacnet",
    "memcached",
    "synack",
    "carpet",
    "icmpflood",
    "protoflood",
    "fragflood",
];

/// Length of a scenario over real background: ten minutes.
pub const BACKGROUND_SCENARIO_S: i64 = 600;

/// A scenario over real background traffic: ten minutes of `bg`'s tiles
/// (see [`crate::replay`]), with the named attack injected at minute 4
/// (`background`: none). Deterministic by `seed`.
pub fn scenario_on(
    name: &str,
    bg: &crate::replay::Background,
    seed: u64,
) -> Option<(Vec<u8>, Scenario)> {
    if !BACKGROUND_SCENARIOS.contains(&name) {
        return None;
    }
    let mut rng = Rng::new(0xb6_5ce0 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut tr = Trace::new();
    // Tuesday 2026-03-03, 10:00 UTC.
    let start = (1_772_409_600 + 86_400 + 10 * 3600) * S;
    let end = start + BACKGROUND_SCENARIO_S * S;
    let tiles = bg.fill(&mut tr, &mut rng, start, end);
    let names: Vec<&str> = bg.tiles.iter().map(|t| t.name.as_str()).collect();
    let mut description = vec![format!(
        "ten minutes of real sessions ({tiles} tiles of {}, addresses remapped per tile)",
        names.join(", ")
    )];
    let t0 = start + 240 * S;
    let mut events = Vec::new();
    // The attackers' own rng, so the background is the same in every scenario of a seed.
    let mut arng = Rng::new(seed ^ 0x00a7_7ac4);
    match name {
        "sweep" => {
            let hosts = [[10, 1, 1, 23], [10, 1, 1, 37], [10, 1, 1, 52]];
            sweep_445(&mut tr, &mut arng, &hosts, t0, 15.0, 1500);
            events.push(spike("sweep", 445, t0, t0 + 110 * S));
            for h in hosts {
                events.push(scanner("horizontal", h, Probe::Syn, t0, t0 + 110 * S));
            }
            description.push("a TCP 445 sweep by three hosts".into());
        }
        "vertical" => {
            let (src, dst) = ([203, 0, 113, 7], [10, 1, 0, 20]);
            vertical_scan(&mut tr, &mut arng, src, dst, t0, 1024, 200.0);
            events.push(scanner("vertical", src, Probe::Syn, t0, t0 + 10 * S));
            description.push("a SYN scan of 1024 ports of one host".into());
        }
        "udpscan" => {
            let (src, dst) = ([192, 0, 2, 66], [10, 1, 0, 53]);
            udp_scan(&mut tr, &mut arng, src, dst, t0, 500, 50.0);
            events.push(scanner("vertical", src, Probe::Udp, t0, t0 + 10 * S));
            description.push("a UDP scan of 500 ports of one host".into());
        }
        "ackscan" => {
            let (src, dst) = ([203, 0, 113, 99], [10, 1, 0, 22]);
            ack_scan(&mut tr, &mut arng, src, dst, t0, 300, 100.0);
            events.push(scanner("vertical", src, Probe::Ack, t0, t0 + 5 * S));
            description.push("an ACK scan of 300 ports of one host".into());
        }
        "flood" => {
            syn_flood(&mut tr, &mut arng, [10, 1, 0, 80], 80, t0, 60, 400.0);
            events.push(spike("flood", 80, t0, t0 + 60 * S));
            description.push("a SYN flood on TCP 80 from spoofed sources".into());
        }
        "backscatter" => {
            backscatter(&mut tr, &mut arng, 3389, t0, 60, 60.0);
            events.push(spike("backscatter", 3389, t0, t0 + 60 * S));
            description.push("SYN-ACK backscatter on TCP 3389".into());
        }
        "reflection" | "ntp" | "snmp" | "cldap" | "ssdp" | "ubnt" | "bacnet" | "memcached"
        | "synack" | "carpet" => {
            let victim = [10, 1, 0, 30];
            // (service port, reflected bytes, what it is)
            let (port, payload, what) = match name {
                "ntp" => (123, 440, "an NTP monlist reflection"),
                "snmp" => (161, 1400, "an SNMP GetBulk reflection"),
                "cldap" => (389, 1400, "a CLDAP reflection"),
                "ssdp" | "carpet" => (1900, 300, "an SSDP reflection"),
                "ubnt" => (10001, 150, "a Ubiquiti discovery (udp/10001) reflection"),
                "bacnet" => (47808, 500, "a BACnet reflection onto one fixed victim port"),
                "memcached" => (11211, 2900, "a memcached reflection in fragments"),
                "synack" => (80, 0, "a TCP SYN-ACK reflection from tcp/80"),
                _ => (53, 1200, "a DNS reflection"),
            };
            let mut r = Reflect::udp(port, victim, 400, payload);
            r.tcp = name == "synack";
            if name == "bacnet" {
                r.victim_port = Some(30120);
            }
            if name == "carpet" {
                r.victims = (1..=254).map(|h| [10, 20, 30, h]).collect();
            }
            let pool = r.run(&mut tr, &mut arng, t0, 60, 300.0);
            let proto = if r.tcp { "tcp" } else { "udp" };
            let mut t = reflected(proto, port, t0, t0 + 60 * S, &r, &pool);
            if name == "carpet" {
                t.victim_prefix = Some("10.20.30.0/24".into());
                description.push(format!("{what} carpet-bombing 10.20.30.0/24"));
            } else {
                description.push(format!("{what} onto one victim"));
            }
            if name == "memcached" {
                // The datagrams' later fragments carry no ports: a second
                // vector, from the same reflectors onto the same victim.
                let mut f = t.clone();
                (f.kind, f.proto, f.port) = ("flood".into(), Some("fragment".into()), Some(17));
                f.reflectors = Vec::new();
                events.push(f);
            }
            events.push(t);
        }
        "icmpflood" | "protoflood" | "fragflood" => {
            let victim = [10, 1, 0, 80];
            let (kind, proto, port, what) = match name {
                "icmpflood" => ("icmp", "icmp", 8, "an ICMP echo flood"),
                "protoflood" => ("proto", "ip", 256, "a flood of random IP protocol numbers"),
                _ => ("fragment", "fragment", 17, "a flood of later UDP fragments"),
            };
            portless_flood(&mut tr, &mut arng, kind, victim, (t0, 60), 300.0);
            let mut t = spike("flood", port, t0, t0 + 60 * S);
            t.proto = Some(proto.into());
            t.victims = vec![ip(victim)];
            events.push(t);
            description.push(format!("{what} from spoofed sources onto one host"));
        }
        _ => {}
    }
    // Headers are all the engine reads: 256 bytes keep an ICMPv6 error's quote.
    Some((
        tr.into_pcap(256),
        Scenario {
            name: name.into(),
            description: description.join("; "),
            events,
        },
    ))
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
