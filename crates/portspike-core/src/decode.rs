//! Link layer → IP → TCP/UDP/ICMP, into a small `Copy` summary.
//!
//! etherparse slices Ethernet (with VLAN tags), IPv4 and IPv6 with their
//! extension headers; the small link layers it does not know (BSD NULL/LOOP,
//! Linux SLL/SLL2, raw IP) are stripped here first. Ports are read from the
//! first four bytes of the transport header, the way tshark shows them even in
//! a snaplen-cut packet; only the first fragment of a fragmented datagram
//! carries them.

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket};
use std::net::IpAddr;

/// TCP flag bits as in the header's 13th byte.
/// How a TCP packet counts in a flag mix: by its first flag of SYN,
/// SYN-ACK, RST, FIN; anything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagMix {
    Syn,
    SynAck,
    Rst,
    Fin,
    Other,
}

impl FlagMix {
    pub fn of(f: u8) -> Self {
        let has = |bit: u8| f & bit != 0;
        match () {
            _ if has(tcp_flags::SYN) && !has(tcp_flags::ACK) => FlagMix::Syn,
            _ if has(tcp_flags::SYN) => FlagMix::SynAck,
            _ if has(tcp_flags::RST) => FlagMix::Rst,
            _ if has(tcp_flags::FIN) => FlagMix::Fin,
            _ => FlagMix::Other,
        }
    }
}

pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
}

/// What a row of the ports table counts: a TCP or UDP port, or, for
/// packets without ports, an ICMP type, an IP protocol number, or the IP
/// protocol of later fragments. Every IP packet counts in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    /// ICMP for IPv4; the row's "port" is the message type (8: echo request).
    Icmp,
    /// ICMPv6; the row's "port" is the message type (128: echo request).
    Icmpv6,
    /// Any other IP protocol; the row's "port" is its number (47: GRE), or
    /// [`crate::services::OTHER_IP`] for the numbers without a row of their own.
    Ip,
    /// Later fragments of a fragmented datagram (no transport header); the
    /// row's "port" is the datagram's IP protocol (17: UDP), as for `Ip`.
    Fragment,
}

crate::names::named_enum!(Proto {
    Tcp => "tcp",
    Udp => "udp",
    Icmp => "icmp",
    Icmpv6 => "icmpv6",
    Ip => "ip",
    Fragment => "fragment",
});

impl Proto {
    /// The protocol [`Proto::as_str`] names.
    pub fn parse(s: &str) -> Option<Proto> {
        Proto::from_name(s)
    }

    /// A transport protocol with ports (TCP, UDP), whose rows count
    /// connections, answers and scans; the others count packets only.
    pub const fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp)
    }
}

/// A row of the ports table by name: its protocol and port, written
/// `tcp/445` (the report keeps the two as its `proto` and `port` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortKey {
    pub proto: Proto,
    pub port: u16,
}

impl PortKey {
    pub const fn new(proto: Proto, port: u16) -> PortKey {
        PortKey { proto, port }
    }
}

impl From<(Proto, u16)> for PortKey {
    fn from((proto, port): (Proto, u16)) -> PortKey {
        PortKey { proto, port }
    }
}

impl std::fmt::Display for PortKey {
    /// `tcp/445`, padded as a whole when a width is asked for.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.width().is_none() && f.precision().is_none() {
            write!(f, "{}/{}", self.proto.as_str(), self.port)
        } else {
            f.pad(&format!("{}/{}", self.proto.as_str(), self.port))
        }
    }
}

/// Why a text is not a [`PortKey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKeyError {
    /// No `/` between a protocol and a port.
    NoSlash,
    /// Not one of [`Proto::ALL`]'s names (never taken for TCP).
    Proto(String),
    /// Not a port number from 0 to 65535.
    Port(String),
}

impl std::fmt::Display for PortKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortKeyError::NoSlash => f.write_str("expected a protocol and a port, like tcp/445"),
            PortKeyError::Proto(p) => write!(
                f,
                "{p:?} is not a protocol (tcp, udp, icmp, icmpv6, ip, fragment)"
            ),
            PortKeyError::Port(p) => write!(f, "{p:?} is not a port (0 to 65535)"),
        }
    }
}

impl std::error::Error for PortKeyError {}

impl std::str::FromStr for PortKey {
    type Err = PortKeyError;

