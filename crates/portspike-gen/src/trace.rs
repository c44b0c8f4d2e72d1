//! Packets written by hand: a [`Trace`] collects Ethernet frames (TCP, UDP,
//! ICMP, raw IPv4 and its fragments, whole TCP conversations) in any order
//! and writes them as a pcap sorted by time.

// No capture input reaches this module; its indices are within the headers
// it has just built.
#![allow(clippy::indexing_slicing)]

use crate::rng::Rng;
use etherparse::PacketBuilder;
use portspike_core::writer::PcapWriter;

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

/// A TCP conversation for [`Trace::tcp_session`].
#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub client: [u8; 4],
    pub server: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    /// Request/response pairs between the handshake and the close.
    pub exchanges: u32,
    /// Bytes of each response (at most one segment: 1460).
    pub resp_bytes: usize,
}

/// A UDP datagram for [`Trace::udp_fragmented`]: its ports, the IP id its
/// fragments share, its payload's size and the largest IP packet sent.
#[derive(Debug, Clone, Copy)]
pub struct Fragmented {
    pub sport: u16,
    pub dport: u16,
    pub id: u16,
    pub payload: usize,
    pub mtu: usize,
}

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
    // Flat like the segment's header, the way every test that crafts
    // packets calls it: a struct would only add names to each call.
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

    /// A UDP datagram sent in IPv4 fragments of at most `d.mtu` bytes: the
    /// first with the UDP header, then the later ones.
    pub fn udp_fragmented(&mut self, ts: i64, src: [u8; 4], dst: [u8; 4], d: Fragmented) {
        let Fragmented {
            sport,
            dport,
            id,
            payload,
            mtu,
        } = d;
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

    /// A complete TCP conversation from `t0`: handshake, `s.exchanges`
    /// request/response pairs, and a FIN close.
    pub fn tcp_session(&mut self, rng: &mut Rng, t0: i64, s: Session) {
        let Session {
            client,
            server,
            sport,
            dport,
            exchanges,
            resp_bytes,
        } = s;
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
