//! Generated captures of any size, produced in pieces (for benchmarks and the
//! memory checks): a gigabyte capture never has to sit in memory.
//!
//! - [`Mix::Scan`]: small-packet scan traffic, 64-byte frames: SYNs from a few
//!   scanners sweeping a /16 on common ports, with the targets' RST or SYN-ACK
//!   answers.
//! - [`Mix::Mixed`]: ordinary traffic averaging about 800 bytes a packet: many
//!   interleaved TCP conversations (handshake, requests, full-size responses,
//!   ACKs, close) on web, SMB, SSH and RDP, and DNS over UDP.
//!
//! Frames are stamped from templates (addresses and ports patched in place);
//! checksums are left zero, as on a capture taken with offloading. The same
//! arguments always give the same bytes.

// No capture input reaches this module; its indices are taken modulo the
// length of the arrays they index.
#![allow(clippy::indexing_slicing)]

use crate::clock::MONDAY_2026_03_02_0900_NS;
use crate::rng::Rng;

/// The kind of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    Scan,
    Mixed,
    /// UDP between random ports on both sides (peer-to-peer-like): every port
    /// busy in many bins, the worst case for the series' memory.
    Wide,
}

impl Mix {
    pub fn parse(s: &str) -> Option<Mix> {
        match s {
            "scan" | "scan64" => Some(Mix::Scan),
            "mixed" => Some(Mix::Mixed),
            "wide" => Some(Mix::Wide),
            _ => None,
        }
    }
}

/// The container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Pcap,
    Pcapng,
}

const SERVICES: [u16; 5] = [443, 80, 445, 22, 3389];
const SCAN_PORTS: [u16; 8] = [445, 22, 23, 80, 443, 3389, 139, 8080];
/// Concurrent conversations in the mixed traffic.
const LIVE: usize = 512;

#[derive(Debug, Clone, Copy, Default)]
struct Conv {
    client: u32,
    server: u32,
    sport: u16,
    dport: u16,
    /// Packets left in the conversation, counting down to the close.
    left: u32,
    step: u32,
    udp: bool,
}

/// A streaming capture generator.
#[derive(Debug)]
pub struct Bulk {
    mix: Mix,
    container: Container,
    rng: Rng,
    target: u64,
    written: u64,
    ts: i64,
    header_done: bool,
    live: Vec<Conv>,
    frame: Vec<u8>,
    /// Packets generated so far.
    pub packets: u64,
}

impl Bulk {
    /// A capture of about `target_bytes` (it ends at the first packet past it).
    pub fn new(mix: Mix, container: Container, target_bytes: u64) -> Self {
        let mut rng = Rng::new(0xb01c ^ target_bytes);
        let live = (0..LIVE).map(|_| new_conv(&mut rng)).collect();
        Bulk {
            mix,
            container,
            rng,
            target: target_bytes,
            written: 0,
            ts: MONDAY_2026_03_02_0900_NS,
            header_done: false,
            live,
            frame: Vec::with_capacity(1600),
            packets: 0,
        }
    }

    /// Append the next piece (about `max` bytes) to `out`; false when done.
    pub fn fill(&mut self, out: &mut Vec<u8>, max: usize) -> bool {
        let begin = out.len();
        if !self.header_done {
            self.header_done = true;
            match self.container {
                Container::Pcap => pcap_header(out),
                Container::Pcapng => pcapng_header(out),
            }
        }
        while out.len() - begin < max && self.written + (out.len() - begin) as u64 <= self.target {
            match self.mix {
                Mix::Scan => self.scan_frame(),
                Mix::Mixed => self.mixed_frame(),
                Mix::Wide => self.wide_frame(),
            }
            self.packets += 1;
            self.record(out);
        }
        self.written += (out.len() - begin) as u64;
        out.len() > begin
    }