    /// `tcp/445`: a protocol exactly as [`Proto::as_str`] names it, a
    /// slash and a port up to 65535.
    fn from_str(s: &str) -> Result<PortKey, PortKeyError> {
        let (proto, port) = s.split_once('/').ok_or(PortKeyError::NoSlash)?;
        let proto = Proto::from_name(proto).ok_or_else(|| PortKeyError::Proto(proto.into()))?;
        let port = port.parse().map_err(|_| PortKeyError::Port(port.into()))?;
        Ok(PortKey { proto, port })
    }
}

/// Transport summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    /// TCP or UDP with both ports; `flags` is 0 for UDP or when the TCP header
    /// was cut before the flags. `payload`: transport payload bytes the IP
    /// header announces (0 when unknown).
    Ports {
        proto: Proto,
        sport: u16,
        dport: u16,
        flags: u8,
        payload: u16,
    },
    /// ICMP (v4 or v6) with its type and code, and for an error the packet it quotes.
    Icmp {
        v6: bool,
        ty: u8,
        code: u8,
        quoted: Option<Quoted>,
    },
    /// A later fragment: no transport header.
    Fragment { ip_proto: u8 },
    /// Another IP protocol, or a transport header too short to read.
    Other { ip_proto: u8 },
}

impl L4 {
    /// The row of the ports table a packet without ports counts in: ICMP
    /// and ICMPv6 by message type, later fragments and any other IP
    /// protocol by protocol number. `None` for TCP and UDP, whose row is
    /// a port chosen by the engine.
    pub fn portless_row(&self) -> Option<(Proto, u16)> {
        match *self {
            L4::Ports { .. } => None,
            L4::Icmp { v6: false, ty, .. } => Some((Proto::Icmp, u16::from(ty))),
            L4::Icmp { v6: true, ty, .. } => Some((Proto::Icmpv6, u16::from(ty))),
            L4::Fragment { ip_proto } => Some((Proto::Fragment, crate::services::ip_row(ip_proto))),
            L4::Other { ip_proto } => Some((Proto::Ip, crate::services::ip_row(ip_proto))),
        }
    }
}

/// One decoded IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub l4: L4,
}

/// What a frame turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    Ip(Packet),
    /// A link-layer frame that carries no IP (ARP, LLDP, …).
    NotIp,
    /// A link type this decoder does not handle.
    UnsupportedLink,
    /// Too short or malformed to find the IP header.
    Malformed,
}

/// Is this link type one we decode?
pub fn link_supported(linktype: u32) -> bool {
    matches!(
        linktype,
        0 | 1 | 7 | 12 | 14 | 101 | 105 | 108 | 113 | 127 | 129 | 192 | 228 | 229 | 239 | 276
    )
}

/// Human name of a link type.
pub fn link_name(linktype: u32) -> String {
    let dl = pcap_file::DataLink::from(linktype);
    match dl {
        pcap_file::DataLink::Unknown(n) => format!("LINKTYPE_{n}"),
        other => format!("{other:?}"),
    }
}

/// How many encapsulations (PPI, tunnels) are followed before giving up.
pub const MAX_DEPTH: u8 = 6;

/// Decode one frame of the given link type.
pub fn decode(linktype: u32, data: &[u8]) -> Decoded {
    link(linktype, data, 0)
}

thread_local! {
    /// Set when a frame nests deeper than the decoder follows.
    static TOO_DEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn too_deep() {
    TOO_DEEP.with(|c| c.set(true));
}

/// [`decode`], and whether the frame nests deeper than the decoder follows
/// (tunnels past [`MAX_DEPTH`] layers, VLAN tags past etherparse's stack):
/// what is returned then is an outer layer, whose ports the port view lacks.
pub fn decode_depth(linktype: u32, data: &[u8]) -> (Decoded, bool) {
    TOO_DEEP.with(|c| c.set(false));
    let d = link(linktype, data, 0);
    (d, TOO_DEEP.with(std::cell::Cell::get))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u16::from_be_bytes(s))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u16::from_le_bytes(s))
}

fn link(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    if depth > MAX_DEPTH {
        too_deep();
        return Decoded::Malformed;
    }
    match linktype {
        1 if depth == 0 => match fast_ethernet_ipv4(data) {
            Some(d) => d,
            None => link_slow(linktype, data, depth),
        },
        _ => link_slow(linktype, data, depth),
    }
}

