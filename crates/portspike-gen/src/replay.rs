//! Background traffic from real captures, for the labeled benchmark.
//!
//! A capture's packets are a *tile*: its sessions as they were recorded,
//! timed from its first packet. [`Background::fill`] lays tiles one after
//! another on a timeline (at random gaps or at a fixed period), each with
//! its own addresses: every address of a tile is remapped by a hash salted
//! with the tile's number, so two tiles of one capture look like two other
//! sets of hosts doing the same thing. Multicast, broadcast, loopback and
//! unspecified addresses keep their meaning. The same seed gives the same
//! bytes.
//!
//! [`one_way`] keeps one direction of a capture (what an inbound-only tap or
//! a network telescope records).

// Every index below is checked against the frame's length first (or comes
// from a fixed-size array); frames too short for a header are left as they are.
#![allow(clippy::indexing_slicing)]

use crate::clock::MONDAY_2026_03_02_0900_NS;
use crate::rng::Rng;
use crate::trace::Trace;
use portspike_core::capture::Reader;
use portspike_core::compress::Input;
use portspike_core::writer::PcapWriter;

/// Ethernet header put in front of frames of other link types.
const ETH_MACS: [u8; 12] = [2, 0, 0, 0, 0, 0xfe, 2, 0, 0, 0, 0, 1];

/// A tile holds at most this much of its capture (from its first packet):
/// a capture recorded over hours is a few minutes of its sessions here.
pub const TILE_MAX_NS: i64 = 120 * 1_000_000_000;

/// One capture's packets as Ethernet frames, timed from its first packet.
#[derive(Debug, Clone)]
pub struct Tile {
    pub name: String,
    packets: Vec<(i64, Vec<u8>)>,
}

impl Tile {
    /// Read a capture (pcap or pcapng, optionally compressed). Frames of
    /// link types other than Ethernet, raw IP, Linux SLL and BSD loopback
    /// are left out; so is everything past [`TILE_MAX_NS`] and past a fault.
    pub fn load(name: &str, bytes: &[u8]) -> Result<Tile, String> {
        let mut raw = frames(bytes);
        if raw.is_empty() {
            return Err(format!("{name}: no Ethernet or IP packets to replay"));
        }
        raw.sort_by_key(|(t, _)| *t);
        // Timed from the median packet's neighbourhood: a lone packet dated
        // years away must not stretch the tile.
        let mid = raw.get(raw.len() / 2).map_or(0, |(t, _)| *t);
        let t0 = raw
            .iter()
            .map(|(t, _)| *t)
            .find(|t| mid - t <= TILE_MAX_NS)
            .unwrap_or(mid);
        let packets = raw
            .into_iter()
            .filter(|(t, _)| *t >= t0 && *t - t0 <= TILE_MAX_NS)
            .map(|(t, p)| (t - t0, p))
            .collect();
        Ok(Tile {
            name: name.to_string(),
            packets,
        })
    }

    /// Time from the first packet to the last, in ns.
    pub fn span_ns(&self) -> i64 {
        self.packets.last().map_or(0, |(t, _)| *t)
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }
}

/// How tiles follow each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// Each tile starts a random 2–12 s after the one before, from a capture
    /// picked at random.
    Random,
    /// Each tile starts `period_s` after the one before, the captures taken
    /// in turn.
    Periodic { period_s: f64 },
}

/// Real captures to replay as background.
#[derive(Debug, Clone)]
pub struct Background {
    pub tiles: Vec<Tile>,
    pub placement: Placement,
}

