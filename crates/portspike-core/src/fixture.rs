//! Small hand-built captures and packets for the unit tests (the generated
//! scenarios live in the portspike-gen crate, which builds on this one).

#![allow(clippy::unwrap_used)]

use crate::decode::{tcp_flags, Packet, Proto, L4};
use crate::writer::PcapWriter;
use etherparse::PacketBuilder;
use std::net::{IpAddr, Ipv4Addr};

pub const S: i64 = 1_000_000_000;
/// 2026-03-02 09:00 UTC, in ns.
pub const T0: i64 = 1_772_442_000 * S;

pub const SYN: u8 = tcp_flags::SYN;
pub const ACK: u8 = tcp_flags::ACK;
pub const SYNACK: u8 = tcp_flags::SYN | tcp_flags::ACK;
pub const RST: u8 = tcp_flags::RST;
pub const RSTACK: u8 = tcp_flags::RST | tcp_flags::ACK;

pub fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// A decoded TCP packet, as the engine sees it.
pub fn tcp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8) -> Packet {
    Packet {
        src: ip(src),
        dst: ip(dst),
        l4: L4::Ports {
            proto: Proto::Tcp,
            sport,
            dport,
            flags,
            payload: 0,
        },
    }
}

/// A decoded UDP datagram.
pub fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Packet {
    Packet {
        src: ip(src),
        dst: ip(dst),
        l4: L4::Ports {
            proto: Proto::Udp,
            sport,
            dport,
            flags: 0,
            payload: 8,
        },
    }
}

/// Ethernet/IPv4 frames with their times (ns), written as a pcap.
#[derive(Debug, Default)]
pub struct Cap {
    frames: Vec<(i64, Vec<u8>)>,
}

impl Cap {
    pub fn tcp(&mut self, ts: i64, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8) {
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sport, dport, 1000, 64240);
        if flags & SYN != 0 {
            b = b.syn();
        }
        if flags & ACK != 0 {
            b = b.ack(1);
        }
        if flags & RST != 0 {
            b = b.rst();
        }
        let mut out = Vec::new();
        b.write(&mut out, &[]).unwrap();
        self.frames.push((ts, out));
    }

    pub fn udp(&mut self, ts: i64, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .udp(sport, dport);
        let mut out = Vec::new();
        b.write(&mut out, &[0; 8]).unwrap();
        self.frames.push((ts, out));
    }

    /// A completed handshake from `client` to `server`:`port`.
    pub fn handshake(&mut self, ts: i64, client: [u8; 4], server: [u8; 4], sport: u16, port: u16) {
        self.tcp(ts, client, server, sport, port, SYN);
        self.tcp(ts + S / 100, server, client, port, sport, SYNACK);
        self.tcp(ts + S / 50, client, server, sport, port, ACK);
    }

    pub fn pcap(mut self) -> Vec<u8> {
        self.frames.sort_by_key(|f| f.0);
        let mut w = PcapWriter::new(1, 65535);
        for (t, f) in &self.frames {
            w.packet(*t, f);
        }
        w.into_bytes()
    }
}

/// Ten minutes of web traffic (three clients' handshakes to tcp/80 every
/// ten seconds).
pub fn quiet() -> Cap {
    let mut c = Cap::default();
    for i in 0..60 {
        for h in 0..3u8 {
            let t = T0 + i * 10 * S + i64::from(h) * S;
            c.handshake(t, [10, 0, 0, 10 + h], [10, 0, 0, 1], 40000 + i as u16, 80);
        }
    }
    c
}

/// [`quiet`], and from minute 6 a sweep of tcp/445 by 10.9.9.9: a SYN to
/// each of 200 hosts, a tenth refused, the rest unanswered.
pub fn incident() -> Vec<u8> {
    let mut c = quiet();
    let scanner = [10, 9, 9, 9];
    for i in 0..200u8 {
        let t = T0 + 360 * S + i64::from(i) * S / 20;
        let target = [10, 0, 1, i];
        c.tcp(t, scanner, target, 50000, 445, SYN);
        if i % 10 == 0 {
            c.tcp(t + S / 100, target, scanner, 445, 50000, RSTACK);
        }
    }
    c.pcap()
}

/// An engine keyed by service port with 1 s bins and the full bounds.
pub fn engine() -> crate::engine::Engine {
    crate::engine::Engine::new(
        crate::params::Key::Service,
        Some(1_000_000),
        crate::engine::Limits::FULL,
    )
}

/// µs, for the engine's timestamps.
pub const US: i64 = 1_000_000;