/// The common case in a few loads: untagged Ethernet, an IPv4 header without
/// options, not a fragment, carrying TCP or UDP, not cut short. Anything else
/// returns `None` and takes the general path (which gives the same answer
/// for these frames; a test compares them).
fn fast_ethernet_ipv4(data: &[u8]) -> Option<Decoded> {
    let h: &[u8; 34] = data.get(..34)?.try_into().ok()?;
    if h[12..14] != [0x08, 0x00] || h[14] != 0x45 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[16], h[17]]));
    // Flags and fragment offset: only DF may be set.
    let frag = u16::from_be_bytes([h[20], h[21]]) & 0xbfff;
    let proto = h[23];
    if frag != 0 || total < 20 || 14 + total > data.len() || !(proto == 6 || proto == 17) {
        return None;
    }
    let src = IpAddr::V4(std::net::Ipv4Addr::new(h[26], h[27], h[28], h[29]));
    let dst = IpAddr::V4(std::net::Ipv4Addr::new(h[30], h[31], h[32], h[33]));
    let payload = data.get(34..14 + total)?;
    Some(Decoded::Ip(Packet {
        src,
        dst,
        l4: transport(IpNumber(proto), payload, total - 20, true),
    }))
}

fn link_slow(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    match linktype {
        1 => match LaxSlicedPacket::from_ethernet(data) {
            Ok(s) => sliced(&s, depth),
            Err(_) => Decoded::Malformed,
        },
        // Raw IP: 12 and 14 are the historical values of LINKTYPE_RAW on some systems.
        12 | 14 | 101 => ip(data, depth),
        // LINKTYPE_IPV4 / LINKTYPE_IPV6 carry only that version.
        228 | 229 => {
            let want = if linktype == 228 { 4 } else { 6 };
            match data.first() {
                Some(v) if v >> 4 == want => ip(data, depth),
                Some(_) => Decoded::Malformed,
                None => Decoded::Malformed,
            }
        }
        0 | 108 => null_loop(linktype, data, depth),
        // Linux cooked capture v1: 16-byte header, protocol at 14.
        113 => match (be16(data, 14), data.get(16..)) {
            (Some(et), Some(rest)) => ether_type(et, rest, depth),
            _ => Decoded::Malformed,
        },
        // Linux cooked capture v2: 20-byte header, protocol at 0.
        276 => match (be16(data, 0), data.get(20..)) {
            (Some(et), Some(rest)) => ether_type(et, rest, depth),
            _ => Decoded::Malformed,
        },
        105 => ieee80211(data, depth),
        // Radiotap: version, pad, little-endian length, then the 802.11 frame.
        127 => match le16(data, 2).and_then(|n| data.get(n as usize..)) {
            Some(rest) => ieee80211(rest, depth),
            None => Decoded::Malformed,
        },
        // PPI: version, flags, LE length, LE link type of what follows.
        192 => {
            let (Some(len), Some(dlt)) = (
                le16(data, 2),
                data.get(4..8)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_le_bytes),
            ) else {
                return Decoded::Malformed;
            };
            match data.get(len as usize..) {
                Some(rest) => link(dlt, rest, depth + 1),
                None => Decoded::Malformed,
            }
        }
        239 => nflog(data, depth),
        7 | 129 => arcnet(linktype, data, depth),
        _ => Decoded::UnsupportedLink,
    }
}

/// BSD NULL (host byte order) and LOOP (network byte order): a 4-byte
/// address family, or on some systems an Ethernet type.
fn null_loop(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    let (Some(&af), Some(rest)) = (data.first_chunk::<4>(), data.get(4..)) else {
        return Decoded::Malformed;
    };
    let mut v = if linktype == 108 {
        u32::from_be_bytes(af)
    } else {
        u32::from_le_bytes(af)
    };
    // Written on a machine of the other byte order (as Wireshark reads it).
    if linktype == 0 && v & 0xffff_0000 != 0 {
        v = v.swap_bytes();
    }
    if v > 1500 {
        return ether_type(v as u16, rest, depth);
    }
    match v {
        2 => ip(rest, depth),
        24 | 28 | 30 => ip(rest, depth),
        _ => Decoded::NotIp,
    }
}

/// 802.11: data frames only; LLC/SNAP gives the Ethernet type.
fn ieee80211(data: &[u8], depth: u8) -> Decoded {
    let (Some(&fc0), Some(&fc1)) = (data.first(), data.get(1)) else {
        return Decoded::Malformed;
    };
    let ty = (fc0 >> 2) & 3;
    let subtype = fc0 >> 4;
    if ty != 2 || subtype & 0x4 != 0 {
        return Decoded::NotIp; // management, control, or a data frame with no body
    }
    if fc1 & 0x40 != 0 {
        return Decoded::NotIp; // protected: encrypted payload
    }
    let mut hdr = 24;
    if fc1 & 0x03 == 0x03 {
        hdr += 6; // fourth address
    }
    if subtype & 0x8 != 0 {
        hdr += 2; // QoS control
        if fc1 & 0x80 != 0 {
            hdr += 4; // HT control
        }
    }
    match (
        data.get(hdr..hdr + 6),
        be16(data, hdr + 6),
        data.get(hdr + 8..),
    ) {
        (Some([0xaa, 0xaa, 0x03, _, _, _]), Some(et), Some(rest)) => ether_type(et, rest, depth),
        (Some(_), _, _) => Decoded::NotIp,
        _ => Decoded::Malformed,
    }
}