impl Background {
    /// Lay tiles over `[start, end)` (ns) into `trace`; returns how many.
    pub fn fill(&self, trace: &mut Trace, rng: &mut Rng, start: i64, end: i64) -> usize {
        if self.tiles.is_empty() {
            return 0;
        }
        let mut t = start;
        let mut n = 0usize;
        while t < end {
            let tile = match self.placement {
                Placement::Random => self
                    .tiles
                    .get(rng.range(0, self.tiles.len() as u64 - 1) as usize),
                Placement::Periodic { .. } => self.tiles.get(n % self.tiles.len()),
            };
            let Some(tile) = tile else { break };
            let salt = rng.next_u64();
            for (dt, frame) in &tile.packets {
                if t + dt >= end {
                    break;
                }
                let mut f = frame.clone();
                remap(&mut f, salt);
                trace.raw(t + dt, f);
            }
            n += 1;
            t += match self.placement {
                Placement::Random => rng.range(2000, 12000) as i64 * 1_000_000,
                Placement::Periodic { period_s } => (period_s.max(0.001) * 1e9) as i64,
            };
        }
        n
    }
}

/// A capture's packets as Ethernet frames with their timestamps (ns), in
/// capture order; frames of link types [`to_ethernet`] does not convert are
/// left out, and so is everything past a fault.
fn frames(bytes: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let mut input = Input::new();
    let mut reader = Reader::new();
    reader.set_index_limit(0);
    let mut raw: Vec<(i64, Vec<u8>)> = Vec::new();
    {
        let mut on_frame = |f: portspike_core::capture::Frame<'_>| {
            if let Some(eth) = to_ethernet(f.linktype, f.data) {
                raw.push((f.ts_ns, eth));
            }
        };
        let mut sink = |b: &[u8]| reader.feed(b, &mut on_frame);
        input.feed(bytes, &mut sink);
        input.finish(&mut sink);
    }
    reader.finish();
    raw
}

fn eth(ethertype: u16, l3: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(14 + l3.len());
    v.extend_from_slice(&ETH_MACS);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(l3);
    v
}

fn by_version(l3: &[u8]) -> Option<Vec<u8>> {
    match l3.first().map(|b| b >> 4) {
        Some(4) => Some(eth(0x0800, l3)),
        Some(6) => Some(eth(0x86dd, l3)),
        _ => None,
    }
}

/// The frame as Ethernet, or `None` for a link type this does not replay.
fn to_ethernet(linktype: u32, data: &[u8]) -> Option<Vec<u8>> {
    match linktype {
        1 => Some(data.to_vec()),
        12 | 14 | 101 | 228 | 229 => by_version(data),
        0 | 108 => by_version(data.get(4..)?),
        113 => {
            let proto = u16::from_be_bytes([*data.get(14)?, *data.get(15)?]);
            matches!(proto, 0x0800 | 0x86dd).then(|| eth(proto, data.get(16..).unwrap_or(&[])))
        }
        _ => None,
    }
}

fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn remap_v4(a: &mut [u8], salt: u64) {
    let [o0, _, _, o3] = match <[u8; 4]>::try_from(&*a) {
        Ok(v) => v,
        Err(_) => return,
    };
    if o0 == 0 || o0 == 127 || o0 >= 224 || o3 == 255 {
        return;
    }
    let h = mix(u64::from(u32::from_be_bytes([o0, a[1], a[2], o3])) ^ salt).to_be_bytes();
    // The first octet (the address's kind: private, public) stays.
    a[1] = h[0];
    a[2] = h[1];
    a[3] = 1 + h[2] % 254;
}

fn remap_v6(a: &mut [u8], salt: u64) {
    if a.len() != 16 || a[0] == 0xff || a.iter().take(15).all(|b| *b == 0) {
        return;
    }
    let mut iid = [0u8; 8];
    iid.copy_from_slice(&a[8..16]);
    let h = mix(u64::from_be_bytes(iid) ^ salt ^ 0x6);
    a[8..16].copy_from_slice(&h.to_be_bytes());
}

