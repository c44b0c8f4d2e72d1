//! Link layer → IP → TCP/UDP/ICMP, into a small `Copy` summary.
//!
//! etherparse slices Ethernet (with VLAN tags), IPv4 and IPv6 with their
//! extension headers; the small link layers it does not know (BSD NULL/LOOP,
//! Linux SLL/SLL2, raw IP) are stripped here first. Ports are read from the
//! first four bytes of the transport header, the way tshark shows them even in
//! a snaplen-cut packet; only the first fragment of a fragmented datagram
//! carries them.

use etherparse::{EtherType, IpNumber, Ipv6ExtensionSlice, LaxNetSlice, LaxSlicedPacket};
use std::net::IpAddr;

/// TCP flag bits as in the header's 13th byte.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
}

/// Transport protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Transport summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    /// TCP or UDP with both ports; `flags` is 0 for UDP or when the TCP header
    /// was cut before the flags.
    Ports {
        proto: Proto,
        sport: u16,
        dport: u16,
        flags: u8,
    },
    /// ICMP (v4 or v6) with its type and code.
    Icmp { v6: bool, ty: u8, code: u8 },
    /// A later fragment: no transport header.
    Fragment { ip_proto: u8 },
    /// Another IP protocol, or a transport header too short to read.
    Other { ip_proto: u8 },
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
        0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276
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

/// Decode one frame of the given link type.
pub fn decode(linktype: u32, data: &[u8]) -> Decoded {
    let sliced = match linktype {
        1 => LaxSlicedPacket::from_ethernet(data).ok(),
        // Raw IP: 12 and 14 are the historical values of LINKTYPE_RAW on some systems.
        12 | 14 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).ok(),
        // BSD loopback: a 4-byte address family, host order (NULL) or network order (LOOP).
        0 | 108 => {
            let Some(&af) = data.first_chunk::<4>() else {
                return Decoded::Malformed;
            };
            let af = if linktype == 108 {
                u32::from_be_bytes(af)
            } else {
                // Host order of the capturing machine: whichever reading is small.
                let le = u32::from_le_bytes(af);
                if le > 0xffff {
                    u32::from_be_bytes(af)
                } else {
                    le
                }
            };
            match af {
                2 | 24 | 28 | 30 => {
                    LaxSlicedPacket::from_ip(data.get(4..).unwrap_or_default()).ok()
                }
                _ => return Decoded::NotIp,
            }
        }
        // Linux cooked capture v1: 16-byte header, protocol at 14.
        113 => {
            let (Some(&[p0, p1]), Some(rest)) = (data.get(14..16), data.get(16..)) else {
                return Decoded::Malformed;
            };
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([p0, p1])),
                rest,
            ))
        }
        // Linux cooked capture v2: 20-byte header, protocol at 0.
        276 => {
            let (Some(&[p0, p1]), Some(rest)) = (data.get(0..2), data.get(20..)) else {
                return Decoded::Malformed;
            };
            Some(LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([p0, p1])),
                rest,
            ))
        }
        _ => return Decoded::UnsupportedLink,
    };
    let Some(sliced) = sliced else {
        return Decoded::Malformed;
    };
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let first = h.fragments_offset().value() == 0;
            let p = ip.payload();
            let l4 = transport(p.ip_number, p.payload, first, false);
            Decoded::Ip(Packet {
                src: IpAddr::V4(h.source_addr()),
                dst: IpAddr::V4(h.destination_addr()),
                l4,
            })
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let mut first = true;
            for ext in ip.extensions().clone() {
                if let Ipv6ExtensionSlice::Fragment(f) = ext {
                    first &= f.fragment_offset().value() == 0;
                }
            }
            let p = ip.payload();
            let l4 = transport(p.ip_number, p.payload, first, true);
            Decoded::Ip(Packet {
                src: IpAddr::V6(h.source_addr()),
                dst: IpAddr::V6(h.destination_addr()),
                l4,
            })
        }
        Some(LaxNetSlice::Arp(_)) => Decoded::NotIp,
        None => {
            if sliced.stop_err.is_some() {
                Decoded::Malformed
            } else {
                Decoded::NotIp
            }
        }
    }
}

fn transport(ip_number: IpNumber, payload: &[u8], first_fragment: bool, v6: bool) -> L4 {
    let ip_proto = ip_number.0;
    if !first_fragment {
        return L4::Fragment { ip_proto };
    }
    let proto = match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP | IpNumber::IPV6_ICMP => {
            return match payload.get(..2) {
                Some([ty, code]) => L4::Icmp {
                    v6: v6 || ip_number == IpNumber::IPV6_ICMP,
                    ty: *ty,
                    code: *code,
                },
                _ => L4::Other { ip_proto },
            };
        }
        _ => return L4::Other { ip_proto },
    };
    let Some([a, b, c, d]) = payload.get(..4) else {
        return L4::Other { ip_proto };
    };
    let flags = match proto {
        Proto::Tcp => payload.get(13).copied().unwrap_or(0),
        Proto::Udp => 0,
    };
    L4::Ports {
        proto,
        sport: u16::from_be_bytes([*a, *b]),
        dport: u16::from_be_bytes([*c, *d]),
        flags,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use etherparse::PacketBuilder;

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
                flags: tcp_flags::SYN
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