/// NFLOG: family, version, resource id, then TLVs (host-order length and
/// type); the payload TLV (type 9) holds the packet.
fn nflog(data: &[u8], depth: u8) -> Decoded {
    let mut at = 4;
    while let (Some(len), Some(ty)) = (le16(data, at), le16(data, at + 2)) {
        let len = len as usize;
        if len < 4 {
            return Decoded::Malformed;
        }
        if ty == 9 {
            return match data.get(at + 4..at + len) {
                Some(p) => ip(p, depth),
                None => Decoded::Malformed,
            };
        }
        at += len.div_ceil(4) * 4;
    }
    Decoded::NotIp
}

/// ARCNET (BSD 7, Linux 129 with a 2-byte offset field): RFC 1201 protocol
/// ids carry a split flag and a sequence number before the payload.
fn arcnet(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    let mut at = if linktype == 129 { 4 } else { 2 };
    let Some(&proto) = data.get(at) else {
        return Decoded::Malformed;
    };
    at += 1;
    let ip_proto = match proto {
        0xf0 => Some(false), // RFC 1051 IP: no split flag
        0xd4 => Some(true),  // RFC 1201 IP
        _ => None,
    };
    let Some(rfc1201) = ip_proto else {
        return Decoded::NotIp;
    };
    if rfc1201 {
        if data.get(at) == Some(&0xff) {
            at += 4; // exception packet: flag, padding, then the real header
        }
        at += 3; // split flag, sequence number
    }
    match data.get(at..) {
        Some(rest) => ip(rest, depth),
        None => Decoded::Malformed,
    }
}

fn ether_type(et: u16, rest: &[u8], depth: u8) -> Decoded {
    sliced(
        &LaxSlicedPacket::from_ether_type(EtherType(et), rest),
        depth,
    )
}

fn ip(data: &[u8], depth: u8) -> Decoded {
    // IP-in-IP nests without end in a crafted packet: the outer layers count.
    if depth > MAX_DEPTH {
        too_deep();
        return Decoded::Malformed;
    }
    match LaxSlicedPacket::from_ip(data) {
        Ok(s) => sliced(&s, depth),
        Err(_) => Decoded::Malformed,
    }
}

fn sliced(s: &LaxSlicedPacket<'_>, depth: u8) -> Decoded {
    let (src, dst, ip_number, payload, announced, first) = match &s.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let p = ip.payload();
            let announced = usize::from(h.total_len()).saturating_sub(usize::from(h.ihl()) * 4);
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                p.ip_number,
                p.payload,
                announced,
                h.fragments_offset().value() == 0,
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let first = ipv6_first_fragment(h.next_header(), ip.extensions().slice());
            let p = ip.payload();
            let announced =
                usize::from(h.payload_length()).saturating_sub(ip.extensions().slice().len());
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                p.ip_number,
                p.payload,
                announced,
                first,
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Decoded::NotIp,
        None => {
            if let Some(p) = s
                .ether_payload()
                .filter(|p| matches!(p.ether_type.0, 0x8847 | 0x8848))
            {
                return mpls(p.payload, depth + 1);
            }
            if s.link_exts.is_full()
                && s.ether_payload()
                    .is_some_and(|p| matches!(p.ether_type.0, 0x8100 | 0x88a8 | 0x9100))
            {
                // More VLAN tags than are followed: what they carry is unknown.
                too_deep();
            }
            return if s.stop_err.is_some() {
                Decoded::Malformed
            } else {
                Decoded::NotIp
            };
        }
    };
    if first {
        // Tunnels: the inner packet is the one that carries the ports.
        let inner = match ip_number.0 {
            4 | 41 => Some(ip(payload, depth + 1)),
            47 => Some(gre(payload, depth + 1)),
            103 => pim_register(payload).map(|p| ip(p, depth + 1)),
            _ => None,
        };
        if let Some(Decoded::Ip(p)) = inner {
            return Decoded::Ip(p);
        }
    }
    Decoded::Ip(Packet {
        src,
        dst,
        l4: transport(ip_number, payload, announced, first),
    })
}