    /// The whole capture in memory (for small sizes).
    pub fn to_vec(mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.target as usize + 4096);
        while self.fill(&mut out, 1 << 20) {}
        out
    }

    fn record(&mut self, out: &mut Vec<u8>) {
        let ts_us = self.ts.div_euclid(1000);
        let len = self.frame.len() as u32;
        match self.container {
            Container::Pcap => {
                out.extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
                out.extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&self.frame);
            }
            Container::Pcapng => {
                let pad = (4 - self.frame.len() % 4) % 4;
                let blen = 32 + self.frame.len() as u32 + pad as u32;
                out.extend_from_slice(&6u32.to_le_bytes());
                out.extend_from_slice(&blen.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&((ts_us as u64 >> 32) as u32).to_le_bytes());
                out.extend_from_slice(&(ts_us as u32).to_le_bytes());
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&self.frame);
                out.extend_from_slice(&[0u8; 3][..pad]);
                out.extend_from_slice(&blen.to_le_bytes());
            }
        }
    }

    fn scan_frame(&mut self) {
        // ~100k packets/s.
        self.ts += self.rng.range(2_000, 18_000) as i64;
        let r = self.rng.next_u64();
        let scanner = 0x0a01_0100 | (r & 0xf) as u32;
        let target = 0x0a14_0000 | ((r >> 8) & 0xffff) as u32;
        let port = SCAN_PORTS[((r >> 24) % SCAN_PORTS.len() as u64) as usize];
        let sport = 40000 + ((r >> 32) & 0x3fff) as u16;
        match (r >> 48) % 10 {
            // The target refuses.
            0..=2 => tcp_frame(&mut self.frame, target, scanner, port, sport, RSTACK, 0),
            // The target answers.
            3 => tcp_frame(&mut self.frame, target, scanner, port, sport, SYNACK, 0),
            _ => tcp_frame(&mut self.frame, scanner, target, sport, port, SYN, 0),
        }
        // Pad to a 64-byte frame (Ethernet minimum with FCS).
        self.frame.resize(64, 0);
    }

    fn wide_frame(&mut self) {
        // ~200 packets/s, so a few hundred MB span days.
        self.ts += self.rng.range(1_000_000, 9_000_000) as i64;
        let r = self.rng.next_u64();
        let a = 0x0a05_0000 | (r & 0xffff) as u32;
        let b = 0x0a06_0000 | ((r >> 16) & 0xffff) as u32;
        udp_frame(
            &mut self.frame,
            a,
            b,
            (r >> 32) as u16,
            (r >> 48) as u16,
            60,
        );
    }

    fn mixed_frame(&mut self) {
        // ~60k packets/s.
        self.ts += self.rng.range(2_000, 30_000) as i64;
        let i = (self.rng.next_u64() % LIVE as u64) as usize;
        let Some(c) = self.live.get_mut(i) else {
            return;
        };
        let c0 = *c;
        let (cl, sv, sp, dp) = (c0.client, c0.server, c0.sport, c0.dport);
        let step = c0.step;
        c.step += 1;
        if c0.udp {
            // A DNS query, then its answer.
            if step == 0 {
                udp_frame(&mut self.frame, cl, sv, sp, dp, 40);
            } else {
                udp_frame(&mut self.frame, sv, cl, dp, sp, 180);
                *c = new_conv(&mut self.rng);
            }
            return;
        }
        match step {
            0 => tcp_frame(&mut self.frame, cl, sv, sp, dp, SYN, 0),
            1 => tcp_frame(&mut self.frame, sv, cl, dp, sp, SYNACK, 0),
            2 => tcp_frame(&mut self.frame, cl, sv, sp, dp, ACK, 0),
            _ if c0.left > 3 => {
                c.left -= 1;
                // A request, a response of two full-size segments and a
                // short one, an ACK.
                match (step - 3) % 5 {
                    0 => tcp_frame(&mut self.frame, cl, sv, sp, dp, PSHACK, 400),
                    1 | 2 => tcp_frame(&mut self.frame, sv, cl, dp, sp, ACK, 1460),
                    3 => tcp_frame(&mut self.frame, sv, cl, dp, sp, PSHACK, 600),
                    _ => tcp_frame(&mut self.frame, cl, sv, sp, dp, ACK, 0),
                }
            }
            _ => {
                c.left -= 1;
                match c0.left {
                    3 => tcp_frame(&mut self.frame, cl, sv, sp, dp, FINACK, 0),
                    2 => tcp_frame(&mut self.frame, sv, cl, dp, sp, FINACK, 0),
                    _ => {
                        tcp_frame(&mut self.frame, cl, sv, sp, dp, ACK, 0);
                        *c = new_conv(&mut self.rng);
                    }
                }
            }
        }
    }
}