fn ipv4_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for (i, w) in h.chunks(2).enumerate() {
        if i == 5 {
            continue;
        }
        let hi = u32::from(*w.first().unwrap_or(&0));
        let lo = u32::from(*w.get(1).unwrap_or(&0));
        sum += (hi << 8) | lo;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Remap the addresses of an IP packet starting at `off` (and of the packet
/// an ICMP error quotes); returns nothing: frames it cannot parse stay as they are.
fn remap_ip(f: &mut [u8], off: usize, salt: u64, depth: u8) {
    match f.get(off).map(|b| b >> 4) {
        Some(4) => {
            let ihl = usize::from(f.get(off).map_or(0, |b| b & 0xf)) * 4;
            if ihl < 20 || f.len() < off + ihl {
                return;
            }
            remap_v4(&mut f[off + 12..off + 16], salt);
            remap_v4(&mut f[off + 16..off + 20], salt);
            if depth == 0 {
                let c = ipv4_checksum(&f[off..off + ihl]);
                f[off + 10..off + 12].copy_from_slice(&c.to_be_bytes());
                let icmp = off + ihl;
                // Destination unreachable, time exceeded, parameter problem.
                if f.get(off + 9) == Some(&1) && matches!(f.get(icmp), Some(3 | 11 | 12)) {
                    remap_ip(f, icmp + 8, salt, 1);
                }
            }
        }
        Some(6) => {
            if f.len() < off + 40 {
                return;
            }
            remap_v6(&mut f[off + 8..off + 24], salt);
            remap_v6(&mut f[off + 24..off + 40], salt);
            if depth == 0 && f.get(off + 6) == Some(&58) && matches!(f.get(off + 40), Some(1..=4)) {
                remap_ip(f, off + 48, salt, 1);
            }
        }
        _ => {}
    }
}

/// Remap an Ethernet frame's IP addresses (after any VLAN tags).
fn remap(f: &mut [u8], salt: u64) {
    let mut off = 12;
    while let (Some(a), Some(b)) = (f.get(off), f.get(off + 1)) {
        match u16::from_be_bytes([*a, *b]) {
            0x8100 | 0x88a8 => off += 4,
            0x0800 | 0x86dd => {
                remap_ip(f, off + 2, salt, 0);
                return;
            }
            _ => return,
        }
    }
}

/// Real captures repeated to any size, for benchmarks on real traffic
/// (`portspike bulk --from`): the tiles in turn, each repetition starting
/// [`REPEAT_GAP_NS`] after the one before ends, with addresses of its own
/// (every address remapped by a hash salted with the repetition's number,
/// as [`Background::fill`] does), written as a nanosecond Ethernet pcap.
/// The same tiles and size give the same bytes.
#[derive(Debug)]
pub struct Repeat {
    tiles: Vec<Tile>,
    target: u64,
    written: u64,
    header_done: bool,
    /// The repetition under way, its next packet and its start (ns).
    rep: u64,
    next: usize,
    start_ns: i64,
    frame: Vec<u8>,
    /// Packets written so far.
    pub packets: u64,
    /// Repetitions begun so far.
    pub repetitions: u64,
}

/// Time between the end of one repetition and the start of the next.
pub const REPEAT_GAP_NS: i64 = 1_000_000_000;

impl Repeat {
    /// About `target_bytes` of `tiles` (it ends at the first packet past it).
    pub fn new(tiles: Vec<Tile>, target_bytes: u64) -> Self {
        Repeat {
            tiles,
            target: target_bytes,
            written: 0,
            header_done: false,
            rep: 0,
            next: 0,
            start_ns: MONDAY_2026_03_02_0900_NS,
            frame: Vec::with_capacity(1 << 16),
            packets: 0,
            repetitions: 0,
        }
    }

    /// Append the next piece (about `max` bytes) to `out`; false when done.
    pub fn fill(&mut self, out: &mut Vec<u8>, max: usize) -> bool {
        let begin = out.len();
        if !self.header_done {
            self.header_done = true;
            out.extend_from_slice(&PcapWriter::new_nanos(1, 1 << 18).into_bytes());
        }
        if self.tiles.iter().all(Tile::is_empty) {
            self.written += (out.len() - begin) as u64;
            return out.len() > begin;
        }
        while out.len() - begin < max && self.written + (out.len() - begin) as u64 <= self.target {
            let n = self.tiles.len() as u64;
            let Some(tile) = self.tiles.get((self.rep % n) as usize) else {
                break;
            };
            let Some((dt, frame)) = tile.packets.get(self.next) else {
                // This repetition is over: the next starts after a gap.
                if self.next > 0 {
                    self.start_ns += tile.span_ns() + REPEAT_GAP_NS;
                }
                self.rep += 1;
                self.next = 0;
                continue;
            };
            if self.next == 0 {
                self.repetitions += 1;
            }
            self.frame.clear();
            self.frame.extend_from_slice(frame);
            remap(&mut self.frame, mix(self.rep ^ 0x7e9e_a7e5));
            let ts = self.start_ns + dt;
            let len = self.frame.len() as u32;
            out.extend_from_slice(&(ts.div_euclid(1_000_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&(ts.rem_euclid(1_000_000_000) as u32).to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&self.frame);
            self.next += 1;
            self.packets += 1;
        }
        self.written += (out.len() - begin) as u64;
        out.len() > begin
    }
}

/// Which side of a capture [`one_way`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Packets towards the service port (an inbound tap of servers).
    Client,
    /// Packets from the service port, and ICMP (a copy of servers' answers).
    Server,
    /// Packets sent by one address.
    From(std::net::IpAddr),
}

impl Side {
    pub fn parse(s: &str) -> Result<Side, String> {
        match s {
            "client" => Ok(Side::Client),
            "server" => Ok(Side::Server),
            _ => s
                .strip_prefix("from=")
                .and_then(|a| a.parse().ok())
                .map(Side::From)
                .ok_or_else(|| format!("{s:?}: expected client, server or from=ADDRESS")),
        }
    }
}

/// Whether `side` keeps this Ethernet frame.
fn keeps(f: &[u8], side: Side) -> bool {
    use portspike_core::decode::{Decoded, L4};
    let Decoded::Ip(p) = portspike_core::decode::decode(1, f) else {
        return false;
    };
    match side {
        Side::From(a) => p.src == a,
        Side::Client | Side::Server => {
            let towards_service = match p.l4 {
                L4::Ports {
                    proto,
                    sport,
                    dport,
                    flags,
                    ..
                } => {
                    portspike_core::flows::service_port(proto, sport, dport, flags, None) == dport
                        && sport != dport
                }
                _ => false,
            };
            towards_service == (side == Side::Client)
        }
    }
}

/// One direction of a capture: the packets `side` keeps, as an Ethernet
/// pcap (what a one-way tap or a network telescope records).
pub fn one_way(bytes: &[u8], side: Side) -> Result<Vec<u8>, String> {
    let all = frames(bytes);
    if all.is_empty() {
        return Err("no Ethernet or IP packets in the capture".into());
    }
    let mut tr = Trace::new();
    for (t, f) in all {
        if keeps(&f, side) {
            tr.raw(t, f);
        }
    }
    Ok(tr.into_pcap(65535))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::trace::{Trace, SYN};

    fn tiny() -> Vec<u8> {
        let mut tr = Trace::new();
        tr.tcp(1_000, [10, 0, 0, 1], [93, 184, 216, 34], 50000, 80, SYN, 0);
        tr.udp(2_000_000, [10, 0, 0, 1], [224, 0, 0, 251], 5353, 5353, 10);
        tr.icmp_unreachable(3_000_000, [10, 0, 0, 9], [10, 0, 0, 1], 40000, 53);
        tr.into_pcap(256)
    }

    #[test]
    fn tiles_get_their_own_addresses_and_keep_group_addresses() {
        let tile = Tile::load("tiny", &tiny()).unwrap();
        assert_eq!(tile.len(), 3);
        let bg = Background {
            tiles: vec![tile],
            placement: Placement::Periodic { period_s: 1.0 },
        };
        let mut tr = Trace::new();
        let n = bg.fill(&mut tr, &mut Rng::new(1), 0, 3_000_000_000);
        assert_eq!(n, 3);
        let r =
            portspike_core::analyze_bytes(&tr.into_pcap(256), portspike_core::Params::default());
        assert!(r.capture.error.is_none());
        assert_eq!(r.capture.decode_errors, 0);
        let http = r.ports.iter().find(|p| p.port == 80).unwrap();
        // Three tiles: three clients and three servers, none of them the original.
        assert_eq!((http.totals.sources, http.totals.destinations), (3, 3));
        let mdns = r.ports.iter().find(|p| p.port == 5353).unwrap();
        assert_eq!(mdns.totals.destinations, 1, "the group address stays");
    }

    #[test]
    fn the_quoted_packet_of_an_icmp_error_is_remapped_with_its_tile() {
        let mut f = Vec::new();
        let mut tr = Trace::new();
        tr.icmp_unreachable(0, [10, 0, 0, 9], [10, 0, 0, 1], 40000, 53);
        let pcap = tr.into_pcap(256);
        let mut reader = Reader::new();
        reader.feed(&pcap, &mut |fr| f = fr.data.to_vec());
        remap(&mut f, 42);
        // Outer 10.0.0.9 → 10.0.0.1; quoted 10.0.0.1 → 10.0.0.9, remapped alike.
        let (outer_src, outer_dst) = (&f[26..30], &f[30..34]);
        let inner = 14 + 20 + 8;
        assert_eq!(&f[inner + 12..inner + 16], outer_dst);
        assert_eq!(&f[inner + 16..inner + 20], outer_src);
        assert_ne!(outer_src, &[10, 0, 0, 9]);
        assert_eq!(
            ipv4_checksum(&f[14..34]),
            u16::from_be_bytes([f[24], f[25]])
        );
    }

    #[test]
    fn repeat_lays_repetitions_end_to_end_with_their_own_addresses() {
        let tile = Tile::load("tiny", &tiny()).unwrap();
        let mut g = Repeat::new(vec![tile.clone()], 2_000);
        let mut out = Vec::new();
        while g.fill(&mut out, 100) {}
        assert!(out.len() >= 2_000 && out.len() < 2_200, "{}", out.len());
        assert_eq!(g.packets as usize, frames(&out).len());
        let reps = g.repetitions;
        assert!(reps >= 5, "{reps}");
        // Time goes on from one repetition to the next.
        let ts: Vec<i64> = frames(&out).iter().map(|(t, _)| *t).collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ts[3] - ts[0], tile.span_ns() + REPEAT_GAP_NS);
        let r = portspike_core::analyze_bytes(&out, portspike_core::Params::default());
        assert!(r.capture.error.is_none());
        assert_eq!(r.capture.decode_errors, 0);
        let http = r.ports.iter().find(|p| p.port == 80).unwrap();
        assert_eq!(
            http.totals.sources, reps,
            "a client of its own per repetition"
        );
        let mdns = r.ports.iter().find(|p| p.port == 5353).unwrap();
        assert_eq!(mdns.totals.destinations, 1, "the group address stays");
        // The same input, the same bytes, whatever the pieces.
        let mut again = Repeat::new(vec![tile], 2_000);
        let mut out2 = Vec::new();
        while again.fill(&mut out2, 1 << 20) {}
        assert_eq!(out, out2);
    }

    #[test]
    fn one_way_keeps_one_direction() {
        let only = Side::parse("from=10.0.0.1").unwrap();
        let r = portspike_core::analyze_bytes(
            &one_way(&tiny(), only).unwrap(),
            portspike_core::Params::default(),
        );
        assert_eq!(r.capture.packets, 2);
        let r = portspike_core::analyze_bytes(
            &one_way(&tiny(), Side::Client).unwrap(),
            portspike_core::Params::default(),
        );
        assert_eq!(
            r.capture.packets, 1,
            "the SYN to port 80 (mDNS has no service side)"
        );
        let r = portspike_core::analyze_bytes(
            &one_way(&tiny(), Side::Server).unwrap(),
            portspike_core::Params::default(),
        );
        assert_eq!(r.capture.packets, 2, "the ICMP error and the mDNS datagram");
    }
}