/// MPLS: labels of 4 bytes up to the one marked bottom of stack, then an
/// IP packet (by its version nibble; anything else is not followed).
fn mpls(data: &[u8], depth: u8) -> Decoded {
    let mut at = 0;
    loop {
        let Some(label) = data.get(at..at + 4) else {
            return Decoded::Malformed;
        };
        at += 4;
        if label.get(2).is_some_and(|b| b & 1 == 1) {
            break;
        }
    }
    match data.get(at..) {
        Some(ip4) if ip4.first().is_some_and(|b| b >> 4 == 4 || b >> 4 == 6) => ip(ip4, depth),
        Some(_) => Decoded::NotIp,
        None => Decoded::Malformed,
    }
}

/// Walk raw IPv6 extension headers: is this the first (or only) fragment?
/// (Our own walk: etherparse 0.21's extension iterator trips over a
/// truncated last header in laxly sliced packets.)
fn ipv6_first_fragment(mut next: IpNumber, exts: &[u8]) -> bool {
    let mut at = 0usize;
    while let Some(hdr) = exts.get(at..) {
        let (Some(&nh), Some(&hl)) = (hdr.first(), hdr.get(1)) else {
            break;
        };
        let len = match next.0 {
            44 => {
                // Fragment: offset in the top 13 bits of bytes 2–3.
                return be16(hdr, 2).is_none_or(|v| v >> 3 == 0);
            }
            51 => (usize::from(hl) + 2) * 4,
            0 | 43 | 60 | 135 | 139 | 140 | 253 | 254 => (usize::from(hl) + 1) * 8,
            _ => break,
        };
        next = IpNumber(nh);
        at += len;
    }
    true
}

/// GRE (RFC 2784/2890, and the enhanced GRE of PPTP) to the inner packet.
fn gre(data: &[u8], depth: u8) -> Decoded {
    if depth > MAX_DEPTH {
        too_deep();
        return Decoded::Malformed;
    }
    let (Some(flags), Some(proto)) = (be16(data, 0), be16(data, 2)) else {
        return Decoded::Malformed;
    };
    let version = flags & 0x7;
    let mut at = 4;
    if version == 0 {
        if flags & 0xc000 != 0 {
            at += 4; // checksum (and offset) present
        }
        if flags & 0x2000 != 0 {
            at += 4; // key
        }
        if flags & 0x1000 != 0 {
            at += 4; // sequence number
        }
        if flags & 0x4000 != 0 {
            return Decoded::NotIp; // RFC 1701 source routing: not followed
        }
    } else if version == 1 {
        at += 4; // payload length and call id
        if flags & 0x1000 != 0 {
            at += 4;
        }
        if flags & 0x0080 != 0 {
            at += 4; // acknowledgment number
        }
    } else {
        return Decoded::NotIp;
    }
    let Some(rest) = data.get(at..) else {
        return Decoded::Malformed;
    };
    match proto {
        0x6558 => link(1, rest, depth + 1),
        // ERSPAN type II: an 8-byte header, then Ethernet.
        0x88be => rest
            .get(8..)
            .map_or(Decoded::Malformed, |e| link(1, e, depth + 1)),
        // Cisco MetaData: the inner EtherType, version, length, options and
        // security group tag (8 bytes), then the packet.
        0x8909 => match (be16(rest, 0), rest.get(8..)) {
            (Some(et), Some(inner)) => ether_type(et, inner, depth + 1),
            _ => Decoded::Malformed,
        },
        // PPP (PPTP): optional address/control, then a 1- or 2-byte protocol.
        0x880b => {
            let ppp = match rest {
                [0xff, 0x03, tail @ ..] => tail,
                _ => rest,
            };
            match ppp {
                [0x00, 0x21, ip4 @ ..] | [0x21, ip4 @ ..] => ip(ip4, depth + 1),
                [0x00, 0x57, ip6 @ ..] | [0x57, ip6 @ ..] => ip(ip6, depth + 1),
                _ => Decoded::NotIp,
            }
        }
        et => ether_type(et, rest, depth + 1),
    }
}

/// PIM version 2 Register messages carry a whole IP packet after 8 bytes.
fn pim_register(data: &[u8]) -> Option<&[u8]> {
    match data.first() {
        Some(0x21) => data.get(8..),
        _ => None,
    }
}

/// The packet an ICMP error quotes: its protocol and ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    pub proto: Proto,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