fn new_conv(rng: &mut Rng) -> Conv {
    let r = rng.next_u64();
    let client = 0x0a01_0000 | (r & 0x3ff) as u32;
    let udp = (r >> 10) % 8 == 0;
    let (server, dport) = if udp {
        (0x0a00_0035, 53)
    } else {
        let s = ((r >> 14) % 64) as u32;
        (
            0x5db8_d800 | s,
            SERVICES[((r >> 20) % SERVICES.len() as u64) as usize],
        )
    };
    Conv {
        client,
        server,
        sport: 49152 + ((r >> 24) & 0x3fff) as u16,
        dport,
        // 3 to 40 exchanges of five packets, and the close.
        left: 3 + 5 * (3 + ((r >> 40) % 38) as u32),
        step: 0,
        udp,
    }
}

const SYN: u8 = 0x02;
const SYNACK: u8 = 0x12;
const ACK: u8 = 0x10;
const PSHACK: u8 = 0x18;
const FINACK: u8 = 0x11;
const RSTACK: u8 = 0x14;

fn ip_header(f: &mut Vec<u8>, proto: u8, total: usize, src: u32, dst: u32) {
    f.clear();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0xfe, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&(total as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src.to_be_bytes());
    f.extend_from_slice(&dst.to_be_bytes());
}

fn tcp_frame(f: &mut Vec<u8>, src: u32, dst: u32, sport: u16, dport: u16, flags: u8, pl: usize) {
    ip_header(f, 6, 40 + pl, src, dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&[
        0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0,
    ]);
    f.resize(f.len() + pl, 0);
}

