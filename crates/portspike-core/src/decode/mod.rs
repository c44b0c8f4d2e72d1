//! Link layer → IP → TCP/UDP/ICMP, into a small `Copy` summary.
//!
//! etherparse slices Ethernet (with VLAN tags), IPv4 and IPv6 with their
//! extension headers; the small link layers it does not know (BSD NULL/LOOP,
//! Linux SLL/SLL2, raw IP) are stripped here first. Ports are read from the
//! first four bytes of the transport header, the way tshark shows them even in
//! a snaplen-cut packet; only the first fragment of a fragmented datagram
//! carries them.

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

mod ip;
mod link;

use link::{fast_ethernet_ipv4, link_slow};
pub use link::{link_name, link_supported};

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

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
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

/// The packet an ICMP error quotes: its protocol and ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    pub proto: Proto,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

#[cfg(test)]
mod tests;