fn is_icmp_error(v6: bool, ty: u8) -> bool {
    if v6 {
        matches!(ty, 1..=4)
    } else {
        matches!(ty, 3 | 4 | 5 | 11 | 12)
    }
}

fn quoted(data: &[u8]) -> Option<Quoted> {
    let s = LaxSlicedPacket::from_ip(data).ok()?;
    let (src, dst, num, payload) = match &s.net {
        Some(LaxNetSlice::Ipv4(ip)) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
            ip.payload().ip_number,
            ip.payload().payload,
        ),
        Some(LaxNetSlice::Ipv6(ip)) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
            ip.payload().ip_number,
            ip.payload().payload,
        ),
        _ => return None,
    };
    let proto = match num {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        _ => return None,
    };
    Some(Quoted {
        proto,
        src,
        dst,
        sport: be16(payload, 0)?,
        dport: be16(payload, 2)?,
    })
}

fn transport(
    ip_number: IpNumber,
    payload: &[u8],
    ip_payload_len: usize,
    first_fragment: bool,
) -> L4 {
    let ip_proto = ip_number.0;
    if !first_fragment {
        return L4::Fragment { ip_proto };
    }
    let proto = match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP | IpNumber::IPV6_ICMP => {
            // ICMPv6 by its own protocol number, whichever IP carries it.
            let v6 = ip_number == IpNumber::IPV6_ICMP;
            return match payload.get(..2) {
                Some(&[ty, code]) => L4::Icmp {
                    v6,
                    ty,
                    code,
                    quoted: if is_icmp_error(v6, ty) {
                        payload.get(8..).and_then(quoted)
                    } else {
                        None
                    },
                },
                _ => L4::Other { ip_proto },
            };
        }
        _ => return L4::Other { ip_proto },
    };
    let (Some(sport), Some(dport)) = (be16(payload, 0), be16(payload, 2)) else {
        return L4::Other { ip_proto };
    };
    let (flags, header) = match proto {
        Proto::Tcp => (
            payload.get(13).copied().unwrap_or(0),
            payload.get(12).map_or(20, |b| usize::from(b >> 4) * 4),
        ),
        _ => (0, 8),
    };
    L4::Ports {
        proto,
        sport,
        dport,
        flags,
        payload: u16::try_from(ip_payload_len.saturating_sub(header)).unwrap_or(u16::MAX),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use etherparse::PacketBuilder;

    proptest::proptest! {
        #[test]
        fn a_port_key_reads_back_what_it_writes(p in 0..Proto::ALL.len(), port in 0u16..) {
            let k = PortKey::new(Proto::ALL[p], port);
            let text = k.to_string();
            proptest::prop_assert_eq!(&text, &format!("{}/{}", Proto::ALL[p], port));
            proptest::prop_assert_eq!(text.parse::<PortKey>(), Ok(k));
        }

        #[test]
        fn a_port_key_past_65535_is_refused(p in 0..Proto::ALL.len(), port in 65_536u32..) {
            let text = format!("{}/{port}", Proto::ALL[p]);
            proptest::prop_assert_eq!(
                text.parse::<PortKey>(),
                Err(PortKeyError::Port(port.to_string()))
            );
        }

        #[test]
        fn an_unknown_protocol_is_refused_not_taken_for_tcp(name in "[a-zA-Z0-9]{0,8}", port in 0u16..) {
            proptest::prop_assume!(Proto::from_name(&name).is_none());
            proptest::prop_assert_eq!(
                format!("{name}/{port}").parse::<PortKey>(),
                Err(PortKeyError::Proto(name.clone()))
            );
        }
    }

    #[test]
    fn port_keys_name_every_protocol_and_refuse_the_rest() {
        for &proto in Proto::ALL {
            for port in (0..=65_535u16).step_by(257).chain([1, 445, 65_534, 65_535]) {
                let k = PortKey::new(proto, port);
                assert_eq!(k.to_string().parse::<PortKey>(), Ok(k), "{k}");
            }
        }
        assert_eq!(PortKey::new(Proto::Tcp, 445).to_string(), "tcp/445");
        assert_eq!(
            format!("[{:<9}]", PortKey::new(Proto::Udp, 53)),
            "[udp/53   ]"
        );
        for bad in [
            "",
            "tcp",
            "tcp/",
            "/445",
            "TCP/445",
            "sctp/80",
            "tcp/65536",
            "tcp/-1",
            "tcp/4 5",
            "tcp/445/1",
        ] {
            assert!(bad.parse::<PortKey>().is_err(), "{bad:?}");
        }
        assert_eq!("tcp445".parse::<PortKey>(), Err(PortKeyError::NoSlash));
        assert_eq!(
            "sctp/80".parse::<PortKey>().unwrap_err().to_string(),
            "\"sctp\" is not a protocol (tcp, udp, icmp, icmpv6, ip, fragment)"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_general_one(
            sport in 0u16..,
            dport in 0u16..,
            udp in proptest::bool::ANY,
            payload in 0usize..64,
            edits in proptest::collection::vec((14usize..60, 0u8..), 0..4),
            cut in 0usize..8,
        ) {
            let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
            let mut f = Vec::new();
            let data = vec![7u8; payload];
            if udp {
                b.udp(sport, dport).write(&mut f, &data).unwrap();
            } else {
                b.tcp(sport, dport, 1, 1024).syn().write(&mut f, &data).unwrap();
            }
            for (at, v) in edits {
                if let Some(x) = f.get_mut(at) {
                    *x = v;
                }
            }
            f.truncate(f.len().saturating_sub(cut));
            if let Some(fast) = fast_ethernet_ipv4(&f) {
                proptest::prop_assert_eq!(fast, link_slow(1, &f, 0));
            }
        }
    }

    fn tcp_frame(sport: u16, dport: u16, syn: bool) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(sport, dport, 1, 1024);
        let b = if syn { b.syn() } else { b.ack(5) };
        let mut v = Vec::new();
        b.write(&mut v, &[]).unwrap();
        v
    }

    #[test]
    fn ip_in_ip_nested_without_end_counts_the_outer_layers() {
        // 2,000 IPv4 headers, each announcing IP-in-IP (protocol 4), around
        // nothing: the decoder follows the tunnel MAX_DEPTH layers deep and
        // counts the packet there (it once recursed once per header).
        let n = 2000usize;
        let mut raw = Vec::new();
        for i in 0..n {
            let total = u16::try_from((n - i) * 20).unwrap_or(u16::MAX);
            let mut h = [0u8; 20];
            h[0] = 0x45;
            h[2..4].copy_from_slice(&total.to_be_bytes());
            h[8] = 64;
            h[9] = 4;
            h[12..16].copy_from_slice(&[10, 0, (i >> 8) as u8, i as u8]);
            h[16..20].copy_from_slice(&[10, 1, 0, 1]);
            raw.extend_from_slice(&h);
        }
        let (Decoded::Ip(p), true) = decode_depth(101, &raw) else {
            panic!("not decoded, or not said to be too deep")
        };
        assert_eq!(p.src.to_string(), format!("10.0.0.{MAX_DEPTH}"));
        assert!(!decode_depth(101, &raw[(n - 3) * 20..]).1);
    }

    #[test]
    fn vlan_tags_past_the_stack_are_said_to_be_too_deep() {
        let f = tcp_frame(40000, 445, true);
        for tags in [0usize, 1, 2, 3, 100] {
            // Ethernet addresses, `tags` 802.1Q tags, then the IPv4 packet.
            let mut v = f[..12].to_vec();
            for _ in 0..tags {
                v.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
            }
            v.extend_from_slice(&f[12..]);
            let (d, deep) = decode_depth(1, &v);
            let ported = matches!(
                d,
                Decoded::Ip(Packet {
                    l4: L4::Ports { dport: 445, .. },
                    ..
                })
            );
            assert_eq!(deep, !ported, "{tags} tags: {d:?}");
            assert_eq!(deep, tags == 100, "{tags} tags");
        }
    }

    #[test]
    fn ethernet_ipv4_tcp_syn() {
        let f = tcp_frame(40000, 445, true);
        let Decoded::Ip(p) = decode(1, &f) else {
            panic!("not decoded")
        };
        assert_eq!(
            p.l4,
            L4::Ports {
                proto: Proto::Tcp,
                sport: 40000,
                dport: 445,
                flags: tcp_flags::SYN,
                payload: 0,
            }
        );
        assert_eq!(p.src.to_string(), "10.0.0.1");
    }

    #[test]
    fn snaplen_cut_tcp_still_has_ports() {
        let f = tcp_frame(1234, 80, false);
        // Ethernet 14 + IPv4 20 + 4 bytes of TCP
        let Decoded::Ip(p) = decode(1, &f[..38]) else {
            panic!()
        };
        assert!(matches!(
            p.l4,
            L4::Ports {
                dport: 80,
                flags: 0,
                ..
            }
        ));
    }

    /// Found by the `decode` fuzz target: an IPv6 packet whose last extension
    /// header is cut short made etherparse's extension iterator build a slice
    /// past the end (a panic in debug builds).
    #[test]
    fn regression_ipv6_truncated_extension_header() {
        let frame: [u8; 56] = [
            101, 101, 101, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 101, 101, 63, 101, 101, 101, 101,
            101, 101, 101, 101, 101, 101, 101, 101, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 101,
            101, 0, 101, 101, 101, 101, 101, 101, 101, 101, 101, 101, 40,
        ];
        for lt in [101, 229, 12] {
            let _ = decode(lt, &frame);
        }
        // A fragment header after a hop-by-hop header: later fragments carry no ports.
        let mut v6 = vec![0x60, 0, 0, 0, 0, 24, 0, 64];
        v6.extend_from_slice(&[0; 32]);
        v6.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]); // hop-by-hop, next: fragment
        v6.extend_from_slice(&[6, 0, 0x01, 0x00, 0, 0, 0, 1]); // fragment offset 32, next: TCP
        v6.extend_from_slice(&[0, 80, 1, 187, 0, 0, 0, 0]);
        let Decoded::Ip(p) = decode(101, &v6) else {
            panic!("not decoded")
        };
        assert_eq!(p.l4, L4::Fragment { ip_proto: 6 });
    }

    #[test]
    fn packets_without_ports_have_rows_of_their_own() {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
        let mut echo = Vec::new();
        b.icmpv4_echo_request(1, 1)
            .write(&mut echo, &[0; 8])
            .unwrap();
        let row = |f: &[u8]| match decode(1, f) {
            Decoded::Ip(p) => p.l4.portless_row(),
            other => panic!("{other:?}"),
        };
        assert_eq!(row(&echo), Some((Proto::Icmp, 8)));
        // IPv4 with protocol 47 (GRE) and nothing after; with 200 (unnamed).
        let mut gre = tcp_frame(1, 2, true)[..34].to_vec();
        gre[16..18].copy_from_slice(&20u16.to_be_bytes());
        gre[23] = 47;
        assert_eq!(row(&gre), Some((Proto::Ip, 47)));
        gre[23] = 200;
        assert_eq!(row(&gre), Some((Proto::Ip, crate::services::OTHER_IP)));
        // A later UDP fragment.
        let mut frag = tcp_frame(1, 2, true);
        frag[20..22].copy_from_slice(&0x0010u16.to_be_bytes());
        frag[23] = 17;
        assert_eq!(row(&frag), Some((Proto::Fragment, 17)));
        assert_eq!(row(&tcp_frame(1, 2, true)), None);
    }

    #[test]
    fn mpls_and_cisco_metadata_are_followed_to_the_ip_packet() {
        let f = tcp_frame(40000, 445, true);
        let ip4 = &f[14..];
        // Two MPLS labels, the second at the bottom of the stack.
        let mut mpls = f[..12].to_vec();
        mpls.extend_from_slice(&[0x88, 0x47, 0, 0, 0x10, 64, 0, 0, 0x21, 64]);
        mpls.extend_from_slice(ip4);
        assert!(matches!(
            decode(1, &mpls),
            Decoded::Ip(Packet {
                l4: L4::Ports { dport: 445, .. },
                ..
            })
        ));
        // GRE (no options) carrying Cisco MetaData, then IPv4.
        let mut gre = vec![0, 0, 0x89, 0x09, 0x08, 0x00, 1, 1, 0, 1, 0, 0];
        gre.extend_from_slice(ip4);
        assert!(matches!(
            gre_frame(&gre),
            Decoded::Ip(Packet {
                l4: L4::Ports { dport: 445, .. },
                ..
            })
        ));
    }

    fn gre_frame(gre: &[u8]) -> Decoded {
        let mut v = tcp_frame(1, 2, true)[..34].to_vec();
        let total = u16::try_from(20 + gre.len()).unwrap();
        v[16..18].copy_from_slice(&total.to_be_bytes());
        v[23] = 47;
        v.extend_from_slice(gre);
        decode(1, &v)
    }

    #[test]
    fn null_loopback_and_sll() {
        let f = tcp_frame(1, 22, true);
        let ip = &f[14..];
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(ip);
        assert!(matches!(decode(0, &null), Decoded::Ip(_)));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(ip);
        assert!(matches!(decode(113, &sll), Decoded::Ip(_)));
        assert_eq!(decode(147, ip), Decoded::UnsupportedLink);
        assert_eq!(decode(1, &[0u8; 5]), Decoded::Malformed);
    }
}