fn udp_frame(f: &mut Vec<u8>, src: u32, dst: u32, sport: u16, dport: u16, pl: usize) {
    ip_header(f, 17, 28 + pl, src, dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&((8 + pl) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.resize(f.len() + pl, 0);
}

fn pcap_header(out: &mut Vec<u8>) {
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
}

fn pcapng_header(out: &mut Vec<u8>) {
    // Section header: magic, version 1.0, unknown section length.
    out.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
    out.extend_from_slice(&28u32.to_le_bytes());
    out.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    out.extend_from_slice(&28u32.to_le_bytes());
    // Interface: Ethernet, snaplen 65535, default µs resolution.
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&20u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&20u32.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use portspike_core::capture::Reader;

    fn frames(bytes: &[u8]) -> (u64, u64, u64) {
        let mut r = Reader::new();
        let (mut n, mut total, mut syn64) = (0u64, 0u64, 0u64);
        r.feed(bytes, &mut |f| {
            n += 1;
            total += u64::from(f.orig_len);
            if f.orig_len == 64 {
                syn64 += 1;
            }
        });
        (n, total, syn64)
    }

    #[test]
    fn sizes_formats_and_averages() {
        for c in [Container::Pcap, Container::Pcapng] {
            let scan = Bulk::new(Mix::Scan, c, 2 << 20).to_vec();
            assert!(scan.len() >= 2 << 20 && scan.len() < (2 << 20) + 4096);
            let (n, total, syn64) = frames(&scan);
            assert!(n > 20_000);
            assert_eq!(syn64, n, "every scan frame is 64 bytes");
            assert_eq!(total, n * 64);
            let mixed = Bulk::new(Mix::Mixed, c, 8 << 20).to_vec();
            let (n, total, _) = frames(&mixed);
            let avg = total / n;
            assert!((700..=900).contains(&avg), "mixed average {avg} B");
        }
    }

    #[test]
    fn series_memory_stays_bounded_and_a_late_surge_still_gets_its_timeline() {
        use crate::trace::{Trace, SYN};
        use portspike_core::engine::CELL_BUDGET;
        let mut bytes = Bulk::new(Mix::Wide, Container::Pcap, 64 << 20).to_vec();
        // After ~45 minutes of every port being busy, a sweep on 445.
        let at = MONDAY_2026_03_02_0900_NS + 2_900 * 1_000_000_000;
        let mut t = Trace::new();
        for i in 0..6000u32 {
            let dst = [10, 9, (i >> 8) as u8, i as u8];
            t.tcp(
                at + i64::from(i) * 5_000_000,
                [10, 1, 1, 23],
                dst,
                40_000,
                445,
                SYN,
                0,
            );
        }
        bytes.extend_from_slice(&t.into_pcap(65535)[24..]);
        let mut a = portspike_core::Analyzer::new(portspike_core::Params::default());
        let mut most = 0;
        for c in bytes.chunks(1 << 20) {
            a.feed(c);
            assert!(a.cells_held() <= CELL_BUDGET, "{} cells", a.cells_held());
            // Every part of the engine's state is bounded: 65 Ki busy ports,
            // 65 Ki sources, days of bins, in well under 128 MiB.
            let parts = a.footprint();
            let total: usize = parts.iter().map(|p| p.1).sum();
            assert!(total < 80 << 20, "{parts:?}");
            most = most.max(total);
        }
        assert!(most > 16 << 20, "the footprint counts what is held: {most}");
        // A preview lists the top ports only; the report has them all.
        let p = a.preview();
        assert_eq!(p.ports.len(), portspike_core::PREVIEW_PORTS);
        // Timelines for the top ports only (and any with a finding).
        let timelines = p.ports.iter().filter(|x| x.series.is_some()).count();
        assert!(
            timelines >= portspike_core::PREVIEW_SERIES
                && timelines <= portspike_core::PREVIEW_SERIES + p.spikes.len(),
            "{timelines} timelines, {} findings",
            p.spikes.len()
        );
        let r = a.finish();
        assert!(r.ports.len() > 60_000, "{} ports", r.ports.len());
        assert!(
            r.capture
                .warnings
                .iter()
                .any(|w| w.code == "series_bounded"),
            "{:?}",
            r.capture.warnings
        );
        let sweep = r.spikes.iter().find(|s| s.proto == "tcp" && s.port == 445);
        assert!(
            sweep.is_some_and(|s| s.kind == "sweep"),
            "{:?}",
            r.spikes.first()
        );
        let port = r.ports.iter().find(|p| p.proto == "tcp" && p.port == 445);
        assert!(port.is_some_and(|p| p.series.is_some()));
    }

    #[test]
    fn a_browser_tab_keeps_a_quarter_of_the_timelines_and_the_ports_asked_for() {
        use portspike_core::engine::Limits;
        let bytes = Bulk::new(Mix::Wide, Container::Pcap, 16 << 20).to_vec();
        let run = |protect: &[(portspike_core::decode::Proto, u16)]| {
            let mut a = portspike_core::Analyzer::with_limits(
                portspike_core::Params::default(),
                Limits::COMPACT,
            );
            a.protect(protect);
            let mut most = 0;
            for c in bytes.chunks(1 << 20) {
                a.feed(c);
                assert!(a.cells_held() <= Limits::COMPACT.cells);
                most = most.max(a.footprint().iter().map(|p| p.1).sum::<usize>());
            }
            (a.finish(), most)
        };
        let (r, most) = run(&[]);
        assert!(most < 48 << 20, "{most} bytes of state");
        let w = r
            .capture
            .warnings
            .iter()
            .find(|w| w.code == "series_bounded");
        let expected = format!(
            "the memory bounds are {} cells and {} ports with a timeline",
            Limits::COMPACT.cells,
            Limits::COMPACT.details
        );
        assert!(w.is_some_and(|w| w.message.contains(&expected)), "{w:?}");
        // A quiet port without a timeline gets one when asked for.
        let quiet = r.ports.iter().rev().find(|p| p.series.is_none()).unwrap();
        let port = (portspike_core::decode::Proto::Udp, quiet.port);
        assert_eq!(quiet.proto, "udp");
        let (again, _) = run(&[port]);
        let p = again
            .ports
            .iter()
            .find(|p| p.proto == "udp" && p.port == port.1);
        let series = p.and_then(|p| p.series.as_ref()).expect("a timeline");
        assert_eq!(series.packets.iter().sum::<u64>(), quiet.totals.packets);
    }

    #[test]
    fn pieces_equal_the_whole() {
        let whole = Bulk::new(Mix::Mixed, Container::Pcapng, 1 << 20).to_vec();
        let mut b = Bulk::new(Mix::Mixed, Container::Pcapng, 1 << 20);
        let mut pieces = Vec::new();
        while b.fill(&mut pieces, 10_000) {}
        assert_eq!(whole, pieces);
    }

    #[test]
    fn the_engine_sees_the_traffic() {
        let r = portspike_core::analyze_bytes(
            &Bulk::new(Mix::Mixed, Container::Pcap, 4 << 20).to_vec(),
            portspike_core::Params::default(),
        );
        let https = r
            .ports
            .iter()
            .find(|p| p.port == 443)
            .map(|p| p.totals.packets);
        assert!(https.is_some_and(|n| n > 500), "{https:?}");
        assert!(r.capture.error.is_none() && r.capture.decode_errors == 0);
    }
}
